"""The command line starts at once: ``--help`` and ``validate`` import no solver stack.

Deterministic (what is imported, not how long it takes); the CPU seconds are measured by
``benchmarks/cli_startup.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import planner

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pyomo", "highspy", "scipy", "dask", "distributed", "pandas", "matplotlib", "tsam")

pytestmark = pytest.mark.unit

PROBE = """
import json, runpy, sys
sys.argv = ["planner", *json.loads(sys.argv[1])]
try:
    runpy.run_module("planner.cli", run_name="__main__")
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "modules": sorted({m.split('.')[0] for m in sys.modules})}))
"""


def _imports(*args: str) -> tuple[int, set[str], str]:
    p = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    last = json.loads(p.stdout.strip().splitlines()[-1])
    return last["code"], set(last["modules"]), p.stdout


@pytest.mark.parametrize(
    "args",
    [("--help",), ("run", "--help"), ("sweep", "--help"), ("pareto", "--help"), ("--version",)],
)
def test_help_imports_no_solver_stack(args: tuple[str, ...]) -> None:
    code, modules, out = _imports(*args)
    assert code in (0, None), out
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_validate_imports_no_solver_stack() -> None:
    code, modules, out = _imports("validate", "scenarios/tiny")
    assert code in (0, None) and "valid" in out, out
    assert not modules & {"pyomo", "highspy", "scipy", "dask", "distributed", "matplotlib"}


def test_import_planner_is_light() -> None:
    p = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, planner; print(sorted({m.split('.')[0] for m in sys.modules}))",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert not any(f"'{h}'" in p.stdout for h in HEAVY), p.stdout


def test_public_names_resolve() -> None:
    from planner import errors, pipeline, results, scenario
    from planner import solve as solve_fn

    assert set(planner.__all__) == set(planner._WHERE)
    assert planner.run is pipeline.run and planner.Results is results.Results
    assert (
        planner.load_scenario is scenario.load_scenario
        and planner.ScenarioError is errors.ScenarioError
    )
    assert (
        callable(solve_fn) and solve_fn is sys.modules["planner.solve"].solve
    )  # the function, not its module
    assert planner.solve is solve_fn
    assert set(planner.__all__) <= set(dir(planner))
    code = "import planner; print(planner.scenario.variants.parse_set('a=1').path, planner.results.Results.__name__)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.stdout.split() == ["a", "Results"], (
        p.stdout + p.stderr
    )  # submodules reached as attributes, as before
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = planner.nope  # type: ignore[attr-defined]


def test_solve_is_the_function_whatever_was_imported_first() -> None:
    """Importing the module ``planner.solve`` first (as ``planner.results`` does) keeps the name the function's."""
    code = (
        "import planner.results, planner; print(callable(planner.solve), planner.solve.__module__)"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.stdout.split() == ["True", "planner.solve"], p.stdout + p.stderr
