"""The type checker: ``mypy`` (strict, configured in pyproject.toml) passes on planner/.

The README's test command is what CI runs, so the type check is a test: it fails on any type
error, with mypy's report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.unit


def test_mypy_strict_passes_on_the_library(tmp_path: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Success: no issues found" in p.stdout
