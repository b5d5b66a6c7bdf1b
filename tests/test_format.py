"""The code is laid out by ``ruff format`` (configured in pyproject.toml): ``--check`` changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.unit


def test_ruff_format_check_passes() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "planner", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, "run `ruff format planner tests benchmarks`:\n" + p.stdout + p.stderr
