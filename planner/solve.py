"""Solve a planning model with HiGHS: compile, hand over, solve, map the solution back.

The model goes through Pyomo's standard-form compiler (``mixed_form``) straight into
``highspy.Highs.passModel``: the fastest hand-over measured (see ``benchmarks/README.md``).
The outcome always says status, termination, objective, bound, gap and time; ``solve`` never
raises for an infeasible or unbounded model — it reports it, and :func:`planner.run` decides.

For a MILP, an optional *MIP start* is computed first: solve the LP relaxation, round module,
link and site decisions up (single-site assignments to their largest share), fix them and re-solve
the placement LP. The relaxation's optimum is a valid lower bound: when the rounded plan is within
the requested gap of it, the plan is proven good enough and branch and bound is skipped;
otherwise the plan is handed to HiGHS as its incumbent and the reported bound is the better of
HiGHS's and the relaxation's. Large LPs are solved with the interior-point method (the dual
simplex method stalls on the degenerate flow structure of national scenarios; see benchmarks).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
import scipy.sparse
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from .model.job_start import (
    FILL_MOVES,
    JobStart,
    RoomKey,
    Rooms,
    card_rooms,
    job_start,
    peak_moves,
    round_jobs,
    round_rooms,
)

log = logging.getLogger(__name__)

INF = highspy.kHighsInf
#: LP statuses after which the interior point's last iterate can still be rounded.
_LP_STOPPED = {highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kIterationLimit}
#: Share of the time limit the LP relaxation may take, and the whole MIP start (rounding, fixed LPs).
LP_SHARE = 0.6
START_SHARE = 0.8
#: A MILP plan further than this from its bound is reported as failed (``solver.max_plan_gap``).
MAX_PLAN_GAP = 0.10
_STOPPED = {
    "kTimeLimit",
    "kIterationLimit",
    "kSolutionLimit",
    "kInterrupt",
    "kObjectiveBound",
    "kObjectiveTarget",
    "kMemoryLimit",
    "kHighsInterrupt",
}


@dataclass
class SolveOutcome:
    """What a solve did: never asserts, always fills what it knows."""

    status: str  # optimal | feasible | gap_too_large | infeasible | unbounded | infeasible_or_unbounded | no_solution | error
    termination: str
    has_solution: bool
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    solve_s: float = 0.0
    compile_s: float = 0.0
    handover_s: float = 0.0
    mip_start_s: float = 0.0
    mip_start_objective: float | None = None
    relaxed: bool = False
    solver: str = "HiGHS"
    solver_version: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)
    duals: dict[Any, float] | None = None
    #: wall-clock seconds of the whole solver stage (compile, LP relaxation and MIP start, HiGHS, duals)
    stage_s: float = 0.0
    #: CPU seconds of this process over the solver stage (all threads)
    cpu_s: float = 0.0

    @property
    def ok(self) -> bool:
        """A plan exists (optimal, or stopped early with a feasible plan)."""
        return self.has_solution and self.status in ("optimal", "feasible")


@dataclass
class _Compiled:
    lp: highspy.HighsLp
    columns: list[Any]
    rows: list[Any]
    is_int: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    _csc: scipy.sparse.csc_matrix | None = None

    def csc(self) -> scipy.sparse.csc_matrix:
        """The constraint matrix (columns compressed), built once."""
        if self._csc is None:
            A = self.lp.a_matrix_
            self._csc = scipy.sparse.csc_matrix(
                (np.asarray(A.value_), np.asarray(A.index_), np.asarray(A.start_)),
                shape=(self.lp.num_row_, self.lp.num_col_),
            )
        return self._csc


def _highs_version() -> str:
    h = highspy.Highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def compile_model(m: pyo.ConcreteModel) -> _Compiled:
    """Pyomo model → HighsLp via the standard-form compiler (rows keep their sense)."""
    info = LinearStandardFormCompiler().write(m, mixed_form=True)
    cols = info.columns
    n = len(cols)
    A = info.A.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = A.shape[0]
    c = np.zeros(n)
    if info.c.shape[0]:
        c = np.asarray(info.c.toarray()[0], dtype=float)
    lp.col_cost_ = c
    lp.offset_ = float(info.c_offset[0]) if len(info.c_offset) else 0.0
    lo = np.array([v.lb if v.lb is not None else -INF for v in cols], dtype=float)
    up = np.array([v.ub if v.ub is not None else INF for v in cols], dtype=float)
    lp.col_lower_ = lo
    lp.col_upper_ = up
    rhs = np.asarray(info.rhs, dtype=float)
    mult = np.array([r[1] for r in info.rows], dtype=int)
    lp.row_lower_ = np.where(mult == 1, -INF, rhs)
    lp.row_upper_ = np.where(mult == -1, INF, rhs)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    is_int = np.array([v.is_integer() or v.is_binary() for v in cols], dtype=bool)
    return _Compiled(lp, cols, [r[0] for r in info.rows], is_int, lo, up)


#: Above this many columns, ``lp_solver="auto"`` solves LPs with the interior-point method.
IPM_COLUMNS = 5_000

#: HiGHS starts one global thread scheduler per process, sized by the first run's ``threads``;
#: a later run asking for another count fails at once with status "Not Set". We remember the
#: size and reset the scheduler when a run asks for a different one.
_scheduler_threads: int | None = None


def _ensure_scheduler(threads: int) -> None:
    """HiGHS's global scheduler started for ``threads`` threads before a solve.

    HiGHS runs every solve of a process on one global scheduler, started by the first solve
    with that solve's ``threads`` option; a later solve that asks another number fails at once
    (model status ``Not Set``, no solution). planner mixes one-thread solves (the decomposed
    master and subproblems) with ``solver.threads`` ones (the LP with the integers fixed), so
    the scheduler is reset whenever the count changes, and also the first time (another user of
    highspy in this process may have started it with any count). Every solve in planner goes
    through :func:`run_highs`, which calls this.
    """
    global _scheduler_threads
    if _scheduler_threads != threads:
        highspy.Highs.resetGlobalScheduler(True)
    _scheduler_threads = threads


def run_highs(h: highspy.Highs) -> None:
    """``h.run()`` on a global scheduler of ``h``'s own thread count (:func:`_ensure_scheduler`)."""
    _, threads = h.getOptionValue("threads")
    _ensure_scheduler(int(threads))
    h.run()


