"""PlanningData: everything the model needs, derived once from a validated scenario.

Sparse index sets are computed here (never filtered inside constraints): the eligible placements
``E = {(j, r, s)}`` (demand > 0, latency within the class limit, a usable hardware type at ``s``,
a network path when the work is remote and needs bandwidth), the hardware uses
``U = {(j, s, h)}`` (``h`` allowed for ``j`` and buyable or present at ``s``), the placement index
``X = E × slices`` and the hardware-split index ``Y = U × slices``, each restricted to the slices
where the work can run. Money is annualised here (``crf``).
"""

from __future__ import annotations

import heapq
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field

from .geo import link_distance_km, link_latency_ms, region_site_latency
from .scenario.schema import Hardware, JobClass, Scenario, Site, TimeSlice

log = logging.getLogger(__name__)

#: TB carried per hour by one Gbps: 3600 s × 1 Gb/s / 8 bit/B / 1000 GB/TB.
TB_PER_GBPS_HOUR = 0.45


def crf(rate: float, years: float) -> float:
    """Capital recovery factor ``i(1+i)^n / ((1+i)^n − 1)``, and ``1/n`` when ``i = 0``."""
    if rate == 0:
        return 1.0 / years
    g = float((1 + rate) ** years)
    return rate * g / (g - 1)


@dataclass(frozen=True)
class Arc:
    """One direction of a link: capacity ``unit_gbps × units[link]`` from ``tail`` to ``head``."""

    name: str
    link: str
    tail: str
    head: str


@dataclass
class LinkData:
    name: str
    a: str
    b: str
    distance_km: float | None
    latency_ms: float | None
    unit_gbps: float
    unit_cost: float  # CNY/yr per new unit
    fixed_cost: float
    max_units: int
    existing_units: int
    usage_cost_tb: float
    kwh_per_tb: float
    one_way: bool


