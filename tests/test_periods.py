"""Several periods (docs/model.md §5.6): hand-checked optima, discounting, reconciliation, myopic planning.

The tiny_periods scenario (scenarios/tiny_periods): one site with one brownfield gen-1 module
(1 PFLOPS, retires in 2027); gen 1 (500,000 CNY, 3-year life, 0.1 MWh per PFLOPS·h) can be bought
until 2026, gen 2 (2 PFLOPS, 800,000 CNY, 5-year life, 0.05 MWh per PFLOPS·h) from 2027; power
at 100 CNY/MWh, PUE 1, no idle draw; demand 2 PFLOPS in 2025 growing 50%/yr (4.5 in 2027).
Periods 2025 (2 years) and 2027 (3 years).

By hand (discount rate i; annuity a1 = 500,000 × crf(i, 3), a2 = 800,000 × crf(i, 5)):

- 2025: the brownfield module gives 1 PFLOPS; one gen-1 module is bought (gen 2 is not yet
  available; unserved work costs 10,000 CNY per PFLOPS·h). Cost a1 + 2 PF × 0.1 × 876,000.
- 2027: the brownfield module has retired; the 2025 module still serves (2025 < 2027 < 2028).
  3.5 PFLOPS are needed beyond the 1 in service: two gen-2 modules (4 PF).
  Gen 2 runs flat out (cheaper energy), gen 1 carries 0.5 PF. Cost a1 + 2 a2 + (4 × 0.05 + 0.5 × 0.1) × 876,000.
- Objective = 2 × cost(2025) + 3 / (1 + i)^2 × cost(2027). With i = 0: 2,800,733.33 CNY.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import planner
from planner.errors import ScenarioError
from planner.horizon.periods import growth_rate, period_demand, period_list, prepare_periods
from planner.report.map import available
from planner.scenario.schema import Period

from .conftest import ROOT, SOLVE, TINY, doc_of, tweak

TP = ROOT / "scenarios" / "tiny_periods"
MWH_YEAR = 8760 * 100  # CNY per year for 1 MW drawn all year at 100 CNY/MWh


def crf(i: float, n: float) -> float:
    """Capital recovery factor, written out again here (independent of planner.data.crf)."""
    return 1 / n if i == 0 else i * (1 + i) ** n / ((1 + i) ** n - 1)


def hand(i: float) -> tuple[float, float, float]:
    """(cost 2025 CNY/yr, cost 2027 CNY/yr, objective) of the hand-worked plan at discount rate i."""
    a1, a2 = 500_000 * crf(i, 3), 800_000 * crf(i, 5)
    c25 = a1 + 2 * 0.1 * MWH_YEAR
    c27 = a1 + 2 * a2 + (4 * 0.05 + 0.5 * 0.1) * MWH_YEAR
    return c25, c27, 2 * c25 + 3 / (1 + i) ** 2 * c27


@pytest.fixture(scope="module")
def tp() -> planner.Scenario:
    return planner.load_scenario(TP)


@pytest.fixture(scope="module")
def plan(tp: planner.Scenario) -> planner.Results:
    return planner.run(tp, **SOLVE)


def test_hand_checked_optimum(plan: planner.Results) -> None:
    assert plan.outcome.status == "optimal"
    assert plan.outcome.objective == pytest.approx(2_800_733.3333, rel=1e-9)
    assert plan.outcome.objective == pytest.approx(hand(0.0)[2], rel=1e-9)
    sched = plan.extra_tables["Build schedule"].set_index(["period", "hardware"])
    # availability: only gen 1 can be bought in 2025, only gen 2 in 2027
    assert sched.loc[(2025, "gen1"), "bought modules"] == 1
    assert (2025, "gen2") not in sched.index
    assert sched.loc[(2027, "gen1"), "bought modules"] == 0
    assert sched.loc[(2027, "gen2"), "bought modules"] == 2
    # retirement: the brownfield module is gone in 2027, the 2025 purchase still serves
    assert sched.loc[(2025, "gen1"), "brownfield in service"] == 1
    assert sched.loc[(2025, "gen1"), "modules in service"] == 2
    assert sched.loc[(2027, "gen1"), "retired modules"] == 1
    assert sched.loc[(2027, "gen1"), "modules in service"] == 1
    assert sched.loc[(2027, "gen2"), "PFLOPS in service"] == 4.0
    periods = plan.periods.set_index("period")
    assert periods.loc[2027, "PFLOPS retired"] == 1.0
    assert plan.kpi("PFLOPS installed") == 5.0
    assert plan.kpi("planning").startswith("perfect foresight")


def test_module_life_ends(tp: planner.Scenario) -> None:
    """With a third period in 2028 the 2025 gen-1 module (3-year life) is out of service."""
    sc = tp.model_copy(update={"periods": (*tp.periods, Period(year=2028, years=1))})
    sc = tweak(sc, "hardware", "gen1", life_years=3)
    res = planner.run(sc, **SOLVE)
    sched = res.extra_tables["Build schedule"].set_index(["period", "hardware"])
    assert sched.loc[(2028, "gen1"), "retired modules"] == 1
    assert sched.loc[(2028, "gen1"), "modules in service"] == 0


@pytest.mark.parametrize("rate", [0.0, 0.1])
def test_discounting_arithmetic(tp: planner.Scenario, rate: float) -> None:
    res = planner.run(tp.model_copy(update={"discount_rate": rate}), **SOLVE)
    c25, c27, obj = hand(rate)
    assert res.outcome.objective == pytest.approx(obj, rel=1e-9)
    periods = res.periods.set_index("period")
    assert periods.loc[2025, "cost CNY/yr"] == pytest.approx(c25, rel=1e-9)
    assert periods.loc[2027, "cost CNY/yr"] == pytest.approx(c27, rel=1e-9)
    assert periods.loc[2027, "discount factor"] == pytest.approx(1 / (1 + rate) ** 2)
    assert periods.loc[2027, "period weight yr"] == pytest.approx(3 / (1 + rate) ** 2)


def test_costs_reconcile_per_period(plan: planner.Results) -> None:
    costs = plan.costs
    # each row: discounted = weight × annual
    assert (
        costs["discounted CNY"] - costs["period weight yr"] * costs["CNY/yr"]
    ).abs().max() < 1e-6
    per = costs.groupby("period")[["CNY/yr", "discounted CNY"]].sum()
    periods = plan.periods.set_index("period")
    for y in periods.index:
        assert per.loc[y, "CNY/yr"] == pytest.approx(periods.loc[y, "cost CNY/yr"], rel=1e-12)
        assert per.loc[y, "discounted CNY"] == pytest.approx(
            periods.loc[y, "discounted cost CNY"], rel=1e-12
        )
    assert plan.total_cost == pytest.approx(plan.outcome.objective, rel=1e-9)
    assert float(plan.objective["contribution"].sum()) == pytest.approx(
        plan.outcome.objective, rel=1e-9
    )
    assert plan.kpi("total cost") == pytest.approx(plan.outcome.objective, rel=1e-9)
    terms = plan.summary[plan.summary["kpi"].str.startswith("cost: ")]
    assert float(terms["value"].sum()) == pytest.approx(plan.outcome.objective, rel=1e-9)


def test_myopic_and_perfect_foresight(tp: planner.Scenario) -> None:
    """Gen 2 never arrives: only foresight buys enough gen 1 in 2025 for 2027's demand."""
    sc = tweak(tp, "hardware", "gen2", available_from=2030)
    pf = planner.run(sc, **SOLVE)
    my = planner.run(sc.model_copy(update={"planning": "myopic"}), **SOLVE)
    a1 = 500_000 / 3
    pf_hand = 2 * (5 * a1 + 0.2 * MWH_YEAR) + 3 * (5 * a1 + 0.45 * MWH_YEAR)
    my_hand = 2 * (a1 + 0.2 * MWH_YEAR) + 3 * (a1 + 0.1 * MWH_YEAR + 3.5 * 8760 * 10_000)
    assert pf.outcome.objective == pytest.approx(pf_hand, rel=1e-9)  # 5,699,666.67
    assert my.outcome.objective == pytest.approx(my_hand, rel=1e-9)  # 921,246,533.33
    assert (
        pf.extra_tables["Build schedule"]
        .set_index(["period", "hardware"])
        .loc[(2025, "gen1"), "bought modules"]
        == 5
    )
    assert (
        my.extra_tables["Build schedule"]
        .set_index(["period", "hardware"])
        .loc[(2025, "gen1"), "bought modules"]
        == 1
    )
    assert my.periods.set_index("period").loc[2027, "unserved share"] == pytest.approx(3.5 / 4.5)
    assert my.metadata["planning"].startswith("myopic") and pf.metadata["planning"].startswith(
        "perfect foresight"
    )
    assert list(my.extra_tables["Myopic steps"]["step"]) == [2025, 2027]
    # on the base scenario both find the same plan (nothing is gained by looking ahead)
    my_base = planner.run(tp.model_copy(update={"planning": "myopic"}), **SOLVE)
    assert my_base.outcome.objective == pytest.approx(hand(0.0)[2], rel=1e-9)