def _new_highs(options: dict[str, Any], lp: bool = False, n_cols: int = 0) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(options.get("log", False)))
    for k in ("time_limit", "mip_rel_gap", "threads", "presolve", "random_seed"):
        if k in options and options[k] is not None:
            h.setOptionValue(k, options[k])
    if lp:
        choice = options.get("lp_solver", "auto")
        if choice == "auto":
            choice = "ipm" if n_cols > IPM_COLUMNS else "simplex"
        h.setOptionValue("solver", choice)
        if choice == "ipm":
            h.setOptionValue("run_crossover", "off")
    return h


def _run(
    lp: highspy.HighsLp,
    integrality: np.ndarray | None,
    options: dict[str, Any],
    start: np.ndarray | None = None,
) -> tuple[highspy.Highs, float, float]:
    """Hand ``lp`` (a MILP where ``integrality`` marks integers) to a new HiGHS and run it.

    Returns the solver, the hand-over seconds (model and start passed) and the run seconds.
    """
    is_lp = integrality is None or not integrality.any()
    t0 = time.perf_counter()
    h = _new_highs(options, lp=is_lp, n_cols=lp.num_col_)
    if integrality is not None and not is_lp:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in integrality
        ]
    else:
        lp.integrality_ = []
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    t1 = time.perf_counter()
    run_highs(h)
    return h, t1 - t0, time.perf_counter() - t1


def _repair_integer_rows(comp: _Compiled, x: np.ndarray, fixed: np.ndarray) -> None:
    """Make rows over integer columns only (power envelope, max modules, ...) hold after rounding up.

    For each violated ``≤`` row, lower its rounded-up columns with positive coefficients, least
    fractional first, one unit at a time. Lowering capacity keeps the placement LP feasible
    (unserved demand is priced slack), so the repaired plan stays a valid start.
    """
    A = comp.lp.a_matrix_
    csc = scipy.sparse.csc_matrix(
        (np.asarray(A.value_), np.asarray(A.index_), np.asarray(A.start_)),
        shape=(comp.lp.num_row_, comp.lp.num_col_),
    )
    csr = csc.tocsr()
    upper = np.asarray(comp.lp.row_upper_)
    for r in range(csr.shape[0]):
        lo_, hi_ = csr.indptr[r], csr.indptr[r + 1]
        cols, vals = csr.indices[lo_:hi_], csr.data[lo_:hi_]
        if not len(cols) or not comp.is_int[cols].all() or not np.isfinite(upper[r]):
            continue
        act = float(vals @ fixed[cols])
        if act <= upper[r] + 1e-6:
            continue
        order = sorted(
            (k for k in range(len(cols)) if vals[k] > 0),
            key=lambda k: x[cols[k]] - np.floor(x[cols[k]]),
        )
        for k in order:
            c = cols[k]
            while (
                act > upper[r] + 1e-6
                and fixed[c] - 1 >= comp.col_lower[c] - 1e-9
                and fixed[c] > np.floor(x[c] + 1e-9) - 1
            ):
                fixed[c] -= 1
                act -= vals[k]
            if act <= upper[r] + 1e-6:
                break


#: How many times a rounded plan is trimmed and its placement re-solved (while that lowers its cost).
TRIM_ROUNDS = 3


def _trim_integers(comp: _Compiled, plan: np.ndarray) -> np.ndarray | None:
    """Lower integer columns of a feasible ``plan`` as far as every row allows, dearest first.

    The continuous columns stay as they are, so the plan stays feasible: an integer ``x_i`` with
    cost ``c_i > 0`` is lowered by the largest whole ``k`` such that every row keeps
    ``lo ≤ activity − k·a_ri ≤ up``. A module whose capacity no slice uses, a site left with no
    modules, a link unit no slice needs: each is given back. Returns ``None`` when nothing changes.
    """
    csc = comp.csc()
    lo, up = np.asarray(comp.lp.row_lower_), np.asarray(comp.lp.row_upper_)
    cost = np.asarray(comp.lp.col_cost_)
    x = np.round(plan, 9)
    ints = np.flatnonzero(comp.is_int)
    x[ints] = np.round(x[ints])
    act = csc @ x
    changed = False
    for i in sorted(
        (i for i in ints if cost[i] > 0 and x[i] - comp.col_lower[i] >= 1 - 1e-9),
        key=lambda i: -cost[i],
    ):
        rows = csc.indices[csc.indptr[i] : csc.indptr[i + 1]]
        vals = csc.data[csc.indptr[i] : csc.indptr[i + 1]]
        k = np.floor(x[i] - comp.col_lower[i] + 1e-9)
        for r, v in zip(rows, vals):
            tol = 1e-7 * max(1.0, abs(act[r]))
            if v > 0 and np.isfinite(lo[r]):
                k = min(k, np.floor((act[r] - lo[r] + tol) / v))
            elif v < 0 and np.isfinite(up[r]):
                k = min(k, np.floor((up[r] - act[r] + tol) / -v))
            if k < 1:
                break
        if k >= 1:
            x[i] -= k
            act[rows] -= k * vals
            changed = True
    return x if changed else None


