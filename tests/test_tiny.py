"""The tiny scenario, solved and checked against optima worked out by hand.

Data (scenarios/tiny): one hardware type ``acc`` (1 PFLOPS, 100 kW, idle 50%, 500 k CNY, 5 yr,
rate 0 → 100 k CNY/yr per new module). ``site_e`` (east): PUE 1.5, 600 CNY/MWh. ``site_w``
(west): PUE 1.2, 300 CNY/MWh, open cost 1.5 M over 15 yr → 100 k CNY/yr. Link east–west: 100 Gbps
per unit, 50 k CNY/yr per unit. Slices day/night, 4380 h each, one day ``d1``.
Demand (east): inference 3 PFLOPS by day, 1 at night (≤ 5 ms: east only); training 4 PFLOPS,
shiftable within the day, 10 Gbps per remote PFLOPS.

Unit costs used below:
- idle power of one module for a year: east 0.05 MW × 1.5 × 600 × 8760 = 394,200; west 0.05 × 1.2 × 300 × 8760 = 157,680
- load energy per PFLOPS·h: east 0.05 × 1.5 × 600 = 45; west 0.05 × 1.2 × 300 = 18

Optimum: east 3 modules (inference peak), training uses east's 2 spare PFLOPS at night and 3 west
modules in both slices (2 + 3 + 3 = 8 PFLOPS-slices = 4 PFLOPS average); 30 Gbps → 1 link unit.
- east: capex 300,000 + idle 3 × 394,200 + load (17,520 + 8,760) × 45          = 2,665,200
- west: open 100,000 + capex 300,000 + idle 3 × 157,680 + load 26,280 × 18     = 1,346,080
- link: 1 unit                                                                 =    50,000
Total 4,061,280 CNY/yr. Alternatives: a 4th west module costs 257,680 + … but saves only
(45 − 18) × 8,760 = 236,520 of east night energy; all training in the east needs 6 east modules
(5,330,400 in total).
"""

from __future__ import annotations

import pytest

from planner import InfeasibleError, build_model, prepare, solve
from planner.model.registry import PENALTY_TERMS

from .conftest import doc_of, tweak
from .conftest import solve as run

pytestmark = pytest.mark.solve

OPTIMUM = 4_061_280.0


def modules(res, site):
    row = res.sites.loc[res.sites["site"] == site]
    return int(row["modules"].iloc[0]) if len(row) else 0


def cost(res, term):
    return float(res.costs.set_index("term").loc[term, "CNY/yr"])


def test_hand_computed_optimum(tiny):
    res = run(tiny)
    assert res.outcome.status == "optimal"
    assert res.outcome.objective == pytest.approx(OPTIMUM, rel=1e-9)
    assert (modules(res, "site_e"), modules(res, "site_w")) == (3, 3)
    assert int(res.links["units"].iloc[0]) == 1
    assert cost(res, "capex_sites") == pytest.approx(100_000)
    assert cost(res, "capex_hardware") == pytest.approx(600_000)
    assert cost(res, "network_capex") == pytest.approx(50_000)
    assert cost(res, "energy_cost") == pytest.approx(2 * 1_182_600 + 2 * 473_040)
    pl = res.placement.set_index(["class", "site"])["PFLOPS·h/yr"]
    assert pl["inference", "site_e"] == pytest.approx(17_520)
    assert pl["training", "site_e"] == pytest.approx(8_760)
    assert pl["training", "site_w"] == pytest.approx(26_280)
    assert res.unserved.empty


