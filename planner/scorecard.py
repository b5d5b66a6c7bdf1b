"""The policy scorecard: every target of the scenario's ``targets`` table, evaluated on a plan.

A target is evaluated whether or not the plan was made to meet it (``imposed`` says whether a
policy lever or a job-class limit of the scenario enforces it). Each indicator is computed from
the plan's tables (docs/model.md §12):

========================  ==========================================================================
green_share               Σ green MWh / Σ MWh over the open sites of the scope (new sites only with
                          ``new_only``)
hub_share_new             Σ new PFLOPS at the scope's sites / Σ new PFLOPS
utilisation               Σ served PFLOPS·h / (8760 h × Σ PFLOPS) over the scope's sites with capacity
pue_max                   max PUE over the scope's open sites
served_within_ms          Σ PFLOPS·h of class ``job_class`` placed within ``ms`` of its origin / Σ PFLOPS·h
                          placed of that class
coverage_within_ms        Σ demand of the regions that reach an open site of the scope within ``ms``
                          over the links the plan has (existing or built) / Σ demand
domestic_share            Σ new PFLOPS on domestic hardware / Σ new PFLOPS (installed PFLOPS when
                          ``new_only`` is false)
========================  ==========================================================================

A scope is a site tag, or several joined by ``+`` (sites with all of them); blank is every site.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from .geo import region_site_latency
from .scenario.schema import TARGET_INDICATORS

HOURS = 8760.0
#: How far an achieved value may fall short of its target and still count as met (rounding).
TOLERANCE = 1e-6
COLUMNS = [
    "target",
    "indicator",
    "scope",
    "sense",
    "target value",
    "achieved",
    "unit",
    "met",
    "imposed",
    "source",
    "label zh",
]


def scope_sites(scope: str, tags: dict[str, set[str]]) -> list[str]:
    """The sites whose tags include every tag of ``scope`` (``a+b``); every site for a blank scope."""
    need = [t.strip() for t in scope.split("+") if t.strip()]
    return [s for s, ts in tags.items() if all(t in ts for t in need)]


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _plan_latency(sc: Any, links: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Region → site latency over the links the plan has (units > 0), as the model computes latency."""
    have = set(links.loc[links["units"] > 0, "link"]) if len(links) else set()
    names, kept = set(), []
    for k, lk in enumerate(sc.links):  # the link names of planner.data.prepare
        name = f"{lk.from_region}-{lk.to_region}"
        name = f"{name}#{k + 1}" if name in names else name
        names.add(name)
        if name in have:
            kept.append(lk)
    return region_site_latency(
        sc.regions, sc.sites, kept, sc.latency, sc.network, sc.policy.intra_region_latency_ms
    )


def imposed(tg: Any, sc: Any) -> bool:
    """Whether the scenario makes the plan meet ``tg`` (a policy lever or a latency limit covers it)."""
    pol = sc.policy
    tag = tg.scope
    if tg.indicator == "green_share":
        return (
            tag in pol.min_green_share_by_tag and pol.min_green_share_by_tag[tag] >= (tg.value or 0)
        ) or (
            not tag and pol.min_green_share is not None and pol.min_green_share >= (tg.value or 0)
        )
    if tg.indicator == "hub_share_new":
        return (
            pol.min_hub_share is not None
            and pol.min_hub_share >= (tg.value or 0)
            and (tag or pol.hub_tag) == pol.hub_tag
        )
    if tg.indicator == "utilisation":
        return (
            tag in pol.min_utilisation_by_tag and pol.min_utilisation_by_tag[tag] >= (tg.value or 0)
        ) or (pol.min_utilisation is not None and pol.min_utilisation >= (tg.value or 0))
    if tg.indicator == "pue_max":
        caps = [c for t, c in pol.pue_max_by_tag.items() if t in tag.split("+")] + (
            [pol.pue_max] if pol.pue_max else []
        )
        return bool(caps) and min(caps) <= (tg.value if tg.value is not None else float("inf"))
    if tg.indicator == "served_within_ms":
        classes = [j for j in sc.job_classes if not tg.job_class or j.name == tg.job_class]
        return bool(classes) and all(
            j.max_latency_ms is not None and j.max_latency_ms <= (tg.ms or 0) for j in classes
        )
    if tg.indicator == "domestic_share":
        return pol.domestic_min_share is not None and pol.domestic_min_share >= (tg.value or 0)
    return False


