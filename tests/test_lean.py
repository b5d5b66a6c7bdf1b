"""The lean formulation (docs/model.md §10): transport form, path against flow routing, cuts, no junk plans."""

from __future__ import annotations

import sys
from collections import defaultdict

import pytest

import planner
from planner.data import prepare
from planner.decompose import decompose_flows
from planner.errors import SolverError
from planner.model import build_model
from planner.model.cuts import peak_requirement, site_capacity_bound
from planner.results import placements
from planner.solve import solve as solve_model

from .conftest import ROOT, doc_of, tweak

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from benchmarks.synthetic import make_scenario  # noqa: E402

LIMITS = {"time_limit": 120, "mip_gap": 1e-6}


def _detour_scenario(tiny: planner.Scenario, routing: str) -> planner.Scenario:
    """East's inference (30 ms, 10 Gbps per PFLOPS, 1 PFLOPS) can only run at site_w.

    The direct east–west link (10 ms) costs 1,000,000 CNY/yr per unit; the detour over mid
    (8 + 8 = 16 ms, inside the 30 ms limit) costs 10,000 per unit on each of its two links.
    10 Gbps needs one 100 Gbps unit. ``path`` routes the pair on its least-latency path (direct),
    ``flow`` may take the detour: the difference is exactly 1,000,000 − 2 × 10,000 = 980,000.
    """
    doc = doc_of(tiny)
    doc["regions"].append({"name": "mid", "lat": 34.0, "lon": 113.0})
    doc["sites"] = [s for s in doc["sites"] if s["name"] == "site_w"]
    for jc in doc["job_classes"]:
        if jc["name"] == "inference":
            jc.update(max_latency_ms=30, gbps_per_pflops=10)
    doc["demand"] = [{"class": "inference", "region": "east", "pflops": 1}]
    doc["links"] = [
        {
            "from": "east",
            "to": "west",
            "latency_ms": 10,
            "unit_gbps": 100,
            "unit_cost": 1_000_000,
            "max_units": 4,
        },
        {
            "from": "east",
            "to": "mid",
            "latency_ms": 8,
            "unit_gbps": 100,
            "unit_cost": 10_000,
            "max_units": 4,
        },
        {
            "from": "mid",
            "to": "west",
            "latency_ms": 8,
            "unit_gbps": 100,
            "unit_cost": 10_000,
            "max_units": 4,
        },
    ]
    doc["network"] = {**doc.get("network", {}), "routing": routing}
    return planner.Scenario.model_validate(doc)


@pytest.mark.solve
def test_path_and_flow_routing_differ_where_a_detour_pays(tiny):
    by_path = planner.run(_detour_scenario(tiny, "path"), **LIMITS)
    by_flow = planner.run(_detour_scenario(tiny, "flow"), **LIMITS)
    assert by_path.outcome.objective - by_flow.outcome.objective == pytest.approx(980_000, rel=1e-9)
    assert dict(zip(by_path.links["link"], by_path.links["units"])) == {
        "east-west": 1,
        "east-mid": 0,
        "mid-west": 0,
    }
    assert dict(zip(by_flow.links["link"], by_flow.links["units"])) == {
        "east-west": 0,
        "east-mid": 1,
        "mid-west": 1,
    }
    # the rest of the plan is the same: one module at site_w serving all of east's inference
    assert by_path.kpi("PFLOPS installed") == by_flow.kpi("PFLOPS installed") == 1.0


@pytest.mark.unit
def test_path_routing_has_no_flow_variables(tiny):
    path, flow = prepare(_detour_scenario(tiny, "path")), prepare(_detour_scenario(tiny, "flow"))
    assert not path.FLOW and path.PATH == {("east", "west"): ["east-west>"]}
    assert flow.FLOW and not flow.PATH


@pytest.mark.solve
@pytest.mark.parametrize("shape", ["tiny", "tiny, no bandwidth", "synthetic"])
def test_transport_form_equals_per_pair_placements(tiny, shape):
    """Classes without a latency limit: the transport form is exact (same optimum as per-pair placements)."""
    if shape == "synthetic":
        sc = make_scenario(5, 4, 6, 4, seed=3)
    else:
        sc = tiny if shape == "tiny" else tweak(tiny, "job_classes", "training", gbps_per_pflops=0)
    # routed flows on both sides: per-pair placements on least-latency paths would restrict the pairs
    sc = tweak(sc, "network", routing="flow")
    off = tweak(sc, "network", transport=False)
    assert prepare(sc).TRANSPORT and not prepare(off).TRANSPORT
    a, b = planner.run(sc, **LIMITS), planner.run(off, **LIMITS)
    assert a.outcome.gap <= 1e-6 and b.outcome.gap <= 1e-6
    # both proven optimal to 1e-6: the optimal values agree within the gap (the plans may differ)
    assert a.outcome.objective == pytest.approx(b.outcome.objective, rel=2e-6)