def test_costs_add_up_to_objective_with_every_term_active(tiny):
    """Every registered term non-zero (or nearly): the breakdown still equals the objective."""
    sc = tweak(tiny, "hardware", "acc", fixed_om_frac=0.02)
    sc = tweak(sc, "sites", "site_w", green_share_max=0.5, green_premium_mwh=20)
    sc = tweak(sc, "policy", carbon_price=100)
    sc = tweak(sc, "links", None, usage_cost_tb=0.5, kwh_per_tb=2.0)
    sc = tweak(sc, "network", energy_price_mwh=500, grid_tco2_mwh=0.5)
    sc = sc.model_copy(
        update={
            "serving_costs": tiny.serving_costs
            + (
                type(tiny)
                .model_fields["serving_costs"]
                .annotation.__args__[0](region="east", site="site_w", cost=1.0),
            )
        }
    )
    res = run(sc)
    terms = res.costs.set_index("term")["CNY/yr"]
    for t in (
        "capex_sites",
        "capex_hardware",
        "fixed_om",
        "energy_cost",
        "green_premium",
        "carbon_cost",
        "network_capex",
        "network_usage",
        "serving_cost",
    ):
        assert terms[t] > 0, t
    assert terms.sum() == pytest.approx(res.outcome.objective, rel=1e-9)
    assert res.total_cost == pytest.approx(res.kpi("total cost"))


def test_relax_is_a_lower_bound(tiny):
    lp = run(tiny, relax=True)
    assert lp.outcome.relaxed and lp.outcome.status == "optimal"
    assert lp.outcome.objective <= OPTIMUM + 1e-6
    assert lp.outcome.objective == pytest.approx(
        3_963_780.0, rel=1e-9
    )  # fractional modules and link unit


# ---- one test per constraint family ---------------------------------------------------------


def test_compute_capacity_and_power_envelope(tiny):
    """site_w's envelope 0.2 MW holds 2 modules: east needs a 4th module.

    east: capex 400,000 + idle 4 × 394,200 + load (17,520 + 17,520) × 45 = 3,553,600
    west: open 100,000 + capex 200,000 + idle 2 × 157,680 + load 17,520 × 18 = 930,720; link 50,000.
    """
    res = run(tweak(tiny, "sites", "site_w", max_it_mw=0.2))
    assert (modules(res, "site_e"), modules(res, "site_w")) == (4, 2)
    assert res.outcome.objective == pytest.approx(4_534_320, rel=1e-9)
    assert (res.profiles["load PFLOPS"] <= res.profiles["capacity PFLOPS"] + 1e-6).all()


def test_capacity_shortfall_is_unserved_at_its_price(tiny):
    """With east capped at 2 modules, 1 PFLOPS of daytime inference (4,380 PFLOPS·h) goes unserved."""
    res = run(tweak(tiny, "sites", "site_e", max_it_mw=0.2))
    u = res.unserved
    assert list(u["class"]) == ["inference"] and list(u["slice"]) == ["day"]
    assert float(u["PFLOPS·h/yr"].sum()) == pytest.approx(4_380)
    assert cost(res, "unserved_cost") == pytest.approx(4_380 * 10_000)


def test_latency_eligibility(tiny):
    """Inference (5 ms) never leaves the east; at 20 ms the west becomes eligible and is used at night."""
    res = run(tiny)
    assert set(res.placement.loc[res.placement["class"] == "inference", "site"]) == {"site_e"}
    data = prepare(tweak(tiny, "job_classes", "inference", max_latency_ms=20, gbps_per_pflops=1))
    assert ("inference", "east", "site_w") in data.ELIG
    data = prepare(tiny)
    assert ("inference", "east", "site_w") not in data.ELIG


def test_link_capacity(tiny):
    """No link: all training in the east (6 modules) = 5,330,400. 20 Gbps units: 30 Gbps needs 2 units."""
    res = run(tweak(tiny, "links", None, max_units=0))
    assert (modules(res, "site_e"), modules(res, "site_w")) == (6, 0)
    assert res.outcome.objective == pytest.approx(5_330_400, rel=1e-9)
    res = run(tweak(tiny, "links", None, unit_gbps=20))
    assert int(res.links["units"].iloc[0]) == 2
    assert res.outcome.objective == pytest.approx(OPTIMUM + 50_000, rel=1e-9)
    assert float(res.links["peak utilisation →"].iloc[0]) == pytest.approx(30 / 40)


