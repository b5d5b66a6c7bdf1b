"""The Benders loop: master and subproblems until the bound and the best plan are within the gap.

1. **Build.** Every subproblem is built on its worker once (:mod:`.pool`); it reports its coupled
   targets, so the master gets the budget variables ``b_{k,d}`` and year rows.
   The master is strengthened (partial Benders, :mod:`.relaxation`): the subproblem with the
   busiest slice is kept whole in it and every other one bounds its ``θ_d`` by a pooled-hardware
   relaxation ``R_d(x)`` (``relaxation=False``: cuts only, the method before).
2. **LP phase** (level-set stabilisation, Pecci and Jenkins 2024). The first point is the master's
   LP before any cut, sites and links it uses set open (without the stronger master: the peak
   day's LP standing for the year), with cuts around it scaled by 0.8 and 1.25. The master's LP relaxation
   gives the bound ``L``; with ``U`` the best LP point's cost so far (at ``x_core``), the next point
   is the projection of ``x_core`` on ``{cut model ≤ L + ¼ (U − L)}`` (an ℓ1 projection, scaled by
   each variable's range: an LP), where the subproblems give their cuts. (Alternating with the
   master's own point, Kelley's, was measured slower on China with 2 days.) Stops when ``L`` and ``U`` are within
   half the asked gap. A level-set step that HiGHS does not solve within
   ``PROJECT_ITERATIONS`` simplex iterations gives way to the master's own point, and after
   ``PROJECT_FAILURES`` such steps in a row the master's own points are taken for the rest of
   the phase (Kelley's method; the steps' time is counted in the master's). Every
   ``ROUND_EVERY`` (``ROUND_EVERY_PARTIAL``) iterations the best point is also rounded to a plan
   (step 3) and evaluated; the phase ends when that plan is within the asked gap of ``L`` (on
   China with 4 days at 10% the LP gap stayed near 6% for 70 iterations while the rounded plan
   was within 3.6%). ``L`` is a lower bound of the plan.
3. **First plan**: the rounding heuristic of :mod:`planner.solve` applied to ``x_core`` (round up
   from 10⁻³, repair rows over integers, single-site assignments to their largest share), budgets
   from the master with the investments fixed: a real plan, the first upper bound.
4. **Integer phase.** The master MILP (to half the gap, or until its dual bound proves the best
   plan within the gap) gives a plan and a lower bound
   (HiGHS's dual bound); the subproblems at that plan give cuts and an upper bound. Stops when
   ``(best − bound) / best ≤ mip_gap``, at the time limit, or after ``max_iterations``.

**Demand futures** (:func:`solve_decomposed_futures`): one subproblem per (future, day or group of
days), each on its future's data; the master (:mod:`.master`) holds the shared investments, each
future's single-site assignments and year rows, and minimises the risk measure of the futures'
costs ``c_f = inv_f(x) + Σ_{d of f} θ_d``; every plan's value is that risk measure at the
subproblems' costs (:meth:`.master.Master.value`). The loop is the same.

Bounds are those of a decomposition: every cut is valid, so the master's bound never exceeds the
optimum; every evaluated integer plan is a real plan, so the best is an upper bound.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..data import PlanningData
from ..errors import SolverError
from ..horizon.futures import FuturesData
from .master import Master
from .pool import Pool
from .relaxation import applies, relaxation_groups
from .split import (
    COUPLED,
    Layout,
    Risk,
    Splitter,
    budget_range,
    lever_share,
    master_name,
    theta_floor,
)
from .subproblem import Spec, SubResult

log = logging.getLogger(__name__)

#: The first point is evaluated scaled by each of these (cuts on both sides of it).
START_SCALES = (1.0, 0.8, 1.25)
#: Level of the level-set step: bound + LEVEL × (best LP point − bound).
LEVEL = 0.25
#: Most iterations of the LP phase, and its share of the time limit.
MAX_LP_ITERATIONS = 200
LP_TIME_SHARE = 0.5
#: The LP phase ends once its gap is within half the asked gap, or within this when less is asked:
#: asked 0 (or 1e-9), the LP gap of hourly_small, cuts only, never closed and its 200 LP
#: iterations used up the iteration limit, leaving a plan 5.6% from its bound.
LP_GAP_FLOOR = 1e-6
#: A gap this much above the asked one counts as within it: the subproblems' and the master's
#: own tolerances (asked 0, hourly_small ends at 3.9e-11, and would re-solve the same master MILP
#: until the iteration limit).
GAP_TOL = 1e-9
#: Every this many LP iterations the best point so far is rounded to a plan and evaluated: the
#: LP phase ends as soon as that plan is within the asked gap of the bound.
ROUND_EVERY = 10
#: The same with subproblems kept whole in the master (partial Benders): its LP points are near
#: plans already (China with 4 days: the first rounding, after 6 LP steps, was within 2.2%).
ROUND_EVERY_PARTIAL = 3
#: Most relaxation blocks in the master: with more subproblems, days of like peak share one (a
#: pooled relaxation costs ≈ 700 master columns; one per day of the year would be ≈ 255,000).
RELAX_GROUPS = 32
#: Simplex iterations a level-set step may take (else the master's own point): a count, not
#: seconds, so that the path does not depend on the machine's load.
PROJECT_ITERATIONS = 20000
#: After this many level-set steps in a row that HiGHS did not solve within ``PROJECT_ITERATIONS``,
#: the LP phase takes the master's own point for the rest of it (China with 52 days: every step
#: hit the limit, 10–12 s each, and the master's point was taken anyway).
PROJECT_FAILURES = 3


@dataclass
class Iteration:
    """One iteration: what the master proved, what the best plan costs, and where the time went."""

    iteration: int
    phase: str  # LP | first plan | integer | final
    lower_bound: float
    best_plan: float | None
    gap: float | None
    seconds: float
    master_s: float
    subproblems_s: float
    subproblem_cpu_s: float
    cuts: int
    lp_point: float | None = None  # LP phase: the cost of the best (fractional) point so far


@dataclass
class DecomposedOutcome:
    """The result of a decomposed solve (the plan's investments, budgets, and every subproblem's values)."""

    status: str  # optimal (within the gap) | feasible (stopped early with a plan)
    objective: float
    bound: float
    gap: float
    x: dict[str, float]
    b: dict[tuple[tuple[str, str], int], float]
    iterations: list[Iteration]
    values: dict[str, float] = field(default_factory=dict)
    elastic: dict[tuple[str, str], float] = field(default_factory=dict)
    unserved_hard: float = 0.0
    seconds: float = 0.0
    #: CPU seconds: the driver's own, plus the subproblems' solve seconds on Dask workers
    cpu_s: float = 0.0
    build_s: float = 0.0
    subproblems: int = 0
    workers: int = 0
    rebuilt: int = 0
    sizes: dict[str, int] = field(default_factory=dict)
    termination: str = ""
    future_costs: list[float] = field(default_factory=list)  # c_f at the plan (futures)

    def table(self) -> pd.DataFrame:
        """The Iterations sheet: bound, best plan, gap and time per iteration."""
        rows = [
            {
                "iteration": it.iteration,
                "phase": it.phase,
                "lower bound": it.lower_bound,
                "best plan": it.best_plan,
                "gap": it.gap,
                "seconds": it.seconds,
                "master s": it.master_s,
                "subproblems s (wall)": it.subproblems_s,
                "subproblems CPU s": it.subproblem_cpu_s,
                "cuts": it.cuts,
                "best LP point": it.lp_point,
            }
            for it in self.iterations
        ]
        return pd.DataFrame(rows)


def _gap(ub: float | None, lb: float) -> float | None:
    if ub is None or not math.isfinite(lb):
        return None
    return max(0.0, ub - lb) / max(abs(ub), 1e-9)


def _proving_bound(best: float, mip_gap: float) -> float:
    """The least bound that proves ``best`` within ``mip_gap`` (:func:`_gap`), a hair above it."""
    return best - mip_gap * max(abs(best), 1e-9) + 1e-12 * max(abs(best), 1.0)


def whole_job_classes(data: PlanningData) -> list[str]:
    """The classes that run in whole jobs (``job_pflops`` or ``job_cards``), sorted."""
    return sorted(set(data.job_pflops) | {j for j, _ in data.job_card_size})


def _refuse_whole_jobs(data: PlanningData) -> None:
    """Whole jobs are integers in every slice: a day's subproblem would be a MILP, whose duals give
    no valid Benders cut. Such plans are solved whole (``choose_method`` says so)."""
    if jobs := whole_job_classes(data):
        raise ValueError(
            f"the decomposed method plans work that may be split; {', '.join(jobs)} run(s) in "
            "whole jobs (job_pflops / job_cards), which are integers in every hour: "
            "use solver.method: monolithic"
        )


def solve_decomposed(
    data: PlanningData,
    *,
    time_limit: float = 600.0,
    mip_gap: float = 0.01,
    workers: int | None = None,
    scheduler: str | None = None,
    days_per_group: int = 1,
    max_iterations: int = 200,
    values: bool = True,
    on_iteration: Callable[[Iteration], None] | None = None,
    relaxation: bool = True,
    retain: int = 1,
    relax_groups: int | None = None,
) -> DecomposedOutcome:
    """Plan ``data`` by Benders decomposition over its days (see the module docstring).

    Parameters
    ----------
    data
        From :func:`planner.prepare` (one period).
    time_limit, mip_gap
        The whole solve's seconds and the relative gap between the bound and the best plan.
    workers
        Dask workers of the local cluster [default: the number of cores]; 0 runs in this process.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``); ``workers`` is then ignored.
    days_per_group
        Representative days per subproblem.
    max_iterations
        Most iterations (LP phase included; the first plan and the final round of solves follow).
    values
        Return every column's value at the best plan (what the report is built from).
    on_iteration
        Called after each iteration (the progress display).
    relaxation
        Keep a relaxation of every subproblem in the master (:mod:`.relaxation`): ``θ_d ≥ R_d(x)``.
    retain
        With ``relaxation``: this many subproblems (those with the busiest slices) are kept whole
        in the master (partial Benders), the others by their relaxation.
    relax_groups
        Most relaxation blocks in the master [default :data:`RELAX_GROUPS`]: beyond, days of like
        peak share one (:func:`.relaxation.relaxation_groups`).
    """
    _refuse_whole_jobs(data)
    return _benders(
        data,
        None,
        time_limit=time_limit,
        mip_gap=mip_gap,
        workers=workers,
        scheduler=scheduler,
        days_per_group=days_per_group,
        max_iterations=max_iterations,
        values=values,
        on_iteration=on_iteration,
        relaxation=relaxation,
        retain=retain,
        relax_groups=RELAX_GROUPS if relax_groups is None else relax_groups,
    )


def solve_decomposed_futures(
    fd: FuturesData,
    *,
    measure: str = "expected",
    level: float = 0.9,
    weight: float = 1.0,
    best: dict[str, float] | None = None,
    time_limit: float = 600.0,
    mip_gap: float = 0.01,
    workers: int | None = None,
    scheduler: str | None = None,
    days_per_group: int = 1,
    max_iterations: int = 200,
    values: bool = True,
    on_iteration: Callable[[Iteration], None] | None = None,
    relaxation: bool = True,
    retain: int = 1,
    relax_groups: int | None = None,
) -> DecomposedOutcome:
    """Plan over demand futures by Benders: one subproblem per (future, day or group of days).

    ``measure``, ``level``, ``weight`` and ``best`` are those of
    :func:`planner.model.futures.build_futures_model` (``best``: each future's own optimum, for
    ``regret``); the other parameters those of :func:`solve_decomposed`. The values returned
    (``x``, ``values``) carry the names of the monolithic futures model's columns.
    """
    if fd.multi_period:
        raise ValueError(
            "the decomposed method plans one period; use solver.method: monolithic for several periods"
        )
    if measure == "regret" and best is None:
        raise ValueError("measure 'regret' needs each future's own optimum (best)")
    for name in fd.names:
        _refuse_whole_jobs(fd.data[name])
    risk = Risk(
        measure, float(level), float(weight), tuple(best[f] for f in fd.names) if best else None
    )
    first = fd.data[fd.names[0]]
    return _benders(
        first,
        (fd, risk),
        time_limit=time_limit,
        mip_gap=mip_gap,
        workers=workers,
        scheduler=scheduler,
        days_per_group=days_per_group,
        max_iterations=max_iterations,
        values=values,
        on_iteration=on_iteration,
        relaxation=relaxation,
        retain=retain,
        relax_groups=RELAX_GROUPS if relax_groups is None else relax_groups,
    )


def _benders(
    data: PlanningData,
    futures: tuple[FuturesData, Risk] | None,
    *,
    time_limit: float,
    mip_gap: float,
    workers: int | None,
    scheduler: str | None,
    days_per_group: int,
    max_iterations: int,
    values: bool,
    on_iteration: Callable[[Iteration], None] | None,
    relaxation: bool = True,
    retain: int = 1,
    relax_groups: int = RELAX_GROUPS,
) -> DecomposedOutcome:
    """The loop of the module docstring, on one demand (``futures`` None) or over demand futures."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    deadline = t0 + time_limit
    sc = data.scenario
    if sc.periods:
        raise ValueError(
            "the decomposed method plans one period; use solver.method: monolithic for several periods"
        )
    name = sc.name if futures is None else futures[0].scenario.name
    datas = [data] if futures is None else [futures[0].data[f] for f in futures[0].names]
    splits = [Splitter(d, days_per_group) for d in datas]
    subs = [(fi, d) for fi, sp in enumerate(splits) for d in range(len(sp))]
    n = len(subs)
    layout = None if futures is None else Layout(futures[0], [fi for fi, _ in subs], futures[1])
    prices = {k: v for k, v in sc.policy.policy_slack_cost.items() if k in COUPLED}
    hard_unserved = not sc.policy.allow_unserved

    def spec_of(i: int) -> Spec:
        fi, d = subs[i]
        return Spec(i, splits[fi].data_of(d), prices, hard_unserved)

    pool = Pool(spec_of, workers=workers, scheduler=scheduler)
    history: list[Iteration] = []
    try:
        tb = time.perf_counter()
        built = pool.map([(i, None, None, False) for i in range(n)], n)
        build_s = time.perf_counter() - tb
        targets: dict[tuple[str, str], Any] = {}
        boxes: dict[tuple[tuple[str, str], int], tuple[float, float]] = {}
        sizes = {"subproblems": n, "columns": 0, "rows": 0}
        floor = theta_floor(data)
        theta_lb = []
        for r in built:
            fi, d = subs[r.index]
            for t in r.targets or []:
                targets.setdefault(t.key, t)
                boxes[t.key, r.index] = budget_range(
                    datas[fi], splits[fi].slices[d], t.key, lever_share(sc, t.key)
                )
            sizes["columns"] += (r.size or {}).get("columns", 0)
            sizes["rows"] += (r.size or {}).get("rows", 0)
            theta_lb.append(floor if futures is None else theta_floor(datas[fi]))
        relax = (
            [splits[fi].data_of(d) for fi, d in subs]
            if relaxation and all(applies(d) for d in datas)
            else None
        )
        peaks = _peaks(datas, splits, subs) if relax is not None else {}
        kept = _peak_subproblems(peaks, retain)
        groups = relaxation_groups(
            {i: v for i, v in peaks.items() if i not in kept},
            {i: fi for i, (fi, _d) in enumerate(subs)},
            relax_groups,
        )
        master = Master(
            data,
            n,
            targets,
            boxes,
            theta_lb,
            layout,
            relax,
            {i: splits[subs[i][0]].data_of(subs[i][1]) for i in kept},
            groups,
        )
        prefix = master.prefix

        def local_x(i: int, x: dict[str, float]) -> dict[str, float]:
            """The investments as subproblem ``i`` names them (its future's assignments)."""
            if prefix is None:
                return x
            return {loc: x[mn] for loc, mn in master.local_x[subs[i][0]].items()}

        def plan_value(x: dict[str, float], b: dict[Any, float], res: list[SubResult]) -> float:
            """The objective of plan ``(x, b)`` whose subproblems returned ``res``."""
            return master.value(master.columns(x, b), np.array([r.cost for r in res]))

        sizes["master columns"] = master.n_cols
        log.info(
            "decomposed %s: %d subproblems (%d columns, %d rows in all), master %d columns "
            "(%d rows of the subproblems' relaxation; subproblems %s kept whole, %d rows), built in %.1fs",
            name,
            n,
            sizes["columns"],
            sizes["rows"],
            master.n_cols,
            master.relax_rows,
            master.retained,
            master.retain_rows,
            build_s,
        )

        keys_of: dict[int, list[tuple[str, str]]] = {i: [] for i in range(n)}
        for k, d in boxes:
            keys_of[d].append(k)

        def evaluate(
            x: dict[str, float], b: dict[Any, float], want: bool = False
        ) -> tuple[list[SubResult], float]:
            # within the master's bounds: an LP point a hair below 0 (units −1e-9, seen) makes a
            # subproblem infeasible (flow ≤ 400 Gbps × units), the columns being fixed there
            x = {k: min(master.upper[k], max(master.lower[k], v)) for k, v in x.items()}
            calls: list[
                tuple[int, dict[str, float] | None, dict[tuple[str, str], float] | None, bool]
            ] = [
                (i, local_x(i, x), {k: b.get((k, i), 0.0) for k in keys_of[i]}, want)
                for i in range(n)
            ]
            ts = time.perf_counter()
            res = pool.map(calls, n)
            return res, time.perf_counter() - ts

        def add_cuts(res: list[SubResult], x: dict[str, float], b: dict[Any, float]) -> None:
            for r in res:  # in index order: the same master whatever the number of workers
                names = master.local_x[subs[r.index][0]]
                master.add_cut(
                    r.index,
                    r.cost,
                    r.grad_x if prefix is None else {names[k]: g for k, g in r.grad_x.items()},
                    r.grad_b,
                    x,
                    {k: b.get((k, r.index), 0.0) for k in r.grad_b},
                )

        def record(
            phase: str,
            lb: float,
            ub: float | None,
            ti: float,
            ms: float,
            ss: float,
            res: list[SubResult],
            lp_point: float | None = None,
        ) -> None:
            it = Iteration(
                len(history) + 1,
                phase,
                lb,
                ub,
                _gap(ub, lb),
                time.perf_counter() - ti,
                ms,
                ss,
                sum(r.seconds for r in res),
                master.n_cuts,
                lp_point,
            )
            history.append(it)
            gap = f"{100 * it.gap:.3f}%" if it.gap is not None else "n/a"
            log.info(
                "decomposed %s: iteration %d (%s) bound %.6g best %s gap %s%s (master %.2fs, subproblems %.2fs)",
                name,
                it.iteration,
                phase,
                lb,
                f"{ub:.6g}" if ub is not None else "none",
                gap,
                f" LP point {lp_point:.6g}" if lp_point is not None else "",
                ms,
                ss,
            )
            if on_iteration is not None:
                on_iteration(it)

        # ---- LP phase ------------------------------------------------------------------------
        lb = -math.inf
        # the first point: the LP relaxation of the peak day standing for the whole year (else the
        # largest plan), budgets at their boxes' centres; a plan whose cuts are moderate, where the
        # empty plan's (all work undone) are steep
        ti = time.perf_counter()
        # with futures, the peak day of the future with the most work (the first of equals): a plan
        # that serves every future, whose cuts are moderate everywhere; sized for a smaller future
        # it leaves the larger ones' work undone at its penalty (China, three futures: 3.8e11
        # CNY/yr from the base future's peak day, against an optimum of 2.5e10)
        x0: dict[str, float] | None = None
        if master.relax_rows:
            # with the subproblems' relaxation in the master, its LP optimum before any cut is a
            # plan sized for every day's work at least cost (pooled by hardware): the first point
            try:
                m0 = master.solve(integer=False, time_limit=max(1.0, 0.1 * time_limit), gap=0.0)
                if math.isfinite(m0.bound):
                    x0, lb = _opened(m0.x), m0.bound
                    log.info(
                        "decomposed %s: first point from the master's LP with the relaxation: %.6g",
                        name,
                        m0.objective,
                    )
            except SolverError as err:
                log.info("decomposed %s: master LP before cuts: %s", name, err)
        if x0 is None:
            pf = int(
                np.argmax([sum(d.weight[k[2]] * v for k, v in d.demand.items()) for d in datas])
            )
            peak = _peak_day_start(datas[pf], splits[pf], max(1.0, 0.1 * time_limit))
            x0 = (
                {mn: peak.get(loc, 0.0) for names in master.local_x for loc, mn in names.items()}
                if peak is not None
                else master.most()
            )
        b0 = {kd: 0.5 * (lo + hi) for kd, (lo, hi) in boxes.items()}
        best_lp, core = math.inf, None
        # the best plan: (cost, investments, budgets, subproblem costs), its evaluation
        best: tuple[float, dict[str, float], dict[Any, float], np.ndarray] | None = None
        best_res: list[SubResult] | None = None
        rounded_core: tuple[dict[str, float], dict[Any, float]] | None = None
        lp_steps = 0
        failed_steps = 0  # level-set steps in a row not solved (PROJECT_FAILURES)

        def first_plan(
            point: tuple[dict[str, float], dict[Any, float]],
        ) -> tuple[float, dict[str, float], dict[Any, float], np.ndarray, list[SubResult]]:
            """The rounding heuristic on an LP point: a real plan, evaluated (an upper bound)."""
            ti = time.perf_counter()
            xr = master.round(point[0])
            try:
                mb = master.budgets_for(xr, max(1.0, deadline - ti))
                bb, bs = mb.b, mb.seconds
            except SolverError as err:
                # the master's rows that keep every day's work served (no work may be left
                # unserved) may exclude a rounded plan: its subproblems still price it
                log.info("decomposed %s: budgets for the rounded plan: %s", name, err)
                bb, bs = dict(point[1]), time.perf_counter() - ti
            res, ss = evaluate(xr, bb)
            add_cuts(res, xr, bb)
            cost = plan_value(xr, bb, res)
            record("first plan", lb, min(cost, best[0]) if best else cost, ti, bs, ss, res)
            return cost, xr, bb, np.array([r.cost for r in res]), res

        for scale in START_SCALES[
            : max(1, max_iterations)
        ]:  # cuts around the first point, in every direction at once
            xs = {k: min(master.upper[k], max(master.lower[k], scale * v)) for k, v in x0.items()}
            res, ss = evaluate(xs, b0)
            add_cuts(res, xs, b0)
            val = plan_value(xs, b0, res)
            # a scaled point may break the master's rows (a power envelope): its cuts count, but
            # it cannot be the core the first plan is rounded from
            if val < best_lp and master.feasible(xs, b0):
                best_lp, core = val, (xs, b0)
            record("LP", lb, None, ti, 0.0, ss, res, best_lp)
            ti = time.perf_counter()
        for _ in range(MAX_LP_ITERATIONS):
            ti = time.perf_counter()
            try:
                ms = master.solve(integer=False, time_limit=max(1.0, deadline - ti), gap=0.0)
            except SolverError as err:  # the master LP failed (after its retries)
                if core is None:
                    raise
                log.warning("decomposed %s: %s; the LP phase ends at its best point", name, err)
                break
            lb = max(lb, ms.bound)
            x, b, step = ms.x, ms.b, "master"
            master_s = ms.seconds
            if core is not None and math.isfinite(lb) and failed_steps < PROJECT_FAILURES:
                level = lb + LEVEL * (best_lp - lb)
                tp = time.perf_counter()
                pr = master.project(
                    core[0], core[1], level, max(1.0, deadline - ti), PROJECT_ITERATIONS
                )
                master_s += time.perf_counter() - tp  # a step not solved costs its time too
                if pr is not None:
                    x, b, step = pr.x, pr.b, "level set"
                    failed_steps = 0
                else:
                    failed_steps += 1
                    if failed_steps == PROJECT_FAILURES:
                        log.info(
                            "decomposed %s: %d level-set steps in a row not solved within %d "
                            "simplex iterations: the master's own points from here on",
                            name,
                            failed_steps,
                            PROJECT_ITERATIONS,
                        )
                log.debug(
                    "LP phase: master LP %.2fs, level-set step %s",
                    ms.seconds,
                    f"{pr.seconds:.2f}s" if pr is not None else "not solved",
                )
            res, ss = evaluate(x, b)
            add_cuts(res, x, b)
            ub_lp = plan_value(x, b, res)
            if ub_lp < best_lp:
                best_lp, core = ub_lp, (x, b)
            record("LP", lb, None, ti, master_s, ss, res, best_lp)
            log.debug("LP phase (%s step): LP point %.6g, best LP point %.6g", step, ub_lp, best_lp)
            lp_gap = _gap(best_lp, lb)
            if lp_gap is not None and lp_gap <= max(mip_gap / 2, LP_GAP_FLOOR):
                break
            if len(history) >= max_iterations:
                break
            lp_steps += 1
            every = ROUND_EVERY_PARTIAL if master.relax_rows or master.retained else ROUND_EVERY
            if lp_steps % every == 0 and core is not None and core is not rounded_core:
                rounded_core = core
                plan = first_plan(core)
                if best is None or plan[0] < best[0]:
                    best, best_res = plan[:4], plan[4]
                g = _gap(best[0], lb)
                if g is not None and g <= mip_gap + GAP_TOL:
                    break
            if time.perf_counter() > t0 + LP_TIME_SHARE * time_limit:
                log.info(
                    "decomposed %s: LP phase stopped at %.0f%% of the time limit",
                    name,
                    100 * LP_TIME_SHARE,
                )
                break

        # ---- first plan: the rounding heuristic -------------------------------------------------
        assert core is not None
        if core is not rounded_core:
            plan = first_plan(core)
            if best is None or plan[0] < best[0]:
                best, best_res = plan[:4], plan[4]
        assert best is not None

        # ---- integer phase ---------------------------------------------------------------------
        termination = "iteration limit"
        failed = 0
        while True:
            g = _gap(best[0], lb)
            if g is not None and g <= mip_gap + GAP_TOL:
                termination = f"within {mip_gap:g} of the bound"
                break
            if len(history) >= max_iterations:
                break
            ti = time.perf_counter()
            if ti > deadline:
                termination = "time limit"
                break
            # no incumbent handed to HiGHS: with one (setSolution) its MIP reported a bound above a known plan
            try:
                ms = master.solve(
                    integer=True,
                    time_limit=max(1.0, deadline - ti),
                    gap=mip_gap / 2,
                    stop_at=_proving_bound(best[0], mip_gap),
                )
            except RuntimeError as err:  # HiGHS's MIP failed on the cuts' coefficient range
                failed += 1
                log.warning(
                    "decomposed %s: master MILP failed (%s); its LP relaxation, rounded, instead",
                    name,
                    err,
                )
                if failed > 2:
                    termination = "master MILP failed"
                    break
                ms = master.solve(integer=False, time_limit=max(1.0, deadline - ti), gap=0.0)
                if math.isfinite(ms.bound):
                    xr = master.round(ms.x)
                    try:
                        ms = master.budgets_for(xr, max(1.0, deadline - ti))
                    except SolverError:  # the rounded plan breaks rows that keep work served
                        ms.x = xr
                ms.bound = -math.inf
            lb = max(lb, ms.bound)
            proven = _gap(best[0], lb)
            if (proven is not None and proven <= mip_gap + GAP_TOL) or ms.status == "bound reached":
                # the bound proves the best plan: nothing to evaluate (the loop ends at its top)
                record("integer", lb, best[0], ti, ms.seconds, 0.0, [])
                continue
            xm = {k: float(round(v)) for k, v in ms.x.items()}
            res, ss = evaluate(xm, ms.b)
            add_cuts(res, xm, ms.b)
            ub = plan_value(xm, ms.b, res)
            if ub < best[0]:
                best = (ub, xm, ms.b, np.array([r.cost for r in res]))
                best_res = res
            record("integer", lb, best[0], ti, ms.seconds, ss, res)

        # ---- the plan's operations -------------------------------------------------------------
        ti = time.perf_counter()
        if values or best_res is None:
            res, ss = evaluate(best[1], best[2], want=values)
            ub = plan_value(best[1], best[2], res)
            record("final", lb, ub, ti, 0.0, ss, res)
        else:  # no values asked: the best plan's last evaluation says all there is to say
            res, ub = best_res, best[0]
        merged: dict[str, float] = {}
        elastic: dict[tuple[str, str], float] = {}
        for r in res:
            if r.values:
                fi = subs[r.index][0]
                merged.update(
                    r.values
                    if prefix is None
                    else {master_name(prefix, fi, k): v for k, v in r.values.items()}
                )
            for k, v in r.elastic.items():
                elastic[k] = elastic.get(k, 0.0) + v
        gap = _gap(ub, lb) or 0.0
        out = DecomposedOutcome(
            status="optimal" if gap <= mip_gap + GAP_TOL else "feasible",
            objective=ub,
            bound=lb,
            gap=gap,
            x=best[1],
            b=best[2],
            iterations=history,
            values=merged,
            elastic=elastic,
            unserved_hard=sum(r.unserved_hard for r in res),
            seconds=time.perf_counter() - t0,
            cpu_s=time.process_time()
            - c0
            + (0.0 if pool.local else sum(it.subproblem_cpu_s for it in history)),
            build_s=build_s,
            subproblems=n,
            workers=len(pool.live()),
            rebuilt=pool.rebuilt,
            sizes=sizes,
            termination=termination,
            future_costs=[
                float(c)
                for c in master.future_costs(
                    master.columns(best[1], best[2]), np.array([r.cost for r in res])
                )
            ],
        )
        log.info(
            "decomposed %s: %s, objective %.6g, bound %.6g, gap %.4f%% after %d iterations in %.1fs",
            name,
            out.status,
            ub,
            lb,
            100 * gap,
            len(history),
            out.seconds,
        )
        return out
    finally:
        pool.close()


