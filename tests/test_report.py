"""The Excel report: real files written by ``write_excel`` and read back with openpyxl and pandas."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import AreaChart, BarChart

import planner
from planner.report import excel, sheets, style
from planner.report.i18n import term
from planner.results import Results

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "tiny"
CHINA = ROOT / "scenarios" / "china"

FIXED = [
    "Summary",
    "Map",
    "Sites",
    "Hardware mix",
    "Links",
    "Placement",
    "Price of compute",
    "Unserved",
    "Load profiles",
    "Costs",
    "Metadata",
]
#: china also has the scorecard (its targets table) and hub and province balances (hub: tags, provinces)
CHINA_SHEETS = [
    "Summary",
    "Scorecard",
    "Map",
    "Sites",
    "Hardware mix",
    "Links",
    "Placement",
    "Hub balance",
    "Province balance",
    "Price of compute",
    "Unserved",
    "Load profiles",
    "Costs",
]
INJECTIONS = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
]


@pytest.fixture(scope="module")
def res() -> Results:
    return planner.run(TINY, time_limit=60, mip_gap=1e-6)


@pytest.fixture(scope="module")
def report(res: Results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planner.write_excel(res, tmp_path_factory.mktemp("report") / "tiny.xlsx")


@pytest.fixture(scope="module")
def wb(report: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(report)


def copy_of(res: Results, **tables: pd.DataFrame) -> Results:
    """A deep-enough copy of ``res`` (metadata and inputs copied) with some tables replaced."""
    return dataclasses.replace(
        res,
        metadata=dict(res.metadata),
        inputs={k: v.copy() for k, v in res.inputs.items()},
        **tables,
    )


def header(ws, row: int = 1) -> list:
    return [c.value for c in ws[row] if c.value is not None]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ---- sheet plan, headers, formats --------------------------------------------------------------
@pytest.mark.solve
def test_every_sheet_in_plan_order(wb, res):
    assert wb.sheetnames == FIXED + [f"In_{name}" for name in res.inputs]
    assert all(len(name) <= 31 for name in wb.sheetnames)


@pytest.mark.solve
@pytest.mark.parametrize(
    "sheet, table",
    [
        ("Sites", "sites"),
        ("Hardware mix", "hardware"),
        ("Links", "links"),
        ("Placement", "placement"),
        ("Unserved", "unserved"),
        ("Load profiles", "profiles"),
        ("Costs", "costs"),
    ],
)
def test_headers_are_the_results_columns_with_units(wb, res, sheet, table):
    cols = list(getattr(res, table).columns)
    assert header(wb[sheet])[: len(cols)] == cols


@pytest.mark.solve
def test_every_sheet_has_frozen_header_and_a_table(wb):
    names = []
    for ws in wb:
        assert ws.freeze_panes or ws.title == "Map", ws.title
        names += list(ws.tables)
        if ws.title not in (
            "Unserved",
            "Map",
        ):  # Unserved: empty in the tiny plan (a note); Map: an image
            assert ws.tables, ws.title
    assert len(names) == len({n.lower() for n in names})
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) for n in names)


@pytest.mark.solve
def test_number_formats_follow_units(wb, res):
    ws = wb["Sites"]
    for name in ("PFLOPS", "IT MW", "energy MWh/yr", "carbon tCO2/yr", "energy cost CNY/yr"):
        assert name in header(ws)
    cols = {c.value: c.column for c in ws[1]}
    fmt = {name: ws.cell(row=2, column=cols[name]).number_format for name in cols}
    assert fmt["PFLOPS"] == "#,##0.00"
    assert fmt["avg utilisation"] == "0.0%"
    assert fmt["energy cost CNY/yr"] == "#,##0"
    assert fmt["energy MWh/yr"] == "#,##0"
    assert ws.cell(row=2, column=cols["open"]).value == (
        "yes" if res.sites["open"].iloc[0] else "no"
    )  # words, not 0/1
    assert ws.column_dimensions["A"].width >= len("site")


# ---- values ------------------------------------------------------------------------------------
@pytest.mark.solve
def test_sites_and_hardware_read_back_with_pandas(report, res):
    sites = pd.read_excel(report, sheet_name="Sites")
    pd.testing.assert_series_equal(sites["PFLOPS"], res.sites["PFLOPS"], check_dtype=False)
    assert sites["site"].tolist() == res.sites["site"].tolist()
    assert sites["open"].tolist() == ["yes" if v else "no" for v in res.sites["open"]]
    hw = pd.read_excel(report, sheet_name="Hardware mix", usecols=range(len(res.hardware.columns)))
    expected = res.hardware.assign(
        domestic=["yes" if v else "no" for v in res.hardware["domestic"]]
    )
    pd.testing.assert_frame_equal(hw, expected, check_dtype=False, check_exact=False, rtol=1e-12)
    prof = pd.read_excel(
        report, sheet_name="Load profiles", usecols=range(len(res.profiles.columns))
    )
    pd.testing.assert_frame_equal(
        prof, res.profiles, check_dtype=False, check_exact=False, rtol=1e-12
    )


@pytest.mark.solve
def test_costs_reconcile_to_the_objective(report, wb, res):
    n = len(res.costs)
    costs = pd.read_excel(report, sheet_name="Costs", nrows=n)
    assert costs["term"].tolist() == [
        term(t, "en") for t in res.costs["term"]
    ]  # words, not code names
    assert (
        "capex_hardware" not in costs["term"].tolist()
        and term("capex_hardware", "en") in costs["term"].tolist()
    )
    pd.testing.assert_series_equal(
        costs["CNY/yr"], res.costs["CNY/yr"], check_dtype=False, check_exact=False, rtol=1e-12
    )
    objective = res.outcome.objective
    assert math.isclose(costs["CNY/yr"].sum(), objective, rel_tol=1e-6)
    ws = wb["Costs"]
    assert ws.cell(row=n + 2, column=1).value == "total"
    assert ws.cell(row=n + 2, column=2).data_type == "n"  # a number a reader sees, not a formula
    assert math.isclose(ws.cell(row=n + 2, column=2).value, objective, rel_tol=1e-6)
    # the objective terms with weights, under the costs, end with a total equal to the objective
    rows = list(ws.iter_rows(min_row=n + 3, values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "term")
    assert rows[head][:5] == ("term", "value", "unit", "weight", "contribution (objective units)")
    body = rows[head + 1 : head + 1 + len(res.objective)]
    assert [r[0] for r in body] == [term(t, "en") for t in res.objective["term"]]
    assert [r[3] for r in body] == res.objective["weight"].tolist()
    total = rows[head + 1 + len(res.objective)]
    assert total[0].startswith("objective") and math.isclose(total[4], objective, rel_tol=1e-6)


@pytest.mark.solve
def test_summary_title_status_and_kpis(wb, res):
    ws = wb["Summary"]
    assert res.metadata["scenario"] in ws["A1"].value
    assert ws["A3"].value.startswith("Status: optimal")
    head = int(ws.freeze_panes[1:]) - 1
    assert header(ws, head) == ["kpi", "value", "unit"]
    kpis = {r[0]: r[1] for r in ws.iter_rows(min_row=head + 1, max_col=2, values_only=True) if r[0]}
    assert kpis["status"] == res.kpi("status")
    for name in (
        "total cost",
        "PFLOPS installed",
        "IT MW installed",
        "energy",
        "carbon",
        "green share",
        "average utilisation",
        "unserved demand",
        "MIP gap",
        "solve time",
        "CPU time",
    ):
        assert math.isclose(kpis[term(name, "en")], res.kpi(name), rel_tol=1e-9, abs_tol=1e-12), (
            name
        )
    # the solve time is the whole solver stage (never HiGHS's branch and bound alone, which may be 0 s)
    o = res.outcome
    assert res.kpi("solve time") == o.stage_s >= o.compile_s + o.mip_start_s + o.solve_s > 0
    units = {
        r[0]: r[2] for r in ws.iter_rows(min_row=head + 1, max_col=3, values_only=True) if r[0]
    }
    assert (
        units["objective"] == units[term("best bound", "en")] == "CNY/yr"
    )  # the objective's unit, not "objective units"
    fmts = {
        r[0].value: r[1].number_format
        for r in ws.iter_rows(min_row=head + 1, max_col=2)
        if r[0].value
    }
    assert (
        fmts["total cost"] == "#,##0"
        and fmts["green share"] == "0.0%"
        and fmts["PFLOPS installed"] == "#,##0.00"
    )


@pytest.mark.solve
def test_metadata_key_values(report, res):
    md = pd.read_excel(report, sheet_name="Metadata")
    assert md["key"].tolist() == [
        term(k, "en") for k in (*res.metadata, "money unit", "solver dust threshold")
    ]
    got = dict(zip(md["key"], md["value"]))
    for key in (
        "scenario",
        "input hash (SHA-256)",
        "solver",
        "solver version",
        "planner version",
        "created (UTC)",
    ):
        assert str(got[key]) == str(res.metadata[key]), key


@pytest.mark.solve
def test_inputs_echoed(report, res):
    for name, df in res.inputs.items():
        back = pd.read_excel(report, sheet_name=f"In_{name}")
        assert sorted(back.columns) == sorted(df.columns), name
        assert back.columns[-1] == "source" or "source" not in df.columns  # free text last
        expected = df.replace("", np.nan)  # an empty string is an empty cell
        pd.testing.assert_frame_equal(
            back[df.columns], expected, check_dtype=False, check_exact=False, rtol=1e-12
        )


# ---- charts ------------------------------------------------------------------------------------
@pytest.mark.solve
def test_charts(wb, res):
    assert len(wb["Summary"]._charts) == 2
    assert [type(c) for c in wb["Sites"]._charts] == [BarChart]
    assert [type(c) for c in wb["Hardware mix"]._charts] == [BarChart]
    assert [type(c) for c in wb["Costs"]._charts] == [BarChart]
    (area,) = wb["Load profiles"]._charts
    assert isinstance(area, AreaChart) and area.grouping == "stacked"
    ref = area.series[0].val.numRef.f  # the wide helper table: slice × (class…, idle)
    assert ref.startswith("'Load profiles'!")
    for chart in wb["Sites"]._charts + wb["Summary"]._charts[:1]:
        assert chart.series[0].val.numRef.f.startswith("'Sites'!")


@pytest.mark.solve
def test_load_chart_stacks_classes_and_idle_by_hand(res, report):
    """tiny's optimum (tests/test_tiny.py): east 3 modules, west 3. By day inference takes east's
    3 PFLOPS and training west's 3; at night inference 1, training 5 (east's spare 2 + west's 3).
    Both slices run full: no idle capacity. The chart's data is read back from the sheet."""
    prof = pd.read_excel(report, sheet_name="Load profiles")
    first = list(prof.columns).index("slice.1")  # the helper table right of the long table
    helper = prof.iloc[:, first:].dropna(how="all").set_index("slice.1")
    assert list(helper.columns) == [
        "inference load PFLOPS",
        "training load PFLOPS",
        "idle capacity PFLOPS",
    ]
    assert helper.loc["day"].tolist() == pytest.approx([3.0, 3.0, 0.0])
    assert helper.loc["night"].tolist() == pytest.approx([1.0, 5.0, 0.0])
    # each class's column in the long table adds up to the site's load
    classes = [c for c in res.profiles.columns if c.startswith("load PFLOPS: ")]
    assert classes == ["load PFLOPS: inference", "load PFLOPS: training"]
    assert res.profiles[classes].sum(axis=1).tolist() == pytest.approx(
        res.profiles["load PFLOPS"].tolist()
    )
    (area,) = openpyxl.load_workbook(report)["Load profiles"]._charts
    assert len(area.series) == 3  # two classes and the idle capacity
    assert area.series[-1].graphicalProperties.line.prstDash == "dash"  # idle: pale, dashed


