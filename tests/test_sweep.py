"""Sweeps on Dask distributed: designs, a failing member, resume after a kill, the comparison workbook."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.errors import ScenarioError
from planner.studies.sweep import RESULTS, Member, load_sweep, member_id, run_member, run_sweep

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "tiny"


def _sweep_file(tmp_path: Path, design: dict, **extra: object) -> Path:
    for f in ("scenario.yaml", "sites.csv"):
        shutil.copy(TINY / f, tmp_path / f)
    doc = {
        "scenario": "scenario.yaml",
        "out": "runs",
        "solver": {"time_limit": 60, "mip_gap": 1e-6},
        **design,
        **extra,
    }
    p = tmp_path / "sweep.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return p


def _results(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in out.glob(f"*/{RESULTS}")}


@pytest.mark.unit
def test_designs_and_stable_ids(tmp_path: Path) -> None:
    grid = load_sweep(
        _sweep_file(
            tmp_path,
            {"grid": {"policy.carbon_price": [0, 100], "sites[*].price_mwh": ["*0.8", "*1.2"]}},
        )
    )
    assert [m.id for m in grid.members] == [
        "m000-carbon_price=0-price_mwh=x0.8",
        "m001-carbon_price=0-price_mwh=x1.2",
        "m002-carbon_price=100-price_mwh=x0.8",
        "m003-carbon_price=100-price_mwh=x1.2",
    ]
    assert grid.members[3].sets == ["policy.carbon_price=100", "sites[*].price_mwh='*1.2'"]
    oat = load_sweep(
        _sweep_file(
            tmp_path, {"one_at_a_time": {"policy.carbon_price": [0, 100], "discount_rate": [0.05]}}
        )
    )
    assert [m.parameters for m in oat.members] == [
        {},
        {"policy.carbon_price": 0},
        {"policy.carbon_price": 100},
        {"discount_rate": 0.05},
    ]
    assert member_id(7, {"x": "a" * 100}, ()) == member_id(7, {"x": "a" * 100}, ())
    assert len(member_id(7, {"x": "a" * 100}, ())) <= 70


@pytest.mark.unit
def test_invalid_sweep_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="exactly one of grid"):
        load_sweep(_sweep_file(tmp_path, {}))
    with pytest.raises(ScenarioError, match="unknown key — did you mean 'grid'"):
        load_sweep(_sweep_file(tmp_path, {"grid": {"discount_rate": [0]}}, grd=1))
    with pytest.raises(ScenarioError, match="unknown variant 'nope'"):
        load_sweep(_sweep_file(tmp_path, {"variants": ["nope"]}))


@pytest.mark.solve
def test_no_state_leaks_between_members(tmp_path: Path) -> None:
    a = {"id": "a", "parameters": {"policy.carbon_price": 100}, "variants": []}
    b = {
        "id": "b",
        "parameters": {"sites[*].price_mwh": "*2", "demand[*].pflops": "*3"},
        "variants": [],
    }
    scen = str(TINY / "scenario.yaml")
    first = run_member(scen, str(tmp_path / "a1"), a, {"mip_gap": 1e-6})
    other = run_member(scen, str(tmp_path / "b"), b, {"mip_gap": 1e-6})
    again = run_member(scen, str(tmp_path / "a2"), a, {"mip_gap": 1e-6})
    assert other["status"] == "optimal" and other["objective"] != first["objective"]
    drop = ("solve time", "CPU time")
    assert again["objective"] == first["objective"]
    assert {k: v for k, v in again["kpis"].items() if k not in drop} == {
        k: v for k, v in first["kpis"].items() if k not in drop
    }


@pytest.mark.slow
def test_sweep_with_a_failing_member_then_resume_and_compare(tmp_path: Path) -> None:
    sw = load_sweep(
        _sweep_file(
            tmp_path,
            {
                "one_at_a_time": {
                    "policy.carbon_price": [0, 100, 200, 300],
                    "sites[*].price_mwh": ["*0.8", "*1.2"],
                    "sites[site_w].pue": [0.9],
                }
            },
        )
    )
    assert len(sw.members) == 8
    out = run_sweep(sw, workers=2, progress=False)
    bad = "m007-pue=0.9"
    assert sorted(out.failed) == [bad] and len(out.ran) == 7
    assert "must be ≥ 1.0 (got 0.9)" in out.failed[bad]
    assert json.loads((sw.out / bad / "error.json").read_text())["error_type"] == "ScenarioError"
    done = _results(sw.out)
    assert len(done) == 7 and all((sw.out / m / "report.xlsx").is_file() for m in done)
    # the same member in a worker process and in this one: the same plan
    mine = run_member(
        str(sw.scenario),
        str(tmp_path / "here"),
        {"id": "x", "parameters": {"policy.carbon_price": 300}, "variants": []},
        sw.solver,
    )
    assert mine["objective"] == pytest.approx(done["m004-carbon_price=300"]["objective"], rel=1e-9)

    again = run_sweep(sw, workers=2, progress=False, resume=True)
    assert (
        sorted(again.skipped) == sorted(done) and again.failed.keys() == {bad} and again.ran == []
    )
    assert {k: v["run_id"] for k, v in _results(sw.out).items()} == {
        k: v["run_id"] for k, v in done.items()
    }

    wb = openpyxl.load_workbook(out.summary)
    assert wb.sheetnames == ["Runs", "Differences", "Charts"]
    rows = list(wb["Runs"].iter_rows(min_row=3, values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 8 and "policy.carbon_price" in header and "total cost (CNY/yr)" in header
    (failed,) = [
        r for r in body if r[header.index("status")] == "failed"
    ]  # listed, with its error and no KPIs
    assert failed[0] == bad and "must be ≥ 1.0 (got 0.9)" in failed[header.index("error")]
    assert failed[header.index("total cost (CNY/yr)")] is None
    assert "1 failed" in wb["Runs"]["A1"].value
    cost = {r[0]: r[header.index("total cost (CNY/yr)")] for r in body}
    assert cost["m000-base"] == pytest.approx(4061280)
    assert cost["m004-carbon_price=300"] > cost["m001-carbon_price=0"]
    with zipfile.ZipFile(
        out.summary
    ) as z:  # openpyxl does not read charts back: count them in the file
        charts = [n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        assert len(charts) == 8  # 4 KPIs × 2 swept numeric parameters (the failed one has no run)
        assert "scatterChart" in z.read(charts[0]).decode()

    # planner compare, against a chosen base
    res = CliRunner().invoke(
        main,
        [
            "compare",
            str(sw.out),
            "--out",
            str(tmp_path / "cmp.xlsx"),
            "--base",
            "m001-carbon_price=0",
        ],
    )
    assert res.exit_code == 0, res.output
    d = list(
        openpyxl.load_workbook(tmp_path / "cmp.xlsx")["Differences"].iter_rows(
            min_row=3, values_only=True
        )
    )
    dcost = {r[0]: r[d[0].index("Δ total cost (CNY/yr)")] for r in d[1:]}
    assert dcost["m001-carbon_price=0"] == 0
    assert dcost["m004-carbon_price=300"] == pytest.approx(
        cost["m004-carbon_price=300"] - cost["m001-carbon_price=0"]
    )
    res = CliRunner().invoke(main, ["compare", str(sw.out), "--base", "m999"])
    assert res.exit_code == 1 and "not among the runs" in res.output
    res = CliRunner().invoke(
        main, ["compare", str(sw.out), "--out", str(tmp_path / "c2.xlsx"), "--base", bad]
    )
    assert (
        res.exit_code == 1
        and f"base run '{bad}' failed" in res.output
        and "must be ≥ 1.0" in res.output
    )
    res = CliRunner().invoke(
        main, ["compare", str(sw.out / bad), "--out", str(tmp_path / "c3.xlsx")]
    )
    assert res.exit_code == 1 and "none of the 1 runs has a plan" in res.output


@pytest.mark.slow
def test_killed_sweep_resumes_without_rerunning(tmp_path: Path) -> None:
    sweep = _sweep_file(
        tmp_path,
        {
            "grid": {
                "policy.carbon_price": [0, 50, 100, 150, 200, 250],
                "sites[*].price_mwh": ["*0.9", "*1.1"],
            }
        },
        solver={"time_limit": 60, "mip_gap": 1e-6, "mip_start": False},
    )
    out = tmp_path / "runs"
    cmd = [
        sys.executable,
        "-m",
        "planner.cli",
        "sweep",
        str(sweep),
        "--workers",
        "2",
        "--no-progress",
    ]
    proc = subprocess.Popen(
        cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.time() + 600  # a bound against a hang, far above the seconds two members take
    while (
        proc.poll() is None and time.time() < deadline and len(list(out.glob(f"*/{RESULTS}"))) < 2
    ):
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {k: v["run_id"] for k, v in _results(out).items()}
    assert 2 <= len(before) < 12, f"{len(before)} members done at the kill"

    res = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "distributed." not in res.stderr and "killed by signal" not in res.stderr, (
        res.stderr
    )  # Dask quiet without -v
    assert f"skipped {len(before)} members already done" in res.stdout
    assert f"ran {12 - len(before)} members" in res.stdout
    after = _results(out)
    assert len(after) == 12
    assert all(after[k]["run_id"] == rid for k, rid in before.items())
    assert not any(
        re.match(r"\..*\.tmp$", p.name) for p in out.rglob("*") if p.name.startswith(".")
    )
    assert (out / "summary.xlsx").is_file()


def test_member_sets_quote_values() -> None:
    assert Member("m", {"policy.resilience": "sites", "x": 1.5}).sets == [
        "policy.resilience=sites",
        "x=1.5",
    ]
