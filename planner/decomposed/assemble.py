"""From a decomposed solve to the plan's model, and which method ``auto`` picks.

:func:`assemble` builds the monolithic model of the same data and loads into it the master's
investments and every subproblem's operations (the columns share their Pyomo names), so the
report, the cost registry and the policy table read it like any solved model. The policy slack of
a priced coupled target is the sum of its days' elastic slacks (its row's violation at the plan).
"""

from __future__ import annotations

import logging
from typing import Any

import pyomo.environ as pyo

from ..data import PlanningData
from ..model import build_model
from ..scenario.schema import Scenario
from ..solve import SolveOutcome, _highs_version
from .driver import DecomposedOutcome

log = logging.getLogger(__name__)

#: ``solver.method: auto`` decomposes above this many slices (30 representative days of 24 hours).
AUTO_SLICES = 720


def choose_method(sc: Scenario, method: str | None = None) -> tuple[str, str]:
    """The method to use and why: ``method`` (or ``solver.method``), with ``auto`` resolved by size."""
    asked = method or sc.solver.method
    n = len(sc.time_slices)
    if asked == "decomposed":
        if getattr(sc, "futures", ()) or getattr(sc, "announced", None):
            return (
                "monolithic",
                "the decomposed method plans one demand; demand futures are solved whole",
            )
        if sc.periods:
            return (
                "monolithic",
                "the decomposed method plans one period; several periods are solved whole",
            )
        if sc.policy.resilience != "none":
            return "monolithic", "N-1 resilience is not decomposed"
        if sc.solver.relax:
            return "monolithic", "solver.relax asks for the LP relaxation, solved whole"
        return "decomposed", "asked"
    if asked == "monolithic":
        return "monolithic", "asked"
    if (
        sc.periods
        or sc.policy.resilience != "none"
        or sc.solver.relax
        or getattr(sc, "futures", ())
    ):
        return (
            "monolithic",
            "auto: several periods, demand futures, resilience or relax are solved whole",
        )
    if n > AUTO_SLICES:
        return "decomposed", f"auto: {n} slices > {AUTO_SLICES}"
    return "monolithic", f"auto: {n} slices ≤ {AUTO_SLICES}"


def assemble(
    data: PlanningData, out: DecomposedOutcome, options: dict[str, Any] | None = None
) -> tuple[pyo.ConcreteModel, SolveOutcome]:
    """The monolithic model of ``data`` holding the decomposed plan, and its outcome."""
    m = build_model(data)
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
    for t in m.policy_targets:
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
    if out.unserved_hard > 1e-6:
        log.warning(
            "%s: the decomposed plan leaves %.3g PFLOPS·h/yr unserved although policy.allow_unserved is false "
            "(priced at the subproblems' penalty)",
            data.scenario.name,
            out.unserved_hard,
        )
    for key, v in out.elastic.items():
        if key[0] not in data.scenario.policy.policy_slack_cost:
            log.warning(
                "%s: the decomposed plan misses hard target %s/%s by %.6g (priced at the subproblems' penalty)",
                data.scenario.name,
                key[0],
                key[1],
                v,
            )
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
        solver_version=_highs_version(),
        options=dict(options or {}) | {"method": "decomposed", "workers": out.workers},
        size={"subproblems": out.subproblems, **out.sizes},
    )
    return m, outcome
