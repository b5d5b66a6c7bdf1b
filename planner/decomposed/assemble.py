"""From a decomposed solve to the plan's model, and which method ``auto`` picks.

:func:`assemble` builds the monolithic model of the same data and loads into it the master's
investments and every subproblem's operations (the columns share their Pyomo names), so the
report, the cost registry and the policy table read it like any solved model. The policy slack of
a priced coupled target is the sum of its days' elastic slacks (its row's violation at the plan).
:func:`assemble_futures` does the same for a plan over demand futures, into the monolithic
futures model (:func:`planner.model.futures.build_futures_model`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pyomo.environ as pyo

from ..data import PlanningData
from ..horizon.futures import FuturesData
from ..model import build_model
from ..model.futures import build_futures_model
from ..scenario.schema import Scenario
from ..solve import SolveOutcome, _fixed_duals, _highs_version, compile_model
from .driver import DecomposedOutcome

log = logging.getLogger(__name__)

#: ``solver.method: auto`` decomposes above this many slices (30 representative days of 24 hours).
AUTO_SLICES = 720


def choose_method(sc: Scenario, method: str | None = None) -> tuple[str, str]:
    """The method to use and why: ``method`` (or ``solver.method``), with ``auto`` resolved by size."""
    asked = method or sc.solver.method
    n = len(sc.time_slices)
    futures = len(sc.futures) if sc.futures else 1
    jobs = sorted(
        j.name for j in sc.job_classes if j.job_pflops is not None or j.job_cards is not None
    )
    if asked == "decomposed":
        if sc.periods:
            return (
                "monolithic",
                "the decomposed method plans one period; several periods are solved whole",
            )
        if sc.policy.resilience != "none":
            return "monolithic", "N-1 resilience is not decomposed"
        if sc.solver.relax:
            return "monolithic", "solver.relax asks for the LP relaxation, solved whole"
        if jobs:
            return (
                "monolithic",
                f"whole jobs ({', '.join(jobs)}) are integers in every hour, solved whole",
            )
        return "decomposed", "asked"
    if asked == "monolithic":
        return "monolithic", "asked"
    if sc.periods or sc.policy.resilience != "none" or sc.solver.relax or jobs:
        return (
            "monolithic",
            "auto: several periods, resilience, relax or whole jobs are solved whole",
        )
    if n * futures > AUTO_SLICES:
        what = f"{n} slices × {futures} futures" if futures > 1 else f"{n} slices"
        return "decomposed", f"auto: {what} > {AUTO_SLICES}"
    what = f"{n} slices × {futures} futures" if futures > 1 else f"{n} slices"
    return "monolithic", f"auto: {what} ≤ {AUTO_SLICES}"


def assemble(
    data: PlanningData, out: DecomposedOutcome, options: dict[str, Any] | None = None
) -> tuple[pyo.ConcreteModel, SolveOutcome]:
    """The monolithic model of ``data`` holding the decomposed plan, and its outcome."""
    m = build_model(data)
    _load(m, out)
    _policy_slacks(m)
    _warn(data, out, data.scenario.name)
    return m, _outcome(m, out, options)


def assemble_futures(
    fd: FuturesData,
    out: DecomposedOutcome,
    *,
    measure: str = "expected",
    level: float = 0.9,
    weight: float = 1.0,
    best: dict[str, float] | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[pyo.ConcreteModel, SolveOutcome]:
    """The monolithic futures model of ``fd`` holding the decomposed plan, and its outcome.

    The risk measure's own columns are set at their best values for the plan's costs ``c_f``:
    ``η`` at the minimising ``c_f`` and ``s_f = max(0, c_f − η)`` (CVaR), ``R = max_f (c_f − c*_f)``
    (regret), so that the model's objective is the plan's.
    """
    m = build_futures_model(fd, measure=measure, level=level, weight=weight, best=best)
    _load(m, out)
    for f in fd.names:
        _policy_slacks(m.future[f])
    c = {f: float(pyo.value(m.cost[f])) for f in fd.names}
    pi = fd.probability
    if hasattr(m, "eta"):

        def cvar(eta: float) -> float:
            return eta + sum(pi[f] * max(0.0, c[f] - eta) for f in c) / (1.0 - level)

        eta = min(sorted(c.values()), key=cvar)
        m.eta.set_value(eta)
        for f in fd.names:
            m.excess[f].set_value(max(0.0, c[f] - eta))
    if hasattr(m, "max_regret"):
        assert best is not None
        m.max_regret.set_value(max(c[f] - best[f] for f in fd.names))
    _warn(fd.data[fd.names[0]], out, fd.scenario.name)
    return m, _outcome(m, out, options)


def _load(m: pyo.ConcreteModel, out: DecomposedOutcome) -> None:
    """Every column of ``m`` at the decomposed plan's value (0 where no subproblem has it)."""
    by_name = {v.name: v for v in m.component_data_objects(pyo.Var, descend_into=True)}
    for source in (out.values, out.x):
        for name, val in source.items():
            v = by_name.get(name)
            if v is not None and not v.fixed:
                v.set_value(val, skip_validation=True)
    for v in by_name.values():
        if v.value is None and not v.fixed:
            v.set_value(
                0.0, skip_validation=True
            )  # columns no subproblem has (policy slacks, set below)


