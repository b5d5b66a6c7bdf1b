"""Pydantic's validation errors as the analyst's problems: each placed, in plain words."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem, near_miss


def shown(v: Any) -> str:
    """A value as a problem message quotes it: a number read from text as written, other text quoted."""
    if isinstance(v, str):
        try:
            float(v)
            return v  # a number read from a CSV cell: show it as written
        except ValueError:
            return repr(v)
    return str(v)


def pydantic_problems(err: ValidationError, place: str, model: type[BaseModel]) -> list[Problem]:
    """Translate a pydantic error into problems with places and plain words."""
    fields = list(model.model_fields)
    aliases = [f.alias for f in model.model_fields.values() if f.alias]
    known = fields + aliases
    out = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        field = ".".join(loc)
        kind = e["type"]
        got = e.get("input")
        ctx = e.get("ctx") or {}
        if kind == "extra_forbidden":
            msg = f"unknown field '{loc[-1]}'{near_miss(loc[-1], known)}"
            out.append(Problem(f"{place} › {loc[-1]}", msg))
            continue
        if kind == "missing":
            msg = "is required but missing"
        elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            op = {
                "greater_than_equal": "≥",
                "greater_than": ">",
                "less_than_equal": "≤",
                "less_than": "<",
            }[kind]
            bound = next(iter(ctx.values()))
            msg = f"must be {op} {bound} (got {shown(got)})"
        elif kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
            what = "a whole number" if kind.startswith("int") else "a number"
            msg = f"must be {what} (got {shown(got)})"
        elif kind == "finite_number":
            msg = f"must be a finite number (got {shown(got)})"
        elif kind in ("bool_parsing", "bool_type"):
            msg = f"must be yes/no (true/false) (got {shown(got)})"
        elif kind == "literal_error":
            msg = f"must be one of {ctx.get('expected')} (got {shown(got)})"
        elif kind == "value_error":
            msg = str(ctx.get("error", e["msg"]))
        else:
            msg = f"{e['msg']} (got {shown(got)})"
        out.append(Problem(f"{place} › {field}" if field else place, msg))
    return out
