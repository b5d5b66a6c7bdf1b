"""Announced capacity against a coordinated network (docs/model.md §10, "Announced baseline").

The ``announced`` table lists capacity that cities and clusters have announced (site, hardware,
PFLOPS or modules, year, source). The *announced baseline* is "everyone builds what they
announced, then work is placed as well as it can be": at every site ``modules[s,h]`` is fixed at
its brownfield modules plus the announced ones (``⌈pflops / pflops[h]⌉``), sites with modules are
open and no other site opens; link units and all operation (placement, unserved work, energy) are
optimised, in every demand future. The coordinated plan is the ordinary plan. Both are reported
side by side: cost, idle PFLOPS and *stranded capital* per site, region and hub.

**Module utilisation.** In each slice the work at ``(s, h)`` is packed onto the fewest modules, so
module ``k = 1..n`` carries ``clip(load[s,h,t] / pflops[h] − (k − 1), 0, 1)`` of its capacity, and
its expected utilisation is ``u_k = Σ_f π_f Σ_t w[t] × that / 8760``. Brownfield modules are packed
first (they are paid for). A module with ``u_k < baseline.stranded_below`` is *stranded*; the
stranded capital of a plan is ``Σ capex[h]`` over its stranded modules that are not brownfield.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..data import PlanningData
from ..horizon.futures import FuturesData
from ..horizon.periods import MultiPeriodData
from ..results import HOURS
from ..scenario.schema import Scenario

log = logging.getLogger(__name__)


def announced_modules(sc: Scenario) -> tuple[dict[tuple[str, str], int], float]:
    """Announced modules per ``(site, hardware)`` in service by ``sc.year``, and the PFLOPS announced for later years."""
    hw = {h.name: h for h in sc.hardware}
    out: dict[tuple[str, str], int] = defaultdict(int)
    later = 0.0
    for r in sc.announced:
        n = (
            r.modules
            if r.modules is not None
            else math.ceil((r.pflops or 0.0) / hw[r.hardware].pflops - 1e-9)
        )  # one of them is given
        if r.year is not None and r.year > sc.year:
            later += n * hw[r.hardware].pflops
            continue
        out[r.site, r.hardware] += n
    return dict(out), later


def announced_period(sc: Scenario, md: MultiPeriodData, year: int | None) -> int | None:
    """The period an announced item is bought in: the one containing its year (an item without a
    year, or before the first period, in the first); ``None`` after the last period ends."""
    first = md.periods[0]
    if year is None or year < first.year:
        return first.year
    last = md.periods[-1]
    if year >= last.year + last.years:
        return None
    return max(p.year for p in md.periods if p.year <= year)


def announced_builds(
    sc: Scenario, md: MultiPeriodData
) -> tuple[dict[tuple[str, str, int], int], float]:
    """Announced modules per ``(site, hardware, period)`` they are bought in, and the PFLOPS announced after the horizon."""
    hw = {h.name: h for h in sc.hardware}
    out: dict[tuple[str, str, int], int] = defaultdict(int)
    later = 0.0
    for r in sc.announced:
        n = (
            r.modules
            if r.modules is not None
            else math.ceil((r.pflops or 0.0) / hw[r.hardware].pflops - 1e-9)
        )
        y = announced_period(sc, md, r.year)
        if y is None:
            later += n * hw[r.hardware].pflops
            continue
        out[r.site, r.hardware, y] += n
    return dict(out), later


def _baseline_over_periods(sc: Scenario, fd: FuturesData) -> dict[str, dict[Any, float]]:
    """Several periods: each announced item bought in the period containing its year
    (``build[s,h,p]``), in service as the model's modules are (``year[p] < year[p'] + life_years``);
    a site is open from the first period it has modules in (brownfield or announced) on. Raises the
    module and purchase bounds of every future's data where the announced modules exceed them."""
    md0 = fd.data[fd.names[0]]
    assert isinstance(md0, MultiPeriodData)
    builds, later = announced_builds(sc, md0)
    if later:
        log.info(
            "%s: %.1f announced PFLOPS are for years after the last period and not in the baseline",
            sc.name,
            later,
        )
    opened: dict[tuple[str, int], float] = {}
    for md in fd.data.values():
        assert isinstance(md, MultiPeriodData)
        for (s, h, y), n in builds.items():
            md.purchase_bound[s, h, y] = max(md.purchase_bound.get((s, h, y), 0), n)
        for y in md.years:
            d = md.data[y]
            for s, h in d.SITE_HW:
                alive_n = sum(builds.get(k, 0) for k in md.builds_alive(s, h, y))
                d.module_bound[s, h] = max(d.module_bound[s, h], md.existing[s, h, y] + alive_n)
    d0 = md0.data[md0.years[0]]
    for s in d0.SITES:
        is_open = False
        for y in md0.years:
            mods = sum(
                md0.existing[s, h, y] + sum(builds.get(k, 0) for k in md0.builds_alive(s, h, y))
                for h in d0.HW
            )
            is_open = is_open or mods > 0 or md0.data[y].existing_open[s]
            opened[s, y] = float(is_open)
    return {"open": opened, "build": {k: float(n) for k, n in builds.items()}}


