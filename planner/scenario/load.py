"""Load a scenario: a YAML file whose tables are inline or CSV files beside it.

A table is given inline (a list of mappings), as a relative path to a CSV file, as
``{file: path}``, or from an Excel workbook: ``inputs.xlsx`` (the sheet named like the table) or
``{file: inputs.xlsx, sheet: name}``. A workbook is also a scenario on its own
(``load_scenario("inputs.xlsx")``, see :mod:`planner.workbook`); its problems name their cells
(``inputs.xlsx › sites › D7 (pue)``). Every row keeps its place (``file › table › row N``) so that each problem is
reported where the analyst can find it. All problems — per-field and cross-table — are collected
and raised together in one :class:`~planner.errors.ScenarioError`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..errors import Problem, ScenarioError, near_miss
from ..safeio import (
    MAX_CSV_BYTES,
    MAX_YAML_BYTES,
    csv_rows,
    decode,
    file_kind,
    load_yaml,
    read_bytes,
    read_text,
    to_number,
)
from .checks import check_tables
from .problems import pydantic_problems, shown
from .schema import (
    BLOCKS,
    REQUIRED_TABLES,
    TABLES,
    TOP_LEVEL_FIELDS,
    HourlyOptions,
    Row,
    Scenario,
    TimeSlice,
)
from .variants import (
    Override,
    apply_overrides,
    overrides_of,
    parse_path,
    parse_set,
    variant_overrides,
)

if TYPE_CHECKING:  # imported when a workbook is read (openpyxl is not needed for YAML and CSV)
    from .read_workbook import WorkbookFile

log = logging.getLogger(__name__)

KNOWN_KEYS = set(TOP_LEVEL_FIELDS) | set(TABLES) | set(BLOCKS) | {"profiles", "variants", "hourly"}


class Places(dict[tuple[str, int], str]):
    """Maps (table, row index) to the row's place, e.g. ``sites.csv › sites › row 7``."""

    def of(self, table: str, index: int) -> str:
        return self.get((table, index), f"{table} › row {index + 1}")


