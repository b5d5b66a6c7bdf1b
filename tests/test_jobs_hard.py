"""All demand served, in whole jobs (``policy.allow_unserved: false``; planner.model.job_leftover).

The small case of tests/test_jobs.py: one region, one slice of 8,760 h (or two of 4,380 h), sites
A and B of at most 2 modules of 1 PFLOPS (100,000 CNY/yr each), no energy cost. Unserved work at
5 CNY/PFLOPS·h, 43,800 per PFLOPS-year: below a module's cost, so a plan free to leave work
undone builds nothing, and ``allow_unserved: false`` is what makes it build.
"""

from __future__ import annotations

import pytest

import planner
from planner.decomposed import choose_method, solve_decomposed
from planner.scenario.schema import Scenario

from .test_jobs import run, scenario

YEAR = 5 * 8760.0  # unserved cost of one PFLOPS over the year


def hard(doc: dict, unserved_cost: float = 5) -> dict:
    doc["policy"] = {"allow_unserved": False}
    doc["job_classes"][0]["unserved_cost"] = unserved_cost
    return doc


def test_every_whole_job_served_and_only_the_remainder_left() -> None:
    """2.5 PFLOPS in jobs of 1: free to leave work undone, nothing is built (2.5 × 43,800 =
    109,500); with all demand served, the 2 whole jobs run (2 modules, 200,000) and the half job
    no whole job can do is unserved (21,900): 221,900 — before, this plan was infeasible."""
    free = scenario(2.5, 1.0)
    free["job_classes"][0]["unserved_cost"] = 5
    assert run(free).total_cost == pytest.approx(2.5 * YEAR)
    res = run(hard(scenario(2.5, 1.0)))
    assert res.total_cost == pytest.approx(200_000 + 0.5 * YEAR)
    assert float(res.kpi("PFLOPS installed")) == 2.0
    assert res.unserved["PFLOPS·h/yr"].sum() == pytest.approx(0.5 * 8760)
    (why,) = set(res.unserved["reason"])
    assert "remainder that no whole job can do" in why


def test_a_job_that_fits_nowhere_stays_unserved_with_all_demand_served() -> None:
    """Jobs of 3 PFLOPS fit at no site (2 at most): all of it unserved, with the reason, and the
    plan warns that whole jobs are the cause, not the unserved cost (3 × 175,200 = 525,600)."""
    res = run(hard(scenario(3.0, 3.0), unserved_cost=20))
    assert res.total_cost == pytest.approx(3 * 20 * 8760)
    (why,) = set(res.unserved["reason"])
    assert "fits at no site" in why


def test_jobs_that_stay_put_leave_a_day_remainder() -> None:
    """Shiftable work of 2.5 PFLOPS over a day of two 4,380-h slices at one site (≤ 4 modules).
    Jobs that move: the day's 21,900 PFLOPS·h is 5 job-slices of 4,380, all served, 3 jobs in one
    slice and 2 in the other: 3 modules, 300,000, nothing unserved. Jobs that stay put run all day
    (8,760 PFLOPS·h each): 2 jobs, the 4,380 PFLOPS·h left unserved: 200,000 + 21,900."""
    doc = hard(scenario(2.5, 1.0, shiftable=True))
    doc["time_slices"] = [
        {"name": "a", "weight": 4380, "day": "d1"},
        {"name": "b", "weight": 4380, "day": "d1"},
    ]
    doc["sites"] = doc["sites"][:1]
    doc["sites"][0]["max_modules"] = 4
    res = run(doc)
    assert res.total_cost == pytest.approx(300_000)
    assert res.unserved.empty
    doc["job_classes"][0]["job_moves"] = False
    res = run(doc)
    assert res.total_cost == pytest.approx(200_000 + 4380 * 5)
    assert res.unserved["PFLOPS·h/yr"].sum() == pytest.approx(4380)


def test_jobs_in_cards_leave_the_same_remainder() -> None:
    """The first case with the job in cards: 10 cards of 0.1 PFLOPS, the same 221,900."""
    doc = hard(scenario(2.5))
    doc["hardware"][0]["cards"] = 10
    doc["job_classes"][0]["job_cards"] = 10
    res = run(doc)
    assert res.total_cost == pytest.approx(200_000 + 0.5 * YEAR)


def test_whole_jobs_are_not_decomposed() -> None:
    """Job counts are integers in every hour: the decomposed method says so and solves whole."""
    doc = scenario(2.5, 1.0)
    doc["solver"]["method"] = "decomposed"
    sc = Scenario.model_validate(doc)
    method, why = choose_method(sc)
    assert method == "monolithic" and "whole jobs (training)" in why
    with pytest.raises(ValueError, match="whole jobs"):
        solve_decomposed(planner.prepare(sc), workers=0)
