"""Announced capacity against the coordinated network (docs/model.md §10, "Announced baseline").

On tiny_futures (modules of 1 PFLOPS at 100,000 CNY/yr, capex 500,000; demand 1 or 3 PFLOPS
with probability 1/2; unserved work 175,200 CNY per PFLOPS-year) with 2.5 PFLOPS announced at
the one site: the baseline holds ⌈2.5⌉ = 3 modules, which serve every future. By hand:

- baseline cost 3 × 100,000 = 300,000 in both futures; the coordinated plan (1 module) expects
  275,200: the announced plan costs 24,800 CNY/yr more (and leaves nothing unserved);
- packed per slice, module 1 works all year in both futures (u = 1), modules 2 and 3 only in
  future high (u = 1/2); with ``stranded_below: 0.6`` both are stranded: 2 × 500,000 =
  1,000,000 CNY of stranded capital; expected idle 1/2 × 2 PFLOPS = 1 PFLOPS on average;
- with ``top_up`` and 0.5 PFLOPS announced (one module, a floor) the plan is the coordinated one.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import planner
from planner.scenario.schema import Scenario

from .conftest import ROOT, SOLVE, doc_of

TF = ROOT / "scenarios" / "tiny_futures"


def announced(pflops: float, **baseline: object) -> Scenario:
    doc = doc_of(planner.load_scenario(TF))
    doc["announced"] = [
        {"site": "site_e", "hardware": "acc", "pflops": pflops, "source": "test"},
        {
            "site": "site_e",
            "hardware": "acc",
            "modules": 4,
            "year": 2030,
            "source": "later: not in the 2025 baseline",
        },
    ]
    doc["baseline"] = {"stranded_below": 0.6, **baseline}
    doc["risk"] = {"value_of_information": False, "perfect_information": False}
    return Scenario.model_validate(doc)


@pytest.fixture(scope="module")
def plan() -> planner.Results:
    return planner.run(announced(2.5), **SOLVE)


def test_announced_baseline_by_hand(plan: planner.Results) -> None:
    t = plan.extra_tables["Announced vs coordinated"].set_index("quantity")
    assert t.loc["expected cost", "coordinated"] == pytest.approx(275_200)
    assert t.loc["expected cost", "announced"] == pytest.approx(300_000)
    assert t.loc["expected cost", "difference (announced − coordinated)"] == pytest.approx(24_800)
    assert t.loc["PFLOPS installed", "announced"] == 3.0
    assert t.loc["stranded modules", "announced"] == 2
    assert t.loc["stranded capital CNY", "announced"] == pytest.approx(1_000_000)
    assert t.loc["idle PFLOPS (average)", "announced"] == pytest.approx(1.0)
    assert t.loc["unserved share", "announced"] == pytest.approx(0.0, abs=1e-9)
    assert float(plan.kpi("announced baseline: extra cost")) == pytest.approx(24_800)


def test_totals_reconcile_with_site_tables(plan: planner.Results) -> None:
    t = plan.extra_tables["Announced vs coordinated"].set_index("quantity")
    for level in ("site", "region", "hub"):
        by = plan.extra_tables[f"Announced by {level}"]
        for label in ("coordinated", "announced"):
            assert by[f"idle PFLOPS (average) {label}"].sum() == pytest.approx(
                t.loc["idle PFLOPS (average)", label]
            )
            assert by[f"stranded capital CNY {label}"].sum() == pytest.approx(
                t.loc["stranded capital CNY", label]
            )
    # and with the baseline's own per-future tables: idle = capacity − served, weighted by probability
    base = plan.extras["announced baseline"]
    fut = base.extra_tables["Futures"]
    assert (fut["probability"] * fut["idle PFLOPS·h/yr"]).sum() / 8760 == pytest.approx(
        t.loc["idle PFLOPS (average)", "announced"]
    )


def test_threshold_moves_stranded_capital() -> None:
    res = planner.run(announced(2.5, stranded_below=0.3), **SOLVE)
    t = res.extra_tables["Announced vs coordinated"].set_index("quantity")
    assert t.loc["stranded capital CNY", "announced"] == 0.0  # u = 1/2 ≥ 0.3


def test_top_up_floor_is_the_coordinated_plan() -> None:
    res = planner.run(announced(0.5, top_up=True), **SOLVE)
    t = res.extra_tables["Announced vs coordinated"].set_index("quantity")
    assert t.loc["expected cost", "difference (announced − coordinated)"] == pytest.approx(
        0.0, abs=1e-6
    )


def test_announced_report_sheets(plan: planner.Results, tmp_path: Path) -> None:
    for lang, names in (
        ("en", ("Announced vs coordinated", "Announced by site", "Announced by hub")),
        ("zh", ("公布产能与统筹规划", "公布产能·按站点", "公布产能·按枢纽")),
    ):
        out = tmp_path / f"a_{lang}.xlsx"
        planner.write_excel(plan, out, lang=lang)
        wb = openpyxl.load_workbook(out, read_only=True)
        sheets = wb.sheetnames
        wb.close()
        for n in names:
            assert n in sheets, sheets


def test_announced_over_envelope_is_an_input_error(tmp_path: Path) -> None:
    doc = doc_of(announced(2.5))
    doc["hardware"][0]["kw"] = 5000  # 3 modules × 5 MW > 10 MW
    doc["announced"] = doc["announced"][:1]
    with pytest.raises(
        planner.ScenarioError, match="announced and existing modules draw 15 MW, above max_it_mw 10"
    ):
        from planner.scenario.load import load_scenario

        p = tmp_path / "s.yaml"
        import yaml

        p.write_text(yaml.safe_dump(doc, allow_unicode=True))
        load_scenario(p)


@pytest.mark.slow
def test_china_baseline_reconciles() -> None:
    """On the default scenario (three futures, announced pods as a floor): the totals are the sums of
    the per-site, per-region and per-hub tables, and the per-site idle PFLOPS are capacity − served."""
    from .conftest import CHINA

    sc = planner.load_scenario(CHINA, sets=["risk.value_of_information=false"])
    res = planner.run(sc, time_limit=300, mip_gap=0.01)
    t = res.extra_tables["Announced vs coordinated"].set_index("quantity")
    by_site = res.extra_tables["Announced by site"]
    for label in ("coordinated", "announced"):
        for level in ("site", "region", "hub"):
            by = res.extra_tables[f"Announced by {level}"]
            assert by[f"idle PFLOPS (average) {label}"].sum() == pytest.approx(
                t.loc["idle PFLOPS (average)", label], rel=1e-9
            )
            assert by[f"stranded capital CNY {label}"].sum() == pytest.approx(
                t.loc["stranded capital CNY", label], rel=1e-9
            )
        assert by_site[f"PFLOPS {label}"].sum() == pytest.approx(
            t.loc["PFLOPS installed", label], rel=1e-9
        )
    # the coordinated plan's per-site idle compute is the Idle compute sheet's, which is capacity − expected served
    idle = res.extra_tables["Idle compute"].set_index("site")
    coord = by_site.set_index("site")["idle PFLOPS (average) coordinated"]
    for s, v in coord.items():
        want = idle.loc[s, "expected idle PFLOPS·h/yr"] / 8760 if s in idle.index else 0.0
        assert v == pytest.approx(want, abs=1e-6)
    # the announced floor holds: at least the announced pods at every announced site
    ann = by_site.set_index("site")["PFLOPS announced"]
    assert ann["Zhangjiakou_cluster"] >= 10_200 - 1e-6 and ann["Zhongwei_cluster"] >= 5_200 - 1e-6
    assert (
        t.loc["stranded capital CNY", "announced"] >= 0
        and t.loc["expected cost", "difference (announced − coordinated)"]
        >= -0.02 * t.loc["expected cost", "coordinated"]
    )


def periods_case(top_up: bool = False) -> Scenario:
    """Two periods (2025 and 2027, two years each, no discounting), one slice, sites A and B (no open
    cost), modules of 1 PFLOPS with capex 400,000 over 2 years (200,000 CNY/yr: a module bought
    in 2025 serves 2025–2026 only), demand 1 PFLOPS in 2025 and 2 in 2027, unserved work at 100
    CNY/PFLOPS·h (876,000 per PFLOPS-year). Announced: 3 modules at A in 2025, 1 at B in 2028.

    Coordinated: 1 module in 2025, 2 in 2027: 2 × 200,000 + 2 × 400,000 = 1,200,000; nothing idle.
    Announced: A's 3 modules in 2025 (2 idle: packed, modules 2 and 3 never work, stranded: 800,000
    CNY); B's module bought in 2027 (the period containing 2028) and A's retired, so 1 PFLOPS of
    2027's 2 is unserved: 2 × 600,000 + 2 × (200,000 + 876,000) = 3,352,000, 2,152,000 more.
    """
    doc = {
        "name": "periods_announced",
        "year": 2025,
        "discount_rate": 0.0,
        "solver": {"time_limit": 60, "mip_gap": 1e-6},
        "periods": [{"year": 2025, "years": 2}, {"year": 2027, "years": 2}],
        "time_slices": [{"name": "all", "weight": 8760, "day": "d1"}],
        "regions": [{"name": "r", "lat": 30.0, "lon": 110.0, "tags": ["hub:one"]}],
        "sites": [
            {
                "name": n,
                "region": "r",
                "pue": 1.0,
                "price_mwh": 0,
                "grid_tco2_mwh": 0.5,
                "max_it_mw": 10,
            }
            for n in ("A", "B")
        ],
        "hardware": [{"name": "acc", "pflops": 1.0, "kw": 0, "capex": 400000, "life_years": 2}],
        "job_classes": [{"name": "work", "unserved_cost": 100}],
        "demand": [
            {"class": "work", "region": "r", "pflops": 1.0, "year": 2025},
            {"class": "work", "region": "r", "pflops": 2.0, "year": 2027},
        ],
        "announced": [
            {"site": "A", "hardware": "acc", "modules": 3, "year": 2025, "source": "test"},
            {"site": "B", "hardware": "acc", "modules": 1, "year": 2028, "source": "test"},
        ],
        "baseline": {"top_up": top_up},
    }
    return Scenario.model_validate(doc)


def test_announced_baseline_over_periods_by_hand() -> None:
    res = planner.run(periods_case(), **SOLVE)
    t = res.extra_tables["Announced vs coordinated"]
    row = {(str(r["period"]), r["quantity"]): r for r in t.to_dict("records")}
    total = row["all", "expected cost (all periods, discounted)"]
    assert total["coordinated"] == pytest.approx(1_200_000)
    assert total["announced"] == pytest.approx(3_352_000)
    assert row["2025", "expected cost"]["announced"] == pytest.approx(600_000)
    assert row["2027", "expected cost"]["announced"] == pytest.approx(1_076_000)
    assert row["2025", "PFLOPS installed"]["announced"] == 3.0
    assert row["2027", "PFLOPS installed"]["announced"] == 1.0
    assert row["2025", "idle PFLOPS (average)"]["announced"] == pytest.approx(2.0)
    assert row["2027", "idle PFLOPS (average)"]["announced"] == pytest.approx(0.0, abs=1e-6)
    assert row["2025", "stranded capital CNY"]["announced"] == pytest.approx(800_000)
    assert row["2027", "stranded capital CNY"]["announced"] == pytest.approx(0.0)
    assert row["2027", "unserved share"]["announced"] == pytest.approx(0.5)
    for y in ("2025", "2027"):
        assert row[y, "idle PFLOPS (average)"]["coordinated"] == pytest.approx(0.0, abs=1e-6)
        assert row[y, "stranded capital CNY"]["coordinated"] == pytest.approx(0.0)
    # per site, region and hub, each period: the announced 2025 plan is A's; 2027 is B's
    site = res.extra_tables["Announced by site"].set_index(["period", "site"])
    assert site.loc[(2025, "A"), "idle PFLOPS (average) announced"] == pytest.approx(2.0)
    assert site.loc[(2025, "A"), "stranded capital CNY announced"] == pytest.approx(800_000)
    assert site.loc[(2025, "B"), "PFLOPS announced"] == 0.0
    assert site.loc[(2027, "B"), "PFLOPS announced"] == 1.0
    assert site.loc[(2027, "A"), "PFLOPS announced"] == 0.0  # retired after two years
    hub = res.extra_tables["Announced by hub"].set_index(["period", "hub"])
    assert hub.loc[(2025, "one"), "stranded capital CNY announced"] == pytest.approx(800_000)
    region = res.extra_tables["Announced by region"].set_index(["period", "region"])
    assert region.loc[(2027, "r"), "idle PFLOPS (average) announced"] == pytest.approx(
        0.0, abs=1e-6
    )


def test_announced_floor_over_periods_by_hand() -> None:
    """With ``top_up`` the announced modules are a floor: 3 at A in 2025 and 1 at B from 2027, and
    the plan adds 1 module in 2027 for its second PFLOPS: 2 × 600,000 + 2 × 400,000 = 2,000,000."""
    res = planner.run(periods_case(top_up=True), **SOLVE)
    t = res.extra_tables["Announced vs coordinated"]
    total = t[t["period"] == "all"].iloc[0]
    assert total["announced"] == pytest.approx(2_000_000)
    assert total["difference (announced − coordinated)"] == pytest.approx(800_000)


def test_announced_hardware_not_buyable_in_its_period_is_an_input_error(tmp_path: Path) -> None:
    import yaml

    doc = doc_of(periods_case())
    doc["hardware"][0]["available_to"] = 2026
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True))
    with pytest.raises(planner.ScenarioError) as info:
        planner.load_scenario(p)
    assert (
        "s.yaml › announced › row 2 › year: bought in period 2027 (the period containing 2028), "
        "when 'acc' cannot be bought (available …–2026)"
    ) in str(info.value), str(info.value)


def test_announced_over_periods_on_the_command_line(tmp_path: Path) -> None:
    import yaml
    from click.testing import CliRunner

    from planner.cli import main

    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(doc_of(periods_case()), allow_unicode=True))
    out = CliRunner().invoke(main, ["run", str(p), "--out", str(tmp_path / "plan.xlsx")])
    assert out.exit_code == 0, out.output
    assert "costs 2.15 M more than the coordinated plan over the periods" in out.output
    assert "2025       2.0 more PFLOPS idle; stranded capital 0.8 M CNY more" in out.output
    sheets = openpyxl.load_workbook(tmp_path / "plan.xlsx", read_only=True).sheetnames
    assert "Announced vs coordinated" in sheets and "Announced by hub" in sheets
