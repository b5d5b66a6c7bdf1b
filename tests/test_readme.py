"""The README's examples, run as written from the shipped files: each command is taken from
README.md and its output compared with the block the README shows."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def planner(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    assert args[0] == "planner"
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", *args[1:]],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
        timeout=600,
    )


def block_after(marker: str) -> str:
    """The fenced block that follows ``marker`` in the README."""
    at = README.index(marker)
    m = re.search(r"```[a-z]*\n(.*?)```", README[at:], re.S)
    assert m, marker
    return m.group(1).strip()


def command_in(text: str) -> list[str]:
    """The ``planner …`` command in a backtick span or a bash block."""
    m = re.search(r"(planner (?:run|validate)[^`\n]*)", text)
    assert m, text
    return shlex.split(m.group(1))


@pytest.mark.unit
def test_error_example():
    intro = README[README.index("An error looks like this") :][:200]
    cmd = command_in(intro)
    p = planner(cmd)
    assert p.returncode == 1
    assert p.stderr.strip() == block_after("An error looks like this")


@pytest.mark.solve
def test_carbon_cap_example():
    cmd = shlex.split(block_after("scenario with a carbon cap of 100 t exits with code 2"))
    p = planner([*cmd, "--no-report", "--time-limit", "60"])
    assert p.returncode == 2, p.stderr
    shown = block_after(
        "planner run scenarios/tiny --set policy.carbon_cap=100 --set policy.allow_unserved=false\n```"
    )
    for line in shown.splitlines():
        assert line in p.stderr, (line, p.stderr)


@pytest.mark.solve
def test_carbon_cap_with_unserved_allowed_warns(tmp_path):
    p = planner(
        [
            "planner",
            "run",
            str(ROOT / "scenarios/tiny"),
            "--set",
            "policy.carbon_cap=100",
            "--out",
            "plan.xlsx",
        ],
        cwd=tmp_path,
    )
    assert p.returncode == 0
    warned = re.search(
        r"`(WARNING {6}the plan leaves 100\.0% of demand unserved because of these\s+targets) …`",
        README,
    )
    assert warned and " ".join(warned.group(1).split()) in " ".join(p.stdout.split())
    status = [
        openpyxl.load_workbook(tmp_path / "plan.xlsx")["Summary"].cell(r, 1).value or ""
        for r in range(3, 9)
    ]
    assert any(s.startswith("WARNING: the plan leaves 100.0%") for s in status)


@pytest.mark.solve
def test_power_envelope_example():
    at = README.index("explained per region, class and slice with the limit that binds")
    text = README[at : at + 600]
    cmd = command_in(text)
    p = planner([*cmd, "--no-report", "--time-limit", "60"])
    assert p.returncode == 2, p.stderr
    expected = re.search(r"gives `([^`]+)`", text).group(1)
    assert expected in p.stderr


@pytest.mark.solve
def test_network_value_example():
    at = re.search(
        r"For the tiny scenario\s+\(`planner run scenarios/tiny --compare both", README
    ).start()
    text = README[at : at + 700]
    cmd = command_in(text)
    p = planner([*cmd, "--no-report"])
    assert p.returncode == 0, p.stderr
    quoted = " ".join(re.search(r'"([^"]+)"', text, re.S).group(1).split())
    assert quoted in p.stdout


@pytest.mark.unit
def test_workbook_error_example(tmp_path):
    assert planner(["planner", "template", "inputs.xlsx"], cwd=tmp_path).returncode == 0
    edits = re.search(
        r"with sites C5 set to ([\d.]+), hardware C4 to `(\w+)` and sites B4 to\s+`(\w+)`", README
    )
    wb = openpyxl.load_workbook(tmp_path / "inputs.xlsx")
    wb["sites"]["C5"] = float(edits.group(1))
    wb["hardware"]["C4"] = edits.group(2)
    wb["sites"]["B4"] = edits.group(3)
    wb.save(tmp_path / "inputs.xlsx")
    p = planner(["planner", "validate", "inputs.xlsx"], cwd=tmp_path)
    assert p.returncode == 1
    shown = block_after("`planner validate inputs.xlsx` says:")
    assert sorted(p.stderr.strip().splitlines()[1:]) == sorted(shown.splitlines()[1:])
    assert p.stderr.splitlines()[0].endswith(shown.splitlines()[0].removeprefix("error: "))