def _read_csv(text: str, table: str, label: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of a CSV table's text (empty cells dropped) and each row's place; bounded by :func:`csv_rows`."""
    rows: list[dict[str, Any]] = []
    places: list[str] = []
    header: list[str] | None = None
    for lineno, cells in csv_rows(text, label):
        if header is None:
            header = [c.strip() for c in cells]
            continue
        row: dict[str, Any] = {h: c.strip() for h, c in zip(header, cells) if h and c.strip() != ""}
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            row["__extra_cells__"] = True
        rows.append(row)
        places.append(f"{label} › {table} › row {len(rows)} (line {lineno})")
    return rows, places


class _Reader:
    """Reads the tables of one scenario file, remembering every file read (for the hash)."""

    def __init__(self, path: Path, data: bytes | None = None) -> None:
        self.path = path
        self.base = path.parent
        self.problems: list[Problem] = []
        self.files: dict[str, bytes] = {path.name: data if data is not None else b""}
        self.inputs: list[str] = [os.path.realpath(path)]  # every file read, resolved
        self.workbooks: dict[Path, WorkbookFile] = {}  # resolved path -> the workbook read

    def workbook(self, p: Path, label: str) -> WorkbookFile:
        """The workbook at ``p``, opened once (its problems join the reader's)."""
        from .read_workbook import WorkbookFile

        key = Path(os.path.realpath(p))
        if key not in self.workbooks:
            wb = WorkbookFile(p, label)
            if wb.data:
                self.files[
                    str(p.relative_to(self.base)) if p.is_relative_to(self.base) else str(p)
                ] = wb.data
            self.workbooks[key] = wb
            self.problems.extend(wb.problems)
            wb.problems = self.problems  # later problems go straight to the reader's list
        return self.workbooks[key]

    def _spec(self, spec: Any) -> tuple[Any, str | None]:
        """(file or inline data, sheet) of a table spec."""
        if isinstance(spec, Mapping) and "file" in spec and set(spec) <= {"file", "sheet"}:
            return spec["file"], spec.get("sheet")
        return spec, None

    def _file_rows(
        self, spec: str, sheet: str | None, table: str
    ) -> tuple[list[dict[str, Any]], list[str]] | None:
        """Rows from a CSV file or a workbook sheet (``None`` if the file is missing or unusable)."""
        from .read_workbook import is_workbook

        p = self._file(spec, table)
        if p is None:
            return None
        if is_workbook(p):
            wb = self.workbook(p, p.name)
            return wb.profiles(sheet) if table == "profiles" else wb.table(table, sheet)
        if p.suffix.lower() != ".csv" or sheet is not None:
            self.problems.append(
                Problem(f"{self.path.name} › {table}", f"'{spec}' is not a .csv or .xlsx file")
            )
            return None
        try:
            text, data = read_text(p, p.name, MAX_CSV_BYTES)
            self.files[str(Path(spec))] = data
            return _read_csv(text, table, p.name)
        except ScenarioError as err:
            self.problems.extend(err.problems)
            return None

    def cell_places(self, problems: list[Problem]) -> list[Problem]:
        """Problems about workbook fields, placed at their cells."""
        from .read_workbook import cell_places, drop_missing_column_rows

        for wb in self.workbooks.values():
            problems = drop_missing_column_rows(problems, wb.missing_columns, wb.reported_cells)
            problems = cell_places(problems, wb.cells)
        return problems

    def _file(self, ref: str, table: str) -> Path | None:
        """The file ``ref`` names (beside the scenario), if it is a regular file; else a problem."""
        p = self.base / ref
        why = file_kind(p)
        if why is not None:
            if why == "not found":
                here = [f.name for f in self.base.glob("*")][:1000]
                why = f"file '{ref}' not found{near_miss(Path(ref).name, here)}"
            else:
                why = f"file '{ref}' {why}"
            self.problems.append(Problem(f"{self.path.name} › {table}", why))
            return None
        self.inputs.append(os.path.realpath(p))
        return p

    def table(self, table: str, spec: Any) -> tuple[list[dict[str, Any]], list[str]]:
        """Raw rows and their places for a table given inline or by file (CSV or workbook sheet)."""
        spec, sheet = self._spec(spec)
        if isinstance(spec, str):
            got = self._file_rows(spec, sheet, table)
            return got if got is not None else ([], [])
        if spec is None:
            return [], []
        if not isinstance(spec, list):
            self.problems.append(
                Problem(
                    f"{self.path.name} › {table}",
                    "must be a list of rows or the path of a CSV file",
                )
            )
            return [], []
        places = [f"{self.path.name} › {table} › row {i + 1}" for i in range(len(spec))]
        return list(spec), places

    def profiles(self, spec: Any, slices: list[str]) -> dict[str, dict[str, float]]:
        """Profiles: inline ``{name: {slice: v}}`` / ``{name: [v, ...]}`` or a wide CSV (``slice`` column)."""
        where = f"{self.path.name} › profiles"
        out: dict[str, dict[str, float]] = {}
        if spec is None:
            return out
        spec, sheet = self._spec(spec)
        if isinstance(spec, str):
            got = self._file_rows(spec, sheet, "profiles")
            if got is None:
                return out
            rows, places = got
            where = f"{Path(spec).name} › {sheet or 'profiles'}"
            if rows and "slice" not in rows[0]:
                self.problems.append(
                    Problem(where, "needs a 'slice' column naming the time slice of each row")
                )
                return out
            raw: dict[str, dict[str, Any]] = {}
            for row, place in zip(rows, places):
                s = row.pop("slice", None)
                if s is None:
                    self.problems.append(
                        Problem(f"{place} › slice", "has values but no time slice")
                    )
                    continue
                for name, v in row.items():
                    raw.setdefault(name, {})[str(s)] = (v, f"{place} › {name}")
        elif isinstance(spec, Mapping):
            raw = {}
            for name, vals in spec.items():
                if isinstance(vals, list):
                    if len(vals) != len(slices):
                        self.problems.append(
                            Problem(
                                f"{where} › {name}",
                                f"has {len(vals)} values but there are {len(slices)} time slices",
                            )
                        )
                        continue
                    vals = dict(zip(slices, vals))
                if not isinstance(vals, Mapping):
                    self.problems.append(
                        Problem(
                            f"{where} › {name}",
                            "must map each slice to a value, or list one value per slice",
                        )
                    )
                    continue
                raw[str(name)] = {str(s): (v, f"{where} › {name} › {s}") for s, v in vals.items()}
        else:
            self.problems.append(
                Problem(where, "must be a mapping of profiles or the path of a CSV file")
            )
            return out
        known = set(slices)
        for name, vals in raw.items():
            prof: dict[str, float] = {}
            for s, (v, place) in vals.items():
                if s not in known:
                    self.problems.append(
                        Problem(place, f"unknown time slice '{s}'{near_miss(s, slices)}")
                    )
                    continue
                try:
                    prof[s] = to_number(v)
                except ValueError as err:
                    self.problems.append(
                        Problem(
                            place,
                            f"must be a number (got {shown(v)})"
                            if "must be a number" in str(err)
                            else str(err),
                        )
                    )
            missing = [s for s in slices if s not in vals]
            if missing:
                self.problems.append(
                    Problem(
                        f"{where} › {name}",
                        f"has no value for {len(missing)} time slice(s): {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}",
                    )
                )
            out[name] = prof
        return out


def _validate_rows(
    model: type[Row],
    raw: list[Any],
    places: list[str],
    problems: list[Problem],
    invalid: list[tuple[dict[str, Any], str]],
) -> tuple[list[Row], list[str]]:
    """Validate each row; invalid rows go to ``invalid`` (raw, place) so references can still be checked."""
    rows: list[Row] = []
    kept: list[str] = []
    for item, place in zip(raw, places):
        if not isinstance(item, Mapping):
            problems.append(Problem(place, "must be a mapping of field: value"))
            continue
        if item.get("__extra_cells__"):
            problems.append(Problem(place, "has more cells than the header has columns"))
            item = {k: v for k, v in item.items() if k != "__extra_cells__"}
        try:
            rows.append(model.model_validate(dict(item)))
            kept.append(place)
        except ValidationError as err:
            problems.extend(pydantic_problems(err, place, model))
            invalid.append((dict(item), place))
    return rows, kept


def load_scenario(
    path: str | Path, *, variants: Sequence[str] = (), sets: Sequence[str] = ()
) -> Scenario:
    """Load and validate a scenario file; raise :class:`ScenarioError` listing every problem.

    Parameters
    ----------
    path
        A YAML scenario file, a folder holding ``scenario.yaml``, or an Excel input workbook
        (``.xlsx``, as written by ``planner template``).
    variants
        Names of variants defined under the file's ``variants`` key, applied in order
        (see :mod:`planner.scenario.variants`).
    sets
        ``path=value`` overrides applied after the variants, e.g. ``policy.carbon_price=200``.

    Examples
    --------
    >>> from planner import load_scenario
    >>> sc = load_scenario("scenarios/tiny")  # doctest: +SKIP
    >>> sc.name  # doctest: +SKIP
    'tiny'
    """
    path = _scenario_path(path)
    from .read_workbook import is_workbook

    if is_workbook(path):
        reader = _Reader(path)
        wb = reader.workbook(path, path.name)
        if not wb.ok:
            raise ScenarioError(reader.problems, source=str(path))
        return _with_variants(wb.scenario_doc(), path, reader, variants, sets)
    doc, data = _read_doc(path)
    return _with_variants(doc, path, _Reader(path, data), variants, sets)


def _scenario_path(path: str | Path) -> Path:
    """The scenario file ``path`` names (a folder means its scenario.yaml); a problem if it is not a file."""
    path = Path(path)
    try:
        if path.is_dir():
            path = path / "scenario.yaml"
    except OSError:
        pass
    why = file_kind(path)
    if why is not None:
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    "scenario file not found" if why == "not found" else f"scenario file {why}",
                )
            ]
        )
    return path