@pytest.mark.solve
def test_transport_placements_add_up():
    """Decomposed placements add up to each region's served demand and to each site's work."""
    sc = make_scenario(8, 6, 24, 4, seed=3)
    data = prepare(sc)
    assert data.TRANSPORT
    m = build_model(data)
    assert solve_model(m, relax=True, time_limit=120).ok
    x = placements(m, data)
    served: dict[tuple[str, str, str], float] = defaultdict(float)
    at_site: dict[tuple[str, str, str], float] = defaultdict(float)
    for (j, r, s, t), v in x.items():
        if j in data.TRANSPORT:
            served[j, r, t] += v
            at_site[j, s, t] += v
    b = m.placement
    for (j, r, t), dem in data.demand.items():
        if j in data.TRANSPORT and not data.shiftable[j]:
            assert served[j, r, t] == pytest.approx(dem - b.unserved[j, r, t].value, abs=1e-6 * dem)
    for (j, s, _h, t), v in b.y.items():
        if j in data.TRANSPORT:
            at_site[j, s, t] -= v.value
    assert max(abs(v) for v in at_site.values()) < 1e-6 * max(data.demand.values())


@pytest.mark.unit
def test_flow_decomposition_by_hand():
    """a sends 5 to c over b, and 2 to b; a circulation b→d→b carries nothing and is cancelled."""
    arcs = {
        "ab": ("a", "b", 7.0),
        "bc": ("b", "c", 5.0),
        "bd": ("b", "d", 3.0),
        "db": ("d", "b", 3.0),
    }
    pairs = decompose_flows({"a": 7.0, "c": 1.0}, {"b": 2.0, "c": 6.0}, arcs)
    assert pairs == {
        ("a", "b"): pytest.approx(2.0),
        ("a", "c"): pytest.approx(5.0),
        ("c", "c"): pytest.approx(1.0),
    }


@pytest.mark.unit
def test_peak_requirement_by_hand(tiny):
    """Tiny: inference 3 (day) and 1 (night) PFLOPS; training 4 PFLOPS shiftable over the day d1.

    Slices: the largest non-shiftable work is 3. Day d1: (4380·3 + 4380·1 + 8760·4) / 8760 = 6.
    site_e may hold at most its demand bound: inference peak 3 + training's day in its shortest
    slice 8 = 11 modules of 1 PFLOPS (its envelope allows 100).
    """
    data = prepare(tiny)
    assert peak_requirement(data) == pytest.approx(6.0)
    assert site_capacity_bound(data, "site_e") == pytest.approx(11.0)


@pytest.mark.solve
def test_open_capacity_row_keeps_the_optimum(tiny):
    hard = tweak(tiny, "policy", allow_unserved=False)
    m = build_model(prepare(hard))
    assert len(m.cuts.open_capacity_covers_peak) == 1
    assert planner.run(hard, **LIMITS).outcome.objective == pytest.approx(4_061_280, rel=1e-9)
    assert not hasattr(build_model(prepare(tiny)).cuts, "open_capacity_covers_peak")


@pytest.mark.solve
def test_a_plan_far_from_its_bound_is_not_a_plan():
    """A plan outside solver.max_plan_gap is a failure with its gap named, not a report."""
    sc = make_scenario(8, 6, 24, 3, seed=1)
    first = solve_model(build_model(prepare(sc)), time_limit=120, mip_gap=0.5, max_plan_gap=0.5)
    assert first.ok and first.gap > 1e-9
    again = solve_model(
        build_model(prepare(sc)), time_limit=120, mip_gap=0.5, max_plan_gap=first.gap / 2
    )
    assert (
        again.status == "gap_too_large"
        and not again.ok
        and again.objective == pytest.approx(first.objective)
    )
    with pytest.raises(SolverError, match="max_plan_gap"):  # the pipeline refuses to report it
        planner.run(tweak(sc, "solver", max_plan_gap=first.gap / 2), time_limit=120, mip_gap=0.5)


@pytest.mark.solve
def test_resolve_scales_the_cut_with_demand(tiny):
    """A demand re-solve moves the open-capacity row with the demand (else it would cut off plans)."""
    from planner.studies.replan import Replanner

    hard = tweak(tweak(tiny, "policy", allow_unserved=False), "solver", mip_gap=1e-6)
    rp = Replanner(hard, mip_gap=1e-6, time_limit=60)
    rp.solve()
    rp.scale_demand(1.3)
    scaled = hard.model_copy(
        update={
            "demand": tuple(d.model_copy(update={"pflops": d.pflops * 1.3}) for d in hard.demand)
        }
    )
    assert rp.solve().outcome.objective == pytest.approx(
        planner.run(scaled, **LIMITS).outcome.objective, rel=1e-7
    )