@dataclass
class PlanningData:
    """Derived tables and sparse sets of one scenario (one period)."""

    scenario: Scenario
    SLICES: list[str]
    weight: dict[str, float]
    DAYS: dict[str, list[str]]
    REGIONS: list[str]
    SITES: list[str]
    HW: list[str]
    CLASSES: list[str]
    site_region: dict[str, str]
    pue: dict[str, float]
    price: dict[tuple[str, str], float]
    grid_ef: dict[tuple[str, str], float]
    green_max: dict[tuple[str, str], float]
    green_premium: dict[str, float]
    open_annual: dict[str, float]
    existing_open: dict[str, bool]
    max_it_mw: dict[str, float]
    max_modules_site: dict[str, int | None]
    pflops: dict[str, float]
    kw: dict[str, float]
    idle_frac: dict[str, float]
    capex_annual: dict[str, float]
    fixed_om: dict[str, float]
    domestic: dict[str, bool]
    buyable: dict[str, bool]
    existing: dict[tuple[str, str], int]
    SITE_HW: list[tuple[str, str]]
    module_bound: dict[tuple[str, str], int]
    demand: dict[tuple[str, str, str], float]
    DEMAND_JR: list[tuple[str, str]]
    shiftable: dict[str, bool]
    single_site: dict[str, bool]
    unserved_cost: dict[str, float]
    gbps_per_pflops: dict[str, float]
    efficiency: dict[tuple[str, str], float]
    latency: dict[tuple[str, str], float]
    ELIG: list[tuple[str, str, str]]
    USE: list[tuple[str, str, str]]
    X: list[tuple[str, str, str, str]]
    Y: list[tuple[str, str, str, str]]
    UNSERVED: list[tuple[str, str, str]]
    ASSIGN: list[tuple[str, str, str]]
    serving_cost: dict[tuple[str, str], float]
    links: dict[str, LinkData]
    ARCS: list[Arc]
    DEST: list[str]
    FLOW: list[tuple[str, str, str]]
    network_price: float
    network_ef: float
    carbon_price: float
    #: ``path`` (pairs' remote traffic on their least-latency path) or ``flow`` (routed per destination)
    routing: str = "path"
    #: arcs (names) of the least-latency path from region ``r`` to node ``n`` (pairs with remote traffic)
    PATH: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: classes in transport form (no latency limit): no origin in their placement, work ships over arcs
    TRANSPORT: list[str] = field(default_factory=list)
    #: ``(j, a, t)``: PFLOPS of transport class ``j`` shipped over arc ``a`` in slice ``t``
    SHIP: list[tuple[str, str, str]] = field(default_factory=list)
    #: links whose shipments are one signed column per slice on the forward arc ``l>`` (negative:
    #: towards ``l<``): two-way, one transport class ships, no usage or energy cost per TB. Exact.
    SIGNED: set[str] = field(default_factory=set)
    #: ``(j, v, t)``: node balance rows of transport classes (``v = "*"``: one national pool, for work needing no bandwidth)
    TNODE: list[tuple[str, str, str]] = field(default_factory=list)
    #: ``(j, r, t)``: work of shiftable transport class ``j`` from ``r`` released in slice ``t``
    RELEASE: list[tuple[str, str, str]] = field(default_factory=list)
    #: why a class without a latency limit keeps per-pair placements (class → reason)
    pair_reason: dict[str, str] = field(default_factory=dict)
    site_tags: dict[str, set[str]] = field(default_factory=dict)
    pue_cap: dict[str, float] = field(default_factory=dict)
    pue_closed: list[str] = field(default_factory=list)
    pue_over_existing: list[str] = field(default_factory=list)
    isolated: bool = False
    dropped: dict[str, int] = field(default_factory=dict)
    #: classes that run in whole jobs of a size in PFLOPS: the size of one job (effective PFLOPS)
    job_pflops: dict[str, float] = field(default_factory=dict)
    #: classes whose job size is in cards: ``(class, hardware)`` → one job on that type, effective
    #: PFLOPS (``job_cards × pflops / cards × efficiency``), for every type the class may use
    job_card_size: dict[tuple[str, str], float] = field(default_factory=dict)
    #: why demand of a (class, region) is left unserved whatever is built (a job that fits nowhere)
    unserved_reason: dict[tuple[str, str], str] = field(default_factory=dict)

    # ---- groupings used by the model (built once, on first use) -------------------------
    def y_by_site_hw_slice(self) -> dict[tuple[str, str, str], list[tuple[str, str, str, str]]]:
        """Hardware-split indices grouped by ``(s, h, t)`` (compute capacity, energy)."""
        g: dict[tuple[str, str, str], list[tuple[str, str, str, str]]] = defaultdict(list)
        for k in self.Y:
            g[k[1], k[2], k[3]].append(k)
        return g

    def x_by_demand_slice(self) -> dict[tuple[str, str, str], list[tuple[str, str, str, str]]]:
        """Placement indices grouped by ``(j, r, t)`` (demand balance)."""
        g: dict[tuple[str, str, str], list[tuple[str, str, str, str]]] = defaultdict(list)
        for k in self.X:
            g[k[0], k[1], k[3]].append(k)
        return g

    @property
    def size(self) -> dict[str, int]:
        """Counts of the main index sets (a model-size record)."""
        return {
            "regions": len(self.REGIONS),
            "sites": len(self.SITES),
            "hardware": len(self.HW),
            "classes": len(self.CLASSES),
            "slices": len(self.SLICES),
            "eligible": len(self.ELIG),
            "placements": len(self.X),
            "hardware splits": len(self.Y),
            "arcs": len(self.ARCS),
            "flows": len(self.FLOW),
            "transport classes": len(self.TRANSPORT),
            "shipments": len(self.SHIP),
        }

    def scenario_class(self, j: str) -> JobClass:
        """The scenario's row of job class ``j``."""
        return next(c for c in self.scenario.job_classes if c.name == j)

    def site_node(self, j: str, s: str) -> str:
        """The balance node of site ``s`` for transport class ``j``: its region, or the pool ``*``."""
        return "*" if self.gbps_per_pflops[j] <= 0 else self.site_region[s]


def _per_slice(
    value: float | str, profiles: dict[str, dict[str, float]], slices: list[str]
) -> dict[str, float]:
    if isinstance(value, str):
        return {t: profiles[value][t] for t in slices}
    return dict.fromkeys(slices, float(value))


def pue_caps(sc: Scenario) -> dict[str, float]:
    """The PUE cap of each site: the least of ``pue_max`` and the caps of its tags (absent: none)."""
    out = {}
    for s in sc.sites:
        caps = [sc.policy.pue_max] if sc.policy.pue_max is not None else []
        caps += [c for tag, c in sc.policy.pue_max_by_tag.items() if tag in s.tags]
        if caps:
            out[s.name] = min(caps)
    return out