def test_link_fixed_cost_and_existing_units(tiny):
    """A fixed cost is paid once any new unit is built; existing units are free and count."""
    res = run(tweak(tiny, "links", None, fixed_cost=10_000))
    assert res.outcome.objective == pytest.approx(OPTIMUM + 10_000, rel=1e-9)
    res = run(tweak(tiny, "links", None, fixed_cost=10_000, existing_units=1))
    assert res.outcome.objective == pytest.approx(OPTIMUM - 50_000, rel=1e-9)
    assert int(res.links["new units"].iloc[0]) == 0


def test_multi_hop_routing(tiny):
    """Add a relay region between east and west: traffic crosses two links to reach site_w."""
    doc = doc_of(tiny)
    doc["regions"].append({"name": "mid", "lat": 34.0, "lon": 113.0})
    doc["links"] = [
        {
            "from": "east",
            "to": "mid",
            "latency_ms": 5,
            "unit_gbps": 100,
            "unit_cost": 20_000,
            "max_units": 4,
        },
        {
            "from": "mid",
            "to": "west",
            "latency_ms": 5,
            "unit_gbps": 100,
            "unit_cost": 30_000,
            "max_units": 4,
        },
    ]
    res = run(type(tiny).model_validate(doc))
    assert res.outcome.objective == pytest.approx(
        OPTIMUM, rel=1e-9
    )  # 20 k + 30 k = the direct link's 50 k
    assert list(res.links["units"]) == [1, 1]
    assert res.placement.set_index(["class", "site"]).loc[
        ("training", "site_w"), "latency ms"
    ] == pytest.approx(10)


def test_idle_power(tiny):
    """No idle power: all training goes west (4 modules): 3,688,240.

    east: capex 300,000 + load 17,520 × 90; west: open 100,000 + capex 400,000 + load 35,040 × 36; link 50,000.
    """
    res = run(tweak(tiny, "hardware", "acc", idle_frac=0.0))
    assert (modules(res, "site_e"), modules(res, "site_w")) == (3, 4)
    assert res.outcome.objective == pytest.approx(3_688_240, rel=1e-9)


def test_shiftable_work(tiny):
    """Training not shiftable: 4 PFLOPS in each slice, the day peak forces 4 west modules: 4,082,440."""
    res = run(tweak(tiny, "job_classes", "training", shiftable=False))
    assert (modules(res, "site_e"), modules(res, "site_w")) == (3, 4)
    assert res.outcome.objective == pytest.approx(4_082_440, rel=1e-9)
    assert res.outcome.objective > OPTIMUM


def test_single_site(tiny):
    """Training must run whole at one site: west with 4 modules (4,082,440) beats east with 6."""
    res = run(tweak(tiny, "job_classes", "training", single_site=True))
    tr = res.placement.loc[res.placement["class"] == "training"]
    assert list(tr["site"]) == ["site_w"]
    assert res.outcome.objective == pytest.approx(4_082_440, rel=1e-9)


def test_green_power(tiny):
    """Carbon at 200 CNY/t: green power saves 0.5 t/MWh × 200 = 100 CNY/MWh at site_w.

    A 50 CNY/MWh premium is worth paying (buy the full 50% share); a 150 premium is not.
    """
    sc = tweak(
        tweak(tiny, "policy", carbon_price=200),
        "sites",
        "site_w",
        green_share_max=0.5,
        green_premium_mwh=50,
    )
    res = run(sc)
    w = res.sites.set_index("site").loc["site_w"]
    assert w["green share"] == pytest.approx(0.5)
    assert cost(res, "green_premium") == pytest.approx(50 * w["green MWh/yr"])
    res = run(tweak(sc, "sites", "site_w", green_premium_mwh=150))
    assert res.sites.set_index("site").loc["site_w", "green MWh/yr"] == pytest.approx(0)


def test_serving_cost(tiny):
    """10 CNY per PFLOPS·h served at site_w from the east: the plan holds, + 26,280 × 10."""
    Serving = type(tiny).model_fields["serving_costs"].annotation.__args__[0]
    sc = tiny.model_copy(
        update={"serving_costs": (Serving(region="east", site="site_w", cost=10.0),)}
    )
    res = run(sc)
    assert cost(res, "serving_cost") == pytest.approx(262_800)
    assert res.outcome.objective == pytest.approx(OPTIMUM + 262_800, rel=1e-9)


