"""Balance sheets of a plan per hub and per province: where each group's work comes from and runs.

A region's hub is its ``hub:<name>`` tag (regions without one form the group ``—``), its province
its ``province`` field; a site belongs to the groups of its region. For a group g, with x the
placed work (PFLOPS·h/yr, demand units) from origin region r to site s:

* demand = Σ demand of g's regions; unserved = Σ unserved work of g's regions
* local = Σ x with r ∈ g and s ∈ g; exported = Σ x with r ∈ g, s ∉ g; imported = Σ x with r ∉ g, s ∈ g
* run at g's sites = local + imported; served = local + exported = demand − unserved
* PFLOPS, new PFLOPS, IT MW, energy, green MWh, carbon: sums over g's sites
* new capital = capex of the new modules + open_cost of the sites the plan opens (one-off CNY);
  capex CNY/yr = their annualised costs (as in the Costs sheet)
* utilisation = Σ load PFLOPS·h / (8760 h × PFLOPS) over g's sites (hardware units, as on the Sites sheet)

The matrix of a grouping has one row per origin group and one column per site group (PFLOPS·h/yr
run), so each row says where that group's work runs; the ``east/west`` matrix groups regions by
their ``east``, ``central`` or ``west`` tag.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

HOURS = 8760.0
NONE = "—"
MACRO = ("east", "central", "west")
COLUMNS = [
    "demand PFLOPS·h/yr",
    "served PFLOPS·h/yr",
    "unserved PFLOPS·h/yr",
    "local PFLOPS·h/yr",
    "exported PFLOPS·h/yr",
    "imported PFLOPS·h/yr",
    "run at its sites PFLOPS·h/yr",
    "self-sufficiency",
    "PFLOPS",
    "new PFLOPS",
    "IT MW",
    "new capital CNY",
    "capex CNY/yr",
    "energy MWh/yr",
    "green MWh/yr",
    "carbon tCO2/yr",
    "utilisation",
]


def region_groups(sc: Any) -> dict[str, dict[str, str]]:
    """grouping → {region: group}: ``hub`` (the hub: tag), ``province``, ``east/west`` (east, central or west tag)."""
    hub, prov, macro = {}, {}, {}
    for r in sc.regions:
        hub[r.name] = next((t.split(":", 1)[1] for t in r.tags if t.startswith("hub:")), NONE)
        prov[r.name] = r.province or NONE
        macro[r.name] = next((t for t in r.tags if t in MACRO), NONE)
    return {"hub": hub, "province": prov, "east/west": macro}


def balance(
    group_of: dict[str, str],
    sc: Any,
    sites: pd.DataFrame,
    placement: pd.DataFrame,
    unserved: pd.DataFrame,
    demand_by_region: dict[str, float],
) -> pd.DataFrame:
    """The balance table of one grouping (module docstring), one row per group in first-appearance order."""
    site_region = {s.name: s.region for s in sc.sites}
    open_cost = {s.name: s.open_cost for s in sc.sites}
    groups = list(dict.fromkeys(group_of[r.name] for r in sc.regions))
    acc: dict[str, dict[str, float]] = {g: defaultdict(float) for g in groups}
    for r, v in demand_by_region.items():
        acc[group_of[r]]["demand PFLOPS·h/yr"] += v
    if len(unserved):
        for ur, v in unserved.groupby("region")["PFLOPS·h/yr"].sum().items():
            acc[group_of[str(ur)]]["unserved PFLOPS·h/yr"] += float(v)
    for r, s, v in zip(placement["region"], placement["site"], placement["PFLOPS·h/yr"]):
        go, gs = group_of[r], group_of[site_region[s]]
        if go == gs:
            acc[go]["local PFLOPS·h/yr"] += v
        else:
            acc[go]["exported PFLOPS·h/yr"] += v
            acc[gs]["imported PFLOPS·h/yr"] += v
    load: dict[str, float] = defaultdict(float)
    for row in sites.to_dict("records"):
        a = acc[group_of[site_region[row["site"]]]]
        for c in (
            "PFLOPS",
            "new PFLOPS",
            "IT MW",
            "energy MWh/yr",
            "green MWh/yr",
            "carbon tCO2/yr",
        ):
            a[c] += float(row[c])
        a["capex CNY/yr"] += float(row["hardware capex CNY/yr"]) + float(row["open cost CNY/yr"])
        opened_now = bool(row["open"]) and not bool(row["existing"])
        a["new capital CNY"] += open_cost[row["site"]] if opened_now else 0.0
        load[group_of[site_region[row["site"]]]] += float(row["served PFLOPS·h/yr"])
    rows: list[dict[str, str | float | None]] = []
    for g in groups:
        a = acc[g]
        a["served PFLOPS·h/yr"] = a["local PFLOPS·h/yr"] + a["exported PFLOPS·h/yr"]
        a["run at its sites PFLOPS·h/yr"] = a["local PFLOPS·h/yr"] + a["imported PFLOPS·h/yr"]
        out: dict[str, float | None] = {c: a.get(c, 0.0) for c in COLUMNS}
        out["self-sufficiency"] = (
            a["local PFLOPS·h/yr"] / a["served PFLOPS·h/yr"] if a["served PFLOPS·h/yr"] else None
        )
        out["utilisation"] = load[g] / (HOURS * a["PFLOPS"]) if a["PFLOPS"] else None
        rows.append({"group": g, **out})
    return pd.DataFrame(rows, columns=["group", *COLUMNS])


def matrix(group_of: dict[str, str], sc: Any, placement: pd.DataFrame) -> pd.DataFrame:
    """Origin group × site group: PFLOPS·h/yr of each origin group's work run at each group's sites."""
    site_region = {s.name: s.region for s in sc.sites}
    groups = list(dict.fromkeys(group_of[r.name] for r in sc.regions))
    m = pd.DataFrame(0.0, index=groups, columns=groups)
    for r, s, v in zip(placement["region"], placement["site"], placement["PFLOPS·h/yr"]):
        m.loc[group_of[r], group_of[site_region[s]]] += v
    keep_rows = [g for g in groups if m.loc[g].sum() > 0]
    keep_cols = [g for g in groups if m[g].sum() > 0]
    return m.loc[keep_rows, keep_cols].rename_axis("work of ↓ runs at →").reset_index()


def balances(
    sc: Any,
    sites: pd.DataFrame,
    hardware: pd.DataFrame,
    placement: pd.DataFrame,
    unserved: pd.DataFrame,
    demand_by_region: dict[str, float],
) -> dict[str, pd.DataFrame]:
    """``hub``, ``province`` balances and the ``hub matrix`` and ``east/west matrix`` of a plan."""
    grouping = region_groups(sc)
    out: dict[str, pd.DataFrame] = {}
    new_capex = _new_capex(sc, hardware)
    for key in ("hub", "province"):
        if all(g == NONE for g in grouping[key].values()):
            continue  # the scenario tags no hub / gives no province
        b = balance(grouping[key], sc, sites, placement, unserved, demand_by_region)
        b["new capital CNY"] += b["group"].map(new_capex(grouping[key])).fillna(0.0)
        out[key] = b
    if "hub" in out:
        out["hub matrix"] = matrix(grouping["hub"], sc, placement)
    if any(g != NONE for g in grouping["east/west"].values()):
        out["east/west matrix"] = matrix(grouping["east/west"], sc, placement)
    return out


def _new_capex(sc: Any, hardware: pd.DataFrame) -> Any:
    """A function grouping → {group: one-off capex CNY of the new modules at the group's sites}."""
    site_region = {s.name: s.region for s in sc.sites}

    def by(group_of: dict[str, str]) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        if len(hardware):
            for s, v in zip(hardware["site"], hardware["capex CNY"]):
                out[group_of[site_region[s]]] += float(v)
        return dict(out)

    return by
