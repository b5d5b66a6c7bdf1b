"""Write an input workbook: a blank template with example rows, or a scenario as a workbook.

The sheets, columns, units, descriptions and data validation all come from the schema (see
:mod:`planner.scenario.workbook_layout`); nothing here lists a field by hand. The example rows of the
blank template form a small working scenario (two regions, two sites, one link), so the template
validates and runs as it is, and an analyst replaces the examples with their own rows.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..atomic import save_workbook
from ..report.style import HEADER_FILL, HEADER_FONT, NOTE_FONT, TITLE_FONT, first_sheet, put
from ..scenario.schema import BLOCKS, TABLES, Scenario
from ..scenario.workbook_layout import (
    DESC_ROW,
    FIRST_DATA_ROW,
    HEADER_ROW,
    PROFILES_SHEET,
    README_SHEET,
    SCENARIO_SHEET,
    UNIT_ROW,
    Column,
    scalar_columns,
    table_columns,
)

log = logging.getLogger(__name__)

#: Rows below the data that carry data validation (room to add rows).
VALIDATED_ROWS = 500
UNIT_FILL = PatternFill("solid", fgColor="D9E1F2")
DESC_FILL = PatternFill("solid", fgColor="F2F2F2")
REQUIRED_MARK = " *"

#: The example rows of the blank template: a small working scenario (the tiny test scenario).
#: Fields not given here take their schema default.
EXAMPLE: dict[str, Any] = {
    "name": "example",
    "description": "Two regions, one site in each, one candidate link, a day and a night slice.",
    "year": 2025,
    "objective": "cost",
    "time_slices": [
        {"name": "day", "weight": 4380, "day": "d1"},
        {"name": "night", "weight": 4380, "day": "d1"},
    ],
    "regions": [
        {"name": "east", "lat": 31.23, "lon": 121.47, "tags": ["east"]},
        {"name": "west", "lat": 37.5, "lon": 105.2, "tags": ["west"]},
    ],
    "sites": [
        {
            "name": "site_e",
            "region": "east",
            "pue": 1.5,
            "price_mwh": 600,
            "grid_tco2_mwh": 0.6,
            "max_it_mw": 10,
            "source": "example",
        },
        {
            "name": "site_w",
            "region": "west",
            "pue": 1.2,
            "price_mwh": 300,
            "grid_tco2_mwh": 0.5,
            "open_cost": 1500000,
            "max_it_mw": 10,
            "source": "example",
        },
    ],
    "hardware": [
        {
            "name": "acc",
            "pflops": 1.0,
            "kw": 100,
            "idle_frac": 0.5,
            "capex": 500000,
            "life_years": 5,
            "domestic": True,
        }
    ],
    "job_classes": [
        {"name": "inference", "max_latency_ms": 5, "unserved_cost": 10000},
        {"name": "training", "gbps_per_pflops": 10, "shiftable": True, "unserved_cost": 10000},
    ],
    "demand": [
        {"class": "inference", "region": "east", "pflops": 2, "profile": "users"},
        {"class": "training", "region": "east", "pflops": 4},
    ],
    "profiles": {"users": {"day": 1.5, "night": 0.5}},
    "links": [
        {
            "from": "east",
            "to": "west",
            "distance_km": 1000,
            "latency_ms": 10,
            "unit_gbps": 100,
            "unit_cost": 50000,
            "max_units": 4,
        }
    ],
}

README_TEXT = """\
planner input workbook

This workbook is a complete planner scenario. Run it with:  planner run {file}
Check it without solving:  planner validate {file}

How it is laid out
• The 'scenario' sheet holds single values: the scenario's name, year and objective, and the
  options of the solver, the network and the policy levers (written block.field, e.g.
  policy.carbon_price). Leave a value empty to use its default (shown in the description column).
• Every other sheet is a table: one row per item (a region, a site, a hardware type, ...).
  Row 1 is the column name, row 2 its unit, row 3 what it means; your rows start at row 4.
  Hover over a column name for a longer note. Columns marked * in the note are required.
• Do not change the units in row 2: planner checks them, and every number must be in that unit.
• Names link the sheets: a site's region must be a row of 'regions', a demand row's class a row
  of 'job_classes', a link's ends rows of 'regions'. Drop-down lists offer the names you entered.
• Yes/no columns take yes or no. Lists (tags, hardware) are written a; b.
  Pairs (efficiency, policy by tag) are written name=value; name=value.
• 'profiles' has one row per time slice and one column per profile (multipliers of demand, or
  per-slice prices). A site's price_mwh may name a profile instead of giving a number.
• Empty rows are ignored; cells holding formulas are read by their last calculated value, so save
  the workbook in Excel or LibreOffice after editing formulas.
• source and note are free text: say where each number comes from.

{examples}
Every problem is reported at once with its place, e.g.  {file} › sites › D5 (pue): must be ≥ 1.0 (got 0.9)
"""


def _cell_text(col: Column, value: Any) -> Any:
    """A scenario value as a workbook cell value (lists and mappings as text, booleans yes/no)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value) or None
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={_num(v)}" for k, v in value.items()) or None
    return value


