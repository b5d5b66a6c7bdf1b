"""Loading and validation: good files load; every broken file gets every problem, placed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner import ScenarioError, load_scenario, prepare
from planner.errors import near_miss
from planner.scenario.schema import Scenario

pytestmark = pytest.mark.unit


def test_tiny_loads_with_places_and_hash(tiny):
    assert tiny.name == "tiny"
    assert [s.name for s in tiny.sites] == ["site_e", "site_w"]
    assert tiny.place("sites", 1) == "sites.csv › sites › row 2 (line 3)"
    assert tiny.place("demand", 0) == "scenario.yaml › demand › row 1"
    assert re.fullmatch(r"[0-9a-f]{64}", tiny.input_hash)
    assert tiny.profiles == {"users": {"day": 1.5, "night": 0.5}}


def test_hash_changes_with_a_csv_table(tiny_copy: Path):
    h1 = load_scenario(tiny_copy).input_hash
    csv = tiny_copy / "sites.csv"
    csv.write_text(csv.read_text().replace("600", "601"))
    assert load_scenario(tiny_copy).input_hash != h1


def test_china_scenario_is_valid():
    root = Path(__file__).resolve().parents[1] / "scenarios" / "china"
    sc = load_scenario(root)
    data = prepare(sc)
    assert len(sc.hardware) >= 3 and any(h.domestic for h in sc.hardware)
    assert len(sc.job_classes) >= 3 and any(j.shiftable for j in sc.job_classes)
    assert len(sc.time_slices) >= 24
    assert data.size["eligible"] > 0
    # every row of the main tables says where its numbers come from
    for t in ("sites", "hardware", "regions"):
        assert all(r.source for r in getattr(sc, t)), f"{t} rows without a source"


def _edit(folder: Path, file: str, old: str, new: str) -> None:
    p = folder / file
    text = p.read_text()
    assert old in text, f"{old!r} not in {file}"
    p.write_text(text.replace(old, new, 1))


# (file, old, new, expected message fragment) — each a broken scenario with its message
BROKEN = [
    (
        "sites.csv",
        "site_w,west,1.2",
        "site_w,west,0.9",
        "sites.csv › sites › row 2 (line 3) › pue: must be ≥ 1.0 (got 0.9)",
    ),
    (
        "sites.csv",
        "site_w,west",
        "site_w,wets",
        "sites.csv › sites › row 2 (line 3) › region: unknown region 'wets' — did you mean 'west'?",
    ),
    (
        "sites.csv",
        "site_w,west,1.2,300",
        "site_w,west,1.2,abc",
        "sites.csv › sites › row 2 (line 3) › price_mwh: unknown profile 'abc'",
    ),
    (
        "sites.csv",
        ",10,hand-made example\nsite_w",
        ",ten,hand-made example\nsite_w",
        "sites.csv › sites › row 1 (line 2) › max_it_mw: must be a number (got 'ten')",
    ),
    (
        "scenario.yaml",
        "{class: training,  region: east",
        "{class: trainng,  region: east",
        "scenario.yaml › demand › row 2 › class: unknown job class 'trainng' — did you mean 'training'?",
    ),
    (
        "scenario.yaml",
        "{class: inference, region: east, pflops: 2",
        "{class: inference, region: east, pflops: -2",
        "scenario.yaml › demand › row 1 › pflops: must be ≥ 0.0 (got -2)",
    ),
    (
        "scenario.yaml",
        "profile: users}",
        "profile: usrs}",
        "scenario.yaml › demand › row 1 › profile: unknown profile 'usrs' — did you mean 'users'?",
    ),
    (
        "scenario.yaml",
        "users: {day: 1.5, night: 0.5}",
        "users: {day: 1.5}",
        "scenario.yaml › profiles › users: has no value for 1 time slice(s): night",
    ),
    (
        "scenario.yaml",
        "{name: night, weight: 4380",
        "{name: night, weight: 4000",
        "scenario.yaml › time_slices: weights must sum to 8760 h per year (got 8380)",
    ),
    (
        "scenario.yaml",
        "max_latency_ms: 5,",
        "max_latncy_ms: 5,",
        "scenario.yaml › job_classes › row 1 › max_latncy_ms: unknown field 'max_latncy_ms' — did you mean 'max_latency_ms'?",
    ),
    (
        "scenario.yaml",
        "{from: east, to: west",
        "{from: east, to: east",
        "scenario.yaml › links › row 1 › to: a link must join two different regions",
    ),
    (
        "scenario.yaml",
        "{from: east, to: west",
        "{from: east, to: wset",
        "scenario.yaml › links › row 1 › to: unknown region 'wset' — did you mean 'west'?",
    ),
    (
        "scenario.yaml",
        "unit_cost: 50000, ",
        "",
        "scenario.yaml › links › row 1 › unit_cost: new units can be built but have no price",
    ),
    (
        "scenario.yaml",
        "max_units: 4}",
        "max_units: 4, existing_units: 5}",
        "scenario.yaml › links › row 1: existing_units (5) exceeds max_units (4)",
    ),
    (
        "scenario.yaml",
        "hardware:\n",
        "hardwares:\n",
        "scenario.yaml › hardwares: unknown key — did you mean 'hardware'?",
    ),
    (
        "scenario.yaml",
        "sites: sites.csv",
        "sites: site.csv",
        "scenario.yaml › sites: file 'site.csv' not found — did you mean 'sites.csv'?",
    ),
    (
        "scenario.yaml",
        "discount_rate: 0.0 ",
        "discount_rate: 1.5 ",
        "scenario.yaml › discount_rate: must be < 1",
    ),
    (
        "scenario.yaml",
        "{name: training, gbps_per_pflops: 10, shiftable: true",
        "{name: training, gbps_per_pflops: 10, shiftable: maybe",
        "scenario.yaml › job_classes › row 2 › shiftable: must be yes/no",
    ),
    (
        "scenario.yaml",
        "max_latency_ms: 5,",
        "max_latency_ms: 0.5,",
        "demand of class 'inference' can never be served: no site is within 0.5 ms of 'east' (nearest: 1 ms)",
    ),
    (
        "scenario.yaml",
        "  - {name: day,   weight: 4380, day: d1}",
        "  - {name: day,   weight: 4380}",
        "scenario.yaml › job_classes › row 2 › shiftable: shiftable work needs a 'day' on every time slice",
    ),
    ("scenario.yaml", "objective: cost", "objective: money", "scenario.yaml › objective"),
]


@pytest.mark.parametrize("file,old,new,expected", BROKEN, ids=[b[3][:60] for b in BROKEN])
def test_broken_scenario_message(tiny_copy: Path, file: str, old: str, new: str, expected: str):
    _edit(tiny_copy, file, old, new)
    with pytest.raises(ScenarioError) as info:
        load_scenario(tiny_copy)
    assert expected in str(info.value), str(info.value)


def test_every_problem_in_one_message(tiny_copy: Path):
    _edit(tiny_copy, "sites.csv", "site_w,west,1.2", "site_w,wets,0.9")
    _edit(
        tiny_copy,
        "scenario.yaml",
        "{class: training,  region: east",
        "{class: trainng,  region: eest",
    )
    _edit(tiny_copy, "scenario.yaml", "max_latency_ms: 5,", "max_latncy_ms: 5,")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tiny_copy)
    err = info.value
    text = str(err)
    assert len(err.problems) == 5, text
    for frag in (
        "pue: must be ≥ 1.0",
        "region: unknown region 'wets'",
        "class: unknown job class 'trainng'",
        "region: unknown region 'eest' — did you mean 'east'?",
        "unknown field 'max_latncy_ms'",
    ):
        assert frag in text
    # an invalid row's name still counts as declared: no cascade of "unknown class 'inference'"
    assert "unknown job class 'inference'" not in text
    assert isinstance(err, ValueError)


def test_yaml_syntax_error_is_placed(tiny_copy: Path):
    (tiny_copy / "scenario.yaml").write_text("name: x\nregions: [\n")
    with pytest.raises(ScenarioError, match=r"scenario.yaml › line \d+: not valid YAML"):
        load_scenario(tiny_copy)


def test_missing_file_and_missing_tables(tmp_path: Path):
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.yaml")
    (tmp_path / "s.yaml").write_text("name: empty\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    for t in ("time_slices", "regions", "sites", "hardware", "job_classes", "demand"):
        assert f"s.yaml › {t}: table is required but missing or empty" in str(info.value)


def test_csv_extra_cells_and_blank_lines(tiny_copy: Path):
    p = tiny_copy / "sites.csv"
    p.write_text(p.read_text() + "\n\n")  # trailing blank lines are fine
    load_scenario(tiny_copy)
    p.write_text(p.read_text().rstrip("\n") + ",oops\n")
    with pytest.raises(ScenarioError, match="has more cells than the header has columns"):
        load_scenario(tiny_copy)


def test_existing_modules_above_envelope(tiny_copy: Path):
    _edit(
        tiny_copy,
        "scenario.yaml",
        "demand:",
        "existing_modules:\n  - {site: site_e, hardware: acc, modules: 200}\n\ndemand:",
    )
    with pytest.raises(
        ScenarioError, match=r"max_it_mw: existing modules draw 20 MW, above max_it_mw 10"
    ):
        load_scenario(tiny_copy)


def test_near_miss():
    assert near_miss("Beijng", ["Beijing", "Shanghai"]) == " — did you mean 'Beijing'?"
    assert near_miss("eest", ["west", "east"]) == " — did you mean 'east'?"
    assert near_miss("zzz", ["Beijing"]) == ""


def test_json_schema_has_units():
    schema = Scenario.model_json_schema(by_alias=True)
    site = schema["$defs"]["Site"]["properties"]
    assert site["pue"]["unit"] == "-" and site["price_mwh"]["unit"] == "CNY/MWh"
    assert "class" in schema["$defs"]["Demand"]["properties"]


def test_scenario_reference_is_in_step_with_the_schema():
    from planner.scenario.reference import markdown

    doc = Path(__file__).resolve().parents[1] / "docs" / "scenario.md"
    assert doc.read_text() == markdown(), (
        "regenerate docs/scenario.md from planner.scenario.reference.markdown()"
    )
