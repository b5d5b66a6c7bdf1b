"""Published optima of the OR-Library capacitated facility location instances (docs/model.md §9).

With one slice, one free 1-PFLOPS module type, ``max_modules`` = capacity, ``open_cost`` = fixed
cost and an explicit serving cost per (region, site), the planning model is exactly the CFLP;
with a ``single_site`` class it is the single-source CFLP. See ``tests/orlib_cap.py`` for the
mapping. Measured on a 2-core machine: each instance takes 0.2–2.7 s end to end (HiGHS, gap 1e-6).
"""

from __future__ import annotations

import pytest

import planner

from .orlib_cap import (
    HOURS,
    ORLIB_CAP,
    CapInstance,
    load,
    parse_multi_source,
    parse_single_source,
    read_optima,
    to_scenario,
)

if not (ORLIB_CAP / "optima.txt").is_file():
    pytest.skip(
        f"OR-Library cap benchmark not found at {ORLIB_CAP} (the shared/ folder beside the project root)",
        allow_module_level=True,
    )

OPTIMA = read_optima()
#: Generous per-instance limit so a slow machine does not fail spuriously (measured ≤ 3 s).
TIME_LIMIT = 300.0
MIP_GAP = 1e-6


def _plan_cost(inst: CapInstance, res: planner.Results) -> float:
    """The CFLP objective ``Σ f_i y_i + Σ c_ij x_ij`` of the plan, from the report tables only."""
    opened = {s: bool(o) for s, o in zip(res.sites["site"], res.sites["open"])}
    fixed = sum(inst.fixed[i] for i in range(inst.m) if opened[f"f{i}"])
    serve = sum(
        inst.cost[int(r.site[1:])][int(r.region[1:])] * r.share
        for r in res.placement.rename(columns={"share of demand": "share"}).itertuples()
    )
    return fixed + serve


# ---- parsers and mapping (no solver) ------------------------------------------------------------


@pytest.mark.unit
def test_optima_table() -> None:
    assert [o.instance for o in OPTIMA] == ["cap41", "cap71", "cap101", "cap131", "p1", "p5", "p13"]
    assert {o.instance: o.optimum for o in OPTIMA}["cap41"] == 1040444.375
    assert all(o.path.is_file() for o in OPTIMA)


@pytest.mark.unit
@pytest.mark.parametrize("opt", OPTIMA, ids=lambda o: o.instance)
def test_parse_sizes(opt) -> None:
    inst = load(opt)
    m = {"cap41": 16, "cap71": 16, "cap101": 25, "cap131": 50, "p1": 16, "p5": 16, "p13": 25}[
        opt.instance
    ]
    assert (inst.m, inst.n) == (m, 50)
    assert len(inst.capacity) == len(inst.fixed) == len(inst.cost) == m
    assert len(inst.demand) == 50 and all(len(row) == 50 for row in inst.cost)
    assert sum(inst.demand) == 58268  # the same 50 customers in every set
    assert min(inst.demand) > 0 and min(min(row) for row in inst.cost) >= 0


@pytest.mark.unit
def test_parse_known_numbers() -> None:
    cap41 = parse_multi_source(ORLIB_CAP / "multi-source" / "cap41.txt")
    assert set(cap41.capacity) == {5000.0}
    assert cap41.fixed[0] == 7500.0 and cap41.fixed[10] == 0.0  # '7500.' and '0.' tokens
    assert cap41.demand[:3] == (146.0, 87.0, 672.0)
    assert (
        cap41.cost[0][0] == 6739.725 and cap41.cost[1][0] == 10355.05
    )  # customer 1's costs wrap lines
    assert cap41.cost[6][0] == 4374.525 and cap41.cost[7][0] == 3847.1
    p1 = parse_single_source(ORLIB_CAP / "single-source" / "p1")
    assert set(p1.capacity) == {15000.0} and p1.fixed[10] == 0.0
    assert p1.demand[:3] == (146.0, 87.0, 672.0)
    assert p1.cost[0][:2] == (6739.725, 3204.8625)  # row = site
    assert p1.cost[1][0] == 10355.05


@pytest.mark.unit
@pytest.mark.parametrize(("single", "multi"), [("p5", "cap71"), ("p13", "cap101")])
def test_single_source_files_match_multi_source(single: str, multi: str) -> None:
    """The two formats (row- vs column-major costs) parse to the same data (README's p -> cap map)."""
    by = {o.instance: o for o in OPTIMA}
    assert load(by[single]) == load(by[multi])


@pytest.mark.unit
def test_p1_is_cap71_with_capacity_15000() -> None:
    by = {o.instance: o for o in OPTIMA}
    p1, cap71 = load(by["p1"]), load(by["cap71"])
    assert set(p1.capacity) == {15000.0}
    assert (p1.fixed, p1.demand, p1.cost) == (cap71.fixed, cap71.demand, cap71.cost)


