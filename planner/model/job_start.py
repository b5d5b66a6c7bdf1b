"""The MIP start for work in whole jobs (docs/model.md §10, "Jobs"): pack whole jobs from the LP.

:func:`job_start` packs each pool's whole jobs into the places (site, hardware type) the relaxation
uses, at integer peaks shared by the demand futures, and :func:`round_jobs` rounds a point's job
counts; :func:`peak_moves` lists the local search's neighbours (one job's room moved or dropped).
Feasible by construction: a job is never split. The rows of the formulation are in
:mod:`planner.model.jobs`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyomo.environ as pyo
import scipy.optimize
import scipy.sparse

from ..data import PlanningData
from .jobs import FILL_NODES, _module_room, _slot, _uses


def _set_job_rooms(b: pyo.Block, pos: dict[int, int], out: Columns, mask: Mask | None) -> None:
    """``job_room`` of a plan with whole counts in ``out``: the most jobs in one slot (and, with
    ``mask``, marked as set)."""
    room = b.component("job_room")
    if room is None:
        return
    peak: dict[tuple[str, str, str], dict[str, float]] = {}
    jobs = b.component("jobs")
    for (j, _r, s, sl), v in jobs.items() if jobs is not None else ():
        if id(v) in pos:
            at = peak.setdefault((j, s, ""), {})
            at[sl] = at.get(sl, 0.0) + round(out[pos[id(v)]])
    card = b.component("card_jobs")
    for (j, _r, s, h, sl), v in card.items() if card is not None else ():
        if id(v) in pos:
            at = peak.setdefault((j, s, h), {})
            at[sl] = at.get(sl, 0.0) + round(out[pos[id(v)]])
    for k, v in room.items():
        i = pos.get(id(v))
        if i is not None:
            out[i] = max(peak.get(k, {}).values(), default=0.0)
            if mask is not None:
                mask[i] = True


Columns = npt.NDArray[np.float64]


def round_jobs(m: pyo.Block, columns: list[Any], x: Columns, out: Columns) -> None:
    """MIP-start rounding of job counts: down (work short of a whole job is unserved, always
    feasible), and each site's jobs per hardware type made to add up to its rounded jobs (the
    types with the largest LP counts first); ``job_room`` the most jobs in one slot. ``x`` holds
    the relaxation, ``out`` the rounded plan."""
    pos = {id(v): i for i, v in enumerate(columns)}
    for b in m.component_data_objects(pyo.Block, descend_into=True):
        jobs = b.component("jobs")
        if jobs is None or b.local_name != "placement":
            continue
        _card_jobs_down(b, pos, x, out)
        # per (class, origin, slot): as many whole jobs as the relaxation runs in all, ⌊Σ_s k⌋, placed at
        # the sites with the largest LP counts (each up to its LP count rounded up)
        by_origin: dict[tuple[str, str, str], list[tuple[str, int]]] = {}
        for (j, r, s, slot), v in jobs.items():
            i = pos.get(id(v))
            if i is not None:
                by_origin.setdefault((j, r, slot), []).append((s, i))
        total: dict[tuple[str, str, str], float] = {}
        extra: dict[
            tuple[str, str], float
        ] = {}  # (class, site): jobs placed beyond the relaxation's, at most over the slots
        for (j, _r, slot), cols in by_origin.items():
            want = math.floor(sum(x[i] for _s, i in cols) + 1e-6)
            for s, i in sorted(cols, key=lambda c: -x[c[1]]):
                n = min(want, math.ceil(x[i] - 1e-6))
                out[i] = float(n)
                want -= n
                total[j, s, slot] = total.get((j, s, slot), 0.0) + n
                extra[j, s] = max(extra.get((j, s), 0.0), n - x[i])
        _room_for_jobs(b, pos, x, out, extra)
        hw = b.component("hw_jobs")
        groups: dict[tuple[str, str, str], list[int]] = {}
        for (j, s, _h, slot), v in hw.items() if hw is not None else ():
            i = pos.get(id(v))
            if i is not None:
                groups.setdefault((j, s, slot), []).append(i)
        for key, hcols in groups.items():
            want = round(total.get(key, 0.0))
            for c in hcols:
                out[c] = 0.0
            for c in sorted(hcols, key=lambda c: -x[c]):
                if want <= 0:
                    break
                n = min(want, max(1, math.ceil(x[c] - 1e-6)))
                out[c] = float(n)
                want -= n
            if want > 0 and hcols:
                out[max(hcols, key=lambda c: x[c])] += want
        _set_job_rooms(b, pos, out, None)


def _card_jobs_down(
    b: pyo.Block, pos: dict[int, int], x: Columns, out: Columns
) -> dict[tuple[str, str, str, str], int]:
    """Job counts of classes sized in cards rounded down (never more work than the relaxation, on
    capacity it had: always feasible); returns the jobs per (class, site, type, slot)."""
    at: dict[tuple[str, str, str, str], int] = {}
    card = b.component("card_jobs")
    for (j, _r, s, h, slot), v in card.items() if card is not None else ():
        i = pos.get(id(v))
        if i is not None:
            out[i] = float(math.floor(x[i] + 1e-6))
            at[j, s, h, slot] = at.get((j, s, h, slot), 0) + int(out[i])
    return at


def _room_for_jobs(
    b: pyo.Block, pos: dict[int, int], x: Columns, out: Columns, extra: dict[tuple[str, str], float]
) -> None:
    """Add the modules the rounded-up jobs need at their sites (one period; the hardware type with
    the most modules in the relaxation that the class may use), and open those sites."""
    d = getattr(b, "_planner_data", None)
    sizing = getattr(b.parent_block(), "sizing", None)
    if d is None or sizing is None or sizing.modules.ctype is not pyo.Var:
        return
    use = {(j, s): [h for (jj, ss, h) in d.USE if (jj, ss) == (j, s)] for (j, s) in extra}
    for (j, s), n in extra.items():
        if n <= 1e-6 or not use[j, s]:
            continue
        cols = {
            h: pos[id(sizing.modules[s, h])] for h in use[j, s] if id(sizing.modules[s, h]) in pos
        }
        if not cols:
            continue
        h = max(cols, key=lambda h: x[cols[h]])
        v = sizing.modules[s, h]
        add = math.ceil(n * d.job_pflops[j] / (d.pflops[h] * d.efficiency[j, h]) - 1e-9)
        out[cols[h]] = min(out[cols[h]] + add, v.ub if v.ub is not None else math.inf)
        i = pos.get(id(sizing.open[s]))
        if i is not None:
            out[i] = 1.0


Mask = npt.NDArray[np.bool_]
#: a site's modules, named by the ids of its module variables (the same objects in every future)
SiteKey = tuple[int, ...]
#: (class, hardware types) → PFLOPS of jobs the site must hold on those types
Needs = dict[tuple[str, tuple[str, ...]], float]


@dataclass
class JobStart:
    """Whole jobs packed from the relaxation (:func:`job_start`): the plan so far, and what it fixes."""

    fix: Columns
    #: the columns set: job counts (``jobs``, ``hw_jobs``)
    mask: Mask
    needs: dict[SiteKey, Needs]
    sites: dict[SiteKey, tuple[PlanningData, Any, str]]
    pos: dict[int, int]
    #: a class sized in cards was packed (its mix of job sizes depends on the weight ``move``)
    card: bool = False
    #: per group of pools (futures share one): the peaks used, the most each place holds, and the
    #: relaxation's largest jobs there in one slot (:func:`peak_moves`)
    peaks: dict[Any, dict[Place, int]] = field(default_factory=dict)
    hold: dict[Any, dict[Place, int]] = field(default_factory=dict)
    lp_peak: dict[Any, dict[Place, float]] = field(default_factory=dict)

    def fit(self, x: Columns, lower: Columns, upper: Columns) -> tuple[Columns, Mask]:
        """Step 5: modules and open from ``x`` (the LP with the job counts fixed), rounded up, room
        for every site's jobs kept, within each site's power envelope and ``max_modules``; returns
        the plan with job counts, modules and open set, and its mask."""
        fix, mask = np.array(x, copy=True), self.mask.copy()
        fix[self.mask] = self.fix[self.mask]
        for key, (d, sizing, s) in self.sites.items():
            _fit_site(d, sizing, s, self.pos, x, lower, upper, fix, mask, self.needs.get(key, {}))
        return fix, mask


def job_start(
    m: pyo.Block,
    columns: list[Any],
    x: Columns,
    upper: Columns,
    move: float = 0.005,
    peaks: dict[Any, dict[Place, int]] | None = None,
    cells: bool = False,
) -> JobStart | None:
    """A MIP start for whole jobs, feasible by construction: jobs packed greedily from the LP.

    For each pool of job counts (a class and a representative day, for a shiftable class or a
    day-held count; a class and a slice otherwise), with ``S_s`` the size of one job at site ``s``
    (``job_pflops``; in cards, the job on the site's type ``h*``, below) and ``K_LP[s,t]`` the
    relaxation's jobs at ``s`` in slot ``t`` (its work there over ``S_s``):

    0. the places of a pool are its sites, or for a class sized in cards its (site, type) pairs,
       each with its own job size ``S_s`` and the most jobs it can hold (a type that can never
       hold one has none);
    1. origin ``r`` may place work ``B_r = min(D_r, its LP work + half its smallest job)`` in
       PFLOPS·h (``D_r`` its demand over the pool), so ``Σ w S k ≤ D_r``: never more work than
       the demand, the rest unserved (priced), so the demand rows hold;
    2. site peaks ``P_s``: ``⌊max_t K_LP[s,t]⌋``, raised one job at a time at the sites with the
       largest fractional peaks until ``Σ_s P_s ≥ ⌈Σ_s max_t K_LP[s,t]⌉`` and the peaks can hold
       ``Σ_r B_r``; never above the most jobs the site can hold (its best type, within its module
       bound and the brownfield of the other types) — few sites, each with whole jobs (in cards the
       least peaks and the room for the quotas are counted per job size: :func:`_shared_peaks`;
       after the dives of ``planner.solve`` the peaks are the dive's rooms, ``cells`` caps each
       (place, slot) at the relaxation's whole count and :func:`_round_origins` rounds the
       origins). Demand
       futures share their investments, so their pools of the same class and day share the
       peaks: ``max_t K_LP`` is the largest over the futures, and the peaks must hold every
       future's ``Σ_r B_r`` (each future packed on its own peaks would buy the union of its
       sites, 3.5% above the bound on China ``training_jobs``);
    3. jobs are placed ``⌊k_LP⌋`` per (origin, cell), largest first, then one at a time into the
       origin's cells with the largest LP residual, within ``B_r`` and ``P_s``; what is left of
       ``B_r`` may then raise a site above ``P_s`` up to what it can hold. Sized in cards, each
       origin first chooses how many jobs of each size it runs (:func:`_quotas`: the mix that
       does the most of its work, near the relaxation's), and places within those counts;
    4. with ``job_one_hardware``, all of a class's jobs at a site go on one type (the LP's most
       used one that can hold the site's peak), so ``hw_jobs`` adds up;
    5. (:meth:`JobStart.fit`, on the LP re-solved with these counts fixed) modules rounded up, at
       least ``S × max_t Σ_r k`` PFLOPS on the class's types at each site (the largest over the
       futures), then lowered (types the jobs do not need first) until the power envelope and
       ``max_modules`` hold; a site is open iff it holds modules.

    ``move`` weighs, for a class sized in cards, a PFLOPS·h moved between job sizes against one
    left undone (:func:`_quotas`); the caller tries each of :data:`FILL_MOVES`. ``job_room`` is
    set to the most jobs of each place in one slot. ``peaks`` replaces step 2's peaks of the
    groups it names (:func:`peak_moves`: the caller's local search). ``None`` without jobs. With several periods
    (modules are expressions of the purchases) only steps 0–4 apply, and the caller's rounding
    does the rest.
    """
    pos = {id(v): i for i, v in enumerate(columns)}
    fix = np.array(x, copy=True)
    mask = np.zeros(len(x), dtype=bool)
    needs: dict[SiteKey, Needs] = {}
    sites: dict[SiteKey, tuple[PlanningData, Any, str]] = {}
    blocks: list[tuple[pyo.Block, PlanningData, Any]] = []
    for b in m.component_data_objects(pyo.Block, descend_into=True):
        d = getattr(b, "_planner_data", None)
        if b.component("jobs") is None or b.local_name != "placement" or d is None:
            continue
        sizing = getattr(b.parent_block(), "sizing", None)
        if sizing is None or sizing.modules.ctype is not pyo.Var:
            sizing = None
        blocks.append((b, d, sizing))
    if not blocks:
        return None
    pools = [p for b, d, sizing in blocks for p in _pools(b, d, sizing, pos, x)]
    for p in pools:
        for i in p.cells.values():
            fix[i], mask[i] = 0.0, True
    shared: dict[tuple[Any, ...], list[_PoolSpec]] = {}
    for p in pools:
        shared.setdefault(p.share, []).append(p)
    placed: dict[int, dict[tuple[str, str, str], int]] = {}  # id(block) → (j, s, slot) → jobs
    chosen: dict[Any, dict[Place, int]] = {}
    holds: dict[Any, dict[Place, int]] = {}
    lp_peaks: dict[Any, dict[Place, float]] = {}
    for g, group in shared.items():
        quotas = [_quotas(p, move) if p.card else None for p in group]
        if peaks is not None and g in peaks:
            peak = dict(peaks[g])
        else:
            peak = _shared_peaks(group, quotas)
        chosen[g] = peak
        holds[g] = {pl: min(p.hold[pl] for p in group) for pl in peak}
        lp_peaks[g] = {pl: max(p.lp_peak().get(pl, 0.0) for p in group) for pl in peak}
        for p, quota in zip(group, quotas):
            at = _place(p, x, upper, peak, fix, quota, cells)
            for ((s, _h), t), n in at.items():
                key = (p.j, s, t)
                mine = placed.setdefault(id(p.block), {})
                mine[key] = mine.get(key, 0) + n
            if p.sizing is not None and p.card:  # jobs in cards: room on their type
                for ((s, h), _t), n in at.items():
                    need = needs.setdefault(tuple(id(p.sizing.modules[s, g]) for g in p.d.HW), {})
                    pf = n * p.size[s, h]
                    need[p.j, (h,)] = max(need.get((p.j, (h,)), 0.0), pf)
    for b, d, sizing in blocks:
        placed_at = {k: n for k, n in placed.get(id(b), {}).items() if k[0] in d.job_pflops}
        _one_type_per_site(b, d, sizing, pos, x, fix, mask, placed_at, needs)
        _set_job_rooms(b, pos, fix, mask)
        if sizing is not None:
            for s in d.SITES:
                sites[tuple(id(sizing.modules[s, h]) for h in d.HW)] = (d, sizing, s)
    return JobStart(
        fix, mask, needs, sites, pos, any(p.card for p in pools), chosen, holds, lp_peaks
    )


#: Moves of :func:`peak_moves`: from the least used places with a peak, to the most used.
MOVE_WIDTH = 3


def peak_moves(start: JobStart) -> list[dict[Any, dict[Place, int]]]:
    """Neighbours of a packing's peaks for a local search: one job's room moved from a place with
    a peak (the :data:`MOVE_WIDTH` the relaxation uses least) to one that can hold another (the
    :data:`MOVE_WIDTH` it uses most), or dropped, in one group at a time. On China's three futures
    moving 北京's room to 和林格尔 took the start's LP with the counts fixed from 1.26% above
    the bound to 0.43% (the relaxation's fractions of a job at 北京 and 芜湖 rounded up to whole
    rooms where power costs more)."""
    out: list[dict[Any, dict[Place, int]]] = []
    for g, peak in start.peaks.items():
        lp = start.lp_peak[g]
        hold = start.hold[g]
        src = sorted(
            (pl for pl, n in peak.items() if n > 0), key=lambda pl: (lp[pl] - peak[pl], pl)
        )
        dst = sorted((pl for pl, n in peak.items() if n < hold[pl]), key=lambda pl: (-lp[pl], pl))
        for a in src[:MOVE_WIDTH]:
            for b in [pl for pl in dst if pl != a][:MOVE_WIDTH]:
                out.append({g: {**peak, a: peak[a] - 1, b: peak[b] + 1}})
            out.append({g: {**peak, a: peak[a] - 1}})
    return out


def _investments(b: pyo.Block, sizing: Any) -> Any:
    """What a placement block's investments are: the id of its first module variable (the same
    object in every demand future), or the block itself when modules are expressions."""
    if sizing is None:
        return id(b)
    return id(next(iter(sizing.modules.values()), b))


#: where a pool's jobs run: (site, hardware type) for a class sized in cards, (site, "") otherwise
Place = tuple[str, str]


@dataclass
class _PoolSpec:
    """One pool of job counts (class and day, or class and slice) of one placement block."""

    block: pyo.Block
    d: PlanningData
    sizing: Any
    j: str
    card: bool  # sized in cards: each (site, type) is a place of its own, with its job size
    share: tuple[Any, ...]  # pools with the same key share their peaks (step 2)
    cells: dict[tuple[str, Place, str], int]  # (origin, place, slot) → the count's column
    lp: dict[tuple[str, Place, str], float]  # the relaxation's jobs there
    size: dict[Place, float]  # PFLOPS of one job there
    hours: dict[str, float]  # slot → hours of work of one job there
    budget: dict[str, float]  # origin → PFLOPS·h it may place (step 1)
    hold: dict[Place, int]  # most jobs the place can hold

    def site_hours(self) -> dict[Place, float]:
        """Place → hours of its slots in the pool (a job there at every slot works this long)."""
        out: dict[Place, float] = {}
        for s, t in {(s, t) for _r, s, t in self.cells}:
            out[s] = out.get(s, 0.0) + self.hours[t]
        return out

    def hours_of(self, s: Place) -> float:
        """Hours of work one job does in one of the place's slots (the same in every slot here)."""
        return next(self.hours[t] for _r, ss, t in self.cells if ss == s)

    def lp_peak(self) -> dict[Place, float]:
        """Place → the relaxation's most jobs there in one slot."""
        cell: dict[tuple[Place, str], float] = {}
        for (_r, s, t), v in self.lp.items():
            cell[s, t] = cell.get((s, t), 0.0) + v
        peak = dict.fromkeys(self.size, 0.0)
        for (s, _t), v in cell.items():
            peak[s] = max(peak[s], v)
        return peak