def _peaks(
    datas: list[PlanningData], splits: list[Splitter], subs: list[tuple[int, int]]
) -> dict[int, float]:
    """Each subproblem's busiest slice's work ``max_t Σ_{j,r} d[j,r,t] / e_j`` (each class at its
    best efficiency): the day that decides the capacity, the links and the local sites of
    latency-bound work."""
    peak: dict[int, float] = {}
    for i, (fi, g) in enumerate(subs):
        d, sp = datas[fi], splits[fi]
        eff = {j: max([d.efficiency[j, h] for h in d.HW] or [1.0]) for j in d.CLASSES}
        work: dict[str, float] = {}
        for t in sp.slices[g]:
            work[t] = 0.0
        for (j, _r, t), v in sp._demand[g].items():
            work[t] = work.get(t, 0.0) + v / eff[j]
        peak[i] = max(work.values(), default=0.0)
    return peak


def _peak_subproblems(peak: dict[int, float], k: int) -> list[int]:
    """The ``k`` subproblems (over every future) whose busiest slice has the most work: kept whole.

    With futures, the largest future's peak day comes first (China with three futures × 4 days:
    one kept day per future made a master of 41,062 columns whose LP re-solves took 50 s; the
    other futures' days keep their pooled relaxation).
    """
    return sorted(sorted(peak, key=lambda i: (-peak[i], i))[: max(0, k)])