def _policy_slacks(b: pyo.Block) -> None:
    """Each priced target's slack of block ``b`` at its row's violation at the loaded plan."""
    for t in b.policy_targets:
        if t.slack is None:
            continue
        t.slack.set_value(0.0)
        con = t.constraint
        body = pyo.value(con.body)
        short = (
            (body - pyo.value(con.upper))
            if con.upper is not None
            else (pyo.value(con.lower) - body)
        )
        t.slack.set_value(max(0.0, float(short)))


def _warn(data: PlanningData, out: DecomposedOutcome, name: str) -> None:
    """Warnings for work left unserved where none may be, and for hard targets missed."""
    if out.unserved_hard > 1e-6:
        log.warning(
            "%s: the decomposed plan leaves %.3g PFLOPS·h/yr unserved although policy.allow_unserved is false "
            "(priced at the subproblems' penalty)",
            name,
            out.unserved_hard,
        )
    for key, v in out.elastic.items():
        if key[0] not in data.scenario.policy.policy_slack_cost:
            log.warning(
                "%s: the decomposed plan misses hard target %s/%s by %.6g (priced at the subproblems' penalty)",
                name,
                key[0],
                key[1],
                v,
            )


def _outcome(
    m: pyo.ConcreteModel, out: DecomposedOutcome, options: dict[str, Any] | None
) -> SolveOutcome:
    """The :class:`SolveOutcome` of the assembled plan: the model's objective, the master's bound."""
    objective = float(pyo.value(m.objective))
    gap = max(0.0, objective - out.bound) / max(abs(objective), 1e-9)
    outcome = SolveOutcome(
        status=out.status,
        termination=f"decomposed over {out.subproblems} subproblems: {out.termination}",
        has_solution=True,
        objective=objective,
        bound=out.bound,
        gap=gap,
        solve_s=out.seconds,
        cpu_s=out.cpu_s,
        solver_version=_highs_version(),
        options=dict(options or {}) | {"method": "decomposed", "workers": out.workers},
        size={"subproblems": out.subproblems, **out.sizes},
    )
    outcome.duals = plan_duals(m, options)
    return outcome


def plan_duals(m: pyo.ConcreteModel, options: dict[str, Any] | None) -> dict[Any, float] | None:
    """Row duals of the LP with every integer fixed at the assembled plan, as for a monolithic plan.

    The price of compute (``planner.prices``: demand rows, capacity rows) and the policy targets'
    shadow prices are these duals, in the monolithic model's rows, so a decomposed plan's report
    has the same Price of compute sheet as a monolithic one. The LP separates by day once the
    investments are fixed (HiGHS's presolve finds that); ``None`` if it does not solve within the
    plan's time limit (the report then leaves the prices out, as for any plan without duals).
    """
    opts = options or {}
    t0 = time.perf_counter()
    comp = compile_model(m)
    duals = _fixed_duals(
        comp,
        {
            "threads": int(opts.get("threads") or 1),
            "random_seed": 0,
            "lp_solver": opts.get("lp_solver", "auto"),
        },
        float(opts.get("time_limit") or 600.0),
    )
    log.info(
        "decomposed: duals of the LP with the plan's integers fixed in %.1fs (%s)",
        time.perf_counter() - t0,
        "found" if duals is not None else "none: no price of compute",
    )
    return duals
