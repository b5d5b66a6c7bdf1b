"""Variants and overrides: change any field of a validated scenario, and validate it again.

An *override* is ``path: value``. The path addresses one field or many:

- ``discount_rate``, ``policy.carbon_price``, ``solver.time_limit``, ``profiles.users.day``
  (top-level fields, option blocks, mapping entries);
- ``sites[site_w].price_mwh``: a table row by its ``name``; ``demand[class=training].pflops``
  by any field's value; ``sites[0].pue`` by position (0-based); ``sites[*].price_mwh``: every row.

A value is a number, text, yes/no or a list (on the command line it is read as YAML, so
``--set policy.resilience=sites`` and ``--set policy.carbon_price=200`` both work). A text value
starting with ``*`` multiplies the current value: ``sites[*].price_mwh: "*1.2"``.

A scenario file may name sets of overrides under ``variants``::

    variants:
      high_growth: {"demand[*].pflops": "*1.5"}
      carbon_200:  {policy.carbon_price: 200}

Variants compose: applied in the order given, then ``--set`` overrides. The changed scenario is
validated with the same schema and cross-table checks as a file; a problem is placed at the
override that caused it (``scenario.yaml › variants › high_growth › sites[site_w].pue: must be ≥
1.0 (got 0.9)`` or ``--set sites[site_w].pue=0.9: must be ≥ 1.0 (got 0.9)``). The scenario's
``input_hash`` then also covers the overrides.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, ScenarioError, near_miss
from ..safeio import load_yaml
from .checks import check_tables
from .problems import pydantic_problems
from .schema import BLOCKS, TABLES, TOP_LEVEL_FIELDS, Scenario

_SEGMENT = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")


@dataclass(frozen=True)
class Override:
    """One ``path: value`` change and where it was written (for messages)."""

    path: str
    value: Any
    place: str

    @property
    def multiplier(self) -> float | None:
        """The factor of a ``"*k"`` value, else ``None``."""
        if isinstance(self.value, str) and self.value.strip().startswith("*"):
            return float(self.value.strip()[1:])
        return None


def parse_path(path: str) -> list[tuple[str, str]]:
    """Split ``sites[site_w].price_mwh`` into ``[("key", "sites"), ("sel", "site_w"), ("key", "price_mwh")]``.

    Raises
    ------
    ValueError
        The path is empty or malformed.
    """
    text = str(path).strip()
    if not text:
        raise ValueError("empty path")
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos] == "." and out and pos + 1 < len(text):
            pos += 1
        m = _SEGMENT.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read path '{path}' at '{text[pos:]}'")
        if m.group(1) is not None:
            out.append(("key", m.group(1).strip()))
        else:
            if not out:
                raise ValueError(f"path '{path}' starts with a row selector; name the table first")
            out.append(("sel", m.group(2).strip()))
        pos = m.end()
    return out


def parse_set(text: str, place: str | None = None) -> Override:
    """An override from ``path=value`` (the value is read as YAML)."""
    text = str(text)
    depth, cut = 0, -1
    for i, ch in enumerate(text):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "=" and depth == 0:
            cut = i
            break
    path, sep, raw = (text[:cut], "=", text[cut + 1 :]) if cut >= 0 else (text, "", "")
    if not sep or not path.strip():
        raise ScenarioError(
            [Problem(f"--set {text}", "must be path=value, e.g. policy.carbon_price=200")]
        )
    try:
        value = load_yaml(raw, f"--set {text.strip()}") if raw.strip() else ""
    except ScenarioError:
        value = raw.strip()
    return Override(path.strip(), value, place or f"--set {text.strip()}")


def overrides_of(spec: Any, place: str) -> tuple[list[Override], list[Problem]]:
    """Overrides from a variant's definition: a mapping ``path: value`` or a list of such mappings."""
    items: list[tuple[Any, Any]] = []
    problems: list[Problem] = []
    if isinstance(spec, Mapping):
        items = list(spec.items())
    elif isinstance(spec, list) and all(isinstance(x, Mapping) for x in spec):
        items = [kv for x in spec for kv in x.items()]
    else:
        return [], [
            Problem(place, "must be a mapping of path: value (e.g. policy.carbon_price: 200)")
        ]
    out = []
    for path, value in items:
        try:
            parse_path(str(path))
        except ValueError as err:
            problems.append(Problem(f"{place} › {path}", str(err)))
            continue
        out.append(Override(str(path), value, f"{place} › {path}"))
    return out, problems


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _new_value(current: Any, ov: Override) -> Any:
    if isinstance(ov.value, str) and ov.value.strip().startswith("*"):
        try:
            k = ov.multiplier
        except ValueError:
            raise ScenarioError(
                [Problem(ov.place, f"'{ov.value}' is not a multiplier: write *1.2")]
            ) from None
        cur = _num(current)
        if cur is None:
            raise ScenarioError([Problem(ov.place, f"cannot multiply {current!r}: not a number")])
        if k is None:  # pragma: no cover - a "*" value always has a factor (or raised above)
            return ov.value
        new = cur * k
        return int(new) if isinstance(current, int) and new == int(new) else new
    return ov.value


