"""A relaxation of each subproblem inside the master: ``θ_d ≥ R_d(x)``, linear in the investments.

Partial Benders decomposition (Crainic, Hewitt, Maggioni and Rei 2021): the master keeps, for
every subproblem ``d``, a small LP whose optimum ``R_d(x)`` never exceeds the subproblem's cost
``z_d(x, b)`` at any investments ``x`` and budgets ``b``, so ``θ_d ≥ R_d(x)`` is valid from the
first iteration and the cuts only have to learn what ``R_d`` leaves out. ``R_d`` keeps what made
the plain cut model slow on China: capacity too small for a slice's work costs that work's
unserved price (a kink that cuts learn one point at a time). It is the subproblem with the
sites of each hardware type pooled (docs/model.md §11, "Relaxation in the master"):

- ``y[j,h,t] ≥ 0``: PFLOPS of class ``j`` on hardware ``h`` in slice ``t`` (anywhere), and
  ``u[j,t] ≥ 0`` (or ``u[j,r,t] ∈ [0, d[j,r,t]]`` for region-bound classes): unserved work;
- capacity: ``Σ_j y[j,h,t] / e[j,h] ≤ p[h] × Σ_{s ∈ S(h,t)} modules[s,h]``;
- demand: ``Σ_h y[j,h,t] + u[j,t] = d[j,t]`` (non-shiftable), per day
  ``Σ_{t ∈ day} w[t] (Σ_h y + u) = Σ_{t ∈ day} w[t] d[j,t]`` (shiftable);
- region-bound classes (a latency limit: placements ``x[j,r,s,t]`` exist, not shiftable): each
  region's served work fits the capacity of its eligible sites,
  ``u[j,r,t] + Σ_{s ∈ E(j,r,t), h} e[j,h] p[h] modules[s,h] ≥ d[j,r,t]``, and
  ``Σ_h y[j,h,t] + Σ_r u[j,r,t] = Σ_r d[j,r,t]``;
- cost: ``θ_d ≥ Σ_t w[t] (Σ_j c_j u + Σ_{j,h} α[j,h,t] y[j,h,t]) + Σ_{s,h} β[s,h] modules[s,h]``.

Prices: with ``a[s,t]`` the least cost of one MWh at ``s`` in ``t`` (energy price, carbon price
and the energy and carbon weights, less what green power at its premium saves on carbon up to
``green_share_max``): ``α[j,h,t] = min_s a[s,t] × pue[s] × kw[h] (1 − idle[h]) / (1000 p[h] e[j,h])``
(the load's energy at the cheapest site that can carry it), ``β[s,h] = Σ_t w[t] a[s,t] pue[s]
kw[h] idle[h] / 1000`` (idle power: exact), ``c_j`` the unserved price at its objective weight.
Every other operating cost (serving, network, elastic slacks) is ≥ 0 and left out. Any
subproblem solution, summed over sites, is a point of this LP that costs no more: ``R_d ≤ z_d``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from ..data import PlanningData

log = logging.getLogger(__name__)


def applies(data: PlanningData) -> bool:
    """Whether ``R_d`` is a valid lower bound here: every price and objective weight non-negative."""
    d = data
    w = d.scenario.objective_weights
    if min(w.get("cost", 0.0), w.get("energy", 0.0), w.get("carbon", 0.0)) < 0:
        return False
    prices = [
        *d.price.values(),
        *d.green_premium.values(),
        *d.grid_ef.values(),
        d.carbon_price,
        *d.unserved_cost.values(),
        *d.pue.values(),
        *d.kw.values(),
    ]
    return min(prices, default=0.0) >= 0 and all(0 <= g <= 1 for g in d.green_max.values())


def mwh_price(d: PlanningData, s: str, t: str) -> float:
    """``a[s,t]``: the least objective cost of one MWh drawn at site ``s`` in slice ``t``.

    ``w_c (price + cp × ef) + w_e + w_t ef`` per MWh of grid power; green power (up to
    ``green_max`` of the energy) replaces ``ef`` tonnes at ``w_c × premium``: worth it when that is
    less than what the tonnes cost, ``(w_c cp + w_t) ef``.
    """
    w = d.scenario.objective_weights
    wc, we, wt = w.get("cost", 0.0), w.get("energy", 0.0), w.get("carbon", 0.0)
    ef = d.grid_ef.get((s, t), 0.0)
    tonne = wc * d.carbon_price + wt
    a = wc * (d.price.get((s, t), 0.0)) + we + tonne * ef
    g = d.green_max.get((s, t), 0.0)
    return max(0.0, a + g * min(0.0, wc * d.green_premium.get(s, 0.0) - tonne * ef))


def add_relaxation(
    b: pyo.Block, modules: Any, theta: Any, data: PlanningData, hard: bool = False
) -> int:
    """Add ``R_d`` of the subproblem on ``data`` (its slices only) to block ``b``; its rows count.

    ``modules`` is the master's ``sizing.modules`` (indexed by ``(s, h)``), ``theta`` the
    subproblem's ``θ_d``. ``hard`` (no work may be left unserved): ``u = 0``, so the rows say that
    the pooled capacity covers the work; every plan of the monolithic model meets them. (Priced at
    the subproblems' 10⁷ CNY per PFLOPS·h instead, the row ``θ_d ≥ …`` has terms of 10¹² and
    HiGHS 1.15's MIP, without presolve, calls the master infeasible at its root.)
    """
    d = data
    w = d.scenario.objective_weights
    w_pen = w.get("cost", 0.0) or 1.0  # the penalty terms enter at weight 1 when cost has none
    slices = list(d.SLICES)
    transport = set(d.TRANSPORT)
    regional = {j for (j, _r, _s, _t) in d.X if j not in transport and not d.shiftable[j]}
    # pooled hardware: classes and sites that can use each (h, t); cheapest energy per unit of y
    sites_ht: dict[tuple[str, str], set[str]] = defaultdict(set)
    alpha: dict[tuple[str, str, str], float] = {}
    a_st = {(s, t): mwh_price(d, s, t) for s in d.SITES for t in slices}
    for j, s, h, t in d.Y:
        sites_ht[h, t].add(s)
        mwh = d.pue[s] * d.kw[h] * (1 - d.idle_frac[h]) / (1000 * d.pflops[h] * d.efficiency[j, h])
        c = a_st[s, t] * mwh
        k = (j, h, t)
        alpha[k] = min(alpha.get(k, c), c)
    JHT = sorted(alpha)
    demand_jt: dict[tuple[str, str], float] = defaultdict(float)
    for (j, _r, t), v in d.demand.items():
        demand_jt[j, t] += v
    JT = sorted(k for k in demand_jt if k[0] not in regional)
    JRT = sorted(k for k in d.demand if k[0] in regional and d.demand[k] > 0)
    b.y = pyo.Var(JHT, domain=pyo.NonNegativeReals, doc="PFLOPS of j on pooled hardware h in t")
    b.u = pyo.Var(
        JT,
        domain=pyo.NonNegativeReals,
        bounds=(0.0, 0.0) if hard else (0.0, None),
        doc="unserved PFLOPS of class j in t",
    )
    b.ur = pyo.Var(
        JRT,
        domain=pyo.NonNegativeReals,
        bounds=lambda _, j, r, t: (0.0, 0.0 if hard else d.demand[j, r, t]),
        doc="unserved PFLOPS of region-bound class j from r in t",
    )
    y_of: dict[tuple[str, str], list[Any]] = defaultdict(list)
    load_of: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for j, h, t in JHT:
        y_of[j, t].append(b.y[j, h, t])
        load_of[h, t].append(b.y[j, h, t] / d.efficiency[j, h])
    b.capacity = pyo.Constraint(
        sorted(load_of),
        rule=lambda _, h, t: (
            quicksum(load_of[h, t])
            <= d.pflops[h] * quicksum(modules[s, h] for s in sorted(sites_ht[h, t]))
        ),
        doc="Σ_j y / e ≤ p[h] × Σ_s modules[s,h]",
    )
    ur_of: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for j, r, t in JRT:
        ur_of[j, t].append(b.ur[j, r, t])
    fixed = [(j, t) for (j, t) in sorted(demand_jt) if not d.shiftable[j]]
    b.demand = pyo.Constraint(
        fixed,
        rule=lambda _, j, t: (
            quicksum(y_of.get((j, t), [])) + (quicksum(ur_of[j, t]) if j in regional else b.u[j, t])
            == demand_jt[j, t]
        ),
        doc="Σ_h y + u = d (per slice)",
    )
    days = [
        (j, day)
        for j in d.CLASSES
        if d.shiftable[j]
        for day, ts in d.DAYS.items()
        if any(demand_jt.get((j, t), 0.0) > 0 for t in ts)
    ]
    b.demand_day = pyo.Constraint(
        days,
        rule=lambda _, j, day: (
            quicksum(
                d.weight[t] * (quicksum(y_of.get((j, t), [])) + b.u[j, t])
                for t in d.DAYS[day]
                if (j, t) in demand_jt
            )
            == sum(d.weight[t] * demand_jt.get((j, t), 0.0) for t in d.DAYS[day])
        ),
        doc="Σ_{t∈day} w (Σ_h y + u) = Σ_{t∈day} w d (shiftable)",
    )
    elig: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for j, r, s, t in d.X:
        if j in regional:
            elig[j, r, t].add(s)
    hw_of: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for j, s, h, t in d.Y:
        if j in regional:
            hw_of[j, s, t].add(h)
    b.regional = pyo.Constraint(
        JRT,
        rule=lambda _, j, r, t: (
            b.ur[j, r, t]
            + quicksum(
                d.efficiency[j, h] * d.pflops[h] * modules[s, h]
                for s in sorted(elig[j, r, t])
                for h in sorted(hw_of[j, s, t])
            )
            >= d.demand[j, r, t]
        ),
        doc="u[j,r,t] + Σ_{s ∈ E(j,r,t), h} e p modules ≥ d[j,r,t]",
    )
    idle = quicksum(
        sum(d.weight[t] * a_st[s, t] for t in slices)
        * d.pue[s]
        * d.kw[h]
        * d.idle_frac[h]
        / 1000
        * modules[s, h]
        for s, h in d.SITE_HW
        if d.module_bound[s, h] > 0 and d.idle_frac[h] > 0 and d.kw[h] > 0
    )
    cost = (
        quicksum(d.weight[t] * alpha[j, h, t] * b.y[j, h, t] for j, h, t in JHT if alpha[j, h, t])
        + quicksum(w_pen * d.weight[t] * d.unserved_cost[j] * b.u[j, t] for j, t in JT if not hard)
        + quicksum(
            w_pen * d.weight[t] * d.unserved_cost[j] * b.ur[j, r, t] for j, r, t in JRT if not hard
        )
        + idle
    )
    b.bound = pyo.Constraint(expr=theta >= cost, doc="θ_d ≥ R_d(x)")
    return len(b.capacity) + len(b.demand) + len(b.demand_day) + len(b.regional) + 1


def add_retained(
    b: pyo.Block,
    shared: pyo.Block,
    own: pyo.Block,
    theta: Any,
    data: PlanningData,
    hard: bool = False,
) -> int:
    """Keep subproblem ``d`` whole in the master (partial Benders): ``θ_d ≥`` its operating cost.

    The day's model is built on ``b`` by the model's own blocks (:func:`planner.model.populate`
    on the subproblem's data) with the investments ``open``, ``modules``, ``units``, ``built`` of
    block ``shared`` (the master's, or its first future's); single-site ``assign`` is tied to
    block ``own``'s by equality rows (its future's). Every variable of the copy is continuous (the
    investments are integer in the master), its objective is off, and the coupled targets'
    day rows are dropped (a relaxation: their budgets are the cuts' business), so its operating
    cost at any investments is at most the subproblem's: ``θ_d ≥ cost`` is valid. ``hard``: no work
    left unserved in the copy (every plan of the monolithic model has none). Returns its rows.
    """
    from ..model import populate
    from ..model.objective import objective_terms
    from .split import COUPLED, INVEST_TERMS

    populate(b, data, shared=shared)
    b.objective.deactivate()
    for t in b.policy_targets:
        if t.lever in COUPLED:
            t.constraint.deactivate()
    for v in b.component_data_objects(pyo.Var, descend_into=True):
        if (v.is_integer() or v.is_binary()) and _inside(v, b):
            lo, up = v.lb, v.ub
            v.domain = pyo.Reals
            v.setlb(lo)
            v.setub(up)
    if hard:
        for v in b.placement.unserved.values():
            v.fix(0.0)
    b.assign_link = pyo.Constraint(
        list(b.placement.assign.keys()),
        rule=lambda _, *k: b.placement.assign[k] == own.placement.assign[k],
        doc="the copy's single-site assignment is the master's",
    )
    w = data.scenario.objective_weights
    names = list(b.COST_TERMS)
    parts = [
        wk * b.cost_term[k]
        for k, wk in objective_terms(w, names)
        if k in b.COST_TERMS and wk and k not in INVEST_TERMS
    ]
    if w.get("energy"):
        parts.append(w["energy"] * b.energy.total_mwh)
    if w.get("carbon"):
        parts.append(w["carbon"] * b.energy.carbon)
    b.bound = pyo.Constraint(expr=theta >= quicksum(parts), doc="θ_d ≥ the day's operating cost")
    return sum(len(c) for c in b.component_objects(pyo.Constraint, active=True))


def _inside(v: Any, b: pyo.Block) -> bool:
    """Whether variable ``v`` belongs to block ``b`` (the copy's own, not a shared investment)."""
    blk = v.parent_block()
    while blk is not None:
        if blk is b:
            return True
        blk = blk.parent_block()
    return False


def add_group_relaxation(
    b: pyo.Block,
    modules: Any,
    thetas: list[Any],
    datas: list[PlanningData],
    hard: bool = False,
) -> int:
    """``Σ_{d ∈ G} θ_d ≥ R_G(x)``: one relaxation for a group ``G`` of subproblems; its rows count.

    The rows of :func:`add_relaxation` for every day of every subproblem in ``G``, each multiplied
    by its slice's weight ``w[t]`` and summed over the slices that hold the same place ``k`` in
    their day (the ``k``-th hour): a non-negative combination of valid rows, so any point of the
    subproblems' relaxations, summed, is a point of this LP, and ``R_G ≤ Σ_{d ∈ G} R_d ≤ Σ z_d``.
    With ``Y[j,h,k] = Σ w[t] y[j,h,t]`` (PFLOPS·h) and ``U`` likewise:

    - capacity: ``Σ_j Y[j,h,k] / e[j,h] ≤ p[h] Σ_s c[s,h,k] modules[s,h]``,
      ``c[s,h,k] = Σ_{t at k: s ∈ S(h,t)} w[t]``;
    - demand (non-shiftable): ``Σ_h Y + U = Σ_{t at k} w[t] d[j,t]``; shiftable: over every ``k``
      at once, ``Σ_k (Σ_h Y + U) = Σ_t w[t] d[j,t]``;
    - region-bound classes: ``U[j,r,k] + Σ_{s,h} e p c'[j,r,s,h,k] modules[s,h] ≥ Σ_{t at k} w d``;
    - cost: ``α_G[j,h,k] = min_{t at k} α[j,h,t]`` per PFLOPS·h, idle power exact.

    Weaker than one relaxation per subproblem (a day short of capacity can borrow another's slack
    in the sum) and as small as one day's: the master of the whole year holds a few dozen of these
    instead of 365 (docs/model.md §11, "Relaxation in the master").
    """
    w = datas[0].scenario.objective_weights
    w_pen = w.get("cost", 0.0) or 1.0
    cap: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    alpha: dict[tuple[str, str, int], float] = {}
    dem: dict[tuple[str, int], float] = defaultdict(float)
    dem_r: dict[tuple[str, str, int], float] = defaultdict(float)
    elig: dict[tuple[str, str, int], dict[tuple[str, str], float]] = defaultdict(
        lambda: defaultdict(float)
    )
    idle: dict[tuple[str, str], float] = defaultdict(float)
    shiftable: set[str] = set()
    regional: set[str] = set()
    unserved_cost: dict[str, float] = {}
    first = datas[0]
    for d in datas:
        transport = set(d.TRANSPORT)
        reg = {j for (j, _r, _s, _t) in d.X if j not in transport and not d.shiftable[j]}
        regional |= reg
        shiftable |= {j for j in d.CLASSES if d.shiftable[j]}
        unserved_cost.update(d.unserved_cost)
        pos = {t: k for ts in d.DAYS.values() for k, t in enumerate(ts)}
        a_st = {(s, t): mwh_price(d, s, t) for s in d.SITES for t in d.SLICES}
        seen: set[tuple[str, str, str]] = set()
        for j, s, h, t in d.Y:
            k, wt = pos[t], d.weight[t]
            if (s, h, t) not in seen:
                seen.add((s, h, t))
                cap[h, k][s] += wt
            mwh = (
                d.pue[s]
                * d.kw[h]
                * (1 - d.idle_frac[h])
                / (1000 * d.pflops[h] * d.efficiency[j, h])
            )
            c = a_st[s, t] * mwh
            alpha[j, h, k] = min(alpha.get((j, h, k), c), c)
        for (j, r, t), v in d.demand.items():
            if v <= 0:
                continue
            if j in reg:
                dem_r[j, r, pos[t]] += d.weight[t] * v
            else:
                dem[j, pos[t]] += d.weight[t] * v
        hw_of: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for j, s, h, t in d.Y:
            if j in reg:
                hw_of[j, s, t].add(h)
        for j, r, s, t in d.X:
            if j in reg and d.demand.get((j, r, t), 0.0) > 0:
                for h in hw_of[j, s, t]:
                    elig[j, r, pos[t]][s, h] += d.weight[t]
        for s, h in d.SITE_HW:
            if d.module_bound[s, h] > 0 and d.idle_frac[h] > 0 and d.kw[h] > 0:
                idle[s, h] += (
                    sum(d.weight[t] * a_st[s, t] for t in d.SLICES)
                    * d.pue[s]
                    * d.kw[h]
                    * d.idle_frac[h]
                    / 1000
                )
    JHK = sorted(alpha)
    JK = sorted(dem)
    JRK = sorted(dem_r)
    b.y = pyo.Var(JHK, domain=pyo.NonNegativeReals, doc="PFLOPS·h of j on pooled h at hour k")
    b.u = pyo.Var(JK, domain=pyo.NonNegativeReals, bounds=(0.0, 0.0) if hard else (0.0, None))
    b.ur = pyo.Var(
        JRK,
        domain=pyo.NonNegativeReals,
        bounds=lambda _, j, r, k: (0.0, 0.0 if hard else dem_r[j, r, k]),
    )
    y_of: dict[tuple[str, int], list[Any]] = defaultdict(list)
    load_of: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for j, h, k in JHK:
        y_of[j, k].append(b.y[j, h, k])
        load_of[h, k].append(b.y[j, h, k] / first.efficiency[j, h])
    b.capacity = pyo.Constraint(
        sorted(load_of),
        rule=lambda _, h, k: (
            quicksum(load_of[h, k])
            <= first.pflops[h] * quicksum(c * modules[s, h] for s, c in sorted(cap[h, k].items()))
        ),
        doc="Σ_j Y / e ≤ p[h] Σ_s c[s,h,k] modules[s,h]",
    )
    ur_of: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for j, r, k in JRK:
        ur_of[j, k].append(b.ur[j, r, k])
    dem_rk: dict[tuple[str, int], float] = defaultdict(float)
    for (j, _r, k), v in dem_r.items():
        dem_rk[j, k] += v
    regional_jk = sorted(dem_rk)
    fixed = [jk for jk in JK if jk[0] not in shiftable] + regional_jk
    b.demand = pyo.Constraint(
        fixed,
        rule=lambda _, j, k: (
            quicksum(y_of.get((j, k), [])) + (quicksum(ur_of[j, k]) if j in regional else b.u[j, k])
            == (dem_rk[j, k] if j in regional else dem[j, k])
        ),
        doc="Σ_h Y + U = Σ_{t at k} w d (per hour of the day)",
    )
    shift = sorted({j for j, _k in JK if j in shiftable})
    b.demand_all = pyo.Constraint(
        shift,
        rule=lambda _, j: (
            quicksum(quicksum(y_of.get((j, k), [])) + b.u[j, k] for jj, k in JK if jj == j)
            == sum(v for (jj, _k), v in dem.items() if jj == j)
        ),
        doc="Σ_k (Σ_h Y + U) = Σ_t w d (shiftable)",
    )
    b.regional = pyo.Constraint(
        JRK,
        rule=lambda _, j, r, k: (
            b.ur[j, r, k]
            + quicksum(
                first.efficiency[j, h] * first.pflops[h] * c * modules[s, h]
                for (s, h), c in sorted(elig[j, r, k].items())
            )
            >= dem_r[j, r, k]
        ),
        doc="U[j,r,k] + Σ_{s,h} e p c' modules ≥ Σ_{t at k} w d",
    )
    cost = (
        quicksum(alpha[j, h, k] * b.y[j, h, k] for j, h, k in JHK if alpha[j, h, k])
        + quicksum(w_pen * unserved_cost[j] * b.u[j, k] for j, k in JK if not hard)
        + quicksum(w_pen * unserved_cost[j] * b.ur[j, r, k] for j, r, k in JRK if not hard)
        + quicksum(v * modules[s, h] for (s, h), v in sorted(idle.items()))
    )
    b.bound = pyo.Constraint(expr=quicksum(thetas) >= cost, doc="Σ_{d∈G} θ_d ≥ R_G(x)")
    return len(b.capacity) + len(b.demand) + len(b.demand_all) + len(b.regional) + 1


def relaxation_groups(
    peaks: dict[int, float], futures: dict[int, int], most: int
) -> list[list[int]]:
    """Which subproblems share one relaxation: at most ``most`` groups (about), by busiest slice.

    ``peaks[i]`` is subproblem ``i``'s busiest slice's work, ``futures[i]`` its future. With no
    more subproblems than ``most``, each has its own (:func:`add_relaxation`). Otherwise each
    future gets groups in proportion to its subproblems: its busiest half of them one subproblem
    each (the days that decide capacity), the rest in runs of equal size by rank of peak (days of
    like demand together, so that the sum loses little).
    """
    idx = sorted(peaks)
    if len(idx) <= most:
        return [[i] for i in idx]
    out: list[list[int]] = []
    for f in sorted(set(futures[i] for i in idx)):
        mine = sorted((i for i in idx if futures[i] == f), key=lambda i: (-peaks[i], i))
        n_groups = max(2, round(most * len(mine) / len(idx)))
        singles = n_groups // 2
        out += [[i] for i in mine[:singles]]
        rest = mine[singles:]
        k = n_groups - singles
        for g in range(k):
            part = rest[g * len(rest) // k : (g + 1) * len(rest) // k]
            if part:
                out.append(sorted(part))
    return sorted(out, key=lambda g: g[0])
