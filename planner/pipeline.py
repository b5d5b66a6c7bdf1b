"""``run()``: load → prepare → build → solve → extract (→ write the Excel report).

Each stage is also public and can be called alone in a notebook.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .compare import comparison_table, headline
from .data import PlanningData, prepare
from .errors import InfeasibleError, ScenarioError, SolverError
from .explain import MOST_UNSERVED, explain_infeasible, presolve_reasons, unserved_warning
from .model import build_model
from .results import Results, extract
from .scenario import Scenario, load_scenario
from .solve import SolveOutcome, solve

log = logging.getLogger(__name__)


def solver_options(scenario: Scenario, **overrides: Any) -> dict[str, Any]:
    """The scenario's solver block with any non-None ``overrides`` applied."""
    opts = scenario.solver.model_dump(exclude={"source", "note", "valid_inequalities"})  # that one acts in build_model
    opts.update({k: v for k, v in overrides.items() if v is not None})
    return opts


def explain_failure(outcome: SolveOutcome, data: PlanningData) -> str:
    """A plain-words message for a solve that found no plan."""
    sc = data.scenario
    if outcome.status in ("infeasible", "infeasible_or_unbounded"):
        return (f"scenario '{sc.name}' has no feasible plan (HiGHS: {outcome.termination}). "
                "Demand can always be left unserved at its unserved_cost, so a limit that cannot be met by any plan "
                "is the cause: check existing modules against power envelopes and max_modules, and link existing units.")
    if outcome.status == "unbounded":
        return f"scenario '{sc.name}' is unbounded (HiGHS: {outcome.termination}); a cost or limit is missing."
    if outcome.status == "no_solution":
        return (f"scenario '{sc.name}': no feasible plan found within the time limit of "
                f"{outcome.options.get('time_limit')} s (HiGHS: {outcome.termination}); raise solver.time_limit or relax mip_gap.")
    if outcome.status == "gap_too_large":
        far = "an unknown distance" if outcome.gap is None else f"{100 * outcome.gap:.1f}%"
        return (f"scenario '{sc.name}': the best plan found within {outcome.options.get('time_limit')} s is {far} from its bound, "
                f"more than solver.max_plan_gap ({100 * outcome.options.get('max_plan_gap', 0):.0f}%), so it is not reported as a plan "
                f"(HiGHS: {outcome.termination}); raise solver.time_limit, or raise solver.max_plan_gap to accept it.")
    return f"scenario '{sc.name}': the solver failed (HiGHS: {outcome.termination})"


def _plan(sc: Scenario, opts: dict[str, Any], *, isolated: bool = False, log_solver: bool = False) -> Results:
    """prepare → build → check → solve → extract, raising with an explanation when there is no plan."""
    data = prepare(sc, isolated=isolated)
    m = build_model(data)
    reasons = presolve_reasons(m, data)
    if reasons:
        raise InfeasibleError(f"scenario '{sc.name}' has no feasible plan:\n" + "\n".join(f"  - {r}" for r in reasons))
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
        log.warning("%s: stopped at the time limit with a feasible plan, gap %.2f%%", sc.name, 100 * (outcome.gap or 0))
    return extract(m, data, outcome)


def _with_policy(sc: Scenario, **changes: Any) -> Scenario:
    return sc.model_copy(update={"policy": sc.policy.model_copy(update=changes)})


