"""Shared test helpers: the tiny scenario, changing one field of one row, solving with limits."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import planner
from planner.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "tiny"
CHINA = ROOT / "scenarios" / "china"
#: Every solve in tests has a time limit and a gap.
SOLVE = {"time_limit": 60, "mip_gap": 1e-6}


def doc_of(sc: Scenario) -> dict[str, Any]:
    """A scenario as plain, editable data (lists and dicts), ready for ``Scenario.model_validate``."""
    return sc.model_dump(mode="json", by_alias=True, exclude={"source_path", "input_hash"})


def tweak(sc: Scenario, table: str, name: str | None = None, **changes: Any) -> Scenario:
    """A copy of ``sc`` with fields of one row (by name, or every row if ``name`` is None) changed.

    Goes through validation again, so a tweak cannot build an invalid scenario by accident.
    """
    doc = doc_of(sc)
    if table in ("policy", "solver", "network"):
        doc[table] = {**doc[table], **changes}
    else:
        hits = 0
        for row in doc[table]:
            key = row.get("name") or row.get("class")
            if name is None or key == name:
                row.update(changes)
                hits += 1
        assert hits, f"no row '{name}' in {table}"
    return Scenario.model_validate(doc)


def solve(sc: Scenario | Path | str, **kw: Any) -> planner.Results:
    return planner.run(sc, **{**SOLVE, **kw})


@pytest.fixture(scope="session")
def tiny() -> Scenario:
    return planner.load_scenario(TINY)


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    """A writable copy of the tiny scenario folder."""
    dst = tmp_path / "tiny"
    shutil.copytree(TINY, dst)
    return dst
