"""Balances, the price of compute and the map of plans over futures and periods (planner.horizon.stack).

By hand (tests/test_futures.py, tests/test_periods.py give the plans):

- tiny_futures, expected cost: one module; future high (demand 3 PFLOPS, probability 1/2) leaves
  2 PFLOPS unserved at 20 CNY/PFLOPS·h, so one more PFLOPS·h of demand in it costs **20 CNY**.
  The stochastic LP's dual of that row is π_high × 20 = 10: the block's duals divided by
  ω_high = 1/2 give the price in that future.
- tiny_periods (i = 0): in 2027 the 2025 gen-1 module carries 0.5 of its 1 PFLOPS, so one more
  PFLOPS·h costs its energy, 0.1 MWh × 100 CNY = **10 CNY** (the LP's dual: w_2027 × 10 = 30).
- With CVaR or regret the weights ω_f = (1 − w) π_f + w |λ_f| sum to 1 (the LP's optimality
  condition for η, or for R, is Σ_f λ_f = w).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import planner
from planner.horizon.futures import prepare_futures
from planner.horizon.stack import future_weights
from planner.model.futures import build_futures_model
from planner.report.map import available
from planner.solve import solve

from .conftest import ROOT, SOLVE

TF = ROOT / "scenarios" / "tiny_futures"
TP = ROOT / "scenarios" / "tiny_periods"


def _with_hub(sc: planner.Scenario) -> planner.Scenario:
    """The scenario with its regions tagged as hub 'east' (so that it has hub balances)."""
    regions = [r.model_copy(update={"tags": [*r.tags, "hub:east"]}) for r in sc.regions]
    return sc.model_copy(update={"regions": regions})


@pytest.fixture(scope="module")
def futures_plan() -> planner.Results:
    return planner.run(_with_hub(planner.load_scenario(TF)), **SOLVE)


def _demand_price(res: planner.Results, **key: object) -> float:
    dem = res.prices["demand"]
    for k, v in key.items():
        dem = dem[dem[k] == v]
    assert len(dem) == 1, dem
    return float(dem["marginal CNY/PFLOPS·h"].iloc[0])


def test_futures_prices_are_per_future(futures_plan):
    res = futures_plan
    assert res.outcome.status == "optimal"
    assert set(res.prices["demand"]["future"]) == {"low", "high"}
    assert _demand_price(res, future="high") == pytest.approx(20.0, rel=1e-6)
    reg = res.prices["region"]
    assert list(reg.columns[:2]) == ["future", "region"]
    high = reg[reg["future"] == "high"].iloc[0]
    assert high["marginal CNY/PFLOPS·h (demand-weighted)"] == pytest.approx(20.0, rel=1e-6)


def test_futures_balances_per_future(futures_plan):
    hub = futures_plan.balances["hub"]
    assert list(hub["future"]) == ["low", "high"]
    by = hub.set_index("future")
    # demand 1 and 3 PFLOPS all year; one module serves 1 PFLOPS in both futures
    assert by.loc["low", "demand PFLOPS·h/yr"] == pytest.approx(8760.0)
    assert by.loc["high", "demand PFLOPS·h/yr"] == pytest.approx(3 * 8760.0)
    assert by.loc["high", "unserved PFLOPS·h/yr"] == pytest.approx(2 * 8760.0, rel=1e-6)
    assert by.loc["high", "served PFLOPS·h/yr"] == pytest.approx(8760.0, rel=1e-6)
    assert by.loc["low", "PFLOPS"] == by.loc["high", "PFLOPS"] == pytest.approx(1.0)


def test_futures_report_has_balances_prices_and_a_map_per_future(futures_plan, tmp_path: Path):
    out = tmp_path / "report.xlsx"
    planner.write_excel(futures_plan, out)
    wb = openpyxl.load_workbook(out)
    assert {"Hub balance", "Price of compute"} <= set(wb.sheetnames)
    prices = wb["Price of compute"]
    labels = [c.value for c in prices["A"] if isinstance(c.value, str)]
    assert "future: low" in labels and "future: high" in labels
    assert len(prices._charts) == 2  # one region chart per future
    hub = wb["Hub balance"]
    assert len(hub._charts) == 2  # where each hub's work runs, per future
    if available():
        assert len(wb["Map"]._images) == 2


def test_risk_weights_sum_to_one():
    for risk in ({"measure": "cvar", "level": 0.5, "weight": 1.0}, {"measure": "regret"}):
        sc = planner.load_scenario(TF)
        sc = sc.model_copy(update={"risk": sc.risk.model_copy(update=risk)})
        fd = prepare_futures(sc)
        best = {"low": 100_000.0, "high": 300_000.0} if risk["measure"] == "regret" else None
        m = build_futures_model(
            fd, measure=sc.risk.measure, level=sc.risk.level, weight=sc.risk.weight, best=best
        )
        out = solve(m, duals=True, **SOLVE)
        assert out.status == "optimal"
        omega = future_weights(m, out.duals)
        assert sum(omega.values()) == pytest.approx(1.0, abs=1e-6), (risk, omega)
        assert all(w >= -1e-9 for w in omega.values())


def test_periods_prices_are_per_year_of_their_period():
    res = planner.run(_with_hub(planner.load_scenario(TP)), **SOLVE)
    assert res.outcome.status == "optimal"
    assert _demand_price(res, period=2027) == pytest.approx(10.0, rel=1e-6)
    assert set(res.balances["hub"]["period"]) == {2025, 2027}
    assert "period" in res.prices["region"].columns