def run(
    scenario: str | Path | Scenario,
    *,
    out: str | Path | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    relax: bool | None = None,
    mip_start: bool | None = None,
    log_solver: bool = False,
    lang: str = "en",
    compare: Sequence[str] = (),
    local_share: float = 0.5,
    currency: str | None = None,
) -> Results:
    """Plan a scenario end to end and return its results (and write the report if ``out``).

    Parameters
    ----------
    scenario
        A scenario file or folder, or a loaded :class:`Scenario`.
    out
        Path of the Excel report to write (atomically); ``None`` writes nothing.
    time_limit, mip_gap, threads, relax, mip_start
        Override the scenario's ``solver`` block.
    log_solver
        Show HiGHS's log.
    lang
        Report language (``"en"`` or ``"zh"``).
    compare
        Also solve ``"local-first"`` (each region hosts at least ``local_share`` of its own demand)
        and/or ``"isolated"`` (every region served only by its own sites, no new links), or
        ``"both"``, and put the comparison in ``results.comparison`` (columns: networked,
        local-first, isolated) with ``results.headline``: against local-first first, like with
        like (per PFLOPS·h served when the plans serve different work; docs/model.md §8).
    local_share
        The share for ``"local-first"``.
    currency
        Money unit of the report: ``"CNY"``, ``"MCNY"`` or ``"亿元"`` [default: the scenario's
        ``report.currency_unit``].

    Raises
    ------
    ScenarioError
        The scenario is invalid (every problem listed).
    InfeasibleError
        No feasible plan exists (the message says which targets are out of reach), or unbounded.
    SolverError
        The solver failed or found no plan in time.

    Examples
    --------
    >>> import planner
    >>> res = planner.run("scenarios/tiny")  # doctest: +SKIP
    >>> round(res.total_cost)  # doctest: +SKIP
    4061280
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if out is not None:
        from .atomic import check_target

        check_target(out, sc._inputs, what="report")  # before solving: a bad --out is said at once
    unknown = [c for c in compare if c not in ("isolated", "local-first", "both")]
    if unknown:
        raise ScenarioError(f"unknown comparison '{unknown[0]}': use local-first, isolated or both")
    # local-first is the headline comparison; the isolated plan is the second column
    compare = [c for c in ("local-first", "isolated") if c in compare or "both" in compare]
    opts = solver_options(sc, time_limit=time_limit, mip_gap=mip_gap, threads=threads, relax=relax, mip_start=mip_start)
    if currency is not None:
        from .report.present import currency_key

        try:
            currency = currency_key(currency)
        except ValueError as err:
            raise ScenarioError(str(err)) from None
    settings = {"currency": currency or sc.report.currency_unit, "dust": sc.report.dust}
    if sc.periods:
        return _run_periods(sc, opts, out=out, lang=lang, compare=compare, log_solver=log_solver, settings=settings)
    if sc.planning == "myopic":
        log.warning("%s: planning 'myopic' has no effect: the scenario has one period (no periods table)", sc.name)
    res = _plan(sc, opts, log_solver=log_solver)
    res.settings = dict(settings)
    if not res.outcome.relaxed:
        _warn_unserved(res, unserved_warning(sc, opts, float(res.kpi("unserved share"))), sc.name)
    if sc.policy.resilience != "none":
        base = _plan(_with_policy(sc, resilience="none"), opts)
        res.extras["resilience cost CNY/yr"] = res.total_cost - base.total_cost
        res.extras["resilience extra PFLOPS"] = float(res.kpi("PFLOPS installed")) - float(base.kpi("PFLOPS installed"))
    if compare:
        plans = {"networked": res}
        for variant in compare:
            if variant == "isolated":
                plans["isolated"] = _plan(sc, opts, isolated=True)
            else:
                plans["local-first"] = _local_first(sc, opts, local_share)
                if "local-first shortfall PFLOPS·h/yr" in plans["local-first"].extras:
                    res.extras["local-first shortfall PFLOPS·h/yr"] = plans["local-first"].extras["local-first shortfall PFLOPS·h/yr"]
        res.comparison = comparison_table(plans)
        res.headline = headline(res.comparison)
    if out is not None:
        from .report import write_excel

        write_excel(res, out, lang=lang)
    return res


def _local_first(sc: Scenario, opts: dict[str, Any], share: float) -> Results:
    """The local-first plan: each region with a site hosts ≥ ``share`` of its demand, or as much as its sites can.

    Where a region's own sites cannot host ``share`` of its work (their power envelopes), the hard
    target has no plan; the target is then given a slack priced at the highest unserved_cost (per
    PFLOPS·h/yr hosted elsewhere), so the plan hosts as much at home as it can and serves the rest
    remotely. The comparison leaves that price out (cost excluding penalties) and the shortfall is
    recorded in ``extras["local-first shortfall PFLOPS·h/yr"]``.
    """
    try:
        return _plan(_with_policy(sc, min_local_share=share), opts)
    except InfeasibleError:
        price = max((j.unserved_cost for j in sc.job_classes), default=1e4)
        slack = {**sc.policy.policy_slack_cost, "min_local_share": price}
        log.info("%s: local-first at %.0f%% has no plan; hosting as much at home as the sites can", sc.name, 100 * share)
        res = _plan(_with_policy(sc, min_local_share=share, policy_slack_cost=slack), opts)
        pol = res.policy
        res.extras["local-first shortfall PFLOPS·h/yr"] = float(pol.loc[pol["lever"] == "min_local_share", "slack used"].sum())
        return res


def _warn_unserved(res: Results, warning: str | None, name: str) -> None:
    """Record a warning on the results (the Summary sheet shows it) and log it."""
    if warning:
        res.warnings.append(warning)
        log.warning("%s: %s", name, warning)


def _run_periods(sc: Scenario, opts: dict[str, Any], *, out: str | Path | None, lang: str, compare: Sequence[str],
                 log_solver: bool, settings: dict[str, Any] | None = None) -> Results:
    """:func:`run` for a scenario with several periods (docs/model.md §5.6)."""
    from .plan_periods import plan_periods

    if compare:
        raise ScenarioError("comparisons (--compare) are made for one period; remove the periods table or the comparison")
    if sc.policy.resilience != "none":
        log.info("%s: resilience is required in every period", sc.name)
    res = plan_periods(sc, opts, log_solver=log_solver)
    res.settings = dict(settings or {})
    share = float(res.kpi("unserved share")) if "unserved share" in set(res.summary.get("kpi", [])) else 0.0
    if share > MOST_UNSERVED:
        _warn_unserved(res, f"the plan leaves {share:.1%} of demand unserved over its periods (see the Unserved sheet)", sc.name)
    if out is not None:
        from .report import write_excel

        write_excel(res, out, lang=lang)
    return res
