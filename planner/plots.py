"""Plots for notebooks (matplotlib, imported lazily: it is in the ``notebooks``/``test`` extras).

- :func:`plan_map`: sites and links on a lon/lat map, sites sized by installed PFLOPS, links by
  bandwidth built;
- :func:`frontier_plot`: a cost–carbon (or cost–energy) frontier from :func:`planner.studies.pareto.pareto`;
- :func:`kpi_curves`: KPIs of a sweep against its parameter, one panel each.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pandas as pd

from .results import Results
from .scenario import Scenario

log = logging.getLogger(__name__)


def _plt() -> Any:
    import matplotlib.pyplot as plt

    return plt


def _no_plan(ax: Any, why: str) -> None:
    """Write ``why`` across an axes that has no plan to show."""
    ax.text(
        0.5,
        0.5,
        why,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=10,
        color="tab:red",
        wrap=True,
    )


def plan_map(
    sc: Scenario,
    res: Results | None,
    *,
    ax: Any = None,
    title: str | None = None,
    labels: bool = True,
) -> Any:
    """Map of a plan: regions (grey), sites sized by installed PFLOPS, links by Gbps built.

    A missing plan (``None``: a frontier point or sweep member that failed) draws the regions
    and says "no plan" on the map, so that a figure of several plans still renders.

    Parameters
    ----------
    sc
        The scenario (coordinates of regions; sites sit at their region).
    res
        The plan's results (``res.sites["PFLOPS"]``, ``res.links["Gbps per direction"]``), or ``None``.
    ax
        Axes to draw on (a new figure if ``None``).
    title
        Title of the axes.
    labels
        Name the open sites.

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6))
    pos = {r.name: (r.lon, r.lat) for r in sc.regions}
    ax.scatter(
        [p[0] for p in pos.values()],
        [p[1] for p in pos.values()],
        s=12,
        color="0.7",
        zorder=1,
        label="regions",
    )
    if res is None:
        log.warning("plan_map: no plan to draw for %s (the solve failed or found none)", sc.name)
        _no_plan(ax, "no plan: the solve failed or found none\n(see its status and message)")
        ax.set_title(title or f"{sc.name}: no plan")
        ax.set_xlabel("longitude °E")
        ax.set_ylabel("latitude °N")
        return ax

    links, sites = res.links, res.sites
    if "future" in sites.columns and len(
        sites
    ):  # demand futures share the investments: draw them once
        sites = sites[sites["future"] == sites["future"].iloc[0]]
        links = links[links["future"] == links["future"].iloc[0]] if len(links) else links
    if len(links):
        gbps = links["Gbps per direction"].astype(float)
        top = float(gbps.max()) or 1.0
        for (_, row), g in zip(links.iterrows(), gbps):
            if row["from"] not in pos or row["to"] not in pos:
                continue
            (x0, y0), (x1, y1) = pos[row["from"]], pos[row["to"]]
            if g > 0:
                ax.plot(
                    [x0, x1], [y0, y1], color="tab:blue", alpha=0.7, lw=0.5 + 5 * g / top, zorder=2
                )
            else:
                ax.plot([x0, x1], [y0, y1], color="0.85", lw=0.5, ls=":", zorder=1)

    site_region = {s.name: s.region for s in sc.sites}
    cap = sites.set_index("site")["PFLOPS"].astype(float)
    biggest = float(cap.max()) if len(cap) and cap.max() > 0 else 1.0
    xs, ys, sizes, colors = [], [], [], []
    for s, c in cap.items():
        x, y = pos[site_region[str(s)]]
        xs.append(x)
        ys.append(y)
        sizes.append(20 + 600 * c / biggest)
        colors.append("tab:orange" if c > 0 else "white")
    ax.scatter(
        xs,
        ys,
        s=sizes,
        c=colors,
        edgecolors="tab:red",
        alpha=0.8,
        zorder=3,
        label="sites (size ∝ PFLOPS)",
    )
    if labels:
        for s, c in cap.items():
            if c > 0:
                x, y = pos[site_region[str(s)]]
                ax.annotate(
                    f"{s} {c:,.0f}", (x, y), fontsize=7, xytext=(4, 4), textcoords="offset points"
                )
    ax.set_xlabel("longitude °E")
    ax.set_ylabel("latitude °N")
    ax.set_title(title or f"{sc.name}: sites by installed PFLOPS, links by Gbps built")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def frontier_plot(front: Any, *, ax: Any = None) -> Any:
    """The frontier: cost against carbon (or energy); dominated and failed points marked."""
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    t = front.table
    col = front.second_column
    ok = t[t["dominated"] == "non-dominated"].sort_values(col)
    dom = t[t["dominated"] == "dominated"]
    ax.plot(ok[col], ok["cost CNY/yr"] / 1e6, "o-", label="non-dominated")
    if len(dom):
        ax.plot(dom[col], dom["cost CNY/yr"] / 1e6, "x", color="tab:red", ms=9, label="dominated")
    for _, r in t.iterrows():
        if pd.notna(r["cost CNY/yr"]):
            ax.annotate(
                str(r["point"]),
                (r[col], r["cost CNY/yr"] / 1e6),
                fontsize=8,
                xytext=(4, 4),
                textcoords="offset points",
            )
    failed = int((t["dominated"] == "failed").sum())
    if ok.empty and dom.empty:
        log.warning(
            "frontier_plot: no plan on the frontier of %s (%d failed)", front.scenario, failed
        )
        _no_plan(
            ax,
            f"no plan on the frontier: {failed} of {len(t)} points failed\n(see front.table's status and message)",
        )
    ax.set_xlabel(col)
    ax.set_ylabel("cost M CNY/yr")
    ax.set_title(
        f"{front.scenario}: cost–{front.second} frontier"
        + (f" ({failed} failed)" if failed else "")
    )
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def kpi_curves(df: pd.DataFrame, x: str, kpis: Sequence[str], *, title: str = "") -> Any:
    """One small panel per KPI column of ``df`` against ``x``; returns the figure."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(kpis), figsize=(4 * len(kpis), 3.5), squeeze=False)
    for ax, k in zip(axes[0], kpis):
        ax.plot(df[x], df[k], "o-")
        ax.set_xlabel(x)
        ax.set_title(k, fontsize=10)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