def baseline_investments(sc: Scenario, fd: FuturesData) -> dict[str, dict[Any, float]]:
    """The announced baseline as fixed investments: modules = brownfield + announced; open where any
    (several periods: purchases ``build[s,h,p]`` and ``open[s,p]``, :func:`_baseline_over_periods`)."""
    if fd.multi_period:
        return _baseline_over_periods(sc, fd)
    d = fd.data[fd.names[0]]
    assert isinstance(d, PlanningData)
    ann, later = announced_modules(sc)
    if later:
        log.info(
            "%s: %.1f announced PFLOPS are for years after %d and not in the baseline",
            sc.name,
            later,
            sc.year,
        )
    modules = {(s, h): d.existing.get((s, h), 0) + ann.get((s, h), 0) for s, h in d.SITE_HW}
    opened = {s: int(d.existing_open[s] or any(modules[s, h] > 0 for h in d.HW)) for s in d.SITES}
    return {
        "open": {s: float(v) for s, v in opened.items()},
        "modules": {k: float(n) for k, n in modules.items()},
    }


def _loads(
    m: pyo.ConcreteModel, fd: FuturesData, year: int | None = None
) -> dict[tuple[str, str], np.ndarray]:
    """Per (site, hardware): the load (PFLOPS) in each future (rows) and slice (columns) (of period ``year``)."""
    d0 = _period_data(fd, year)
    T = d0.SLICES
    out: dict[tuple[str, str], np.ndarray] = {}
    for i, f in enumerate(fd.names):
        b = m.future[f] if year is None else m.future[f].period[year]
        for (s, h, t), e in b.placement.load.items():
            a = out.setdefault((s, h), np.zeros((len(fd.names), len(T))))
            a[i, T.index(t)] = float(pyo.value(e, exception=False) or 0.0)
    return out


def _period_data(fd: FuturesData, year: int | None) -> PlanningData:
    """The first future's planning data (of period ``year`` with several periods)."""
    d = fd.data[fd.names[0]]
    if isinstance(d, MultiPeriodData):
        return d.data[d.years[0] if year is None else year]
    assert isinstance(d, PlanningData)
    return d


def module_stats(m: pyo.ConcreteModel, fd: FuturesData, threshold: float) -> pd.DataFrame:
    """Per (site, hardware) with modules: modules, brownfield, expected utilisation, stranded modules and capital (see module docs).

    With several periods, one row per period in service (a leading ``period`` column): the
    modules in service in that period, its brownfield still in service, and the stranded capital of
    the modules in service then (a module stranded in two periods counts in each).
    """
    if not fd.multi_period:
        return _module_stats(m, fd, threshold, None)
    md = fd.data[fd.names[0]]
    assert isinstance(md, MultiPeriodData)
    frames = [_module_stats(m, fd, threshold, y) for y in md.years]
    frames = [f for f in frames if len(f)]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else _module_stats(m, fd, threshold, md.years[0])
    )