def _select(rows: list[Any], sel: str, ov: Override, table: str) -> list[int]:
    if sel == "*":
        return list(range(len(rows)))
    if "=" in sel:
        field, _, want = (p.strip() for p in sel.partition("="))
        hits = [
            i for i, r in enumerate(rows) if isinstance(r, Mapping) and str(r.get(field)) == want
        ]
        if not hits:
            raise ScenarioError([Problem(ov.place, f"no row of {table} has {field} = {want}")])
        return hits
    names = [str(r.get("name")) for r in rows if isinstance(r, Mapping) and "name" in r]
    hits = [i for i, r in enumerate(rows) if isinstance(r, Mapping) and str(r.get("name")) == sel]
    if hits:
        return hits
    if re.fullmatch(r"-?\d+", sel):
        i = int(sel)
        if -len(rows) <= i < len(rows):
            return [i % len(rows)]
        raise ScenarioError(
            [Problem(ov.place, f"{table} has {len(rows)} rows; there is no row {i}")]
        )
    raise ScenarioError(
        [Problem(ov.place, f"no row of {table} is named '{sel}'{near_miss(sel, names)}")]
    )


def _assign(
    node: Any,
    segs: list[tuple[str, str]],
    ov: Override,
    where: str,
    touched: list[tuple[Any, ...]],
    loc: tuple[Any, ...],
) -> None:
    kind, name = segs[0]
    last = len(segs) == 1
    if kind == "sel":
        if not isinstance(node, list):
            raise ScenarioError(
                [Problem(ov.place, f"'{where}' is not a table; [..] selects rows of a table")]
            )
        for i in _select(node, name, ov, where):
            if last:
                raise ScenarioError(
                    [Problem(ov.place, "name a field of the row, e.g. sites[site_w].pue")]
                )
            _assign(node[i], segs[1:], ov, f"{where}[{name}]", touched, (*loc, i))
        return
    if not isinstance(node, dict):
        raise ScenarioError([Problem(ov.place, f"'{where}' has no field '{name}'")])
    if name not in node:
        known = sorted(str(k) for k in node)
        if not (last and _may_add(loc, name)):
            raise ScenarioError(
                [Problem(ov.place, f"unknown field '{name}'{near_miss(name, known)}")]
            )
    if last:
        node[name] = _new_value(node.get(name), ov)
        touched.append((*loc, name))
        return
    child = node.get(name)
    if child is None and len(loc) == 1 and loc[0] in ("policy", "network", "solver"):
        child = node[name] = {}
    _assign(child, segs[1:], ov, f"{where}.{name}" if where else name, touched, (*loc, name))


def _may_add(loc: tuple[Any, ...], name: str) -> bool:
    """Fields that may be added though absent from the dump: mapping entries (tags → value, profiles)."""
    return len(loc) >= 2 and loc[0] in ("policy", "profiles")


