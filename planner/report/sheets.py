"""One writer per sheet of the Excel report. Layout only: every number comes from ``Results``.

Each writer takes the :class:`Context` (results, labels, the workbook and its named sheets) and
fills its sheet. Data sheets have their header in row 1, so ``pandas.read_excel(path, sheet)``
reads them back directly; chart-data helper tables sit to the right of the main table.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from ..results import CLASS_LOAD_PREFIX, Results
from . import style as st
from .i18n import COST_WHAT_ZH, INPUT_TABLES, input_header, term, termination_text
from .present import YES_NO, is_money, money_label, money_word

log = logging.getLogger(__name__)

CHART_ROWS = 20  # rows a bar chart of the default size covers, plus a margin
CHART_COLS = 15  # default-width columns a line chart covers, plus a margin
TRAILING_INPUT_COLUMNS = ("source", "note", "notes")  # free text: shown last on the In_ sheets


@dataclass
class Context:
    """What every sheet writer needs: the results, the labels, the workbook and its sheets."""

    results: Results
    labels: Mapping[str, str]
    wb: Workbook
    sheets: dict[str, Worksheet] = field(default_factory=dict)
    tables: set[str] = field(default_factory=set)
    lang: str = "en"
    #: the money unit of the report (a key of :data:`planner.report.present.CURRENCY`)
    currency: str = "CNY"

    def t(self, key: str, **values: Any) -> str:
        """The label ``key`` in the report's language, with ``values`` filled in."""
        text = self.labels[key]
        return text.format(**values) if values else text

    def h(self, text: Any) -> str:
        """A header, KPI name, unit or cost term from ``Results`` in the report's language and money unit."""
        shown = term(str(text), self.lang)
        return money_label(shown, self.currency, self.lang) if is_money(text) else shown

    @property
    def money(self) -> str:
        """The money unit as a word (``M CNY``, ``亿元``, ``元`` …)."""
        return money_word(self.currency, self.lang)

    def table(self, key: str) -> str:
        """A fresh, unique Excel table name for ``key``."""
        return st.table_name(key, self.tables)


def _col(df: pd.DataFrame, name: str) -> int | None:
    """1-based position of column ``name`` in ``df`` (``None`` if absent)."""
    cols = [str(c) for c in df.columns]
    return cols.index(name) + 1 if name in cols else None


def _data_sheet(ctx: Context, key: str, df: pd.DataFrame, *, freeze: str = "A2") -> Worksheet:
    """Fill sheet ``key`` with ``df`` (header row 1, Excel table, frozen header, widths)."""
    ws = ctx.sheets[key]
    st.write_frame(ws, df, table_name=ctx.table(key), empty_note=ctx.t(f"none.{key}"), header=ctx.h)
    ws.freeze_panes = freeze if not df.empty else "A2"
    return ws


def _fmt_pct(x: Any) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{float(x):.2%}"


def _kpi(res: Results, name: str) -> Any:
    try:
        return res.kpi(name)
    except KeyError:
        return None


def _one_line(text: Any, limit: int = 250) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


# ---- Summary ----------------------------------------------------------------------------------
def _status_lines(ctx: Context) -> list[tuple[str, bool]]:
    """(text, is_warning) lines under the title: status and gap, then anything to watch."""
    md = ctx.results.metadata
    status, term = str(md.get("status", "")), str(md.get("termination", ""))
    gap = _fmt_pct(md.get("MIP gap"))
    if status == "optimal":
        lines = [(ctx.t("status.optimal", gap=gap), False)]
    elif status == "feasible":
        key = "status.time_limit" if "time" in term.lower() else "status.stopped"
        lines = [(ctx.t(key, gap=gap, termination=termination_text(term, ctx.lang)), True)]
    else:
        lines = [
            (
                ctx.t(
                    "status.other",
                    status=ctx.h(status),
                    termination=termination_text(term, ctx.lang),
                ),
                True,
            )
        ]
    if md.get("relaxed (LP)"):
        lines.append((ctx.t("note.relaxed"), True))
    uns = _kpi(ctx.results, "unserved demand")
    if uns and uns > 1e-6:
        lines.append(
            (
                ctx.t(
                    "note.unserved",
                    value=f"{uns:,.0f}",
                    share=_fmt_pct(_kpi(ctx.results, "unserved share")),
                    sheet=ctx.t("sheet.unserved"),
                ),
                True,
            )
        )
    for w in getattr(ctx.results, "warnings", []):
        first, *rest = w.split("\n")
        lines.append((ctx.t("note.warning", text=first), True))
        lines += [(line.strip(), True) for line in rest]
    return lines


