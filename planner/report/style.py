"""Cell-level helpers of the Excel report: safe values, number formats, tables, widths, charts.

Everything here is layout. Every cell of the report is written through :func:`put`, which turns
pandas/NumPy scalars into Excel values and writes strings as text (a user string beginning with
``=``, ``+``, ``-`` or ``@`` never becomes a formula).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.chart import AreaChart, BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

# ---- number formats ---------------------------------------------------------------------------
MONEY = "#,##0"
INT = "#,##0"
DEC1 = "#,##0.0"
DEC2 = "#,##0.00"
PCT = "0.0%"
PCT2 = "0.00%"
GENERAL = "General"

#: Column-name rules → number format (first match wins). Units are in the column names.
COLUMN_FORMATS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), f)
    for p, f in [
        (r"share|utilisation|sufficiency", PCT),
        (r"CNY", MONEY),
        (r"contribution|^value$", MONEY),
        (r"PFLOPS·h", INT),
        (r"MWh|tCO2|TB/yr|\bkm\b|Gbps|modules|units", INT),
        (r"PFLOPS|\bMW\b", DEC2),
        (r"\bms\b|h/yr", DEC1),
        (r"PUE", DEC2),
    ]
]

#: KPI unit → number format (the summary table has one unit per row).
UNIT_FORMATS: dict[str, str] = {
    "CNY/yr": MONEY,
    "objective units": MONEY,
    "PFLOPS": DEC2,
    "MW": DEC2,
    "MWh/yr": INT,
    "tCO2/yr": INT,
    "PFLOPS·h/yr": INT,
    "s": DEC2,
    "sites": INT,
    "units": INT,
    "-": PCT,
}


def column_format(column: str) -> str:
    """The number format of a results column, from the unit in its name."""
    for pattern, fmt in COLUMN_FORMATS:
        if pattern.search(column):
            return fmt
    return GENERAL


# ---- styles -----------------------------------------------------------------------------------
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
TITLE_FONT = Font(bold=True, size=14)
SUBTITLE_FONT = Font(bold=True, size=12)
NOTE_FONT = Font(italic=True, color="595959")
FREE_TEXT_FONTS = (TITLE_FONT, SUBTITLE_FONT, NOTE_FONT)
TOTAL_FONT = Font(bold=True)
TOTAL_BORDER = Border(top=Side(style="thin"), bottom=Side(style="double"))
OK_FILL = PatternFill("solid", fgColor="E2EFDA")
WARN_FILL = PatternFill("solid", fgColor="FCE4D6")
WARN_FONT = Font(bold=True, color="C00000")
TABLE_STYLE = "TableStyleMedium2"
MAX_WIDTH = 60
MIN_WIDTH = 8
_TEXT_TRIGGERS = ("=", "+", "-", "@")
_EXCEL_MAX_TEXT = 32767


# ---- values -----------------------------------------------------------------------------------
def excel_value(value: Any) -> Any:
    """A pandas/NumPy/Python scalar as a value openpyxl can store (``None`` for missing or ``""``)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        return value or None  # an empty string is an empty cell
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, (_dt.datetime, _dt.time)) and value.tzinfo is not None:
        return value.isoformat()
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value
    if isinstance(value, (_dt.timedelta, pd.Timedelta)):
        return str(value)
    return str(value)


def first_sheet(wb: Workbook) -> Worksheet:
    """The worksheet a new workbook starts with (``wb.active``, which openpyxl types as optional)."""
    ws = wb.active
    if not isinstance(ws, Worksheet):
        raise TypeError("a new openpyxl workbook starts with one worksheet")
    return ws


def put(
    ws: Worksheet, row: int, col: int, value: Any, number_format: str | None = None
) -> Cell | MergedCell:
    """Write one cell. Strings are always text, never formulas; numbers get ``number_format``."""
    v = excel_value(value)
    cell = ws.cell(row=row, column=col)
    if isinstance(v, str):
        v = ILLEGAL_CHARACTERS_RE.sub("", v)[:_EXCEL_MAX_TEXT]
        cell.value = v
        cell.data_type = "s"  # openpyxl would store a leading '=' as a formula
        if v.startswith(_TEXT_TRIGGERS):
            cell.quotePrefix = True  # Excel keeps it text when the cell is edited
    else:
        cell.value = v
        if number_format and isinstance(v, (int, float)) and not isinstance(v, bool):
            cell.number_format = number_format
    return cell


def display_width(value: Any, number_format: str = GENERAL) -> int:
    """Approximate characters Excel needs to show ``value`` in ``number_format``."""
    v = excel_value(value)
    if v is None:
        return 0
    if isinstance(v, bool):
        return 5
    if isinstance(v, (int, float)):
        if number_format in (PCT, PCT2):
            return len(f"{v:.2%}")
        if number_format in (MONEY, INT):
            return len(f"{v:,.0f}")
        if number_format == DEC1:
            return len(f"{v:,.1f}")
        if number_format == DEC2:
            return len(f"{v:,.2f}")
        return len(f"{v:.6g}")
    return max((_text_width(line) for line in str(v).splitlines()), default=0)


