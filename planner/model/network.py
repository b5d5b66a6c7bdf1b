"""Network: link units, remote traffic on arcs, link capacity.

Constraints (docs/model.md §5 and §10 "Lean formulation"): 6 link capacity and units, and the
traffic ``traffic[a,t]`` (Gbps) on each arc, which depends on ``network.routing``:

- ``path`` (default): the remote work of a (region, site) pair of a class with a latency limit
  runs over the pair's least-latency path, ``traffic[a,t] = Σ_{pairs with a on their path}
  gbps_per_pflops[j] × x[j,r,s,t]`` — no flow variables;
- ``flow``: routed flows per destination node with conservation (constraint 5), exact
  multi-commodity routing over any links.

Either way, transport-form classes add ``gbps_per_pflops[j] × ship[j,a,t]``. Cost terms:
``network_capex`` (new units, fixed cost) and ``network_usage`` (per TB carried and network
energy). Expression ``network_mwh[t]`` (MWh per hour).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from ..data import TB_PER_GBPS_HOUR, PlanningData
from .registry import CostRegistry, share


def directed_ship(
    d: PlanningData, ship: dict[tuple[str, str, str], float]
) -> dict[tuple[str, str, str], float]:
    """Shipments per directed arc: a signed link's column split into ``l>`` (positive) and ``l<`` (negative)."""
    out: dict[tuple[str, str, str], float] = {}
    for (j, a, t), v in ship.items():
        if a[:-1] in d.SIGNED:
            out[j, a, t] = max(v, 0.0)
            out[j, f"{a[:-1]}<", t] = max(-v, 0.0)
        else:
            out[j, a, t] = v
    return out


def arc_traffic(m: pyo.Block, d: PlanningData) -> dict[tuple[str, str], float]:
    """Gbps carried on each (arc, slice) of a solved model.

    On a signed link (which carries nothing but one class's shipments) the model's ``traffic``
    is ``gbps × ship`` on ``l>`` and its negative on ``l<``; each direction here gets its own
    (non-negative) part.
    """
    out = {k: float(pyo.value(e, exception=False) or 0.0) for k, e in m.network.traffic.items()}
    if d.SIGNED:
        for (j, a, t), v in m.placement.ship.items():
            ln = a[:-1]
            if ln in d.SIGNED:
                f = d.gbps_per_pflops[j] * (v.value or 0.0)
                out[f"{ln}>", t] = out.get((f"{ln}>", t), 0.0) + max(-f, 0.0)
                out[f"{ln}<", t] = out.get((f"{ln}<", t), 0.0) + max(f, 0.0)
    return out


