"""The scenario reference (docs/scenario.md), generated from the schema so it cannot drift."""

from __future__ import annotations

from typing import Any

from pydantic.fields import FieldInfo

from .schema import BLOCKS, TABLES, HourlyOptions, Row, Scenario

HEAD = """# Scenario reference

Generated from `planner/scenario/schema.py` by `planner.scenario.reference.markdown()` (a test keeps
this file in step). A scenario is a YAML file; each table is inline (a list of mappings) or the
relative path of a CSV file. In CSV cells, lists are written `a;b` and mappings `h1=0.8;h2=1`.
Every row may carry `source` (where its numbers come from) and `note`. Unknown fields are errors.
`profiles` maps profile → slice → value; as a CSV it has a `slice` column and one column per profile.

**Variants and overrides.** `variants: {name: {PATH: VALUE, ...}}` defines named partial
overrides, applied with `planner run SCENARIO --variant name` (repeatable, in order) before any
`--set PATH=VALUE`. A PATH names a top-level field (`discount_rate`), an option
(`policy.carbon_price`, `solver.time_limit`), a profile value (`profiles.users.day`) or row fields:
`sites[site_w].pue` (by name), `demand[class=training].pflops` (by a field's value), `sites[0].pue`
(by position), `sites[*].price_mwh` (every row). A VALUE written `"*1.2"` multiplies the current
value. The result is validated like the file itself.
"""


#: Option blocks of the top level that have a section of their own (besides ``BLOCKS``).
SECTIONS: dict[str, tuple[type[Row], str]] = {
    "hourly": (
        HourlyOptions,
        """Hourly profiles instead of `time_slices` and `profiles`: a CSV of 8760 rows (365 days × 24 h from
1 January 00:00; an optional `hour` column is ignored; `#` lines are comments), one column per
profile, every value a number ≥ 0. Sites and demand rows name its columns as their profiles. The
year is reduced to `days` representative days (tsam, seeded; the peak-demand day is always kept
whole): day `dKK` gives slices `dKKh00`…`dKKh23`, each weighted by the days it stands for.
`--set hourly.days=24` reduces again. See `docs/representative-days.md`.""",
    ),
}


def _type(f: FieldInfo) -> str:
    for name, (model, _) in SECTIONS.items():
        if model.__name__ in str(f.annotation):
            return f"options (see `{name}` below)"
    t = str(f.annotation).replace("typing.", "").replace("<class '", "").replace("'>", "")
    return t.replace("NoneType", "empty").replace("|", "or")


def _rows(fields: dict[str, FieldInfo]) -> list[str]:
    out = ["| field | unit | type | default | meaning |", "|---|---|---|---|---|"]
    for name, f in fields.items():
        if name in ("source", "note"):
            continue
        extra: Any = f.json_schema_extra or {}
        default = (
            "required"
            if f.is_required()
            else (
                ""
                if f.default is None
                else repr(f.default)
                if not callable(f.default_factory)
                else "[]"
            )
        )
        out.append(
            f"| `{f.alias or name}` | {extra.get('unit', '')} | {_type(f)} | {default} | {f.description or ''} |"
        )
    return out


def markdown() -> str:
    """The scenario reference as Markdown."""
    lines = [HEAD, "## Top level", ""]
    top = {
        k: v
        for k, v in Scenario.model_fields.items()
        if k not in TABLES
        and k not in BLOCKS
        and k not in ("profiles", "source_path", "input_hash")
    }
    lines += _rows(top) + [""]
    for name, model in BLOCKS.items():
        lines += [f"## `{name}` (options)", ""] + _rows(model.model_fields) + [""]
    for name, (model, text) in SECTIONS.items():
        lines += [f"## `{name}` (options)", "", text, ""] + _rows(model.model_fields) + [""]
    for name, model in TABLES.items():
        lines += [f"## `{name}` (table)", ""] + _rows(model.model_fields) + [""]
    return "\n".join(lines)