def test_sites_stay_open_and_link_units_persist(tiny: planner.Scenario) -> None:
    """Training (served in the west over the link) stops in 2027: the west site and the link stay."""
    doc = doc_of(tiny)
    doc["periods"] = [{"year": 2025, "years": 2}, {"year": 2027, "years": 2}]
    doc["demand"] = [
        {"class": "inference", "region": "east", "pflops": 2, "profile": "users"},
        {"class": "training", "region": "east", "pflops": 4, "year": 2025},
        {"class": "training", "region": "east", "pflops": 0, "year": 2027},
    ]
    res = planner.run(planner.Scenario.model_validate(doc), **SOLVE)
    sites = res.sites.set_index(["period", "site"])
    assert bool(sites.loc[(2025, "site_w"), "open"]) and bool(sites.loc[(2027, "site_w"), "open"])
    assert float(sites.loc[(2027, "site_w"), "served PFLOPS·h/yr"]) == 0.0
    links = res.extra_tables["Link schedule"].set_index("period")
    assert (
        links.loc[2025, "units built"] >= 1
        and links.loc[2027, "units in service"] >= links.loc[2025, "units in service"]
    )
    costs = res.costs.set_index(["period", "term"])["CNY/yr"]
    assert (
        costs[(2027, "capex_sites")] == pytest.approx(costs[(2025, "capex_sites")])
        and costs[(2027, "capex_sites")] > 0
    )


