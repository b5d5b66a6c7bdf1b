"""Geography and network paths: great-circle distances, link defaults, least-latency paths.

Pure functions over plain data, shared by the cross-table checks and the data layer.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the type checker only: geo sits below the scenario package
    from .scenario.schema import LatencyEntry, Link, NetworkOptions, Region, Site

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km: ``2R asin(sqrt(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2)))``."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def least_latency(
    nodes: Iterable[str], edges: Iterable[tuple[str, str, float, bool]]
) -> dict[str, dict[str, float]]:
    """All-pairs least latency (ms) over links, by Dijkstra from every node.

    ``edges`` are ``(a, b, latency_ms, one_way)``; a two-way link is usable in both directions.
    Unreachable pairs are absent from the result; ``result[v][v] == 0``.
    """
    adj: dict[str, list[tuple[str, float]]] = {n: [] for n in nodes}
    for a, b, ms, one_way in edges:
        adj.setdefault(a, []).append((b, ms))
        adj.setdefault(b, [])
        if not one_way:
            adj[b].append((a, ms))
    out: dict[str, dict[str, float]] = {}
    for src in adj:
        dist = {src: 0.0}
        heap = [(0.0, src)]
        while heap:
            d, v = heapq.heappop(heap)
            if d > dist.get(v, math.inf):
                continue
            for w, ms in adj[v]:
                nd = d + ms
                if nd < dist.get(w, math.inf):
                    dist[w] = nd
                    heapq.heappush(heap, (nd, w))
        out[src] = dist
    return out


def link_distance_km(
    given: float | None,
    a: str,
    b: str,
    coords: Mapping[str, tuple[float | None, float | None]],
    route_factor: float,
) -> float | None:
    """A link's route length: as given, else great-circle × route factor; None if unknown."""
    if given is not None:
        return given
    (la, oa), (lb, ob) = coords.get(a, (None, None)), coords.get(b, (None, None))
    if la is None or oa is None or lb is None or ob is None:
        return None
    return haversine_km(la, oa, lb, ob) * route_factor


def link_latency_ms(
    given: float | None, distance_km: float | None, per_km: float, base: float
) -> float | None:
    """A link's one-way latency: as given, else ``distance_km × per_km + base``."""
    if given is not None:
        return given
    return None if distance_km is None else distance_km * per_km + base


def region_site_latency(
    regions: Iterable[Region],
    sites: Iterable[Site],
    links: Iterable[Link],
    explicit: Iterable[LatencyEntry],
    network: NetworkOptions,
    intra_region_latency_ms: float,
) -> dict[tuple[str, str], float]:
    """Latency ``lat[r, s]`` (ms) from every region to every reachable site (model.md §4).

    The least-latency path over all links (existing and candidate) from ``r`` to the site's
    region, plus ``intra_region_latency_ms`` when ``r`` is the site's own region; an explicit
    ``(region, site, ms)`` entry wins. Unreachable pairs are absent.
    """
    regions = list(regions)
    coords = {r.name: (r.lat, r.lon) for r in regions}
    edges = []
    for lk in links:
        d = link_distance_km(
            lk.distance_km, lk.from_region, lk.to_region, coords, network.route_factor
        )
        ms = link_latency_ms(lk.latency_ms, d, network.latency_ms_per_km, network.latency_base_ms)
        if ms is not None:
            edges.append((lk.from_region, lk.to_region, ms, lk.one_way))
    paths = least_latency([r.name for r in regions], edges)
    lat: dict[tuple[str, str], float] = {}
    for r in regions:
        for s in sites:
            if s.region == r.name:
                lat[r.name, s.name] = intra_region_latency_ms
            elif s.region in paths.get(r.name, {}):
                lat[r.name, s.name] = paths[r.name][s.region]
    for e in explicit:
        lat[e.region, e.site] = e.ms
    return lat