def evaluate(
    tg: Any,
    sc: Any,
    sites: pd.DataFrame,
    hardware: pd.DataFrame,
    placement: pd.DataFrame,
    links: pd.DataFrame,
    demand: dict[str, float],
    latency: dict[tuple[str, str], float] | None = None,
) -> float | None:
    """The achieved value of target ``tg`` on the plan (``None`` when the indicator has nothing to measure)."""
    tags = {s.name: set(s.tags) for s in sc.sites}
    scope = tg.scope or (sc.policy.hub_tag if tg.indicator == "hub_share_new" else "")
    members = set(scope_sites(scope, tags))
    st = sites[sites["site"].isin(members)] if len(sites) else sites
    is_open = st["open"].astype(bool) if len(st) else pd.Series(dtype=bool)
    if tg.indicator == "green_share":
        rows = st[is_open & (~st["existing"].astype(bool) if tg.new_only else True)]
        return _ratio(float(rows["green MWh/yr"].sum()), float(rows["energy MWh/yr"].sum()))
    if tg.indicator == "hub_share_new":
        return _ratio(
            float(st["new PFLOPS"].clip(lower=0).sum()),
            float(sites["new PFLOPS"].clip(lower=0).sum()),
        )
    if tg.indicator == "utilisation":
        rows = st[st["PFLOPS"] > 0]
        return _ratio(float(rows["served PFLOPS·h/yr"].sum()), HOURS * float(rows["PFLOPS"].sum()))
    if tg.indicator == "pue_max":
        rows = st[is_open]
        return float(rows["PUE"].max()) if len(rows) else None
    if tg.indicator == "served_within_ms":
        rows = placement[placement["class"] == tg.job_class] if tg.job_class else placement
        if rows.empty:
            return None
        near = rows["latency ms"].fillna(float("inf")) <= (tg.ms or 0) + TOLERANCE
        return _ratio(float(rows.loc[near, "PFLOPS·h/yr"].sum()), float(rows["PFLOPS·h/yr"].sum()))
    if tg.indicator == "coverage_within_ms":
        lat = latency if latency is not None else _plan_latency(sc, links)
        opened = set(st.loc[is_open, "site"]) if len(st) else set()
        covered = sum(
            v
            for r, v in demand.items()
            if any(lat.get((r, s), float("inf")) <= (tg.ms or 0) + TOLERANCE for s in opened)
        )
        return _ratio(covered, sum(demand.values()))
    if tg.indicator == "domestic_share":
        col = "new PFLOPS" if tg.new_only else "PFLOPS"
        if hardware.empty:
            return None
        return _ratio(
            float(hardware.loc[hardware["domestic"].astype(bool), col].clip(lower=0).sum()),
            float(hardware[col].clip(lower=0).sum()),
        )
    raise ValueError(f"unknown indicator {tg.indicator!r}")


def met(sense: str, value: float | None, achieved: float | None) -> bool | None:
    """Whether ``achieved`` meets ``value`` (``None`` when there is no target figure or nothing measured)."""
    if value is None or achieved is None:
        return None
    tol = TOLERANCE * max(1.0, abs(value))
    return achieved >= value - tol if sense == ">=" else achieved <= value + tol


def scorecard(
    sc: Any,
    sites: pd.DataFrame,
    hardware: pd.DataFrame,
    placement: pd.DataFrame,
    links: pd.DataFrame,
    demand_by_region: dict[str, float],
) -> pd.DataFrame:
    """One row per target of ``sc.targets``: target, indicator, scope, sense, target value, achieved, met, imposed, source."""
    rows = []
    latency = (
        _plan_latency(sc, links)
        if any(t.indicator == "coverage_within_ms" for t in sc.targets)
        else None
    )
    for tg in sc.targets:
        achieved = evaluate(tg, sc, sites, hardware, placement, links, demand_by_region, latency)
        rows.append(
            {
                "target": tg.label or tg.name,
                "label zh": tg.label_zh or tg.label or tg.name,
                "indicator": tg.indicator,
                "scope": _scope_text(tg),
                "sense": tg.sense,
                "target value": tg.value,
                "achieved": achieved,
                "unit": TARGET_INDICATORS[tg.indicator][0],
                "met": met(tg.sense, tg.value, achieved),
                "imposed": imposed(tg, sc),
                "source": tg.source or "",
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _scope_text(tg: Any) -> str:
    parts: Iterable[str] = [
        p
        for p in (
            tg.scope,
            tg.job_class,
            f"{tg.ms:g} ms" if tg.ms is not None else "",
            "new sites" if tg.new_only and tg.indicator == "green_share" else "",
        )
        if p
    ]
    return ", ".join(parts)
