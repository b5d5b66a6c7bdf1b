"""Where transport-form work came from: placements ``x[j, r, s, t]`` recovered from shipments.

A class in transport form (docs/model.md §10, "Lean formulation") has no origin in its placement:
the model knows how much work each site does (``y``), what each region leaves undone or releases,
and how much work crosses each arc (``ship``). The report still wants region × site placements.
They follow by *flow decomposition*: from each region's work, follow arcs that carry shipments
until a node whose sites still have work to do, and credit that much to the (region, node) pair;
circulations (which carry no work anywhere) are cancelled on the way. Within a node, work is
shared among its sites in proportion to what each does. Work that needs no bandwidth (one national
pool) is shared among all sites in proportion. Every unit of served demand is placed exactly once,
so the placements add up to each region's served demand and to each site's work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from .data import PlanningData

#: Values below this share of the largest value in a decomposition are treated as zero.
REL_EPS = 1e-9


def decompose_flows(
    supply: Mapping[str, float],
    consume: Mapping[str, float],
    arcs: Mapping[str, tuple[str, str, float]],
) -> dict[tuple[str, str], float]:
    """Split node supplies into (origin, destination) amounts along arc flows.

    ``supply[v]`` is work originating at ``v``, ``consume[v]`` work done at ``v`` and
    ``arcs[name] = (tail, head, flow)``, with flow conserved: ``supply + in = consume + out`` at
    every node. Returns ``{(origin, destination): amount}``.
    """
    scale = max([*supply.values(), *consume.values(), *(f for *_, f in arcs.values()), 0.0])
    eps = REL_EPS * max(scale, 1.0)
    sup = {v: q for v, q in supply.items() if q > eps}
    con = {v: q for v, q in consume.items() if q > eps}
    flow = {a: f for a, (_, _, f) in arcs.items() if f > eps}
    out_of: dict[str, list[str]] = defaultdict(list)
    for a, (tail, _, _) in arcs.items():
        out_of[tail].append(a)
    head = {a: h for a, (_, h, _) in arcs.items()}
    result: dict[tuple[str, str], float] = defaultdict(float)
    for origin in list(sup):
        while sup.get(origin, 0.0) > eps:
            path: list[str] = []
            nodes = [origin]
            v = origin
            while con.get(v, 0.0) <= eps:
                nxt = next((a for a in out_of[v] if flow.get(a, 0.0) > eps), None)
                if nxt is None:
                    break
                w = head[nxt]
                if w in nodes:  # a circulation: cancel it and go on from w
                    i = nodes.index(w)
                    cycle = path[i:] + [nxt]
                    low = min(flow[a] for a in cycle)
                    for a in cycle:
                        flow[a] -= low
                    del path[i:], nodes[i + 1 :]
                    v = w
                    continue
                path.append(nxt)
                nodes.append(w)
                v = w
            if con.get(v, 0.0) <= eps:  # work with nowhere to go (rounding): stop here
                sup[origin] = 0.0
                break
            amount = min([sup[origin], con[v], *(flow[a] for a in path)])
            sup[origin] -= amount
            con[v] -= amount
            for a in path:
                flow[a] -= amount
            result[origin, v] += amount
    return dict(result)


Key3 = tuple[str, str, str]
Key4 = tuple[str, str, str, str]


def transport_placements(
    d: PlanningData,
    y: Mapping[Key4, float],
    ship: Mapping[Key3, float],
    unserved: Mapping[Key3, float],
    release: Mapping[Key3, float],
) -> dict[Key4, float]:
    """``x[j, r, s, t]`` (PFLOPS) of every transport-form class, from a solved plan's values."""
    out: dict[Key4, float] = {}
    arc_by = {a.name: a for a in d.ARCS}
    regions = {j: [r for (jj, r) in d.DEMAND_JR if jj == j] for j in d.TRANSPORT}
    site_work: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (j, s, _h, t), v in y.items():
        if j in regions and v > 0:
            site_work[j, t][s] += v
    ships: dict[tuple[str, str], dict[str, tuple[str, str, float]]] = defaultdict(dict)
    for (j, a, t), v in ship.items():
        if v > 0:
            ships[j, t][a] = (arc_by[a].tail, arc_by[a].head, v)
    slices = sorted(
        {(j, t) for (j, _v, t) in d.TNODE},
        key=lambda k: (d.CLASSES.index(k[0]), d.SLICES.index(k[1])),
    )
    for j, t in slices:
        works = site_work.get((j, t), {})
        if d.shiftable[j]:
            supply = {r: release.get((j, r, t), 0.0) for r in regions[j]}
        else:
            supply = {
                r: d.demand.get((j, r, t), 0.0) - unserved.get((j, r, t), 0.0) for r in regions[j]
            }
        node_of = {s: d.site_node(j, s) for s in works}
        consume: dict[str, float] = defaultdict(float)
        for s, v in works.items():
            consume[node_of[s]] += v
        if d.gbps_per_pflops[j] <= 0:
            pairs = {(r, "*"): q for r, q in supply.items() if q > 0}
        else:
            pairs = decompose_flows(supply, consume, ships.get((j, t), {}))
        for (r, node), q in pairs.items():
            total = consume[node]
            for s, v in works.items():
                if node_of[s] == node and total > 0:
                    out[j, r, s, t] = out.get((j, r, s, t), 0.0) + q * v / total
    return out
