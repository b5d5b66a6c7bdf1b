"""Input workbooks: the template from the schema, strict and kind reading, the round trip, the CLI."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import openpyxl.xml
import pytest

import planner
from planner.errors import ScenarioError
from planner.scenario import read_workbook as wbread
from planner.scenario.checks import REFS
from planner.scenario.schema import BLOCKS, TABLES
from planner.scenario.workbook_layout import FIRST_DATA_ROW, scalar_columns, table_columns
from planner.workbook import write_template

from .conftest import CHINA, TINY, doc_of, solve

pytestmark = pytest.mark.unit


# ---- helpers ------------------------------------------------------------------------------------
def _col(ws, name: str) -> str:
    """The column letter of header ``name`` on a table sheet."""
    for c in ws[1]:
        if c.value == name:
            return c.column_letter
    raise KeyError(name)


def broken(
    tmp_path: Path, edit: Callable[[openpyxl.Workbook], None], name: str = "inputs.xlsx"
) -> list[str]:
    """Write the template, apply ``edit``, save, load: the problems as strings (none: [])."""
    path = tmp_path / name
    write_template(path)
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    try:
        planner.load_scenario(path)
    except ScenarioError as err:
        return [str(p) for p in err.problems]
    return []


def set_cell(sheet: str, field: str, row: int, value) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb: openpyxl.Workbook) -> None:
        ws = wb[sheet]
        ws[f"{_col(ws, field)}{row}"] = value

    return edit


def scalar_row(wb: openpyxl.Workbook, key: str) -> int:
    ws = wb["scenario"]
    return next(c.row for c in ws["A"] if c.value == key)


# ---- the template -------------------------------------------------------------------------------
def test_template_has_every_field_with_unit_description_and_validation(tmp_path):
    path = write_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["README", "scenario"]
    assert set(TABLES) | {"profiles"} <= set(wb.sheetnames)
    assert "planner run" in " ".join(str(c.value) for c in wb["README"]["A"] if c.value)
    for table in TABLES:
        ws = wb[table]
        cols = table_columns(table)
        assert [c.value for c in ws[1]][: len(cols)] == [c.key for c in cols]
        validated: dict[str, str] = {}
        for dv in ws.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                validated[openpyxl.utils.get_column_letter(rng.min_col)] = dv.formula1 or dv.type
        for j, c in enumerate(cols, start=1):
            letter = openpyxl.utils.get_column_letter(j)
            assert (ws.cell(2, j).value or "") == c.unit, (table, c.key)
            assert ws.cell(3, j).value and ws.cell(1, j).comment is not None, (table, c.key)
            if c.unit:
                assert c.unit in ws.cell(1, j).comment.text
            if c.ref:  # a drop-down of the names on the referenced sheet
                assert f"'{c.ref}'!$A$4" in validated[letter], (table, c.key)
            if c.kind == "bool":
                assert validated[letter] == '"yes,no"', (table, c.key)
            if c.kind in ("number", "int") and c.bounds:
                assert letter in validated, (table, c.key)
    # every reference of the cross-table checks gets a drop-down
    for (t, f), _ in REFS.items():
        assert next(c for c in table_columns(t) if c.key == f).ref
    # the scenario sheet: every top-level field and every field of every option block (policy too)
    keys = [c.value for c in wb["scenario"]["A"][1:]]
    for b, model in BLOCKS.items():
        for f in model.model_fields:
            if f not in ("source", "note"):
                assert f"{b}.{f}" in keys
    assert [c.key for c in scalar_columns()] == keys
    bounds = wb["scenario"].data_validations.dataValidation
    assert any(str(dv.sqref) == f"B{keys.index('discount_rate') + 2}" for dv in bounds)
    # the demand sheet's class column lists the job classes
    dvs = {
        str(dv.sqref).split(":")[0]: dv.formula1
        for dv in wb["demand"].data_validations.dataValidation
    }
    assert dvs[f"A{FIRST_DATA_ROW}"].startswith("'job_classes'!$A$4:$A$")


def test_template_examples_are_a_valid_scenario(tmp_path):
    sc = planner.load_scenario(write_template(tmp_path / "t.xlsx"))
    assert (
        sc.name == "example"
        and len(sc.sites) == 2
        and sc.profiles == {"users": {"day": 1.5, "night": 0.5}}
    )
    assert sc.place("sites", 1) == "t.xlsx › sites › row 5"


def test_template_picks_up_a_new_policy_field(monkeypatch, tmp_path):
    """The template is generated from the schema: a field added to a block appears with its unit."""
    from pydantic import create_model

    from planner.scenario import schema
    from planner.scenario.schema import F, Policy

    NewPolicy = create_model(
        "NewPolicy",
        __base__=Policy,
        water_cap=(float | None, F(None, unit="m3/yr", desc="most water", ge=0)),
    )
    monkeypatch.setitem(schema.BLOCKS, "policy", NewPolicy)
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    row = scalar_row(wb, "policy.water_cap")
    assert (
        wb["scenario"][f"C{row}"].value == "m3/yr"
        and "most water" in wb["scenario"][f"D{row}"].value
    )


# ---- broken workbooks, each with its message ---------------------------------------------------
def test_bound_names_the_cell(tmp_path):
    assert broken(tmp_path, set_cell("sites", "pue", 5, 0.9)) == [
        "inputs.xlsx › sites › C5 (pue): must be ≥ 1.0 (got 0.9)"
    ]


def test_every_problem_in_one_message(tmp_path):
    def edit(wb):
        set_cell("sites", "pue", 5, 0.9)(wb)
        set_cell("sites", "region", 4, "wets")(wb)
        set_cell("hardware", "kw", 4, "lots")(wb)
        set_cell("demand", "class", 5, "trainng")(wb)
        set_cell("links", "max_units", 4, 2.5)(wb)
        set_cell("job_classes", "shiftable", 5, "maybe")(wb)
        wb["scenario"][f"B{scalar_row(wb, 'policy.carbon_price')}"] = -5
        wb["scenario"][f"B{scalar_row(wb, 'discount_rate')}"] = 1.5

    problems = broken(tmp_path, edit)
    assert {
        "inputs.xlsx › sites › C5 (pue): must be ≥ 1.0 (got 0.9)",
        "inputs.xlsx › sites › B4 (region): unknown region 'wets' — did you mean 'west'?",
        "inputs.xlsx › hardware › C4 (kw): must be a number (got 'lots')",
        "inputs.xlsx › demand › A5 (class): unknown job class 'trainng' — did you mean 'training'?",
        "inputs.xlsx › links › I4 (max_units): must be a whole number (got 2.5)",
        "inputs.xlsx › job_classes › F5 (shiftable): must be yes/no (true/false) (got 'maybe')",
    } <= set(problems), problems
    assert any(
        re.fullmatch(
            r"inputs\.xlsx › scenario › B\d+ \(policy\.carbon_price\): must be ≥ 0(\.0)? \(got -5\)",
            p,
        )
        for p in problems
    ), problems
    assert any(
        re.fullmatch(
            r"inputs\.xlsx › scenario › B\d+ \(discount_rate\): must be < 1(\.0)? \(got 1\.5\)", p
        )
        for p in problems
    ), problems
    assert len(problems) == 8


def test_missing_sheet(tmp_path):
    def edit(wb):
        wb["sites"].title = "site"

    problems = broken(tmp_path, edit)
    assert (
        problems[0]
        == "inputs.xlsx › sites: sheet 'sites' not found in inputs.xlsx — did you mean 'site'?"
    )
    assert "table is required" not in str(problems)


def test_missing_optional_sheet_is_an_empty_table(tmp_path):
    def edit(wb):
        del wb["latency"]
        del wb["serving_costs"]

    assert broken(tmp_path, edit) == []


def test_unknown_and_missing_columns_are_said_once(tmp_path):
    def edit(wb):
        ws = wb["sites"]
        ws[f"{_col(ws, 'pue')}1"] = "peu"

    assert set(broken(tmp_path, edit)) == {
        "inputs.xlsx › sites: required column 'pue' is missing (row 1 names the columns)",
        "inputs.xlsx › sites › C1: unknown column 'peu' — did you mean 'pue'?",
    }


def test_merged_header_cells(tmp_path):
    def edit(wb):
        wb["sites"].merge_cells("C1:D1")

    problems = broken(tmp_path, edit)
    assert (
        "inputs.xlsx › sites › C1:D1: header cells C1:D1 are merged: unmerge them and give each column its own name in row 1"
        in problems
    )


def test_merged_data_cells_down_a_column_are_filled(tmp_path):
    def edit(wb):
        ws = wb["demand"]
        ws["B5"] = None
        ws.merge_cells("B4:B5")  # region 'east' for both demand rows

    assert broken(tmp_path, edit) == []


def test_excel_habits_are_handled(tmp_path):
    """Text numbers, thousands separators, stray spaces, empty rows in and after the data,
    a date where a year was meant, TRUE/FALSE and yes/no, numbers as names."""
    path = tmp_path / "inputs.xlsx"
    write_template(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["sites"]
    ws[f"{_col(ws, 'pue')}4"] = "1.5 "
    ws[f"{_col(ws, 'open_cost')}5"] = "1,500,000"
    ws[f"{_col(ws, 'name')}5"] = "  site_w  "
    ws.insert_rows(5)  # an empty row between rows
    for r in range(8, 40):
        ws[f"A{r}"] = "   "  # blank-looking trailing rows
    wb["scenario"][f"B{scalar_row(wb, 'year')}"] = dt.datetime(2026, 1, 1)
    hw = wb["hardware"]
    hw[f"{_col(hw, 'domestic')}4"] = True
    hw[f"{_col(hw, 'available_from')}4"] = dt.datetime(1905, 7, 17)  # 2025 shown as a date
    jc = wb["job_classes"]
    jc[f"{_col(jc, 'name')}4"] = 7  # a class named by a number
    wb["demand"]["A4"] = 7
    wb.save(path)
    sc = planner.load_scenario(path)
    site_w = next(s for s in sc.sites if s.name == "site_w")
    assert sc.sites[0].pue == 1.5 and site_w.open_cost == 1_500_000
    assert (
        sc.year == 2026
        and sc.hardware[0].available_from == 2025
        and sc.hardware[0].domestic is True
    )
    assert sc.job_classes[0].name == "7" and sc.demand[0].job_class == "7"
    assert sc.place("sites", 1) == "inputs.xlsx › sites › row 6"


def test_date_in_a_number_column(tmp_path):
    assert broken(tmp_path, set_cell("sites", "max_it_mw", 4, dt.datetime(2025, 3, 1))) == [
        "inputs.xlsx › sites › J4 (max_it_mw): must be a number (got '2025-03-01 (a date)')"
    ]


def _patch_sheet_xml(path: Path, sheet_index: int, old: str, new: str) -> None:
    """Replace text in one sheet's XML (to give a formula a cached value, as Excel would)."""
    src = path.read_bytes()
    out = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == f"xl/worksheets/sheet{sheet_index}.xml":
                text = data.decode()
                assert old in text, text[:500]
                data = text.replace(old, new).encode()
            zout.writestr(item, data)
    out.replace(path)
    assert path.read_bytes() != src


