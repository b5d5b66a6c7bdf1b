"""Work in whole jobs (docs/model.md §10, "Jobs"): integer job counts per site.

For a class ``j`` with a job size ``S = job_pflops``: ``x[j,r,s,t] = S × k[j,r,s,t]`` with integer
``k ≥ 0`` — each job runs whole at one site; demand that does not fill a whole job is unserved.
With ``job_moves: false`` a site runs the same jobs in every slice of a representative day:
``k[j,r,s,t] = k[j,r,s,day(t)]``. With ``job_one_hardware`` each job runs on one hardware type:
``y[j,s,h,t] = S × q[j,s,h,t]`` with integer ``q ≥ 0`` (and, from the hardware split,
``Σ_h q = Σ_r k``), so a job never spans types and fits within one type's installed capacity.
Sites that could never hold one job are not eligible (``planner.data.job_capacity``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pyomo.environ as pyo

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

    JY = [k for k in d.Y if k[0] in size and d.scenario_class(k[0]).job_one_hardware]
    yslot = {(j, t): _slot(d, j, t) for (j, _s, _h, t) in JY}
    Q = sorted({(j, s, h, yslot[j, t]) for (j, s, h, t) in JY})
    b.hw_jobs = pyo.Var(Q, domain=pyo.NonNegativeIntegers, doc="jobs of class j at s on hardware h")

    @b.Constraint(JY, doc="y[j,s,h,t] = job_pflops[j] × hw_jobs[j,s,h,slot(t)]")
    def jobs_on_one_hardware(b: Any, j: str, s: str, h: str, t: str) -> Any:
        return b.y[j, s, h, t] == size[j] * b.hw_jobs[j, s, h, yslot[j, t]]


Columns = npt.NDArray[np.float64]


def round_jobs(m: pyo.Block, columns: list[Any], x: Columns, out: Columns) -> None:
    """MIP-start rounding of job counts: down (work short of a whole job is unserved, always
    feasible), and each site's jobs per hardware type made to add up to its rounded jobs (the
    types with the largest LP counts first). ``x`` holds the relaxation, ``out`` the rounded plan."""
    pos = {id(v): i for i, v in enumerate(columns)}
    for b in m.component_data_objects(pyo.Block, descend_into=True):
        jobs = b.component("jobs")
        if jobs is None or b.local_name != "placement":
            continue
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