def apply_overrides(sc: Scenario, overrides: Sequence[Override]) -> Scenario:
    """``sc`` with ``overrides`` applied in order, validated again (raises :class:`ScenarioError`).

    The reduction tables of an hourly scenario are kept; to change the ``hourly`` options (and so
    reduce the year again), load the scenario with ``load_scenario(path, sets=["hourly.days=24"])``.
    """
    if not overrides:
        return sc
    doc = sc.model_dump(mode="json", by_alias=True)
    touched: dict[tuple[Any, ...], Override] = {}
    for ov in overrides:
        try:
            segs = parse_path(ov.path)
        except ValueError as err:
            raise ScenarioError([Problem(ov.place, str(err))]) from None
        top = segs[0][1]
        if top in ("source_path", "input_hash") or (top not in doc and segs[0][0] == "key"):
            raise ScenarioError(
                [
                    Problem(
                        ov.place,
                        f"unknown field '{top}'{near_miss(top, [k for k in doc if k not in ('source_path', 'input_hash')])}",
                    )
                ]
            )
        hits: list[tuple[Any, ...]] = []
        _assign(doc, segs, ov, "", hits, ())
        for hit in hits:
            touched[hit] = ov
    h = hashlib.sha256((sc.input_hash or "").encode())
    h.update(
        json.dumps([[o.path, o.value] for o in overrides], sort_keys=True, default=str).encode()
    )
    doc["input_hash"] = h.hexdigest()
    try:
        new = Scenario.model_validate(doc)
    except ValidationError as err:
        raise ScenarioError(_placed(err, touched)) from None
    new._places.update(sc._places)
    new._inputs.extend(sc._inputs)
    new._reduction.update(
        sc._reduction
    )  # the representative days; hourly options are reduced again only by load_scenario(sets=...)
    _cross_check(new, touched)
    return new


def _placed(err: ValidationError, touched: Mapping[tuple[Any, ...], Override]) -> list[Problem]:
    out = []
    for e, p in zip(err.errors(), pydantic_problems(err, "", Scenario)):
        loc = tuple(e["loc"])
        ov = next((touched[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in touched), None)
        if ov is None:  # match a field of a row by name (a validator reporting on the row)
            ov = next((o for k, o in touched.items() if k[: len(loc)] == loc), None)
        out.append(Problem(ov.place if ov else "after overrides" + p.place, p.message))
    return out


def _cross_check(sc: Scenario, touched: Mapping[tuple[Any, ...], Override]) -> None:
    """The loader's cross-table checks on the changed scenario."""
    tables = {t: list(getattr(sc, t)) for t in TABLES}
    blocks = {b: getattr(sc, b) for b in BLOCKS}
    top = {k: getattr(sc, k) for k in TOP_LEVEL_FIELDS}
    label = Path(sc.source_path).name if sc.source_path else "scenario"
    problems = check_tables(tables, sc.profiles, sc._places, label, top, blocks, {})
    if problems:
        by = ", ".join(dict.fromkeys(o.place for o in touched.values()))
        raise ScenarioError([Problem(p.place, f"{p.message} (after {by})") for p in problems])


def variant_overrides(
    defined: Mapping[str, Any], names: Iterable[str], label: str
) -> list[Override]:
    """The overrides of variants ``names`` (in order) from a scenario's ``variants`` mapping."""
    out: list[Override] = []
    problems: list[Problem] = []
    for name in names:
        if name not in defined:
            known = sorted(defined)
            hint = near_miss(name, known) or (
                f" (defined: {', '.join(known)})"
                if known
                else " (the scenario defines no variants)"
            )
            problems.append(Problem(f"--variant {name}", f"unknown variant '{name}'{hint}"))
            continue
        ovs, probs = overrides_of(defined[name], f"{label} › variants › {name}")
        out += ovs
        problems += probs
    if problems:
        raise ScenarioError(problems)
    return out