def _pools(
    b: pyo.Block, d: PlanningData, sizing: Any, pos: dict[int, int], x: Columns
) -> list[_PoolSpec]:
    """Steps 0–1 of :func:`job_start` for one placement block: its pools, with their budgets."""
    day_of = {t: day for day, ts in d.DAYS.items() for t in ts}
    use = _uses(d)
    inv = _investments(b, sizing)
    raw: dict[tuple[str, str], dict[tuple[str, Place, str], int]] = {}
    for (j, r, s, slot), v in b.jobs.items():
        if id(v) in pos:
            moves = d.scenario_class(j).job_moves
            group = (day_of[slot] if moves else slot) if d.shiftable[j] else slot
            raw.setdefault((j, group), {})[r, (s, ""), slot] = pos[id(v)]
    card = b.component("card_jobs")
    for (j, r, s, h, slot), v in card.items() if card is not None else ():
        if id(v) in pos:
            moves = d.scenario_class(j).job_moves
            group = (day_of[slot] if moves else slot) if d.shiftable[j] else slot
            raw.setdefault((j, group), {})[r, (s, h), slot] = pos[id(v)]
    out = []
    for (j, group), cells in sorted(raw.items()):
        card_sized = j not in d.job_pflops
        moves = d.scenario_class(j).job_moves
        hours = {
            t: (d.weight[t] if moves else sum(d.weight[u] for u in d.DAYS[t]))
            if d.shiftable[j]
            else 1.0
            for (_r, _s, t) in cells
        }
        size: dict[Place, float] = {}
        hold: dict[Place, int] = {}
        for _r, (s, h), _t in cells:
            if (s, h) in size:
                continue
            size[s, h] = d.job_card_size[j, h] if card_sized else d.job_pflops[j]
            types = [h] if card_sized else use.get((j, s), [])
            hold[s, h] = max(
                (
                    math.floor(
                        _module_room(d, sizing, s, g)
                        * d.pflops[g]
                        * d.efficiency[j, g]
                        / size[s, h]
                        + 1e-9
                    )
                    for g in types
                ),
                default=0,
            )
        lp = {k: x[i] for k, i in cells.items()}
        budget: dict[str, float] = {}
        for r in sorted({r for (r, _s, _t) in cells}):
            if d.shiftable[j]:
                most = sum(d.weight[t] * d.demand.get((j, r, t), 0.0) for t in d.DAYS[group])
            else:
                ts = d.DAYS[group] if not moves else [group]
                most = min(d.demand.get((j, r, t), 0.0) for t in ts)
            mine = [k for k in cells if k[0] == r]
            done = sum(hours[t] * size[s] * lp[r, s, t] for (_r, s, t) in mine)
            half = 0.5 * min(hours[t] * size[s] for (_r, s, t) in mine)
            budget[r] = min(most, done + half) + 1e-9 * min(size.values())
        out.append(
            _PoolSpec(
                b,
                d,
                sizing,
                j,
                card_sized,
                (inv, j, group, card_sized),
                cells,
                lp,
                size,
                hours,
                budget,
                hold,
            )
        )
    return out


