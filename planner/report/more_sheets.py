"""Sheets added after the core plan (issue 13): the policy scorecard (and its Summary block).

Every sheet here is layout only: the numbers come from ``Results`` (``scorecard``, ``balances``,
``prices``), already in the report's money unit (:mod:`planner.report.present`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from openpyxl.styles import Font, PatternFill

from . import style as st
from .present import YES_NO

WORDS = {
    "en": {"sheet.scorecard": "Scorecard", "title.scorecard": "Policy scorecard: national targets on this plan",
           "note.scorecard": "Every target of the scenario's targets table, evaluated whether or not the plan was made to meet it "
                             "(imposed = a policy lever or a latency limit of the scenario enforces it).",
           "none.scorecard": "none — the scenario has no targets table", "n/a": "n/a",
           "summary.scorecard": "Policy scorecard ({met} of {n} targets met; see sheet '{sheet}')"},
    "zh": {"sheet.scorecard": "政策目标评分", "title.scorecard": "政策目标评分：本方案对照国家目标",
           "note.scorecard": "情景目标表中的每项目标，无论方案是否被要求满足，均在本方案上评估（“已施加”表示情景中有政策杠杆或时延上限强制该目标）。",
           "none.scorecard": "无 — 情景中没有目标表", "n/a": "无目标值",
           "summary.scorecard": "政策目标评分（{n} 项中达成 {met} 项；见工作表“{sheet}”）"},
}
TERMS_ZH = {"target": "目标", "indicator": "指标", "target value": "目标值", "achieved": "实际值", "met": "是否达成",
            "imposed": "是否已施加", "green_share": "绿电占比", "hub_share_new": "枢纽新增算力占比", "utilisation": "利用率",
            "pue_max": "最高 PUE", "served_within_ms": "时延圈内服务占比", "coverage_within_ms": "时延圈覆盖需求占比",
            "domestic_share": "国产硬件占比"}
MET_FILL = PatternFill("solid", fgColor="E2EFDA")
MISS_FILL = PatternFill("solid", fgColor="FCE4D6")


def _w(ctx: Any, key: str, **kw: Any) -> str:
    text = WORDS.get(ctx.lang, WORDS["en"])[key]
    return text.format(**kw) if kw else text


def _h(ctx: Any, text: str) -> str:
    return TERMS_ZH.get(text, ctx.h(text)) if ctx.lang == "zh" else ctx.h(text)


def scorecard_frame(ctx: Any) -> pd.DataFrame:
    """The scorecard as shown: the label in the report's language, the unit column dropped."""
    card = ctx.results.scorecard
    if card is None or card.empty:
        return pd.DataFrame()
    df = card.copy()
    if ctx.lang == "zh" and "label zh" in df.columns:
        df["target"] = df["label zh"]
        df["indicator"] = [TERMS_ZH.get(v, v) for v in df["indicator"]]
        df["scope"] = [str(v).replace("new sites", "新建站点") if v else v for v in df["scope"]]
    return df.drop(columns=[c for c in ("label zh", "unit") if c in df.columns])


def _format_rows(ws: Any, df: pd.DataFrame, card: pd.DataFrame, header: int, ctx: Any) -> None:
    """Shares as percentages, PUE with two decimals; met / not met coloured; no figure said in words."""
    cols = list(df.columns)
    for i, (ind, m) in enumerate(zip(card["indicator"], card["met"]), start=header + 1):
        fmt = st.DEC2 if ind == "pue_max" else st.PCT
        yes, no = YES_NO.get(ctx.lang, YES_NO["en"])
        for name in ("target value", "achieved"):
            if name in cols:
                cell = ws.cell(row=i, column=cols.index(name) + 1)
                if cell.value is None:
                    st.put(ws, i, cols.index(name) + 1, _w(ctx, "n/a"))
                else:
                    cell.number_format = fmt
        if "met" in cols:
            cell = ws.cell(row=i, column=cols.index("met") + 1)
            if m is None or (isinstance(m, float) and pd.isna(m)):
                st.put(ws, i, cols.index("met") + 1, _w(ctx, "n/a"))
            else:
                cell.fill = MET_FILL if m == yes else MISS_FILL


def add_scorecard(ctx: Any) -> None:
    """The Scorecard sheet (after the Summary) and a scorecard block on the Summary below its KPIs."""
    card = ctx.results.scorecard
    if card is None or card.empty:
        return
    df = scorecard_frame(ctx)
    ws = ctx.wb.create_sheet(st.sheet_title(_w(ctx, "sheet.scorecard"), ctx.wb.sheetnames), 1)
    st.put(ws, 1, 1, _w(ctx, "title.scorecard")).font = st.TITLE_FONT
    st.put(ws, 2, 1, _w(ctx, "note.scorecard")).font = st.NOTE_FONT
    header = 4
    st.write_frame(ws, df, row=header, default_format=st.GENERAL, table_name=ctx.table("scorecard"), header=lambda c: _h(ctx, c))
    _format_rows(ws, df, card, header, ctx)
    ws.freeze_panes = f"B{header + 1}"
    st.fit_widths(ws, min_row=header, cap=70)
    ctx.sheets["scorecard"] = ws
    # the Summary block: target, target value, achieved, met
    summary = ctx.sheets["summary"]
    row = summary.max_row + 2
    short = df[[c for c in ("target", "sense", "target value", "achieved", "met", "imposed") if c in df.columns]]
    yes = YES_NO.get(ctx.lang, YES_NO["en"])[0]
    met = int((card["met"] == yes).sum())
    n = int(card["met"].notna().sum())
    st.put(summary, row, 1, _w(ctx, "summary.scorecard", met=met, n=n, sheet=ws.title)).font = Font(bold=True, size=12)
    st.write_frame(summary, short, row=row + 1, default_format=st.GENERAL, table_name=ctx.table("summary_scorecard"),
                   header=lambda c: _h(ctx, c))
    _format_rows(summary, short, card, row + 1, ctx)


def add_more_sheets(ctx: Any) -> None:  # ctx: sheets.Context
    """Write the issue-13 sheets that the results carry."""
    add_scorecard(ctx)
