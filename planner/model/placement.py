"""Placement: where each region's work runs in each slice, and what is left unserved.

Constraint 1 (docs/model.md §5): demand per (j, r, t), or per representative day for shiftable
classes; single-site classes pick one site with a binary. Placement is split in two (exact, and
about |H| times fewer variables than ``x[j,r,s,h,t]``): ``x[j,r,s,t]`` says where work runs and
``y[j,s,h,t]`` which hardware carries it, tied by ``Σ_r x[j,r,s,t] = Σ_h y[j,s,h,t]`` — efficiency
depends on (j, h) only, so any per-region hardware split can be aggregated and disaggregated.
Expression ``load[s,h,t] = Σ_j y[j,s,h,t] / efficiency[j,h]`` (PFLOPS of hardware capacity used).
Cost terms: ``serving_cost``, ``unserved_cost``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from ..data import PlanningData
from .registry import CostRegistry


def add_placement(m: pyo.ConcreteModel, data: PlanningData, costs: CostRegistry) -> None:
    """Add ``x``, ``y``, ``unserved``, ``assign``, demand constraints and ``load`` to ``m.placement``."""
    d = data
    b = m.placement = pyo.Block()
    b.x = pyo.Var(
        d.X, domain=pyo.NonNegativeReals, doc="PFLOPS of class j from r served at s in slice t"
    )
    b.y = pyo.Var(
        d.Y,
        domain=pyo.NonNegativeReals,
        doc="PFLOPS of class j served at s on hardware h in slice t",
    )
    hard = not d.scenario.policy.allow_unserved
    b.unserved = pyo.Var(
        d.UNSERVED,
        domain=pyo.NonNegativeReals,
        bounds=(0, 0) if hard else (0, None),
        doc="PFLOPS of demand not served (fixed at 0 when policy.allow_unserved is false; whole jobs: planner.model.job_leftover)",
    )
    by_jrt = d.x_by_demand_slice()

    transport = set(d.TRANSPORT)
    fixed = [k for k in d.UNSERVED if not d.shiftable[k[0]] and k[0] not in transport]

    @b.Constraint(fixed, doc="Σ_{s,h} x[j,r,s,h,t] + unserved[j,r,t] = d[j,r,t]")
    def demand_met(b: Any, j: str, r: str, t: str) -> Any:
        return (
            quicksum(b.x[k] for k in by_jrt.get((j, r, t), ())) + b.unserved[j, r, t]
            == d.demand[j, r, t]
        )

    unserved_of = set(d.UNSERVED)
    day_rows = [
        (j, r, day)
        for (j, r) in d.DEMAND_JR
        if d.shiftable[j]
        for day in d.DAYS
        if any((j, r, t) in d.demand for t in d.DAYS[day])
    ]

    b.release = pyo.Var(
        d.RELEASE,
        domain=pyo.NonNegativeReals,
        doc="PFLOPS of shiftable transport class j's work from r done in slice t",
    )

    @b.Constraint(
        day_rows,
        doc="Σ_{t∈day} w[t] (Σ x + unserved) = Σ_{t∈day} w[t] d[j,r,t] (release instead of Σ x in transport form)",
    )
    def demand_met_per_day(b: Any, j: str, r: str, day: str) -> Any:
        ts = d.DAYS[day]
        if j in transport:
            served = quicksum(d.weight[t] * b.release[j, r, t] for t in ts)
        else:
            served = quicksum(d.weight[t] * b.x[k] for t in ts for k in by_jrt.get((j, r, t), ()))
        short = quicksum(d.weight[t] * b.unserved[j, r, t] for t in ts if (j, r, t) in unserved_of)
        return served + short == sum(d.weight[t] * d.demand.get((j, r, t), 0.0) for t in ts)

    # single-site classes
    b.assign = pyo.Var(d.ASSIGN, domain=pyo.Binary, doc="region r's class-j work runs at site s")
    sites_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    for j, r, s in d.ASSIGN:
        sites_of[j, r].append(s)

    @b.Constraint(list(sites_of), doc="Σ_s assign[j,r,s] = 1")
    def one_site(b: Any, j: str, r: str) -> Any:
        return quicksum(b.assign[j, r, s] for s in sites_of[j, r]) == 1

    single = [k for k in d.X if d.single_site[k[0]]]
    peak = _peak_service(d)

    @b.Constraint(single, doc="x[j,r,s,t] ≤ d̂[j,r,t] × assign[j,r,s]")
    def only_assigned_site(b: Any, j: str, r: str, s: str, t: str) -> Any:
        cap = d.demand.get((j, r, t), 0.0) if not d.shiftable[j] else peak[j, r]
        return b.x[j, r, s, t] <= cap * b.assign[j, r, s]

    # valid inequality (facility location): work runs only at an open site. Implied by the
    # capacity and open-before-use rows in the MILP, but much tighter in the LP relaxation.
    @b.Constraint(d.X, doc="x[j,r,s,t] ≤ d̂[j,r,t] × open[s]")
    def only_open_sites(b: Any, j: str, r: str, s: str, t: str) -> Any:
        cap = d.demand.get((j, r, t), 0.0) if not d.shiftable[j] else peak[j, r]
        return b.x[j, r, s, t] <= cap * m.sizing.open[s]

    # hardware split: the work of class j at (s, t) is carried by the hardware there
    x_by_jst: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for k in d.X:
        x_by_jst[k[0], k[2], k[3]].append(k)
    y_by_jst: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for k in d.Y:
        y_by_jst[k[0], k[1], k[3]].append(k)

    @b.Constraint(list(x_by_jst), doc="Σ_r x[j,r,s,t] = Σ_h y[j,s,h,t]")
    def hardware_split(b: Any, j: str, s: str, t: str) -> Any:
        return quicksum(b.x[k] for k in x_by_jst[j, s, t]) == quicksum(
            b.y[k] for k in y_by_jst[j, s, t]
        )

    _add_transport(m, d)

    # load per (s, h, t)
    by_sht = d.y_by_site_hw_slice()
    b.load = pyo.Expression(
        list(by_sht),
        rule=lambda b, s, h, t: quicksum(b.y[k] / d.efficiency[k[0], h] for k in by_sht[s, h, t]),
        doc="PFLOPS of h's capacity used at s in t: Σ_j y / efficiency",
    )

    costs.add(
        "serving_cost",
        quicksum(
            d.weight[k[3]] * d.serving_cost[k[1], k[2]] * b.x[k]
            for k in d.X
            if d.serving_cost.get((k[1], k[2]))
        ),
        "Σ w[t] × serving cost[r,s] × x (CNY per PFLOPS·h)",
    )
    costs.add(
        "unserved_cost",
        quicksum(d.weight[k[2]] * d.unserved_cost[k[0]] * b.unserved[k] for k in d.UNSERVED),
        "Σ w[t] × unserved_cost[j] × unserved (price of work left undone)",
    )


def _add_transport(m: pyo.Block, d: PlanningData) -> None:
    """Classes without a latency limit as a transport problem (exact; no origin in the placement).

    ``ship[j,a,t]`` (PFLOPS of class ``j``'s work carried over arc ``a``) and, at every node ``v``:
    ``Σ_{s at v, h} y[j,s,h,t] + Σ_{a out of v} ship − Σ_{a into v} ship = d[j,v,t] − unserved[j,v,t]``
    (shiftable classes: ``= release[j,v,t]``, whose day total is the day's demand less unserved).
    On a signed link (``d.SIGNED``) only the forward arc ``l>`` has a column, free in sign: the
    balance above then nets both directions, and the network counts ``−ship`` on ``l<``.
    Work that needs no bandwidth is one national pool (node ``*``: every site, every region). Any
    per-pair placement of such a class gives a feasible transport plan of the same cost and back
    (flow decomposition), because nothing in its costs or targets depends on the origin.
    """
    b = m.placement
    b.ship = pyo.Var(
        d.SHIP,
        domain=lambda _, j, a, t: pyo.Reals if a[:-1] in d.SIGNED else pyo.NonNegativeReals,
        doc="PFLOPS of transport class j's work sent over arc a in slice t (signed links: over l>, negative over l<)",
    )
    transport = set(d.TRANSPORT)
    y_at: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for k in d.Y:
        if k[0] in transport:
            y_at[k[0], d.site_node(k[0], k[1]), k[3]].append(k)
    out_arcs: dict[str, list[str]] = defaultdict(list)
    in_arcs: dict[str, list[str]] = defaultdict(list)
    for a in d.ARCS:
        out_arcs[a.tail].append(a.name)
        in_arcs[a.head].append(a.name)
    ship = set(d.SHIP)
    release = set(d.RELEASE)
    unserved = set(d.UNSERVED)
    regions = {j: [r for (jj, r) in d.DEMAND_JR if jj == j] for j in d.TRANSPORT}

    @b.Constraint(
        d.TNODE,
        doc="Σ_{s at v} y + ship out − ship in = d[j,v,t] − unserved[j,v,t] (or release[j,v,t])",
    )
    def transport_balance(b: Any, j: str, v: str, t: str) -> Any:
        here = quicksum(b.y[k] for k in y_at.get((j, v, t), ()))
        net = quicksum(b.ship[j, a, t] for a in out_arcs[v] if (j, a, t) in ship) - quicksum(
            b.ship[j, a, t] for a in in_arcs[v] if (j, a, t) in ship
        )
        origins = regions[j] if v == "*" else [v] if v in regions[j] else []
        if d.shiftable[j]:
            return here + net == quicksum(
                b.release[j, r, t] for r in origins if (j, r, t) in release
            )
        short = quicksum(b.unserved[j, r, t] for r in origins if (j, r, t) in unserved)
        return here + net + short == sum(d.demand.get((j, r, t), 0.0) for r in origins)


def _peak_service(d: PlanningData) -> dict[tuple[str, str], float]:
    """Most PFLOPS a shiftable (j, r) can place in one slice: its day's work in the shortest slice."""
    out: dict[tuple[str, str], float] = defaultdict(float)
    for j, r in d.DEMAND_JR:
        if not d.shiftable[j]:
            continue
        for ts in d.DAYS.values():
            tot = sum(d.weight[t] * d.demand.get((j, r, t), 0.0) for t in ts)
            out[j, r] = max(out[j, r], tot / min(d.weight[t] for t in ts))
    return out