def _shared_peaks(
    pools: list[_PoolSpec], quotas: list[dict[tuple[str, float], int] | None]
) -> dict[Place, int]:
    """Step 2 of :func:`job_start`: the site peaks of pools that share their investments.

    ``quotas`` (one per pool, :func:`_quotas`) are the job-slots each origin runs of each size
    when the class is sized in cards: then the peaks of each size's places must hold that size's
    job-slots, and the least peaks are counted per size (``⌈Σ max_t K_LP⌉`` over the places of
    that size); one count over all sizes let the jobs of a size left without room spill into
    every place that could hold one (on China three rooms of 910C pods for 13 job-hours a day,
    0.54 rooms in the relaxation: 27.8 bn CNY/yr against a bound of 18.1)."""
    hold: dict[Place, int] = {}
    lp_peak: dict[Place, float] = {}
    size_of: dict[Place, float] = {}
    for p in pools:
        for s, v in p.lp_peak().items():
            lp_peak[s] = max(lp_peak.get(s, 0.0), v)
            hold[s] = min(hold.get(s, p.hold[s]), p.hold[s])
            size_of[s] = p.size[s] if p.card else 0.0
    peak = {s: min(hold[s], math.floor(v + 1e-6)) for s, v in lp_peak.items()}
    kinds = sorted(set(size_of.values()))
    of_kind = {z: [s for s in lp_peak if size_of[s] == z] for z in kinds}
    target = {z: math.ceil(sum(lp_peak[s] for s in of_kind[z]) - 1e-6) for z in kinds}
    need = [(p.site_hours(), p.size, sum(p.budget.values()), p, q) for p, q in zip(pools, quotas)]

    def short() -> list[Place] | None:
        """The places that could hold what is short, or ``None`` when nothing is."""
        for z in kinds:
            if sum(peak[s] for s in of_kind[z]) < target[z]:
                return of_kind[z]
        for sh, size, work, p, q in need:
            if q is None:
                if sum(peak[s] * sh.get(s, 0.0) * size.get(s, 0.0) for s in peak) < work * (
                    1 - 1e-6
                ):
                    return list(sh)
                continue
            for z in kinds:
                slots = sum(n for (_r, zz), n in q.items() if zz == z)
                mine = [s for s in of_kind[z] if s in sh]
                if sum(peak[s] * round(sh[s] / p.hours_of(s)) for s in mine) < slots:
                    return mine
        return None

    order = sorted(
        lp_peak, key=lambda s: (-(lp_peak[s] - math.floor(lp_peak[s] + 1e-6)), -lp_peak[s], s)
    )
    while (where := short()) is not None:
        grow = [s for s in order if peak[s] < hold[s] and s in where]
        if not grow:
            break
        peak[grow[0]] += 1
        order = order[order.index(grow[0]) + 1 :] + order[: order.index(grow[0]) + 1]
    return peak


