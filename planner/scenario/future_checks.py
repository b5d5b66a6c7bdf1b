"""Cross-table checks of demand futures: names, probabilities, references of ``future_demand``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import Problem, near_miss

#: Probabilities must sum to 1 within this tolerance.
PROBABILITY_TOLERANCE = 1e-6


def check_futures(
    tables: Mapping[str, list[Any]],
    profiles: Mapping[str, Any],
    at: Callable[..., str],
    file_label: str,
    declared: Mapping[str, list[str]],
    ref: Callable[..., bool],
) -> list[Problem]:
    """Futures have distinct names and probabilities summing to 1; ``future_demand`` rows name a
    future, a class, a region and a profile that exist, give ``rate`` and ``year`` only with periods,
    and give each (future, class, region, year) one demand row of its own."""
    out: list[Problem] = []
    futures = tables.get("futures", [])
    rows = tables.get("future_demand", [])
    names = [f.name for f in futures]
    for name, n in Counter(names).items():
        if n > 1:
            out.append(
                Problem(
                    at("futures", [k for k, v in enumerate(names) if v == name][1], "name"),
                    f"duplicate future '{name}'",
                )
            )
    if futures:
        total = sum(f.probability for f in futures)
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            out.append(
                Problem(f"{file_label} › futures", f"probabilities must sum to 1 (got {total:g})")
            )
    elif rows:
        out.append(Problem(at("future_demand", 0), "future_demand needs a futures table"))
        return out
    periods = bool(tables.get("periods"))
    years = {p.year for p in tables.get("periods", [])}
    seen: Counter[tuple[str, str | None, str | None, int | None, str]] = Counter()
    for i, r in enumerate(rows):
        if r.future not in names:
            out.append(
                Problem(
                    at("future_demand", i, "future"),
                    f"unknown future '{r.future}'{near_miss(r.future, names)}",
                )
            )
        if r.job_class is not None:
            ref("future_demand", i, "class", r.job_class, declared["job_classes"], "job class")
        if r.region is not None:
            ref("future_demand", i, "region", r.region, declared["regions"], "region")
        if r.profile is not None:
            ref("future_demand", i, "profile", r.profile, list(profiles), "profile")
        if r.rate is not None and not periods:
            out.append(
                Problem(at("future_demand", i, "rate"), "a growth rate needs a periods table")
            )
        if r.year is not None and r.year not in years:
            out.append(
                Problem(
                    at("future_demand", i, "year"),
                    f"{r.year} is not a period"
                    if periods
                    else f"demand for {r.year} needs a periods table listing {r.year}",
                )
            )
        for kind in ("factor", "rate", "pflops"):
            if getattr(r, kind) is not None:
                key = (r.future, r.job_class, r.region, r.year, kind)
                seen[key] += 1
                if seen[key] == 2:
                    what = "demand row" if kind == "pflops" else kind
                    out.append(
                        Problem(
                            at("future_demand", i),
                            f"duplicate {what} for future '{r.future}', class '{r.job_class or 'every'}', "
                            f"region '{r.region or 'every'}'",
                        )
                    )
    return out


def check_announced(tables: Mapping[str, list[Any]], at: Callable[..., str]) -> list[Problem]:
    """Announced capacity (with the brownfield modules) fits each site's power envelope and ``max_modules``."""
    import math

    out: list[Problem] = []
    hw = {h.name: h for h in tables.get("hardware", [])}
    sites = {s.name: (i, s) for i, s in enumerate(tables.get("sites", []))}
    kw: dict[str, float] = {}
    mods: dict[str, int] = {}
    for e in tables.get("existing_modules", []):
        if e.hardware in hw:
            kw[e.site] = kw.get(e.site, 0.0) + e.modules * hw[e.hardware].kw
            mods[e.site] = mods.get(e.site, 0) + e.modules
    for r in tables.get("announced", []):
        if r.hardware in hw and r.site in sites:
            n = (
                r.modules
                if r.modules is not None
                else math.ceil(r.pflops / hw[r.hardware].pflops - 1e-9)
            )
            kw[r.site] = kw.get(r.site, 0.0) + n * hw[r.hardware].kw
            mods[r.site] = mods.get(r.site, 0) + n
    for name, (i, s) in sites.items():
        if (
            name in kw
            and kw[name] > 1000 * s.max_it_mw * (1 + 1e-9)
            and any(r.site == name for r in tables.get("announced", []))
        ):
            out.append(
                Problem(
                    at("sites", i, "max_it_mw"),
                    f"announced and existing modules draw {kw[name] / 1000:g} MW, above max_it_mw "
                    f"{s.max_it_mw:g}: the announced baseline cannot be built there",
                )
            )
        if (
            s.max_modules is not None
            and mods.get(name, 0) > s.max_modules
            and any(r.site == name for r in tables.get("announced", []))
        ):
            out.append(
                Problem(
                    at("sites", i, "max_modules"),
                    f"is below the {mods[name]} announced and existing modules",
                )
            )
    periods = sorted(p.year for p in tables.get("periods", []))
    hw_by = {h.name: h for h in tables.get("hardware", [])}
    for i, r in enumerate(tables.get("announced", [])):
        if not periods or r.hardware not in hw_by:
            continue
        y = (
            periods[0]
            if r.year is None or r.year < periods[0]
            else max(p for p in periods if p <= r.year)
        )
        h = hw_by[r.hardware]
        if (h.available_from is not None and y < h.available_from) or (
            h.available_to is not None and y > h.available_to
        ):
            out.append(
                Problem(
                    at("announced", i, "year"),
                    f"bought in period {y} (the period containing {r.year if r.year is not None else 'the first year'}), "
                    f"when '{h.name}' cannot be bought (available {h.available_from or '…'}–{h.available_to or '…'})",
                )
            )
    return out