def _round(comp: _Compiled, m: pyo.ConcreteModel, x: np.ndarray) -> np.ndarray:
    """Integer columns of an LP solution rounded to a plan: up (then repaired), assignments to argmax."""
    fixed = x.copy()
    idx = np.flatnonzero(comp.is_int)
    # round up from a small threshold: interior-point dust must not open sites or buy modules
    fixed[idx] = np.minimum(
        np.maximum(np.ceil(x[idx] - 1e-3), comp.col_lower[idx]), comp.col_upper[idx]
    )
    hook = getattr(m, "_planner_round", None)  # a model-specific rounding (several periods)
    if hook is not None:
        hook(comp.columns, x, fixed)
    if getattr(
        m, "_planner_jobs", False
    ):  # work in whole jobs: job counts down (planner.model.jobs)
        round_jobs(m, comp.columns, x, fixed)
    _repair_integer_rows(comp, x, fixed)
    assign = getattr(getattr(m, "placement", None), "assign", None)
    if assign is not None and len(assign):
        pos = {id(v): i for i, v in enumerate(comp.columns)}
        groups: dict[tuple[str, str], list[int]] = {}
        for (j, r, _s), v in assign.items():
            if id(v) in pos:
                groups.setdefault((j, r), []).append(pos[id(v)])
        for cols in groups.values():
            best = max(cols, key=lambda i: x[i])
            fixed[cols] = 0.0
            fixed[best] = 1.0
    return fixed


