"""The Chinese report (``--lang zh``): sheet names, headers, KPI names and units from one table;
place names as given; user strings written as text, never formulas."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

import planner
from planner.report import excel
from planner.report.i18n import TERMS_ZH, term
from planner.results import Results

from .test_report import INJECTIONS, copy_of, header

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "tiny"
ZH_SHEETS = [
    "摘要",
    "地图",
    "站点",
    "硬件构成",
    "链路",
    "任务布局",
    "算力价格",
    "未满足需求",
    "负载曲线",
    "成本",
    "元数据",
]
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def res() -> Results:
    return planner.run(TINY, time_limit=60, mip_gap=1e-6)


@pytest.fixture(scope="module")
def zh(res: Results, tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = planner.write_excel(res, tmp_path_factory.mktemp("zh") / "tiny-zh.xlsx", lang="zh")
    return openpyxl.load_workbook(path)


@pytest.mark.unit
def test_one_translation_table():
    assert term("PFLOPS installed", "zh") == "已装算力"
    assert term("CNY/yr", "zh") == "元/年"
    assert term("cost: energy_cost", "zh") == "成本：电费"
    assert term("east", "zh") == "east"  # data keep their spelling
    assert term("PFLOPS installed", "en") == "PFLOPS installed"


@pytest.mark.solve
def test_zh_sheet_names(zh):
    assert zh.sheetnames[: len(ZH_SHEETS)] == ZH_SHEETS
    assert any(n.startswith("输入_") for n in zh.sheetnames)


@pytest.mark.solve
def test_zh_headers_are_translated_with_units(zh, res):
    ws = zh["站点"]
    assert header(ws) == [term(c, "zh") for c in res.sites.columns]
    assert "电费 元/年" in header(ws) and "能耗 兆瓦时/年" in header(ws)
    for sheet, table in [
        ("站点", res.sites),
        ("硬件构成", res.hardware),
        ("链路", res.links),
        ("任务布局", res.placement),
        ("负载曲线", res.profiles),
    ]:
        shown = header(zh[sheet])[: len(table.columns)]
        # every results column has its Chinese; a class's load column ("load PFLOPS: <class>")
        # by its prefix, the class's name being data
        missing = [c for c in table.columns if c not in TERMS_ZH and term(c, "zh") == c]
        assert not missing, (sheet, missing)
        assert all(HAN.search(h) or h in ("PUE", "PFLOPS") for h in shown), (sheet, shown)


@pytest.mark.solve
def test_zh_summary_kpis_and_units(zh, res):
    ws = zh["摘要"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    top = next(i for i, r in enumerate(rows) if r[:3] == ["指标", "数值", "单位"])
    kpis = {r[0]: (r[1], r[2]) for r in rows[top + 1 :] if r[0]}
    assert kpis["已装算力"][1] == "PFLOPS"
    assert kpis["总成本"] == (pytest.approx(res.total_cost), "元/年")
    assert kpis["能耗"][1] == "兆瓦时/年" and kpis["碳排放"][1] == "吨CO2/年"
    assert rows[0][0].startswith("planner 规划报告 — tiny")
    assert rows[2][0].startswith("状态：最优")
    charts = ws._charts
    assert charts, "the Summary has its charts"


@pytest.mark.solve
def test_zh_keeps_place_names(zh, res):
    sites = [r[0].value for r in zh["站点"].iter_rows(min_row=2) if r[0].value]
    assert sites == list(res.sites["site"])  # site_e, site_w as given
    regions = {r[1].value for r in zh["站点"].iter_rows(min_row=2) if r[1].value}
    assert regions == set(res.sites["region"])


@pytest.mark.solve
def test_zh_user_strings_are_text_not_formulas(res, tmp_path):
    bad = copy_of(res)
    bad.metadata["description"] = INJECTIONS[0]
    sites = bad.sites.copy()
    sites["site"] = INJECTIONS[: len(sites)]
    bad = copy_of(bad, sites=sites)
    out = planner.write_excel(bad, tmp_path / "bad-zh.xlsx", lang="zh")
    book = openpyxl.load_workbook(out)
    assert book["摘要"]["A2"].value == INJECTIONS[0] and book["摘要"]["A2"].data_type == "s"
    cells = [r[0] for r in book["站点"].iter_rows(min_row=2, max_row=1 + len(sites))]
    assert [c.value for c in cells] == INJECTIONS[: len(sites)]
    assert all(c.data_type == "s" for c in cells)
    assert not any(c.data_type == "f" for ws in book for row in ws.iter_rows() for c in row)


@pytest.mark.unit
def test_zh_labels_fill_the_same_fields():
    en, zh = excel.labels("en"), excel.labels("zh")
    for k in en:
        assert set(re.findall(r"{(\w+)}", en[k])) == set(re.findall(r"{(\w+)}", zh[k])), k
