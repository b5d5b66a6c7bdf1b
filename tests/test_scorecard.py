"""The policy scorecard on the tiny plan, worked out by hand (tests/test_tiny.py has the plan).

Plan: site_e (east, PUE 1.5) 3 new PFLOPS, site_w (west, PUE 1.2) 3 new PFLOPS, one link unit
(10 ms). Served: site_e 26,280 PFLOPS·h/yr (inference 17,520 + training 8,760), site_w 26,280
(training). Tags given here: site_w ``west; hub``, site_e ``east``.

- hub share of new PFLOPS: 3 / 6 = 0.5 (target 0.6: missed)
- utilisation of west: 26,280 / (8,760 × 3) = 1.0 (target 0.5: met)
- largest PUE of east sites: 1.5 (cap 1.25: missed)
- inference within 5 ms: all of it at site_e (1 ms) = 1.0, imposed by its 5 ms limit
- training within 5 ms: 8,760 / 35,040 = 0.25
- demand within 20 ms of a hub site: east reaches site_w in 10 ms over the built link = 1.0; within 5 ms: 0
- green share: 0 (no green power bought; target 0.1: missed)
- domestic share of new PFLOPS: 1.0 (acc is domestic)
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

import planner
from planner.errors import ScenarioError
from planner.scenario.schema import Scenario
from planner.scorecard import imposed

from .conftest import SOLVE, doc_of

TARGETS = [
    {
        "name": "hub_new",
        "indicator": "hub_share_new",
        "value": 0.6,
        "scope": "hub",
        "source": "test",
    },
    {"name": "west_util", "indicator": "utilisation", "value": 0.5, "scope": "west"},
    {
        "name": "east_pue",
        "indicator": "pue_max",
        "sense": "<=",
        "value": 1.25,
        "scope": "east",
        "label_zh": "东部 PUE",
    },
    {
        "name": "inf_5ms",
        "indicator": "served_within_ms",
        "value": 1.0,
        "job_class": "inference",
        "ms": 5,
    },
    {
        "name": "train_5ms",
        "indicator": "served_within_ms",
        "value": 1.0,
        "job_class": "training",
        "ms": 5,
    },
    {"name": "hub_20ms", "indicator": "coverage_within_ms", "value": 1.0, "scope": "hub", "ms": 20},
    {"name": "hub_5ms", "indicator": "coverage_within_ms", "value": 1.0, "scope": "hub", "ms": 5},
    {"name": "green", "indicator": "green_share", "value": 0.1},
    {"name": "domestic", "indicator": "domestic_share", "new_only": True},
]
EXPECTED = {  # name: (achieved, met)
    "hub_new": (0.5, False),
    "west_util": (1.0, True),
    "east_pue": (1.5, False),
    "inf_5ms": (1.0, True),
    "train_5ms": (0.25, False),
    "hub_20ms": (1.0, True),
    "hub_5ms": (0.0, False),
    "green": (0.0, False),
    "domestic": (1.0, None),
}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    doc = doc_of(planner.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "tiny"))
    for row in doc["sites"]:
        row["tags"] = ["west", "hub"] if row["name"] == "site_w" else ["east"]
    doc["targets"] = TARGETS
    return Scenario.model_validate(doc)


@pytest.fixture(scope="module")
def res(scenario: Scenario) -> planner.Results:
    return planner.run(scenario, **SOLVE)


@pytest.mark.solve
def test_scorecard_by_hand(res):
    card = res.scorecard.set_index("target")
    assert list(card.index) == [t["name"] for t in TARGETS]
    for name, (achieved, met) in EXPECTED.items():
        assert card.loc[name, "achieved"] == pytest.approx(achieved, abs=1e-9), name
        assert card.loc[name, "met"] == met, name
    assert card.loc["inf_5ms", "imposed"] and not card.loc["hub_new", "imposed"]
    assert card.loc["hub_new", "source"] == "test"


def test_imposed_follows_the_policy_levers(scenario):
    hub = next(t for t in scenario.targets if t.name == "hub_new")
    assert not imposed(hub, scenario)
    more = scenario.model_copy(
        update={"policy": scenario.policy.model_copy(update={"min_hub_share": 0.6})}
    )
    less = scenario.model_copy(
        update={"policy": scenario.policy.model_copy(update={"min_hub_share": 0.5})}
    )
    assert imposed(hub, more) and not imposed(hub, less)


@pytest.mark.solve
def test_scorecard_sheet_and_summary_block(res, tmp_path):
    out = planner.write_excel(res, tmp_path / "card.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[1] == "Scorecard"
    ws = wb["Scorecard"]
    header = [c.value for c in ws[4]]
    assert header[:8] == [
        "target",
        "indicator",
        "scope",
        "sense",
        "target value",
        "achieved",
        "met",
        "imposed",
    ]
    rows = {r[0]: r for r in ws.iter_rows(min_row=5, values_only=True) if r[0]}
    assert rows["east_pue"][5] == pytest.approx(1.5) and rows["east_pue"][6] == "no"
    assert (
        rows["west_util"][6] == "yes"
        and rows["domestic"][4] == "n/a"
        and rows["domestic"][6] == "n/a"
    )
    assert ws.cell(row=5 + list(rows).index("hub_new"), column=6).number_format == "0.0%"
    summary = wb["Summary"]
    texts = [summary.cell(r, 1).value for r in range(1, summary.max_row + 1)]
    assert "Policy scorecard (3 of 8 targets met; see sheet 'Scorecard')" in texts
    zh = openpyxl.load_workbook(planner.write_excel(res, tmp_path / "card-zh.xlsx", lang="zh"))
    assert zh.sheetnames[1] == "政策目标评分"
    assert "东部 PUE" in [r[0] for r in zh["政策目标评分"].iter_rows(min_row=5, values_only=True)]


def test_bad_targets_are_reported_with_their_place(tiny_copy):
    y = tiny_copy / "scenario.yaml"
    y.write_text(
        y.read_text()
        + "\ntargets:\n  - {name: a, indicator: pue_max, sense: '<=', value: 1.2, scope: hubb}\n"
        "  - {name: b, indicator: served_within_ms, value: 1, job_class: trainin}\n"
        "  - {name: c, indicator: green_shares, value: 0.8}\n"
    )
    with pytest.raises(ScenarioError) as info:
        planner.load_scenario(tiny_copy)
    msg = str(info.value)
    assert "scenario.yaml › targets › row 1 › scope: no site has the tag 'hubb'" in msg
    assert (
        "targets › row 2 › job_class: unknown job class 'trainin' — did you mean 'training'?" in msg
    )
    assert "targets › row 2 › ms: indicator served_within_ms needs the latency circle ms" in msg
    assert "targets › row 3 › indicator: must be one of" in msg and "(got 'green_shares')" in msg


@pytest.mark.solve
def test_cli_prints_the_targets_met(tiny_copy):
    import subprocess
    import sys

    y = tiny_copy / "scenario.yaml"
    y.write_text(
        y.read_text() + "\ntargets:\n  - {name: green, indicator: green_share, value: 0.1}\n"
        "  - {name: inf_5ms, indicator: served_within_ms, value: 1, job_class: inference, ms: 5}\n"
    )
    p = subprocess.run(
        [sys.executable, "-m", "planner.cli", "run", str(tiny_copy), "--no-report", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "targets      1 of 2 national targets met; missed: green (Scorecard sheet)" in p.stdout