def _place(
    p: _PoolSpec,
    x: Columns,
    upper: Columns,
    peak: dict[Place, int],
    fix: Columns,
    quota: dict[tuple[str, float], int] | None,
    cells: bool = False,
) -> dict[tuple[Place, str], int]:
    """Step 3 of :func:`job_start` for one pool: its counts into ``fix``; returns the jobs per
    (place, slot)."""
    lp_cell: dict[tuple[Place, str], float] = {}
    for (_r, s, t), v in p.lp.items():
        lp_cell[s, t] = lp_cell.get((s, t), 0.0) + v
    pool = _Pool(
        p.cells,
        p.hours,
        p.size,
        dict(p.budget),
        upper,
        dict.fromkeys(p.cells, 0),
        dict.fromkeys(lp_cell, 0),
    )
    pool.quota = dict(quota) if quota is not None else None
    if cells:
        pool.cell_cap = {k: round(v) for k, v in lp_cell.items()}
        whole = _round_origins(p, pool.cell_cap) if p.card else None
        if whole is not None:
            for key, i in p.cells.items():
                fix[i] = float(whole.get(key, 0))
                pool.at[key[1], key[2]] += whole.get(key, 0)
            return pool.at
    for key in sorted(p.cells, key=lambda k: (-p.lp[k], k)):
        pool.put(key, math.floor(p.lp[key] + 1e-6), peak, cells)
    passes = (
        [(peak, True), (peak, False), (p.hold, False)]
        if cells
        else [(peak, False), (p.hold, False)]
    )
    for limit, capped in passes:
        for r in sorted(pool.budget, key=lambda r: -pool.budget[r]):
            cands = [k for k in p.cells if k[0] == r]
            while cands:
                best = max(cands, key=lambda k: pool.residual(k, p.lp, lp_cell))
                if not pool.put(best, 1, limit, capped):
                    cands.remove(best)
    for key, i in p.cells.items():
        fix[i] = float(pool.count[key])
    return pool.at