@pytest.mark.unit
def test_to_scenario_derived_data() -> None:
    """The prepared data carry exactly the CFLP numbers: annual f_i, capacities, c_ij per unit."""
    inst = parse_multi_source(ORLIB_CAP / "multi-source" / "cap41.txt")
    data = planner.prepare(to_scenario(inst, single_source=False, name="cap41"))
    assert data.size["eligible"] == inst.m * inst.n  # every (customer, site) pair, no links
    assert sum(data.weight.values()) == HOURS
    for i in range(inst.m):
        s = f"f{i}"
        assert data.open_annual[s] == inst.fixed[i]
        assert data.module_bound[s, "unit"] == inst.capacity[i]
        assert (
            data.pflops["unit"] == 1.0
            and data.capex_annual["unit"] == 0.0
            and data.kw["unit"] == 0.0
        )
        for j in range(inst.n):
            per_year = data.serving_cost[f"c{j}", s] * HOURS * inst.demand[j]
            assert per_year == pytest.approx(inst.cost[i][j], rel=1e-12, abs=1e-9)
    assert not any(data.single_site.values())
    ss = planner.prepare(to_scenario(inst, single_source=True, name="cap41-ss"))
    assert len(ss.ASSIGN) == inst.m * inst.n


# ---- published optima (HiGHS) -------------------------------------------------------------------


@pytest.mark.solve
@pytest.mark.parametrize("opt", OPTIMA, ids=lambda o: o.instance)
def test_published_optimum(opt) -> None:
    inst = load(opt)
    res = planner.run(
        to_scenario(inst, single_source=opt.single_source, name=opt.instance),
        time_limit=TIME_LIMIT,
        mip_gap=MIP_GAP,
    )
    out = res.outcome
    assert out is not None and out.status == "optimal", out
    assert out.objective == pytest.approx(opt.optimum, rel=1e-6)
    # the cost table adds up to the objective, and only the site and serving terms are non-zero
    assert res.costs["CNY/yr"].sum() == pytest.approx(out.objective, rel=1e-9)
    nonzero = {t for t, v in zip(res.costs["term"], res.costs["CNY/yr"]) if abs(v) > 1e-6}
    assert nonzero <= {"capex_sites", "serving_cost"}
    # the plan, priced as a CFLP from the report tables alone, has the published value
    assert _plan_cost(inst, res) == pytest.approx(opt.optimum, rel=1e-6)
    # all demand served, every customer fully
    assert res.unserved.empty
    assert res.kpi("unserved demand") == 0
    share = res.placement.groupby("region")["share of demand"].sum()
    assert len(share) == inst.n
    assert share.to_numpy() == pytest.approx(1.0, abs=1e-6)
    # CFLP capacity rows: only open sites serve, within capacity
    served = res.placement.groupby("site")["PFLOPS·h/yr"].sum() / HOURS
    opened = dict(zip(res.sites["site"], res.sites["open"]))
    for s, v in served.items():
        assert opened[s], f"closed site {s} serves {v}"
        assert v <= inst.capacity[int(s[1:])] * (1 + 1e-9)
    if opt.single_source:
        per_customer = res.placement.groupby("region")["site"].nunique()
        assert (per_customer == 1).all(), per_customer[per_customer != 1]


@pytest.mark.solve
def test_single_site_binds() -> None:
    """The published single-source optima equal the multi-source ones; this shows the class binds.

    cap41 (capacity 5000) splits customers in its multi-source optimum, and two customers
    (5495 and 12912) exceed any site's capacity: as a single-source instance they cannot be
    served whole, so the planner must leave at least the excess over 5000 of each unserved.
    """
    inst = parse_multi_source(ORLIB_CAP / "multi-source" / "cap41.txt")
    multi = planner.run(
        to_scenario(inst, single_source=False, name="cap41"), time_limit=TIME_LIMIT, mip_gap=MIP_GAP
    )
    assert (multi.placement.groupby("region")["site"].nunique() > 1).any()
    ss = to_scenario(inst, single_source=True, name="cap41-ss")
    with pytest.raises(planner.InfeasibleError):  # full service is impossible single-source
        planner.run(ss, time_limit=TIME_LIMIT, mip_gap=1e-4)
    # priced instead (the mapping's unserved_cost never pays where service is possible)
    ss = ss.model_copy(update={"policy": ss.policy.model_copy(update={"allow_unserved": True})})
    single = planner.run(ss, time_limit=TIME_LIMIT, mip_gap=1e-4)
    assert (single.placement.groupby("region")["site"].nunique() == 1).all()
    big = {f"c{j}": inst.demand[j] - 5000.0 for j in range(inst.n) if inst.demand[j] > 5000.0}
    assert sorted(big.values()) == [495.0, 7912.0]
    short = single.unserved.groupby("region")["PFLOPS"].sum()
    for region, excess in big.items():
        assert short[region] >= excess - 1e-6
    assert single.outcome.objective > multi.outcome.objective
