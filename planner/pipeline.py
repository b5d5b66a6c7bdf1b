"""``run()``: load → prepare → build → solve → extract (→ write the Excel report).

Each stage is also public and can be called alone in a notebook.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .data import PlanningData, prepare
from .errors import InfeasibleError, SolverError
from .model import build_model
from .results import Results, extract
from .scenario import Scenario, load_scenario
from .solve import SolveOutcome, solve

log = logging.getLogger(__name__)


def solver_options(scenario: Scenario, **overrides: Any) -> dict[str, Any]:
    """The scenario's solver block with any non-None ``overrides`` applied."""
    opts = scenario.solver.model_dump(exclude={"source", "note"})
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
    return f"scenario '{sc.name}': the solver failed (HiGHS: {outcome.termination})"


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

    Raises
    ------
    ScenarioError
        The scenario is invalid (every problem listed).
    InfeasibleError
        No feasible plan exists, or the model is unbounded.
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
    data = prepare(sc)
    m = build_model(data)
    opts = solver_options(sc, time_limit=time_limit, mip_gap=mip_gap, threads=threads, relax=relax, mip_start=mip_start)
    outcome = solve(m, log_solver=log_solver, **opts)
    if not outcome.ok:
        msg = explain_failure(outcome, data)
        if outcome.status in ("infeasible", "unbounded", "infeasible_or_unbounded"):
            raise InfeasibleError(msg)
        raise SolverError(msg)
    res = extract(m, data, outcome)
    if outcome.status == "feasible":
        log.warning("stopped at the time limit with a feasible plan, gap %.2f%%", 100 * (outcome.gap or 0))
    if out is not None:
        from .report import write_excel

        write_excel(res, out, lang=lang)
    return res