def write_summary(ctx: Context) -> None:
    """Title, status (clearly marked when stopped early), run line, KPI table, two charts."""
    ws, res, md = ctx.sheets["summary"], ctx.results, ctx.results.metadata
    st.put(ws, 1, 1, ctx.t("title.report", scenario=md.get("scenario", ""))).font = st.TITLE_FONT
    st.put(ws, 2, 1, _one_line(md.get("description", ""))).font = st.NOTE_FONT
    row = 3
    for text, warn in _status_lines(ctx):
        cell = st.put(ws, row, 1, text)
        cell.font, cell.fill = (st.WARN_FONT, st.WARN_FILL) if warn else (st.TOTAL_FONT, st.OK_FILL)
        row += 1
    st.put(
        ws,
        row,
        1,
        ctx.t(
            "line.run",
            solver=md.get("solver", ""),
            version=md.get("solver version", ""),
            planner=md.get("planner version", ""),
            created=md.get("created (UTC)", ""),
            hash=str(md.get("input hash (SHA-256)", ""))[:12],
        ),
    ).font = st.NOTE_FONT
    obj_unit = str(md.get("objective unit", "CNY/yr"))
    st.put(
        ws,
        row + 1,
        1,
        ctx.t(
            "note.units",
            money=ctx.money,
            objective_unit=ctx.h(obj_unit),
            dust=float(md.get("solver dust threshold", 1e-6)),
        ),
    ).font = st.NOTE_FONT
    row += 1
    header = row + 2
    kpis = res.summary
    shown = kpis.copy()
    for c in ("kpi", "unit"):
        if c in shown.columns:
            shown[c] = shown[c].map(ctx.h)
    if "value" in shown.columns:
        shown["value"] = [
            ctx.h(v) if k == "status" else v for k, v in zip(kpis["kpi"], kpis["value"])
        ]
    st.write_frame(
        ws,
        shown,
        row=header,
        formats={"value": st.GENERAL},
        table_name=ctx.table("summary"),
        empty_note=ctx.t("none.summary"),
        header=ctx.h,
    )
    vcol, ucol = _col(kpis, "value"), _col(kpis, "unit")
    if vcol and ucol:
        for i, (kpi, unit) in enumerate(zip(kpis["kpi"], kpis["unit"]), start=header + 1):
            fmt = st.PCT2 if kpi == "MIP gap" else st.UNIT_FORMATS.get(str(unit), st.GENERAL)
            ws.cell(row=i, column=vcol).number_format = fmt
            ws.cell(row=i, column=vcol).alignment = Alignment(horizontal="right")
    ws.freeze_panes = f"A{header + 1}"
    st.fit_widths(ws, min_row=header)
    anchor_col = get_column_letter(len(kpis.columns) + 2)
    charts = [c for c in (_capacity_chart(ctx), _cost_chart(ctx)) if c is not None]
    for k, chart in enumerate(charts):
        ws.add_chart(chart, f"{anchor_col}{header + 1 + k * CHART_ROWS}")
    _one_printed_page(ws)