def add_network(
    m: pyo.ConcreteModel, data: PlanningData, costs: CostRegistry, shared: pyo.Block | None = None
) -> None:
    """Add ``units``, ``built``, ``traffic`` (and ``flow`` under routing ``flow``) and their rows to ``m.network``.

    With ``shared`` (demand futures: the block of the first future), ``units`` and ``built`` are
    references to that block's variables and their linking row is not repeated.
    """
    d = data
    b = m.network = pyo.Block()
    L = list(d.links)
    with_fixed = [
        ln
        for ln in L
        if d.links[ln].fixed_cost > 0 and d.links[ln].max_units > d.links[ln].existing_units
    ]
    if shared is not None:
        b.units = share(shared.network.units)
        b.built = share(shared.network.built)
    else:
        b.units = pyo.Var(
            L,
            domain=pyo.NonNegativeIntegers,
            bounds=lambda _, ln: (d.links[ln].existing_units, d.links[ln].max_units),
            doc="link units in service",
        )
        b.built = pyo.Var(with_fixed, domain=pyo.Binary, doc="link ln has new units")

    @b.Constraint(
        with_fixed if shared is None else [],
        doc="units − existing ≤ (max_units − existing) × built (= when one unit can be added)",
    )
    def units_need_built(b: Any, ln: str) -> Any:
        lk = d.links[ln]
        if lk.max_units - lk.existing_units == 1:
            # one new unit at most: built is that unit (built = 1 with no new unit only adds the fixed
            # cost, so no optimum is lost); presolve then keeps one integer per link, not two
            return b.units[ln] - lk.existing_units == b.built[ln]
        return b.units[ln] - lk.existing_units <= (lk.max_units - lk.existing_units) * b.built[ln]

    b.flow = pyo.Var(
        d.FLOW,
        domain=pyo.NonNegativeReals,
        doc="Gbps on arc a bound for node n in slice t (routing: flow)",
    )
    x = m.placement.x
    # Gbps on each (arc, slice): a list of (coefficient, variable)
    load: dict[tuple[str, str], list[Any]] = defaultdict(list)
    if d.routing == "path":
        for k in d.X:
            j, r, s, t = k
            n = d.site_region[s]
            if n != r and d.gbps_per_pflops[j] > 0:
                for a in d.PATH[r, n]:
                    load[a, t].append((d.gbps_per_pflops[j], x[k]))
    else:
        _add_routed_flows(b, m, d)
        for fk in d.FLOW:
            load[fk[0], fk[2]].append((1.0, b.flow[fk]))
    ship = m.placement.ship
    for sk in d.SHIP:
        load[sk[1], sk[2]].append((d.gbps_per_pflops[sk[0]], ship[sk]))
        if (
            sk[1][:-1] in d.SIGNED
        ):  # one signed column per link: negative shipments use the reverse arc
            load[f"{sk[1][:-1]}<", sk[2]].append((-d.gbps_per_pflops[sk[0]], ship[sk]))
    arc_link = {a.name: a.link for a in d.ARCS}
    ARC_T = [(a.name, t) for t in d.SLICES for a in d.ARCS if (a.name, t) in load]
    b.traffic = pyo.Expression(
        ARC_T,
        rule=lambda b, a, t: quicksum(c * v for c, v in load[a, t]),
        doc="Gbps on arc a in slice t",
    )

    @b.Constraint(ARC_T, doc="traffic[a,t] ≤ unit_gbps[ln] × units[ln]")
    def link_capacity(b: Any, a: str, t: str) -> Any:
        ln = arc_link[a]
        return b.traffic[a, t] <= d.links[ln].unit_gbps * b.units[ln]

    # network energy (MWh per hour)
    kwh = {a.name: d.links[a.link].kwh_per_tb for a in d.ARCS}
    usage = {a.name: d.links[a.link].usage_cost_tb for a in d.ARCS}
    arcs_in_slice: dict[str, list[str]] = defaultdict(list)
    for a, t in ARC_T:
        if kwh[a]:
            arcs_in_slice[t].append(a)
    b.network_mwh = pyo.Expression(
        d.SLICES,
        rule=lambda b, t: quicksum(
            TB_PER_GBPS_HOUR * kwh[a] / 1000 * b.traffic[a, t] for a in arcs_in_slice[t]
        ),
        doc="network energy, MWh per hour of slice t",
    )
    costs.add(
        "network_capex",
        quicksum(
            d.links[ln].unit_cost * (b.units[ln] - d.links[ln].existing_units)
            for ln in L
            if d.links[ln].unit_cost
        )
        + quicksum(d.links[ln].fixed_cost * b.built[ln] for ln in with_fixed),
        "Σ unit_cost × new units + fixed_cost × built (CNY/yr)",
    )
    costs.add(
        "network_usage",
        quicksum(
            d.weight[t] * TB_PER_GBPS_HOUR * usage[a] * b.traffic[a, t]
            for (a, t) in ARC_T
            if usage[a]
        )
        + quicksum(
            d.weight[t] * d.network_price * b.network_mwh[t] for t in d.SLICES if d.network_price
        ),
        "Σ w × (usage_cost_tb × TB carried + network energy × network energy price)",
    )


def _add_routed_flows(b: pyo.Block, m: pyo.Block, d: PlanningData) -> None:
    """Routing ``flow``: conservation of ``flow[a, n, t]`` per destination node (model.md §5, 5).

    At every region ``v ≠ n``: ``Σ_out flow[·,n,t] − Σ_in flow[·,n,t] = g[v,n,t]``, the Gbps of
    remote work from ``v`` served at sites of node ``n``.
    """
    g: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for k in d.X:
        j, r, s, t = k
        n = d.site_region[s]
        if n != r and d.gbps_per_pflops[j] > 0:
            g[r, n, t].append(k)
    x = m.placement.x
    out_arcs: dict[str, list[str]] = defaultdict(list)
    in_arcs: dict[str, list[str]] = defaultdict(list)
    flow_arcs = {a for (a, _, _) in d.FLOW}
    for a in d.ARCS:
        if a.name in flow_arcs:
            out_arcs[a.tail].append(a.name)
            in_arcs[a.head].append(a.name)
    flow_slices: dict[str, set[str]] = defaultdict(set)
    for _, n, t in d.FLOW:
        flow_slices[n].add(t)
    rows = [
        (v, n, t)
        for n in d.DEST
        for t in d.SLICES
        if t in flow_slices[n]
        for v in d.REGIONS
        if v != n and (out_arcs[v] or in_arcs[v] or (v, n, t) in g)
    ]

    @b.Constraint(rows, doc="Σ_out flow[·,n,t] − Σ_in flow[·,n,t] = g[v,n,t] at every v ≠ n")
    def conservation(b: Any, v: str, n: str, t: str) -> Any:
        out = quicksum(b.flow[a, n, t] for a in out_arcs[v])
        inn = quicksum(b.flow[a, n, t] for a in in_arcs[v])
        src = quicksum(d.gbps_per_pflops[k[0]] * x[k] for k in g.get((v, n, t), ()))
        return out - inn == src