def _text_width(text: str) -> int:
    """Characters of ``text``, counting East Asian wide characters twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


# ---- blocks -----------------------------------------------------------------------------------
def header_texts(columns: Iterable[Any]) -> list[str]:
    """Column names as unique, non-empty, single-line strings (Excel table headers require it)."""
    out: list[str] = []
    seen: set[str] = set()
    for i, c in enumerate(columns, start=1):
        name = " ".join(str(c).split()) or f"column {i}"
        base, k = name, 2
        while name.lower() in seen:
            name, k = f"{base} ({k})", k + 1
        seen.add(name.lower())
        out.append(name)
    return out


def style_header(ws: Worksheet, row: int, col: int, ncols: int) -> None:
    """Bold white-on-blue header cells."""
    for c in range(col, col + ncols):
        cell = ws.cell(row=row, column=c)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")


def write_frame(
    ws: Worksheet,
    df: pd.DataFrame,
    *,
    row: int = 1,
    col: int = 1,
    formats: dict[str, str] | None = None,
    default_format: str | None = None,
    table_name: str | None = None,
    empty_note: str = "none",
    header: Callable[[str], str] | None = None,
) -> int:
    """Write ``df`` with a styled header at (``row``, ``col``); return the last row written.

    Number formats come from ``formats`` (by column), else ``default_format``, else the unit in
    the column name. A non-empty frame becomes an Excel table called ``table_name`` (if given);
    an empty one gets its header and ``empty_note`` below it. ``header`` translates the column
    names shown (the formats still follow the names in ``df``).
    """
    headers = header_texts([header(str(c)) for c in df.columns] if header else df.columns)
    for j, h in enumerate(headers):
        put(ws, row, col + j, h)
    style_header(ws, row, col, len(headers))
    if df.empty:
        put(ws, row + 1, col, empty_note).font = NOTE_FONT
        return row + 1
    fmts = [
        (formats or {}).get(str(c)) or default_format or column_format(str(c)) for c in df.columns
    ]
    for i, values in enumerate(df.itertuples(index=False, name=None), start=row + 1):
        for j, v in enumerate(values):
            cell = put(ws, i, col + j, v, fmts[j])
            if isinstance(cell.value, str) and "\n" in cell.value:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    last = row + len(df)
    if table_name:
        ref = f"{get_column_letter(col)}{row}:{get_column_letter(col + len(headers) - 1)}{last}"
        table = Table(displayName=table_name, ref=ref)
        table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
        ws.add_table(table)
    return last


def total_row(ws: Worksheet, row: int, cells: dict[int, tuple[Any, str | None]]) -> None:
    """A bold total row with a rule above it: ``cells`` maps column → (value, number format)."""
    first, last = min(cells), max(cells)
    for c in range(first, last + 1):
        value, fmt = cells.get(c, (None, None))
        cell = put(ws, row, c, value, fmt)
        cell.font = TOTAL_FONT
        cell.border = TOTAL_BORDER


def fit_widths(ws: Worksheet, *, min_row: int = 1, cap: int = MAX_WIDTH) -> None:
    """Set each column's width from its content (rows ≥ ``min_row``), capped at ``cap``.

    Cells in a title or note font (:data:`FREE_TEXT_FONTS`) do not count.
    """
    widths: dict[int, int] = {}
    for row in ws.iter_rows(min_row=min_row):
        for cell in row:
            if cell.value is None or any(cell.font == f for f in FREE_TEXT_FONTS):
                continue  # titles and notes flow over the empty cells to their right
            extra = 3 if cell.font is not None and cell.font.b else 1  # bold + filter button
            w = display_width(cell.value, cell.number_format) + extra
            widths[cell.column] = max(widths.get(cell.column, 0), w)
    for c, w in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = max(MIN_WIDTH, min(cap, w + 1))


# ---- names ------------------------------------------------------------------------------------
def sheet_title(name: str, taken: Iterable[str]) -> str:
    """A valid, unique (case-insensitive) sheet name of at most 31 characters."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "Sheet"
    taken_l = {t.lower() for t in taken}
    title, k = base[:31], 2
    while title.lower() in taken_l:
        suffix = f" ({k})"
        title, k = base[: 31 - len(suffix)] + suffix, k + 1
    return title


def table_name(key: str, taken: set[str]) -> str:
    """A valid, unique Excel table name (``T_<key>``); records it in ``taken``."""
    base = "T_" + re.sub(r"[^A-Za-z0-9_]", "_", key)[:200]
    name, k = base, 2
    while name.lower() in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name.lower())
    return name