# ---- safety ------------------------------------------------------------------------------------
@pytest.mark.solve
def test_user_strings_are_text_not_formulas(res, tmp_path):
    bad = copy_of(res)
    bad.metadata["description"] = INJECTIONS[0]
    sites_in = bad.inputs["sites"]
    sites_in["tags"] = sites_in["tags"].astype(object)
    for i, text in enumerate(INJECTIONS[: len(sites_in)]):
        sites_in.loc[i, "tags"] = text
    bad.inputs["regions"].loc[0, "tags"] = INJECTIONS[3]
    out = planner.write_excel(bad, tmp_path / "bad.xlsx")
    book = openpyxl.load_workbook(out)
    cells = [book["Summary"]["A2"]]
    md = book["Metadata"]
    cells += [
        md.cell(row=r, column=2)
        for r in range(2, md.max_row + 1)
        if md.cell(row=r, column=1).value == "description"
    ]
    col = header(book["In_sites"]).index("tags") + 1
    cells += [book["In_sites"].cell(row=r, column=col) for r in range(2, 2 + len(sites_in))]
    col = header(book["In_regions"]).index("tags") + 1
    cells.append(book["In_regions"].cell(row=2, column=col))
    assert len(cells) == 2 + len(sites_in) + 1
    for cell in cells:
        assert cell.data_type == "s", cell.coordinate
        assert cell.value in INJECTIONS, cell.value
    assert not any(c.data_type == "f" for ws in book for row in ws.iter_rows() for c in row)
    back = pd.read_excel(out, sheet_name="In_sites")
    assert back["tags"].tolist() == sites_in["tags"].tolist()


