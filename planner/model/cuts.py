"""Valid inequalities: rows every integer plan satisfies anyway, added to tighten the LP relaxation.

None of them cuts off an integer plan, so the optimum is unchanged; they raise the relaxation's
bound and make its rounding better (docs/model.md §10, "Valid inequalities").

- ``open_capacity_covers_peak`` (only when ``policy.allow_unserved`` is false): the capacity the
  open sites could hold covers the peak requirement,
  ``Σ_s K[s] × open[s] ≥ P``, with ``K[s]`` the most PFLOPS site ``s`` can hold (the least of its
  module bounds, its power envelope at the densest hardware and ``max_modules`` at the largest
  module) and ``P`` the least installed PFLOPS that can serve all demand: the largest of each
  slice's non-shiftable work and, per representative day, the day's non-shiftable and shiftable
  work spread evenly over its hours (each class at its best efficiency; classes in whole jobs,
  which may leave a remainder unserved, left out). The knapsack-cover row of capacitated facility
  location.
- ``flow_needs_built`` (routing ``flow``, links with a fixed cost and no existing units): each
  destination's flow on an arc is at most ``min(what could ever head there, the arc's largest
  capacity) × built[l]`` — the strong linking rows of fixed-charge network design, where the
  aggregate row ``units ≤ max_units × built`` alone is weak. ``ship_needs_built``: the same row
  for each transport class's shipments, when there are two or more such classes (each is a
  commodity). With one class it is the aggregate row again: on the default China scenario it left
  the LP bound unchanged and cost 1,488 rows, so it is not added there.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from ..data import PlanningData


def add_cuts(m: pyo.Block, d: PlanningData) -> None:
    """Add the valid inequalities that apply to ``m.cuts``."""
    b = m.cuts = pyo.Block()
    b.flow_needs_built = pyo.Constraint(pyo.Any)  # filled by _linking; empty when the cuts are off
    b.ship_needs_built = pyo.Constraint(pyo.Any)
    if not d.scenario.solver.valid_inequalities:
        return
    if not d.scenario.policy.allow_unserved:
        _open_capacity(b, m, d)
    _linking(b, m, d)


def peak_requirement(d: PlanningData) -> float:
    """``P``: the least installed PFLOPS that can serve every demand (see the module docstring)."""
    best_eff = {j: max([d.efficiency[j, h] for h in d.HW] or [1.0]) for j in d.CLASSES}
    fixed_t: dict[str, float] = defaultdict(float)
    shift_day: dict[str, float] = defaultdict(float)
    day_of = {t: day for day, ts in d.DAYS.items() for t in ts}
    whole = set(d.job_pflops) | {j for j, _h in d.job_card_size}
    for (j, _r, t), v in d.demand.items():
        if j in whole:  # may leave a remainder unserved (planner.model.job_leftover)
            continue
        if d.shiftable[j]:
            shift_day[day_of[t]] += d.weight[t] * v / best_eff[j]
        else:
            fixed_t[t] += v / best_eff[j]
    peak = max(fixed_t.values(), default=0.0)
    for day, ts in d.DAYS.items():
        hours = sum(d.weight[t] for t in ts)
        if hours > 0:
            peak = max(peak, (sum(d.weight[t] * fixed_t[t] for t in ts) + shift_day[day]) / hours)
    return peak


def site_capacity_bound(d: PlanningData, s: str) -> float:
    """``K[s]``: the most PFLOPS site ``s`` can hold."""
    hw = [h for h in d.HW if d.module_bound[s, h] > 0]
    if not hw:
        return 0.0
    bounds = [sum(d.pflops[h] * d.module_bound[s, h] for h in hw)]
    if all(d.kw[h] > 0 for h in hw):
        bounds.append(1000 * d.max_it_mw[s] * max(d.pflops[h] / d.kw[h] for h in hw))
    most = d.max_modules_site[s]
    if most is not None:
        bounds.append(most * max(d.pflops[h] for h in hw))
    return min(bounds)


def _open_capacity(b: pyo.Block, m: pyo.Block, d: PlanningData) -> None:
    need = peak_requirement(d)
    K = {s: site_capacity_bound(d, s) for s in d.SITES}
    free = [s for s in d.SITES if K[s] > 0 and not m.sizing.open[s].fixed]
    if need <= 0 or not free or sum(K.values()) < need:
        return  # nothing to tighten, or no plan serves all demand (explained by the elastic re-solve)
    b.open_capacity_covers_peak = pyo.Constraint(
        expr=quicksum(K[s] * m.sizing.open[s] for s in d.SITES if K[s] > 0) >= need,
        doc="Σ_s K[s] × open[s] ≥ P (valid when no work may be left unserved)",
    )


def linking_bound(d: PlanningData, key: tuple[str, str, str]) -> float:
    """The coefficient of ``built[l]`` in ``flow_needs_built[a, n, t]``: ``min(Gbps that could head for n in t, capacity)``."""
    a, n, t = key
    most = sum(
        d.gbps_per_pflops[j] * _most_sent(d, j, r, t)
        for (j, r, s, tt) in d.X
        if tt == t and d.site_region[s] == n and n != r and d.gbps_per_pflops[j] > 0
    )
    lk = d.links[next(x.link for x in d.ARCS if x.name == a)]
    return min(most, lk.unit_gbps * lk.max_units)


def ship_bound(d: PlanningData, j: str, ln: str, t: str) -> float:
    """The coefficient of ``built[l]`` in ``ship_needs_built[j, a, t]``: ``min(j's work in t, capacity / gbps)``."""
    work = sum(_most_sent(d, j, r, t) for (jj, r) in d.DEMAND_JR if jj == j)
    return min(work, d.links[ln].unit_gbps * d.links[ln].max_units / d.gbps_per_pflops[j])


def _linking(b: pyo.Block, m: pyo.Block, d: PlanningData) -> None:
    built = m.network.built
    arc_link = {a.name: a.link for a in d.ARCS}

    def needs_built(a: str) -> bool:
        ln = arc_link[a]
        return ln in built and d.links[ln].existing_units == 0

    rows = [k for k in d.FLOW if needs_built(k[0])] if len(built) else []
    # Gbps that could ever head for node n in slice t (grouped once)
    to_node: dict[tuple[str, str], float] = defaultdict(float)
    for j, r, s, t in d.X if rows else ():
        n = d.site_region[s]
        if n != r and d.gbps_per_pflops[j] > 0:
            to_node[n, t] += d.gbps_per_pflops[j] * _most_sent(d, j, r, t)
    cap = {ln: d.links[ln].unit_gbps * d.links[ln].max_units for ln in d.links}

    for (
        a,
        n,
        t,
    ) in rows:  # flow[a,n,t] ≤ min(Gbps that could head for n in t, max capacity) × built[l]
        ln = arc_link[a]
        b.flow_needs_built[a, n, t] = (
            m.network.flow[a, n, t] <= min(to_node[n, t], cap[ln]) * built[ln]
        )
    # transport classes are commodities of their own: the same rows when there are several
    shippers = {j for j in d.TRANSPORT if d.gbps_per_pflops[j] > 0}
    if len(shippers) < 2 or not len(built):
        return
    for j, a, t in d.SHIP:  # ship[j,a,t] ≤ min(j's work in t, max capacity / gbps) × built[l]
        if needs_built(a):
            ln = arc_link[a]
            b.ship_needs_built[j, a, t] = (
                m.placement.ship[j, a, t] <= ship_bound(d, j, ln, t) * built[ln]
            )


def _most_sent(d: PlanningData, j: str, r: str, t: str) -> float:
    """The most PFLOPS of ``(j, r)`` that can run in slice ``t``: its demand, or its day's work in ``t``."""
    if not d.shiftable[j]:
        return d.demand.get((j, r, t), 0.0)
    for ts in d.DAYS.values():
        if t in ts:
            return sum(d.weight[u] * d.demand.get((j, r, u), 0.0) for u in ts) / d.weight[t]
    return math.inf