# ---- charts -----------------------------------------------------------------------------------
def _finish(chart: AreaChart | BarChart | LineChart, categories: Reference) -> None:
    """Text categories for every series; visible axes."""
    # openpyxl refers to categories as numbers (numRef); text labels need a strRef.
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(categories)))
    # openpyxl ≥ 3.1 marks axes as deleted unless told otherwise; Excel then hides them.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _series(
    ch: AreaChart | BarChart | LineChart,
    data_ws: Worksheet,
    value_cols: Sequence[int],
    header_row: int,
    last_row: int,
    title: str,
    y_title: str,
    x_title: str,
) -> None:
    """Titles, and one series per column of ``value_cols`` (named by its header in ``header_row``)."""
    ch.title = title
    ch.y_axis.title = y_title
    ch.x_axis.title = x_title or None
    for c in value_cols:
        ch.add_data(
            Reference(data_ws, min_col=c, min_row=header_row, max_row=last_row),
            titles_from_data=True,
        )


def bar_chart(
    data_ws: Worksheet,
    *,
    cat_col: int,
    value_cols: Sequence[int],
    header_row: int,
    last_row: int,
    title: str,
    y_title: str,
    x_title: str = "",
    horizontal: bool = False,
    stacked: bool = False,
) -> BarChart:
    """A bar chart of columns ``value_cols`` (series named by their headers) over ``cat_col``."""
    ch = BarChart()
    ch.type = "bar" if horizontal else "col"
    if stacked:
        ch.grouping = "stacked"
        ch.overlap = 100
    _series(ch, data_ws, value_cols, header_row, last_row, title, y_title, x_title)
    if len(value_cols) == 1:
        ch.legend = None
    ch.width, ch.height = 18, 9
    _finish(ch, Reference(data_ws, min_col=cat_col, min_row=header_row + 1, max_row=last_row))
    return ch


def line_chart(
    data_ws: Worksheet,
    *,
    cat_col: int,
    value_cols: Sequence[int],
    header_row: int,
    last_row: int,
    title: str,
    y_title: str,
    x_title: str = "",
    dashed: Sequence[int] = (),
) -> LineChart:
    """A line chart of columns ``value_cols`` over ``cat_col``; series in ``dashed`` are dashed."""
    ch = LineChart()
    _series(ch, data_ws, value_cols, header_row, last_row, title, y_title, x_title)
    for c, series in zip(value_cols, ch.series):
        series.smooth = False
        if c in dashed:
            series.graphicalProperties.line.dashStyle = "dash"
    ch.width, ch.height = 22, 10
    _finish(ch, Reference(data_ws, min_col=cat_col, min_row=header_row + 1, max_row=last_row))
    return ch


def stacked_area_chart(
    data_ws: Worksheet,
    *,
    cat_col: int,
    value_cols: Sequence[int],
    header_row: int,
    last_row: int,
    title: str,
    y_title: str,
    x_title: str = "",
    pale: Sequence[int] = (),
) -> AreaChart:
    """A stacked area chart of columns ``value_cols`` over ``cat_col``; series in ``pale`` are light grey
    with a dashed outline (the idle capacity on top of the loads, so the stack's top is the capacity)."""
    ch = AreaChart()
    ch.grouping = "stacked"
    _series(ch, data_ws, value_cols, header_row, last_row, title, y_title, x_title)
    for c, series in zip(value_cols, ch.series):
        if c in pale:
            series.graphicalProperties.solidFill = "E7E6E6"
            series.graphicalProperties.line.solidFill = "7F7F7F"
            series.graphicalProperties.line.dashStyle = "dash"
    ch.y_axis.number_format = "#,##0"  # the axis in whole PFLOPS, not the cells' two decimals
    ch.width, ch.height = 22, 10
    _finish(ch, Reference(data_ws, min_col=cat_col, min_row=header_row + 1, max_row=last_row))
    return ch


# ---- printing ---------------------------------------------------------------------------------
def print_setup(wb: Any) -> None:
    """Every sheet prints landscape on A4, fit to one page wide, its header rows repeated on each page.

    A sheet already set to fit on one page (the Summary, the Map) keeps that. The repeated rows are the
    frozen rows (the header of a data sheet).
    """
    for ws in wb.worksheets:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        if ws.page_setup.fitToHeight != 1:  # one-page sheets (Summary, Map) set 1 themselves
            ws.page_setup.fitToHeight = 0  # as many pages down as needed
        frozen = ws.freeze_panes
        if frozen:
            row = int(re.sub(r"[A-Z]+", "", frozen) or 1) - 1
            if row >= 1 and ws.max_row > row:
                ws.print_title_rows = f"1:{row}"
        ws.print_options.gridLines = False