@pytest.mark.solve
def test_failure_midway_leaves_nothing(res, tmp_path, monkeypatch):
    def boom(ctx):
        raise RuntimeError("sheet writer failed")

    monkeypatch.setattr(sheets, "write_links", boom)
    target = tmp_path / "r.xlsx"
    with pytest.raises(RuntimeError, match="sheet writer failed"):
        planner.write_excel(res, target)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.solve
def test_failure_while_saving_keeps_the_previous_report(res, tmp_path, monkeypatch):
    target = planner.write_excel(res, tmp_path / "r.xlsx")
    before = target.read_bytes()

    def half_save(self, fh):
        fh.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", half_save)
    with pytest.raises(OSError, match="disk full"):
        planner.write_excel(res, target)
    assert target.read_bytes() == before
    assert leftovers(tmp_path) == [] and [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]


@pytest.mark.solve
def test_writing_over_a_report_replaces_it(res, tmp_path):
    target = tmp_path / "sub" / "r.xlsx"  # missing folder is created
    planner.write_excel(res, target)
    other = copy_of(res)
    other.metadata["scenario"] = "second run"
    assert planner.write_excel(other, target) == target
    assert openpyxl.load_workbook(target)["Summary"]["A1"].value.endswith("second run")
    assert leftovers(target.parent) == []


