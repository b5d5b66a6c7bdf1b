"""The Policy and Network value sheets (issue 4), added after the core sheet plan.

Policy: every active lever, its target, the achieved value, slack used and its cost, the shadow
price, and the cost of N-1 resilience when asked for. Network value: the networked plan beside the
isolated (and local-first) plans, absolute and relative differences, a chart, and the headline,
which is repeated at the top of the Summary sheet.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from openpyxl.chart import BarChart
from openpyxl.styles import Font

from . import style as st
from .headline import headlines
from .sheets import Context

#: Header row of the comparison table on the Network value sheet (rows 2–3 hold the headlines).
HEAD = 5
#: Rows of the comparison charted on the Network value sheet (money per year; like with like).
CHARTED = ("total cost", "cost excluding penalties")

TITLES = {
    "en": {
        "policy": "Policy",
        "network": "Network value",
        "headline": "The value of the network",
        "resilience": "Cost of N-1 resilience (CNY/yr)",
        "res_pflops": "Extra PFLOPS installed for N-1",
    },
    "zh": {
        "policy": "政策",
        "network": "网络价值",
        "headline": "算力网络的价值",
        "resilience": "N-1 韧性成本（元/年）",
        "res_pflops": "为 N-1 增加的算力（PFLOPS）",
    },
}


def add_policy_sheets(ctx: Context, lang: str = "en") -> None:
    """Add the Policy and Network value sheets when the results carry them (after Costs)."""
    res = ctx.results
    t = TITLES.get(lang, TITLES["en"])
    after = ctx.sheets.get("costs")  # the new sheets follow the Costs sheet
    new = []
    if len(res.policy) or res.extras:
        ws = ctx.wb.create_sheet(st.sheet_title(t["policy"], ctx.wb.sheetnames))
        last = st.write_frame(
            ws,
            _policy_words(res.policy, lang),
            table_name=ctx.table("policy"),
            empty_note="none" if lang != "zh" else "无",
            header=ctx.h,
        )
        row = last + 2
        for key, label in (
            ("resilience cost CNY/yr", t["resilience"]),
            ("resilience extra PFLOPS", t["res_pflops"]),
        ):
            if key in res.extras:
                st.put(ws, row, 1, label).font = Font(bold=True)
                st.put(ws, row, 2, res.extras[key], "#,##0.00")
                row += 1
        ws.freeze_panes = "A2"
        st.fit_widths(ws)
        new.append(ws)
    if res.comparison is not None:
        ws = ctx.wb.create_sheet(st.sheet_title(t["network"], ctx.wb.sheetnames))
        st.put(ws, 1, 1, t["headline"]).font = Font(bold=True, size=14)
        lines = headlines(res.comparison, money=ctx.money, lang=lang)
        for k, line in enumerate(lines[:2]):
            st.put(ws, 2 + k, 1, line)
        df: pd.DataFrame = res.comparison.copy()
        df["metric"] = [ctx.h(v) for v in df["metric"]]
        df["unit"] = [ctx.h(v) for v in df["unit"]]
        fmts = {c: "0.0%" for c in df.columns if " vs " in str(c)}
        last = st.write_frame(
            ws,
            df,
            row=HEAD,
            formats=fmts,
            default_format="#,##0.00",
            table_name=ctx.table("network"),
            header=ctx.h,
        )
        plans = [c for c in df.columns if c in ("networked", "isolated", "local-first")]
        chart = _cost_chart(ctx, ws, res.comparison, plans, t)
        if chart is not None:
            ws.add_chart(chart, f"A{last + 3}")
        ws.freeze_panes = f"A{HEAD + 1}"
        st.fit_widths(ws, min_row=HEAD)
        new.append(ws)
        # the headline goes in the first empty row above the KPI table (inserting rows would not move
        # the sheet's Excel table and would corrupt it)
        summary = ctx.wb.worksheets[0]
        free = next(
            (r for r in range(2, 9) if all(summary.cell(r, c).value is None for c in range(1, 4))),
            None,
        )
        if free is not None and lines:
            st.put(summary, free, 1, lines[0]).font = Font(bold=True, color="1F6F3F")
    if after is not None:
        for ws in new:
            ctx.wb.move_sheet(ws, offset=ctx.wb.index(after) + 1 - ctx.wb.index(ws))
            after = ws


def _cost_chart(
    ctx: Context, ws: Any, table: pd.DataFrame, plans: list[str], t: dict[str, str]
) -> BarChart | None:
    """Columns of cost per plan (total cost and cost excluding penalties), from a helper table beside.

    Metrics in different units never share the chart's axis (a chart of every row would put
    PFLOPS beside CNY).
    """
    rows = table[table["metric"].isin(CHARTED)]
    if rows.empty:
        return None
    helper = rows[["metric", *plans]].copy()
    helper["metric"] = [ctx.h(m) for m in helper["metric"]]
    col = len(table.columns) + 3
    last = st.write_frame(
        ws,
        helper,
        row=HEAD,
        col=col,
        default_format="#,##0.00",
        table_name=ctx.table("network_chart"),
        header=ctx.h,
    )
    chart = st.bar_chart(
        ws,
        cat_col=col,
        value_cols=range(col + 1, col + 1 + len(plans)),
        header_row=HEAD,
        last_row=last,
        title=t["network"],
        y_title=ctx.h("CNY/yr"),
    )
    return chart


#: Policy levers in Chinese (the Policy sheet's lever and target columns in a zh report).
LEVERS_ZH = {
    "carbon_cap": "碳排放上限",
    "min_green_share": "绿电占比下限",
    "budget": "新增投资上限",
    "domestic_min_share": "国产算力占比下限",
    "class_domestic_min_share": "作业类别国产占比下限",
    "min_utilisation": "利用率下限",
    "max_remote_share": "异地服务占比上限",
    "min_local_share": "本地服务占比下限",
    "min_hub_share": "枢纽新增算力占比下限",
    "resilience": "N-1 韧性",
    "pue_max": "PUE 上限",
}


def _policy_words(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The policy table with its lever names and target sentences in ``lang`` (zh: built from the row's figures)."""
    if lang != "zh" or df is None or df.empty:
        return df
    out = df.copy()
    out["target"] = [
        f"{LEVERS_ZH.get(lv, lv)}（{sc}）{se} {tv:g}"
        if isinstance(tv, (int, float))
        else f"{LEVERS_ZH.get(lv, lv)}（{sc}）"
        for lv, sc, se, tv in zip(df["lever"], df["scope"], df["sense"], df["target value"])
    ]
    out["lever"] = [LEVERS_ZH.get(v, v) for v in df["lever"]]
    return out