def _round_origins(
    p: _PoolSpec, cap: dict[tuple[Place, str], int]
) -> dict[tuple[str, Place, str], int] | None:
    """Whole jobs per (origin, place, slot) from a relaxation with whole jobs in every (place,
    slot), ``cap`` (the cell dive, ``planner.solve._cell_dive``): each count the relaxation's
    ``X`` rounded down or up, each origin's jobs of each size its total rounded (largest
    remainder over the origins, the size's total the cells'; lowered while its work exceeds its
    budget), each cell at most ``cap``. A transportation problem with bounds ``⌊X⌋ ≤ Y ≤ ⌈X⌉``:
    its constraint matrix is totally unimodular, so the simplex vertex (most of the relaxation's
    fractions kept, ``max Σ (X − ⌊X⌋) Y``) is whole. The packing's greedy put each origin's jobs
    where the relaxation's residual was largest and moved their traffic to other links (China:
    0.08 bn CNY/yr above the cells' LP). ``None`` when the hours of the slots differ or the LP
    fails."""
    hours = set(p.hours.values())
    if len(hours) != 1:
        return None
    w = hours.pop()
    keys = sorted(k for k, v in p.lp.items() if v > 1e-7 and cap.get((k[1], k[2]), 0) > 0)
    rows: dict[tuple[str, float], float] = {}
    for r, pl, _t in keys:
        rows[r, p.size[pl]] = rows.get((r, p.size[pl]), 0.0) + p.lp[r, pl, _t]
    target: dict[tuple[str, float], int] = {}
    for z in sorted({z for _r, z in rows}):
        mine = sorted(k for k in rows if k[1] == z)
        total = sum(n for (pl, _t), n in cap.items() if p.size[pl] == z)
        got = {k: math.floor(rows[k] + 1e-6) for k in mine}
        for k in sorted(mine, key=lambda k: (-(rows[k] - got[k]), k)):
            if sum(got.values()) >= min(total, round(sum(rows[k] for k in mine))):
                break
            if rows[k] - got[k] > 1e-6:
                got[k] += 1
        target.update(got)
    for r in sorted({r for r, _z in target}):
        mine = sorted((k for k in target if k[0] == r), key=lambda k: (rows[k] - target[k], k))
        while sum(w * z * n for (_r, z), n in target.items() if _r == r) > p.budget[r] + 1e-6:
            drop = next((k for k in mine if target[k] > math.floor(rows[k] + 1e-6)), None)
            if drop is None:
                return None
            target[drop] -= 1
    if not keys:
        return {}
    X = np.array([p.lp[k] for k in keys])
    lo, hi = np.floor(X + 1e-6), np.ceil(X - 1e-6)
    row_of = {k: i for i, k in enumerate(sorted(target))}
    col_of = {c: i for i, c in enumerate(sorted({(k[1], k[2]) for k in keys}))}
    A_eq = scipy.sparse.csr_matrix(
        (np.ones(len(keys)), ([row_of[k[0], p.size[k[1]]] for k in keys], range(len(keys)))),
        shape=(len(row_of), len(keys)),
    )
    A_ub = scipy.sparse.csr_matrix(
        (np.ones(len(keys)), ([col_of[k[1], k[2]] for k in keys], range(len(keys)))),
        shape=(len(col_of), len(keys)),
    )
    res = scipy.optimize.linprog(
        -(X - lo),
        A_ub=A_ub,
        b_ub=np.array([cap[c] for c in sorted(col_of)], dtype=float),
        A_eq=A_eq,
        b_eq=np.array([target[k] for k in sorted(row_of)], dtype=float),
        bounds=list(zip(lo, hi)),
        method="highs-ds",
    )
    if res.status != 0 or np.abs(res.x - np.round(res.x)).max(initial=0.0) > 1e-6:
        return None
    return {k: round(v) for k, v in zip(keys, res.x) if round(v) > 0}


