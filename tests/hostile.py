"""A generator of malformed scenarios and workbooks, by kind (used by tests/test_hostile.py and
benchmarks/hostile_input.py).

Each case is made from the shipped tiny scenario (copied into a folder) by one change: a file
re-encoded, a YAML bomb, a number out of range, a meaning error, a file too large, a workbook
past a limit. ``CASES`` maps a case id to (kind, maker, expected message fragment); a maker
writes the case into a folder and returns the path to hand to ``planner validate``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "tiny"

Maker = Callable[[Path], Path]


def tiny_copy(folder: Path) -> Path:
    """The tiny scenario copied into ``folder/tiny``; returns that folder."""
    dst = folder / "tiny"
    shutil.copytree(TINY, dst)
    return dst


def _edit(folder: Path, name: str, old: str, new: str) -> Path:
    sc = tiny_copy(folder)
    p = sc / name
    text = p.read_text(encoding="utf-8")
    assert old in text, (name, old)
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return sc


def _yaml(folder: Path, text: str) -> Path:
    sc = tiny_copy(folder)
    (sc / "scenario.yaml").write_text(text, encoding="utf-8")
    return sc


def _tiny_yaml() -> str:
    return (TINY / "scenario.yaml").read_text(encoding="utf-8")


# ---- decoding ------------------------------------------------------------------------------------
def latin1_yaml(folder: Path) -> Path:
    sc = tiny_copy(folder)
    (sc / "scenario.yaml").write_bytes(
        _tiny_yaml().replace("description: >", "description: >\n  Pékin,").encode("latin-1")
    )
    return sc


def utf16_csv(folder: Path) -> Path:
    sc = tiny_copy(folder)
    (sc / "sites.csv").write_bytes(
        (TINY / "sites.csv").read_text(encoding="utf-8").encode("utf-16")
    )
    return sc


def gbk_csv(folder: Path) -> Path:
    sc = tiny_copy(folder)
    text = (TINY / "sites.csv").read_text(encoding="utf-8").replace("hand-made example", "庆阳")
    (sc / "sites.csv").write_bytes(text.encode("gbk"))
    return sc


def nul_yaml(folder: Path) -> Path:
    sc = tiny_copy(folder)
    (sc / "scenario.yaml").write_bytes(_tiny_yaml().encode() + b"\x00\x00junk")
    return sc


def symlink_loop(folder: Path) -> Path:
    sc = tiny_copy(folder)
    (sc / "sites.csv").unlink()
    os.symlink("loop_b.csv", sc / "sites.csv")
    os.symlink("sites.csv", sc / "loop_b.csv")
    return sc


def scenario_is_fifo(folder: Path) -> Path:
    sc = tiny_copy(folder)
    (sc / "sites.csv").unlink()
    os.mkfifo(sc / "sites.csv")
    return sc


def table_is_folder(folder: Path) -> Path:
    sc = tiny_copy(folder)
    (sc / "sites.csv").unlink()
    (sc / "sites.csv").mkdir()
    return sc


# ---- expansion and nesting -----------------------------------------------------------------------
def billion_laughs(folder: Path) -> Path:
    """Under 1 KB of YAML whose aliases expand to 10 billion nodes."""
    lines = ["x0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    sc = tiny_copy(folder)
    (sc / "scenario.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sc


def deep_nesting(folder: Path) -> Path:
    return _yaml(folder, _tiny_yaml() + "\nnote: " + "[" * 5000 + "]" * 5000 + "\n")


def deep_block_nesting(folder: Path) -> Path:
    return _yaml(folder, _tiny_yaml() + "\n" + "".join("  " * i + f"k{i}:\n" for i in range(300)))


def many_aliases(folder: Path) -> Path:
    return _yaml(
        folder, _tiny_yaml() + "\nx_anchor: &v 1\nx_list: [" + ", ".join(["*v"] * 5000) + "]\n"
    )


def duplicate_key(folder: Path) -> Path:
    return _yaml(folder, _tiny_yaml().replace("year: 2025", "year: 2025\nyear: 2030", 1))


def not_a_mapping(folder: Path) -> Path:
    return _yaml(folder, "- just\n- a list\n")


def python_tag(folder: Path) -> Path:
    return _yaml(folder, _tiny_yaml() + "\nx: !!python/object/apply:os.system ['true']\n")


# ---- numbers -------------------------------------------------------------------------------------
def inf_yaml(folder: Path) -> Path:
    return _edit(folder, "scenario.yaml", "pflops: 1.0, kw: 100", "pflops: .inf, kw: 100")


def nan_yaml(folder: Path) -> Path:
    return _edit(folder, "scenario.yaml", "capex: 500000", "capex: .nan")


def huge_yaml(folder: Path) -> Path:
    return _edit(folder, "scenario.yaml", "unit_cost: 50000", "unit_cost: 1e400")


def huge_int_yaml(folder: Path) -> Path:
    return _edit(folder, "scenario.yaml", "max_units: 4", "max_units: " + "9" * 500)


def inf_csv(folder: Path) -> Path:
    return _edit(folder, "sites.csv", "site_e,east,1.5,600", "site_e,east,1.5,inf")


def huge_csv(folder: Path) -> Path:
    return _edit(
        folder,
        "sites.csv",
        "site_w,west,1.2,300,0.5,0,0,1500000",
        "site_w,west,1.2,300,0.5,0,0,1e400",
    )


def nan_profile(folder: Path) -> Path:
    return _edit(
        folder, "scenario.yaml", "users: {day: 1.5, night: 0.5}", "users: {day: .nan, night: 0.5}"
    )


def huge_profile(folder: Path) -> Path:
    return _edit(
        folder, "scenario.yaml", "users: {day: 1.5, night: 0.5}", "users: {day: 1e400, night: 0.5}"
    )


# ---- meaning -------------------------------------------------------------------------------------
def overlapping_periods(folder: Path) -> Path:
    return _yaml(
        folder, _tiny_yaml() + "\nperiods:\n  - {year: 2025, years: 5}\n  - {year: 2027}\n"
    )


def same_link_twice(folder: Path) -> Path:
    return _yaml(
        folder,
        _tiny_yaml()
        + "  - {from: west, to: east, distance_km: 900, latency_ms: 9, unit_gbps: 100, unit_cost: 40000, max_units: 2}\n",
    )


# ---- size ----------------------------------------------------------------------------------------
def big_csv(folder: Path, mb: int = 60) -> Path:
    """A sites.csv above the CSV size limit (sparse: costs no disk)."""
    sc = tiny_copy(folder)
    with open(sc / "sites.csv", "r+b") as fh:
        fh.truncate(mb * 1024**2)
    return sc


def big_csv_behind_link(folder: Path) -> Path:
    sc = tiny_copy(folder)
    big = folder / "elsewhere.bin"
    with open(big, "wb") as fh:
        fh.truncate(2 * 1024**3)  # 2 GB, sparse
    (sc / "sites.csv").unlink()
    os.symlink(big, sc / "sites.csv")
    return sc


def many_csv_rows(folder: Path) -> Path:
    """Just under 1 MB of CSV with more rows than a table may have."""
    sc = tiny_copy(folder)
    head = (TINY / "sites.csv").read_text(encoding="utf-8").splitlines()[0]
    with open(sc / "sites.csv", "w", encoding="utf-8") as fh:
        fh.write(head + "\n")
        fh.write("x,e,1,1,1,0,0,0,1,1,\n" * 40_000)
        fh.write("\n" * 100_001)  # blank lines do not count
        fh.write("x\n" * 101_000)
    return sc


def many_unknown_names(folder: Path, n: int = 20_000) -> Path:
    """Under 1 MB: 20,000 regions and 20,000 sites, each site in a region that does not exist
    (20,000 problems, none of them quadratic to find)."""
    sc = tiny_copy(folder)
    with open(sc / "sites.csv", "w", encoding="utf-8") as fh:
        fh.write("name,region,pue,price_mwh,grid_tco2_mwh,max_it_mw\n")
        fh.writelines(f"site{i},rgn{i},1.2,300,0.5,10\n" for i in range(n))
    with open(sc / "regions.csv", "w", encoding="utf-8") as fh:
        fh.write("name\n")
        fh.writelines(f"region{i}\n" for i in range(n))
    text = _tiny_yaml().replace(
        "regions:\n  - {name: east", "regions: regions.csv\nx_old_regions:\n  - {name: east"
    )
    (sc / "scenario.yaml").write_text(text, encoding="utf-8")
    return sc


def huge_cell_csv(folder: Path) -> Path:
    sc = tiny_copy(folder)
    (sc / "sites.csv").write_text('name,region\n"' + "x" * 300_000 + '",east\n', encoding="utf-8")
    return sc


# ---- workbooks -----------------------------------------------------------------------------------
def _workbook_scenario(folder: Path, fill: Callable[[object], None]) -> Path:
    """A YAML scenario whose sites come from inputs.xlsx, a sheet written by ``fill(ws)``."""
    import openpyxl

    sc = tiny_copy(folder)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("sites")
    fill(ws)
    wb.save(sc / "inputs.xlsx")
    text = _tiny_yaml().replace("sites: sites.csv", "sites: inputs.xlsx")
    (sc / "scenario.yaml").write_text(text, encoding="utf-8")
    return sc


def workbook_too_many_rows(folder: Path) -> Path:
    def fill(ws: object) -> None:
        ws.append(["name"])  # type: ignore[attr-defined]
        ws.append([""])  # type: ignore[attr-defined]
        ws.append(["what"])  # type: ignore[attr-defined]
        for i in range(50_010):
            ws.append([f"s{i}"])  # type: ignore[attr-defined]

    return _workbook_scenario(folder, fill)


def workbook_too_many_cells(folder: Path, rows: int = 1_200) -> Path:
    """Small cells under every row and column limit, more of them than a workbook may have (240,000)."""

    def fill(ws: object) -> None:
        for _ in range(rows):
            ws.append([1] * 200)  # type: ignore[attr-defined]

    return _workbook_scenario(folder, fill)


def workbook_not_a_zip(folder: Path) -> Path:
    sc = tiny_copy(folder)
    (sc / "inputs.xlsx").write_bytes(b"\xd0\xcf\x11\xe0 not really an old xls")
    (sc / "scenario.yaml").write_text(
        _tiny_yaml().replace("sites: sites.csv", "sites: inputs.xlsx"), encoding="utf-8"
    )
    return sc


#: case id -> (kind, maker, a fragment the message must contain)
CASES: dict[str, tuple[str, Maker, str]] = {
    "latin1-yaml": ("decoding", latin1_yaml, "is not UTF-8 text: byte 0xE9"),
    "utf16-csv": ("decoding", utf16_csv, "is UTF-16 text"),
    "gbk-csv": ("decoding", gbk_csv, "is not UTF-8 text"),
    "nul-yaml": ("decoding", nul_yaml, "NUL character"),
    "symlink-loop": ("decoding", symlink_loop, "symbolic link that loops"),
    "fifo-table": ("decoding", scenario_is_fifo, "not a regular file"),
    "folder-table": ("decoding", table_is_folder, "is a folder"),
    "billion-laughs": ("expansion", billion_laughs, "once its aliases are replaced"),
    "deep-flow": ("expansion", deep_nesting, "nests mappings and lists too deeply"),
    "deep-block": ("expansion", deep_block_nesting, "levels deep"),
    "many-aliases": ("expansion", many_aliases, "aliases (the limit)"),
    "python-tag": ("expansion", python_tag, "could not determine a constructor"),
    "not-a-mapping": ("meaning", not_a_mapping, "must be a YAML mapping"),
    "duplicate-key": ("meaning", duplicate_key, "key 'year' is given twice"),
    "overlapping-periods": ("meaning", overlapping_periods, "periods may not overlap"),
    "same-link-twice": ("meaning", same_link_twice, "the same link, given the other way round"),
    "inf-yaml": ("numbers", inf_yaml, "pflops: must be a finite number (got inf)"),
    "nan-yaml": ("numbers", nan_yaml, "capex: must be a finite number (got nan)"),
    "1e400-yaml": ("numbers", huge_yaml, "unit_cost: must be a finite number (got 1e400)"),
    "huge-int-yaml": ("numbers", huge_int_yaml, "max_units: is too large"),
    "inf-csv": ("numbers", inf_csv, "price_mwh: must be a finite number (got inf)"),
    "1e400-csv": ("numbers", huge_csv, "open_cost: must be a finite number (got 1e400)"),
    "nan-profile": ("numbers", nan_profile, "users › day: must be a finite number"),
    "1e400-profile": ("numbers", huge_profile, "users › day: must be a finite number"),
    "big-csv": ("size", big_csv, "is too large"),
    "big-csv-behind-link": ("size", big_csv_behind_link, "is too large"),
    "many-csv-rows": ("size", many_csv_rows, "rows (the limit for one table)"),
    "huge-cell-csv": ("size", huge_cell_csv, "field larger than field limit"),
    "many-unknown-names": (
        "size",
        many_unknown_names,
        "sites › row 20000 (line 20001) › region: unknown region 'rgn19999'",
    ),
    "workbook-rows": ("workbooks", workbook_too_many_rows, "has more than 50,000 rows"),
    "workbook-cells": ("workbooks", workbook_too_many_cells, "cells (the limit)"),
    "workbook-not-zip": ("workbooks", workbook_not_a_zip, "old .xls file"),
}