def test_period_defaults_and_growth(tiny: planner.Scenario) -> None:
    sc = tiny.model_copy(
        update={
            "periods": (Period(year=2030), Period(year=2025), Period(year=2027)),
            "discount_rate": 0.05,
        }
    )
    ps = period_list(sc)
    assert [(p.year, p.years) for p in ps] == [(2025, 2.0), (2027, 3.0), (2030, 3.0)]
    assert ps[2].discount == pytest.approx(1.05**-5)
    assert [(p.year, p.years) for p in period_list(tiny)] == [(tiny.year, 1.0)]
    doc = doc_of(tiny)
    doc["periods"] = [{"year": 2025}, {"year": 2027}]
    doc["demand_growth"] = [
        {"rate": 0.1},
        {"class": "training", "rate": 0.2},
        {"region": "east", "rate": 0.3},
        {"class": "training", "region": "east", "rate": 0.4},
    ]
    doc["demand"].append(
        {"class": "inference", "region": "east", "pflops": 7, "year": 2027, "profile": "users"}
    )
    g = planner.Scenario.model_validate(doc)
    assert growth_rate(g, "training", "east") == 0.4
    assert growth_rate(g, "training", "west") == 0.2
    assert growth_rate(g, "inference", "east") == 0.3
    assert growth_rate(g, "inference", "west") == 0.1
    d27 = {(d.job_class, d.region): d.pflops for d in period_demand(g, 2027, 2025)}
    assert d27[("training", "east")] == pytest.approx(4 * 1.4**2)
    assert d27[("inference", "east")] == 7  # given directly for 2027: wins over the grown base
    d25 = {(d.job_class, d.region): d.pflops for d in period_demand(g, 2025, 2025)}
    assert d25 == {("inference", "east"): 2, ("training", "east"): 4}


def test_build_set_follows_availability(tp: planner.Scenario) -> None:
    md = prepare_periods(tp)
    assert set(md.BUILD) == {("site_e", "gen1", 2025), ("site_e", "gen2", 2027)}
    assert md.existing["site_e", "gen1", 2025] == 1 and md.existing["site_e", "gen1", 2027] == 0