def prepare(scenario: Scenario, *, isolated: bool = False) -> PlanningData:
    """Derive the planning data of a validated scenario (model.md §4).

    With ``isolated``, the baseline of model.md §8: every region is served only by sites in its
    own region, and no new link units can be built.

    Examples
    --------
    >>> from planner import load_scenario, prepare
    >>> data = prepare(load_scenario("scenarios/tiny"))  # doctest: +SKIP
    >>> data.size["eligible"]  # doctest: +SKIP
    3
    """
    sc = scenario
    i = sc.discount_rate
    SLICES = [t.name for t in sc.time_slices]
    weight = {t.name: t.weight for t in sc.time_slices}
    DAYS: dict[str, list[str]] = defaultdict(list)
    for ts in sc.time_slices:
        DAYS[ts.day or "all"].append(ts.name)
    REGIONS = [r.name for r in sc.regions]
    SITES = [s.name for s in sc.sites]
    HW = [h.name for h in sc.hardware]
    CLASSES = [j.name for j in sc.job_classes]
    site_by = {s.name: s for s in sc.sites}
    hw_by = {h.name: h for h in sc.hardware}
    cls_by = {j.name: j for j in sc.job_classes}

    price: dict[tuple[str, str], float] = {}
    grid_ef: dict[tuple[str, str], float] = {}
    green_max: dict[tuple[str, str], float] = {}
    for site in sc.sites:
        for t, v in _per_slice(site.price_mwh, sc.profiles, SLICES).items():
            price[site.name, t] = v
        for t, v in _per_slice(site.grid_tco2_mwh, sc.profiles, SLICES).items():
            grid_ef[site.name, t] = v
        for t, v in _per_slice(site.green_share_max, sc.profiles, SLICES).items():
            green_max[site.name, t] = min(1.0, max(0.0, v))

    existing: dict[tuple[str, str], int] = defaultdict(int)
    for e in sc.existing_modules:
        if e.retire_year is None or sc.year < e.retire_year:  # in service in the planning year
            existing[e.site, e.hardware] += e.modules
    existing_open = {
        s.name: bool(s.existing)
        if s.existing is not None
        else any(existing[s.name, h] > 0 for h in HW)
        for s in sc.sites
    }
    pue_cap = pue_caps(sc)
    over = [s.name for s in sc.sites if s.name in pue_cap and s.pue > pue_cap[s.name] + 1e-12]
    pue_closed = [s for s in over if not existing_open[s]]
    pue_over_existing = [s for s in over if existing_open[s]]
    buyable = {
        h.name: (h.available_from is None or h.available_from <= sc.year)
        and (h.available_to is None or sc.year <= h.available_to)
        for h in sc.hardware
    }

    # demand per (j, r, t)
    demand: dict[tuple[str, str, str], float] = {}
    for d in sc.demand:
        prof = sc.profiles[d.profile] if d.profile else None
        for t in SLICES:
            v = d.pflops * (prof[t] if prof else 1.0)
            if v > 0:
                demand[d.job_class, d.region, t] = v
    DEMAND_JR = sorted(
        {(j, r) for (j, r, _) in demand}, key=lambda k: (CLASSES.index(k[0]), REGIONS.index(k[1]))
    )

    latency = region_site_latency(
        sc.regions, sc.sites, sc.links, sc.latency, sc.network, sc.policy.intra_region_latency_ms
    )

    # links and arcs
    coords = {r.name: (r.lat, r.lon) for r in sc.regions}
    links: dict[str, LinkData] = {}
    ARCS: list[Arc] = []
    for k, lk in enumerate(sc.links):
        name = f"{lk.from_region}-{lk.to_region}"
        if name in links:
            name = f"{name}#{k + 1}"
        dist = link_distance_km(
            lk.distance_km, lk.from_region, lk.to_region, coords, sc.network.route_factor
        )
        ms = link_latency_ms(
            lk.latency_ms, dist, sc.network.latency_ms_per_km, sc.network.latency_base_ms
        )
        unit_cost = (
            lk.unit_cost
            if lk.unit_cost is not None
            else (lk.unit_cost_per_km or 0.0) * (dist or 0.0)
        )
        links[name] = LinkData(
            name,
            lk.from_region,
            lk.to_region,
            dist,
            ms,
            lk.unit_gbps,
            unit_cost,
            lk.fixed_cost,
            lk.existing_units if isolated else lk.max_units,
            lk.existing_units,
            lk.usage_cost_tb,
            lk.kwh_per_tb,
            lk.one_way,
        )
        ARCS.append(Arc(f"{name}>", name, lk.from_region, lk.to_region))
        if not lk.one_way:
            ARCS.append(Arc(f"{name}<", name, lk.to_region, lk.from_region))
    live_arcs = [a for a in ARCS if links[a.link].max_units > 0]  # arcs that can carry traffic
    reach = _reachable(REGIONS, live_arcs)

    # eligible placements
    efficiency = {(j.name, h): j.efficiency.get(h, 1.0) for j in sc.job_classes for h in HW}
    ELIG: list[tuple[str, str, str]] = []
    USE_SET: set[tuple[str, str, str]] = set()
    dropped: dict[str, int] = defaultdict(int)
    job_fit = job_capacity(sc, efficiency, existing)
    for j, r in DEMAND_JR:
        jc = cls_by[j]
        allowed = [h for h in HW if jc.hardware is None or h in jc.hardware]
        for s in SITES:
            size = job_size_in_own_unit(jc)
            if size is not None and job_fit[j, s] < size - 1e-9:
                dropped["a job larger than the site can hold"] += 1
                continue
            ms = latency.get((r, s))
            if ms is None or (jc.max_latency_ms is not None and ms > jc.max_latency_ms):
                continue
            if s in pue_closed:
                dropped["site above its PUE cap"] += 1
                continue
            node = site_by[s].region
            if isolated and node != r:
                continue
            if node != r and jc.gbps_per_pflops > 0 and node not in reach[r]:
                dropped["no network path"] += 1
                continue
            usable = [h for h in allowed if buyable[h] or existing[s, h] > 0]
            if usable:
                ELIG.append((j, r, s))
                USE_SET.update((j, s, h) for h in usable)
    USE = [(j, s, h) for j in CLASSES for s in SITES for h in HW if (j, s, h) in USE_SET]
    unserved_reason = _job_reasons(sc, DEMAND_JR, ELIG, job_fit, demand)

    serving_cost = {(e.region, e.site): e.cost for e in sc.serving_costs}
    pair_reason = _pair_reasons(sc, DEMAND_JR, serving_cost, isolated)
    TRANSPORT = [
        j
        for j in CLASSES
        if cls_by[j].max_latency_ms is None
        and j not in pair_reason
        and any(jj == j for jj, _ in DEMAND_JR)
    ]
    transport = set(TRANSPORT)

    X: list[tuple[str, str, str, str]] = []
    UNSERVED: list[tuple[str, str, str]] = []
    x_slices: dict[tuple[str, str], set[str]] = defaultdict(set)
    for j, r, s in ELIG:
        for t in SLICES:
            if cls_by[j].shiftable or (j, r, t) in demand:
                if j not in transport:
                    X.append((j, r, s, t))
                x_slices[j, s].add(t)
    Y = [(j, s, h, t) for (j, s, h) in USE for t in SLICES if t in x_slices[j, s]]
    for j, r in DEMAND_JR:
        for t in SLICES:
            if (j, r, t) in demand:
                UNSERVED.append((j, r, t))
    ASSIGN = sorted(
        {(j, r, s) for (j, r, s) in ELIG if cls_by[j].single_site},
        key=lambda k: (CLASSES.index(k[0]), REGIONS.index(k[1]), SITES.index(k[2])),
    )

    # module bounds: power envelope, max_modules, and the most any eligible demand could use
    SITE_HW = [(s, h) for s in SITES for h in HW]
    module_bound = _module_bounds(
        sc,
        SITE_HW,
        ELIG,
        USE_SET,
        demand,
        DAYS,
        weight,
        efficiency,
        existing,
        buyable,
        hw_by,
        site_by,
        cls_by,
    )
    for s in pue_closed:
        for h in HW:
            module_bound[s, h] = 0

    # network: pairs' remote traffic on paths, or routed flows
    routing = sc.network.routing
    remote_pairs = sorted(
        {
            (r, site_by[s].region)
            for (j, r, s) in ELIG
            if j not in transport and site_by[s].region != r and cls_by[j].gbps_per_pflops > 0
        },
        key=lambda k: (REGIONS.index(k[0]), REGIONS.index(k[1])),
    )
    PATH: dict[tuple[str, str], list[str]] = {}
    DEST: list[str] = []
    FLOW: list[tuple[str, str, str]] = []
    if routing == "path":
        arc_ms = {a.name: links[a.link].latency_ms for a in live_arcs}
        PATH = least_latency_paths(
            REGIONS, live_arcs, arc_ms, {r for r, _ in remote_pairs}, {k for k in remote_pairs}
        )
    else:  # routed flows per destination node, only in slices where traffic to it can arise
        dest_slices: dict[str, set[str]] = defaultdict(set)
        for j, r, s, t in X:
            node = site_by[s].region
            if node != r and cls_by[j].gbps_per_pflops > 0:
                dest_slices[node].add(t)
        DEST = [n for n in REGIONS if n in dest_slices]
        FLOW = [
            (a.name, n, t) for n in DEST for t in SLICES if t in dest_slices[n] for a in live_arcs
        ]

    # transport classes: shipments over arcs, node balances, released work of shiftable classes
    SHIP: list[tuple[str, str, str]] = []
    arc_link = {a.name: a.link for a in ARCS}
    busy = {arc_link[a] for arcs in PATH.values() for a in arcs} | {
        arc_link[a] for (a, _n, _t) in FLOW
    }
    signed = (
        _signed_links(
            links, live_arcs, [j for j in TRANSPORT if cls_by[j].gbps_per_pflops > 0], busy
        )
        if sc.network.signed_shipments
        else set()
    )
    TNODE: list[tuple[str, str, str]] = []
    RELEASE: list[tuple[str, str, str]] = []
    for j in TRANSPORT:
        regions_j = [r for (jj, r) in DEMAND_JR if jj == j]
        slices_j = [
            t for t in SLICES if cls_by[j].shiftable or any((j, r, t) in demand for r in regions_j)
        ]
        if cls_by[j].gbps_per_pflops > 0:
            SHIP += [
                (j, a.name, t)
                for t in slices_j
                for a in live_arcs
                if not (a.name.endswith("<") and a.link in signed)
            ]
            touched = set(regions_j) | {site_by[s].region for (jj, s, _h) in USE_SET if jj == j}
            touched |= {a.tail for a in live_arcs} | {a.head for a in live_arcs}
            nodes = [v for v in REGIONS if v in touched]
        else:
            nodes = ["*"]
        TNODE += [(j, v, t) for t in slices_j for v in nodes]
        if cls_by[j].shiftable:
            RELEASE += [(j, r, t) for r in regions_j for t in SLICES]
    data = PlanningData(
        scenario=sc,
        SLICES=SLICES,
        weight=weight,
        DAYS=dict(DAYS),
        REGIONS=REGIONS,
        SITES=SITES,
        HW=HW,
        CLASSES=CLASSES,
        site_region={s.name: s.region for s in sc.sites},
        pue={s.name: s.pue for s in sc.sites},
        price=price,
        grid_ef=grid_ef,
        green_max=green_max,
        green_premium={s.name: s.green_premium_mwh for s in sc.sites},
        open_annual={s.name: s.open_cost * crf(i, s.open_life_years) for s in sc.sites},
        existing_open=existing_open,
        max_it_mw={s.name: s.max_it_mw for s in sc.sites},
        max_modules_site={s.name: s.max_modules for s in sc.sites},
        pflops={h.name: h.pflops for h in sc.hardware},
        kw={h.name: h.kw for h in sc.hardware},
        idle_frac={h.name: h.idle_frac for h in sc.hardware},
        capex_annual={h.name: h.capex * crf(i, h.life_years) for h in sc.hardware},
        fixed_om={h.name: h.fixed_om_frac * h.capex for h in sc.hardware},
        domestic={h.name: h.domestic for h in sc.hardware},
        buyable=buyable,
        existing=dict(existing),
        SITE_HW=SITE_HW,
        module_bound=module_bound,
        demand=demand,
        DEMAND_JR=DEMAND_JR,
        shiftable={j.name: j.shiftable for j in sc.job_classes},
        single_site={j.name: j.single_site for j in sc.job_classes},
        unserved_cost={j.name: j.unserved_cost for j in sc.job_classes},
        gbps_per_pflops={j.name: j.gbps_per_pflops for j in sc.job_classes},
        efficiency=efficiency,
        latency=latency,
        ELIG=ELIG,
        USE=USE,
        X=X,
        Y=Y,
        UNSERVED=UNSERVED,
        ASSIGN=ASSIGN,
        serving_cost=serving_cost,
        links=links,
        ARCS=ARCS,
        DEST=DEST,
        FLOW=FLOW,
        network_price=sc.network.energy_price_mwh,
        network_ef=sc.network.grid_tco2_mwh,
        carbon_price=sc.policy.carbon_price,
        site_tags={s.name: set(s.tags) for s in sc.sites},
        pue_cap=pue_cap,
        pue_closed=pue_closed,
        pue_over_existing=pue_over_existing,
        isolated=isolated,
        dropped=dict(dropped),
        routing=routing,
        PATH=PATH,
        TRANSPORT=TRANSPORT,
        SHIP=SHIP,
        SIGNED=signed,
        TNODE=TNODE,
        RELEASE=RELEASE,
        pair_reason=pair_reason,
        job_pflops={j.name: j.job_pflops for j in sc.job_classes if j.job_pflops is not None},
        job_card_size={
            (j.name, h.name): j.job_cards * h.pflops / h.cards * efficiency[j.name, h.name]
            for j in sc.job_classes
            if j.job_cards is not None
            for h in sc.hardware
            if h.cards and (j.hardware is None or h.name in j.hardware)
        },
        unserved_reason=unserved_reason,
    )
    log.info("prepared %s: %s", sc.name, data.size)
    return data