def _quotas(p: _PoolSpec, move: float) -> dict[tuple[str, float], int] | None:
    """Step 3's quotas of jobs per (origin, size) for a class sized in cards: with the job sizes
    of its places (``S_z``) and its LP job-slots of each (``L_z``), the counts ``m_z`` that do the
    most work within its budget, ``Σ_z w S_z m_z ≤ B_r``, the closest to the relaxation
    (:func:`_closest_fill`). Greedy rounding of
    each size alone leaves up to a job of each size undone, which the mix of sizes can do:
    on China ``training_jobs_cards`` that was 3,080 PFLOPS·h a day of unserved work (5.6 bn
    CNY/yr). ``None`` when the slots' hours differ (no quotas)."""
    hours = set(p.hours.values())
    if len(hours) != 1:
        return None
    w = hours.pop()
    out: dict[tuple[str, float], int] = {}
    for r in p.budget:
        lp: dict[float, float] = {}
        for (rr, place, _t), v in p.lp.items():
            if rr == r and p.hold[place] > 0:
                lp[p.size[place]] = lp.get(p.size[place], 0.0) + v
        if not lp:
            continue
        counts = _closest_fill(lp, p.budget[r] / w, move)
        out.update({(r, z): m for z, m in counts.items()})
    return out


#: Weights of a PFLOPS·h moved between job sizes against one left undone (:func:`_closest_fill`),
#: one start tried with each (the best kept): unserved work costs 5,000 CNY/PFLOPS·h on China, a
#: job-slot of room on a type about 1% of that, or nearly nothing where the type idles anyway.
FILL_MOVES = (0.005, 0.0005)


def _closest_fill(lp: dict[float, float], cap: float, move: float) -> dict[float, int]:
    """Integer ``m_z ≥ 0`` for the sizes the relaxation uses, ``Σ S_z m_z ≤ cap``, with the least
    ``(cap − Σ S_z m_z) + move × Σ S_z |m_z − lp_z|``: work left undone costs far more than
    moving work between sizes (depth-first from the largest size, the smallest filled greedily;
    the best found after :data:`FILL_NODES` nodes)."""
    sizes = sorted((z for z, v in lp.items() if v > 1e-6), reverse=True)
    best: tuple[float, tuple[int, ...]] | None = None
    nodes = 0

    def search(i: int, left: float, chosen: tuple[int, ...]) -> None:
        nonlocal best, nodes
        nodes += 1
        if i == len(sizes) - 1 or nodes > FILL_NODES:
            counts = (*chosen, *([0] * (len(sizes) - len(chosen))))
            if i == len(sizes) - 1:
                counts = (*chosen, math.floor(left / sizes[i] + 1e-9))
            work = sum(z * c for z, c in zip(sizes, counts))
            dev = sum(z * abs(c - lp[z]) for z, c in zip(sizes, counts))
            score = (cap - work) + move * dev
            if best is None or score < best[0]:
                best = (score, counts)
            return
        for m in range(math.floor(left / sizes[i] + 1e-9), -1, -1):
            search(i + 1, left - m * sizes[i], (*chosen, m))

    if sizes:
        search(0, cap, ())
    return dict(zip(sizes, best[1])) if best is not None else {}


