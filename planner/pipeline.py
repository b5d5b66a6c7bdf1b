"""``run()``: load → prepare → build → solve → extract (→ write the Excel report).

Each stage is also public and can be called alone in a notebook.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .atomic import check_target
from .errors import InfeasibleError, ScenarioError
from .explain import MOST_UNSERVED, unserved_warning
from .horizon.futures_plan import plan_futures
from .horizon.planning import plan_periods
from .plan import plan_one, solver_options
from .results import Results
from .scenario import Scenario, load_scenario
from .studies.network_value import comparison_table, headline

log = logging.getLogger(__name__)


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
    method: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    on_iteration: Any = None,
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
    method
        ``monolithic``, ``decomposed`` or ``auto`` (overrides ``solver.method``; docs/model.md §11).
    workers, scheduler
        Decomposed: workers of the local Dask cluster [default: the number of cores; 0 = in this
        process], or the address of an existing scheduler.
    on_iteration
        Decomposed: called with each :class:`planner.decomposed.Iteration` (a progress display).
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
        check_target(out, sc._inputs, what="report")  # before solving: a bad --out is said at once
    unknown = [c for c in compare if c not in ("isolated", "local-first", "both")]
    if unknown:
        raise ScenarioError(f"unknown comparison '{unknown[0]}': use local-first, isolated or both")
    # local-first is the headline comparison; the isolated plan is the second column
    compare = [c for c in ("local-first", "isolated") if c in compare or "both" in compare]
    opts = solver_options(
        sc,
        time_limit=time_limit,
        mip_gap=mip_gap,
        threads=threads,
        relax=relax,
        mip_start=mip_start,
    )
    if currency is not None:
        from .report.present import currency_key

        try:
            currency = currency_key(currency)
        except ValueError as err:
            raise ScenarioError(str(err)) from None
    settings = {"currency": currency or sc.report.currency_unit, "dust": sc.report.dust}
    if sc.futures or sc.announced:
        from .decomposed.assemble import choose_method

        chosen, why = choose_method(sc, method)
        asked = method or sc.solver.method
        if asked != "monolithic":
            (log.warning if asked == "decomposed" and why != "asked" else log.info)(
                "%s: method %s for the stochastic plan (%s)", sc.name, chosen, why
            )
        return _run_futures(
            sc,
            opts,
            out=out,
            lang=lang,
            compare=compare,
            log_solver=log_solver,
            local_share=local_share,
            settings=settings,
            decomposed=(
                {"workers": workers, "scheduler": scheduler, "on_iteration": on_iteration}
                if chosen == "decomposed"
                else None
            ),
        )
    if sc.periods:
        if (method or sc.solver.method) == "decomposed":
            log.warning(
                "%s: the decomposed method plans one period; the periods are solved whole", sc.name
            )
        return _run_periods(
            sc, opts, out=out, lang=lang, compare=compare, log_solver=log_solver, settings=settings
        )
    if sc.planning == "myopic":
        log.warning(
            "%s: planning 'myopic' has no effect: the scenario has one period (no periods table)",
            sc.name,
        )
    from .decomposed.assemble import choose_method

    chosen, why = choose_method(sc, method)
    if (method or sc.solver.method) != "monolithic":
        (
            log.warning
            if why != "asked" and (method or sc.solver.method) == "decomposed"
            else log.info
        )("%s: method %s (%s)", sc.name, chosen, why)
    dec = (
        {"workers": workers, "scheduler": scheduler, "on_iteration": on_iteration}
        if chosen == "decomposed"
        else None
    )
    res = plan_one(sc, opts, log_solver=log_solver, decomposed=dec)
    res.settings = dict(settings)
    if res.outcome is not None and not res.outcome.relaxed:
        _warn_unserved(res, unserved_warning(sc, opts, float(res.kpi("unserved share"))), sc.name)
    if sc.policy.resilience != "none":
        base = plan_one(_with_policy(sc, resilience="none"), opts)
        res.extras["resilience cost CNY/yr"] = res.total_cost - base.total_cost
        res.extras["resilience extra PFLOPS"] = float(res.kpi("PFLOPS installed")) - float(
            base.kpi("PFLOPS installed")
        )
    if compare:
        plans = {"networked": res}
        for variant in compare:
            if variant == "isolated":
                plans["isolated"] = plan_one(sc, opts, isolated=True)
            else:
                plans["local-first"] = _local_first(sc, opts, local_share)
                if "local-first shortfall PFLOPS·h/yr" in plans["local-first"].extras:
                    res.extras["local-first shortfall PFLOPS·h/yr"] = plans["local-first"].extras[
                        "local-first shortfall PFLOPS·h/yr"
                    ]
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
        return plan_one(_with_policy(sc, min_local_share=share), opts)
    except InfeasibleError:
        price = max((j.unserved_cost for j in sc.job_classes), default=1e4)
        slack = {**sc.policy.policy_slack_cost, "min_local_share": price}
        log.info(
            "%s: local-first at %.0f%% has no plan; hosting as much at home as the sites can",
            sc.name,
            100 * share,
        )
        res = plan_one(_with_policy(sc, min_local_share=share, policy_slack_cost=slack), opts)
        pol = res.policy
        res.extras["local-first shortfall PFLOPS·h/yr"] = float(
            pol.loc[pol["lever"] == "min_local_share", "slack used"].sum()
        )
        return res


def _warn_unserved(res: Results, warning: str | None, name: str) -> None:
    """Record a warning on the results (the Summary sheet shows it) and log it."""
    if warning:
        res.warnings.append(warning)
        log.warning("%s: %s", name, warning)


def _run_periods(
    sc: Scenario,
    opts: dict[str, Any],
    *,
    out: str | Path | None,
    lang: str,
    compare: Sequence[str],
    log_solver: bool,
    settings: dict[str, Any] | None = None,
) -> Results:
    """:func:`run` for a scenario with several periods (docs/model.md §5.6)."""
    if compare:
        raise ScenarioError(
            "comparisons (--compare) are made for one period; remove the periods table or the comparison"
        )
    if sc.policy.resilience != "none":
        log.info("%s: resilience is required in every period", sc.name)
    res = plan_periods(sc, opts, log_solver=log_solver)
    res.settings = dict(settings or {})
    share = (
        float(res.kpi("unserved share"))
        if "unserved share" in set(res.summary.get("kpi", []))
        else 0.0
    )
    if share > MOST_UNSERVED:
        _warn_unserved(
            res,
            f"the plan leaves {share:.1%} of demand unserved over its periods (see the Unserved sheet)",
            sc.name,
        )
    if out is not None:
        from .report import write_excel

        write_excel(res, out, lang=lang)
    return res


def _run_futures(
    sc: Scenario,
    opts: dict[str, Any],
    *,
    out: str | Path | None,
    lang: str,
    compare: Sequence[str],
    log_solver: bool,
    local_share: float = 0.5,
    settings: dict[str, Any] | None = None,
    decomposed: dict[str, Any] | None = None,
) -> Results:
    """:func:`run` for a scenario with demand futures (docs/model.md §10, "Demand futures").

    ``decomposed``: the stochastic plan by the decomposed method (docs/model.md §11); the
    comparisons' plans are solved whole.
    """
    if sc.policy.resilience != "none":
        raise ScenarioError(
            "resilience (N-1) is not planned with demand futures yet; remove the futures table or set policy.resilience: none"
        )
    res = plan_futures(sc, opts, log_solver=log_solver, decomposed=decomposed)
    res.settings = dict(settings or {})
    if compare:  # the value of the network, both plans over the same futures (no VSS, EVPI or baseline for the others)
        plain = sc.model_copy(
            update={
                "risk": sc.risk.model_copy(
                    update={"value_of_information": False, "perfect_information": False}
                ),
                "announced": (),
            }
        )
        plans = {"networked": res}
        for variant in compare:
            if variant == "isolated":
                plans["isolated"] = plan_futures(plain, opts, isolated=True)
            else:
                plans["local-first"] = plan_futures(
                    _with_policy(plain, min_local_share=local_share), opts
                )
        res.comparison = comparison_table(plans)
        res.headline = headline(res.comparison)
    share = float(res.kpi("unserved share"))
    if share > MOST_UNSERVED:
        _warn_unserved(
            res,
            f"the plan leaves {share:.1%} of the expected demand unserved (see the Unserved and Futures sheets)",
            sc.name,
        )
    if out is not None:
        from .report import write_excel

        write_excel(res, out, lang=lang)
    return res