def _pair_reasons(
    sc: Scenario,
    DEMAND_JR: list[tuple[str, str]],
    serving_cost: dict[tuple[str, str], float],
    isolated: bool,
) -> dict[str, str]:
    """Classes without a latency limit that must keep per-(region, site) placements, and why.

    The transport form forgets where work came from, so it serves only classes whose costs and
    targets never ask: no serving cost from their regions, no remote/local share target, not
    single-site, not the isolated baseline, and ``network.transport`` on.
    """
    out: dict[str, str] = {}
    costly = {r for (r, _s), c in serving_cost.items() if c}
    for jc in sc.job_classes:
        if jc.max_latency_ms is not None:
            continue
        regions = {r for (j, r) in DEMAND_JR if j == jc.name}
        if not sc.network.transport:
            out[jc.name] = "network.transport is off"
        elif isolated:
            out[jc.name] = "isolated baseline"
        elif jc.single_site:
            out[jc.name] = "single-site class"
        elif jc.job_pflops is not None or jc.job_cards is not None:
            out[jc.name] = "runs in whole jobs"
        elif sc.policy.max_remote_share is not None or sc.policy.min_local_share is not None:
            out[jc.name] = "a remote/local share target"
        elif regions & costly:
            out[jc.name] = "serving costs from its regions"
    return out