def _read_doc(path: Path) -> tuple[Mapping[str, Any], bytes]:
    """The mapping of a YAML scenario file and its bytes, read safely (see :mod:`planner.safeio`)."""
    data = read_bytes(path, path.name, MAX_YAML_BYTES)
    doc = load_yaml(decode(data, path.name), path.name)
    if not isinstance(doc, Mapping):
        raise ScenarioError(
            [Problem(path.name, "must be a YAML mapping of scenario fields and tables")]
        )
    bad = [k for k in doc if not isinstance(k, str)]
    if bad:
        raise ScenarioError(
            [
                Problem(f"{path.name} › {k!r}", "keys of the scenario must be names (text)")
                for k in bad
            ]
        )
    return doc, data


def _with_variants(
    doc: Mapping[str, Any], path: Path, reader: _Reader, names: Sequence[str], sets: Sequence[str]
) -> Scenario:
    """The scenario of ``doc`` with the named variants of ``doc`` and the ``sets`` overrides applied.

    Overrides of the ``hourly`` options (``hourly.days=24``) are written into the document before
    it is loaded, so that the hourly profiles are reduced again with them; every override is then
    applied to the loaded scenario as usual (the hourly ones change nothing more, but are checked
    and counted in the input hash).
    """
    if isinstance(names, str) or isinstance(sets, str):
        raise TypeError("variants and sets are sequences of strings")
    if not names and not sets:
        return _load_doc(doc, path, reader)
    defined = doc.get("variants") or {}
    try:
        ovs = variant_overrides(defined, names, path.name)
        ovs += [parse_set(s) for s in sets]
    except ScenarioError:
        _load_doc(doc, path, reader)  # the file's own problems first
        raise
    doc, ovs = _hourly_overrides(doc, ovs)
    sc = _load_doc(doc, path, reader)
    return apply_overrides(sc, ovs)


