"""Read an input workbook strictly and kindly: raw rows with their places, and a map to cells.

The reader turns sheets into the raw rows the scenario loader validates (the same path as CSV
tables), after handling Excel's habits: numbers stored as text, stray spaces, empty rows,
merged cells, dates where a year was meant, formulas (their last calculated value is read; a
formula without one is a problem). Each row's place is ``inputs.xlsx › sites › row 7``, and
:attr:`WorkbookFile.cells` maps ``<row place> › <field>`` to the cell (``inputs.xlsx › sites ›
D7``) so that any problem about a field — a bound, a type, an unknown reference found by the
cross-table checks — can name its cell (see :func:`cell_places`).

Untrusted files are read safely: openpyxl parses XML through defusedxml (entity declarations are
refused), external links are not loaded, and the file, its unpacked size, its sheets and cells
have size limits, each with a clear problem.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import openpyxl
import openpyxl.xml
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import Problem, near_miss
from ..scenario.schema import BLOCKS, REQUIRED_TABLES, TABLES, parse_pairs
from .layout import (
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

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
MAX_FILE_BYTES = 50 * 1024**2  # the .xlsx file itself
MAX_UNPACKED_BYTES = 400 * 1024**2  # its parts once unzipped (a zip bomb stops here)
MAX_ROWS = 100_000  # data rows per sheet
MAX_COLUMNS = 500
MAX_CELL_CHARS = 10_000

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!")


def is_workbook(path: str | Path) -> bool:
    """Whether ``path`` names an Excel workbook (by its suffix)."""
    return Path(path).suffix.lower() in WORKBOOK_SUFFIXES


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace(",", ";").split(";") if p.strip()]


def _pairs(text: str) -> dict[str, str]:
    return parse_pairs(text)


def _excel_serial(d: dt.datetime) -> float:
    return (d - dt.datetime(1899, 12, 30)).total_seconds() / 86400


class WorkbookFile:
    """One workbook, opened once; reads its sheets as raw rows with places and cell addresses.

    Parameters
    ----------
    path
        The workbook.
    label
        How places name it (``inputs.xlsx``).
    """

    def __init__(self, path: Path, label: str) -> None:
        self.path = path
        self.label = label
        self.problems: list[Problem] = []
        self.cells: dict[str, tuple[str, str]] = {}
        self.data = b""
        self.values: Any = None
        self.formulas: Any = None
        self.n_formulas = 0
        self.missing_columns: set[tuple[str, str]] = set()  # (label › sheet, column)
        self.reported_cells: set[str] = set()  # field places whose cell was already reported
        self._open()

    # ---- opening ---------------------------------------------------------------------------
    def _bad(self, message: str, where: str = "") -> None:
        self.problems.append(Problem(f"{self.label}{' › ' + where if where else ''}", message))

    def _open(self) -> None:
        if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - defusedxml is a dependency
            self._bad("cannot be read safely: the 'defusedxml' package is missing (pip install defusedxml)")
            return
        size = self.path.stat().st_size
        if size > MAX_FILE_BYTES:
            self._bad(f"is too large ({size / 1024**2:.0f} MB; at most {MAX_FILE_BYTES // 1024**2} MB)")
            return
        self.data = self.path.read_bytes()
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as zf:
                unpacked = sum(i.file_size for i in zf.infolist())
        except zipfile.BadZipFile:
            hint = " (an old .xls file? save it as .xlsx)" if self.data[:4] == b"\xd0\xcf\x11\xe0" else ""
            self._bad(f"is not an Excel .xlsx workbook{hint}")
            return
        if unpacked > MAX_UNPACKED_BYTES:
            self._bad(f"is too large once unpacked ({unpacked / 1024**2:.0f} MB; at most {MAX_UNPACKED_BYTES // 1024**2} MB)")
            return
        try:
            self.values = openpyxl.load_workbook(io.BytesIO(self.data), data_only=True, keep_links=False)
            self.formulas = openpyxl.load_workbook(io.BytesIO(self.data), data_only=False, keep_links=False)
        except Exception as err:  # defusedxml's refusals, broken XML, missing parts
            chain, e = [], err
            while e is not None and len(chain) < 10:
                chain.append(type(e).__name__)
                e = e.__cause__ or e.__context__
            name = next((n for n in chain if "Entit" in n or "DTD" in n or "External" in n), type(err).__name__)
            if "Entit" in name or "DTD" in name or "External" in name:
                self._bad(f"was refused: it declares XML entities or a DTD ({name}), which a workbook never needs")
            else:
                self._bad(f"cannot be read as an Excel workbook ({name}: {err})")
            self.values = self.formulas = None

    @property
    def ok(self) -> bool:
        return self.values is not None

    def sheet_name(self, wanted: str) -> str | None:
        """The sheet called ``wanted``, allowing stray spaces and a different case."""
        if not self.ok:
            return None
        names = self.values.sheetnames
        if wanted in names:
            return wanted
        for n in names:
            if n.strip().casefold() == wanted.strip().casefold():
                return str(n)
        return None

    def missing_sheet(self, wanted: str, where: str) -> None:
        self._bad(f"sheet '{wanted}' not found in {self.label}{near_miss(wanted, self.values.sheetnames)}", where)

    # ---- cells -----------------------------------------------------------------------------
    def _grid(self, sheet: str, extra_rows: int = 0) -> tuple[list[list[Any]], dict[tuple[int, int], str]]:
        """The sheet's values (1-based rows, trailing empty rows dropped) and formula texts."""
        ws: Worksheet = self.values[sheet]
        fws: Worksheet = self.formulas[sheet]
        where = sheet
        max_row, max_col = ws.max_row, ws.max_column
        grid: list[list[Any]] = []
        last = 0
        for r, row in enumerate(ws.iter_rows(min_row=1, max_row=max_row, values_only=True), start=1):
            vals = list(row)
            if any(v is not None and not (isinstance(v, str) and not v.strip()) for v in vals):
                last = r
                if r > MAX_ROWS + FIRST_DATA_ROW - 1 + extra_rows:
                    self._bad(f"has more than {MAX_ROWS:,} rows (the limit for one table)", where)
                    return [], {}
                if max_col > MAX_COLUMNS and any(v is not None for v in vals[MAX_COLUMNS:]):
                    self._bad(f"has more than {MAX_COLUMNS} columns", where)
                    return [], {}
            grid.append(vals[:MAX_COLUMNS])
        grid = grid[:last]
        formulas: dict[tuple[int, int], str] = {}
        for row in fws.iter_rows(min_row=1, max_row=last):
            for c in row:
                if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith("=") and c.data_type != "s"):
                    formulas[c.row, c.column] = str(c.value if isinstance(c.value, str) else getattr(c.value, "text", c.value))
        # merged cells: vertical runs in the data are filled down; merges across columns are not guessed
        for rng in ws.merged_cells.ranges:
            a = f"{get_column_letter(rng.min_col)}{rng.min_row}:{get_column_letter(rng.max_col)}{rng.max_row}"
            if rng.min_row > last:
                continue
            if rng.min_row <= HEADER_ROW and rng.max_col > rng.min_col:
                self._bad(f"header cells {a} are merged: unmerge them and give each column its own name in row {HEADER_ROW}",
                          f"{where} › {a}")
            elif rng.min_row >= FIRST_DATA_ROW and rng.max_col > rng.min_col:
                self._bad("cells are merged across columns: unmerge them and give each column its own value",
                          f"{where} › {a}")
            elif rng.min_row >= FIRST_DATA_ROW:
                top = grid[rng.min_row - 1][rng.min_col - 1]
                for r in range(rng.min_row + 1, min(rng.max_row, last) + 1):
                    grid[r - 1][rng.min_col - 1] = top
                log.info("%s › %s › %s: merged cells read as the value '%s' in each row", self.label, sheet, a, top)
        return grid, formulas

    def _cell(self, sheet: str, r: int, c: int, value: Any, formulas: Mapping[tuple[int, int], str]) -> tuple[Any, bool]:
        """(value, ok) of a cell, with formulas and Excel errors checked."""
        where = f"{sheet} › {get_column_letter(c)}{r}"
        if (r, c) in formulas:
            if value is None:
                self._bad(f"formula '{formulas[r, c]}' has no saved value: open and save the workbook in Excel or "
                          "LibreOffice so its result is stored, or type the value", where)
                return None, False
            self.n_formulas += 1
        if isinstance(value, str):
            if value.strip() in _ERRORS:
                self._bad(f"holds the Excel error {value.strip()}", where)
                return None, False
            if len(value) > MAX_CELL_CHARS:
                self._bad(f"holds {len(value):,} characters (at most {MAX_CELL_CHARS:,})", where)
                return None, False
            value = value.strip()
            if value == "":
                return None, True
        return value, True

    def _clean(self, col: Column | None, value: Any, where: str) -> Any:
        """A cell value as the loader expects it for the column's kind (Excel's habits undone)."""
        kind = col.kind if col else "number"
        if isinstance(value, dt.time):
            value = value.isoformat()
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        if isinstance(value, dt.datetime):
            if col is not None and col.unit == "year":
                serial = _excel_serial(value)
                year = int(round(serial)) if value.year < 1910 and 1900 <= serial <= 2200 else value.year
                log.info("%s: date %s read as the year %d", where, value.date(), year)
                return year
            if kind in ("number", "int", "number_or_name"):
                return f"{value.date()} (a date)"  # pydantic reports: must be a number (got …)
            return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
        if isinstance(value, str):
            if kind in ("number", "int", "number_or_name") and _THOUSANDS.match(value):
                return value.replace(",", "")
            if kind == "list":
                return _split(value)
            if kind == "mapping":
                return _pairs(value)
            if kind == "objective" and ("=" in value or ":" in value):
                return _pairs(value)
            return value
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and kind in ("str", "choice", "list"):
            text = str(int(value)) if float(value).is_integer() else repr(value)
            return [text] if kind == "list" else text
        if isinstance(value, float) and kind == "int" and value.is_integer():
            return int(value)
        return value

    # ---- tables ----------------------------------------------------------------------------
    def table(self, table: str, sheet: str | None = None) -> tuple[list[dict[str, Any]], list[str]]:
        """Raw rows of a table's sheet and each row's place (``inputs.xlsx › sites › row 7``)."""
        cols = {c.key: c for c in table_columns(table)} if table in TABLES else None
        return self._rows(table, sheet or table, cols)

    def profiles(self, sheet: str | None = None) -> tuple[list[dict[str, Any]], list[str]]:
        """Raw rows of the wide profiles sheet (``slice`` and one column per profile)."""
        return self._rows(PROFILES_SHEET, sheet or PROFILES_SHEET, None)

    def _rows(self, table: str, wanted: str, cols: Mapping[str, Column] | None) -> tuple[list[dict[str, Any]], list[str]]:
        if not self.ok:
            return [], []
        sheet = self.sheet_name(wanted)
        if sheet is None:
            self.missing_sheet(wanted, table)
            return [], []
        grid, formulas = self._grid(sheet)
        if not grid:
            return [], []
        header: dict[int, str] = {}
        seen: dict[str, int] = {}
        for c, v in enumerate(grid[HEADER_ROW - 1], start=1):
            name = " ".join(str(v).split()) if v is not None else ""
            at = f"{sheet} › {get_column_letter(c)}{HEADER_ROW}"
            if not name:
                if any(len(row) >= c and row[c - 1] not in (None, "") for row in grid[FIRST_DATA_ROW - 1:]):
                    self._bad(f"column {get_column_letter(c)} has values but no name in row {HEADER_ROW}", at)
                continue
            if cols is not None and name not in cols:
                self._bad(f"unknown column '{name}'{near_miss(name, list(cols))}", at)
                continue
            if name in seen:
                self._bad(f"column '{name}' appears twice (also in column {get_column_letter(seen[name])})", at)
                continue
            seen[name] = c
            header[c] = name
        if cols is not None:
            for key, col in cols.items():
                if col.required and key not in seen:
                    self.missing_columns.add((f"{self.label} › {sheet}", key))
                    self._bad(f"required column '{key}' is missing (row {HEADER_ROW} names the columns)", sheet)
            if len(grid) >= UNIT_ROW:
                for c, name in header.items():
                    unit = grid[UNIT_ROW - 1][c - 1] if c <= len(grid[UNIT_ROW - 1]) else None
                    want = cols[name].unit
                    if unit not in (None, "") and str(unit).strip() != want:
                        self._bad(f"row {UNIT_ROW} holds the units and says '{unit}', but {name} is in "
                                  f"{want or 'no unit'}: give the values in {want or 'plain numbers'} and keep row "
                                  f"{UNIT_ROW} as it was", f"{sheet} › {get_column_letter(c)}{UNIT_ROW}")
        elif "slice" not in seen:
            self._bad(f"needs a 'slice' column naming the time slice of each row (row {HEADER_ROW})", sheet)
            return [], []
        rows: list[dict[str, Any]] = []
        places: list[str] = []
        for r in range(FIRST_DATA_ROW, len(grid) + 1):
            cells = grid[r - 1]
            place = f"{self.label} › {sheet} › row {r}"
            row: dict[str, Any] = {}
            for c, name in header.items():
                raw = cells[c - 1] if c <= len(cells) else None
                value, ok = self._cell(sheet, r, c, raw, formulas)
                cell = f"{self.label} › {sheet} › {get_column_letter(c)}{r}"
                self.cells[f"{place} › {name}"] = (cell, name)
                if not ok:
                    self.reported_cells.add(f"{place} › {name}")
                if not ok or value is None:
                    continue
                col = cols[name] if cols is not None else (_SLICE if name == "slice" else None)
                row[name] = self._clean(col, value, cell)
            if not row and not any(v not in (None, "") for v in cells):
                continue  # an empty row between rows
            if not row:
                continue  # only unnamed columns or bad cells: already reported
            rows.append(row)
            places.append(place)
        return rows, places

    # ---- the scenario sheet ----------------------------------------------------------------
    def scenario_doc(self) -> dict[str, Any]:
        """The scenario as a document: scalars from the ``scenario`` sheet, tables by reference."""
        doc: dict[str, Any] = {}
        if not self.ok:
            return doc
        known = {c.key: c for c in scalar_columns()}
        sheet = self.sheet_name(SCENARIO_SHEET)
        if sheet is None:
            self.missing_sheet(SCENARIO_SHEET, SCENARIO_SHEET)
        else:
            grid, formulas = self._grid(sheet, extra_rows=len(known))
            for r in range(HEADER_ROW + 1, len(grid) + 1):
                cells = grid[r - 1] + [None, None]
                key, ok = self._cell(sheet, r, 1, cells[0], formulas)
                if not ok or key in (None, ""):
                    continue
                key = " ".join(str(key).split())
                if key not in known:
                    self._bad(f"unknown key '{key}'{near_miss(key, list(known))}", f"{sheet} › A{r}")
                    continue
                value, ok = self._cell(sheet, r, 2, cells[1], formulas)
                cell = f"{self.label} › {sheet} › B{r}"
                block, _, field = key.partition(".")
                if field:
                    self.cells[f"{self.label} › {block} › {field}"] = (cell, key)
                else:
                    self.cells[f"{self.label} › {key}"] = (cell, key)
                if not ok or value is None:
                    continue
                value = self._clean(known[key], value, cell)
                if key == "description" and isinstance(cells[1], str):
                    value = cells[1]  # free text, kept exactly as written
                if field:
                    doc.setdefault(block, {})[field] = value
                else:
                    doc[key] = value
        names = {n.strip().casefold(): n for n in self.values.sheetnames}
        expected = [*TABLES, PROFILES_SHEET]
        suggested = set()
        for t in expected:
            if t.casefold() in names:
                doc[t] = {"file": self.label, "sheet": names[t.casefold()]}
            elif t in REQUIRED_TABLES:
                self.missing_sheet(t, t)
                suggested |= {n for n in self.values.sheetnames if near_miss(t, [n])}
        for n in self.values.sheetnames:
            key = n.strip().casefold()
            if key in {t.casefold() for t in expected} or key in (SCENARIO_SHEET, README_SHEET.casefold()) or n in suggested:
                continue
            hint = near_miss(n, expected + [SCENARIO_SHEET])
            if hint:
                self._bad(f"unknown sheet '{n}'{hint}", n)
            else:
                log.info("%s: sheet '%s' is not a scenario table; ignored", self.label, n)
        for b in BLOCKS:
            doc.setdefault(b, {})
        return doc