def job_size_in_own_unit(jc: JobClass) -> float | None:
    """A class's job size in its own unit: effective PFLOPS (``job_pflops``) or cards (``job_cards``)."""
    if jc.job_pflops is not None:
        return jc.job_pflops
    return float(jc.job_cards) if jc.job_cards is not None else None


def job_capacity(
    sc: Scenario, efficiency: dict[tuple[str, str], float], existing: dict[tuple[str, str], int]
) -> dict[tuple[str, str], float]:
    """``(class, site)`` → the largest job the site could ever run, for classes with a job size, in
    the class's unit: effective PFLOPS (``job_pflops``) or cards (``job_cards``).

    On one hardware type ``h`` a site holds at most ``min(⌊1000 max_it_mw / kw[h]⌋, max_modules)``
    modules (existing ones count); a job needs ``job_pflops / (pflops[h] × efficiency[j,h])`` of
    them, or ``job_cards / cards[h]``. Mixing types at the site never holds more than the best
    type alone (one power envelope), so the largest job is the best type's, with or without
    ``job_one_hardware`` (a job in cards always runs on one type).
    """
    out: dict[tuple[str, str], float] = {}
    for jc in sc.job_classes:
        if jc.job_pflops is None and jc.job_cards is None:
            continue
        allowed = [h for h in sc.hardware if jc.hardware is None or h.name in jc.hardware]
        for s in sc.sites:
            best = 0.0
            for h in allowed:
                n = math.inf if h.kw <= 0 else math.floor(1000 * s.max_it_mw / h.kw + 1e-9)
                if s.max_modules is not None:
                    n = min(n, s.max_modules)
                n = max(n, existing.get((s.name, h.name), 0))
                unit = (
                    h.pflops * efficiency[jc.name, h.name]
                    if jc.job_pflops is not None
                    else float(h.cards or 0)
                )
                best = max(best, n * unit)
            out[jc.name, s.name] = best
    return out