def test_formulas_read_their_cached_value_or_say_there_is_none(tmp_path):
    path = tmp_path / "inputs.xlsx"
    write_template(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["sites"]
    ws["C4"] = "=1+0.5"  # pue of site_e, with a value saved (patched in below)
    ws["C5"] = "=A1*2"  # pue of site_w, never calculated
    idx = wb.sheetnames.index("sites") + 1
    wb.save(path)
    _patch_sheet_xml(path, idx, "<f>1+0.5</f><v /></c>", "<f>1+0.5</f><v>1.5</v></c>")
    with pytest.raises(ScenarioError) as err:
        planner.load_scenario(path)
    assert [str(p) for p in err.value.problems] == [
        "inputs.xlsx › sites › C5: formula '=A1*2' has no saved value: open and save the workbook in Excel or "
        "LibreOffice so its result is stored, or type the value"
    ]
    _patch_sheet_xml(path, idx, "<f>A1*2</f><v /></c>", "<f>A1*2</f><v>1.2</v></c>")
    sc = planner.load_scenario(path)
    assert [s.pue for s in sc.sites] == [1.5, 1.2]


def test_changed_unit_is_refused(tmp_path):
    assert broken(tmp_path, set_cell("sites", "max_it_mw", 2, "kW")) == [
        "inputs.xlsx › sites › J2: row 2 holds the units and says 'kW', but max_it_mw is in MW: give the values in "
        "MW and keep row 2 as it was"
    ]


def test_excel_error_value(tmp_path):
    path = tmp_path / "inputs.xlsx"
    write_template(path)
    wb = openpyxl.load_workbook(path)
    wb["sites"]["C4"] = "=1/0"
    idx = wb.sheetnames.index("sites") + 1
    wb.save(path)
    _patch_sheet_xml(
        path, idx, '<c r="C4"><f>1/0</f><v /></c>', '<c r="C4" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
    )
    text = path.read_bytes()
    assert text
    with pytest.raises(ScenarioError) as err:
        planner.load_scenario(path)
    assert any(str(p).startswith("inputs.xlsx › sites › C4") for p in err.value.problems), (
        err.value.problems
    )


def test_not_a_workbook(tmp_path):
    p = tmp_path / "inputs.xlsx"
    p.write_text("name,region\n")
    with pytest.raises(ScenarioError, match="inputs.xlsx: is not an Excel .xlsx workbook"):
        planner.load_scenario(p)


# ---- untrusted workbooks -----------------------------------------------------------------------
def test_defusedxml_is_used():
    assert openpyxl.xml.DEFUSEDXML


def test_external_entities_are_refused(tmp_path):
    path = tmp_path / "inputs.xlsx"
    write_template(path)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    src = path.with_suffix(".src")
    path.replace(src)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                text = data.decode()
                decl, sep, rest = text.partition("?>")
                if not sep:
                    decl, rest = "", text
                doctype = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
                rest = rest.replace('name="README"', 'name="&xxe;"')
                data = (decl + sep + doctype + rest).encode()
            zout.writestr(item, data)
    with pytest.raises(ScenarioError) as err:
        planner.load_scenario(path)
    msg = str(err.value)
    assert (
        "inputs.xlsx: was refused: it declares XML entities or a DTD" in msg
        and "TOP SECRET" not in msg
    )


def test_size_limits(tmp_path, monkeypatch):
    monkeypatch.setattr(wbread, "MAX_CELL_CHARS", 100)
    assert broken(tmp_path, set_cell("sites", "source", 4, "x" * 120)) == [
        "inputs.xlsx › sites › "
        + "{}4: holds 120 characters (at most 100)".format(
            openpyxl.utils.get_column_letter(len(table_columns("sites")) - 1)
        )
    ]
    monkeypatch.setattr(wbread, "MAX_ROWS", 3)

    def many(wb):
        for r in range(4, 12):
            wb["time_slices"][f"A{r}"] = f"s{r}"

    problems = broken(tmp_path, many)
    assert (
        problems[0] == "inputs.xlsx › time_slices: has more than 3 rows (the limit for one table)"
    )
    assert not any("scenario" in p for p in problems)
    monkeypatch.setattr(wbread, "MAX_FILE_BYTES", 1000)
    assert broken(tmp_path, lambda wb: None)[0].startswith("inputs.xlsx: is too large")


# ---- a YAML scenario taking tables from a workbook ---------------------------------------------
def test_yaml_takes_tables_from_a_workbook(tmp_path, tiny_copy):
    sc = planner.load_scenario(tiny_copy)
    write_template(tiny_copy / "inputs.xlsx", sc)
    text = (tiny_copy / "scenario.yaml").read_text()
    text = text.replace("sites: sites.csv", "sites: inputs.xlsx").replace(
        "links:\n  - {from: east, to: west, distance_km: 1000, latency_ms: 10, unit_gbps: 100, unit_cost: 50000, max_units: 4}",
        "links: {file: inputs.xlsx, sheet: links}",
    )
    (tiny_copy / "scenario.yaml").write_text(text)
    (tiny_copy / "sites.csv").unlink()
    sc2 = planner.load_scenario(tiny_copy)
    assert doc_of(sc2) == doc_of(sc)
    assert sc2.place("sites", 1) == "inputs.xlsx › sites › row 5"
    assert sc2.input_hash != sc.input_hash
    wb = openpyxl.load_workbook(tiny_copy / "inputs.xlsx")
    wb["sites"]["C5"] = 0.9
    wb.save(tiny_copy / "inputs.xlsx")
    with pytest.raises(ScenarioError) as err:
        planner.load_scenario(tiny_copy)
    assert [str(p) for p in err.value.problems] == [
        "inputs.xlsx › sites › C5 (pue): must be ≥ 1.0 (got 0.9)"
    ]


def test_input_hash_covers_the_workbook(tmp_path):
    path = write_template(tmp_path / "inputs.xlsx")
    h1 = planner.load_scenario(path).input_hash
    wb = openpyxl.load_workbook(path)
    wb["sites"]["C4"] = 1.6
    wb.save(path)
    assert planner.load_scenario(path).input_hash != h1


# ---- formula injection --------------------------------------------------------------------------
def test_user_strings_are_written_as_text_in_the_template(tmp_path, tiny):
    from .conftest import tweak

    sc = tweak(tiny, "sites", "site_e", source='=HYPERLINK("http://x")', note="@SUM(A1)")
    path = write_template(tmp_path / "t.xlsx", sc)
    wb = openpyxl.load_workbook(path)
    ws = wb["sites"]
    cell = ws[f"{_col(ws, 'source')}4"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    assert planner.load_scenario(path).sites[0].source == sc.sites[0].source


# ---- the round trip -----------------------------------------------------------------------------
@pytest.mark.solve
def test_round_trip_tiny(tmp_path, tiny):
    path = write_template(tmp_path / "tiny.xlsx", tiny)
    back = planner.load_scenario(path)
    assert doc_of(back) == doc_of(tiny)
    a, b = solve(tiny), solve(back)
    assert a.outcome.status == b.outcome.status == "optimal"
    assert b.outcome.objective == pytest.approx(a.outcome.objective, rel=1e-9)
    assert a.outcome.objective == pytest.approx(4_061_280, rel=1e-6)


@pytest.mark.slow
def test_round_trip_china(tmp_path):
    china = planner.load_scenario(CHINA)
    path = write_template(tmp_path / "china.xlsx", china)
    back = planner.load_scenario(path)
    assert doc_of(back) == doc_of(china)
    # The scenarios are equal as data (above). That a workbook also plans the same is checked on
    # China's one-demand variant through a workbook of its own: it solves in seconds, not a minute
    # (a workbook holds the scenario with its variants applied, not the variants themselves).
    one = planner.load_scenario(CHINA, variants=["one_future"])
    one_back = planner.load_scenario(write_template(tmp_path / "one.xlsx", one))
    assert doc_of(one_back) == doc_of(one)
    a = solve(one, time_limit=300, mip_gap=0.01)
    b = solve(one_back, time_limit=300, mip_gap=0.01)
    assert a.outcome.status == b.outcome.status == "optimal"
    assert b.outcome.objective == pytest.approx(a.outcome.objective, rel=1e-6)


# ---- the command line ---------------------------------------------------------------------------
def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


@pytest.mark.solve
def test_cli_template_validate_run(tmp_path):
    r = _cli("template", "inputs.xlsx", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = _cli("validate", "inputs.xlsx", cwd=tmp_path)
    assert r.returncode == 0 and "valid" in r.stdout, r.stderr
    r = _cli("template", "tiny.xlsx", "--from", str(TINY), cwd=tmp_path)
    assert r.returncode == 0 and "scenario 'tiny'" in r.stdout, r.stderr
    r = _cli("run", "tiny.xlsx", "--out", "plan.xlsx", "--lang", "zh", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "objective    4,061,280" in r.stdout and (tmp_path / "plan.xlsx").is_file()
    wb = openpyxl.load_workbook(tmp_path / "tiny.xlsx")
    wb["sites"]["C5"] = 0.9
    wb.save(tmp_path / "tiny.xlsx")
    r = _cli("validate", "tiny.xlsx", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "tiny.xlsx › sites › C5 (pue): must be ≥ 1.0 (got 0.9)" in r.stderr
    r = _cli("template", "out.csv", cwd=tmp_path)
    assert r.returncode == 1 and "must end in .xlsx" in r.stderr