def _module_stats(
    m: pyo.ConcreteModel, fd: FuturesData, threshold: float, year: int | None
) -> pd.DataFrame:
    d0 = _period_data(fd, year)
    sc = fd.scenario
    capex = {h.name: h.capex for h in sc.hardware}
    pi = np.array([fd.probability[f] for f in fd.names])
    w = np.array([d0.weight[t] for t in d0.SLICES])
    loads = _loads(m, fd, year)
    rows = []
    b = m.future[fd.names[0]] if year is None else m.future[fd.names[0]].period[year]
    for (s, h), v in b.sizing.modules.items():
        n = round(pyo.value(v, exception=False) or 0)
        if n <= 0:
            continue
        ex = d0.existing.get((s, h), 0)
        L = loads.get((s, h), np.zeros((len(pi), len(w)))) / d0.pflops[h]
        k = np.arange(n)[:, None, None]
        u = (
            (np.clip(L[None, :, :] - k, 0.0, 1.0) * w[None, None, :]).sum(axis=2) @ pi / HOURS
        )  # per module
        stranded = u < threshold - 1e-12
        new_stranded = int(stranded[ex:].sum())
        rows.append(
            {
                **({"period": year} if year is not None else {}),
                "site": s,
                "hardware": h,
                "modules": n,
                "brownfield modules": ex,
                "PFLOPS": n * d0.pflops[h],
                "expected utilisation": float(u.mean()),
                "stranded modules": int(stranded.sum()),
                "stranded new modules": new_stranded,
                "stranded capital CNY": new_stranded * capex[h],
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            *(["period"] if year is not None else []),
            "site",
            "hardware",
            "modules",
            "brownfield modules",
            "PFLOPS",
            "expected utilisation",
            "stranded modules",
            "stranded new modules",
            "stranded capital CNY",
        ],
    )


def hub_of(sc: Scenario) -> dict[str, str]:
    """Each site's hub: the ``hub:<name>`` tag of the site or else of its region; ``-`` when none."""
    rtags = {r.name: r.tags for r in sc.regions}
    out = {}
    for s in sc.sites:
        tags = [t for t in (*s.tags, *rtags.get(s.region, [])) if t.startswith("hub:")]
        out[s.name] = tags[0][4:] if tags else "-"
    return out


