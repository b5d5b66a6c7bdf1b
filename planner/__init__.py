"""planner — plan AI computing-power networks with a MILP (Pyomo + HiGHS).

Stages, each callable alone::

    sc = load_scenario("scenarios/china")   # validated, frozen Scenario
    data = prepare(sc)                       # PlanningData: derived tables, sparse sets
    m = build_model(data)                    # Pyomo model, one block per concern
    outcome = solve(m, time_limit=60)        # SolveOutcome: status, objective, bound, gap
    res = extract(m, data, outcome)          # Results: tidy DataFrames
    write_excel(res, "report.xlsx")          # the Excel report, written atomically

or all at once: ``res = run("scenarios/china", out="report.xlsx")``.

The names are imported when first used (``planner.run`` loads Pyomo and HiGHS; ``import planner``
alone, or the command line's ``--help``, does not).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .data import PlanningData, prepare
    from .errors import InfeasibleError, PlannerError, ScenarioError, SolverError
    from .model import build_model
    from .pipeline import run
    from .report import write_excel
    from .results import Results, extract
    from .scenario import Scenario, load_scenario
    from .solve import SolveOutcome, solve

#: Each public name and the module that defines it.
_WHERE = {
    "InfeasibleError": "errors",
    "PlannerError": "errors",
    "ScenarioError": "errors",
    "SolverError": "errors",
    "PlanningData": "data",
    "prepare": "data",
    "build_model": "model",
    "run": "pipeline",
    "Results": "results",
    "extract": "results",
    "Scenario": "scenario",
    "load_scenario": "scenario",
    "SolveOutcome": "solve",
    "solve": "solve",
    "write_excel": "report",
}

__all__ = [
    "InfeasibleError",
    "PlannerError",
    "PlanningData",
    "Results",
    "Scenario",
    "ScenarioError",
    "SolveOutcome",
    "SolverError",
    "build_model",
    "extract",
    "load_scenario",
    "prepare",
    "run",
    "solve",
    "write_excel",
]


class _Package(types.ModuleType):
    """``planner`` itself: public names (and subpackages, ``planner.studies``) imported on first use (PEP 562).

    ``planner.solve`` is both a function and the module that defines it. Importing the module
    (as :mod:`planner.results` does) makes Python bind it on the package; this keeps the public
    name bound to the function, as ``from .solve import solve`` did when everything was imported
    at once.
    """

    def __getattr__(self, name: str) -> Any:
        if name not in _WHERE:
            if (
                not name.startswith("_")
                and importlib.util.find_spec(f"{__name__}.{name}") is not None
            ):
                return importlib.import_module(
                    f".{name}", __name__
                )  # a subpackage: planner.scenario, planner.studies
            raise AttributeError(f"module 'planner' has no attribute '{name}'")
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        setattr(self, name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            isinstance(value, types.ModuleType)
            and value.__name__ == f"{__name__}.{name}"
            and _WHERE.get(name) == name
        ):
            value = getattr(value, name)  # the submodule planner.solve, bound by the import system
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(_WHERE))


sys.modules[__name__].__class__ = _Package
