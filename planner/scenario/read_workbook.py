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
import threading
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import openpyxl
import openpyxl.xml
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser
from openpyxl.worksheet.cell_range import CellRange

from ..errors import Problem, ScenarioError, near_miss
from ..safeio import read_bytes
from .schema import BLOCKS, REQUIRED_TABLES, TABLES, parse_pairs
from .workbook_layout import (
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
MAX_PART_BYTES = (
    32 * 1024**2
)  # one part other than a sheet once unzipped (shared strings, styles), read whole by openpyxl
MAX_ROWS = 50_000  # data rows per sheet
MAX_COLUMNS = 500
MAX_CELLS = 200_000  # cells read in the whole workbook (sheets are read as streams and stop here)
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


class _LazySheet(ReadOnlyWorksheet):
    """A read-only sheet that does not look for its size when opened.

    openpyxl's read-only sheet reads its ``<dimension>`` on opening, and a sheet without one (as
    many writers make them) is parsed whole just for that: the stream of :meth:`WorkbookFile._grid`
    is the only pass over a sheet here, and it stops at the limits.
    """

    def _get_size(self) -> None:
        self._min_row = self._min_column = self._max_row = self._max_column = None


_LAZY = threading.Lock()


def _load_lazily(source: Any) -> Any:
    """``openpyxl.load_workbook(read_only=True, data_only=True, keep_links=False)`` with lazy sheets."""
    import openpyxl.reader.excel as excel

    with _LAZY:
        setattr(excel, "ReadOnlyWorksheet", _LazySheet)  # noqa: B010 - not in openpyxl's stubs
        try:
            return openpyxl.load_workbook(source, read_only=True, data_only=True, keep_links=False)
        finally:
            setattr(excel, "ReadOnlyWorksheet", ReadOnlyWorksheet)  # noqa: B010


class _Parser(WorkSheetParser):
    """openpyxl's sheet parser giving each cell its saved value *and*, for a formula, its text."""

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell = super().parse_cell(element)
        f = element.find(FORMULA_TAG)
        if f is not None:
            cell["formula"] = "=" + (f.text or "")
        return cell


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
        self.n_formulas = 0
        self.n_cells = 0  # cells read so far, in every sheet
        self.missing_columns: set[tuple[str, str]] = set()  # (label › sheet, column)
        self.reported_cells: set[str] = set()  # field places whose cell was already reported
        self._open()

    # ---- opening ---------------------------------------------------------------------------
    def _bad(self, message: str, where: str = "") -> None:
        self.problems.append(Problem(f"{self.label}{' › ' + where if where else ''}", message))

    def _open(self) -> None:
        if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - defusedxml is a dependency
            self._bad(
                "cannot be read safely: the 'defusedxml' package is missing (pip install defusedxml)"
            )
            return
        try:
            self.data = read_bytes(self.path, self.label, MAX_FILE_BYTES)
        except ScenarioError as err:
            self.problems.extend(err.problems)
            return
        try:
            with zipfile.ZipFile(io.BytesIO(self.data)) as zf:
                parts = [(i.filename, i.file_size) for i in zf.infolist()]
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
            hint = (
                " (an old .xls file? save it as .xlsx)"
                if self.data[:4] == b"\xd0\xcf\x11\xe0"
                else ""
            )
            self._bad(f"is not an Excel .xlsx workbook{hint}")
            return
        unpacked = sum(n for _, n in parts)
        if unpacked > MAX_UNPACKED_BYTES:
            self._bad(
                f"is too large once unpacked ({unpacked / 1024**2:.0f} MB; at most {MAX_UNPACKED_BYTES // 1024**2} MB)"
            )
            return
        big = [
            (name, n)
            for name, n in parts
            if n > MAX_PART_BYTES and not name.startswith("xl/worksheets/")
        ]
        if big:
            name, n = big[0]
            self._bad(
                f"has a part too large once unpacked ({name}: {n / 1024**2:.0f} MB; at most "
                f"{MAX_PART_BYTES // 1024**2} MB outside the sheets)"
            )
            return
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl's notes about unsupported extensions
                self.values = _load_lazily(io.BytesIO(self.data))
        except Exception as err:  # defusedxml's refusals, broken XML, missing parts
            self._refused(err)
            self.values = None

    def _refused(self, err: BaseException, where: str = "") -> None:
        chain: list[str] = []
        e: BaseException | None = err
        while e is not None and len(chain) < 10:
            chain.append(type(e).__name__)
            e = e.__cause__ or e.__context__
        name = next(
            (n for n in chain if "Entit" in n or "DTD" in n or "External" in n), type(err).__name__
        )
        if "Entit" in name or "DTD" in name or "External" in name:
            self._bad(
                f"was refused: it declares XML entities or a DTD ({name}), which a workbook never needs",
                where,
            )
        else:
            self._bad(f"cannot be read as an Excel workbook ({name}: {str(err)[:200]})", where)

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
        self._bad(
            f"sheet '{wanted}' not found in {self.label}{near_miss(wanted, self.values.sheetnames)}",
            where,
        )

    # ---- cells -----------------------------------------------------------------------------
    def _grid(
        self, sheet: str, extra_rows: int = 0
    ) -> tuple[list[list[Any]], dict[tuple[int, int], str]]:
        """The sheet's values (1-based rows, trailing empty rows dropped) and formula texts.

        The sheet is read as a stream of rows (never loaded whole) and reading stops with a
        problem at the first row past :data:`MAX_ROWS`, a value past :data:`MAX_COLUMNS`, or past
        :data:`MAX_CELLS` cells read in the whole workbook.
        """
        where = sheet
        ws = self.values[sheet]
        if not isinstance(ws, ReadOnlyWorksheet):
            self._bad("is a chart sheet, not a table", where)
            return [], {}
        limit = MAX_ROWS + FIRST_DATA_ROW - 1 + extra_rows
        grid: list[list[Any]] = []
        formulas: dict[tuple[int, int], str] = {}
        last = seen_rows = 0
        try:
            stream: Any = ws  # openpyxl's streaming reader: _get_source and _shared_strings are not in its stubs
            with stream._get_source() as src:
                parser = _Parser(
                    src,
                    stream._shared_strings,
                    data_only=True,
                    epoch=self.values.epoch,
                    date_formats=self.values._date_formats,
                    timedelta_formats=self.values._timedelta_formats,
                )
                for r, cells in parser.parse():
                    seen_rows += 1
                    self.n_cells += len(cells)
                    if self.n_cells > MAX_CELLS:
                        self._bad(
                            f"the workbook has more than {MAX_CELLS:,} cells (the limit); reading stopped in row {r}",
                            where,
                        )
                        return [], {}
                    if seen_rows > 2 * limit:
                        self._bad(
                            f"has more than {MAX_ROWS:,} rows (the limit for one table)", where
                        )
                        return [], {}
                    vals: dict[int, Any] = {}
                    data = False
                    for c in cells:
                        col, v = c["column"], c["value"]
                        if "formula" in c and col <= MAX_COLUMNS:
                            formulas[r, col] = c["formula"]
                        if v is None:
                            continue
                        if not (isinstance(v, str) and not v.strip()):
                            data = True
                            if col > MAX_COLUMNS:
                                self._bad(f"has more than {MAX_COLUMNS} columns", where)
                                return [], {}
                        vals[col] = v
                    if data:
                        if r > limit:
                            self._bad(
                                f"has more than {MAX_ROWS:,} rows (the limit for one table)", where
                            )
                            return [], {}
                        last = r
                    if r > limit or not vals:
                        continue
                    while len(grid) < r - 1:
                        grid.append([])
                    row = [None] * max(vals)
                    for col, v in vals.items():
                        row[col - 1] = v
                    grid.append(row)
                merged = parser.merged_cells
        except (
            Exception
        ) as err:  # broken XML, a cell that is not what its type says, defusedxml's refusals
            self._refused(err, where)
            return [], {}
        grid = grid[:last]
        while len(grid) < last:
            grid.append([])
        formulas = {k: v for k, v in formulas.items() if k[0] <= last}
        ranges = [CellRange(m.ref) for m in merged.mergeCell] if merged is not None else []
        filled = 0
        # merged cells: vertical runs in the data are filled down; merges across columns are not guessed
        for rng in ranges:
            a = f"{get_column_letter(rng.min_col)}{rng.min_row}:{get_column_letter(rng.max_col)}{rng.max_row}"
            if rng.min_row > last:
                continue
            if rng.min_row <= HEADER_ROW and rng.max_col > rng.min_col:
                self._bad(
                    f"header cells {a} are merged: unmerge them and give each column its own name in row {HEADER_ROW}",
                    f"{where} › {a}",
                )
            elif rng.min_row >= FIRST_DATA_ROW and rng.max_col > rng.min_col:
                self._bad(
                    "cells are merged across columns: unmerge them and give each column its own value",
                    f"{where} › {a}",
                )
            elif rng.min_row >= FIRST_DATA_ROW and rng.min_col <= MAX_COLUMNS:
                first = grid[rng.min_row - 1]
                top = first[rng.min_col - 1] if rng.min_col <= len(first) else None
                for r in range(rng.min_row + 1, min(rng.max_row, last) + 1):
                    filled += 1
                    if filled > MAX_CELLS:
                        self._bad(
                            f"merged cells cover more than {MAX_CELLS:,} cells (the limit)", where
                        )
                        return [], {}
                    cells_r = grid[r - 1]
                    if len(cells_r) < rng.min_col:
                        cells_r.extend([None] * (rng.min_col - len(cells_r)))
                    cells_r[rng.min_col - 1] = top
                log.info(
                    "%s › %s › %s: merged cells read as the value '%s' in each row",
                    self.label,
                    sheet,
                    a,
                    top,
                )
        return grid, formulas

    def _cell(
        self, sheet: str, r: int, c: int, value: Any, formulas: Mapping[tuple[int, int], str]
    ) -> tuple[Any, bool]:
        """(value, ok) of a cell, with formulas and Excel errors checked."""
        where = f"{sheet} › {get_column_letter(c)}{r}"
        if (r, c) in formulas:
            if value is None:
                self._bad(
                    f"formula '{formulas[r, c]}' has no saved value: open and save the workbook in Excel or "
                    "LibreOffice so its result is stored, or type the value",
                    where,
                )
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
                year = (
                    int(round(serial))
                    if value.year < 1910 and 1900 <= serial <= 2200
                    else value.year
                )
                log.info("%s: date %s read as the year %d", where, value.date(), year)
                return year
            if kind in ("number", "int", "number_or_name"):
                return f"{value.date()} (a date)"  # pydantic reports: must be a number (got …)
            return (
                value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
            )
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

    def _rows(
        self, table: str, wanted: str, cols: Mapping[str, Column] | None
    ) -> tuple[list[dict[str, Any]], list[str]]:
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
                if any(
                    len(row) >= c and row[c - 1] not in (None, "")
                    for row in grid[FIRST_DATA_ROW - 1 :]
                ):
                    self._bad(
                        f"column {get_column_letter(c)} has values but no name in row {HEADER_ROW}",
                        at,
                    )
                continue
            if cols is not None and name not in cols:
                self._bad(f"unknown column '{name}'{near_miss(name, list(cols))}", at)
                continue
            if name in seen:
                self._bad(
                    f"column '{name}' appears twice (also in column {get_column_letter(seen[name])})",
                    at,
                )
                continue
            seen[name] = c
            header[c] = name
        if cols is not None:
            for key, col in cols.items():
                if col.required and key not in seen:
                    self.missing_columns.add((f"{self.label} › {sheet}", key))
                    self._bad(
                        f"required column '{key}' is missing (row {HEADER_ROW} names the columns)",
                        sheet,
                    )
            if len(grid) >= UNIT_ROW:
                for c, name in header.items():
                    unit = grid[UNIT_ROW - 1][c - 1] if c <= len(grid[UNIT_ROW - 1]) else None
                    want = cols[name].unit
                    if unit not in (None, "") and str(unit).strip() != want:
                        self._bad(
                            f"row {UNIT_ROW} holds the units and says '{unit}', but {name} is in "
                            f"{want or 'no unit'}: give the values in {want or 'plain numbers'} and keep row "
                            f"{UNIT_ROW} as it was",
                            f"{sheet} › {get_column_letter(c)}{UNIT_ROW}",
                        )
        elif "slice" not in seen:
            self._bad(
                f"needs a 'slice' column naming the time slice of each row (row {HEADER_ROW})",
                sheet,
            )
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
                spec = cols[name] if cols is not None else (_SLICE if name == "slice" else None)
                row[name] = self._clean(spec, value, cell)
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
                    self._bad(
                        f"unknown key '{key}'{near_miss(key, list(known))}", f"{sheet} › A{r}"
                    )
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
            if (
                key in {t.casefold() for t in expected}
                or key in (SCENARIO_SHEET, README_SHEET.casefold())
                or n in suggested
            ):
                continue
            hint = near_miss(n, expected + [SCENARIO_SHEET])
            if hint:
                self._bad(f"unknown sheet '{n}'{hint}", n)
            else:
                log.info("%s: sheet '%s' is not a scenario table; ignored", self.label, n)
        for b in BLOCKS:
            doc.setdefault(b, {})
        return doc


_SLICE = Column(
    key="slice",
    attr="slice",
    kind="str",
    unit="",
    description="",
    required=True,
    default=None,
    optional=False,
    bounds=(),
)


_ROW_PLACE = re.compile(r"^(.*) › row \d+$")


def drop_missing_column_rows(
    problems: Iterable[Problem],
    missing: AbstractSet[tuple[str, str]],
    reported: AbstractSet[str] = frozenset(),
) -> list[Problem]:
    """Drop "is required but missing" where it repeats a problem already reported: for each row
    of a sheet whose column is missing (said once), and for a cell already reported (a formula
    without a value, an Excel error)."""
    out = []
    for p in problems:
        head, _, field = p.place.rpartition(" › ")
        m = _ROW_PLACE.match(head)
        if p.message == "is required but missing" and (
            p.place in reported or (m and (m.group(1), field) in missing)
        ):
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
