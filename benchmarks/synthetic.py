"""Seeded synthetic scenarios of growing size, for benchmarks and tests.

``make_scenario(n_regions, n_sites, n_slices, n_classes, seed)`` returns a validated
:class:`planner.Scenario` that is random but plausible:

- regions at random points inside China's bounding box (lat 21–46° N, lon 98–125° E), tagged
  ``east``/``west`` by longitude; demand-heavy regions tagged ``hub``;
- sites in a random subset of the regions (several per region only when there are more sites than
  regions), PUE 1.1–1.5, power 300–700 CNY/MWh (cheaper and greener in the west), a few existing
  (brownfield) modules at one site in five;
- 2–3 hardware types (an imported GPU pod, a domestic NPU pod, a domestic inference card);
- job classes: ``training`` (shiftable within a day, no latency limit), ``inference_rt`` (5 ms:
  only sites in or next to the region are eligible, so eligibility is sparse), then
  ``inference_batch`` (25 ms), ``finetune`` (no limit, not shiftable) and further services;
- links forming a connected graph: a spanning tree that joins each region to its nearest already
  joined region, plus about one extra edge per three regions between near neighbours; every link
  priced per km (``unit_cost_per_km``), extra edges with a fixed right-of-way cost;
- demand with a diurnal profile (evening peak; the west lags the east by 1.5 h), a seasonal factor
  per representative day, and ``n_slices`` hourly-or-coarser slices grouped into days of at most 24
  slices, whose weights sum to 8760 h.

The same arguments and seed give the same scenario (only :mod:`random` with its own seed is used).

Run ``python benchmarks/synthetic.py 16 12 48 3 --seed 1`` to print the size of one.
"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python benchmarks/synthetic.py` from anywhere
    sys.path.insert(0, str(ROOT))

from planner.geo import haversine_km, region_site_latency  # noqa: E402
from planner.scenario.checks import check_tables  # noqa: E402
from planner.scenario.schema import BLOCKS, TABLES, Scenario  # noqa: E402

#: China's bounding box (roughly the populated part): lat, lon in degrees.
LAT_RANGE = (21.0, 46.0)
LON_RANGE = (98.0, 125.0)
#: West of this longitude a region is tagged ``west`` (cheaper, greener power).
WEST_LON = 110.0

#: Hardware catalogue: (name, pflops, kw, idle_frac, capex CNY, life yr, fixed O&M /yr, domestic).
HARDWARE = [
    ("gpu_a", 16.0, 24.0, 0.30, 3_600_000, 5.0, 0.03, False),
    ("npu_b", 12.0, 20.0, 0.35, 2_200_000, 5.0, 0.04, True),
    ("inf_c", 6.0, 8.0, 0.25, 900_000, 4.0, 0.03, True),
]

#: Job classes in the order they are added: (name, max_latency_ms, gbps_per_pflops, shiftable,
#: unserved_cost CNY/PFLOPS·h, share of demand before normalisation, uses inference cards).
CLASSES = [
    ("training", None, 0.1, True, 30.0, 0.45, False),
    ("inference_rt", 5.0, 0.5, False, 80.0, 0.30, True),
    ("inference_batch", 25.0, 0.3, False, 50.0, 0.15, True),
    ("finetune", None, 0.2, False, 40.0, 0.10, False),
]


def _slices(n_slices: int) -> tuple[list[dict[str, Any]], list[tuple[str, int, float]]]:
    """Time slices grouped into days of ≤ 24 slices; weights sum to 8760 h.

    Returns the slice rows and, per slice, ``(name, day index, hour of day at its centre)``.
    """
    n_days = max(1, math.ceil(n_slices / 24))
    per_day = [n_slices // n_days + (1 if d < n_slices % n_days else 0) for d in range(n_days)]
    rows, meta = [], []
    for d, k in enumerate(per_day):
        step = 24.0 / k
        for i in range(k):
            name = f"d{d + 1}h{int(i * step):02d}"
            rows.append({"name": name, "weight": 8760.0 / n_days / k, "day": f"d{d + 1}"})
            meta.append((name, d, (i + 0.5) * step))
    return rows, meta


def _diurnal(hour: float, lag_h: float) -> float:
    """Inference load over the day: low at 4–5 h, peak around 20–21 h; mean ≈ 1."""
    h = (hour - lag_h) % 24
    return (
        1.0
        + 0.45 * math.sin(2 * math.pi * (h - 14.5) / 24)
        + 0.15 * math.sin(2 * math.pi * (h - 8) / 12)
    )


def make_scenario(
    n_regions: int,
    n_sites: int,
    n_slices: int,
    n_classes: int,
    seed: int = 0,
    *,
    n_hardware: int = 3,
) -> Scenario:
    """A random but plausible scenario of the given size; the same arguments give the same scenario.

    Parameters
    ----------
    n_regions
        Regions (demand origins and network nodes), ≥ 2.
    n_sites
        Candidate sites, ≥ 1; spread over a random subset of the regions.
    n_slices
        Time slices, ≥ 1; grouped into ``ceil(n_slices / 24)`` representative days.
    n_classes
        Job classes, ≥ 2: training (shiftable, no latency limit) and real-time inference (5 ms)
        first, then batch inference, fine-tuning and further services.
    seed
        Seed of the random generator.
    n_hardware
        Hardware types, 2 or 3.

    Returns
    -------
    Scenario
        A validated scenario that also passes the loader's cross-table checks.
    """
    if n_regions < 2 or n_sites < 1 or n_slices < 1 or n_classes < 2 or n_hardware not in (2, 3):
        raise ValueError(
            "need n_regions ≥ 2, n_sites ≥ 1, n_slices ≥ 1, n_classes ≥ 2, n_hardware in (2, 3)"
        )
    rng = random.Random(f"planner-synthetic:{seed}")

    def u(a: float, b: float, nd: int = 3) -> float:
        return round(rng.uniform(a, b), nd)

    # ---- regions -------------------------------------------------------------------------
    regions = []
    for k in range(n_regions):
        lat, lon = u(*LAT_RANGE, 2), u(*LON_RANGE, 2)
        regions.append(
            {
                "name": f"r{k + 1:02d}",
                "lat": lat,
                "lon": lon,
                "tags": ["west" if lon < WEST_LON else "east"],
            }
        )
    coord = {r["name"]: (r["lat"], r["lon"]) for r in regions}
    # demand weight: a few big cities, many smaller ones (east heavier)
    size = {
        r["name"]: rng.lognormvariate(0.0, 0.8) * (1.6 if "east" in r["tags"] else 1.0)
        for r in regions
    }
    for name in sorted(size, key=size.get, reverse=True)[: max(1, n_regions // 5)]:
        next(r for r in regions if r["name"] == name)["tags"].append("hub")

    # ---- sites ---------------------------------------------------------------------------
    names = [r["name"] for r in regions]
    hosts = rng.sample(names, min(n_sites, n_regions))
    hosts += [rng.choice(names) for _ in range(n_sites - len(hosts))]
    sites, per_region = [], {}
    for k, reg in enumerate(hosts):
        per_region[reg] = per_region.get(reg, 0) + 1
        west = coord[reg][1] < WEST_LON
        lo, hi = (300, 500) if west else (450, 700)
        sites.append(
            {
                "name": f"s{k + 1:02d}_{reg}",
                "region": reg,
                "pue": u(1.1, 1.3) if west else u(1.2, 1.5),
                "price_mwh": u(lo, hi, 1),
                "grid_tco2_mwh": u(0.45, 0.85),
                "green_share_max": u(0.3, 0.6, 2) if west else u(0.05, 0.3, 2),
                "green_premium_mwh": u(20, 80, 1),
                "open_cost": round(rng.uniform(3e8, 1.2e9), -6),
                "open_life_years": 20,
                "max_it_mw": u(10, 60, 1),
                "tags": ["west" if west else "east"],
            }
        )

    # ---- hardware ------------------------------------------------------------------------
    hardware = []
    for name, pf, kw, idle, capex, life, om, dom in HARDWARE[:n_hardware]:
        hardware.append(
            {
                "name": name,
                "pflops": round(pf * rng.uniform(0.9, 1.1), 2),
                "kw": round(kw * rng.uniform(0.9, 1.1), 2),
                "idle_frac": idle,
                "capex": round(capex * rng.uniform(0.9, 1.1), -3),
                "life_years": life,
                "fixed_om_frac": om,
                "domestic": dom,
            }
        )
    hw_names = [h["name"] for h in hardware]
    existing = [
        {"site": s["name"], "hardware": hw_names[0], "modules": rng.randint(20, 100)}
        for s in sites[: n_sites // 5]
    ]

    # ---- links: spanning tree to the nearest joined region, plus extra near-neighbour edges --
    order = names[:]
    rng.shuffle(order)
    joined, edges = [order[0]], set()
    for r in order[1:]:
        near = min(joined, key=lambda v, r=r: haversine_km(*coord[r], *coord[v]))
        edges.add(tuple(sorted((r, near))))
        joined.append(r)
    tree = set(edges)
    pairs = sorted(
        (
            (haversine_km(*coord[a], *coord[b]), a, b)
            for i, a in enumerate(names)
            for b in names[i + 1 :]
        )
    )
    candidates = [(a, b) for _, a, b in pairs[: 4 * n_regions] if (a, b) not in edges]
    for a, b in rng.sample(candidates, min(len(candidates), max(1, n_regions // 3))):
        edges.add((a, b))
    links = []
    for a, b in sorted(edges):
        in_tree = (a, b) in tree
        links.append(
            {
                "from": a,
                "to": b,
                "unit_gbps": 400,
                "unit_cost_per_km": u(800, 1500, 0),
                "fixed_cost": 0.0 if in_tree else round(rng.uniform(2e6, 5e6), -4),
                "max_units": rng.randint(20, 60),
                "existing_units": rng.randint(0, 2) if in_tree else 0,
                "usage_cost_tb": u(0.5, 2.0, 2),
                "kwh_per_tb": u(5, 15, 1),
            }
        )

    # ---- slices, profiles ----------------------------------------------------------------
    slices, meta = _slices(n_slices)
    n_days = len({d for _, d, _ in meta})
    season = [round(rng.uniform(0.9, 1.1), 3) for _ in range(n_days)]
    profiles = {
        "diurnal_east": {n: round(season[d] * _diurnal(h, 0.0), 4) for n, d, h in meta},
        "diurnal_west": {n: round(season[d] * _diurnal(h, 1.5), 4) for n, d, h in meta},
        "training": {
            n: round(season[d] * (1.0 + 0.05 * math.sin(2 * math.pi * h / 24)), 4)
            for n, d, h in meta
        },
    }

    # ---- job classes ---------------------------------------------------------------------
    job_classes, class_share = [], {}
    for k in range(n_classes):
        if k < len(CLASSES):
            name, ms, gbps, shift, unserved, share, cards = CLASSES[k]
        else:  # further services: a latency limit between the real-time and batch ones
            name, ms, gbps, shift, unserved, share, cards = (
                f"service_{k - len(CLASSES) + 1}",
                float(rng.choice([8, 12, 18])),
                0.4,
                False,
                60.0,
                0.08,
                True,
            )
        allowed = [h for h in hw_names if cards or h != "inf_c"]
        row = {
            "name": name,
            "max_latency_ms": ms,
            "gbps_per_pflops": gbps,
            "shiftable": shift,
            "unserved_cost": unserved,
            "hardware": allowed,
        }
        if "npu_b" in allowed:
            row["efficiency"] = {"npu_b": 0.8 if name == "training" else 0.9}
        job_classes.append(row)
        class_share[name] = share
    total_share = sum(class_share.values())

    # ---- demand: ~35% of the sites' total capacity on average --------------------------------
    mw_per_pflops = sum(h["kw"] / h["pflops"] for h in hardware[:2]) / 2 / 1000
    capacity = sum(s["max_it_mw"] for s in sites) / mw_per_pflops
    total = 0.35 * capacity
    norm = sum(size.values())
    tmp = Scenario.model_validate(
        {
            "name": "tmp",
            "time_slices": slices,
            "regions": regions,
            "sites": sites,
            "hardware": hardware,
            "job_classes": job_classes,
            "demand": [],
            "links": links,
        }
    )
    lat = region_site_latency(
        tmp.regions, tmp.sites, tmp.links, (), tmp.network, tmp.policy.intra_region_latency_ms
    )
    demand = []
    for jc in job_classes:
        for r in regions:
            reachable = [
                s
                for s in sites
                if (r["name"], s["name"]) in lat
                and (
                    jc["max_latency_ms"] is None
                    or lat[r["name"], s["name"]] <= jc["max_latency_ms"]
                )
            ]
            if not reachable:
                continue  # latency-bound work only where some site is near enough
            level = (
                total
                * class_share[jc["name"]]
                / total_share
                * size[r["name"]]
                / norm
                * rng.uniform(0.8, 1.2)
            )
            if jc["shiftable"] or jc["name"] == "finetune":
                prof = "training"
            else:
                prof = "diurnal_west" if "west" in r["tags"] else "diurnal_east"
            demand.append(
                {
                    "class": jc["name"],
                    "region": r["name"],
                    "pflops": round(level, 2),
                    "profile": prof,
                }
            )

    spec = {
        "name": f"synthetic-{n_regions}r-{n_sites}s-{n_slices}t-{n_classes}j-seed{seed}",
        "description": f"synthetic scenario (benchmarks/synthetic.py, seed {seed})",
        "year": 2025,
        "discount_rate": 0.06,
        "objective": "cost",
        "solver": {"time_limit": 600, "mip_gap": 0.01, "threads": 1},
        "policy": {"carbon_price": 60.0},
        "time_slices": slices,
        "regions": regions,
        "sites": sites,
        "hardware": hardware,
        "existing_modules": existing,
        "job_classes": job_classes,
        "demand": demand,
        "profiles": profiles,
        "links": links,
    }
    sc = Scenario.model_validate(spec)
    problems = check_tables(
        {t: list(getattr(sc, t)) for t in TABLES},
        sc.profiles,
        {},
        sc.name,
        {"year": sc.year},
        {b: getattr(sc, b) for b in BLOCKS},
    )
    if problems:  # a generator bug, not a user error
        raise AssertionError(
            "synthetic scenario fails the cross-table checks: " + "; ".join(map(str, problems))
        )
    return sc


def main(argv: list[str] | None = None) -> None:
    """Print the size of one synthetic scenario: ``synthetic.py R S T J [--seed N]``."""
    import argparse

    from planner import prepare

    p = argparse.ArgumentParser(description=main.__doc__)
    for a in ("regions", "sites", "slices", "classes"):
        p.add_argument(a, type=int)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    sc = make_scenario(a.regions, a.sites, a.slices, a.classes, a.seed)
    print(sc.name, prepare(sc).size)


if __name__ == "__main__":
    main()