def _num(v: Any) -> Any:
    return int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 1e15 else v


def _header(ws: Worksheet, cols: list[Column]) -> None:
    for j, c in enumerate(cols, start=1):
        cell = put(ws, HEADER_ROW, j, c.key)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.comment = Comment(
            c.help() + (" (*)" if c.required else ""), "planner", width=320, height=160
        )
        unit = put(ws, UNIT_ROW, j, c.unit or None)
        unit.fill, unit.font = UNIT_FILL, Font(italic=True)
        desc = put(
            ws, DESC_ROW, j, (c.description or c.key) + (REQUIRED_MARK if c.required else "")
        )
        desc.fill, desc.font = DESC_FILL, NOTE_FONT
        desc.alignment = Alignment(wrap_text=True, vertical="top")
        width = max(len(c.key) + 4, len(c.unit) + 2, 12)
        ws.column_dimensions[get_column_letter(j)].width = min(
            width if c.kind != "str" or c.key != "source" else 30, 40
        )
    ws.row_dimensions[DESC_ROW].height = 45
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=2).coordinate


def _validation(col: Column, key_ranges: Mapping[str, str]) -> DataValidation | None:
    """Data validation for a column: drop-down of names, numeric bounds, yes/no, choices."""
    dv: DataValidation | None = None
    if col.ref and col.ref in key_ranges:
        dv = DataValidation(type="list", formula1=key_ranges[col.ref], allow_blank=True)
        dv.error = f"Pick a name from sheet '{col.ref}'."
    elif col.kind == "bool":
        dv = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
        dv.error = "Answer yes or no."
    elif col.kind == "choice":
        dv = DataValidation(
            type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=True
        )
        dv.error = "Pick one of: " + ", ".join(col.choices)
    elif col.kind in ("number", "int") and col.bounds:
        lo = [v for op, v in col.bounds if op in (">=", ">")]
        hi = [v for op, v in col.bounds if op in ("<=", "<")]
        kind: Literal["whole", "decimal"] = "whole" if col.kind == "int" else "decimal"
        op: Literal["greaterThan", "greaterThanOrEqual", "lessThan", "lessThanOrEqual"]
        if lo and hi:
            dv = DataValidation(
                type=kind,
                operator="between",
                formula1=f"{lo[0]:g}",
                formula2=f"{hi[0]:g}",
                allow_blank=True,
            )
        elif lo:
            op = "greaterThan" if (">", lo[0]) in col.bounds else "greaterThanOrEqual"
            dv = DataValidation(type=kind, operator=op, formula1=f"{lo[0]:g}", allow_blank=True)
        elif hi:
            op = "lessThan" if ("<", hi[0]) in col.bounds else "lessThanOrEqual"
            dv = DataValidation(type=kind, operator=op, formula1=f"{hi[0]:g}", allow_blank=True)
        if dv is not None:
            dv.error = f"{col.key} must be {col.bounds_text()}" + (
                " (a whole number)" if col.kind == "int" else ""
            )
    elif col.kind == "int":
        dv = DataValidation(
            type="whole",
            operator="between",
            formula1="-1000000000",
            formula2="1000000000",
            allow_blank=True,
        )
        dv.error = f"{col.key} must be a whole number"
    if dv is not None:
        dv.showErrorMessage = True
        dv.errorTitle = f"{col.key}: not allowed"
        dv.prompt = col.help()[:250]
        dv.promptTitle = col.key[:32]
        dv.showInputMessage = True
    return dv


def _fill_table(ws: Worksheet, cols: list[Column], rows: Sequence[Mapping[str, Any]]) -> None:
    for i, row in enumerate(rows, start=FIRST_DATA_ROW):
        for j, c in enumerate(cols, start=1):
            put(ws, i, j, _cell_text(c, row.get(c.key)))


def _key_ranges(sheets: Mapping[str, str], last: int) -> dict[str, str]:
    """The list formula of each table's name column (for drop-downs), e.g. ``'regions'!$A$4:$A$600``."""
    out = {}
    for table, sheet in sheets.items():
        cols = table_columns(table)
        if cols and cols[0].key == "name":
            out[table] = f"{quote_sheetname(sheet)}!$A${FIRST_DATA_ROW}:$A${last}"
    return out