def _job_reasons(
    sc: Scenario,
    DEMAND_JR: list[tuple[str, str]],
    ELIG: list[tuple[str, str, str]],
    job_fit: dict[tuple[str, str], float],
    demand: dict[tuple[str, str, str], float],
) -> dict[tuple[str, str], str]:
    """Why a (class, region) that runs in whole jobs is left unserved whatever is built, in plain words."""
    out: dict[tuple[str, str], str] = {}
    cls_by = {j.name: j for j in sc.job_classes}
    eligible = {(j, r) for (j, r, _s) in ELIG}
    for j, r in DEMAND_JR:
        jc = cls_by[j]
        own = job_size_in_own_unit(jc)
        if own is None:
            continue
        unit = "PFLOPS" if jc.job_pflops is not None else "cards"
        # the smallest job in PFLOPS (with job_cards: on the type with the fewest PFLOPS per card)
        size = jc.job_pflops
        if size is None:
            size = min(
                (
                    own * h.pflops / h.cards * jc.efficiency.get(h.name, 1.0)
                    for h in sc.hardware
                    if h.cards and (jc.hardware is None or h.name in jc.hardware)
                ),
                default=math.inf,
            )
        if (j, r) not in eligible:
            near = [(v, s) for (jj, s), v in job_fit.items() if jj == j]
            v, s = max(near) if near else (0.0, "-")
            out[j, r] = (
                f"a job of {own:g} {unit} fits at no site within reach of {r}: jobs run whole at one site, and the largest "
                f"a site can hold is {v:,.1f} {unit} ({s})"
            )
        elif cls_by[j].shiftable:  # a job in a slice of weight w does S × w of the day's work
            days: dict[str, list[TimeSlice]] = defaultdict(list)
            for t in sc.time_slices:
                days[t.day or "all"].append(t)
            most = max(
                sum(t.weight * demand.get((j, r, t.name), 0.0) for t in ts)
                / min(t.weight for t in ts)
                for ts in days.values()
            )
            if most < size - 1e-9:
                out[j, r] = (
                    f"the daily work of {r} never fills one whole job of {size:g} PFLOPS for a slice"
                )
        elif max(v for (jj, rr, _t), v in demand.items() if (jj, rr) == (j, r)) < size - 1e-9:
            out[j, r] = f"demand of {r} never reaches one whole job of {size:g} PFLOPS"
    return out