def _hourly_overrides(
    doc: Mapping[str, Any], ovs: list[Any]
) -> tuple[Mapping[str, Any], list[Any]]:
    """Write overrides of ``hourly`` (``hourly.days``, or ``hourly`` as a whole) into ``doc``.

    Returns the changed document and the overrides, a ``*k`` multiplier of an hourly option
    replaced by the value it gives.
    """
    out = []
    spec = doc.get("hourly")
    for ov in ovs:
        try:
            segs = parse_path(ov.path)
        except ValueError:
            out.append(ov)
            continue
        if (
            segs[0] != ("key", "hourly")
            or spec is None
            or not isinstance(spec, Mapping)
            or len(segs) > 2
            or (len(segs) == 2 and segs[1][0] != "key")
        ):
            out.append(ov)
            continue
        if len(segs) == 1:
            spec = ov.value
        else:
            key, value = segs[1][1], ov.value
            if isinstance(value, str) and value.strip().startswith("*"):
                try:
                    current = spec.get(
                        key,
                        HourlyOptions.model_fields[key].default
                        if key in HourlyOptions.model_fields
                        else None,
                    )
                    value = type(current)(float(current) * float(value.strip()[1:]))
                except (TypeError, ValueError):
                    raise ScenarioError(
                        [
                            Problem(
                                ov.place,
                                f"'{ov.value}' is not a multiplier of a number: write *1.2",
                            )
                        ]
                    ) from None
                ov = Override(ov.path, value, ov.place)
            spec = {**spec, key: value}
        out.append(ov)
    if spec is doc.get("hourly"):
        return doc, out
    return {**doc, "hourly": spec}, out


def variant_names(path: str | Path) -> list[str]:
    """The names of the variants a scenario file defines (``[]`` for none)."""
    path = _scenario_path(path)
    if path.suffix.lower() not in (".yaml", ".yml"):
        return []
    variants = _read_doc(path)[0].get("variants") or {}
    return [str(v) for v in variants] if isinstance(variants, Mapping) else []


def _load_doc(doc: Mapping[str, Any], path: Path, reader: _Reader) -> Scenario:
    """Validate a scenario document whose tables ``reader`` reads (inline, CSV or workbook)."""
    problems = reader.problems
    _check_variants(doc.get("variants"), path.name, problems)
    for key in doc:
        if key not in KNOWN_KEYS:
            problems.append(
                Problem(
                    f"{path.name} › {key}", f"unknown key{near_miss(str(key), sorted(KNOWN_KEYS))}"
                )
            )
    required = REQUIRED_TABLES if doc.get("hourly") else ("time_slices", *REQUIRED_TABLES)
    for t in required:
        if doc.get(t) in (None, [], "") and not any(
            p.place == f"{path.name} › {t}" for p in problems
        ):
            problems.append(
                Problem(
                    f"{path.name} › {t}",
                    "table is required but missing or empty"
                    + (" (or give hourly profiles)" if t == "time_slices" else ""),
                )
            )

    tables: dict[str, list[Row]] = {}
    invalid: dict[str, list[tuple[dict[str, Any], str]]] = {}
    places = Places()
    for t, model in TABLES.items():
        raw, raw_places = reader.table(t, doc.get(t))
        if (
            t in REQUIRED_TABLES
            and not raw
            and isinstance(reader._spec(doc.get(t))[0], str)
            and not problems_about(problems, t)
        ):
            problems.append(Problem(f"{path.name} › {t}", "table is required but has no rows"))
        rows, kept = _validate_rows(model, raw, raw_places, problems, invalid.setdefault(t, []))
        tables[t] = rows
        for i, pl in enumerate(kept):
            places[(t, i)] = pl
    blocks: dict[str, Row] = {}
    for b, model in BLOCKS.items():
        spec = doc.get(b) or {}
        if not isinstance(spec, Mapping):
            problems.append(Problem(f"{path.name} › {b}", "must be a mapping of options"))
            spec = {}
        try:
            blocks[b] = model.model_validate(dict(spec))
        except ValidationError as err:
            problems.extend(pydantic_problems(err, f"{path.name} › {b}", model))
            blocks[b] = model()
    hourly, reduction = _hourly(doc, path, reader, tables, places)
    slices = [s.name for s in tables["time_slices"] if isinstance(s, TimeSlice)]
    if reduction is not None:
        profiles = reduction.profiles
    elif (
        doc.get("hourly") is not None
    ):  # the hourly block has problems: its file's profile names, for the cross-table checks
        from ..horizon.hourly import hourly_columns

        spec = doc["hourly"]
        file = (
            hourly.file
            if hourly is not None
            else spec.get("file")
            if isinstance(spec, Mapping)
            else None
        )
        profiles = dict.fromkeys(hourly_columns(path.parent / str(file)) if file else [], {})
    else:
        profiles = reader.profiles(doc.get("profiles"), slices)

    top = {k: doc[k] for k in TOP_LEVEL_FIELDS if k in doc}
    top.setdefault("name", path.parent.name if path.name == "scenario.yaml" else path.stem)
    problems.extend(check_tables(tables, profiles, places, path.name, top, blocks, invalid))
    scenario = None
    try:
        scenario = Scenario.model_validate(
            {
                **top,
                **blocks,
                **{t: tuple(r) for t, r in tables.items()},
                "profiles": profiles,
                "hourly": hourly,
                "source_path": str(path),
                "input_hash": _hash(reader.files),
            }
        )
    except ValidationError as err:
        for p in pydantic_problems(err, path.name, Scenario):
            if not any(t in p.place for t in TABLES):  # row problems were reported above
                problems.append(p)
    if problems or scenario is None:
        raise ScenarioError(_dedupe(reader.cell_places(problems)), source=str(path))
    scenario._places.update(places)
    scenario._inputs.extend(dict.fromkeys(reader.inputs))
    if reduction is not None:
        scenario._reduction.update(reduction.tables())
    log.info(
        "loaded scenario %s: %d regions, %d sites, %d slices",
        scenario.name,
        len(scenario.regions),
        len(scenario.sites),
        len(scenario.time_slices),
    )
    return scenario