def site_table(idle: pd.DataFrame, stats: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    """Per site: PFLOPS, expected served and idle, idle PFLOPS (average), utilisation, stranded modules and capital."""
    hub = hub_of(sc)
    region = {s.name: s.region for s in sc.sites}
    st = (
        stats.groupby("site")[
            ["stranded modules", "stranded new modules", "stranded capital CNY"]
        ].sum()
        if len(stats)
        else None
    )
    rows = []
    for s in sc.sites:
        r = idle[idle["site"] == s.name] if len(idle) else idle
        cap = float(r["PFLOPS"].sum()) if len(r) else 0.0
        served = float(r["expected served PFLOPS·h/yr"].sum()) if len(r) else 0.0
        row = {
            "site": s.name,
            "region": region[s.name],
            "hub": hub[s.name],
            "PFLOPS": cap,
            "expected served PFLOPS·h/yr": served,
            "idle PFLOPS (average)": cap - served / HOURS,
            "expected utilisation": served / (cap * HOURS) if cap else 0.0,
        }
        for c in ("stranded modules", "stranded new modules", "stranded capital CNY"):
            cell: Any = st.loc[s.name, c] if st is not None and s.name in st.index else 0.0
            row[c] = float(cell)
        rows.append(row)
    return pd.DataFrame(rows)


def aggregate(sites: pd.DataFrame, by: str) -> pd.DataFrame:
    """The per-site table summed by ``by`` (region or hub); utilisation recomputed from the sums."""
    cols = [
        "PFLOPS",
        "expected served PFLOPS·h/yr",
        "idle PFLOPS (average)",
        "stranded modules",
        "stranded new modules",
        "stranded capital CNY",
    ]
    g = sites.groupby(by, sort=False)[cols].sum().reset_index()
    g["expected utilisation"] = np.where(
        g["PFLOPS"] > 0,
        g["expected served PFLOPS·h/yr"] / (g["PFLOPS"] * HOURS).where(g["PFLOPS"] > 0, 1),
        0.0,
    )
    return g


def compare(
    coordinated: dict[str, Any], announced: dict[str, Any], sc: Scenario
) -> dict[str, pd.DataFrame]:
    """The side-by-side tables: ``Announced vs coordinated`` (totals and difference) and per site, region and hub.

    ``coordinated`` and ``announced`` hold each plan's ``cost`` (its objective: expected cost), ``sites``
    (:func:`site_table`), ``unserved share`` and ``PFLOPS installed``.
    """
    c, a = coordinated["sites"], announced["sites"]
    keys = ["site", "region", "hub"]
    by_site = c[keys].copy()
    for label, t in (("coordinated", c), ("announced", a)):
        for col in (
            "PFLOPS",
            "idle PFLOPS (average)",
            "expected utilisation",
            "stranded modules",
            "stranded capital CNY",
        ):
            by_site[f"{col} {label}"] = t[col].values
    by_site["idle PFLOPS (average) difference"] = (
        by_site["idle PFLOPS (average) announced"] - by_site["idle PFLOPS (average) coordinated"]
    )
    out = {"Announced vs coordinated": None, "Announced by site": by_site}
    for level, name in (("region", "Announced by region"), ("hub", "Announced by hub")):
        ca, aa = aggregate(c, level), aggregate(a, level)
        t = ca[[level]].copy()
        for label, g in (("coordinated", ca), ("announced", aa)):
            for col in (
                "PFLOPS",
                "idle PFLOPS (average)",
                "expected utilisation",
                "stranded capital CNY",
            ):
                t[f"{col} {label}"] = g[col].values
        out[name] = t
    rows = []
    for q, unit, f in (
        ("expected cost", "objective units", lambda p: p["cost"]),
        ("PFLOPS installed", "PFLOPS", lambda p: float(p["sites"]["PFLOPS"].sum())),
        (
            "idle PFLOPS (average)",
            "PFLOPS",
            lambda p: float(p["sites"]["idle PFLOPS (average)"].sum()),
        ),
        ("stranded modules", "modules", lambda p: float(p["sites"]["stranded modules"].sum())),
        ("stranded capital CNY", "CNY", lambda p: float(p["sites"]["stranded capital CNY"].sum())),
        (
            "average utilisation",
            "-",
            lambda p: (
                float(p["sites"]["expected served PFLOPS·h/yr"].sum())
                / max(1e-9, HOURS * float(p["sites"]["PFLOPS"].sum()))
            ),
        ),
        ("unserved share", "-", lambda p: p["unserved share"]),
    ):
        vc, va = f(coordinated), f(announced)
        rows.append(
            {
                "quantity": q,
                "unit": unit,
                "coordinated": vc,
                "announced": va,
                "difference (announced − coordinated)": va - vc,
            }
        )
    out["Announced vs coordinated"] = pd.DataFrame(rows)
    return out


def compare_periods(
    coordinated: dict[str, Any], announced: dict[str, Any], sc: Scenario, years: list[int]
) -> dict[str, pd.DataFrame]:
    """:func:`compare` in each period, stacked with a leading ``period`` column.

    ``coordinated`` and ``announced`` hold ``cost`` (the objective over all periods: expected,
    discounted), ``period cost`` (year → expected CNY/yr of that period), and per year ``sites``
    (:func:`site_table` of that period) and ``unserved share``. The table ``Announced vs
    coordinated`` has one block per period (its cost row: that period's expected CNY/yr) and a
    last row ``expected cost (all periods, discounted)``.
    """
    out: dict[str, list[pd.DataFrame]] = defaultdict(list)
    for y in years:
        one = compare(
            {
                "cost": coordinated["period cost"][y],
                "sites": coordinated["sites"][y],
                "unserved share": coordinated["unserved share"][y],
            },
            {
                "cost": announced["period cost"][y],
                "sites": announced["sites"][y],
                "unserved share": announced["unserved share"][y],
            },
            sc,
        )
        for name, t in one.items():
            t = t.copy()
            if name == "Announced vs coordinated":
                t.loc[t["quantity"] == "expected cost", "unit"] = "objective units per year"
            t.insert(0, "period", y)
            out[name].append(t)
    tables = {name: pd.concat(ts, ignore_index=True) for name, ts in out.items()}
    total = pd.DataFrame(
        [
            {
                "period": "all",
                "quantity": "expected cost (all periods, discounted)",
                "unit": "objective units",
                "coordinated": coordinated["cost"],
                "announced": announced["cost"],
                "difference (announced − coordinated)": announced["cost"] - coordinated["cost"],
            }
        ]
    )
    tables["Announced vs coordinated"] = pd.concat(
        [tables["Announced vs coordinated"], total], ignore_index=True
    )
    return tables
