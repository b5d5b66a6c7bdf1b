"""Fast re-solves: each change, re-solved in place, matches a fresh run of the changed scenario."""

from __future__ import annotations

import pytest

import planner
from planner.studies.replan import Replanner

from .conftest import solve as run
from .conftest import tweak

pytestmark = pytest.mark.solve


@pytest.fixture
def green_tiny(tiny):
    sc = tweak(tiny, "sites", "site_w", green_share_max=0.5, green_premium_mwh=10)
    return tweak(
        tweak(sc, "policy", carbon_price=50, carbon_cap=3_000, budget=6_000_000),
        "solver",
        mip_gap=1e-6,
    )


def _prices(sc, f):
    doc = sc.model_dump(mode="json", by_alias=True, exclude={"source_path", "input_hash"})
    for s in doc["sites"]:
        s["price_mwh"] *= f
    return type(sc).model_validate(doc)


def _demand(sc, f):
    return sc.model_copy(
        update={"demand": tuple(d.model_copy(update={"pflops": d.pflops * f}) for d in sc.demand)}
    )


def test_resolves_match_fresh_runs(green_tiny):
    rp = Replanner(green_tiny, mip_gap=1e-6, time_limit=60)
    assert rp.solve().outcome.objective == pytest.approx(
        run(green_tiny).outcome.objective, rel=1e-7
    )

    rp.scale_cost("energy_cost", 1.5)  # every site's electricity price ×1.5
    res = rp.solve()
    fresh = run(_prices(green_tiny, 1.5))
    assert res.outcome.objective == pytest.approx(fresh.outcome.objective, rel=1e-7)
    assert res.total_cost == pytest.approx(fresh.total_cost, rel=1e-7)  # cost sheet as changed

    rp.set_target("carbon_cap", 2_500)
    res = rp.solve()
    fresh = run(tweak(_prices(green_tiny, 1.5), "policy", carbon_cap=2_500))
    assert res.outcome.objective == pytest.approx(fresh.outcome.objective, rel=1e-7)

    rp.scale_demand(1.3)
    res = rp.solve()
    fresh = run(_demand(tweak(_prices(green_tiny, 1.5), "policy", carbon_cap=2_500), 1.3))
    assert res.outcome.objective == pytest.approx(fresh.outcome.objective, rel=1e-7)
    assert res.kpi("demand") == pytest.approx(fresh.kpi("demand"))
    assert rp.solves == 4


def test_unknown_changes_are_refused(tiny):
    rp = Replanner(tiny)
    with pytest.raises(KeyError, match="no cost term 'power'"):
        rp.scale_cost("power", 2)
    with pytest.raises(ValueError, match="carbon_cap or budget"):
        rp.set_target("carbon_cap", 1)
    assert isinstance(rp.solve(), planner.Results)