def test_unserved_price(tiny):
    """Training worth only 10 CNY per PFLOPS·h: cheaper to leave it undone (east serves inference only)."""
    res = run(tweak(tiny, "job_classes", "training", unserved_cost=10))
    assert cost(res, "unserved_cost") == pytest.approx(35_040 * 10)
    assert res.outcome.objective == pytest.approx(
        300_000 + 1_182_600 + 17_520 * 45 + 350_400, rel=1e-9
    )


def test_brownfield_modules(tiny):
    """Two modules already at site_w: no open cost, capex for the one new module only."""
    doc = doc_of(tiny)
    doc["existing_modules"] = [{"site": "site_w", "hardware": "acc", "modules": 2}]
    res = run(type(tiny).model_validate(doc))
    assert res.outcome.objective == pytest.approx(OPTIMUM - 100_000 - 200_000, rel=1e-9)
    hw = res.hardware.set_index("site").loc["site_w"]
    assert (hw["existing modules"], hw["new modules"]) == (2, 1)


def test_hardware_availability(tiny):
    """Hardware not yet available cannot be bought: the demand goes unserved."""
    res = run(tweak(tiny, "hardware", "acc", available_from=2030))
    assert res.kpi("PFLOPS installed") == 0
    assert res.kpi("unserved share") == pytest.approx(1.0)


def test_energy_and_carbon_objectives(tiny):
    """Energy objective: the objective is the plan's MWh/yr (7,095.6 for the cost-optimal plan, which also
    minimises energy here); carbon objective likewise in tCO2/yr; penalty terms stay in both."""
    res = run(tweak(tiny, "solver", mip_gap=1e-9).model_copy(update={"objective": "energy"}))
    assert res.outcome.objective == pytest.approx(res.kpi("energy"), rel=1e-9)
    assert res.outcome.objective == pytest.approx(7_095.6, rel=1e-9)
    ob = res.objective.set_index("term")
    assert ob.loc["energy_mwh", "weight"] == 1 and all(
        ob.loc[t, "weight"] == 1 for t in PENALTY_TERMS if t in ob.index
    )
    res = run(tiny.model_copy(update={"objective": "carbon"}))
    assert res.outcome.objective == pytest.approx(res.kpi("carbon"), rel=1e-9)
    res = run(tiny.model_copy(update={"objective": {"cost": 1, "carbon": 200}}))
    assert res.outcome.objective == pytest.approx(
        res.total_cost + 200 * res.kpi("carbon"), rel=1e-9
    )


def test_stages_callable_alone(tiny):
    data = prepare(tiny)
    m = build_model(data)
    out = solve(m, time_limit=30, mip_gap=1e-6, mip_start=False)
    assert out.status == "optimal" and out.objective == pytest.approx(OPTIMUM, rel=1e-9)
    assert out.size["integers"] > 0 and out.solver == "HiGHS" and out.solver_version


def test_infeasible_model_is_reported(tiny):
    """Existing modules above what the site's max_modules allows → no feasible plan: InfeasibleError."""
    doc = doc_of(tiny)
    doc["links"][0]["existing_units"] = 4
    doc["links"][0]["max_units"] = 4
    sc = type(tiny).model_validate(doc)
    data = prepare(sc)
    m = build_model(data)
    m.network.units["east-west"].setub(3)  # an impossible bound: existing 4 > 3
    out = solve(m, time_limit=30, mip_gap=1e-6)
    assert out.status in ("infeasible", "infeasible_or_unbounded") and not out.ok
    with pytest.raises(InfeasibleError):
        from planner.plan import explain_failure

        raise InfeasibleError(explain_failure(out, data))


def test_thread_count_can_change_within_a_process(tiny):
    """HiGHS sizes its global scheduler on the first run; a different count later must still solve."""
    for threads in (1, 2, 1):
        res = run(tiny, threads=threads)
        assert res.outcome.status == "optimal" and res.outcome.objective == pytest.approx(
            OPTIMUM, rel=1e-9
        )