@dataclass
class _Pool:
    """Jobs being placed in one pool: per (origin, site, slot) ``count``, per (site, slot) ``at``."""

    cells: dict[tuple[str, Place, str], int]  # (origin, place, slot) → column
    hours: dict[str, float]  # slot → hours of work one job does there
    size: dict[Place, float]  # PFLOPS of one job there
    budget: dict[str, float]  # origin → PFLOPS·h it may still place
    upper: Columns
    count: dict[tuple[str, Place, str], int]
    at: dict[tuple[Place, str], int]
    #: (origin, job size) → job-slots of that size it may still place (sized in cards), or none
    quota: dict[tuple[str, float], int] | None = None
    #: (place, slot) → the most jobs there (the relaxation's whole count, after the cell dive)
    cell_cap: dict[tuple[Place, str], int] | None = None

    def put(
        self, key: tuple[str, Place, str], n: int, limit: dict[Place, int], capped: bool = False
    ) -> int:
        """Place up to ``n`` jobs in cell ``key`` within the site's ``limit`` (and, ``capped``,
        the cell's :attr:`cell_cap`), the column's bound and the origin's budget; returns how
        many were placed."""
        r, s, t = key
        work = self.hours[t] * self.size[s]
        n = min(
            n,
            limit[s] - self.at[s, t],
            (self.cell_cap.get((s, t), 0) - self.at[s, t]) if capped and self.cell_cap else n,
            math.floor(min(self.upper[self.cells[key]] - self.count[key], n) + 1e-9),
            math.floor(self.budget[r] / work + 1e-9),
        )
        if self.quota is not None:
            n = min(n, self.quota.get((r, self.size[s]), 0))
        if n <= 0:
            return 0
        self.count[key] += n
        self.at[s, t] += n
        self.budget[r] -= n * work
        if self.quota is not None:
            self.quota[r, self.size[s]] -= n
        return n

    def residual(
        self,
        k: tuple[str, Place, str],
        lp: dict[tuple[str, Place, str], float],
        lp_cell: dict[tuple[Place, str], float],
    ) -> tuple[float, float]:
        """How far the cell (and its site-slot) is below the relaxation: the order of step 3."""
        return lp[k] - self.count[k], lp_cell[k[1], k[2]] - self.at[k[1], k[2]]


def _one_type_per_site(
    b: pyo.Block,
    d: PlanningData,
    sizing: Any,
    pos: dict[int, int],
    x: Columns,
    fix: Columns,
    mask: Mask,
    placed_at: dict[tuple[str, str, str], int],
    needs: dict[SiteKey, Needs],
) -> None:
    """Step 4 of :func:`job_start` for one block: the jobs' types (``hw_jobs``) and what they need."""
    use = _uses(d)
    hw = b.component("hw_jobs")
    hw_of: dict[tuple[str, str], list[tuple[str, str, int]]] = {}  # (j, s) → (h, slot, column)
    for (j, s, h, t), v in hw.items() if hw is not None else ():
        i = pos.get(id(v))
        if i is not None:
            hw_of.setdefault((j, s), []).append((h, t, i))
            fix[i], mask[i] = 0.0, True
    peak: dict[tuple[str, str], int] = {}
    for (j, s, _t), n in placed_at.items():
        peak[j, s] = max(peak.get((j, s), 0), n)
    for (j, s), p in peak.items():
        types = use.get((j, s), [])
        if p <= 0 or not types:
            continue
        S = d.job_pflops[j]
        if d.scenario_class(j).job_one_hardware:
            lp_use = {h: sum(x[i] for hh, _t, i in hw_of.get((j, s), []) if hh == h) for h in types}
            fits = [
                h
                for h in types
                if _module_room(d, sizing, s, h) * d.pflops[h] * d.efficiency[j, h] >= p * S - 1e-6
            ] or types
            h_star = max(
                fits,
                key=lambda h: (lp_use[h], d.pflops[h] * d.efficiency[j, h] / max(d.kw[h], 1e-9)),
            )
            for h, t, i in hw_of.get((j, s), []):
                if h == h_star:
                    fix[i] = float(placed_at.get((j, s, t), 0))
            types = [h_star]
        if sizing is not None:
            key = tuple(id(sizing.modules[s, h]) for h in d.HW)
            need = needs.setdefault(key, {})
            need[j, tuple(types)] = max(need.get((j, tuple(types)), 0.0), p * S)


def _fit_site(
    d: PlanningData,
    sizing: Any,
    s: str,
    pos: dict[int, int],
    x: Columns,
    lower: Columns,
    upper: Columns,
    fix: Columns,
    mask: Mask,
    needs: Needs,
) -> None:
    """Step 4's modules and open at one site: rounded up, room for the jobs, within the site's rows."""
    cols = {h: pos[id(sizing.modules[s, h])] for h in d.HW if id(sizing.modules[s, h]) in pos}
    for i in cols.values():
        fix[i] = min(upper[i], max(lower[i], math.ceil(x[i] - 1e-3)))
        mask[i] = True

    def modules(h: str) -> float:
        return float(fix[cols[h]]) if h in cols else float(d.existing.get((s, h), 0))

    def held(j: str, types: tuple[str, ...]) -> float:
        return sum(d.efficiency[j, h] * d.pflops[h] * modules(h) for h in types)

    target = needs
    for (j, types), pf in target.items():
        grow = [h for h in types if h in cols]
        while held(j, types) < pf - 1e-6:
            room = [h for h in grow if fix[cols[h]] + 1 <= upper[cols[h]] + 1e-9]
            if not room:
                break  # cannot hold the jobs: the fixed LP will say so
            h = max(
                room,
                key=lambda h: (x[cols[h]], d.pflops[h] * d.efficiency[j, h] / max(d.kw[h], 1e-9)),
            )
            fix[cols[h]] += 1

    def over() -> bool:
        kw = sum(d.kw[h] * modules(h) for h in d.HW)
        cap = d.max_modules_site[s]
        return kw > 1000 * d.max_it_mw[s] + 1e-6 or (
            cap is not None and sum(modules(h) for h in d.HW) > cap + 1e-9
        )

    def may_lower(h: str) -> bool:
        i = cols[h]
        if fix[i] - 1 < lower[i] - 1e-9:
            return False
        fix[i] -= 1
        ok = all(held(j, types) >= pf - 1e-6 for (j, types), pf in target.items())
        fix[i] += 1
        return ok

    needed = {h for (_j, types) in needs for h in types}
    for h in sorted(cols, key=lambda h: (h in needed, x[cols[h]] - math.floor(x[cols[h]]))):
        while over() and may_lower(h):
            fix[cols[h]] -= 1
    io = pos.get(id(sizing.open[s]))
    if io is not None:
        fix[io] = 1.0 if sum(modules(h) for h in d.HW) > 0.5 else 0.0
        mask[io] = True


