"""Cross-table checks: references, duplicates, units that cannot hold, demand no site can reach.

Every check appends to one list of problems; nothing stops at the first one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..errors import Problem, near_miss
from ..geo import link_distance_km, region_site_latency
from .future_checks import check_announced, check_futures

WEIGHT_TOLERANCE_H = 1e-6 * 8760

#: Simple references: (table, field as written) -> (referenced table, what it is called).
REFS: dict[tuple[str, str], tuple[str, str]] = {
    ("sites", "region"): ("regions", "region"),
    ("existing_modules", "site"): ("sites", "site"),
    ("existing_modules", "hardware"): ("hardware", "hardware type"),
    ("demand", "class"): ("job_classes", "job class"),
    ("demand", "region"): ("regions", "region"),
    ("links", "from"): ("regions", "region"),
    ("links", "to"): ("regions", "region"),
    ("serving_costs", "region"): ("regions", "region"),
    ("serving_costs", "site"): ("sites", "site"),
    ("latency", "region"): ("regions", "region"),
    ("latency", "site"): ("sites", "site"),
    ("announced", "site"): ("sites", "site"),
    ("announced", "hardware"): ("hardware", "hardware type"),
}
#: References that may be left empty (meaning "every").
OPTIONAL_REFS: dict[tuple[str, str], tuple[str, str]] = {
    ("demand_growth", "class"): ("job_classes", "job class"),
    ("demand_growth", "region"): ("regions", "region"),
}
_ATTR = {"class": "job_class", "from": "from_region", "to": "to_region"}


def check_tables(
    tables: Mapping[str, list[Any]],
    profiles: Mapping[str, Mapping[str, float]],
    places: Any,
    file_label: str,
    top: Mapping[str, Any],
    blocks: Mapping[str, Any],
    invalid: Mapping[str, list[tuple[dict[str, Any], str]]] | None = None,
) -> list[Problem]:
    """Return every cross-table problem of a scenario's tables.

    ``invalid`` holds rows that failed field validation (raw values and place): their names
    count as declared (no cascade of "unknown" errors) and their references are still checked.
    """
    P: list[Problem] = []
    invalid = invalid or {}

    def at(table: str, i: int, field: str | None = None) -> str:
        base = (
            places.of(table, i)
            if hasattr(places, "of")
            else places.get((table, i), f"{table} › row {i + 1}")
        )
        return f"{base} › {field}" if field else base

    names: dict[str, list[str]] = {}
    declared: dict[str, list[str]] = {}
    for t in ("time_slices", "regions", "sites", "hardware", "job_classes"):
        names[t] = [r.name for r in tables.get(t, [])]
        declared[t] = names[t] + [
            str(raw["name"]) for raw, _ in invalid.get(t, []) if raw.get("name") is not None
        ]
        counts = Counter(names[t])
        second: dict[str, int] = {}
        seen_once: set[str] = set()
        for k, r in enumerate(names[t]):
            if r in seen_once:
                second.setdefault(r, k)
            seen_once.add(r)
        for name, n in counts.items():
            if n > 1:
                i = second[name]
                P.append(Problem(at(t, i, "name"), f"duplicate name '{name}' ({n} rows)"))
    slices, regions, sites, hws, classes = (
        names[t] for t in ("time_slices", "regions", "sites", "hardware", "job_classes")
    )

    sets: dict[int, tuple[list[str], set[str]]] = {}

    def among(value: str, known: list[str]) -> bool:
        """``value in known`` in constant time (a hostile file may declare tens of thousands of names)."""
        hit = sets.get(id(known))
        if hit is None or hit[0] is not known:
            hit = sets[id(known)] = (known, set(known))
        return value in hit[1]

    def ref(table: str, i: int, field: str, value: str, known: list[str], what: str) -> bool:
        if not among(value, known):
            P.append(
                Problem(at(table, i, field), f"unknown {what} '{value}'{near_miss(value, known)}")
            )
            return False
        return True

    # simple references, on valid rows (by attribute) and on invalid rows (raw values)
    for (t, f), (target, what) in REFS.items():
        known = declared[target]
        for i, row in enumerate(tables.get(t, [])):
            v = getattr(row, _ATTR.get(f, f))
            if not among(v, known):
                P.append(Problem(at(t, i, f), f"unknown {what} '{v}'{near_miss(v, known)}"))
        for raw, place in invalid.get(t, []):
            v = raw.get(f)
            if v is not None and not among(str(v), known):
                P.append(
                    Problem(f"{place} › {f}", f"unknown {what} '{v}'{near_miss(str(v), known)}")
                )
    ok_ref = {
        (t, i): all(
            among(getattr(row, _ATTR.get(f, f)), names[target])
            for (tt, f), (target, _) in REFS.items()
            if tt == t
        )
        for t in {t for t, _ in REFS}
        for i, row in enumerate(tables.get(t, []))
    }
    prof_names = list(profiles)
    year = top.get("year", 2025)

    ts = tables.get("time_slices", [])
    if ts:
        total = sum(t.weight for t in ts)
        if abs(total - 8760) > WEIGHT_TOLERANCE_H:
            P.append(
                Problem(
                    f"{file_label} › time_slices",
                    f"weights must sum to 8760 h per year (got {total:g})",
                )
            )

    for i, s in enumerate(tables.get("sites", [])):
        for f in ("price_mwh", "grid_tco2_mwh", "green_share_max"):
            v = getattr(s, f)
            if isinstance(v, str):
                if ref("sites", i, f, v, prof_names, "profile"):
                    bad = [
                        x
                        for x in profiles[v].values()
                        if x < 0 or (f == "green_share_max" and x > 1)
                    ]
                    if bad:
                        what = (
                            "values outside [0, 1]" if f == "green_share_max" else "negative values"
                        )
                        P.append(Problem(at("sites", i, f), f"profile '{v}' has {what}"))

    hw_by = {h.name: h for h in tables.get("hardware", [])}
    site_by = {s.name: s for s in tables.get("sites", [])}
    for i, h in enumerate(tables.get("hardware", [])):
        if (
            h.available_from is not None
            and h.available_to is not None
            and h.available_from > h.available_to
        ):
            P.append(
                Problem(
                    at("hardware", i, "available_to"),
                    f"is before available_from ({h.available_to} < {h.available_from})",
                )
            )
    seen_em: Counter[tuple[str, str]] = Counter()
    kw_at: Counter[str] = Counter()
    mods_at: Counter[str] = Counter()
    for i, e in enumerate(tables.get("existing_modules", [])):
        ok = ok_ref["existing_modules", i]
        seen_em[e.site, e.hardware] += 1
        if seen_em[e.site, e.hardware] == 2:
            P.append(
                Problem(
                    at("existing_modules", i),
                    f"duplicate row for site '{e.site}' and hardware '{e.hardware}'",
                )
            )
        if ok:
            kw_at[e.site] += e.modules * hw_by[e.hardware].kw
            mods_at[e.site] += e.modules
    for s, kw in kw_at.items():
        if kw > 1000 * site_by[s].max_it_mw * (1 + 1e-9):
            i = sites.index(s)
            P.append(
                Problem(
                    at("sites", i, "max_it_mw"),
                    f"existing modules draw {kw / 1000:g} MW, above max_it_mw {site_by[s].max_it_mw:g}",
                )
            )
        mm = site_by[s].max_modules
        if mm is not None and mods_at[s] > mm:
            P.append(
                Problem(
                    at("sites", sites.index(s), "max_modules"),
                    f"is below the {mods_at[s]} existing modules",
                )
            )

    days_missing = any(t.day is None for t in ts)
    for i, j in enumerate(tables.get("job_classes", [])):
        for h in j.hardware or []:
            ref("job_classes", i, "hardware", h, hws, "hardware type")
        for h in j.efficiency:
            ref("job_classes", i, "efficiency", h, hws, "hardware type")
        if j.shiftable and days_missing:
            P.append(
                Problem(
                    at("job_classes", i, "shiftable"),
                    "shiftable work needs a 'day' on every time slice",
                )
            )
        if j.shiftable and j.single_site:
            pass  # allowed: one site, balanced per day

    seen_d: Counter[tuple[str, str, int | None]] = Counter()
    for i, d in enumerate(tables.get("demand", [])):
        if d.profile is not None and ref("demand", i, "profile", d.profile, prof_names, "profile"):
            if any(v < 0 for v in profiles[d.profile].values()):
                P.append(
                    Problem(
                        at("demand", i, "profile"), f"profile '{d.profile}' has negative values"
                    )
                )
        seen_d[d.job_class, d.region, d.year] += 1
        if seen_d[d.job_class, d.region, d.year] == 2:
            when = f" for {d.year}" if d.year is not None else ""
            P.append(
                Problem(
                    at("demand", i),
                    f"duplicate demand for class '{d.job_class}' in region '{d.region}'{when}",
                )
            )
    P.extend(_check_periods(tables, at, file_label))
    P.extend(check_futures(tables, profiles, at, file_label, declared, ref))
    P.extend(check_announced(tables, at))
    for (t, f), (target, what) in OPTIONAL_REFS.items():
        for i, row in enumerate(tables.get(t, [])):
            v = getattr(row, _ATTR.get(f, f))
            if v is not None:
                ref(t, i, f, v, declared[target], what)

    net = blocks.get("network")
    coords = {r.name: (r.lat, r.lon) for r in tables.get("regions", [])}
    for i, lk in enumerate(tables.get("links", [])):
        a = among(lk.from_region, regions)
        b = among(lk.to_region, regions)
        if lk.from_region == lk.to_region:
            P.append(
                Problem(
                    at("links", i, "to"),
                    f"a link must join two different regions (both ends are '{lk.to_region}')",
                )
            )
        if a and b and net is not None and lk.latency_ms is None:
            if (
                link_distance_km(
                    lk.distance_km, lk.from_region, lk.to_region, coords, net.route_factor
                )
                is None
            ):
                P.append(
                    Problem(
                        at("links", i, "distance_km"),
                        "is needed: give distance_km or latency_ms, or lat/lon for both regions",
                    )
                )
        if (
            lk.max_units > lk.existing_units
            and lk.unit_cost is None
            and lk.unit_cost_per_km is None
        ):
            P.append(
                Problem(
                    at("links", i, "unit_cost"),
                    "new units can be built but have no price: give unit_cost or unit_cost_per_km",
                )
            )
        if lk.unit_cost is not None and lk.unit_cost_per_km is not None:
            P.append(
                Problem(
                    at("links", i, "unit_cost_per_km"),
                    "give unit_cost or unit_cost_per_km, not both",
                )
            )
        if (
            lk.unit_cost_per_km is not None
            and lk.distance_km is None
            and not (a and b and None not in (*coords[lk.from_region], *coords[lk.to_region]))
        ):
            P.append(
                Problem(
                    at("links", i, "distance_km"),
                    "unit_cost_per_km needs distance_km or lat/lon for both regions",
                )
            )
    P.extend(_duplicate_links(tables.get("links", []), at))
    for t in ("serving_costs", "latency"):
        seen: Counter[tuple[str, str]] = Counter()
        for i, e in enumerate(tables.get(t, [])):
            seen[e.region, e.site] += 1
            if seen[e.region, e.site] == 2:
                P.append(
                    Problem(at(t, i), f"duplicate row for region '{e.region}' and site '{e.site}'")
                )

    pol = blocks.get("policy")
    if pol is not None:
        tags = {t for s in tables.get("sites", []) for t in s.tags}
        for f in ("min_green_share_by_tag", "pue_max_by_tag", "min_utilisation_by_tag"):
            for tag in getattr(pol, f):
                if tag not in tags:
                    P.append(
                        Problem(
                            f"{file_label} › policy › {f}",
                            f"no site has the tag '{tag}'{near_miss(tag, sorted(tags))}",
                        )
                    )
        if pol.min_hub_share and pol.hub_tag not in tags:
            P.append(
                Problem(
                    f"{file_label} › policy › hub_tag",
                    f"no site has the hub tag '{pol.hub_tag}'{near_miss(pol.hub_tag, sorted(tags))}",
                )
            )

    P.extend(_check_targets(tables, at))
    P.extend(_check_job_sizes(tables, at))

    if not P and net is not None and not any(invalid.values()):
        years = [p.year for p in tables.get("periods", [])] or [year]
        P.extend(_unreachable_demand(tables, blocks, years, at))
    return P


def _check_job_sizes(tables: Mapping[str, list[Any]], at: Any) -> list[Problem]:
    """A job size is given once (``job_pflops`` or ``job_cards``); one in cards needs the cards per
    module of every hardware type the class may use (its PFLOPS per card)."""
    out: list[Problem] = []
    hardware = tables.get("hardware", [])
    for i, jc in enumerate(tables.get("job_classes", [])):
        if jc.job_cards is None:
            continue
        if jc.job_pflops is not None:
            out.append(
                Problem(
                    at("job_classes", i, "job_cards"),
                    f"give the job size once: job_pflops ({jc.job_pflops:g}) or job_cards "
                    f"({jc.job_cards}), not both",
                )
            )
        for k, h in enumerate(hardware):
            if (jc.hardware is None or h.name in jc.hardware) and h.cards is None:
                out.append(
                    Problem(
                        at("hardware", k, "cards"),
                        f"unknown: job class '{jc.name}' states its job size in cards "
                        f"(job_cards {jc.job_cards}) and may run on '{h.name}', so '{h.name}' "
                        "needs its cards per module",
                    )
                )
    return out


def _check_targets(tables: Mapping[str, list[Any]], at: Any) -> list[Problem]:
    """Targets name known classes and site tags, give ``ms`` where their indicator needs it, and are unique."""
    out: list[Problem] = []
    tags = {t for s in tables.get("sites", []) for t in s.tags}
    classes = [j.name for j in tables.get("job_classes", [])]
    seen: set[str] = set()
    for i, tg in enumerate(tables.get("targets", [])):
        if tg.name in seen:
            out.append(Problem(at("targets", i, "name"), f"target '{tg.name}' is defined twice"))
        seen.add(tg.name)
        for tag in [t.strip() for t in tg.scope.split("+") if t.strip()]:
            if tag not in tags:
                out.append(
                    Problem(
                        at("targets", i, "scope"),
                        f"no site has the tag '{tag}'{near_miss(tag, sorted(tags))}",
                    )
                )
        if tg.job_class and tg.job_class not in classes:
            out.append(
                Problem(
                    at("targets", i, "job_class"),
                    f"unknown job class '{tg.job_class}'{near_miss(tg.job_class, classes)}",
                )
            )
        if tg.indicator in ("served_within_ms", "coverage_within_ms") and tg.ms is None:
            out.append(
                Problem(
                    at("targets", i, "ms"), f"indicator {tg.indicator} needs the latency circle ms"
                )
            )
    return out


def _duplicate_links(links: list[Any], at: Any) -> list[Problem]:
    """The same pair of regions joined twice, in either direction (two one-way links in opposite
    directions are one link's two directions, and fine)."""
    out = []
    first: dict[frozenset[str], tuple[int, Any]] = {}
    for i, lk in enumerate(links):
        key = frozenset((lk.from_region, lk.to_region))
        if key not in first:
            first[key] = (i, lk)
            continue
        k, other = first[key]
        if (
            lk.one_way
            and other.one_way
            and (lk.from_region, lk.to_region) == (other.to_region, other.from_region)
        ):
            continue
        how = (
            "the same link"
            if (lk.from_region, lk.to_region) == (other.from_region, other.to_region)
            else "the same link, given the other way round"
        )
        out.append(
            Problem(
                at("links", i),
                f"{how} as {at('links', k).rsplit(' › ', 1)[-1]} ({other.from_region}–{other.to_region}): "
                "give each pair of regions one link (more units in max_units), or two one-way links",
            )
        )
    return out


def _check_periods(tables: Mapping[str, list[Any]], at: Any, file_label: str) -> list[Problem]:
    """Periods are distinct and do not overlap; demand years are period years; every (class, region) has demand in every period."""
    out: list[Problem] = []
    periods = tables.get("periods", [])
    years = [p.year for p in periods]
    for y, n in Counter(years).items():
        if n > 1:
            out.append(
                Problem(
                    at("periods", [k for k, v in enumerate(years) if v == y][1], "year"),
                    f"duplicate period {y}",
                )
            )
    order = sorted(range(len(periods)), key=lambda k: periods[k].year)
    for a, b in zip(order, order[1:]):
        p, q = periods[a], periods[b]
        if p.years is not None and q.year > p.year and p.year + p.years > q.year + 1e-9:
            out.append(
                Problem(
                    at("periods", a, "years"),
                    f"period {p.year} lasts {p.years:g} years, to {p.year + p.years:g}, "
                    f"past the start of the next period ({q.year}): periods may not overlap; "
                    f"give years: {q.year - p.year} or leave it empty",
                )
            )
    demand = tables.get("demand", [])
    if not periods:
        for i, d in enumerate(demand):
            if d.year is not None:
                out.append(
                    Problem(
                        at("demand", i, "year"),
                        f"demand for {d.year} needs a periods table listing {d.year}",
                    )
                )
        for i, _ in enumerate(tables.get("demand_growth", [])):
            out.append(Problem(at("demand_growth", i), "demand growth needs a periods table"))
        return out
    for i, d in enumerate(demand):
        if d.year is not None and d.year not in years:
            out.append(
                Problem(
                    at("demand", i, "year"),
                    f"{d.year} is not a period{near_miss(str(d.year), [str(y) for y in years])}",
                )
            )
    base = {(d.job_class, d.region) for d in demand if d.year is None}
    given: dict[tuple[str, str], set[int]] = {}
    first: dict[tuple[str, str], int] = {}
    for i, d in enumerate(demand):
        if d.year is not None:
            given.setdefault((d.job_class, d.region), set()).add(d.year)
            first.setdefault((d.job_class, d.region), i)
    for key, ys in given.items():
        missing = sorted(set(years) - ys)
        if key not in base and missing:
            out.append(
                Problem(
                    at("demand", first[key]),
                    f"class '{key[0]}' in region '{key[1]}' has demand for {', '.join(map(str, sorted(ys)))} "
                    f"but not for {', '.join(map(str, missing))}: add rows for those years or a base row (empty year) grown by demand_growth",
                )
            )
    return out


def _unreachable_demand(
    tables: Mapping[str, list[Any]], blocks: Mapping[str, Any], years: list[int], at: Any
) -> list[Problem]:
    """Demand that no site can ever serve: none within the latency limit with usable hardware."""
    pol = blocks["policy"]
    lat = region_site_latency(
        tables["regions"],
        tables["sites"],
        tables.get("links", []),
        tables.get("latency", []),
        blocks["network"],
        pol.intra_region_latency_ms,
    )
    cls = {j.name: j for j in tables["job_classes"]}
    hw = tables["hardware"]
    existing = {(e.site, e.hardware) for e in tables.get("existing_modules", []) if e.modules > 0}

    def buyable(h: Any) -> bool:
        return any(
            (h.available_from is None or h.available_from <= y)
            and (h.available_to is None or y <= h.available_to)
            for y in years
        )

    out = []
    for i, d in enumerate(tables["demand"]):
        if d.pflops <= 0:
            continue
        j = cls[d.job_class]
        allowed = [h for h in hw if j.hardware is None or h.name in j.hardware]
        near = [
            s
            for s in tables["sites"]
            if (d.region, s.name) in lat
            and (j.max_latency_ms is None or lat[d.region, s.name] <= j.max_latency_ms)
        ]
        usable = [
            s for s in near if any(buyable(h) or (s.name, h.name) in existing for h in allowed)
        ]
        if not usable:
            if not near:
                best = min((ms for (r, _), ms in lat.items() if r == d.region), default=None)
                why = (
                    f"no site is within {j.max_latency_ms:g} ms of '{d.region}'"
                    + (
                        f" (nearest: {best:g} ms)"
                        if best is not None
                        else " (no site is reachable)"
                    )
                    if j.max_latency_ms is not None
                    else f"no site is reachable from '{d.region}' over the links"
                )
            else:
                when = (
                    f"in {years[0]}"
                    if len(years) == 1
                    else f"in any period ({', '.join(map(str, years))})"
                )
                why = f"no hardware allowed for class '{d.job_class}' can be bought {when} or exists at a site within reach"
            out.append(
                Problem(
                    at("demand", i), f"demand of class '{d.job_class}' can never be served: {why}"
                )
            )
    return out
