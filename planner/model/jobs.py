"""Work in whole jobs (docs/model.md §10, "Jobs"): integer job counts per site.

Also the rows that tighten the relaxation (:func:`job_ceilings`: no fraction of a job, per job
size, and the facets of the hull of each origin's whole-job fills, :func:`_fill_hull`;
``job_room`` with its room cover cuts). The MIP start that packs whole jobs is in
:mod:`planner.model.job_start`.

For a class ``j`` with a job size ``S = job_pflops``: ``x[j,r,s,t] = S × k[j,r,s,t]`` with integer
``k ≥ 0`` — each job runs whole at one site; demand that does not fill a whole job is unserved.
With ``job_moves: false`` a site runs the same jobs in every slice of a representative day:
``k[j,r,s,t] = k[j,r,s,day(t)]``. With ``job_one_hardware`` each job runs on one hardware type:
``y[j,s,h,t] = S × q[j,s,h,t]`` with integer ``q ≥ 0`` (and, from the hardware split,
``Σ_h q = Σ_r k``), so a job never spans types and fits within one type's installed capacity.
Sites that could never hold one job are not eligible (``planner.data.job_capacity``).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pyomo.environ as pyo
import scipy.spatial
from pyomo.core.util import quicksum

from ..data import PlanningData


def _slot(d: PlanningData, j: str, t: str) -> str:
    """The slot a job count is held over: the slice, or its representative day when jobs stay put."""
    if d.scenario_class(j).job_moves:
        return t
    return next(day for day, ts in d.DAYS.items() if t in ts)


def add_jobs(m: pyo.Block, d: PlanningData) -> None:
    """Add ``jobs[j,r,s,slot]`` (and ``hw_jobs[j,s,h,slot]``) with their rows to ``m.placement``."""
    b = m.placement
    size = d.job_pflops
    top_model = m.model()
    top_model._planner_jobs = True  # the MIP start rounds job counts (round_jobs)
    b._planner_data = d
    JX = [k for k in d.X if k[0] in size]
    slot = {(j, t): _slot(d, j, t) for (j, _r, _s, t) in JX}
    K = sorted({(j, r, s, slot[j, t]) for (j, r, s, t) in JX})
    top: dict[tuple[str, str, str, str], int] = {}
    for j, r, s, t in JX:
        dem = (
            d.demand.get((j, r, t), 0.0)
            if not d.shiftable[j]
            else max((v for (jj, rr, _t), v in d.demand.items() if (jj, rr) == (j, r)), default=0.0)
            * len(d.SLICES)
        )
        top[j, r, s, slot[j, t]] = max(
            top.get((j, r, s, slot[j, t]), 0), math.floor(dem / size[j] + 1e-9)
        )
    b.jobs = pyo.Var(
        K,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda _, *k: (0, top[k]),
        doc="jobs of class j from r running at s (per slice, or per day when jobs stay put)",
    )

    @b.Constraint(JX, doc="x[j,r,s,t] = job_pflops[j] × jobs[j,r,s,slot(t)]")
    def whole_jobs(b: Any, j: str, r: str, s: str, t: str) -> Any:
        return b.x[j, r, s, t] == size[j] * b.jobs[j, r, s, slot[j, t]]

    rows = job_ceilings(d, [(k, k[0], k[1], k[3], size[k[0]]) for k in K])
    b.whole_jobs_fill_demand = pyo.Constraint(
        list(rows),
        rule=lambda b, *g: quicksum(c * b.jobs[k] for k, c in rows[g][0]) <= rows[g][1],
        doc="Σ c × jobs ≤ ⌊demand / (job_pflops × g)⌋: whole jobs never do more work than the demand",
    )
    _add_card_jobs(b, d)
    _add_job_rooms(m, d)
    _add_room_covers(b, d, rows)

    JY = [k for k in d.Y if k[0] in size and d.scenario_class(k[0]).job_one_hardware]
    yslot = {(j, t): _slot(d, j, t) for (j, _s, _h, t) in JY}
    Q = sorted({(j, s, h, yslot[j, t]) for (j, s, h, t) in JY})
    b.hw_jobs = pyo.Var(Q, domain=pyo.NonNegativeIntegers, doc="jobs of class j at s on hardware h")

    @b.Constraint(JY, doc="y[j,s,h,t] = job_pflops[j] × hw_jobs[j,s,h,slot(t)]")
    def jobs_on_one_hardware(b: Any, j: str, s: str, h: str, t: str) -> Any:
        return b.y[j, s, h, t] == size[j] * b.hw_jobs[j, s, h, yslot[j, t]]


def _add_job_rooms(m: pyo.Block, d: PlanningData) -> None:
    """Whole rooms for jobs: ``job_room[j,s,h]`` integer, the most jobs of class ``j`` site ``s``
    runs at once (``h`` its type for a class sized in cards, ``""`` for ``job_pflops``).

    ``Σ_r k[j,r,s,(h,)slot] ≤ job_room[j,s,h]`` in every slot and ``S × job_room ≤ Σ_h
    efficiency[j,h] × pflops[h] × modules[s,h]`` (over the class's types at ``s``; the one type
    ``h`` in cards, ``S = S[j,h]``). Valid for every integer plan (``job_room`` = the largest
    count, whose work fits the capacity), the same relaxation, but a branch on one ``job_room``
    (a site holds 2 jobs or 3) settles at once what branching on each slot's count settles one
    slot at a time; and the room cover cuts (:func:`_add_room_covers`) are written on them."""
    b = m.placement
    sizing = getattr(m, "sizing", None)
    if sizing is None:
        return
    use = _uses(d)
    held: dict[tuple[str, str, str], list[Any]] = {}
    jobs = b.component("jobs")
    for (j, _r, s, sl), v in jobs.items() if jobs is not None else ():
        held.setdefault((j, s, ""), []).append((sl, v))
    card = b.component("card_jobs")
    for (j, _r, s, h, sl), v in card.items() if card is not None else ():
        held.setdefault((j, s, h), []).append((sl, v))
    if not held:
        return
    sizes = {k: d.job_pflops[k[0]] if k[2] == "" else d.job_card_size[k[0], k[2]] for k in held}
    types = {k: [k[2]] if k[2] else use.get((k[0], k[1]), []) for k in held}
    # at most what the class's types could hold together, each at its most modules (a bound)
    top = {
        k: math.floor(
            sum(
                _module_room(d, None, k[1], h) * d.pflops[h] * d.efficiency[k[0], h]
                for h in types[k]
            )
            / sizes[k]
            + 1e-9
        )
        for k in held
    }
    R = sorted(held)
    b.job_room = pyo.Var(
        R,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda _, *k: (0, top[k]),
        doc="most jobs of class j at site s at once (on type h, sized in cards; h = '' otherwise)",
    )
    slots = {k: sorted({sl for sl, _v in held[k]}) for k in R}
    b.job_room_holds = pyo.Constraint(
        [(*k, sl) for k in R for sl in slots[k]],
        rule=lambda b, j, s, h, sl: (
            quicksum(v for t, v in held[j, s, h] if t == sl) <= b.job_room[j, s, h]
        ),
        doc="Σ_r jobs[j,r,s,(h,)slot] ≤ job_room[j,s,h]",
    )
    b.job_room_fits = pyo.Constraint(
        R,
        rule=lambda b, j, s, h: (
            sizes[j, s, h] * b.job_room[j, s, h]
            <= quicksum(
                d.efficiency[j, g] * d.pflops[g] * sizing.modules[s, g] for g in types[j, s, h]
            )
        ),
        doc="S × job_room[j,s,h] ≤ Σ_h efficiency × pflops × modules[s,h]",
    )


def _add_room_covers(b: pyo.Block, d: PlanningData, rows: JobRows) -> None:
    """Mixed-integer rounding cuts: enough rooms for the jobs the demand can fill.

    For a pool of a class with ``job_pflops = S`` that moves (a class and a day when shiftable,
    else a class and a slice), with ``H`` its hours (the day's, or 1 for a slice), the pool's
    served work is ``W = D − U ≤ S H R`` with ``R = Σ_s job_room[j,s]`` (each slot runs at most
    ``room`` jobs at a site), ``D`` the pool's demand and ``U`` its unserved work (PFLOPS·h, or
    PFLOPS in a slice). The rows of :func:`job_ceilings` give ``W ≤ D_cap = Σ_r N_r u_r``, so
    ``V = U − (D − D_cap) ≥ 0`` and ``R + V/(S H) ≥ a = D_cap/(S H)``. With ``R`` integer and
    ``f = a − ⌊a⌋ > 0``, the MIR cut is ``R + V/(S H f) ≥ ⌈a⌉``: a fraction of a room costs
    ``1/f`` of it in unserved work. It makes the relaxation the optimum of the small cases of
    ``tests/test_jobs.py``; on China it does not bind (a site's room is bounded by its whole
    capacity, which inference also uses, so 9 rooms for the fast future's 193 job-hours cost the
    relaxation nothing: docs/model.md §10, "Jobs").
    """
    room = b.component("job_room")
    if room is None:
        return
    sites_of: dict[tuple[str, str], set[str]] = {}
    short_of: dict[tuple[str, str], list[tuple[float, tuple[str, str, str]]]] = {}
    cap_of: dict[tuple[str, str], float] = {}
    demand_of: dict[tuple[str, str], float] = {}
    for (j, r, g_slot, n), (cols, rhs, u) in rows.items():
        if n != 0 or not d.scenario_class(j).job_moves or j not in d.job_pflops:
            continue
        ts = d.DAYS[g_slot] if d.shiftable[j] else [g_slot]
        w = [d.weight[t] if d.shiftable[j] else 1.0 for t in ts]
        key = (j, g_slot)
        sites_of.setdefault(key, set()).update(k[2] for k, _c in cols)
        short_of.setdefault(key, []).extend(
            (wt, (j, r, t)) for wt, t in zip(w, ts) if (j, r, t) in d.UNSERVED
        )
        cap_of[key] = cap_of.get(key, 0.0) + rhs * u
        demand_of[key] = demand_of.get(key, 0.0) + sum(
            wt * d.demand.get((j, r, t), 0.0) for wt, t in zip(w, ts)
        )
    cuts = {k: (sorted(sites_of[k]), cap_of[k], demand_of[k], short_of[k]) for k in sites_of}
    data: dict[tuple[str, str], tuple[list[str], list[tuple[float, Any]], float, float, int]] = {}
    for (j, g_slot), (sites, cap, demand, short) in cuts.items():
        S = d.job_pflops[j]
        H = sum(d.weight[t] for t in d.DAYS[g_slot]) if d.shiftable[j] else 1.0
        a = cap / (S * H)
        f = a - math.floor(a + 1e-9)
        if f < 1e-6 or not all((j, s, "") in room for s in sites):
            continue
        data[j, g_slot] = (sites, short, demand - cap, S * H * f, math.floor(a + 1e-9) + 1)
    b.job_room_covers = pyo.Constraint(
        sorted(data),
        rule=lambda b, j, g: (
            quicksum(b.job_room[j, s, ""] for s in data[j, g][0])
            + (quicksum(wt * b.unserved[k] for wt, k in data[j, g][1]) - data[j, g][2])
            / data[j, g][3]
            >= data[j, g][4]
        ),
        doc="Σ_s job_room + (unserved − (demand − whole-job work)) / (S H f) ≥ ⌈a⌉ (MIR)",
    )


def _common_unit(weights: list[float]) -> float | None:
    """The largest ``g`` with every weight an integer multiple of it (whole hours), or ``None``."""
    if all(abs(w - weights[0]) <= 1e-9 * max(1.0, abs(weights[0])) for w in weights):
        return weights[0]
    if all(abs(w - round(w)) <= 1e-9 for w in weights):
        return float(math.gcd(*(round(w) for w in weights)))
    return None


JobKey = tuple[str, ...]
JobRows = dict[tuple[str, str, str, int], tuple[list[tuple[JobKey, float]], float, float]]


def job_ceilings(d: PlanningData, cells: list[tuple[JobKey, str, str, str, float]]) -> JobRows:
    """Rows ``Σ c × count ≤ N`` that cut off fractions of a job (Chvátal–Gomory cuts of the demand rows).

    ``cells`` are the job-count columns ``(key, class, origin, slot, S)``, ``S`` the PFLOPS of one
    job of that column. Served work never exceeds the demand and comes in whole jobs:

    - a slice-held count of a non-shiftable class (``job_moves``): ``Σ S k[·,t] ≤ d[j,r,t]``;
    - a day-held count (``job_moves: false``), not shiftable: ``Σ S k[·,day] ≤ min_{t∈day} d[j,r,t]``;
    - shiftable, slice-held: ``Σ_{t∈day} w[t] S k[·,t] ≤ D`` with ``D = Σ_{t∈day} w[t] d[j,r,t]``;
    - shiftable, day-held: ``W S Σ k[·,day] ≤ D`` (``W`` the day's hours).

    Each row ``Σ a_i k_i ≤ b`` is divided by ``u = g × S_n`` for every distinct job size ``S_n`` of
    the row (``g`` the common unit of its hours: the one weight when all are equal, the gcd of
    whole hours, else the least) and rounded down: ``Σ ⌊a_i/u⌋ k_i ≤ ⌊b/u⌋``, which every integer
    plan keeps (``k ≥ 0`` integer). With one job size and equal weights it reads
    ``Σ k ≤ ⌊D/(w S)⌋``: the relaxation can no longer serve the last fraction of a job (on China
    ``training_jobs`` that fraction was half the optimum: docs/model.md §10, "Jobs"). With sizes
    that differ by hardware type (``job_cards``) the row of size ``S_n`` counts a job of type
    ``h`` as ``⌊S_h/S_n⌋`` jobs of size ``S_n`` (0 for a smaller one): the unit of the smallest
    job alone lets the larger jobs serve fractions (a 3,200-PFLOPS job counts as
    ``⌊3200/1480⌋ = 2`` jobs of 1,480, 2,960 PFLOPS), the row of each size forbids that type its
    fraction. Returns (class, origin, slot or day, ``n``) → (columns with coefficients, right-hand
    side, the unit ``u`` the row's work is counted in), ``n = 0, 1, …`` the sizes from the
    smallest (and, when whole jobs of several sizes cannot fill the work ``b``, ``n`` = the number
    of sizes: ``Σ a_i/g × k_i ≤`` the most work they can do, :func:`_best_fill`).
    """
    out: JobRows = {}
    day_of = {t: day for day, ts in d.DAYS.items() for t in ts}
    groups: dict[tuple[str, str, str], list[tuple[JobKey, str, float]]] = {}
    for key, j, r, slot, S in cells:
        day = slot if not d.scenario_class(j).job_moves else day_of[slot]
        group = (j, r, day) if d.shiftable[j] else (j, r, slot)
        groups.setdefault(group, []).append((key, slot, S))
    for group, cols in groups.items():
        j, r, g_slot = group
        held_by_day = not d.scenario_class(j).job_moves
        if d.shiftable[j]:
            ts = d.DAYS[g_slot]
            bound = sum(d.weight[t] * d.demand.get((j, r, t), 0.0) for t in ts)
            if held_by_day:
                hours = {slot: sum(d.weight[t] for t in ts) for _k, slot, _S in cols}
            else:
                hours = {slot: d.weight[slot] for _k, slot, _S in cols}
        else:
            ts = d.DAYS[g_slot] if held_by_day else [g_slot]
            bound = min(d.demand.get((j, r, t), 0.0) for t in ts)
            hours = {slot: 1.0 for _k, slot, _S in cols}
        g = _common_unit(list(hours.values())) or min(hours.values())
        sizes: list[float] = []
        for S in sorted({S for _k, _slot, S in cols}):
            if not sizes or S > sizes[-1] * (1 + 1e-9):
                sizes.append(S)
        for n, S_n in enumerate(sizes):
            u = g * S_n
            row = [(k, float(math.floor(hours[slot] * S / u + 1e-9))) for k, slot, S in cols]
            out[(*group, n)] = ([(k, c) for k, c in row if c > 0], math.floor(bound / u + 1e-9), u)
        steps = {round(hours[slot] / g) for _k, slot, _S in cols}
        fill = _best_fill(sizes, bound / g) if len(sizes) > 1 and steps == {1} else None
        if fill is not None and fill < bound / g * (1 - 1e-9):
            out[(*group, len(sizes))] = ([(k, S) for k, _slot, S in cols], fill, g)
        facets = _fill_hull(sizes, bound / g) if len(sizes) > 1 and steps == {1} else None
        of = [max(z for z, S_z in enumerate(sizes) if S_z <= S * (1 + 1e-9)) for _k, _s, S in cols]
        for i, (pi, pi0) in enumerate(facets or []):
            row = [(k, float(pi[z])) for (k, _slot, _S), z in zip(cols, of) if pi[z] > 0]
            out[(*group, len(sizes) + 1 + i)] = (row, float(pi0), g)
    return out


def _fill_hull(sizes: list[float], cap: float) -> list[tuple[tuple[int, ...], int]] | None:
    """Facets ``Σ_z π_z m_z ≤ π_0`` (integer ``π ≥ 0`` with two or more ``π_z > 0``) of the convex
    hull of ``X = {m ∈ Z^n_+ : Σ_z S_z m_z ≤ cap}``, the counts of jobs of each size that whole
    jobs can run within ``cap``; for 2 or 3 sizes, ``None`` otherwise or when there are more than
    :data:`FILL_NODES` points to look at.

    ``X`` is closed downwards, so its hull's vertices are points that no count of their support
    can grow in; every such point is among those enumerated (each count of the larger sizes, the
    smallest size filled or 0). A facet's ``π`` is the integer normal through its vertices and
    ``π_0 = max_X π·m`` over those points (exact in integers), so each row holds for every
    integer plan whatever the hull routine's rounding. The rows forbid the relaxation mixes that
    no whole jobs make: with jobs of 3,200 and 1,480 PFLOPS and 33,600 PFLOPS·h of work, the
    relaxation ran 10 jobs of 3,200 and 1.08 of 1,480 (all the work); whole jobs do 33,480 (10 and
    1) or 33,520 (4 and 14), and the facet through those two keeps the relaxation to their mixes.
    """
    n = len(sizes)
    if n not in (2, 3):
        return None
    tops = [math.floor(cap / S + 1e-9) for S in sizes]
    live = [z for z in range(n) if tops[z] >= 1]
    if len(live) < 2:
        return None
    small, big = live[0], live[1:]  # sizes ascend: the smallest is filled last
    if math.prod(tops[z] + 1 for z in big) > FILL_NODES:
        return None
    pts: set[tuple[int, ...]] = set()
    for counts in itertools.product(*(range(tops[z] + 1) for z in big)):
        left = cap - sum(sizes[z] * c for z, c in zip(big, counts))
        if left < -1e-9 * max(1.0, cap):
            continue
        for last in (math.floor(left / sizes[small] + 1e-9), 0):
            pts.add((last, *counts))
    ints = sorted(pts)
    try:
        hull = scipy.spatial.ConvexHull(np.array(ints, dtype=float))
    except scipy.spatial.QhullError:
        return None
    out: set[tuple[tuple[int, ...], int]] = set()
    for simplex in hull.simplices:
        p = [ints[i] for i in simplex]
        if len(live) == 2:
            normal = [p[1][1] - p[0][1], p[0][0] - p[1][0]]
        else:
            a = [p[1][i] - p[0][i] for i in range(3)]
            b = [p[2][i] - p[0][i] for i in range(3)]
            normal = [
                a[1] * b[2] - a[2] * b[1],
                a[2] * b[0] - a[0] * b[2],
                a[0] * b[1] - a[1] * b[0],
            ]
        g = math.gcd(*normal)
        if g == 0:
            continue
        normal = [v // g for v in normal]
        if all(v <= 0 for v in normal):
            normal = [-v for v in normal]
        if any(v < 0 for v in normal) or sum(1 for v in normal if v > 0) < 2:
            continue
        top = max(sum(c * v for c, v in zip(normal, q)) for q in ints)
        if sum(c * v for c, v in zip(normal, p[0])) != top:
            continue  # the hull's lower side, not a facet of the fills
        pi = [0] * n
        for z, v in zip(live, normal):
            pi[z] = v
        out.add((tuple(pi), top))
    return sorted(out)


#: Most nodes :func:`_best_fill` visits before it gives up (and no row is added).
FILL_NODES = 200_000


def _best_fill(sizes: list[float], cap: float) -> float | None:
    """``max {Σ_n S_n m_n ≤ cap : m_n ≥ 0 integer}``: the most work whole jobs of these sizes can do
    (an unbounded knapsack that fills, by depth-first search from the largest size); ``None``
    after :data:`FILL_NODES` nodes. The row ``Σ S k ≤`` this value is valid for every integer plan
    and, with sizes that do not divide each other, tighter than each Chvátal–Gomory row."""
    order = sorted(sizes, reverse=True)
    best = 0.0
    nodes = 0
    tol = 1e-9 * max(1.0, cap)

    def search(i: int, left: float) -> bool:
        nonlocal best, nodes
        nodes += 1
        if nodes > FILL_NODES:
            return False
        if i == len(order) - 1:
            best = max(best, cap - (left - order[i] * math.floor(left / order[i] + 1e-12)))
            return True
        for m in range(math.floor(left / order[i] + 1e-12), -1, -1):
            if not search(i + 1, left - m * order[i]):
                return False
            if cap - best <= tol:
                return True
        return True

    if not search(0, cap):
        return None
    return best


def _add_card_jobs(b: pyo.Block, d: PlanningData) -> None:
    """Jobs of a size in cards: ``card_jobs[j,r,s,h,slot]``, each job on one hardware type.

    A job of ``C`` cards on type ``h`` is ``S[j,h] = C × pflops[h] / cards[h] × efficiency[j,h]``
    effective PFLOPS, so the count carries its type: ``x[j,r,s,t] = Σ_h S[j,h] k[j,r,s,h,slot(t)]``
    and ``y[j,s,h,t] = S[j,h] Σ_r k[j,r,s,h,slot(t)]`` (which makes the hardware split hold).
    Each count is at most ``⌊room[s,h] × pflops[h] × efficiency[j,h] / S[j,h]⌋``, ``room`` the most
    modules of ``h`` the site can hold (its bound, power envelope and ``max_modules`` beside the
    other types' brownfield): a valid bound that keeps the relaxation from running fractions of
    a job on a type that can never hold one (on China, the old 910 pods of 鹏城, 64 of the 157 a
    10,000-card job needs).
    """
    size = d.job_card_size
    classes = {j for (j, _h) in size}
    if not classes:
        return
    types: dict[tuple[str, str], list[str]] = {}
    for j, s, h in d.USE:
        if (j, h) in size:
            types.setdefault((j, s), []).append(h)
    JX = [k for k in d.X if k[0] in classes]
    slot = {(j, t): _slot(d, j, t) for (j, _r, _s, t) in JX}
    KC = sorted({(j, r, s, h, slot[j, t]) for (j, r, s, t) in JX for h in types.get((j, s), [])})
    top: dict[tuple[str, str, str, str, str], int] = {}
    for j, r, s, h, sl in KC:
        held = _module_room(d, None, s, h) * d.pflops[h] * d.efficiency[j, h]
        top[j, r, s, h, sl] = math.floor(held / size[j, h] + 1e-9)
    b.card_jobs = pyo.Var(
        KC,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda _, *k: (0, top[k]),
        doc="jobs (sized in cards) of class j from r at s on hardware h (per slice, or per day), "
        "at most as many as the most modules of h the site can hold can run",
    )
    by_x: dict[tuple[str, str, str, str], list[str]] = {}
    for j, r, s, h, sl in KC:
        by_x.setdefault((j, r, s, sl), []).append(h)

    @b.Constraint(JX, doc="x[j,r,s,t] = Σ_h S[j,h] × card_jobs[j,r,s,h,slot(t)]")
    def whole_card_jobs(b: Any, j: str, r: str, s: str, t: str) -> Any:
        sl = slot[j, t]
        return b.x[j, r, s, t] == quicksum(
            size[j, h] * b.card_jobs[j, r, s, h, sl] for h in by_x.get((j, r, s, sl), [])
        )

    by_y: dict[tuple[str, str, str, str], list[str]] = {}
    for j, r, s, h, sl in KC:
        by_y.setdefault((j, s, h, sl), []).append(r)
    JY = [k for k in d.Y if k[0] in classes]

    @b.Constraint(JY, doc="y[j,s,h,t] = S[j,h] × Σ_r card_jobs[j,r,s,h,slot(t)]")
    def card_jobs_on_one_hardware(b: Any, j: str, s: str, h: str, t: str) -> Any:
        sl = slot[j, t]
        if (j, h) not in size:
            return b.y[j, s, h, t] == 0
        return b.y[j, s, h, t] == size[j, h] * quicksum(
            b.card_jobs[j, r, s, h, sl] for r in by_y.get((j, s, h, sl), [])
        )

    # a type that can hold no job anywhere (top 0) is no size of the rows: on China the old 910
    # (2,176 PFLOPS, 124 pods in all) let the best-fill row count fills no whole jobs can make
    rows = job_ceilings(d, [(k, k[0], k[1], k[4], size[k[0], k[3]]) for k in KC if top[k] > 0])
    b.card_jobs_fill_demand = pyo.Constraint(
        list(rows),
        rule=lambda b, *g: quicksum(c * b.card_jobs[k] for k, c in rows[g][0]) <= rows[g][1],
        doc="Σ ⌊w S[j,h] / u⌋ × card_jobs ≤ ⌊demand / u⌋: whole jobs never do more work than the demand",
    )


def _module_room(d: PlanningData, sizing: Any, s: str, h: str) -> int:
    """Most modules of ``h`` site ``s`` can hold: its bound, beside the other types' brownfield."""
    ub = d.module_bound.get((s, h), 0)
    if sizing is not None:
        v = sizing.modules[s, h]
        ub = int(v.ub) if v.ub is not None else ub
    kw_left = 1000 * d.max_it_mw[s] - sum(
        d.kw[g] * d.existing.get((s, g), 0) for g in d.HW if g != h
    )
    n = ub if d.kw[h] <= 0 else min(ub, math.floor(kw_left / d.kw[h] + 1e-9))
    cap = d.max_modules_site[s]
    if cap is not None:
        n = min(n, cap - sum(d.existing.get((s, g), 0) for g in d.HW if g != h))
    return max(0, int(n))


def _uses(d: PlanningData) -> dict[tuple[str, str], list[str]]:
    use: dict[tuple[str, str], list[str]] = {}
    for j, s, h in d.USE:
        use.setdefault((j, s), []).append(h)
    return use
