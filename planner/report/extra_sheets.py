"""Sheets for ``results.extra_tables``: the periods and build schedule of a several-period plan, the
representative days of an hourly scenario, the steps of myopic planning.

Each table becomes its own sheet, placed right after the Summary (periods and schedules) or after
Load profiles (anything else). The ``Build schedule`` sheet carries a stacked column chart of
installed PFLOPS by period and hardware; the ``Periods`` sheet a column chart of discounted cost by
period.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from openpyxl.utils import get_column_letter

from . import style as st

#: Extra tables shown right after the Summary, in this order.
FRONT = (
    "Futures",
    "Value of information",
    "Idle compute",
    "Announced vs coordinated",
    "Announced by site",
    "Announced by region",
    "Announced by hub",
    "Periods",
    "Build schedule",
    "Link schedule",
    "Myopic steps",
)
#: Chart gap: default-width columns a chart covers, plus a margin.
CHART_COLS = 15


def add_extra_sheets(ctx: Any) -> None:  # ctx: sheets.Context
    """Write every extra table of the results to its own sheet."""
    res = ctx.results
    if not res.extra_tables:
        return
    summary = ctx.sheets.get("summary")
    profiles = ctx.sheets.get("profiles")
    front_after, back_after = summary, profiles
    _summary_costs_by_period(ctx)
    ordered = [k for k in FRONT if k in res.extra_tables] + [
        k for k in res.extra_tables if k not in FRONT
    ]
    for key in ordered:
        df: pd.DataFrame = res.extra_tables[key]
        ws = ctx.wb.create_sheet(st.sheet_title(ctx.h(key), ctx.wb.sheetnames))
        last = st.write_frame(
            ws,
            df,
            table_name=ctx.table(key.lower().replace(" ", "_")),
            empty_note="none",
            header=ctx.h,
        )
        ws.freeze_panes = "A2"
        if key == "Build schedule":
            _installed_chart(ctx, ws, df)
        elif key == "Periods":
            _period_cost_chart(ctx, ws, df, last)
        st.fit_widths(ws)
        after = front_after if key in FRONT else back_after
        if after is not None:
            ctx.wb.move_sheet(ws, offset=ctx.wb.index(after) + 1 - ctx.wb.index(ws))
            if key in FRONT:
                front_after = ws
            else:
                back_after = ws


def _summary_costs_by_period(ctx: Any) -> None:
    """Several periods: the Summary also gets each period's cost terms (CNY/yr) and their discounted total."""
    costs = ctx.results.costs
    summary = ctx.sheets.get("summary")
    if (
        summary is None
        or costs.empty
        or not {"period", "term", "CNY/yr", "discounted CNY"} <= set(costs.columns)
    ):
        return
    wide = costs.pivot_table(
        index="term", columns="period", values="CNY/yr", aggfunc="sum", sort=False
    )
    wide = wide.reindex(pd.unique(costs["term"]))
    wide.columns = [f"{y} CNY/yr" for y in wide.columns]
    wide["discounted CNY"] = costs.groupby("term", sort=False)["discounted CNY"].sum()
    wide = wide.rename_axis("term").reset_index()
    wide["term"] = wide["term"].map(ctx.h)
    row = summary.max_row + 2
    st.put(summary, row, 1, ctx.h("Cost by period")).font = st.SUBTITLE_FONT
    last = st.write_frame(
        summary, wide, row=row + 1, table_name=ctx.table("summary_periods"), header=ctx.h
    )
    cells: dict[int, tuple[Any, str | None]] = {1: (ctx.t("total.costs"), None)}
    for j, c in enumerate(wide.columns[1:], start=2):
        cells[j] = (float(wide[c].sum()), st.MONEY)
    st.total_row(summary, last + 1, cells)


def _installed_chart(ctx: Any, ws: Any, df: pd.DataFrame) -> None:
    """Stacked columns: PFLOPS in service per period, one series per hardware type (helper table beside)."""
    if df.empty or not {"period", "hardware", "PFLOPS in service"} <= set(df.columns):
        return
    wide = df.pivot_table(
        index="period",
        columns="hardware",
        values="PFLOPS in service",
        aggfunc="sum",
        fill_value=0.0,
        sort=False,
    )
    wide = wide.reindex(columns=pd.unique(df["hardware"]), fill_value=0.0)
    wide.columns = [f"{h} PFLOPS" for h in wide.columns]
    wide = wide.rename_axis("period").reset_index()
    wide["period"] = wide["period"].astype(str)
    col = len(df.columns) + 2 + CHART_COLS
    last = st.write_frame(
        ws,
        wide,
        row=1,
        col=col,
        default_format=st.DEC2,
        table_name=ctx.table("installed_chart"),
        header=ctx.h,
    )

    def chart() -> Any:
        return st.bar_chart(
            ws,
            cat_col=col,
            value_cols=range(col + 1, col + len(wide.columns)),
            header_row=1,
            last_row=last,
            title=ctx.h("Installed PFLOPS by period"),
            y_title=ctx.h("PFLOPS"),
            x_title=ctx.h("period"),
            stacked=True,
        )

    ws.add_chart(chart(), f"{get_column_letter(len(df.columns) + 2)}2")
    summary = ctx.sheets.get("summary")
    if summary is not None and not summary._charts:  # several periods: the Summary's headline chart
        header = next((r for r in range(1, 12) if summary.cell(r, 1).value == ctx.h("kpi")), 6)
        summary.add_chart(
            chart(), f"{get_column_letter(len(ctx.results.summary.columns) + 2)}{header + 1}"
        )


def _period_cost_chart(ctx: Any, ws: Any, df: pd.DataFrame, last: int) -> None:
    """Columns: discounted cost by period."""
    cols = [str(c) for c in df.columns]
    if df.empty or "discounted cost CNY" not in cols:
        return
    chart = st.bar_chart(
        ws,
        cat_col=cols.index("period") + 1,
        value_cols=[cols.index("discounted cost CNY") + 1],
        header_row=1,
        last_row=last,
        title=ctx.h("Discounted cost by period"),
        y_title=ctx.h("CNY"),
        x_title=ctx.h("period"),
    )
    ws.add_chart(chart, f"B{last + 3}")