def build_template(scenario: Scenario | None = None, *, file_name: str = "inputs.xlsx") -> Workbook:
    """The input workbook in memory: blank with example rows, or filled with ``scenario``."""
    doc: dict[str, Any]
    if scenario is None:
        doc = dict(EXAMPLE)
    else:
        doc = scenario.model_dump(mode="json", by_alias=True, exclude={"source_path", "input_hash"})
    wb = Workbook()
    readme = first_sheet(wb)
    readme.title = README_SHEET
    nrows = max([len(doc.get(t) or []) for t in TABLES] + [len(doc.get("time_slices") or [])])
    last = FIRST_DATA_ROW + nrows + VALIDATED_ROWS
    ranges = _key_ranges({t: t for t in TABLES}, last)

    # scenario sheet: key, value, unit, description
    ws = wb.create_sheet(SCENARIO_SHEET)
    heads = ["key", "value", "unit", "description"]
    for j, h in enumerate(heads, start=1):
        cell = put(ws, HEADER_ROW, j, h)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for r, c in enumerate(scalar_columns(), start=HEADER_ROW + 1):
        block, _, field = c.key.partition(".")
        value = (doc.get(block) or {}).get(field) if field and block in BLOCKS else doc.get(c.key)
        if scenario is None and value is None:
            value = c.default if c.default not in ("", [], {}) else None
        if c.kind == "objective" and isinstance(value, Mapping):
            value = _cell_text(c, value)
        put(ws, r, 1, c.key).font = Font(bold=True)
        put(ws, r, 2, _cell_text(c, value))
        put(ws, r, 3, c.unit or None).font = Font(italic=True)
        put(ws, r, 4, c.help()).font = NOTE_FONT
        dv = _validation(c, {})
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"B{r}")
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 12
    ws.column_dimensions["D"].width = 110
    ws.freeze_panes = "B2"

    sheet_order = list(TABLES)
    pos = sheet_order.index("demand") + 1 if "demand" in sheet_order else len(sheet_order)
    sheet_order.insert(pos, PROFILES_SHEET)
    for table in sheet_order:
        ws = wb.create_sheet(table)
        if table == PROFILES_SHEET:
            _profiles_sheet(
                ws,
                doc.get("profiles") or {},
                [s["name"] for s in doc.get("time_slices") or []],
                last,
            )
            continue
        cols = table_columns(table)
        _header(ws, cols)
        _fill_table(ws, cols, doc.get(table) or [])
        for j, c in enumerate(cols, start=1):
            dv = _validation(c, ranges)
            if dv is not None:
                ws.add_data_validation(dv)
                letter = get_column_letter(j)
                dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last}")
        if table == "demand":
            pj = next((k for k, c in enumerate(cols, start=1) if c.key == "profile"), None)
            if pj:
                dv = DataValidation(
                    type="list",
                    formula1=f"{quote_sheetname(PROFILES_SHEET)}!$B${HEADER_ROW}:$Z${HEADER_ROW}",
                    allow_blank=True,
                )
                dv.error, dv.errorTitle, dv.showErrorMessage = (
                    "Pick a profile (a column of sheet 'profiles').",
                    "profile",
                    True,
                )
                ws.add_data_validation(dv)
                dv.add(f"{get_column_letter(pj)}{FIRST_DATA_ROW}:{get_column_letter(pj)}{last}")

    examples = (
        "The rows already filled in are an example (a small scenario that runs as it is): replace them\n"
        "with your own."
        if scenario is None
        else f"The rows are scenario '{scenario.name}'."
    )
    for i, line in enumerate(
        README_TEXT.format(file=file_name, examples=examples).splitlines(), start=1
    ):
        cell = put(readme, i, 1, line or None)
        if i == 1:
            cell.font = TITLE_FONT
    readme.column_dimensions["A"].width = 110
    return wb


def _profiles_sheet(
    ws: Worksheet, profiles: Mapping[str, Mapping[str, float]], slices: list[str], last: int
) -> None:
    slice_col = Column(
        key="slice",
        attr="slice",
        kind="str",
        unit="",
        description="time slice (a row of 'time_slices')",
        required=True,
        default=None,
        optional=False,
        bounds=(),
        ref="time_slices",
    )
    cols = [slice_col] + [
        Column(
            key=p,
            attr=p,
            kind="number",
            unit="",
            description="profile: a value per slice",
            required=False,
            default=None,
            optional=False,
            bounds=(),
        )
        for p in profiles
    ]
    _header(ws, cols)
    rows = [
        {"slice": s, **{p: v.get(s) for p, v in profiles.items()}}
        for s in slices
        if any(s in v for v in profiles.values())
    ]
    _fill_table(ws, cols, rows)
    dv = _validation(slice_col, _key_ranges({"time_slices": "time_slices"}, last))
    if dv is not None:
        ws.add_data_validation(dv)
        dv.add(f"A{FIRST_DATA_ROW}:A{last}")


def write_template(path: str | os.PathLike[str], scenario: Scenario | None = None) -> Path:
    """Write the input workbook to ``path`` (atomically); blank with examples, or ``scenario``.

    Examples
    --------
    >>> from planner.workbook import write_template
    >>> write_template("inputs.xlsx")  # doctest: +SKIP
    PosixPath('inputs.xlsx')
    """
    target = Path(path)
    wb = build_template(scenario, file_name=target.name)
    save_workbook(wb, target)
    log.info("input workbook written: %s", target)
    return target