def least_latency_paths(
    regions: list[str],
    arcs: list[Arc],
    ms: dict[str, float | None],
    sources: set[str],
    wanted: set[tuple[str, str]],
) -> dict[tuple[str, str], list[str]]:
    """The arcs of the least-latency path from ``r`` to ``n`` for each wanted pair (Dijkstra).

    Ties are broken by the order of regions and arcs, so the same scenario always gives the same
    paths. Pairs with no path are absent.
    """
    order = {r: i for i, r in enumerate(regions)}
    out_arcs: dict[str, list[Arc]] = defaultdict(list)
    for a in arcs:
        out_arcs[a.tail].append(a)
    paths: dict[tuple[str, str], list[str]] = {}
    for src in sorted(sources, key=order.__getitem__):
        dist = {src: 0.0}
        pred: dict[str, Arc] = {}
        heap = [(0.0, order[src], src)]
        done: set[str] = set()
        while heap:
            dv, _, v = heapq.heappop(heap)
            if v in done:
                continue
            done.add(v)
            for a in out_arcs[v]:
                nd = dv + float(ms[a.name] or 0.0)
                if nd < dist.get(a.head, math.inf) - 1e-12:
                    dist[a.head] = nd
                    pred[a.head] = a
                    heapq.heappush(heap, (nd, order[a.head], a.head))
        for r, n in wanted:
            if r != src or n not in pred:
                continue
            seq, v = [], n
            while v != src:
                a = pred[v]
                seq.append(a.name)
                v = a.tail
            paths[r, n] = seq[::-1]
    return paths


