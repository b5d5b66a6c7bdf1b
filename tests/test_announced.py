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