def _one_printed_page(ws: Worksheet) -> None:
    """Print (and export to PDF) the sheet on one landscape page, charts included."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    fit = ws.sheet_properties.pageSetUpPr
    if fit is None:
        fit = ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    fit.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1


def _capacity_chart(ctx: Context) -> Any:
    """Bar chart of PFLOPS (and new PFLOPS) by site, from the Sites sheet."""
    sites = ctx.results.sites
    cat, vals = (
        _col(sites, "site"),
        [c for c in (_col(sites, "PFLOPS"), _col(sites, "new PFLOPS")) if c],
    )
    if (
        sites.empty or not cat or not vals or "period" in sites.columns or "future" in sites.columns
    ):  # see Build schedule / Futures
        return None
    return st.bar_chart(
        ctx.sheets["sites"],
        cat_col=cat,
        value_cols=vals,
        header_row=1,
        last_row=len(sites) + 1,
        title=ctx.t("chart.capacity"),
        y_title=ctx.h("PFLOPS"),
        x_title=ctx.t("axis.site"),
    )


def _cost_chart(ctx: Context) -> Any:
    """Horizontal bar chart of cost by term, from the Costs sheet."""
    costs = ctx.results.costs
    cat, val = _col(costs, "term"), _col(costs, "CNY/yr")
    if (
        costs.empty or not cat or not val or "period" in costs.columns or "future" in costs.columns
    ):  # see Periods / Futures
        return None
    return st.bar_chart(
        ctx.sheets["costs"],
        cat_col=cat,
        value_cols=[val],
        header_row=1,
        last_row=len(costs) + 1,
        title=ctx.t("chart.costs", money=ctx.money),
        y_title=ctx.h("CNY/yr"),
        horizontal=True,
    )


# ---- Sites, Hardware mix, Links, Placement, Unserved -----------------------------------------
def write_sites(ctx: Context) -> None:
    """The sites table; the capacity chart below it."""
    ws = _data_sheet(ctx, "sites", ctx.results.sites, freeze="B2")
    st.fit_widths(ws)
    chart = _capacity_chart(ctx)
    if chart is not None:
        ws.add_chart(chart, f"B{len(ctx.results.sites) + 4}")


def _pivot(df: pd.DataFrame, index: str, columns: str, values: str) -> pd.DataFrame:
    """Long → wide (``index`` × ``columns``), keeping first-appearance order of both.

    With a ``period`` column (several periods), the index labels are ``"<period> <index>"``.
    """
    for col in (
        "period",
        "future",
    ):  # several periods, demand futures: labels "<future> <period> <index>"
        if col in df.columns:
            df = df.assign(**{index: df[col].astype(str) + " " + df[index].astype(str)})
    wide = df.pivot_table(
        index=index, columns=columns, values=values, aggfunc="sum", fill_value=0.0, sort=False
    )
    return wide.reindex(index=pd.unique(df[index]), columns=pd.unique(df[columns]), fill_value=0.0)


def _helper(
    ctx: Context, ws: Worksheet, df: pd.DataFrame, *, col: int, key: str, fmt: str
) -> tuple[int, int]:
    """Write a chart-data helper table with its header in row 1 at column ``col``; (header, last row).

    It never has more rows than the main table, so ``pandas.read_excel(..., usecols=...)`` reads
    the main table back without trailing blank rows.
    """
    return 1, st.write_frame(
        ws,
        df,
        row=1,
        col=col,
        default_format=fmt,
        table_name=ctx.table(f"{key}_chart"),
        header=ctx.h,
    )


def write_hardware(ctx: Context) -> None:
    """The hardware table; a stacked bar chart of PFLOPS by site and hardware, with its data."""
    hw = ctx.results.hardware
    ws = _data_sheet(ctx, "hardware", hw, freeze="C2")
    if hw.empty or not all(_col(hw, c) for c in ("site", "hardware", "PFLOPS")):
        st.fit_widths(ws)
        return
    wide = _pivot(hw, "site", "hardware", "PFLOPS")
    wide.columns = [f"{h} PFLOPS" for h in wide.columns]
    wide = wide.rename_axis(ctx.t("axis.site")).reset_index()
    col = len(hw.columns) + 2 + CHART_COLS
    header, last = _helper(ctx, ws, wide, col=col, key="hardware", fmt=st.DEC2)
    st.fit_widths(ws)
    chart = st.bar_chart(
        ws,
        cat_col=col,
        value_cols=range(col + 1, col + len(wide.columns)),
        header_row=header,
        last_row=last,
        title=ctx.t("chart.hardware"),
        y_title=ctx.h("PFLOPS"),
        x_title=ctx.t("axis.site"),
        stacked=True,
    )
    ws.add_chart(chart, f"{get_column_letter(len(hw.columns) + 2)}2")


def write_links(ctx: Context) -> None:
    """The links table (a note if the scenario has none)."""
    st.fit_widths(_data_sheet(ctx, "links", ctx.results.links, freeze="B2"))


def write_placement(ctx: Context) -> None:
    """Where each region's demand of each class runs (region × site × class)."""
    st.fit_widths(_data_sheet(ctx, "placement", ctx.results.placement))


def write_unserved(ctx: Context) -> None:
    """Demand left unserved, by class, region and slice (a note if none)."""
    st.fit_widths(_data_sheet(ctx, "unserved", ctx.results.unserved))


