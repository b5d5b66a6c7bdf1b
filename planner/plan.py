"""One plan of a one-period scenario: prepare → build → check → solve → extract.

:func:`plan_one` is the core that :func:`planner.run` and the several-period explanations
(:mod:`planner.horizon.planning`) share; it raises with a plain-words explanation when there is
no plan.
"""

from __future__ import annotations

import logging
from typing import Any

from .data import PlanningData, prepare
from .errors import InfeasibleError, SolverError
from .explain import explain_infeasible, presolve_reasons
from .model import build_model
from .results import Results, extract
from .scenario import Scenario
from .solve import SolveOutcome, solve

log = logging.getLogger(__name__)


def solver_options(scenario: Scenario, **overrides: Any) -> dict[str, Any]:
    """The scenario's solver block with any non-None ``overrides`` applied."""
    opts = scenario.solver.model_dump(
        exclude={"source", "note", "valid_inequalities", "method", "subproblem_days"}
    )  # build_model and the method choice read those
    opts.update({k: v for k, v in overrides.items() if v is not None})
    return opts


def explain_failure(outcome: SolveOutcome, data: PlanningData) -> str:
    """A plain-words message for a solve that found no plan."""
    sc = data.scenario
    if outcome.status in ("infeasible", "infeasible_or_unbounded"):
        return (
            f"scenario '{sc.name}' has no feasible plan (HiGHS: {outcome.termination}). "
            "Demand can always be left unserved at its unserved_cost, so a limit that cannot be met by any plan "
            "is the cause: check existing modules against power envelopes and max_modules, and link existing units."
        )
    if outcome.status == "unbounded":
        return f"scenario '{sc.name}' is unbounded (HiGHS: {outcome.termination}); a cost or limit is missing."
    if outcome.status == "no_solution":
        return (
            f"scenario '{sc.name}': no feasible plan found within the time limit of "
            f"{outcome.options.get('time_limit')} s (HiGHS: {outcome.termination}); raise solver.time_limit or relax mip_gap."
        )
    if outcome.status == "gap_too_large":
        far = "an unknown distance" if outcome.gap is None else f"{100 * outcome.gap:.1f}%"
        return (
            f"scenario '{sc.name}': the best plan found within {outcome.options.get('time_limit')} s is {far} from its bound, "
            f"more than solver.max_plan_gap ({100 * outcome.options.get('max_plan_gap', 0):.0f}%), so it is not reported as a plan "
            f"(HiGHS: {outcome.termination}); raise solver.time_limit, or raise solver.max_plan_gap to accept it."
        )
    return f"scenario '{sc.name}': the solver failed (HiGHS: {outcome.termination})"


def plan_one(
    sc: Scenario,
    opts: dict[str, Any],
    *,
    isolated: bool = False,
    log_solver: bool = False,
    decomposed: dict[str, Any] | None = None,
) -> Results:
    """prepare → build → check → solve → extract, raising with an explanation when there is no plan.

    With ``decomposed`` (workers, scheduler, on_iteration), the plan is solved by Benders over the
    days on Dask (:mod:`planner.decomposed`) and the report gets an Iterations sheet.
    """
    data = prepare(sc, isolated=isolated)
    if decomposed is not None:
        return _plan_decomposed(sc, data, opts, decomposed)
    m = build_model(data)
    reasons = presolve_reasons(m, data)
    if reasons:
        raise InfeasibleError(
            f"scenario '{sc.name}' has no feasible plan:\n" + "\n".join(f"  - {r}" for r in reasons)
        )
    # duals (the LP with integers fixed) give the shadow prices of the policy targets and the price of compute
    outcome = solve(m, log_solver=log_solver, duals=True, **opts)
    if not outcome.ok:
        if outcome.status in ("infeasible", "infeasible_or_unbounded"):
            raise InfeasibleError(explain_infeasible(sc, opts, isolated=isolated))
        msg = explain_failure(outcome, data)
        if outcome.status == "unbounded":
            raise InfeasibleError(msg)
        raise SolverError(msg)
    if outcome.status == "feasible":
        log.warning(
            "%s: stopped at the time limit with a feasible plan, gap %.2f%%",
            sc.name,
            100 * (outcome.gap or 0),
        )
    return extract(m, data, outcome)


def _plan_decomposed(
    sc: Scenario, data: PlanningData, opts: dict[str, Any], how: dict[str, Any]
) -> Results:
    """:func:`plan_one` by the decomposed method (docs/model.md §11)."""
    from .decomposed import assemble, solve_decomposed

    dec = solve_decomposed(
        data,
        time_limit=opts["time_limit"],
        mip_gap=opts["mip_gap"],
        days_per_group=sc.solver.subproblem_days,
        **how,
    )
    m, outcome = assemble(data, dec, opts)
    if outcome.gap is not None and outcome.gap > opts.get("max_plan_gap", 0.1):
        outcome.status = "gap_too_large"
        raise SolverError(explain_failure(outcome, data))
    res = extract(m, data, outcome)
    res.extra_tables["Iterations"] = dec.table()
    res.extras["decomposed"] = {
        "subproblems": dec.subproblems,
        "workers": dec.workers,
        "iterations": len(dec.iterations),
        "rebuilt": dec.rebuilt,
    }
    return res