BAD = """
name: bad_periods
periods:
  - {year: 2025}
  - {year: 2025}
  - {year: 2030}
time_slices: [{name: all, weight: 8760}]
regions: [{name: east}]
sites: [{name: s1, region: east, pue: 1.1, price_mwh: 100, grid_tco2_mwh: 0.5, max_it_mw: 10}]
hardware: [{name: acc, pflops: 1, kw: 10, capex: 1000}]
job_classes: [{name: inference, unserved_cost: 100}]
demand:
  - {class: inference, region: east, pflops: 1, year: 2026}
  - {class: inference, region: east, pflops: 2, year: 2030}
demand_growth:
  - {class: inferense, rate: 0.3}
"""


def test_bad_periods_reported_together(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(BAD)
    with pytest.raises(ScenarioError) as info:
        planner.load_scenario(f)
    msg = str(info.value)
    assert "periods › row 2 › year: duplicate period 2025" in msg
    assert "demand › row 1 › year: 2026 is not a period" in msg
    assert (
        "demand_growth › row 1 › class: unknown job class 'inferense' — did you mean 'inference'?"
        in msg
    )
    assert "has demand for 2026, 2030 but not for 2025" in msg
    proc = subprocess.run(
        [sys.executable, "-m", "planner.cli", "validate", str(f)], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout


def test_demand_year_needs_periods(tmp_path: Path) -> None:
    f = tmp_path / "noperiods.yaml"
    f.write_text(
        BAD.replace("periods:\n  - {year: 2025}\n  - {year: 2025}\n  - {year: 2030}\n", "")
    )
    with pytest.raises(ScenarioError) as info:
        planner.load_scenario(f)
    assert "demand for 2026 needs a periods table listing 2026" in str(info.value)
    assert "demand growth needs a periods table" in str(info.value)


def test_report_shows_periods(plan: planner.Results, tmp_path: Path) -> None:
    out = planner.write_excel(plan, tmp_path / "tp.xlsx")
    wb = openpyxl.load_workbook(out)
    # the map of each period follows the Summary (planner.report.more_sheets), then the schedules
    maps = ["Map"] if available() else []
    assert wb.sheetnames[: 4 + len(maps)] == [
        "Summary",
        *maps,
        "Periods",
        "Build schedule",
        "Link schedule",
    ]
    if maps:
        assert len(wb["Map"]._images) == 2  # 2025 and 2027
    assert {"Price of compute"} <= set(wb.sheetnames)
    assert len(wb["Build schedule"]._charts) == 1 and len(wb["Periods"]._charts) == 1
    summary = pd.read_excel(out, sheet_name="Summary", header=None)
    assert summary.astype(str).apply(lambda c: c.str.contains("perfect foresight")).any().any()
    periods = pd.read_excel(out, sheet_name="Periods")
    assert periods["discounted cost CNY"].sum() == pytest.approx(plan.outcome.objective, rel=1e-9)
    sched = pd.read_excel(out, sheet_name="Build schedule", usecols="A:J")
    assert sched["bought modules"].sum() == 3
    costs = pd.read_excel(out, sheet_name="Costs")
    total = costs.loc[costs["period"] == "total", "discounted CNY"]
    assert float(total.iloc[0]) == pytest.approx(plan.outcome.objective, rel=1e-9)


def test_cli_prints_each_period(tmp_path: Path) -> None:
    out = tmp_path / "tp.xlsx"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "run",
            str(TP),
            "--out",
            str(out),
            "-q",
            "--planning",
            "myopic",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "planning     myopic" in proc.stdout
    assert "2027         3 yr:" in proc.stdout and out.exists()


def test_single_period_unchanged() -> None:
    """A scenario without periods keeps its one-period results (no period column, CNY/yr costs)."""
    res = planner.run(TINY, **SOLVE)
    assert res.periods is None and "period" not in res.costs.columns
    assert res.total_cost == pytest.approx(4_061_280, rel=1e-9)


def test_one_period_analyses_refuse_periods(tp: planner.Scenario) -> None:
    from planner.studies.pareto import pareto
    from planner.studies.replan import Replanner

    with pytest.raises(ScenarioError, match="works on one period"):
        Replanner(tp)
    with pytest.raises(ScenarioError, match="works on one period"):
        pareto(tp, points=2)
    with pytest.raises(ScenarioError, match="made for one period"):
        planner.run(tp, compare=("isolated",), **SOLVE)


def test_china_variant_prepares() -> None:
    """The default scenario's periods_2025_2030 variant: growth, retirement, availability (no solve here;
    the solved plan is measured in benchmarks/periods.md)."""
    from .conftest import CHINA

    sc = planner.load_scenario(CHINA, variants=["periods_2025_2030"])
    md = prepare_periods(sc)
    assert md.years == [2025, 2027, 2029]
    assert [p.years for p in md.periods] == [2, 2, 2]
    assert md.periods[2].discount == pytest.approx(1.06**-4)
    base = sum(d.pflops for d in planner.load_scenario(CHINA).demand)
    d29 = sum(d.pflops for d in period_demand(sc, 2029, 2025))
    assert d29 == pytest.approx(base * 1.4**4)
    bought = {(h, y) for (_s, h, y) in md.BUILD}
    assert ("ascend910b_pod", 2025) in bought and ("ascend910b_pod", 2027) not in bought
    assert ("ascend910c_pod", 2029) in bought and not any(h == "ascend910_pod" for h, _ in bought)
    assert md.existing["Pengcheng_CloudBrain", "ascend910_pod", 2025] == 64
    assert md.existing["Pengcheng_CloudBrain", "ascend910_pod", 2027] == 0  # retired from 2026
    assert md.existing["Beijing_AICC", "ascend910b_pod", 2027] == 73
    assert md.existing["Beijing_AICC", "ascend910b_pod", 2029] == 0  # retired from 2029
    # the retired brownfield sites stay existing sites (no open cost)
    assert md.data[2029].existing_open["Pengcheng_CloudBrain"]


def test_infeasible_periods_are_explained(tp: planner.Scenario) -> None:
    """Serving all demand is hard and 2027's 4.5 PFLOPS cannot fit a 0.2 MW envelope: 2027 is named."""
    sc = tweak(tweak(tp, "sites", "site_e", max_it_mw=0.2), "policy", allow_unserved=False)
    with pytest.raises(planner.InfeasibleError) as info:
        planner.run(sc, **SOLVE)
    msg = str(info.value)
    assert "has no feasible plan over its periods" in msg
    assert "period 2027" in msg and "period 2025" not in msg


def test_summary_carries_the_installed_chart(plan: planner.Results, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(planner.write_excel(plan, tmp_path / "tp.xlsx", lang="zh"))
    assert len(wb.worksheets[0]._charts) == 1
    assert "建设计划" in wb.sheetnames and "规划期" in wb.sheetnames


def test_periods_round_trip_through_a_workbook(
    tp: planner.Scenario, plan: planner.Results, tmp_path: Path
) -> None:
    """Periods, demand growth and retire years survive the input workbook: the same optimum."""
    from planner.workbook import write_template

    wb = write_template(tmp_path / "tp.xlsx", tp)
    back = planner.load_scenario(wb)
    assert [p.year for p in back.periods] == [2025, 2027] and back.demand_growth[0].rate == 0.5
    assert back.existing_modules[0].retire_year == 2027
    assert planner.run(back, **SOLVE).outcome.objective == pytest.approx(
        plan.outcome.objective, rel=1e-9
    )


def test_summary_shows_each_period_terms(plan: planner.Results, tmp_path: Path) -> None:
    """The Summary lists each period's cost terms and the discounted total, which is the objective."""
    out = planner.write_excel(plan, tmp_path / "tp.xlsx")
    ws = openpyxl.load_workbook(out)["Summary"]
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "Cost by period")
    header = rows[start + 1]
    assert header[:4] == ("term", "2025 CNY/yr", "2027 CNY/yr", "discounted CNY")
    body = {r[0]: r for r in rows[start + 2 :] if r[0]}
    from planner.report.i18n import term

    assert body[term("capex_hardware", "en")][1] == pytest.approx(500_000 / 3)
    assert body["total"][3] == pytest.approx(plan.outcome.objective, rel=1e-9)


def test_myopic_without_periods_warns(
    tiny: planner.Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING"):
        res = planner.run(tiny.model_copy(update={"planning": "myopic"}), **SOLVE)
    assert "has no effect" in caplog.text and res.periods is None