# ---- Load profiles ----------------------------------------------------------------------------
def _slice_labels(prof: pd.DataFrame) -> pd.Series:
    """Each row's slice label: ``"<future> <period> <slice>"`` when those columns are there."""
    label = prof["slice"].astype(str)
    for col in ("period", "future"):
        if col in prof.columns:
            label = prof[col].astype(str) + " " + label
    return label


def load_by_class(prof: pd.DataFrame) -> pd.DataFrame:
    """Per slice (in order): each class's load summed over the sites, and the idle capacity.

    ``load[j,t] = Σ_s load PFLOPS: j``; ``idle[t] = Σ_s capacity PFLOPS − Σ_s load PFLOPS`` (never
    below 0), so a slice's loads and idle capacity add up to the installed PFLOPS. An empty frame
    when the profiles carry no class columns.
    """
    cols = [c for c in prof.columns if str(c).startswith(CLASS_LOAD_PREFIX)]
    if not cols or not _col(prof, "capacity PFLOPS"):
        return pd.DataFrame()
    g = prof.assign(_label=_slice_labels(prof)).groupby("_label", sort=False)
    out = g[cols].sum()
    out.columns = [str(c)[len(CLASS_LOAD_PREFIX) :] for c in cols]
    out = out.loc[:, (out.abs() > 0).any()]  # a class with no load anywhere draws nothing
    idle = g["capacity PFLOPS"].sum() - g["load PFLOPS"].sum()
    out["idle"] = idle.clip(lower=0.0)
    return out


def write_profiles(ctx: Context) -> None:
    """The long per-slice table; a stacked area chart of load by job class, with the idle capacity on
    top (the stack's top is the installed PFLOPS), over slices, with its wide data."""
    prof = ctx.results.profiles
    ws = _data_sheet(ctx, "profiles", prof, freeze="B2")
    if prof.empty or not all(_col(prof, c) for c in ("slice", "site", "load PFLOPS")):
        st.fit_widths(ws)
        return
    wide = load_by_class(prof)
    if wide.empty:
        st.fit_widths(ws)
        return
    wide.columns = [
        ctx.t("helper.idle_column") if c == "idle" else ctx.t("helper.class_column", job=c)
        for c in wide.columns
    ]
    wide = wide.rename_axis(ctx.t("axis.slice")).reset_index()
    first_col = len(prof.columns) + 2 + CHART_COLS
    header, last = _helper(ctx, ws, wide, col=first_col, key="profiles", fmt=st.DEC2)
    st.fit_widths(ws)
    values = list(range(first_col + 1, first_col + len(wide.columns)))
    chart = st.stacked_area_chart(
        ws,
        cat_col=first_col,
        value_cols=values,
        header_row=header,
        last_row=last,
        title=ctx.t("chart.load"),
        y_title=ctx.h("PFLOPS"),
        x_title=ctx.t("axis.slice"),
        pale=values[-1:],
    )
    ws.add_chart(chart, f"{get_column_letter(len(prof.columns) + 2)}2")


# ---- Costs ------------------------------------------------------------------------------------
def _objective_units(ctx: Context) -> pd.DataFrame:
    """The objective table with a unit column (cost terms CNY/yr; energy and carbon terms)."""
    obj = ctx.results.objective.copy()
    cost_terms = set(ctx.results.costs.get("term", []))
    units = {"energy_mwh": "MWh/yr", "carbon_t": "tCO2/yr"}
    if "term" in obj.columns and "unit" not in obj.columns:
        unit = obj["term"].map(lambda t: "CNY/yr" if t in cost_terms else units.get(t, ""))
        obj.insert(
            list(obj.columns).index("value") + 1 if "value" in obj.columns else 1, "unit", unit
        )
    return obj.rename(columns={"contribution": "contribution (objective units)"})