def _signed_links(
    links: dict[str, LinkData], live_arcs: list[Arc], shippers: list[str], busy: set[str]
) -> set[str]:
    """Links whose two directed shipment columns can be one signed column (docs/model.md §10).

    Exact when the link carries one transport class's work and nothing else: each direction's
    capacity row is then ``gbps × |ship| ≤ unit_gbps × units``, and a two-way shipment nets to a
    one-way one that uses less of both directions. Not where other traffic shares the link
    (``busy``: least-latency paths or routed flows; the reverse row would read
    ``load − gbps × ship`` and let the load exceed the capacity), nor where it costs per TB
    carried (the cost would be ``|ship|``).
    """
    if len(shippers) != 1:
        return set()
    live = {a.link for a in live_arcs}
    return {
        ln
        for ln, lk in links.items()
        if ln in live
        and ln not in busy
        and not lk.one_way
        and not lk.usage_cost_tb
        and not lk.kwh_per_tb
    }


def _reachable(regions: list[str], arcs: list[Arc]) -> dict[str, set[str]]:
    """Nodes reachable from each region over directed arcs (breadth-first)."""
    out_arcs: dict[str, list[str]] = defaultdict(list)
    for a in arcs:
        out_arcs[a.tail].append(a.head)
    reach: dict[str, set[str]] = {}
    for r in regions:
        seen, stack = {r}, [r]
        while stack:
            v = stack.pop()
            for w in out_arcs[v]:
                if w not in seen:
                    seen.add(w)
                    stack.append(w)
        reach[r] = seen
    return reach


def _module_bounds(
    sc: Scenario,
    SITE_HW: list[tuple[str, str]],
    ELIG: list[tuple[str, str, str]],
    USE: set[tuple[str, str, str]],
    demand: dict[tuple[str, str, str], float],
    DAYS: dict[str, list[str]],
    weight: dict[str, float],
    efficiency: dict[tuple[str, str], float],
    existing: dict[tuple[str, str], int],
    buyable: dict[str, bool],
    hw_by: dict[str, Hardware],
    site_by: dict[str, Site],
    cls_by: dict[str, JobClass],
) -> dict[tuple[str, str], int]:
    """Tightest valid ``M[s, h]`` for ``modules[s,h] ≤ M × open[s]`` (model.md §5, constraint 3).

    ``M = existing`` when ``h`` cannot be bought; otherwise the least of the power envelope
    ``⌊1000 max_it_mw / kw⌋``, ``max_modules`` and the modules the eligible demand could ever
    load at once (``Σ peak service / (efficiency × pflops)``, rounded up) — more modules than
    that only add cost, energy and carbon.
    """
    peak: dict[tuple[str, str], float] = defaultdict(float)  # (j, r) -> most service in one slice
    for (j, r, _t), v in demand.items():
        if cls_by[j].shiftable:
            continue
        peak[j, r] = max(peak[j, r], v)
    for j, jc in cls_by.items():
        if not jc.shiftable:
            continue
        for _day, ts in DAYS.items():
            wmin = min(weight[t] for t in ts)
            for r in {r for (jj, r, _) in demand if jj == j}:
                tot = sum(weight[t] * demand.get((j, r, t), 0.0) for t in ts)
                peak[j, r] = max(peak[j, r], tot / wmin)
    need: dict[tuple[str, str], float] = defaultdict(float)
    for j, r, s in ELIG:
        for h in hw_by:
            if (j, s, h) in USE:
                need[s, h] += peak[j, r] / efficiency[j, h]
    bound: dict[tuple[str, str], int] = {}
    for s, h in SITE_HW:
        ex = existing.get((s, h), 0)
        if not buyable[h]:
            bound[s, h] = ex
            continue
        hw = hw_by[h]
        # a required domestic share can call for domestic modules beyond what demand loads
        demand_bound = not (hw.domestic and sc.policy.domestic_min_share)
        cands = [ex + math.ceil(need[s, h] / hw.pflops - 1e-9)] if demand_bound else []
        if hw.kw > 0:
            cands.append(math.floor(1000 * site_by[s].max_it_mw / hw.kw + 1e-9))
        most = site_by[s].max_modules
        if most is not None:
            cands.append(most)
        if not cands:  # no envelope, no max_modules, no demand bound: fall back to the demand bound
            cands.append(ex + math.ceil(need[s, h] / hw.pflops - 1e-9))
        bound[s, h] = max(ex, min(cands))
    return bound
