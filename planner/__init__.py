"""planner — plan AI computing-power networks with a MILP (Pyomo + HiGHS).

Stages, each callable alone::

    sc = load_scenario("scenarios/china")   # validated, frozen Scenario
    data = prepare(sc)                       # PlanningData: derived tables, sparse sets
    m = build_model(data)                    # Pyomo model, one block per concern
    outcome = solve(m, time_limit=60)        # SolveOutcome: status, objective, bound, gap
    res = extract(m, data, outcome)          # Results: tidy DataFrames
    write_excel(res, "report.xlsx")          # the Excel report, written atomically

or all at once: ``res = run("scenarios/china", out="report.xlsx")``.
"""

from __future__ import annotations

from .data import PlanningData, prepare
from .errors import InfeasibleError, PlannerError, ScenarioError, SolverError
from .model import build_model
from .pipeline import run
from .results import Results, extract
from .scenario import Scenario, load_scenario
from .solve import SolveOutcome, solve


def write_excel(results: Results, path, **kw):  # noqa: ANN001, ANN003, ANN201 - thin re-export
    """Write the Excel report of ``results`` to ``path`` (see :mod:`planner.report`)."""
    from .report import write_excel as _w

    return _w(results, path, **kw)


__all__ = [
    "InfeasibleError", "PlannerError", "PlanningData", "Results", "Scenario", "ScenarioError", "SolveOutcome",
    "SolverError", "build_model", "extract", "load_scenario", "prepare", "run", "solve", "write_excel",
]