_SLICE = Column(key="slice", attr="slice", kind="str", unit="", description="", required=True, default=None,
                optional=False, bounds=())


_ROW_PLACE = re.compile(r"^(.*) › row \d+$")


def drop_missing_column_rows(problems: Iterable[Problem], missing: set[tuple[str, str]],
                             reported: set[str] = frozenset()) -> list[Problem]:  # type: ignore[assignment]
    """Drop "is required but missing" where it repeats a problem already reported: for each row
    of a sheet whose column is missing (said once), and for a cell already reported (a formula
    without a value, an Excel error)."""
    out = []
    for p in problems:
        head, _, field = p.place.rpartition(" › ")
        m = _ROW_PLACE.match(head)
        if p.message == "is required but missing" and (p.place in reported or (m and (m.group(1), field) in missing)):
            continue
        out.append(p)
    return out


def cell_places(problems: Iterable[Problem], cells: Mapping[str, tuple[str, str]]) -> list[Problem]:
    """Problems with field places rewritten to cells: ``… › row 7 › pue`` → ``… › D7 (pue)``.

    ``cells`` maps a field's place to (its cell, the name to show). A problem about a nested
    field (``efficiency.h1``) names the cell of its column.
    """
    out = []
    for p in problems:
        head, sep, last = p.place.rpartition(" › ")
        first, dot, rest = last.partition(".")
        hit = cells.get(p.place) or (cells.get(f"{head} › {first}") if sep else None)
        if hit is None:
            out.append(p)
            continue
        cell, name = hit
        shown = name if p.place in cells else f"{name}.{rest}"
        out.append(Problem(f"{cell} ({shown})", p.message))
    return out
