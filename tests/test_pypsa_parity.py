"""benchmarks/pypsa_parity.py: planner's LP relaxation and PyPSA's LP of one generated problem agree.

The smallest size only (4 regions, 3 sites, 6 slices), both solved in this process. Skipped
without PyPSA (``pip install -e ".[bench]"``); the generator's own checks run without it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.pypsa_parity import RTOL, make_problem, planner_spec  # noqa: E402

SIZE = (4, 3, 6)


@pytest.mark.unit
def test_generator_is_seeded_and_planner_accepts_it() -> None:
    from planner.scenario.checks import check_tables
    from planner.scenario.schema import BLOCKS, TABLES, Scenario

    a, b = make_problem(*SIZE, seed=3), make_problem(*SIZE, seed=3)
    assert a == b
    assert make_problem(*SIZE, seed=4) != a
    sc = Scenario.model_validate(planner_spec(a))
    problems = check_tables(
        {t: list(getattr(sc, t)) for t in TABLES},
        sc.profiles,
        {},
        sc.name,
        {"year": sc.year},
        {b: getattr(sc, b) for b in BLOCKS},
    )
    assert not problems, problems  # the loader's cross-table checks pass too
    assert sum(t.weight for t in sc.time_slices) == pytest.approx(8760.0)
    assert [jc.max_latency_ms for jc in sc.job_classes] == [None]
    assert all(h.idle_frac == 0 for h in sc.hardware)
    assert all(s.open_cost == 0 and s.existing for s in sc.sites)
    assert all(lk.fixed_cost == 0 and lk.existing_units == 0 for lk in sc.links)
    # the demand planner is given (level × profile) is the load PyPSA is given
    for r, level in a["levels"].items():
        assert a["demand"][r] == [level * v for v in a["profiles"][r]]


@pytest.mark.solve
@pytest.mark.parametrize("seed", [0, 1])
def test_objectives_agree(seed: int) -> None:
    pytest.importorskip("pypsa")
    from benchmarks.pypsa_parity import solve_planner, solve_pypsa

    p = make_problem(*SIZE, seed=seed)
    a = solve_planner(p, time_limit=60)
    b = solve_pypsa(p, time_limit=60)
    assert a["status"] == "optimal" and b["status"] == "optimal", (a, b)
    assert abs(a["objective"] - b["objective"]) <= RTOL * abs(b["objective"]), (
        a["objective"],
        b["objective"],
    )
    for rec in (a, b):
        assert rec["columns"] > 0 and rec["rows"] > 0 and rec["nonzeros"] > 0
