"""The synthetic scenario generator of the benchmarks (benchmarks/synthetic.py)."""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import planner  # noqa: E402
from benchmarks.synthetic import LAT_RANGE, LON_RANGE, make_scenario  # noqa: E402


@pytest.mark.unit
def test_same_seed_same_scenario() -> None:
    a = make_scenario(8, 6, 24, 3, seed=7)
    b = make_scenario(8, 6, 24, 3, seed=7)
    assert a.model_dump() == b.model_dump()
    c = make_scenario(8, 6, 24, 3, seed=8)
    assert a.model_dump() != c.model_dump()


@pytest.mark.unit
@pytest.mark.parametrize("size", [(2, 1, 1, 2), (8, 6, 24, 3), (16, 12, 48, 4), (12, 20, 30, 5)])
def test_plausible(size: tuple[int, int, int, int]) -> None:
    n_regions, n_sites, n_slices, n_classes = size
    sc = make_scenario(*size, seed=3)
    assert (len(sc.regions), len(sc.sites), len(sc.time_slices), len(sc.job_classes)) == size
    # slices: days of at most 24 slices, weights sum to 8760 h
    assert sum(t.weight for t in sc.time_slices) == pytest.approx(8760)
    per_day: dict[str, int] = defaultdict(int)
    for t in sc.time_slices:
        per_day[t.day] += 1
    assert max(per_day.values()) <= 24
    # regions in China's bounding box; sites in a subset of regions with plausible PUE and price
    for r in sc.regions:
        assert LAT_RANGE[0] <= r.lat <= LAT_RANGE[1] and LON_RANGE[0] <= r.lon <= LON_RANGE[1]
    regions = {r.name for r in sc.regions}
    assert {s.region for s in sc.sites} <= regions
    for s in sc.sites:
        assert 1.1 <= s.pue <= 1.5
        assert 300 <= s.price_mwh <= 700
    assert 2 <= len(sc.hardware) <= 3
    # classes: a shiftable one with no latency limit, a tight-latency one
    by = {j.name: j for j in sc.job_classes}
    assert by["training"].shiftable and by["training"].max_latency_ms is None
    assert by["inference_rt"].max_latency_ms is not None and by["inference_rt"].max_latency_ms <= 10
    # links: a connected graph, priced per km
    adj: dict[str, set[str]] = defaultdict(set)
    for lk in sc.links:
        assert lk.unit_cost_per_km is not None and lk.unit_cost_per_km > 0
        adj[lk.from_region].add(lk.to_region)
        adj[lk.to_region].add(lk.from_region)
    seen, stack = {sc.regions[0].name}, [sc.regions[0].name]
    while stack:
        for w in adj[stack.pop()] - seen:
            seen.add(w)
            stack.append(w)
    assert seen == regions
    assert len(sc.links) >= n_regions - 1
    # demand: every row positive, inference follows a diurnal profile (peak above trough)
    assert sc.demand and all(d.pflops > 0 for d in sc.demand)
    prof = sc.profiles["diurnal_east"]
    if n_slices >= 4:
        assert max(prof.values()) > 1.3 * min(prof.values())


@pytest.mark.unit
def test_tight_latency_makes_eligibility_sparse() -> None:
    data = planner.prepare(make_scenario(16, 12, 48, 3, seed=1))
    sites_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for k in data.ELIG:  # (j, r, s) or (j, r, s, h)
        sites_of[k[0], k[1]].add(k[2])
    rt = [len(v) for (j, _), v in sites_of.items() if j == "inference_rt"]
    training = [len(v) for (j, _), v in sites_of.items() if j == "training"]
    assert rt and max(rt) < len(data.SITES) / 2
    assert training and min(training) == len(data.SITES)


@pytest.mark.solve
def test_small_synthetic_solves_optimal() -> None:
    sc = make_scenario(4, 3, 6, 2, seed=1)
    res = planner.run(sc, time_limit=60, mip_gap=0.01)
    assert res.outcome is not None and res.outcome.status == "optimal"
    assert res.total_cost > 0
