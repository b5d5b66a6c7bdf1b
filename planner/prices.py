"""The price of compute: marginal and average cost of a PFLOPS·h, by region, site and slice.

Marginal costs are the duals of the LP with every integer decision (modules, sites, link units)
fixed at the plan (:func:`planner.solve.solve` with ``duals=True``): short-run prices, i.e. what one
more PFLOPS·h costs with what the plan builds, not with what it could build.

* **Demand price** of class j in region r and slice t (CNY per PFLOPS·h of demand):
  λ(demand_met[j,r,t]) / w[t] for a class placed per slice; λ(demand_met_per_day[j,r,day]) for a
  shiftable class (the same for every slice of the day: its work may move within the day);
  λ(transport_balance[j,r,t]) / w[t] for a class without a latency limit that is not shiftable.
  Where the plan's capacity is full, the price is that of the next option: moving other work, or
  leaving work unserved at its unserved_cost.
* **Site price** at site s in slice t (CNY per PFLOPS·h run there, hardware PFLOPS): the least
  over the hardware h at s of the running cost PUE[s] × (1 − idle[h]) × kW[h] / PFLOPS[h] / 1000
  × price[s,t] (MWh per PFLOPS·h × CNY/MWh, grid price) plus the capacity row's dual
  |λ(capacity[s,h,t])| / w[t] (what one more PFLOPS·h of capacity would save: zero while the
  hardware has room).
* **Average cost per PFLOPS·h served** per region: each site's annual cost (opening, hardware,
  O&M, energy, green premium, carbon; network costs are left out) divided by the work placed
  there (PFLOPS·h/yr, demand units), weighted by where the region's work runs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd
import pyomo.environ as pyo

SITE_COSTS = (
    "open cost CNY/yr",
    "hardware capex CNY/yr",
    "fixed O&M CNY/yr",
    "energy cost CNY/yr",
    "green premium CNY/yr",
    "carbon cost CNY/yr",
)


def _dual(duals: dict[Any, float], con: Any) -> float | None:
    v = duals.get(con)
    return None if v is None else float(v)


def demand_prices(m: pyo.ConcreteModel, d: Any, duals: dict[Any, float]) -> pd.DataFrame:
    """class, region, slice, marginal CNY per PFLOPS·h of demand (module docstring)."""
    b = m.placement
    W = d.weight
    rows = []
    for (j, r, t), con in b.demand_met.items():
        v = _dual(duals, con)
        if v is not None:
            rows.append({"class": j, "region": r, "slice": t, "marginal CNY/PFLOPS·h": v / W[t]})
    for (j, r, day), con in b.demand_met_per_day.items():
        v = _dual(duals, con)
        if v is not None:
            rows += [
                {"class": j, "region": r, "slice": t, "marginal CNY/PFLOPS·h": v}
                for t in d.DAYS[day]
                if (j, r, t) in d.demand
            ]
    if hasattr(b, "transport_balance"):
        regions = {r for (_j, r) in d.DEMAND_JR}
        for (j, v_, t), con in b.transport_balance.items():
            if d.shiftable[j] or v_ not in regions or (j, v_, t) not in d.demand:
                continue
            v = _dual(duals, con)
            if v is not None:
                rows.append(
                    {"class": j, "region": v_, "slice": t, "marginal CNY/PFLOPS·h": v / W[t]}
                )
    return pd.DataFrame(rows, columns=["class", "region", "slice", "marginal CNY/PFLOPS·h"])


def site_prices(
    m: pyo.ConcreteModel, d: Any, duals: dict[Any, float], modules: dict[tuple[str, str], float]
) -> pd.DataFrame:
    """site, slice, running, capacity value and marginal CNY per PFLOPS·h at sites with hardware."""
    W = d.weight
    rows = []
    cap = m.sizing.capacity
    for s in d.SITES:
        hws = [h for h in d.HW if modules.get((s, h), 0) > 0.5 and d.pflops[h] > 0]
        if not hws:
            continue
        for t in d.SLICES:
            best = None
            for h in hws:
                run = d.pue[s] * (1 - d.idle_frac[h]) * d.kw[h] / d.pflops[h] / 1000 * d.price[s, t]
                con = cap[s, h, t] if (s, h, t) in cap else None
                scarce = abs(_dual(duals, con) or 0.0) / W[t] if con is not None else 0.0
                if best is None or run + scarce < best[0] + best[1]:
                    best = (run, scarce, h)
            assert best is not None
            rows.append(
                {
                    "site": s,
                    "region": d.site_region[s],
                    "slice": t,
                    "running CNY/PFLOPS·h": best[0],
                    "capacity value CNY/PFLOPS·h": best[1],
                    "marginal CNY/PFLOPS·h": best[0] + best[1],
                    "hardware": best[2],
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "site",
            "region",
            "slice",
            "running CNY/PFLOPS·h",
            "capacity value CNY/PFLOPS·h",
            "marginal CNY/PFLOPS·h",
            "hardware",
        ],
    )


def region_prices(
    d: Any,
    demand: pd.DataFrame,
    placement: pd.DataFrame,
    sites: pd.DataFrame,
    demand_jrt: dict[tuple[str, str, str], float],
) -> pd.DataFrame:
    """Per region: demand-weighted marginal price and average cost per PFLOPS·h served (module docstring)."""
    W = d.weight
    site_cost = {
        row["site"]: sum(float(row[c]) for c in SITE_COSTS) for row in sites.to_dict("records")
    }
    placed = placement.groupby("site")["PFLOPS·h/yr"].sum().to_dict() if len(placement) else {}
    avg = {s: site_cost[s] / v for s, v in placed.items() if v > 0}
    num: dict[str, float] = defaultdict(float)
    den: dict[str, float] = defaultdict(float)
    for r, s, v in zip(placement["region"], placement["site"], placement["PFLOPS·h/yr"]):
        if s in avg:
            num[r] += v * avg[s]
            den[r] += v
    mnum: dict[str, float] = defaultdict(float)
    mden: dict[str, float] = defaultdict(float)
    for j, r, t, p in zip(
        demand["class"], demand["region"], demand["slice"], demand["marginal CNY/PFLOPS·h"]
    ):
        w = W[t] * demand_jrt.get((j, r, t), 0.0)
        mnum[r] += w * p
        mden[r] += w
    regions = (
        [r for r in d.REGIONS if den.get(r) or mden.get(r)]
        if hasattr(d, "REGIONS")
        else sorted(set(den) | set(mden))
    )
    rows = [
        {
            "region": r,
            "served PFLOPS·h/yr": den.get(r, 0.0),
            "average cost CNY/PFLOPS·h": num[r] / den[r] if den.get(r) else None,
            "marginal CNY/PFLOPS·h (demand-weighted)": mnum[r] / mden[r] if mden.get(r) else None,
        }
        for r in regions
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "region",
            "served PFLOPS·h/yr",
            "average cost CNY/PFLOPS·h",
            "marginal CNY/PFLOPS·h (demand-weighted)",
        ],
    )


def prices(
    m: pyo.ConcreteModel,
    d: Any,
    outcome: Any,
    placement: pd.DataFrame,
    sites: pd.DataFrame,
    modules: dict[tuple[str, str], float],
) -> dict[str, pd.DataFrame]:
    """``region``, ``site`` and ``demand`` price tables of a solved plan (empty without duals)."""
    duals = outcome.duals or {}
    if not duals:
        return {}
    dem = demand_prices(m, d, duals)
    return {
        "region": region_prices(d, dem, placement, sites, dict(d.demand)),
        "site": site_prices(m, d, duals, modules),
        "demand": dem,
    }
