"""Representative days from hourly profiles (planner.horizon.hourly) on the hourly_small scenario.

Real tsam reductions and real HiGHS solves; the full-year check solves all 365 days (8760 slices).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import planner
from planner.data import prepare
from planner.errors import ScenarioError
from planner.horizon.hourly import read_hourly, reduce_hourly
from planner.model import build_model
from planner.results import placements
from planner.scenario.schema import Period
from planner.solve import solve as solve_model

from .conftest import ROOT

HOURLY = ROOT / "scenarios" / "hourly_small"
#: Every solve here: HiGHS with a time limit and a tight gap (the full year needs ≈ 10 s).
LIMITS = {"time_limit": 60, "mip_gap": 1e-4}
#: Largest relative objective difference accepted between 12 representative days and the full
#: year. Why 0.1%: all demand must be served and the peak-demand day is kept whole, so the
#: installed capacity (≈ 94% of the objective: capex, O&M, site and link) is the full year's; only
#: the energy-related terms (energy, green premium, carbon: ≈ 3.5% of the objective) can move, and
#: their profiles keep their annual means exactly while their hourly RMSE is ≈ 2% of the mean, so
#: their error is bounded by ≈ 2% × 3.5% ≈ 0.07%. Measured: −0.005% (12 days).
OBJECTIVE_TOLERANCE = 1e-3


def load(days: int | None = None, sets: list[str] | None = None) -> planner.Scenario:
    """hourly_small, with ``days`` representative days and further ``path=value`` overrides."""
    return planner.load_scenario(
        HOURLY, sets=([f"hourly.days={days}"] if days is not None else []) + (sets or [])
    )


@pytest.fixture(scope="module")
def year() -> pd.DataFrame:
    frame, problems = read_hourly(HOURLY / "hourly.csv")
    assert not problems and frame is not None
    return frame


@pytest.fixture(scope="module")
def reduced() -> planner.Scenario:
    return load()


def total_demand(
    sc: planner.Scenario, values: dict[str, dict[str, float]] | pd.DataFrame, keys: list
) -> np.ndarray:
    """Σ_rows pflops × profile, at each key (a slice name or an hour)."""
    return np.array(
        [
            sum(d.pflops * (values[d.profile][k] if d.profile else 1.0) for d in sc.demand)
            for k in keys
        ]
    )


# ---- the reduction ------------------------------------------------------------------------------


@pytest.mark.unit
def test_same_seed_same_days_and_weights(reduced: planner.Scenario):
    again = load()
    assert [(s.name, s.weight, s.day) for s in again.time_slices] == [
        (s.name, s.weight, s.day) for s in reduced.time_slices
    ]
    assert again.profiles == reduced.profiles
    pd.testing.assert_frame_equal(
        again._reduction["Representative days"], reduced._reduction["Representative days"]
    )
    assert again.input_hash == reduced.input_hash


@pytest.mark.unit
@pytest.mark.parametrize("method", ["hierarchical", "k_means", "averaging"])
def test_reduce_hourly_is_seeded(year: pd.DataFrame, method: str):
    peak = {"demand": {"online": 600.0, "training": 800.0}}
    a = reduce_hourly(year, 6, seed=3, method=method, peak=peak)
    b = reduce_hourly(year, 6, seed=3, method=method, peak=peak)
    assert a.slices == b.slices and a.profiles == b.profiles
    assert list(a.assignment) == list(b.assignment)


@pytest.mark.unit
def test_peak_day_kept_with_its_true_values(reduced: planner.Scenario, year: pd.DataFrame):
    full = total_demand(reduced, year, list(range(8760)))
    peak_day = int(full.argmax()) // 24
    days = reduced._reduction["Representative days"]
    row = days[days["peak day"].str.startswith("yes")]
    assert len(row) == 1
    assert int(row["day of year (1-365)"].iloc[0]) == peak_day + 1
    assert int(row["days represented (days/yr)"].iloc[0]) == 1  # it stands for itself only
    label = row["day"].iloc[0]
    names = [s.name for s in reduced.time_slices if s.day == label]
    assert len(names) == 24
    for col in year.columns:  # the day itself, hour by hour, unscaled
        assert [reduced.profiles[col][n] for n in names] == list(
            year[col].iloc[peak_day * 24 : (peak_day + 1) * 24]
        )
    kept = total_demand(reduced, reduced.profiles, [s.name for s in reduced.time_slices])
    assert kept.max() == pytest.approx(full.max(), rel=1e-12)
    err = reduced._reduction["Reduction error"].set_index("profile")
    assert err.loc["total demand (peak series)", "max kept"] == "yes"


@pytest.mark.unit
@pytest.mark.parametrize("days", [1, 4, 12, 365])
def test_weights_sum_to_8760_and_days_have_24_slices(days: int):
    sc = load(days)
    assert sum(s.weight for s in sc.time_slices) == pytest.approx(8760)
    by_day: dict[str, list[float]] = defaultdict(list)
    for s in sc.time_slices:
        by_day[s.day].append(s.weight)  # type: ignore[index]
    assert len(by_day) == days
    assert all(len(w) == 24 and len(set(w)) == 1 for w in by_day.values())
    table = sc._reduction["Representative days"]
    assert table["days represented (days/yr)"].sum() == 365 and len(table) == days


@pytest.mark.unit
def test_annual_means_are_kept(reduced: planner.Scenario, year: pd.DataFrame):
    w = {s.name: s.weight for s in reduced.time_slices}
    for col in year.columns:
        mean = sum(w[n] * v for n, v in reduced.profiles[col].items()) / 8760
        assert mean == pytest.approx(year[col].mean(), rel=1e-6), col


@pytest.mark.unit
def test_full_year_is_the_year_unchanged(year: pd.DataFrame):
    sc = load(365)
    names = [s.name for s in sc.time_slices]
    assert names[0] == "d001h00" and names[-1] == "d365h23"
    assert all(s.weight == 1 for s in sc.time_slices)
    for col in year.columns:
        assert [sc.profiles[col][n] for n in names] == list(year[col])
    assert (sc._reduction["Reduction error"]["RMSE (unit)"] == 0).all()


@pytest.mark.unit
def test_days_below_peak_days_is_refused(year: pd.DataFrame):
    with pytest.raises(ValueError, match="at least the number of distinct peak days"):
        reduce_hourly(year, 1, peak={"a": {"online": 1.0}, "b": {"green_south": 1.0}})


# ---- the loader ---------------------------------------------------------------------------------


@pytest.mark.unit
def test_variants_keep_the_reduction_and_hourly_overrides_reduce_again(reduced: planner.Scenario):
    sc = load(sets=["policy.carbon_price=50"])
    assert sc.policy.carbon_price == 50 and sc.profiles == reduced.profiles
    assert set(sc._reduction) == set(reduced._reduction)
    four = load(4)
    assert four.hourly is not None and four.hourly.days == 4
    assert len({s.day for s in four.time_slices}) == 4
    assert four.input_hash != reduced.input_hash
    doubled = load(sets=["hourly.days=*2"])
    assert len({s.day for s in doubled.time_slices}) == 24


@pytest.mark.unit
def test_hash_covers_the_hourly_file(tmp_path: Path, reduced: planner.Scenario):
    dst = tmp_path / "h"
    shutil.copytree(HOURLY, dst)
    csv = dst / "hourly.csv"
    lines = csv.read_text().splitlines()
    lines[5] = lines[5][:-1] + ("1" if lines[5][-1] != "1" else "2")  # one digit of one cell
    csv.write_text("\n".join(lines) + "\n")
    assert planner.load_scenario(dst).input_hash != reduced.input_hash


@pytest.mark.unit
def test_bad_hourly_input_lists_every_problem_with_its_place(tmp_path: Path):
    dst = tmp_path / "bad"
    shutil.copytree(HOURLY, dst)
    csv = dst / "hourly.csv"
    lines = csv.read_text().splitlines()
    header = 1  # line 0 is a comment
    cells = lines[header + 10].split(",")
    cells[1] = "lots"  # online, row 10
    lines[header + 10] = ",".join(cells)
    cells = lines[header + 20].split(",")
    cells[3] = "-5"  # price_north, row 20
    lines[header + 20] = ",".join(cells)
    lines[header] = lines[header].replace("green_north", "")
    del lines[-1]  # 8759 rows
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioError) as err:
        planner.load_scenario(dst)
    text = str(err.value)
    assert "hourly.csv › hourly › row 10 (line 12) › online: must be a number (got 'lots')" in text
    assert "hourly.csv › hourly › row 20 (line 22) › price_north: must be ≥ 0 (got -5)" in text
    assert "hourly.csv › hourly › column 6: has no name in the header row" in text
    assert "hourly.csv › hourly: has 8759 rows of hours but needs 8760" in text
    # the unnamed column was green_north: the site naming it is told, nothing else cascades
    assert "scenario.yaml › sites › row 2 › green_share_max: unknown profile 'green_north'" in text
    assert len(err.value.problems) == 5

    # the same through the command line: exit 1, every problem, no traceback
    p = subprocess.run(
        [sys.executable, "-m", "planner.cli", "validate", str(dst)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert (
        "5 problems found" in p.stderr
        and "hourly.csv › hourly › row 10 (line 12) › online" in p.stderr
    )


@pytest.mark.unit
def test_bad_hourly_options_and_shares(tmp_path: Path):
    dst = tmp_path / "bad2"
    shutil.copytree(HOURLY, dst)
    yaml_path = dst / "scenario.yaml"
    text = yaml_path.read_text()
    text = text.replace(
        "  method: hierarchical\n", "  method: hierarchical\n  peak_profiles: [onlin]\n"
    )
    text = text.replace(
        "regions:\n", "time_slices:\n  - {name: h0, weight: 8760, day: d1}\n\nregions:\n", 1
    )
    yaml_path.write_text(text)
    csv = dst / "hourly.csv"
    lines = csv.read_text().splitlines()
    cells = lines[100].split(",")
    cells[6] = "1.5"  # green_south above 1
    lines[100] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioError) as err:
        planner.load_scenario(dst)
    msg = str(err.value)
    assert "scenario.yaml › time_slices: cannot be given with hourly" in msg
    assert (
        "hourly.csv › hourly › green_south: is the green_share_max of site site_s but has shares above 1 (first at row 99: 1.5)"
        in msg
    )
    assert (
        "scenario.yaml › hourly › peak_profiles › 1: unknown profile 'onlin'" in msg
        and "did you mean 'online'?" in msg
    )


@pytest.mark.unit
def test_unknown_file_and_bad_options(tmp_path: Path):
    dst = tmp_path / "bad3"
    shutil.copytree(HOURLY, dst)
    yaml_path = dst / "scenario.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("file: hourly.csv", "file: hourli.csv"))
    with pytest.raises(
        ScenarioError,
        match=r"scenario.yaml › hourly: file 'hourli.csv' not found — did you mean 'hourly.csv'\?",
    ):
        planner.load_scenario(dst)
    yaml_path.write_text(
        yaml_path.read_text()
        .replace("file: hourli.csv", "file: hourly.csv")
        .replace("days: 12", "days: 0")
    )
    with pytest.raises(
        ScenarioError, match=r"scenario.yaml › hourly › days: must be ≥ 1 \(got 0\)"
    ):
        planner.load_scenario(dst)


# ---- solved: full year against representative days ---------------------------------------------


@pytest.mark.solve
def test_full_year_against_representative_days(
    reduced: planner.Scenario, record_property: pytest.RecordProperty
):
    full = planner.run(
        load(365), **{**LIMITS, "time_limit": 600}
    )  # 8760 slices: ~10 CPU-s, far inside 600 s
    red = planner.run(reduced, **LIMITS)
    f, r = full.kpi("objective"), red.kpi("objective")
    diff = (r - f) / f
    line = (
        f"hourly_small objective: full year (365 days, 8760 slices) {f:,.0f} CNY/yr, "
        f"12 representative days {r:,.0f} CNY/yr, difference {100 * diff:+.4f}% "
        f"(solve {full.metadata['solve time s']:.1f} s vs {red.metadata['solve time s']:.1f} s)"
    )
    print(line)
    record_property("objective difference", diff)
    assert abs(diff) <= OBJECTIVE_TOLERANCE, line
    assert red.kpi("PFLOPS installed") == full.kpi("PFLOPS installed")


@pytest.mark.solve
def test_shiftable_work_is_balanced_within_each_representative_day(reduced: planner.Scenario):
    data = prepare(reduced)
    m = build_model(data)
    out = solve_model(m, **LIMITS)
    assert out.ok
    served: dict[str, float] = defaultdict(float)
    wanted: dict[str, float] = defaultdict(float)
    shifted = 0
    day_of = {s.name: s.day for s in reduced.time_slices}
    placed = placements(m, data)
    for t in data.SLICES:
        x = sum(v for k, v in placed.items() if k[0] == "training" and k[3] == t)
        d = data.demand["training", "south", t]
        served[day_of[t]] += x  # type: ignore[index]
        wanted[day_of[t]] += d  # type: ignore[index]
        shifted += abs(x - d) > 1e-3 * d
    assert len(served) == 12
    for day in served:
        assert served[day] == pytest.approx(wanted[day], rel=1e-6), day
    assert (
        shifted > 0
    )  # the balance is per day, not per slice: some training did move between hours


@pytest.mark.unit
def test_china_hourly_variant_loads_with_its_peak_day():
    sc = planner.load_scenario(ROOT / "scenarios" / "china" / "hourly.yaml", sets=["hourly.days=2"])
    assert sc.name == "china_hourly" and len(sc.time_slices) == 48
    assert sum(s.weight for s in sc.time_slices) == pytest.approx(8760)
    err = sc._reduction["Reduction error"].set_index("profile")
    assert err.loc["total demand (peak series)", "max kept"] == "yes"
    assert (err["mean error (%)"].abs() < 1e-6).all()  # every profile keeps its annual mean


@pytest.mark.solve
def test_report_has_the_representative_days(reduced: planner.Scenario, tmp_path: Path):
    """The chosen days, their weights and the reduction error are written to the report."""
    out = tmp_path / "hourly.xlsx"
    res = planner.run(reduced, out=out, **LIMITS)
    assert {"Representative days", "Reduction error"} <= set(res.extra_tables)
    days = pd.read_excel(out, sheet_name="Representative days")
    assert len(days) == 12
    weight_col = next(c for c in days.columns if "days represented" in str(c))
    assert days[weight_col].sum() == pytest.approx(365)
    err = pd.read_excel(out, sheet_name="Reduction error")
    assert set(reduced._reduction["Reduction error"].iloc[:, 0]) == set(err.iloc[:, 0])
    # the periods planner carries the reduction too
    mp = reduced.model_copy(update={"periods": (Period(year=2025), Period(year=2027))})
    assert "Representative days" in planner.run(mp, **LIMITS).extra_tables


@pytest.mark.unit
def test_apply_overrides_keeps_the_reduction(reduced: planner.Scenario):
    from planner.scenario.variants import apply_overrides, parse_set

    changed = apply_overrides(reduced, [parse_set("policy.carbon_price=100")])
    assert changed.policy.carbon_price == 100
    assert set(changed._reduction) == set(reduced._reduction)
