"""Variants and --set overrides: paths, multipliers, composition, validation with placed errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from planner.errors import ScenarioError
from planner.scenario import Scenario, load_scenario
from planner.scenario.variants import parse_path, parse_set


def apply(
    path: Path | str,
    variants: tuple[str, ...] | list[str] = (),
    sets: tuple[str, ...] | list[str] = (),
) -> Scenario:
    """The scenario at ``path`` with ``variants`` and ``sets`` applied (what ``planner run --variant --set`` loads)."""
    return load_scenario(path, variants=variants, sets=sets)


TINY = Path(__file__).resolve().parents[1] / "scenarios" / "tiny"

pytestmark = pytest.mark.unit


@pytest.fixture
def tiny_with_variants(tmp_path: Path) -> Path:
    shutil.copy(TINY / "sites.csv", tmp_path / "sites.csv")
    doc = yaml.safe_load((TINY / "scenario.yaml").read_text(encoding="utf-8"))
    doc["variants"] = {
        "high_growth": {"demand[*].pflops": "*1.5"},
        "carbon_200": {"policy.carbon_price": 200},
        "cheap_west": [{"sites[site_w].price_mwh": 250}, {"sites[site_w].price_mwh": "*0.8"}],
        "bad_pue": {"sites[site_w].pue": 0.9},
    }
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return tmp_path


def test_parse_path() -> None:
    assert parse_path("sites[site_w].price_mwh") == [
        ("key", "sites"),
        ("sel", "site_w"),
        ("key", "price_mwh"),
    ]
    assert parse_path("policy.carbon_price") == [("key", "policy"), ("key", "carbon_price")]
    assert parse_path("demand[class=training].pflops")[1] == ("sel", "class=training")
    with pytest.raises(ValueError):
        parse_path("[x].y")


def test_parse_set_reads_yaml_values_and_selectors_with_equals() -> None:
    o = parse_set("demand[class=training].pflops=5")
    assert (o.path, o.value) == ("demand[class=training].pflops", 5)
    assert parse_set("policy.resilience=sites").value == "sites"
    assert parse_set("sites[*].price_mwh=*1.2").multiplier == 1.2


def test_sets_change_fields_and_the_hash() -> None:
    base = load_scenario(TINY)
    sc = apply(
        TINY,
        sets=[
            "policy.carbon_price=100",
            "sites[*].price_mwh=*1.2",
            "demand[class=training].pflops=5",
            "profiles.users.day=1.4",
            "solver.time_limit=30",
            "discount_rate=0.05",
        ],
    )
    assert sc.policy.carbon_price == 100
    assert [s.price_mwh for s in sc.sites] == pytest.approx([720, 360])
    assert [d.pflops for d in sc.demand] == [2, 5]
    assert sc.profiles["users"]["day"] == 1.4
    assert sc.solver.time_limit == 30 and sc.discount_rate == 0.05
    assert sc.input_hash != base.input_hash
    assert (
        apply(TINY, sets=["policy.carbon_price=100"]).input_hash
        == apply(TINY, sets=["policy.carbon_price=100"]).input_hash
    )


def test_variants_compose_in_order(tiny_with_variants: Path) -> None:
    sc = apply(tiny_with_variants, ["high_growth", "carbon_200", "cheap_west"])
    assert [d.pflops for d in sc.demand] == [3, 6]
    assert sc.policy.carbon_price == 200
    assert sc.sites[1].price_mwh == pytest.approx(200)
    # --set comes after the variants
    assert (
        apply(tiny_with_variants, ["carbon_200"], ["policy.carbon_price=5"]).policy.carbon_price
        == 5
    )


def test_unknown_variant_has_a_near_miss(tiny_with_variants: Path) -> None:
    with pytest.raises(
        ScenarioError, match="unknown variant 'high_grwth' — did you mean 'high_growth'"
    ):
        apply(tiny_with_variants, ["high_grwth"])


def test_invalid_value_is_placed_at_the_variant(tiny_with_variants: Path) -> None:
    with pytest.raises(ScenarioError) as e:
        apply(tiny_with_variants, ["bad_pue"])
    assert (
        str(e.value.problems[0])
        == "scenario.yaml › variants › bad_pue › sites[site_w].pue: must be ≥ 1.0 (got 0.9)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sites[site_w].pue=0.9", "--set sites[site_w].pue=0.9: must be ≥ 1.0 (got 0.9)"),
        ("sites[site_x].pue=1.1", "no row of sites is named 'site_x' — did you mean 'site_e'?"),
        ("polcy.carbon_price=1", "unknown field 'polcy' — did you mean 'policy'?"),
        ("policy.carbon_prise=1", "unknown field 'carbon_prise' — did you mean 'carbon_price'?"),
        (
            "sites[site_w].region=nowhere",
            "unknown region 'nowhere' (after --set sites[site_w].region=nowhere)",
        ),
        ("sites[*].name=*2", "cannot multiply 'site_e': not a number"),
        ("carbon_price", "must be path=value"),
    ],
)
def test_set_errors(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as e:
        apply(TINY, sets=[text])
    assert message in str(e.value)


def test_malformed_variant_is_reported_at_load(tmp_path: Path) -> None:
    shutil.copy(TINY / "sites.csv", tmp_path / "sites.csv")
    doc = yaml.safe_load((TINY / "scenario.yaml").read_text(encoding="utf-8"))
    doc["variants"] = {"x": "policy.carbon_price"}
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ScenarioError, match="scenario.yaml › variants › x: must be a mapping"):
        load_scenario(tmp_path)


@pytest.mark.solve
def test_variant_changes_the_plan(tiny_with_variants: Path) -> None:
    import planner

    base = planner.run(load_scenario(tiny_with_variants))
    grown = planner.run(apply(tiny_with_variants, ["high_growth"]))
    assert grown.total_cost > base.total_cost


def _run_has_overrides() -> bool:
    from planner.cli.main import run

    return {"variants", "sets"} <= {p.name for p in run.params}


@pytest.mark.solve
@pytest.mark.skipif(not _run_has_overrides(), reason="planner run has no --variant/--set yet")
def test_cli_run_with_variant_and_set(tiny_with_variants: Path) -> None:
    from click.testing import CliRunner

    from planner.cli import main

    r = CliRunner().invoke(
        main,
        [
            "run",
            str(tiny_with_variants),
            "--no-report",
            "--variant",
            "carbon_200",
            "--set",
            "sites[*].price_mwh=*1.1",
        ],
    )
    assert r.exit_code == 0, r.output
    bad = CliRunner().invoke(
        main, ["run", str(tiny_with_variants), "--no-report", "--set", "sites[site_w].pue=0.9"]
    )
    assert bad.exit_code == 1
    assert "--set sites[site_w].pue=0.9: must be ≥ 1.0 (got 0.9)" in bad.output
    typo = CliRunner().invoke(
        main, ["run", str(tiny_with_variants), "--no-report", "--variant", "carbon_20"]
    )
    assert typo.exit_code == 1 and "did you mean 'carbon_200'" in typo.output