@pytest.mark.solve
def test_unknown_language_is_refused(res, tmp_path):
    with pytest.raises(ValueError, match="language"):
        planner.write_excel(res, tmp_path / "r.xlsx", lang="xx")
    assert list(tmp_path.iterdir()) == []


# ---- edge cases --------------------------------------------------------------------------------
@pytest.mark.solve
def test_empty_tables_get_a_note_and_no_chart(res, tmp_path):
    empty = copy_of(
        res,
        links=res.links.iloc[0:0],
        hardware=res.hardware.iloc[0:0],
        profiles=res.profiles.iloc[0:0],
        unserved=res.unserved.iloc[0:0],
    )
    book = openpyxl.load_workbook(planner.write_excel(empty, tmp_path / "e.xlsx"))
    for sheet, table in (
        ("Links", res.links),
        ("Hardware mix", res.hardware),
        ("Load profiles", res.profiles),
        ("Unserved", res.unserved),
    ):
        ws = book[sheet]
        assert header(ws) == list(table.columns), sheet
        assert ws["A2"].value.startswith("none"), sheet
        assert not ws._charts and not ws.tables, sheet
        assert ws.freeze_panes == "A2"


@pytest.mark.solve
def test_stopped_plan_is_clearly_marked(res, tmp_path):
    stopped = copy_of(res)
    stopped.metadata.update(
        {"status": "feasible", "termination": "Time limit reached", "MIP gap": 0.0312}
    )
    ws = openpyxl.load_workbook(planner.write_excel(stopped, tmp_path / "s.xlsx"))["Summary"]
    assert ws["A3"].value.startswith("STOPPED AT TIME LIMIT — gap 3.12%")
    assert ws["A3"].font.b


@pytest.mark.solve
def test_unserved_demand_is_flagged(res, tmp_path):
    uns = pd.DataFrame(
        [
            {
                "class": "training",
                "region": "east",
                "slice": "day",
                "PFLOPS": 1.0,
                "PFLOPS·h/yr": 4380.0,
            }
        ]
    )
    summary = res.summary.copy()
    summary.loc[summary["kpi"] == "unserved demand", "value"] = 4380.0
    summary.loc[summary["kpi"] == "unserved share", "value"] = 4380.0 / 52560.0
    ws = openpyxl.load_workbook(
        planner.write_excel(copy_of(res, unserved=uns, summary=summary), tmp_path / "u.xlsx")
    )
    lines = [ws["Summary"].cell(row=r, column=1).value or "" for r in range(3, 6)]
    assert any("Unserved demand: 4,380 PFLOPS·h/yr (8.33% of demand)" in line for line in lines)
    assert ws["Unserved"].tables