@pytest.mark.unit
def test_stale_temporaries_of_planner_only_are_removed(tmp_path):
    from planner.atomic import remove_stale_temporaries, save_json

    (tmp_path / ".results.json.0123abcd.tmp").write_text("half")
    (tmp_path / ".notes.tmp").write_text("not ours")
    (tmp_path / "keep.json").write_text("{}")
    assert remove_stale_temporaries(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.tmp", "keep.json"]
    save_json({"a": 1}, tmp_path / "x.json")
    assert (tmp_path / "x.json").read_text().strip().startswith("{") and remove_stale_temporaries(
        tmp_path
    ) == 0


def _one_shipper(sc):
    """The synthetic scenario with free links and only ``training`` sending work over them."""
    sc = tweak(sc, "links", None, usage_cost_tb=0.0, kwh_per_tb=0.0)
    for jc in sc.job_classes:
        if jc.name != "training":
            sc = tweak(sc, "job_classes", jc.name, gbps_per_pflops=0.0)
    return sc


@pytest.mark.solve
@pytest.mark.parametrize("seed", [3, 5])
def test_signed_shipments_exact(seed):
    """One signed shipment column per link gives the directed model's optimum, and fewer columns.

    Each direction's reported traffic (``arc_traffic``) stays within its own capacity, and the two
    directions' Gbps·h add up to what the directed columns of the same plan would carry.
    """
    from planner.model.network import arc_traffic

    sc = _one_shipper(make_scenario(8, 6, 24, 4, seed=seed))
    off = tweak(sc, "network", signed_shipments=False)
    d_on, d_off = prepare(sc), prepare(off)
    assert d_on.SIGNED and not d_off.SIGNED
    assert len(d_off.SHIP) - len(d_on.SHIP) == len(d_on.SIGNED) * len(d_on.SLICES) * len(
        [j for j in d_on.TRANSPORT if d_on.gbps_per_pflops[j] > 0]
    )
    lp = {}
    for key, d in (("on", d_on), ("off", d_off)):
        m = build_model(d)
        out = solve_model(m, relax=True, time_limit=120, lp_solver="simplex")
        assert out.ok
        lp[key] = out.objective
        if key == "on":
            tr = arc_traffic(m, d)
            assert min(tr.values()) >= -1e-6
            for (a, _t), v in tr.items():
                lk = d.links[next(x.link for x in d.ARCS if x.name == a)]
                assert v <= lk.unit_gbps * m.network.units[lk.name].value + 1e-6
    assert lp["on"] == pytest.approx(lp["off"], rel=1e-9)
    small = _one_shipper(make_scenario(5, 4, 6, 4, seed=seed))
    assert prepare(small).SIGNED
    a, b = (
        planner.run(small, **LIMITS),
        planner.run(tweak(small, "network", signed_shipments=False), **LIMITS),
    )
    assert a.outcome.gap <= 1e-6 and b.outcome.gap <= 1e-6
    assert a.outcome.objective == pytest.approx(b.outcome.objective, rel=2e-6)
    # the Links sheet shows each direction's own traffic: both runs carry the same work over links
    assert a.links[["TB/yr →", "TB/yr ←"]].to_numpy().min() >= 0


@pytest.mark.unit
def test_signed_shipments_only_where_exact():
    """Not on links that charge per TB carried, nor when two classes ship work."""
    assert not prepare(
        make_scenario(8, 6, 24, 4, seed=3)
    ).SIGNED  # two shipping classes, priced links
    sc = _one_shipper(make_scenario(8, 6, 24, 4, seed=3))
    d = prepare(sc)
    assert d.SIGNED and d.SIGNED == {
        ln for ln, lk in d.links.items() if not lk.one_way and lk.max_units > 0
    }
    # a class with a latency limit whose remote traffic takes a path keeps that path's links directed
    inf = next(jc.name for jc in sc.job_classes if jc.max_latency_ms is not None)
    d3 = prepare(tweak(sc, "job_classes", inf, gbps_per_pflops=0.05))
    busy = {a[:-1] for arcs in d3.PATH.values() for a in arcs}
    assert busy and d3.SIGNED == d.SIGNED - busy
    assert not prepare(tweak(sc, "links", None, usage_cost_tb=1.0)).SIGNED
    assert not prepare(tweak(sc, "links", None, kwh_per_tb=0.5)).SIGNED
    two = tweak(sc, "job_classes", None, max_latency_ms=None, gbps_per_pflops=0.1)
    d2 = prepare(two)
    assert len([j for j in d2.TRANSPORT if d2.gbps_per_pflops[j] > 0]) >= 2 and not d2.SIGNED