def _solve_fixed(
    comp: _Compiled, options: dict[str, Any], deadline: float, fix: np.ndarray, cols: np.ndarray
) -> tuple[highspy.Highs, bool]:
    """Solve the LP with columns ``cols`` fixed at ``fix[cols]`` (others keep their bounds)."""
    lp = comp.lp
    lo, up = comp.col_lower.copy(), comp.col_upper.copy()
    lo[cols] = fix[cols]
    up[cols] = fix[cols]
    lp.col_lower_, lp.col_upper_ = lo, up
    try:
        h, _, _ = _run(
            lp, None, {**options, "time_limit": max(1.0, deadline - time.perf_counter())}
        )
    finally:
        lp.col_lower_, lp.col_upper_ = comp.col_lower, comp.col_upper
    return h, h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def _cover_rows(comp: _Compiled, binary: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Knapsack-cover rows ``Σ a_i y_i ≥ b`` (``a > 0``, ``b > 0``) over binary columns only."""
    csr = comp.csc().tocsr()
    lo, up = np.asarray(comp.lp.row_lower_), np.asarray(comp.lp.row_upper_)
    out = []
    for r in np.flatnonzero(np.isfinite(lo) & (lo > 0) & ~np.isfinite(up)):
        cols, vals = (
            csr.indices[csr.indptr[r] : csr.indptr[r + 1]],
            csr.data[csr.indptr[r] : csr.indptr[r + 1]],
        )
        if len(cols) > 1 and binary[cols].all() and (vals > 0).all() and vals.sum() >= lo[r]:
            out.append((cols, vals, float(lo[r])))
    return out


def _cover_rounding(
    comp: _Compiled, x: np.ndarray, binary: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Binaries of each cover row chosen greedily, largest LP value first, until the row holds.

    On a row ``Σ K[s] open[s] ≥ P`` (sites, ``cuts.open_capacity_covers_peak``) this opens the sites
    the relaxation uses most until their capacity covers the peak and closes the rest: the classic
    LP rounding of capacitated facility location, where rounding every fractional site up opens far
    too many. Returns the values and the columns to fix (the rest is re-solved), or ``None``.
    """
    rows = _cover_rows(comp, binary)
    if not rows:
        return None
    fix = x.copy()
    chosen: set[int] = set()
    fixed: set[int] = set()
    for cols, vals, need in rows:
        acc = float(sum(v for c, v in zip(cols, vals) if c in chosen))
        for k in sorted(range(len(cols)), key=lambda k: (-x[cols[k]], -vals[k])):
            if acc >= need * (1 - 1e-9):
                break
            if cols[k] not in chosen and cols[k] not in fixed:
                chosen.add(int(cols[k]))
                acc += vals[k]
        fixed.update(int(c) for c in cols)
    idx = np.array(sorted(fixed))
    fix[idx] = [1.0 if c in chosen else 0.0 for c in idx]
    return fix, idx


#: Share of the time limit the local search of the cover rounding may take.
SEARCH_SHARE = 0.1


def _cover_search(
    comp: _Compiled,
    options: dict[str, Any],
    x: np.ndarray,
    fix: np.ndarray,
    cols: np.ndarray,
    sol: np.ndarray,
    obj: float,
    end: float,
) -> np.ndarray:
    """Improve a cover rounding by moving one binary at a time, while that pays and time remains.

    Moves (first improvement, then start again): swap a chosen binary of low LP value for an
    unchosen one of high LP value, drop one, add one; each keeps every cover row and is scored
    by the LP with the cover's binaries fixed and the other integers relaxed. The local search of
    facility location (open, close, swap a site). Returns the best LP solution found.
    """
    rows = _cover_rows(comp, comp.is_int & (comp.col_lower >= 0) & (comp.col_upper <= 1))
    fix = fix.copy()
    width = 5

    def holds(f: np.ndarray) -> bool:
        return all(float(vals @ f[c]) >= need * (1 - 1e-9) for c, vals, need in rows)

    moves_tried = 0
    improved = True
    while improved and time.perf_counter() < end:
        improved = False
        on = sorted((c for c in cols if fix[c] > 0.5), key=lambda c: x[c])[:width]
        off = sorted((c for c in cols if fix[c] < 0.5 and x[c] > 1e-6), key=lambda c: -x[c])[:width]
        moves = (
            [((o,), (i,)) for o in on for i in off]
            + [((o,), ()) for o in on]
            + [((), (i,)) for i in off]
        )
        for out, into in moves:
            if time.perf_counter() >= end:
                break
            trial = fix.copy()
            trial[list(out)] = 0.0
            trial[list(into)] = 1.0
            if not holds(trial):
                continue
            moves_tried += 1
            h, ok = _solve_fixed(comp, options, end, trial, cols)
            if ok and float(h.getInfo().objective_function_value) < obj * (1 - 1e-6):
                fix, obj, sol = (
                    trial,
                    float(h.getInfo().objective_function_value),
                    np.array(h.getSolution().col_value),
                )
                improved = True
                break
    log.info("MIP start (cover): local search tried %d moves, best %.6g", moves_tried, obj)
    return sol


def _mip_start(
    comp: _Compiled,
    m: pyo.ConcreteModel,
    options: dict[str, Any],
    lp_deadline: float,
    deadline: float,
) -> tuple[np.ndarray | None, float | None, float | None]:
    """A feasible plan from the LP relaxation; returns its columns, objective and the LP bound.

    The relaxation may run until ``lp_deadline``; rounding and the fixed LPs until ``deadline``.
    Up to three candidates, the best one kept, each tried only while none is within the gap:
    (0) cover rounding (:func:`_cover_rounding`: on knapsack-cover rows such as the open-capacity
    cut, open greedily by LP value until the row holds, close the rest, re-solve with the other
    integers relaxed), then as (1); (1) round every integer up (repairing rows over integers
    only) and re-solve the placement LP; (2) relax-and-fix: set binaries (site open, link built) to
    1 where the relaxation has them ≥ 0.5, re-solve with integers relaxed, then as (1). When the
    relaxation stops at its deadline, (1) rounds its last interior-point iterate (no bound then).
    """
    idx = np.flatnonzero(comp.is_int)
    t_lp = time.perf_counter()
    h, _, _ = _run(comp.lp, None, {**options, "time_limit": max(1.0, lp_deadline - t_lp)})
    lp_bound: float | None = None
    x = np.array(h.getSolution().col_value)
    if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        lp_obj = float(h.getInfo().objective_function_value)
        # an interior point without crossover is optimal to a relative tolerance: keep the bound safe
        lp_bound = lp_obj - 1e-7 * max(1.0, abs(lp_obj))
    elif len(x) == comp.lp.num_col_ and np.isfinite(x).all() and h.getModelStatus() in _LP_STOPPED:
        log.warning(
            "MIP start: the LP relaxation stopped after %.0f s (%s); rounding its last iterate",
            time.perf_counter() - t_lp,
            h.modelStatusToString(h.getModelStatus()),
        )
        x = np.clip(x, comp.col_lower, comp.col_upper)
    else:
        return None, None, None
    best: tuple[np.ndarray | None, float | None] = (None, None)
    gap = options.get("mip_rel_gap", 0.0)

    def report(label: str, obj: float) -> None:
        if lp_bound is not None:
            log.info(
                "MIP start (%s): %.6g (%.3f%% above the LP bound)",
                label,
                obj,
                100 * _rel_gap(obj, lp_bound),
            )
        else:
            log.info("MIP start (%s): %.6g (no LP bound)", label, obj)

    def consider(relaxed: np.ndarray, label: str) -> None:
        nonlocal best
        fixed = _round(comp, m, relaxed)
        h2, ok = _solve_fixed(comp, options, deadline, fixed, idx)
        if not ok:
            log.info(
                "MIP start (%s): rounded plan not feasible (%s)",
                label,
                h2.modelStatusToString(h2.getModelStatus()),
            )
            return
        obj = float(h2.getInfo().objective_function_value)
        plan = np.array(h2.getSolution().col_value)
        report(label, obj)
        # trim: give back the integers the plan does not need, re-solve the placement, while it pays
        for k in range(TRIM_ROUNDS):
            if time.perf_counter() >= deadline or (
                lp_bound is not None and _rel_gap(obj, lp_bound) <= gap / 4
            ):
                break
            trimmed = _trim_integers(comp, plan)
            if trimmed is None:
                break
            h3, ok = _solve_fixed(comp, options, deadline, trimmed, idx)
            obj3 = float(h3.getInfo().objective_function_value) if ok else math.inf
            if obj3 >= obj * (1 - 1e-9):
                break
            plan, obj = np.array(h3.getSolution().col_value), obj3
            report(f"{label}, trimmed {k + 1}×", obj)
        if best[1] is None or obj < best[1]:
            best = (plan, obj)

    binary = np.array(
        [
            comp.is_int[i] and comp.col_lower[i] >= 0 and comp.col_upper[i] <= 1
            for i in range(len(x))
        ]
    )
    bidx = np.flatnonzero(binary)
    jobs_plan: tuple[JobStart, np.ndarray | None] | None = None
    rooms = card_rooms(m, comp.columns)
    limit = float(options.get("time_limit", 60.0))
    # the dives leave DIVE_RESERVE of the time limit to the packing and its LPs
    dive_end = min(deadline - DIVE_RESERVE * limit, time.perf_counter() + DIVE_SHARE * limit)
    dive = _room_dive(comp, options, rooms, x, dive_end) if rooms is not None else None
    x_jobs = dive[0] if dive is not None else x
    whole_cells = False
    if dive is not None and rooms is not None and len(dive[1]) == len(rooms.cols):
        x_jobs, whole_cells = _cell_dive(comp, options, rooms, x_jobs, dive[1], dive_end, dive[2])
    for n, move in enumerate(FILL_MOVES):
        # whole jobs packed from the relaxation; the LP re-solved with them fixed sizes the sites,
        # whose modules are rounded up around the jobs; then the rest (links) is rounded as usual.
        # Jobs in cards: one start per weight of the mix of job sizes, while none is within the gap;
        # packed into the rooms of the room dive (the relaxation with whole rooms), when it ran
        packed = job_start(m, comp.columns, x_jobs, comp.col_upper, move)
        if packed is not None and dive is not None:
            fixed = dive[1]
            peaks = {
                g: {pl: fixed.get((g[0], g[1], pl[0], pl[1]), n) for pl, n in peak.items()}
                for g, peak in packed.peaks.items()
            }
            packed = job_start(
                m, comp.columns, x_jobs, comp.col_upper, move, peaks=peaks, cells=whole_cells
            )
        if packed is None or time.perf_counter() >= deadline:
            break
        if n and (
            not packed.card
            or dive is not None  # the dive's relaxation sets the mix: one start
            or (lp_bound is not None and best[1] is not None and _rel_gap(best[1], lp_bound) <= gap)
        ):
            break
        label = "whole jobs" if not packed.card else f"whole jobs, mix weight {move:g}"
        h3, ok = _solve_fixed(comp, options, deadline, packed.fix, np.flatnonzero(packed.mask))
        if ok:
            log.info(
                "MIP start (%s): the LP with the counts fixed %.6g",
                label,
                float(h3.getInfo().objective_function_value),
            )
        if ok and dive is None:  # the dives place the rooms and their slots already
            packed, h3 = _search_peaks(
                comp, m, options, x_jobs, packed, h3, move, lp_bound, deadline
            )
        if ok:
            fix, mask = packed.fit(
                np.array(h3.getSolution().col_value), comp.col_lower, comp.col_upper
            )
            h3, ok = _solve_fixed(comp, options, deadline, fix, np.flatnonzero(mask))
        if ok:
            before = best[1]
            consider(np.array(h3.getSolution().col_value), label)
            if best[1] is not None and best[1] != before:
                jobs_plan = (packed, best[0])
        else:
            log.info("MIP start (%s): packed plan not feasible", label)
    if (
        jobs_plan is not None
        and best[1] is not None
        and lp_bound is not None
        and _rel_gap(best[1], lp_bound) > gap
        and time.perf_counter() < deadline
    ):
        found = _jobs_fixed_mip(
            comp,
            options,
            jobs_plan[0],
            jobs_plan[1],
            deadline,
            JOBS_MIP_GAP if dive is None else JOBS_MIP_GAP_DIVED,
        )
        if found is not None and found[1] < best[1]:
            best = found
            report("whole jobs, investments re-solved", found[1])
    cover = _cover_rounding(comp, x, binary)
    if (
        cover is not None
        and time.perf_counter() < deadline
        and (best[1] is None or lp_bound is None or _rel_gap(best[1], lp_bound) > gap)
    ):
        h3, ok = _solve_fixed(comp, options, deadline, cover[0], cover[1])
        if ok:
            y = np.array(h3.getSolution().col_value)
            obj = float(h3.getInfo().objective_function_value)
            if lp_bound is None or _rel_gap(obj, lp_bound) > gap:
                end = min(
                    deadline,
                    time.perf_counter() + SEARCH_SHARE * float(options.get("time_limit", 60.0)),
                )
                y = _cover_search(comp, options, x, cover[0], cover[1], y, obj, end)
            consider(y, "cover")
    if time.perf_counter() < deadline and (
        best[1] is None or lp_bound is None or _rel_gap(best[1], lp_bound) > gap
    ):
        consider(x, "round up")
    if (
        lp_bound is not None
        and len(bidx)
        and (best[1] is None or _rel_gap(best[1], lp_bound) > gap)
        and time.perf_counter() < deadline
    ):
        fix = x.copy()
        fix[bidx] = (x[bidx] >= 0.5).astype(float)
        h3, ok = _solve_fixed(comp, options, deadline, fix, bidx)
        if ok:
            consider(np.array(h3.getSolution().col_value), "relax-and-fix")
    return best[0], best[1], lp_bound


#: Share of the time limit the room and cell dives of jobs in cards may take together.
DIVE_SHARE = 0.5
#: Share of the time limit the dives leave before the start's deadline (the packing, its LPs).
DIVE_RESERVE = 0.15


def _room_dive(
    comp: _Compiled, options: dict[str, Any], rooms: Rooms, x: np.ndarray, deadline: float
) -> tuple[np.ndarray, dict[RoomKey, int], float] | None:
    """Whole rooms for jobs in cards, one hardware type at a time: the relaxation re-solved with
    each type's rooms fixed at whole numbers (``job_room`` columns).

    For each (class, type), the dearest room first (:meth:`Rooms.types`), with ``P_s`` the most
    jobs the current relaxation runs at site ``s`` in one slot and ``T = Σ_s P_s``: both ``n =
    ⌊T⌋`` and ``n = ⌈T⌉`` rooms are tried, spread over the sites by largest remainder
    (:func:`planner.model.job_start.round_rooms`), every room of the type fixed, the LP re-solved;
    the cheaper is kept and the next type is dived from it. The relaxation buys fractions of a
    room (on China's cards, 0.54 rooms of 910C pods for 13 job-hours a day: 157 pods are 3.5 bn
    CNY/yr), and the packing cannot tell whether a whole room or none is cheaper; the LP with the
    rooms fixed can (18.15 bn with one room, 18.33 with none). A second candidate is tried only
    while one more LP (as long as the last) fits before ``deadline``; when time runs out the
    types left are not fixed (the packing gives them its own peaks). A type whose rooms the LP
    already runs whole is fixed there without an LP. Returns the last LP's columns and the rooms
    fixed and the seconds of the last LP, or ``None`` when none were."""
    fixed: dict[RoomKey, int] = {}
    cols: list[int] = []
    fix = np.zeros(len(x))
    cur = x
    last = 0.0  # seconds of the last LP: a candidate is tried only if one more fits
    for typ in rooms.types():
        keys = sorted(k for k in rooms.cols if (k[0], k[1], k[3]) == typ)
        peaks = rooms.peaks(cur)
        total = sum(peaks[k] for k in keys)
        if all(abs(peaks[k] - round(peaks[k])) <= 1e-6 for k in keys):
            # whole already (a type no room can hold, or unused): fixed without an LP; the point
            # stays feasible (each room at its most jobs in one slot, which the modules hold)
            whole = {k: min(rooms.hold[k], round(peaks[k])) for k in keys}
            cur = cur.copy()
            for k, v in whole.items():
                cur[rooms.cols[k]] = v
                fix[rooms.cols[k]] = v
                cols.extend(rooms.cols[k])
            fixed.update(whole)
            continue
        best: tuple[float, np.ndarray, dict[RoomKey, int]] | None = None
        near = round(total)
        for n in sorted(
            {math.floor(total + 1e-6), math.ceil(total - 1e-6)}, key=lambda n: (n != near, n)
        ):
            if time.perf_counter() + (last if best is None else 1.5 * last) >= deadline:
                break
            want = round_rooms(peaks, keys, n, rooms.hold)
            if want is None:
                continue
            trial = fix.copy()
            for k, v in want.items():
                trial[rooms.cols[k]] = v
            idx = np.array(cols + [c for k in keys for c in rooms.cols[k]], dtype=int)
            t_lp = time.perf_counter()
            h, ok = _solve_fixed(comp, options, deadline, trial, idx)
            last = time.perf_counter() - t_lp
            if not ok:
                continue
            obj = float(h.getInfo().objective_function_value)
            log.info("MIP start (room dive): %s %s × %d rooms: LP %.6g", typ[1], typ[2], n, obj)
            if best is None or obj < best[0]:
                best = (obj, np.array(h.getSolution().col_value), want)
        if best is None:
            break  # out of time: the types left keep the packing's own peaks
        cur = best[1]
        fixed.update(best[2])
        for k, v in best[2].items():
            fix[rooms.cols[k]] = v
            cols.extend(rooms.cols[k])
    return (cur, fixed, last) if fixed else None


def _cell_dive(
    comp: _Compiled,
    options: dict[str, Any],
    rooms: Rooms,
    x: np.ndarray,
    fixed: dict[RoomKey, int],
    deadline: float,
    last: float = 0.0,
) -> tuple[np.ndarray, bool]:
    """Whole jobs in every slot of the rooms, one hardware type at a time: after the room dive,
    the jobs ``c[p,t]`` the relaxation runs at place ``p`` in slot ``t`` rounded by largest
    remainder over the type's places and slots (per future: each down, then up at the largest
    fractions until the type's total is its rounded total; never above the room), the hardware
    split ``y = S c`` of those slots fixed, the LP re-solved, the next type rounded from it;
    origins stay fractional (the packing rounds them within these counts,
    :func:`planner.model.job_start._round_origins`). The packing's own choice of slots (the
    relaxation's largest residuals first) put two jobs where the relaxation ran one (China: the
    LP with the counts fixed 0.14 bn CNY/yr above the rooms' LP; rounded here one type at a time,
    0.017; all types at once from the rooms' LP, 0.035). When one more LP (as long as the last)
    would not fit before ``deadline`` (``last``: the room dive's last LP, at first), the types
    left are rounded together in one. Returns the
    last LP's columns and whether every type was rounded (when an LP fails or time runs out, the
    types rounded so far: the packing then has no caps per cell)."""
    fix = np.zeros(len(x))
    cols: list[int] = []
    for k, n in fixed.items():
        fix[rooms.cols[k]] = n
        cols.extend(rooms.cols[k])
    cur = x
    types = [
        t for t in rooms.types() if any((k[0], k[1], k[3]) == t and n > 0 for k, n in fixed.items())
    ]
    while types:
        together = time.perf_counter() + 2 * last >= deadline
        batch, types = (types, []) if together else (types[:1], types[1:])
        trial, more = fix.copy(), list(cols)
        for typ in batch:
            keys = [k for k in sorted(rooms.cols) if (k[0], k[1], k[3]) == typ and fixed[k] > 0]
            futures: dict[int, list[tuple[RoomKey, list[int], list[int], float]]] = {}
            for k in keys:
                for cells, (ys, S, fid) in zip(rooms.slots[k], rooms.ysplit[k]):
                    futures.setdefault(fid, []).append((k, cells, ys, S))
            for group in futures.values():
                c = [float(sum(cur[i] for i in cells)) for _k, cells, _ys, _S in group]
                whole = [min(fixed[k], math.floor(v + 1e-6)) for (k, *_), v in zip(group, c)]
                left = round(sum(c)) - sum(whole)
                for i in sorted(range(len(c)), key=lambda i: (-(c[i] - whole[i]), i)):
                    if left <= 0:
                        break
                    if whole[i] < fixed[group[i][0]]:
                        whole[i] += 1
                        left -= 1
                for (_k, _cells, ys, S), n in zip(group, whole):
                    trial[ys] = S * n
                    more.extend(ys)
        if time.perf_counter() >= deadline:
            return cur, False
        t_lp = time.perf_counter()
        h, ok = _solve_fixed(comp, options, deadline, trial, np.array(more, dtype=int))
        last = time.perf_counter() - t_lp
        if not ok:
            log.info(
                "MIP start (cell dive): %s: %s",
                ", ".join(f"{t[1]} {t[2]}" for t in batch),
                h.modelStatusToString(h.getModelStatus()),
            )
            return cur, False
        cur, fix, cols = np.array(h.getSolution().col_value), trial, more
        log.info(
            "MIP start (cell dive): %s, whole jobs in every slot: LP %.6g",
            ", ".join(f"{t[1]} {t[2]}" for t in batch),
            float(h.getInfo().objective_function_value),
        )
    return cur, True


#: Share of the time limit :func:`_jobs_fixed_mip` may take, and its gap (a share of the asked one).
JOBS_MIP_SHARE = 0.3
JOBS_MIP_GAP = 0.25
#: Its gap after the dives of jobs in cards (the plan must then close on the relaxation's bound).
JOBS_MIP_GAP_DIVED = 0.1


def _jobs_fixed_mip(
    comp: _Compiled,
    options: dict[str, Any],
    packed: JobStart,
    plan: np.ndarray | None,
    deadline: float,
    share: float = JOBS_MIP_GAP,
) -> tuple[np.ndarray, float] | None:
    """The MILP with the whole-jobs packing's counts fixed and every investment integer again.

    The rounding of modules around the packed jobs (:meth:`JobStart.fit`) rounds each site up,
    then down to its power envelope, and can leave other work short at peak hours; with the job
    counts (and ``job_room``) fixed the rest of the MILP is small (modules, open, link units:
    about 150 integers on China's three futures) and HiGHS solves it from ``plan`` to
    :data:`JOBS_MIP_GAP` × the asked gap within :data:`JOBS_MIP_SHARE` of the time limit. On
    China ``training_jobs`` over three futures it took the plan from 42.53 to 41.88 bn CNY/yr
    (0.78% above the relaxation's bound). Every plan it finds is a plan of the whole MILP.
    Returns its columns and objective, or ``None``.
    """
    idx = np.flatnonzero(packed.mask)
    lp = comp.lp
    lo, up = comp.col_lower.copy(), comp.col_upper.copy()
    lo[idx] = packed.fix[idx]
    up[idx] = packed.fix[idx]
    lp.col_lower_, lp.col_upper_ = lo, up
    limit = min(
        deadline - time.perf_counter(), JOBS_MIP_SHARE * float(options.get("time_limit", 60.0))
    )
    try:
        h, _, _ = _run(
            lp,
            comp.is_int,
            {
                **options,
                "time_limit": max(1.0, limit),
                "mip_rel_gap": share * float(options.get("mip_rel_gap", 0.0)),
            },
            plan,
        )
    finally:
        lp.col_lower_, lp.col_upper_ = comp.col_lower, comp.col_upper
        lp.integrality_ = []
    if h.getInfo().primal_solution_status != 2:
        return None
    return np.array(h.getSolution().col_value), float(h.getInfo().objective_function_value)


#: Most packings :func:`_search_peaks` evaluates, and the share of the time limit it may take.
PEAK_TRIES = 12
PEAK_SHARE = 0.15


def _search_peaks(
    comp: _Compiled,
    m: pyo.ConcreteModel,
    options: dict[str, Any],
    x: np.ndarray,
    packed: JobStart,
    h: highspy.Highs,
    move: float,
    lp_bound: float | None,
    deadline: float,
) -> tuple[JobStart, highspy.Highs]:
    """Local search over a whole-jobs packing's peaks (:func:`planner.model.jobs.peak_moves`).

    Each neighbour is packed again and scored by the LP with its job counts fixed (modules
    continuous); the first that lowers it is kept and the search starts again from it, while
    that LP is more than half the gap above the bound, up to :data:`PEAK_TRIES` packings and
    :data:`PEAK_SHARE` of the time limit. Returns the best packing and its fixed LP.
    """
    obj = float(h.getInfo().objective_function_value)
    gap = float(options.get("mip_rel_gap", 0.0))
    end = min(deadline, time.perf_counter() + PEAK_SHARE * float(options.get("time_limit", 60.0)))
    tries, first = 0, obj
    improved = True
    while improved and tries < PEAK_TRIES and time.perf_counter() < end:
        if lp_bound is not None and _rel_gap(obj, lp_bound) <= gap / 2:
            break
        improved = False
        for cand in peak_moves(packed):
            if tries >= PEAK_TRIES or time.perf_counter() >= end:
                break
            trial = job_start(m, comp.columns, x, comp.col_upper, move, peaks=cand)
            if trial is None:
                continue
            tries += 1
            h2, ok = _solve_fixed(comp, options, end, trial.fix, np.flatnonzero(trial.mask))
            if ok and float(h2.getInfo().objective_function_value) < obj * (1 - 1e-6):
                packed, h, obj = trial, h2, float(h2.getInfo().objective_function_value)
                improved = True
                break
    if tries:
        log.info(
            "MIP start (whole jobs): %d packings tried, counts-fixed LP %.6g → %.6g",
            tries,
            first,
            obj,
        )
    return packed, h


def _fixed_duals(
    comp: _Compiled, options: dict[str, Any], time_limit: float
) -> dict[Any, float] | None:
    """Row duals of the LP with every integer fixed at the loaded plan (shadow prices of a MILP plan).

    Large LPs use the interior-point method (duals without crossover are good to its tolerance).
    """
    values = np.array([v.value if v.value is not None else 0.0 for v in comp.columns])
    idx = np.flatnonzero(comp.is_int)
    hd, ok = _solve_fixed(comp, options, time.perf_counter() + max(10.0, time_limit), values, idx)
    if ok and hd.getSolution().dual_valid:
        return {c: dv for c, dv in zip(comp.rows, hd.getSolution().row_dual)}
    return None


def _too_far(out: SolveOutcome, max_plan_gap: float, name: str) -> bool:
    """Mark a MILP plan further than ``max_plan_gap`` from its bound (or with no bound) as no plan."""
    if not out.has_solution or (out.gap is not None and out.gap <= max_plan_gap):
        return False
    log.warning(
        "solve %s: best plan %s from its bound (more than max_plan_gap %.1f%%): not a plan",
        name,
        "an unknown distance" if out.gap is None else f"{100 * out.gap:.2f}%",
        100 * max_plan_gap,
    )
    out.status = "gap_too_large"
    return True


def _rel_gap(obj: float, bound: float) -> float:
    """HiGHS's relative gap: ``(obj − bound) / |obj|`` (0 when both are 0)."""
    return max(0.0, obj - bound) / max(abs(obj), 1e-9) if obj != bound else 0.0


def _load(comp: _Compiled, values: Any, is_mip: bool) -> None:
    """Write column values back into the Pyomo variables (integers rounded in a MILP)."""
    for v, val in zip(comp.columns, values):
        if is_mip and (v.is_integer() or v.is_binary()):
            val = round(val)
        v.set_value(val, skip_validation=True)


def solve(m: pyo.ConcreteModel, **kw: Any) -> SolveOutcome:
    """Solve ``m`` with HiGHS (see :func:`_solve` for the options); also time the whole stage.

    ``outcome.stage_s`` is the wall-clock time of the solver stage and ``outcome.cpu_s`` the CPU
    time of this process over it (every thread), the figures the report states as the solve time.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    out = _solve(m, **kw)
    out.stage_s, out.cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    return out


def _solve(
    m: pyo.ConcreteModel,
    *,
    time_limit: float = 600.0,
    mip_gap: float = 0.01,
    threads: int = 1,
    relax: bool = False,
    presolve: str = "choose",
    mip_start: bool = True,
    lp_solver: str = "auto",
    duals: bool = False,
    log_solver: bool = False,
    max_plan_gap: float = MAX_PLAN_GAP,
) -> SolveOutcome:
    """Solve ``m`` with HiGHS and load the solution into its variables.

    Parameters
    ----------
    m
        A model from :func:`planner.build_model`.
    time_limit
        Seconds for the whole solve (MIP start included).
    mip_gap
        Relative gap at which HiGHS stops.
    threads
        HiGHS threads.
    relax
        Drop integrality: solve the LP relaxation (a lower bound; a fast screening mode).
    presolve
        HiGHS presolve: ``"choose"``, ``"on"`` or ``"off"``.
    mip_start
        For a MILP, hand HiGHS a feasible plan built from the LP relaxation (and stop there when
        that plan is within ``mip_gap`` of the relaxation's bound).
    lp_solver
        ``"auto"`` (interior point above 5,000 columns, else simplex; benchmarks/lp_methods.md), ``"simplex"`` or ``"ipm"``:
        for LPs (``relax`` and the MIP start).
    duals
        Also compute row duals (shadow prices): for a MILP, from the LP with every integer fixed at
        the plan's value; ``outcome.duals`` maps each Pyomo constraint to its dual (CNY/yr per unit
        of the row, for a cost objective).
    log_solver
        Let HiGHS write its log to the console.
    max_plan_gap
        A MILP plan whose gap to the best bound is larger than this (or unknown) is not a plan:
        the outcome has status ``gap_too_large`` and ``ok`` is false. Stops the trivial plan
        (build nothing, leave all work undone) that a stalled search returns from being reported.

    Returns
    -------
    SolveOutcome
        Status (``optimal``, ``feasible`` = stopped early with a plan, ``infeasible``, ``unbounded``,
        ``infeasible_or_unbounded``, ``no_solution``, ``error``), objective, bound, gap and times.
    """
    options = {
        "time_limit": float(time_limit),
        "mip_rel_gap": float(mip_gap),
        "threads": int(threads),
        "presolve": presolve,
        "log": log_solver,
        "random_seed": 0,
        "lp_solver": lp_solver,
        "max_plan_gap": max_plan_gap,
    }
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    comp = compile_model(m)
    t1 = time.perf_counter()
    n_int = int(comp.is_int.sum())
    size = {
        "columns": comp.lp.num_col_,
        "rows": comp.lp.num_row_,
        "integers": n_int,
        "nonzeros": len(comp.lp.a_matrix_.value_),
    }
    is_mip = n_int > 0 and not relax
    start, start_obj, lp_bound, start_s = None, None, None, 0.0
    if is_mip and mip_start:
        ts = time.perf_counter()
        start, start_obj, lp_bound = _mip_start(
            comp, m, options, t0 + LP_SHARE * time_limit, t0 + START_SHARE * time_limit
        )
        start_s = time.perf_counter() - ts
    common: dict[str, Any] = dict(
        compile_s=t1 - t0,
        mip_start_s=start_s,
        mip_start_objective=start_obj,
        solver_version=_highs_version(),
        options={k: v for k, v in options.items() if k != "log"}
        | {"relax": relax, "mip_start": mip_start},
        size=size,
    )
    if (
        start is not None
        and start_obj is not None
        and lp_bound is not None
        and _rel_gap(start_obj, lp_bound) <= mip_gap
    ):
        start_gap = _rel_gap(start_obj, lp_bound)
        out = SolveOutcome(
            status="optimal",
            termination=f"within {mip_gap:g} of the LP relaxation bound (MIP start)",
            has_solution=True,
            objective=start_obj,
            bound=lp_bound,
            gap=start_gap,
            relaxed=False,
            **common,
        )
        _load(comp, start, True)
        if _too_far(out, max_plan_gap, m.name):
            return out
        if duals:
            out.duals = _fixed_duals(comp, options, time_limit)
        log.info(
            "solve %s: MIP start within gap %.4f%% of the LP bound; no branch and bound needed (start %.2fs)",
            m.name,
            100 * start_gap,
            start_s,
        )
        return out
    remaining = max(1.0, deadline - time.perf_counter())
    h, handover, solve_s = _run(
        comp.lp, comp.is_int if is_mip else None, {**options, "time_limit": remaining}, start
    )
    status_name = h.modelStatusToString(h.getModelStatus())
    key = str(h.getModelStatus()).split(".")[-1]
    info = h.getInfo()
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if key == "kOptimal":
        status = "optimal"
    elif key in _STOPPED:
        status = "feasible" if has_sol else "no_solution"
    elif key == "kInfeasible":
        status = "infeasible"
    elif key == "kUnbounded":
        status = "unbounded"
    elif key == "kUnboundedOrInfeasible":
        status = "infeasible_or_unbounded"
    else:
        status = "error"
    out = SolveOutcome(
        status=status,
        termination=status_name,
        has_solution=has_sol and status in ("optimal", "feasible"),
        solve_s=solve_s,
        handover_s=handover,
        relaxed=relax or n_int == 0,
        **common,
    )
    if out.has_solution:
        out.objective = float(info.objective_function_value)
        if is_mip:
            bounds = [
                b for b in (info.mip_dual_bound, lp_bound) if b is not None and math.isfinite(b)
            ]
            out.bound = max(bounds) if bounds else None
            out.gap = _rel_gap(out.objective, out.bound) if out.bound is not None else None
        else:
            out.bound, out.gap = out.objective, 0.0
        sol = h.getSolution()
        _load(comp, sol.col_value, is_mip)
        if not is_mip and sol.dual_valid:
            out.duals = {c: d for c, d in zip(comp.rows, sol.row_dual)}
    if not out.has_solution and start is not None and status not in ("infeasible", "unbounded"):
        # HiGHS stopped without a plan of its own (e.g. time ran out in its root LP): keep ours
        out.status, out.has_solution, out.objective, out.bound = (
            "feasible",
            True,
            start_obj,
            lp_bound,
        )
        out.gap = (
            _rel_gap(start_obj, lp_bound)
            if lp_bound is not None and start_obj is not None
            else None
        )
        out.termination = f"{status_name}; plan from the MIP start"
        _load(comp, start, True)
    if is_mip:
        _too_far(out, max_plan_gap, m.name)
    if duals and out.ok and is_mip:
        out.duals = _fixed_duals(comp, options, time_limit)
    log.info(
        "solve %s: %s obj=%s gap=%s in %.2fs (compile %.2fs, hand-over %.2fs, start %.2fs)",
        m.name,
        status,
        out.objective,
        out.gap,
        solve_s,
        out.compile_s,
        handover,
        start_s,
    )
    return out
