"""Work in whole jobs (docs/model.md §10, "Jobs"), on a scenario small enough to solve by hand.

One region, one slice (8760 h), sites A and B in the region, each holding at most 2 modules
(``max_modules``); modules of 1 PFLOPS at 100,000 CNY/yr (capex 500,000 over 5 years), no energy
cost; a class with no latency limit, unserved work at 20 CNY/PFLOPS·h (175,200 per PFLOPS-year).

- Demand 3 PFLOPS, no job size: 3 modules (2 + 1 or 1 + 2), 300,000 CNY/yr.
- Jobs of 1.5 PFLOPS: 2 jobs, one per site (a site holds 2 PFLOPS: one job); each needs 2 whole
  modules: 4 modules, 400,000 CNY/yr — the job is never split over A and B.
- Jobs of 3 PFLOPS: no site can hold one (2 PFLOPS at most), so the demand is unserved with that
  reason, 3 × 175,200 = 525,600 CNY/yr, nothing built.
- ``job_one_hardware``: site A has one brownfield module of each of two types (free) and
  ``max_modules: 2``; B is closed (max_modules 0). A job of 2 PFLOPS fits A only across the two
  types: allowed, it is served (0 CNY/yr); on one type it cannot run: 2 × 175,200 = 350,400 CNY/yr.
"""

from __future__ import annotations

import pytest

import planner
from planner.scenario.schema import Scenario

from .conftest import SOLVE

U = 20 * 8760.0


def scenario(demand: float, job: float | None = None, **cls: object) -> dict:
    return {
        "name": "jobs",
        "year": 2025,
        "discount_rate": 0.0,
        "solver": {"time_limit": 60, "mip_gap": 1e-6},
        "time_slices": [{"name": "all", "weight": 8760, "day": "d1"}],
        "regions": [{"name": "r", "lat": 30.0, "lon": 110.0}],
        "sites": [
            {
                "name": n,
                "region": "r",
                "pue": 1.0,
                "price_mwh": 0,
                "grid_tco2_mwh": 0.5,
                "max_it_mw": 10,
                "max_modules": 2,
            }
            for n in ("A", "B")
        ],
        "hardware": [{"name": "acc", "pflops": 1.0, "kw": 0, "capex": 500000, "life_years": 5}],
        "job_classes": [
            {"name": "training", "unserved_cost": 20, **({"job_pflops": job} if job else {}), **cls}
        ],
        "demand": [{"class": "training", "region": "r", "pflops": demand}],
    }


def run(doc: dict) -> planner.Results:
    return planner.run(Scenario.model_validate(doc), **SOLVE)


def test_without_jobs_the_work_splits() -> None:
    res = run(scenario(3.0))
    assert res.total_cost == pytest.approx(300_000)


def test_jobs_run_whole_at_one_site() -> None:
    res = run(scenario(3.0, 1.5))
    assert res.total_cost == pytest.approx(400_000)
    assert float(res.kpi("PFLOPS installed")) == 4.0
    assert float(res.kpi("unserved demand")) == pytest.approx(0.0, abs=1e-6)
    by_site = res.placement.set_index("site")["PFLOPS·h/yr"]
    assert by_site["A"] == pytest.approx(1.5 * 8760) and by_site["B"] == pytest.approx(1.5 * 8760)


def test_a_job_that_fits_nowhere_is_unserved_with_the_reason() -> None:
    res = run(scenario(3.0, 3.0))
    assert res.total_cost == pytest.approx(3 * U)
    assert float(res.kpi("PFLOPS installed")) == 0.0
    assert res.placement.empty
    (why,) = set(res.unserved["reason"])
    assert "a job of 3 PFLOPS fits at no site" in why and "2.0 PFLOPS" in why
    assert any("fits at no site" in w for w in res.warnings)


def test_one_hardware_type_per_job() -> None:
    doc = scenario(2.0, 2.0)
    doc["hardware"] = [
        {"name": "h1", "pflops": 1.0, "kw": 0, "capex": 500000, "life_years": 5},
        {"name": "h2", "pflops": 1.0, "kw": 0, "capex": 500000, "life_years": 5},
    ]
    doc["existing_modules"] = [
        {"site": "A", "hardware": "h1", "modules": 1},
        {"site": "A", "hardware": "h2", "modules": 1},
    ]
    doc["sites"][1]["max_modules"] = 0
    assert run(doc).total_cost == pytest.approx(0.0, abs=1e-6)
    doc["job_classes"][0]["job_one_hardware"] = True
    res = run(doc)
    assert res.total_cost == pytest.approx(2 * U)


def test_jobs_that_stay_put_over_the_day() -> None:
    """Two slices of 4,380 h (day 1.5×, night 0.5× of 2 PFLOPS of work that cannot shift), jobs of
    1 PFLOPS at one site of up to 4 modules, unserved work at 40 CNY/PFLOPS·h (175,200 per PFLOPS
    of the day slice, above a module's 100,000). Moving jobs: 3 jobs by day, 1 at night; 3 modules,
    300,000. Jobs that stay put run the same count in both slices: k ≤ 1 (night demand 1), so 1 job
    all day and the 2 PFLOPS short by day are unserved: 100,000 + 2 × 175,200 = 450,400."""
    doc = scenario(2.0, 1.0)
    doc["time_slices"] = [
        {"name": "d", "weight": 4380, "day": "d1"},
        {"name": "n", "weight": 4380, "day": "d1"},
    ]
    doc["profiles"] = {"p": {"d": 1.5, "n": 0.5}}
    doc["demand"][0]["profile"] = "p"
    doc["sites"] = doc["sites"][:1]
    doc["sites"][0]["max_modules"] = 4
    doc["job_classes"][0]["unserved_cost"] = 40
    assert run(doc).total_cost == pytest.approx(300_000)
    doc["job_classes"][0]["job_moves"] = False
    assert run(doc).total_cost == pytest.approx(100_000 + 2 * 4380 * 40)