def _hourly(
    doc: Mapping[str, Any],
    path: Path,
    reader: _Reader,
    tables: dict[str, list[Row]],
    places: Places,
) -> tuple[HourlyOptions | None, Any]:
    """Reduce the ``hourly`` profiles of ``doc`` to representative days (see :mod:`planner.horizon.hourly`).

    On success the reduced slices replace ``tables["time_slices"]`` and the reduction (whose
    ``profiles`` are the scenario's profiles) is returned with the options; problems join the
    reader's. With ``hourly``, neither ``time_slices`` nor ``profiles`` may be given: every slice
    and profile comes from the hourly file.
    """
    spec = doc.get("hourly")
    if spec is None:
        return None, None
    where = f"{path.name} › hourly"
    problems = reader.problems
    if not isinstance(spec, Mapping):
        problems.append(
            Problem(where, "must be a mapping of options, e.g. {file: hourly.csv, days: 12}")
        )
        return None, None
    try:
        opts = HourlyOptions.model_validate(dict(spec))
    except ValidationError as err:
        problems.extend(pydantic_problems(err, where, HourlyOptions))
        return None, None
    clash = [k for k in ("time_slices", "profiles") if doc.get(k) not in (None, [], {}, "")]
    for k in clash:
        problems.append(
            Problem(
                f"{path.name} › {k}",
                f"cannot be given with hourly: the time slices and every profile come from the hourly file ({opts.file}); remove {k} or hourly",
            )
        )
    file = reader._file(opts.file, "hourly")
    if file is None:
        return opts, None
    try:
        reader.files[str(Path(opts.file))] = read_bytes(file, Path(opts.file).name, MAX_CSV_BYTES)
    except ScenarioError as err:
        problems.extend(err.problems)
        return opts, None
    from ..horizon.hourly import scenario_reduction

    red, found = scenario_reduction(
        file, Path(opts.file).name, opts, tables["demand"], tables["sites"], where
    )
    problems.extend(found)
    if red is None or clash:
        return opts, None
    tables["time_slices"] = [TimeSlice.model_validate(s) for s in red.slices]
    for i, s in enumerate(red.slices):
        places[("time_slices", i)] = (
            f"{Path(opts.file).name} › representative day {s['day']} › {s['name']}"
        )
    return opts, red


def _check_variants(spec: Any, label: str, problems: list[Problem]) -> None:
    """Each variant is a mapping of well-formed paths (values are checked when it is applied)."""
    if spec is None:
        return
    if not isinstance(spec, Mapping):
        problems.append(
            Problem(f"{label} › variants", "must map each variant's name to its overrides")
        )
        return
    for name, ovs in spec.items():
        problems.extend(overrides_of(ovs, f"{label} › variants › {name}")[1])


def problems_about(problems: list[Problem], table: str) -> bool:
    """Whether a problem already names ``table`` (as a table or a sheet)."""
    return any(f"› {table}" in p.place for p in problems)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def _hash(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode())
        h.update(b"\0")
        h.update(files[name])
    return h.hexdigest()
