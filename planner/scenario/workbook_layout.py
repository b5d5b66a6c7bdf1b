"""The layout of an input workbook, derived from the scenario schema (the one source of truth).

Every table of :data:`~planner.scenario.schema.TABLES` is a sheet: row 1 holds the field names as
written in a scenario file (``class``, ``from``, ``to``), row 2 their units, row 3 a short
description, and data start at row 4. Scalars (name, year, objective, the option blocks such as
``policy``) are key/value rows on the ``scenario`` sheet, with block fields written
``block.field`` (``policy.carbon_price``). Profiles are a wide sheet: ``slice`` and one column per
profile.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic.fields import FieldInfo

from .checks import REFS
from .schema import BLOCKS, TABLES, Scenario

HEADER_ROW = 1
UNIT_ROW = 2
DESC_ROW = 3
FIRST_DATA_ROW = 4
SCENARIO_SHEET = "scenario"
PROFILES_SHEET = "profiles"
README_SHEET = "README"
#: Scenario fields that are not written on the ``scenario`` sheet.
NOT_SCALARS = set(TABLES) | set(BLOCKS) | {"profiles", "source_path", "input_hash", "hourly"}

Kind = Literal[
    "number", "int", "bool", "str", "number_or_name", "list", "mapping", "choice", "objective"
]


@dataclass(frozen=True)
class Column:
    """One field of the schema as a workbook column (or a key on the ``scenario`` sheet)."""

    key: str  # as written in a scenario file (the alias, if any)
    attr: str  # the model attribute
    kind: Kind
    unit: str
    description: str
    required: bool
    default: Any
    optional: bool  # may be empty (None allowed)
    bounds: tuple[tuple[str, float], ...]  # ((">=", 1.0), ("<=", 1.0), ...)
    choices: tuple[str, ...] = ()
    ref: str | None = None  # the table this column refers to (sites.region → regions)

    def bounds_text(self) -> str:
        return ", ".join(f"{op} {v:g}" for op, v in self.bounds)

    def help(self) -> str:
        """A one-paragraph explanation for a header note."""
        parts = [self.description or self.key]
        if self.unit:
            parts.append(f"Unit: {self.unit}.")
        kind = {
            "number": "a number",
            "int": "a whole number",
            "bool": "yes or no",
            "str": "text",
            "number_or_name": "a number, or the name of a profile",
            "list": "names separated by ';'",
            "mapping": "name=value pairs separated by ';'",
            "choice": "one of " + ", ".join(self.choices),
            "objective": "cost, energy or carbon, or weights such as cost=1; carbon=200",
        }[self.kind]
        parts.append(f"Type: {kind}.")
        if self.bounds:
            parts.append(f"Must be {self.bounds_text()}.")
        if self.ref:
            parts.append(f"Must name a row of sheet '{self.ref}'.")
        if self.required:
            parts.append("Required.")
        elif self.default not in (None, [], {}, ()):
            parts.append(f"Default: {_show(self.default)}.")
        else:
            parts.append("Optional.")
        return " ".join(parts)


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


_OPS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


def _kind(annotation: Any) -> tuple[Kind, bool, tuple[str, ...]]:
    """(kind, may be None, choices) of a field annotation."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    optional = False
    if origin in (typing.Union, types.UnionType):
        optional = type(None) in args
        rest = [a for a in args if a is not type(None)]
        if set(rest) == {float, str}:
            return "number_or_name", optional, ()
        if len(rest) == 2 and any(typing.get_origin(a) is dict for a in rest):
            return "objective", optional, ()
        annotation = rest[0]
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
    if origin is Literal:
        return "choice", optional, tuple(str(a) for a in args)
    if origin in (list, tuple):
        return "list", optional, ()
    if origin is dict:
        return "mapping", optional, ()
    if annotation is bool:
        return "bool", optional, ()
    if annotation is int:
        return "int", optional, ()
    if annotation is float:
        return "number", optional, ()
    return "str", optional, ()


def column(name: str, f: FieldInfo, ref: str | None = None, key: str | None = None) -> Column:
    """The :class:`Column` of field ``name``."""
    kind, optional, choices = _kind(f.annotation)
    bounds = []
    for m in f.metadata:
        for attr, op in _OPS.items():
            v = getattr(m, attr, None)
            if v is not None:
                bounds.append((op, float(v)))
    extra: Any = f.json_schema_extra or {}
    default = None if f.is_required() else (f.default_factory() if f.default_factory else f.default)  # type: ignore[call-arg]
    return Column(
        key=key or f.alias or name,
        attr=name,
        kind=kind,
        unit=str(extra.get("unit", "")),
        description=f.description or "",
        required=f.is_required(),
        default=default,
        optional=optional,
        bounds=tuple(bounds),
        choices=choices,
        ref=ref,
    )


def table_columns(table: str) -> list[Column]:
    """The columns of a table's sheet, in schema order, with ``source`` and ``note`` last."""
    model = TABLES[table]
    cols = []
    for name, f in model.model_fields.items():
        key = f.alias or name
        cols.append(column(name, f, ref=REFS.get((table, key), (None, ""))[0]))
    head = [c for c in cols if c.key not in ("source", "note")]
    return head + [c for c in cols if c.key in ("source", "note")]


def scalar_columns() -> list[Column]:
    """The keys of the ``scenario`` sheet: top-level fields, then ``block.field`` for each block."""
    out = [column(n, f) for n, f in Scenario.model_fields.items() if n not in NOT_SCALARS]
    for block, model in BLOCKS.items():
        out += [
            column(n, f, key=f"{block}.{n}")
            for n, f in model.model_fields.items()
            if n not in ("source", "note")
        ]
    return out
