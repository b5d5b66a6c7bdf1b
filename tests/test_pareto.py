"""Pareto frontiers (docs/model.md §6): ε-constraint between the least-cost and least-carbon plans."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import planner
from planner.errors import ScenarioError
from planner.studies.pareto import dominated, pareto

from .conftest import SOLVE, TINY, solve, tweak

pytestmark = pytest.mark.solve


@pytest.fixture(scope="module")
def green_tiny() -> planner.Scenario:
    """Tiny with a green-power option at the western site: a continuous cost–carbon trade-off."""
    return tweak(
        planner.load_scenario(TINY), "sites", "site_w", green_share_max=0.5, green_premium_mwh=10
    )


@pytest.fixture(scope="module")
def front(green_tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("pareto") / "frontier.xlsx"
    return pareto(green_tiny, points=6, workers=1, out=out, **SOLVE), out


def test_frontier_is_monotone_and_non_dominated(front):
    f, _ = front
    t = f.table
    assert len(t) >= 4
    assert (t["status"] == "optimal").all()
    cost, carbon = t["cost CNY/yr"].to_numpy(), t["carbon tCO2/yr"].to_numpy()
    assert all(b >= a - 1e-6 * abs(a) for a, b in zip(cost, cost[1:])), (
        "cost must not fall as the cap tightens"
    )
    assert all(b <= a + 1e-6 * abs(a) for a, b in zip(carbon, carbon[1:])), (
        "carbon must not rise as the cap tightens"
    )
    assert carbon[0] > carbon[-1] * 1.1, "the green option gives a real trade-off"
    assert (t["dominated"] == "non-dominated").all()
    caps = t["cap"].to_numpy()
    assert math.isnan(caps[0])
    assert all(carbon[i] <= caps[i] * (1 + 1e-6) + 1e-6 for i in range(1, len(t)))
    assert list(t["plan"]) == ["least cost", *["capped"] * (len(t) - 2), "least carbon"]


def test_extremes_match_separate_runs(front, green_tiny):
    t = front[0].table
    cheapest = solve(green_tiny)
    greenest = solve(green_tiny.model_copy(update={"objective": "carbon"}))
    assert t["cost CNY/yr"].iloc[0] == pytest.approx(cheapest.total_cost, rel=1e-6)
    assert t["carbon tCO2/yr"].iloc[0] == pytest.approx(float(cheapest.kpi("carbon")), rel=1e-6)
    assert t["carbon tCO2/yr"].iloc[-1] == pytest.approx(float(greenest.kpi("carbon")), rel=1e-6)
    assert t["cost CNY/yr"].iloc[-1] <= greenest.total_cost * (
        1 + 1e-6
    )  # the cheapest of the least-carbon plans


def test_workbook_reads_back(front):
    f, out = front
    wb = load_workbook(out)
    assert wb.sheetnames == ["Frontier", "Decisions", "About"]
    assert len(wb["Frontier"]._charts) == 1
    back = pd.read_excel(out, sheet_name="Frontier")
    assert len(back) == len(f.table)
    assert {
        "cost CNY/yr",
        "carbon tCO2/yr",
        "status",
        "dominated",
        "PFLOPS built",
        "sites open",
        "link units built",
        "green share",
    } <= set(back.columns)
    assert back["cost CNY/yr"].to_numpy() == pytest.approx(f.table["cost CNY/yr"].to_numpy())
    dec = pd.read_excel(out, sheet_name="Decisions")
    assert list(dec.columns[:2]) == ["site", "hardware"]
    assert [f"point {i}" for i in range(1, len(f.table) + 1)] == list(dec.columns[2:])
    assert set(dec["site"]) == {"site_e", "site_w"}


def test_energy_frontier_and_dask(green_tiny):
    f = pareto(green_tiny, objectives="cost,energy", points=3, workers=2, **SOLVE)
    t = f.table
    assert "Dask" in f.workers
    assert len(t) == 3 and (t["status"] == "optimal").all()
    e = t["energy MWh/yr"].to_numpy()
    assert e[-1] <= e[0] + 1e-6
    assert (t["dominated"] != "dominated").all()


def test_dominance_check():
    pts = [(1.0, 5.0), (2.0, 4.0), (2.0, 5.0), None, (3.0, 4.0), (1.0, 5.0)]
    assert dominated(pts) == [False, False, True, None, True, False]


def test_failed_points_are_kept(front):
    from planner.studies.pareto import _assemble

    f, _ = front
    ok = {
        "cap": None,
        "status": "optimal",
        "gap": 0.0,
        "results": f.results[0],
        "message": "",
        "excess": None,
    }
    failed = {
        "cap": 3500.0,
        "status": "no_solution",
        "gap": None,
        "results": None,
        "message": "no plan: no_solution",
    }
    last = {**ok, "cap": 3100.0, "results": f.results[-1], "excess": 0.0}
    stopped = {
        **ok,
        "cap": 3300.0,
        "status": "feasible",
        "gap": 0.99,
    }  # a time-out far from its bound
    t = _assemble("tiny", ("cost", "carbon"), [ok, failed, stopped, last], {}).table
    assert list(t["dominated"]) == ["non-dominated", "failed", "failed", "non-dominated"]
    assert t["status"].iloc[1] == "no_solution" and pd.isna(t["cost CNY/yr"].iloc[1])
    assert t["status"].iloc[2] == "feasible" and "time limit" in t["message"].iloc[2]


def test_extremes_that_cannot_anchor_the_caps(front):
    """A failed or far-from-bound extreme is refused with a clear reason (caps are not spaced from it)."""
    from planner.studies.pareto import extreme_problem

    f, _ = front
    ok = {"cap": None, "status": "optimal", "gap": 0.001, "results": f.results[0], "message": ""}
    assert extreme_problem(ok, {"time_limit": 45}) is None
    failed = {
        **ok,
        "status": "no_solution",
        "gap": None,
        "results": None,
        "message": "no plan within 45 s",
    }
    assert "failed (no plan within 45 s); there is no frontier to span" in extreme_problem(
        failed, {}
    )
    stopped = {**ok, "status": "feasible", "gap": 0.8}
    why = extreme_problem(stopped, {"time_limit": 45})
    assert why is not None and "(45 s) 80% from its bound" in why and "raise time_limit" in why


def test_bad_arguments(green_tiny):
    with pytest.raises(ScenarioError):
        pareto(green_tiny, objectives="cost,water", workers=1)
    with pytest.raises(ScenarioError):
        pareto(green_tiny, points=1, workers=1)


def test_cli_pareto(tmp_path: Path):
    out = tmp_path / "f.xlsx"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "pareto",
            str(TINY),
            "--points",
            "3",
            "--workers",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "least carbon" in proc.stdout and out.exists()
    assert "distributed." not in proc.stderr and "killed by signal" not in proc.stderr, (
        proc.stderr
    )  # Dask quiet without -v
    bad = subprocess.run(
        [sys.executable, "-m", "planner.cli", "pareto", str(TINY), "--objectives", "cost,water"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode != 0