# ---- helpers (no solver) -----------------------------------------------------------------------
@pytest.mark.unit
def test_excel_value_converts_pandas_and_numpy():
    assert style.excel_value(float("nan")) is None
    assert style.excel_value(pd.NA) is None and style.excel_value(pd.NaT) is None
    assert style.excel_value(np.float64(1.5)) == 1.5 and type(style.excel_value(np.int64(3))) is int
    assert style.excel_value(np.bool_(True)) is True
    assert style.excel_value(float("inf")) == "inf"
    assert style.excel_value([1, 2]) == "[1, 2]" and style.excel_value("") is None


@pytest.mark.unit
def test_put_writes_strings_as_text():
    ws = openpyxl.Workbook().active
    for i, text in enumerate(INJECTIONS, start=1):
        cell = style.put(ws, i, 1, text)
        assert cell.data_type == "s" and cell.value == text
    assert style.put(ws, 9, 1, "bad\x07char").value == "badchar"
    assert style.put(ws, 10, 1, 0.25, style.PCT).number_format == style.PCT


@pytest.mark.unit
def test_sheet_and_table_names():
    assert style.sheet_title("In_a/b:c*d?[e]", []) == "In_a_b_c_d__e_"
    long = "In_" + "x" * 40
    first = style.sheet_title(long, [])
    assert len(first) == 31 and len(style.sheet_title(long, [first])) == 31
    assert style.sheet_title(long, [first]) != first
    taken: set[str] = set()
    names = [style.table_name(k, taken) for k in ("in_sites", "in sites", "in-sites", "1x")]
    assert len(set(names)) == 4 and all(re.fullmatch(r"T_[A-Za-z0-9_]+", n) for n in names)


@pytest.mark.unit
def test_labels_cover_the_plan():
    en = excel.labels("en")
    for key, writer in excel.SHEET_PLAN:
        assert len(en[f"sheet.{key}"]) <= 31 and hasattr(sheets, writer)
        assert f"none.{key}" in en
    assert set(excel.labels("zh")) == set(en)  # every label has its Chinese
    assert all(len(excel.labels("zh")[f"sheet.{key}"]) <= 31 for key, _ in excel.SHEET_PLAN)
    with pytest.raises(ValueError):
        excel.labels("fr")


# ---- the full scenario -------------------------------------------------------------------------
@pytest.mark.slow
def test_china_report(tmp_path):
    if not (CHINA / "scenario.yaml").exists():
        pytest.skip("scenarios/china not present")
    # the default demand alone (the futures' sheets are checked in tests/test_futures.py); threads: 2
    res = planner.run(planner.load_scenario(CHINA, variants=["one_future"]), time_limit=300)
    assert (
        res.outcome.status in ("optimal", "feasible")
        and res.outcome.gap is not None
        and res.outcome.gap <= 0.05
    )
    out = planner.write_excel(res, tmp_path / "china.xlsx")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[: len(CHINA_SHEETS)] == CHINA_SHEETS
    costs = pd.read_excel(out, sheet_name="Costs", nrows=len(res.costs))
    # china's report setting: million CNY; dust (below 1e-6 of the total) shown as 0
    assert math.isclose(costs["M CNY/yr"].sum(), res.total_cost / 1e6, rel_tol=1e-6)
    # the default plan meets every national target of its targets table that has a figure (README, china)
    card = pd.read_excel(out, sheet_name="Scorecard", header=3)
    with_figure = card[card["met"].isin(["yes", "no"])]
    assert len(with_figure) == 8 and (with_figure["met"] == "yes").all(), card[
        ["target", "achieved", "met"]
    ]
    assert card.loc[card["target"] == "green power at new hub data centres", "achieved"].iloc[
        0
    ] == pytest.approx(0.8, abs=1e-6)
    assert book["Map"]._images, "the map is drawn"
    (area,) = book["Load profiles"]._charts
    classes = [c for c in res.profiles.columns if c.startswith("load PFLOPS: ")]
    assert len(area.series) == len(classes) + 1  # each class with load, and the idle capacity
