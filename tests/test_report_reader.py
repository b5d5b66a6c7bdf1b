"""The report as an analyst reads it (issue 13): money unit, words, solve time, dust, print set-up,
yes/no, a fully Chinese zh report, and headlines whose numbers are the cells beside them."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import planner
from planner.report.excel import build_workbook
from planner.report.headline import headlines
from planner.report.present import present

from .conftest import SOLVE, TINY


@pytest.fixture(scope="module")
def compared() -> planner.Results:
    """tiny with both comparisons: local-first costs the same, isolated 31.2% more (5,330,400 vs 4,061,280)."""
    return planner.run(TINY, compare=("both",), **SOLVE)


@pytest.fixture(scope="module")
def reports(
    compared: planner.Results, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], Path]:
    out = {}
    folder = tmp_path_factory.mktemp("reader")
    for lang in ("en", "zh"):
        for cur in ("CNY", "MCNY", "亿元"):
            out[lang, cur] = planner.write_excel(
                compared, folder / f"tiny-{lang}-{cur}.xlsx", lang=lang, currency=cur
            )
    return out


def _numbers(text: str) -> list[str]:
    """Every number written in a sentence (with its % sign if any)."""
    return re.findall(r"\d[\d,]*(?:\.\d+)?%?", text)


def _shown(ws, first_row: int) -> set[str]:
    """Every numeric cell of the table as the sheet shows it: 2 decimals, or 0.0% for percentages."""
    out = set()
    for row in ws.iter_rows(min_row=first_row):
        for c in row:
            if isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                out.add(f"{abs(c.value):.1%}" if "%" in c.number_format else f"{abs(c.value):,.2f}")
    return out


@pytest.mark.solve
@pytest.mark.parametrize(
    "lang,cur", [("en", "CNY"), ("en", "MCNY"), ("zh", "亿元"), ("zh", "MCNY")]
)
def test_every_headline_number_is_a_cell_beside_it(reports, lang, cur):
    path = reports[lang, cur]
    wb = openpyxl.load_workbook(path)
    ws = wb["Network value" if lang == "en" else "网络价值"]
    lines = [ws.cell(r, 1).value for r in (2, 3)]
    assert all(lines) and len(lines) == 2
    cells = _shown(ws, 6)
    for line in lines:
        nums = _numbers(line)
        assert nums, line
        for n in nums:
            assert n in cells, f"{n!r} of {line!r} is not a cell of the sheet"
    # local-first first, then isolated; tiny: local-first costs the same, isolated 31.2% more
    assert ("local-first" in lines[0]) if lang == "en" else ("本地优先" in lines[0])
    assert "31.2%" in lines[1] and "0.0%" not in lines[1]
    assert ("costs the same" in lines[0]) if lang == "en" else ("成本相同" in lines[0])
    money = {"CNY": "CNY", "MCNY": "M CNY" if lang == "en" else "百万元", "亿元": "亿元"}[cur]
    assert money in lines[1]
    # the Summary repeats the first headline
    summary = wb.worksheets[0]
    assert lines[0] in [summary.cell(r, 1).value for r in range(2, 9)]


@pytest.mark.solve
def test_headline_compares_per_pflops_h_served_when_served_work_differs(compared):
    """Make the isolated plan leave work undone: the sentence then quotes cost per PFLOPS·h served."""
    t = compared.comparison.copy()
    idx = t.index[t["metric"] == "unserved share"][0]
    t.loc[idx, "isolated"] = 0.25
    line = headlines(t, money="CNY", others=("isolated",))[0]
    assert "per PFLOPS·h served" in line and "25.0%" in line
    per = t.set_index("metric").loc["cost per PFLOPS·h served"]
    assert f"{per['networked']:,.2f}" in line and f"{per['isolated']:,.2f}" in line
    assert f"{per['isolated vs networked']:.1%}" in line


@pytest.mark.solve
def test_money_unit_scales_money_columns_only(compared, reports):
    en = pd.read_excel(reports["en", "CNY"], sheet_name="Sites")
    m = pd.read_excel(reports["en", "MCNY"], sheet_name="Sites")
    y = pd.read_excel(reports["en", "亿元"], sheet_name="Sites")
    assert "energy cost M CNY/yr" in m.columns and "energy cost 亿元/yr" in y.columns
    pd.testing.assert_series_equal(
        m["energy cost M CNY/yr"], en["energy cost CNY/yr"] / 1e6, check_names=False
    )
    pd.testing.assert_series_equal(
        y["energy cost 亿元/yr"], en["energy cost CNY/yr"] / 1e8, check_names=False
    )
    pd.testing.assert_series_equal(m["PFLOPS"], en["PFLOPS"])  # not money: untouched
    prof = pd.read_excel(
        reports["en", "MCNY"],
        sheet_name="Load profiles",
        usecols=range(len(compared.profiles.columns)),
    )
    assert "price CNY/MWh" in prof.columns  # a price per MWh stays in CNY
    costs = pd.read_excel(reports["en", "MCNY"], sheet_name="Costs", nrows=len(compared.costs))
    assert costs["M CNY/yr"].sum() == pytest.approx(compared.total_cost / 1e6)
    zh = pd.read_excel(reports["zh", "亿元"], sheet_name="站点")
    assert "电费 亿元/年" in zh.columns


@pytest.mark.solve
def test_every_sheet_prints_landscape_fit_to_width_with_header_rows(reports):
    wb = openpyxl.load_workbook(reports["en", "MCNY"])
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1, ws.title
        if ws.title != "Summary" and ws.max_row > 2 and ws.freeze_panes:
            assert ws.print_title_rows and ws.print_title_rows.startswith("$1:"), ws.title


@pytest.mark.solve
def test_zh_report_has_no_english_labels(compared, reports):
    """Every header, KPI name, unit, status and sheet name of the zh report is Chinese; data names are data."""
    wb = openpyxl.load_workbook(reports["zh", "MCNY"])
    assert all(re.search(r"[\u4e00-\u9fff]", n) for n in wb.sheetnames), wb.sheetnames
    data = {str(v) for t in compared.inputs.values() for c in t.columns for v in t[c]} | set(
        compared.links["link"]
    )
    data |= {compared.metadata["scenario"]}
    english = re.compile(r"\b[a-z]{3,}\b")
    allowed = {
        "planner",
        "PFLOPS",
        "HiGHS",
        "MIP",
        "PUE",
        "CPU",
        "Gbps",
        "UTC",
        "cnmaps",
        "data",
    }  # names of software
    for ws in wb.worksheets:
        if ws.title in ("元数据",) or ws.title.startswith("输入_"):
            continue
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if (
                    not isinstance(v, str)
                    or v in data
                    or any(v.startswith(d) for d in data if len(d) > 3)
                ):
                    continue
                if c.row == 2 and ws.title == "摘要":  # the scenario's description is data
                    continue
                words = [w for w in english.findall(v) if w not in allowed and w not in data]
                assert not words, f"{ws.title}!{c.coordinate}: {v!r}"
    summary = wb.worksheets[0]
    assert summary["A3"].value.startswith("状态：最优")
    values = [r for r in summary.iter_rows(values_only=True) if r[0] == "状态"]
    assert values and values[0][1] == "最优"
    assert wb["站点"]["D2"].value in ("是", "否") or "是" in [c.value for c in wb["站点"][2]]


@pytest.mark.solve
def test_dust_is_left_out_and_the_threshold_stated(compared):
    """A cost term and an unserved amount below 1e-6 of their whole are dust: shown as 0 / left out."""
    import dataclasses

    costs = compared.costs.copy()
    i = costs.index[costs["term"] == "unserved_cost"][0]
    costs.loc[i, "CNY/yr"] = 1.0  # 1 CNY of 4 M CNY: dust
    uns = pd.DataFrame(
        [
            {
                "class": compared.placement["class"].iloc[0],
                "region": compared.placement["region"].iloc[0],
                "slice": "day",
                "PFLOPS": 1e-9,
                "PFLOPS·h/yr": 1e-5,
            }
        ]
    )
    res = dataclasses.replace(compared, costs=costs, unserved=uns)
    shown = present(res, dust=1e-6)
    assert shown.costs.loc[i, "CNY/yr"] == 0.0 and shown.unserved.empty
    assert present(res, dust=0.0).costs.loc[i, "CNY/yr"] == 1.0
    wb = build_workbook(res)
    notes = " ".join(str(wb.worksheets[0].cell(r, 1).value) for r in range(1, 9))
    assert "1e-06" in notes and "dust" in notes


@pytest.mark.solve
def test_cli_currency_and_bad_currency(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "r.xlsx"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "run",
            str(TINY),
            "-q",
            "-o",
            str(out),
            "--currency",
            "MCNY",
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    assert "M CNY/yr" in pd.read_excel(out, sheet_name="Costs").columns
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "run",
            str(TINY),
            "-q",
            "--no-report",
            "--currency",
            "USD",
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2 and "USD" in p.stderr  # click's usage error