#: a room of a class sized in cards: (investments, class, site, hardware type)
RoomKey = tuple[Any, str, str, str]


@dataclass
class Rooms:
    """The rooms of the classes sized in cards (``job_room[j,s,h]``), for the room dive of the MIP
    start (``planner.solve._room_dive``): which columns hold them, what each can hold and cost."""

    #: room → its ``job_room`` columns (one per demand future: the futures share the modules)
    cols: dict[RoomKey, list[int]]
    #: room → the most jobs it can hold (the column's upper bound)
    hold: dict[RoomKey, int]
    #: room → per (future, slot) the ``card_jobs`` columns that run there (their sum ≤ the room)
    slots: dict[RoomKey, list[list[int]]]
    #: (investments, class, type) → CNY/yr of the modules one job's room needs (the dive's order)
    cost: dict[tuple[Any, str, str], float]
    #: room → per (future, slot) the hardware split columns ``y[j,s,h,t]`` of its slices and the
    #: PFLOPS of one job (``y = S × Σ_r card_jobs``: fixing them fixes the jobs there) and the
    #: future (its placement block's id)
    ysplit: dict[RoomKey, list[tuple[list[int], float, int]]] = field(default_factory=dict)

    def peaks(self, x: Columns) -> dict[RoomKey, float]:
        """Room → the most jobs ``x`` runs there in one slot (of any future)."""
        return {
            k: max((float(sum(x[i] for i in cs)) for cs in self.slots[k]), default=0.0)
            for k in self.cols
        }

    def types(self) -> list[tuple[Any, str, str]]:
        """The (investments, class, type) groups of rooms, the dearest room first."""
        return sorted(self.cost, key=lambda t: (-self.cost[t], t[1], t[2]))


def card_rooms(m: pyo.Block, columns: list[Any]) -> Rooms | None:
    """The :class:`Rooms` of ``m`` (its placement blocks with ``card_jobs`` and ``job_room`` and
    module variables), or ``None`` when it has none."""
    pos = {id(v): i for i, v in enumerate(columns)}
    out = Rooms({}, {}, {}, {})
    for b in m.component_data_objects(pyo.Block, descend_into=True):
        d = getattr(b, "_planner_data", None)
        card, room = b.component("card_jobs"), b.component("job_room")
        if d is None or b.local_name != "placement" or card is None or room is None:
            continue
        sizing = getattr(b.parent_block(), "sizing", None)
        if sizing is None or sizing.modules.ctype is not pyo.Var:
            continue
        inv = _investments(b, sizing)
        cells: dict[tuple[str, str, str, str], list[int]] = {}
        for (j, _r, s, h, sl), v in card.items():
            if id(v) in pos:
                cells.setdefault((j, s, h, sl), []).append(pos[id(v)])
        ycols: dict[tuple[str, str, str, str], list[int]] = {}
        for (j, s, h, t), v in b.y.items():
            if (j, h) in d.job_card_size and id(v) in pos:
                ycols.setdefault((j, s, h, _slot(d, j, t)), []).append(pos[id(v)])
        for (j, s, h), v in room.items():
            if not h or id(v) not in pos:
                continue
            key = (inv, j, s, h)
            out.cols.setdefault(key, []).append(pos[id(v)])
            out.hold[key] = min(out.hold.get(key, 10**9), int(v.ub) if v.ub is not None else 10**9)
            mine = sorted(k for k in cells if k[:3] == (j, s, h))
            out.slots.setdefault(key, []).extend(cells[k] for k in mine)
            out.ysplit.setdefault(key, []).extend(
                (ycols.get(k, []), d.job_card_size[j, h], id(b)) for k in mine
            )
            pods = math.ceil(d.job_card_size[j, h] / (d.pflops[h] * d.efficiency[j, h]) - 1e-9)
            out.cost[inv, j, h] = pods * (d.capex_annual[h] + d.fixed_om[h])
    return out if out.cols else None


def round_rooms(
    peaks: dict[RoomKey, float], keys: list[RoomKey], n: int, hold: dict[RoomKey, int]
) -> dict[RoomKey, int] | None:
    """``n`` whole rooms over ``keys`` by largest remainder: each room its peak rounded down
    (within what it holds), then one more at a time to the largest fractions; ``None`` when the
    rooms cannot hold ``n``."""
    out = {k: min(hold[k], math.floor(peaks[k] + 1e-6)) for k in keys}
    while sum(out.values()) > n:  # more whole peaks than n: lower the smallest
        k = min((k for k in keys if out[k] > 0), key=lambda k: (peaks[k], k))
        out[k] -= 1
    order = sorted(keys, key=lambda k: (-(peaks[k] - out[k]), k))
    while sum(out.values()) < n:
        grow = [k for k in order if out[k] < hold[k]]
        if not grow:
            return None
        out[grow[0]] += 1
        order = order[order.index(grow[0]) + 1 :] + order[: order.index(grow[0]) + 1]
    return out
