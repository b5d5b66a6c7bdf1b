"""Solve a planning model with HiGHS: compile, hand over, solve, map the solution back.

The model goes through Pyomo's standard-form compiler (``mixed_form``) straight into
``highspy.Highs.passModel``: the fastest hand-over measured (see ``benchmarks/README.md``).
The outcome always says status, termination, objective, bound, gap and time; ``solve`` never
raises for an infeasible or unbounded model — it reports it, and :func:`planner.run` decides.

For a MILP, an optional *MIP start* is computed first: solve the LP relaxation, round module,
link and site decisions up (single-site assignments to their largest share), fix them and re-solve
the placement LP; the resulting feasible plan is handed to HiGHS as a starting solution.
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
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

log = logging.getLogger(__name__)

INF = highspy.kHighsInf
_STOPPED = {"kTimeLimit", "kIterationLimit", "kSolutionLimit", "kInterrupt", "kObjectiveBound",
            "kObjectiveTarget", "kMemoryLimit", "kHighsInterrupt"}


@dataclass
class SolveOutcome:
    """What a solve did: never asserts, always fills what it knows."""

    status: str  # optimal | feasible | infeasible | unbounded | infeasible_or_unbounded | no_solution | error
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


def _new_highs(options: dict[str, Any]) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(options.get("log", False)))
    for k in ("time_limit", "mip_rel_gap", "threads", "presolve", "random_seed"):
        if k in options and options[k] is not None:
            h.setOptionValue(k, options[k])
    return h


def _run(lp: highspy.HighsLp, integrality: np.ndarray | None, options: dict[str, Any],
         start: np.ndarray | None = None) -> tuple[highspy.Highs, float]:
    h = _new_highs(options)
    if integrality is not None and integrality.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integrality]
    else:
        lp.integrality_ = []
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    t0 = time.perf_counter()
    h.run()
    return h, time.perf_counter() - t0


def _mip_start(comp: _Compiled, m: pyo.ConcreteModel, options: dict[str, Any], deadline: float) -> tuple[np.ndarray | None, float | None]:
    """A feasible plan from the LP relaxation: round up, fix integers, re-solve the placement LP."""
    lp = comp.lp
    budget = max(1.0, deadline - time.perf_counter())
    h, _ = _run(lp, None, {**options, "time_limit": budget})
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None, None
    x = np.array(h.getSolution().col_value)
    fixed = x.copy()
    idx = np.flatnonzero(comp.is_int)
    fixed[idx] = np.minimum(np.ceil(x[idx] - 1e-6), comp.col_upper[idx])
    # single-site assignments: exactly one per (j, r), the largest LP share
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
    # fix the rounded integers in place and re-solve the LP from the relaxation's basis
    # (HiGHS's time_limit counts the object's whole run time: extend it by the budget)
    budget = max(1.0, deadline - time.perf_counter())
    h.setOptionValue("time_limit", h.getRunTime() + budget)
    vals = fixed[idx]
    h.changeColsBounds(len(idx), idx.astype(np.int32), vals, vals)
    h.run()
    h2 = h
    if h2.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        log.info("MIP start: rounded plan not feasible (%s); solving without a start", h2.modelStatusToString(h2.getModelStatus()))
        return None, None
    return np.array(h2.getSolution().col_value), h2.getInfo().objective_function_value


def solve(
    m: pyo.ConcreteModel,
    *,
    time_limit: float = 600.0,
    mip_gap: float = 0.01,
    threads: int = 1,
    relax: bool = False,
    presolve: str = "choose",
    mip_start: bool = True,
    log_solver: bool = False,
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
        For a MILP, hand HiGHS a feasible plan built from the LP relaxation.
    log_solver
        Let HiGHS write its log to the console.

    Returns
    -------
    SolveOutcome
        Status (``optimal``, ``feasible`` = stopped early with a plan, ``infeasible``, ``unbounded``,
        ``infeasible_or_unbounded``, ``no_solution``, ``error``), objective, bound, gap and times.
    """
    options = {"time_limit": float(time_limit), "mip_rel_gap": float(mip_gap), "threads": int(threads),
               "presolve": presolve, "log": log_solver, "random_seed": 0}
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    comp = compile_model(m)
    t1 = time.perf_counter()
    n_int = int(comp.is_int.sum())
    size = {"columns": comp.lp.num_col_, "rows": comp.lp.num_row_, "integers": n_int,
            "nonzeros": len(comp.lp.a_matrix_.value_)}
    is_mip = n_int > 0 and not relax
    start, start_obj, start_s = None, None, 0.0
    if is_mip and mip_start:
        ts = time.perf_counter()
        start, start_obj = _mip_start(comp, m, options, deadline - 0.2 * time_limit)
        start_s = time.perf_counter() - ts
    remaining = max(1.0, deadline - time.perf_counter())
    th = time.perf_counter()
    h = _new_highs({**options, "time_limit": remaining})
    lp = comp.lp
    lp.integrality_ = ([highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in comp.is_int]
                       if is_mip else [])
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    handover = time.perf_counter() - th
    ts = time.perf_counter()
    h.run()
    solve_s = time.perf_counter() - ts
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
    out = SolveOutcome(status=status, termination=status_name, has_solution=has_sol and status in ("optimal", "feasible"),
                       solve_s=solve_s, compile_s=t1 - t0, handover_s=handover, mip_start_s=start_s,
                       mip_start_objective=start_obj, relaxed=relax or n_int == 0, solver_version=_highs_version(),
                       options={k: v for k, v in options.items() if k != "log"} | {"relax": relax, "mip_start": mip_start},
                       size=size)
    if out.has_solution:
        out.objective = float(info.objective_function_value)
        if is_mip:
            out.bound = float(info.mip_dual_bound)
            out.gap = float(info.mip_gap) if math.isfinite(info.mip_gap) else None
        else:
            out.bound, out.gap = out.objective, 0.0
        sol = h.getSolution()
        values = sol.col_value
        for v, val in zip(comp.columns, values):
            if v.is_integer() or v.is_binary():
                val = round(val) if is_mip else val
            v.set_value(val, skip_validation=True)
        if not is_mip and sol.dual_valid:
            out.duals = {c: d for c, d in zip(comp.rows, sol.row_dual)}
    log.info("solve %s: %s obj=%s gap=%s in %.2fs (compile %.2fs, hand-over %.2fs, start %.2fs)",
             m.name, status, out.objective, out.gap, solve_s, out.compile_s, handover, start_s)
    return out