def _opened(x: dict[str, float]) -> dict[str, float]:
    """``x`` with every site and link it uses open (``open``, ``built`` from 10⁻³ up set to 1).

    A fractional ``open[s]`` caps the work at ``s`` by ``d̂ × open[s]`` in the subproblems
    (``only_open_sites``): an LP point with sites a hair open leaves most work undone there (China
    with 4 days: the master's first LP point cost 2.3 · 10¹² CNY/yr as it came, against an
    optimum near 1.8 · 10¹⁰). Opening what the point uses gives a point of the same relaxation
    (``open ≤ 1``) whose subproblems see the capacity it holds; its cuts are valid as any.
    """
    out = dict(x)
    for name, v in x.items():
        comp = name.rsplit(".", 2)[-2:] if "." in name else [name]
        key = ".".join(comp)
        if key.startswith(("sizing.open[", "network.built[")) and v > 1e-3:
            out[name] = 1.0
    return out


def _peak_day_start(
    data: PlanningData, split: Splitter, time_limit: float
) -> dict[str, float] | None:
    """Investments of the LP relaxation of the peak subproblem with its weights scaled to 8760 h,
    by the subproblems' names of the investment columns.

    The one-day monolithic model (built by the same blocks) is small and, standing for the whole
    year at its peak, builds about the right capacity: a good first point for the LP phase.
    ``None`` when its LP does not solve.
    """
    from dataclasses import replace

    from ..model import build_model
    from ..solve import solve

    peak: dict[int, float] = {}
    for (_j, _r, t), v in data.demand.items():
        i = split.group_of[t]
        peak[i] = max(peak.get(i, 0.0), v)
    if not peak:
        return None
    i = max(sorted(peak), key=lambda k: peak[k])
    d = split.data_of(i)
    scale = 8760.0 / max(split.hours(i), 1e-9)
    d = replace(
        d,
        scenario=data.scenario,
        unserved_cost=data.unserved_cost,
        weight={t: w * scale for t, w in d.weight.items()},
    )
    m = build_model(d)
    out = solve(m, relax=True, time_limit=time_limit, mip_gap=0.0)
    if not out.has_solution:
        log.info(
            "decomposed: the peak day's LP did not solve (%s); starting from the largest plan",
            out.status,
        )
        return None
    x = {}
    for var in m.component_data_objects(pyo.Var):
        if not (var.is_integer() or var.is_binary()):
            continue
        name = var.name
        x[name] = float(var.value) if var.value is not None else 0.0
        if name.startswith(("sizing.open[", "network.built[")) and x[name] > 1e-3:
            # open what the peak day uses: a fractional open[s] caps work at s by d̂ × open[s]
            # (only_open_sites) with the peak day's d̂, too little on days whose profile peaks elsewhere
            x[name] = 1.0
    log.info(
        "decomposed: first point from the LP of subproblem %d (the peak day) standing for the year: %.6g",
        i,
        out.objective,
    )
    return x
