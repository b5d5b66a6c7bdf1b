"""Demand futures (docs/model.md §10, "Demand futures"): hand-worked optima, VSS and EVPI, risk measures.

The tiny_futures scenario (scenarios/tiny_futures): one site, modules of 1 PFLOPS at
a = 500,000 / 5 = 100,000 CNY/yr each, no energy cost; demand d = 1 PFLOPS (future low) or
3 PFLOPS (future high), probability 1/2 each; unserved work costs 20 CNY/PFLOPS·h, so one
PFLOPS left undone all year costs U = 20 × 8760 = 175,200 CNY/yr. With n modules, future f costs
``a n + U max(0, d_f − n)``.

By hand:

- **Stochastic plan (expected cost).** ``E(n) = a n + U/2 × (max(0, 1 − n) + max(0, 3 − n))``:
  E(0) = 350,400, E(1) = 100,000 + 175,200 = 275,200, E(2) = 200,000 + 87,600 = 287,600,
  E(3) = 300,000. Optimum n = 1, RP = 275,200 (a second module is used only in future high,
  half the time: it saves U/2 = 87,600 < a). Costs: low 100,000, high 100,000 + 2U = 450,400.
- **Expected-demand plan.** d̄ = 2: n = 2 costs 200,000 (n = 1: 275,200; n = 3: 300,000). On every
  future: low 200,000, high 200,000 + U = 375,200, EEV = 287,600. **VSS = 287,600 − 275,200 = 12,400.**
- **Perfect information.** Low alone: n = 1, 100,000; high alone: n = 3, 300,000 (n = 2: 375,200).
  WS = 200,000; **EVPI = 275,200 − 200,000 = 75,200.**
- **CVaR at α = 1/2** (the worst half of probability is future high): min over n of cost_high(n)
  while cost_high ≥ cost_low: n = 3, both futures 300,000 (n = 2: 375,200), CVaR = 300,000.
  Idle in future low: 2 PFLOPS × 8760 h = 17,520 PFLOPS·h, utilisation 1/3.
- **Minimax regret.** Regrets (low, high): n = 1 (0, 150,400), n = 2 (100,000, 75,200),
  n = 3 (200,000, 0): n = 2, largest regret 100,000.

With two periods (2025 and 2026, a year each) and demand growing 200%/yr in future high only
(1 PFLOPS in 2025 in both futures; 1 or 3 in 2026), the first year buys one module in every
plan (100,000) and 2026 repeats the one-period case: RP = 375,200, EEV = 387,600, VSS = 12,400,
WS = 300,000, EVPI = 75,200.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import planner
from planner.horizon.futures import expected_scenario, future_scenario, prepare_futures
from planner.report.sheets import load_by_class
from planner.scenario.schema import Scenario

from .conftest import ROOT, SOLVE, doc_of

TF = ROOT / "scenarios" / "tiny_futures"
A, U = 100_000.0, 20 * 8760.0


@pytest.fixture(scope="module")
def tf() -> Scenario:
    return planner.load_scenario(TF)


def with_risk(sc: Scenario, **risk: object) -> Scenario:
    doc = doc_of(sc)
    doc["risk"] = {**doc["risk"], **risk}
    return Scenario.model_validate(doc)


@pytest.fixture(scope="module")
def plan(tf: Scenario) -> planner.Results:
    return planner.run(tf, **SOLVE)


def test_stochastic_optimum_by_hand(plan: planner.Results) -> None:
    assert plan.outcome.objective == pytest.approx(A + U, rel=1e-6)  # 275,200
    assert float(plan.kpi("PFLOPS installed")) == 1.0
    assert plan.extras["future cost"] == pytest.approx({"low": A, "high": A + 2 * U})
    # the cost table: each future's terms, their probability-weighted sum is the expected cost
    assert plan.total_cost == pytest.approx(A + U)
    assert plan.costs["expected CNY/yr"].sum() == pytest.approx(plan.outcome.objective)
    by_f = plan.costs.groupby("future")["CNY/yr"].sum()
    assert by_f["low"] == pytest.approx(A) and by_f["high"] == pytest.approx(A + 2 * U)


def test_report_summary_costs_are_the_expected_ones(plan: planner.Results) -> None:
    """The report's Summary (dust removed) keeps the expected cost: total A + U, unserved U.

    The low future's unserved cost is 0 (dust) and the high one's 2U: the expected term is U,
    and the total is the objective, not the sum of the futures' costs (2A + 2U).
    """
    from planner.report.present import present

    kpi = present(plan).summary.set_index("kpi")["value"]
    assert kpi["total cost"] == pytest.approx(A + U)
    assert kpi["total cost"] == pytest.approx(plan.outcome.objective)
    assert kpi["cost: unserved_cost"] == pytest.approx(U)
    assert kpi["cost: capex_hardware"] == pytest.approx(A)


def test_value_of_information_by_hand(plan: planner.Results) -> None:
    x = plan.extras
    assert x["RP"] == pytest.approx(275_200)
    assert x["EEV"] == pytest.approx(287_600)
    assert x["VSS"] == pytest.approx(12_400)
    assert x["WS"] == pytest.approx(200_000)
    assert x["EVPI"] == pytest.approx(75_200)
    assert x["expected-demand plan cost"] == pytest.approx({"low": 2 * A, "high": 2 * A + U})
    vi = plan.extra_tables["Value of information"].set_index("quantity")["value"]
    assert vi["VSS: value of the stochastic solution"] == pytest.approx(12_400)
    assert vi["PFLOPS installed, expected-demand plan"] == 2.0


def test_per_future_operation(plan: planner.Results) -> None:
    fut = plan.extra_tables["Futures"].set_index("future")
    assert fut.loc["high", "unserved PFLOPS·h/yr"] == pytest.approx(2 * 8760)
    assert fut.loc["high", "unserved share"] == pytest.approx(2 / 3)
    assert fut.loc["low", "idle PFLOPS·h/yr"] == pytest.approx(0.0, abs=1e-6)
    assert fut.loc["high", "regret CNY/yr"] == pytest.approx(A + 2 * U - 3 * A)
    assert float(plan.kpi("unserved demand")) == pytest.approx(0.5 * 2 * 8760)
    # plan tables carry the future
    assert set(plan.sites["future"]) == {"low", "high"}
    assert set(plan.unserved["future"]) == {"high"}


def test_cvar_by_hand(tf: Scenario) -> None:
    res = planner.run(with_risk(tf, measure="cvar", level=0.5), **SOLVE)
    assert res.outcome.objective == pytest.approx(3 * A)
    assert float(res.kpi("PFLOPS installed")) == 3.0
    assert float(res.kpi("CVaR")) == pytest.approx(3 * A)
    fut = res.extra_tables["Futures"].set_index("future")
    assert fut.loc["low", "idle PFLOPS·h/yr"] == pytest.approx(2 * 8760)
    assert fut.loc["low", "average utilisation"] == pytest.approx(1 / 3)
    idle = res.extra_tables["Idle compute"].set_index("site")
    assert idle.loc["site_e", "expected idle PFLOPS·h/yr"] == pytest.approx(0.5 * 2 * 8760)
    # the expected-demand plan (2 modules) has CVaR = its cost in future high
    assert res.extras["VSS"] == pytest.approx(2 * A + U - 3 * A)
    # the load chart's data: per future, the class's load and the idle PFLOPS on top (3 in all)
    by_slice = load_by_class(res.profiles)
    assert list(by_slice.index) == ["low all", "high all"]
    assert by_slice.loc["low all"].to_dict() == pytest.approx({"inference": 1.0, "idle": 2.0})
    assert by_slice.loc["high all"].to_dict() == pytest.approx({"inference": 3.0, "idle": 0.0})


def test_cvar_weight_zero_is_expected(tf: Scenario) -> None:
    res = planner.run(
        with_risk(tf, measure="cvar", level=0.5, weight=0.0, value_of_information=False), **SOLVE
    )
    assert res.outcome.objective == pytest.approx(A + U)


def test_minimax_regret_by_hand(tf: Scenario) -> None:
    res = planner.run(with_risk(tf, measure="regret"), **SOLVE)
    assert res.outcome.objective == pytest.approx(A)  # 100,000
    assert float(res.kpi("PFLOPS installed")) == 2.0
    assert res.extras["cost planned alone"] == pytest.approx({"low": A, "high": 3 * A})


def test_futures_with_periods_by_hand(tf: Scenario) -> None:
    doc = doc_of(tf)
    doc["periods"] = [{"year": 2025, "years": 1}, {"year": 2026, "years": 1}]
    doc["futures"] = [{"name": "low", "probability": 0.5}, {"name": "high", "probability": 0.5}]
    doc["future_demand"] = [{"future": "high", "rate": 2.0}]
    res = planner.run(Scenario.model_validate(doc), **SOLVE)
    x = res.extras
    assert x["RP"] == pytest.approx(A + A + U)
    assert x["EEV"] == pytest.approx(A + 2 * A + 0.5 * U)
    assert x["VSS"] == pytest.approx(12_400)
    assert x["WS"] == pytest.approx(300_000)
    assert x["EVPI"] == pytest.approx(75_200)
    fut = res.extra_tables["Futures"]
    high26 = fut[(fut["future"] == "high") & (fut["period"] == 2026)].iloc[0]
    assert high26["unserved PFLOPS·h/yr"] == pytest.approx(2 * 8760)
    assert res.total_cost == pytest.approx(A + A + U)


def test_future_scenario_rules(tf: Scenario) -> None:
    doc = doc_of(tf)
    doc["job_classes"].append({"name": "training", "unserved_cost": 5})
    doc["regions"].append({"name": "west", "lat": 37.5, "lon": 105.2})
    doc["demand"] += [
        {"class": "inference", "region": "west", "pflops": 2},
        {"class": "training", "region": "east", "pflops": 4},
    ]
    doc["futures"] = [
        {"name": "a", "probability": 0.25, "scale": 2.0},
        {"name": "b", "probability": 0.75},
    ]
    doc["profiles"] = {"half": {"all": 0.5}}
    doc["future_demand"] = [
        {"future": "a", "region": "west", "factor": 3.0},
        {
            "future": "a",
            "class": "inference",
            "region": "west",
            "factor": 0.5,
        },  # more specific: wins for (inference, west)
        {
            "future": "b",
            "class": "training",
            "region": "west",
            "pflops": 6,
            "profile": "half",
        },  # a new row
        {
            "future": "b",
            "class": "training",
            "region": "east",
            "pflops": 1,
        },  # replaces the scenario's row
    ]
    sc = Scenario.model_validate(doc)
    a = {(d.job_class, d.region): d.pflops for d in future_scenario(sc, "a").demand}
    assert a == {
        ("inference", "east"): 2.0,
        ("inference", "west"): 2 * 2 * 0.5,
        ("training", "east"): 8.0,
    }
    b = {(d.job_class, d.region): d.pflops for d in future_scenario(sc, "b").demand}
    assert b == {
        ("inference", "east"): 1.0,
        ("inference", "west"): 2.0,
        ("training", "east"): 1.0,
        ("training", "west"): 6.0,
    }
    ev = expected_scenario(sc)
    rows = {(d.job_class, d.region): d for d in ev.demand}
    assert rows["inference", "east"].pflops == pytest.approx(0.25 * 2 + 0.75 * 1)
    assert rows["training", "east"].pflops == pytest.approx(0.25 * 8 + 0.75 * 1)
    # (training, west) is in future b only, with its own profile: 0.75 × 6 × 0.5 per slice
    tw = rows["training", "west"]
    assert tw.profile == "half" and tw.pflops == pytest.approx(0.75 * 6)
    # module bounds shared: the largest of the futures'
    fd = prepare_futures(sc)
    assert fd.data["a"].module_bound == fd.data["b"].module_bound


def test_expected_scenario_mixes_profiles(tf: Scenario) -> None:
    doc = doc_of(tf)
    doc["time_slices"] = [
        {"name": "d", "weight": 4380, "day": "d1"},
        {"name": "n", "weight": 4380, "day": "d1"},
    ]
    doc["profiles"] = {"peak": {"d": 1.5, "n": 0.5}}
    doc["future_demand"] = [
        {"future": "high", "class": "inference", "region": "east", "pflops": 2, "profile": "peak"}
    ]
    ev = expected_scenario(Scenario.model_validate(doc))
    (row,) = ev.demand
    assert row.pflops == 1.0
    assert ev.profiles[row.profile] == pytest.approx(
        {"d": 0.5 * 1 + 0.5 * 3, "n": 0.5 * 1 + 0.5 * 1}
    )


def test_futures_report_en_zh(plan: planner.Results, tmp_path: Path) -> None:
    for lang in ("en", "zh"):
        out = tmp_path / f"f_{lang}.xlsx"
        planner.write_excel(plan, out, lang=lang)
        wb = openpyxl.load_workbook(out, read_only=True)
        names = wb.sheetnames
        wb.close()
        want = (
            ("Futures", "Value of information", "Idle compute")
            if lang == "en"
            else ("需求情景", "信息价值", "闲置算力")
        )
        for sheet in want:
            assert sheet in names, names
    df = pd.read_excel(tmp_path / "f_en.xlsx", sheet_name="Futures")
    assert list(df["future"]) == ["low", "high"]
    assert df["cost CNY/yr"].tolist() == pytest.approx([A, A + 2 * U])


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_bad_futures_are_clear_errors(tmp_path: Path) -> None:
    text = (TF / "scenario.yaml").read_text()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "scenario.yaml").write_text(
        text.replace("probability: 0.5, scale: 3.0", "probability: 0.6, scale: 3.0")
        + "future_demand:\n  - {future: hihg, factor: 2}\n"
    )
    r = run_cli("validate", str(bad))
    assert r.returncode == 1
    assert "probabilities must sum to 1 (got 1.1)" in r.stderr + r.stdout
    assert (
        "future_demand › row 1 › future" in r.stderr + r.stdout
        and "unknown future 'hihg'" in r.stderr + r.stdout
    )
    assert "Traceback" not in r.stderr


def test_options_and_comparison(tf: Scenario) -> None:
    res = planner.run(with_risk(tf, perfect_information=False), compare=("isolated",), **SOLVE)
    assert (
        "VSS" in res.extras
        and "EVPI" not in res.extras
        and "cost planned alone CNY/yr" not in res.extra_tables["Futures"]
    )
    # one region: the isolated plan is the networked one, over the same futures
    t = res.comparison.set_index("metric")
    assert (
        t.loc["total cost", "isolated"]
        == pytest.approx(t.loc["total cost", "networked"])
        == pytest.approx(A + U)
    )


def test_pareto_and_replanner_plan_the_scenario_demand(
    tf: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    from planner.horizon.futures import without_futures

    with caplog.at_level("WARNING"):
        plain = without_futures(tf, "a Pareto frontier")
    assert not plain.futures and "not used" in caplog.text
