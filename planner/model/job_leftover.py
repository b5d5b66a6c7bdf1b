"""All demand served, in whole jobs: what ``policy.allow_unserved: false`` asks of a job class.

Work that comes in whole jobs can rarely be served to the last PFLOPS·h: a day's training is not a
whole number of job-hours, and a job that fits at no site cannot run at all. So for a class with a
job size (``job_pflops`` or ``job_cards``), ``allow_unserved: false`` does not fix its unserved
work at 0 (that plan would be infeasible for almost any demand); it asks every whole job to be
served and leaves at most the remainder no whole job can do (docs/model.md §10, "Jobs"):

``Σ_{t∈g} w[t] unserved[j,r,t] ≤ b_g − a_g ⌊b_g / a_g⌋``  for each group ``g`` of the job rows,

with the group, its work ``b_g`` and its unit ``a_g`` as in :func:`planner.model.jobs.job_ceilings`:

- shiftable: per representative day, ``b = Σ_{t∈day} w[t] d[j,r,t]`` (PFLOPS·h), the weights
  ``w[t]`` on the left; ``a = h_min × S_min``, ``h_min`` the fewest hours a job count is held over
  (one slice's weight, or the day's hours when jobs stay put) and ``S_min`` the smallest job
  any eligible site can hold (on each type, for a size in cards);
- not shiftable, per slice (``w = 1``): ``b = d[j,r,t]`` and ``a = S_min``; when jobs stay put
  over the day, the jobs of every slice are those of the day's least demand, so
  ``unserved[j,r,t] ≤ d[j,r,t] − a ⌊min_{t'∈day} d[j,r,t'] / a⌋``.

The right-hand side is less than one unit ``a``, and it can always be reached as far as the
demand goes: jobs of size ``S_min`` held over ``h_min`` hours, added one at a time, do the work
``a ⌊b/a⌋`` (capacity permitting: if no plan can build it, the plan is infeasible and explained
like any demand that cannot be served). A (class, region) that no whole job can serve at all
(:attr:`PlanningData.unserved_reason`: it fits nowhere, or its demand never fills one job) keeps
all of its work unserved, with that reason in the report.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from ..data import PlanningData


def whole_job_classes(d: PlanningData) -> set[str]:
    """The classes with a job size (``job_pflops`` or ``job_cards``)."""
    return set(d.job_pflops) | {j for j, _h in d.job_card_size}


def _smallest_jobs(m: pyo.Block, d: PlanningData) -> dict[tuple[str, str], float]:
    """``S_min[j,r]``: the smallest job of class ``j`` from ``r`` that some site can hold.

    Read off the job counts' upper bounds (a count that may not exceed 0 is a type or site that
    cannot hold one job)."""
    out: dict[tuple[str, str], float] = {}

    def keep(j: str, r: str, size: float) -> None:
        out[j, r] = min(out.get((j, r), math.inf), size)

    b = m.placement
    for key, var in getattr(b, "jobs", {}).items():
        j, r = key[0], key[1]
        if var.ub is None or var.ub >= 1:
            keep(j, r, d.job_pflops[j])
    for key, var in getattr(b, "card_jobs", {}).items():
        j, r, _s, h = key[0], key[1], key[2], key[3]
        if var.ub is None or var.ub >= 1:
            keep(j, r, d.job_card_size[j, h])
    return out


def leftover_rows(
    m: pyo.Block, d: PlanningData
) -> dict[tuple[str, str, str], tuple[list[tuple[str, float]], float]]:
    """``(class, region, day or slice)`` → (slices with their weights, the most work left unserved)."""
    smallest = _smallest_jobs(m, d)
    out: dict[tuple[str, str, str], tuple[list[tuple[str, float]], float]] = {}
    demand: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for (j, r, t), v in d.demand.items():
        demand[j, r][t] = v
    for (j, r), S in smallest.items():
        if (j, r) in d.unserved_reason or not math.isfinite(S):
            continue
        moves = d.scenario_class(j).job_moves
        dem = demand[j, r]
        for day, ts in d.DAYS.items():
            ts = [t for t in ts if t in dem]
            if not ts:
                continue
            if d.shiftable[j]:
                hours = min(d.weight[t] for t in ts) if moves else sum(d.weight[t] for t in ts)
                a = hours * S
                work = sum(d.weight[t] * dem[t] for t in ts)
                out[j, r, day] = ([(t, d.weight[t]) for t in ts], work - a * _whole(work / a))
            elif moves:
                for t in ts:
                    out[j, r, t] = ([(t, 1.0)], dem[t] - S * _whole(dem[t] / S))
            else:
                done = S * _whole(min(dem[t] for t in ts) / S)
                for t in ts:
                    out[j, r, t] = ([(t, 1.0)], dem[t] - done)
    return out


def _whole(x: float) -> int:
    """``⌊x⌋``, forgiving the last digits of a float (3 − 1e-12 counts as 3)."""
    return math.floor(x + 1e-9)


#: Slack on each row's right-hand side, relative to the group's work (floats of the demand).
REL_TOL = 1e-7


def add_job_leftover(m: pyo.Block, d: PlanningData) -> None:
    """Under ``allow_unserved: false``: free the whole-job classes' unserved work (fixed at 0 for
    the others) and bound it by the remainder no whole job can do (see the module docstring)."""
    if d.scenario.policy.allow_unserved:
        return
    b = m.placement
    rows = leftover_rows(m, d)
    freed = {(j, r) for (j, r, _g) in rows} | set(d.unserved_reason)
    for (j, r, _t), var in b.unserved.items():
        if (j, r) in freed:  # a class no site can serve stays at 0: infeasible, and explained
            var.setub(None)
    scale = {k: sum(w * d.demand[k[0], k[1], t] for t, w in rows[k][0]) for k in rows}

    def rule(b: Any, j: str, r: str, g: str) -> Any:
        cells, most = rows[j, r, g]
        return quicksum(w * b.unserved[j, r, t] for t, w in cells) <= most + REL_TOL * max(
            1.0, scale[j, r, g]
        )

    b.whole_jobs_leave_only_a_remainder = pyo.Constraint(
        list(rows),
        rule=rule,
        doc="Σ_{t∈g} w[t] unserved[j,r,t] ≤ b − a⌊b/a⌋: every whole job served (allow_unserved: false)",
    )