def write_costs(ctx: Context) -> None:
    """Cost terms with a total row (= total cost), then the objective terms with their weights."""
    ws, res = ctx.sheets["costs"], ctx.results
    costs = res.costs
    shown = costs.copy()
    if "term" in shown.columns:
        if ctx.lang == "zh" and "what" in shown.columns:
            shown["what"] = [COST_WHAT_ZH.get(t, w) for t, w in zip(shown["term"], shown["what"])]
        shown["term"] = shown["term"].map(ctx.h)
    last = st.write_frame(
        ws, shown, table_name=ctx.table("costs"), empty_note=ctx.t("none.costs"), header=ctx.h
    )
    vcol, scol = _col(costs, "discounted CNY") or _col(costs, "CNY/yr"), _col(costs, "share")
    if not costs.empty and vcol:
        cells: dict[int, tuple[Any, str | None]] = {
            1: (ctx.t("total.costs"), None),
            vcol: (res.total_cost, st.MONEY),
        }
        if scol:
            cells[scol] = (float(costs["share"].sum()), st.PCT)
        last += 1
        st.total_row(ws, last, cells)
    row = last + 2
    st.put(ws, row, 1, ctx.t("title.objective")).font = st.SUBTITLE_FONT
    obj = _objective_units(ctx)
    header = row + 1
    shown = obj.copy()
    for c in ("term", "unit"):
        if c in shown.columns:
            shown[c] = shown[c].map(ctx.h)
    last = st.write_frame(
        ws,
        shown,
        row=header,
        formats={"weight": st.GENERAL},
        table_name=ctx.table("objective"),
        empty_note=ctx.t("none.objective"),
        header=ctx.h,
    )
    ccol = _col(obj, "contribution (objective units)")
    if not obj.empty and ccol:
        st.total_row(
            ws,
            last + 1,
            {
                1: (ctx.t("total.objective"), None),
                ccol: (float(obj["contribution (objective units)"].sum()), st.MONEY),
            },
        )
        solver_obj = res.metadata.get("objective value")
        st.put(ws, last + 2, 1, ctx.t("total.solver_objective")).font = st.NOTE_FONT
        st.put(ws, last + 2, ccol, solver_obj, st.MONEY).font = st.NOTE_FONT
    ws.freeze_panes = "A2"
    st.fit_widths(ws)
    chart = _cost_chart(ctx)
    if chart is not None:
        ws.add_chart(chart, f"{get_column_letter(max(len(costs.columns), len(obj.columns)) + 2)}2")


# ---- Metadata and inputs ----------------------------------------------------------------------
def write_metadata(ctx: Context) -> None:
    """Key/value rows of ``results.metadata`` (scenario, hash, status, solver, versions, time)."""
    yes, no = YES_NO.get(ctx.lang, YES_NO["en"])
    md = pd.DataFrame(
        {
            ctx.t("meta.key"): [ctx.h(k) for k in ctx.results.metadata],
            ctx.t("meta.value"): [
                (yes if v else no)
                if isinstance(v, bool)
                else ctx.h(v)
                if k in ("status", "objective")
                else termination_text(str(v), ctx.lang)
                if k == "termination"
                else v
                for k, v in ctx.results.metadata.items()
            ],
        }
    )
    ws = _data_sheet(ctx, "metadata", md)
    for cell in ws["B"][1:]:
        cell.alignment = Alignment(
            horizontal="left",
            vertical="top",
            wrap_text=isinstance(cell.value, str) and "\n" in cell.value,
        )
    st.fit_widths(ws, cap=100)


def write_inputs(ctx: Context) -> None:
    """One sheet per input table (``In_<name>``), values echoed as entered.

    Long free-text columns (``source``, ``note``) are moved to the end, so the key column comes
    first and stays frozen.
    """
    prefix = ctx.t("sheet.inputs_prefix")
    for name, table in ctx.results.inputs.items():
        cols = [str(c) for c in table.columns]
        tail = [c for c in cols if c.lower() in TRAILING_INPUT_COLUMNS]
        df = table[
            [c for c in table.columns if str(c) not in tail]
            + [c for c in table.columns if str(c) in tail]
        ]
        shown_name = INPUT_TABLES.get(ctx.lang, {}).get(name, name)
        ws = ctx.wb.create_sheet(st.sheet_title(f"{prefix}{shown_name}", ctx.wb.sheetnames))
        st.write_frame(
            ws,
            df,
            default_format=st.GENERAL,
            table_name=ctx.table(f"in_{name}"),
            empty_note=ctx.t("none.inputs"),
            header=lambda c: input_header(c, ctx.lang),
        )
        ws.freeze_panes = "B2" if len(df.columns) > 4 and not df.empty else "A2"
        st.fit_widths(ws)
        ctx.sheets[f"in_{name}"] = ws
