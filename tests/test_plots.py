"""The notebooks' plots draw real plans and say so when a plan is missing (a failed solve)."""

from __future__ import annotations

import matplotlib.pyplot as plt  # without a display matplotlib draws with Agg
import pytest

import planner
from planner.plots import frontier_plot, plan_map
from planner.studies.pareto import _assemble

from .conftest import SOLVE, TINY

pytestmark = pytest.mark.solve


def _texts(ax: object) -> list[str]:
    return [t.get_text() for t in ax.texts]  # type: ignore[attr-defined]


def test_plan_map_of_a_plan_and_of_no_plan() -> None:
    sc = planner.load_scenario(TINY)
    res = planner.run(sc, **SOLVE)
    fig, (a, b) = plt.subplots(1, 2)
    plan_map(sc, res, ax=a)
    assert any("site_" in t for t in _texts(a))  # the open sites are named with their PFLOPS
    plan_map(sc, None, ax=b, title="point 5")
    assert b.get_title() == "point 5" and any(t.startswith("no plan") for t in _texts(b))
    plt.close(fig)


def test_frontier_plot_when_every_point_failed() -> None:
    failed = {
        "cap": None,
        "status": "no_solution",
        "gap": None,
        "results": None,
        "message": "no plan within 1 s",
    }
    front = _assemble("tiny", ("cost", "carbon"), [failed, {**failed, "cap": 10.0}], {})
    ax = frontier_plot(front)
    assert "(2 failed)" in ax.get_title()
    assert any("no plan on the frontier: 2 of 2 points failed" in t for t in _texts(ax))
    plt.close(ax.figure)
