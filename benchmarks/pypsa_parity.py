"""planner against PyPSA on the same linear network problem, built from one generator.

One seeded generator (:func:`make_problem`) draws a plain linear network problem; from it
:func:`planner_spec` makes a planner scenario and :func:`pypsa_network` an equivalent PyPSA network.
planner solves it with ``relax=True`` (its LP relaxation), PyPSA 1.4 / linopy as the LP it is; both
with HiGHS's interior point method, no crossover, one thread, each solve in a fresh subprocess,
the two tools alternated, medians of ``--repeat`` runs. The benchmark checks that the objectives
agree to 1e-6 (relative) and prints a table of both tools side by side with their ratios.

Run from the project root (``pip install -e ".[test,bench]"`` first)::

    .venv/bin/python benchmarks/pypsa_parity.py                      # all sizes, 3 repeats
    .venv/bin/python benchmarks/pypsa_parity.py --what-if            # ... and the signed-shipment what-if
    .venv/bin/python benchmarks/pypsa_parity.py --sizes 8x6x24,30x20x24 --repeat 1
    .venv/bin/python benchmarks/pypsa_parity.py --render             # rewrite the .md from the .json

Sizes are ``REGIONSxSITESxSLICES``. The results go to ``benchmarks/pypsa_parity.json`` (every run)
and ``benchmarks/pypsa_parity.md`` (the table, how to run, machine and versions; the text under its
``## Reading`` heading is kept); ``--out PREFIX`` writes elsewhere.

**The equivalent problem.** One job class without a latency limit (not shiftable, not single-site,
``gbps_per_pflops > 0``), one hardware type with ``idle_frac = 0``, every site already open
(``existing: true``, ``open_cost = 0``), links without fixed, usage or energy costs and without
existing units, no green power (``green_share_max = 0``), no carbon price, no policy. Then planner's
LP relaxation is exactly this transport LP, and the mapping to PyPSA is

=====================================  ===================================================
planner                                 PyPSA
=====================================  ===================================================
region                                  bus
time slice, ``weight``                  snapshot, ``snapshot_weightings`` (all columns)
demand ``d[j, r, t]`` (PFLOPS)          load ``p_set`` at bus ``r``
site ``s`` (modules × ``pflops``)       extendable generator at its region's bus;
                                        ``capital_cost = capex·(crf(i, life) + fixed_om_frac) / pflops``;
                                        ``marginal_cost = price_mwh·pue·kw / pflops / 1000``;
                                        ``p_nom_max = pflops·⌊1000·max_it_mw / kw⌋``
                                        (planner keeps the integer module bound in its relaxation)
link (``unit_gbps`` per unit, duplex)   extendable Link, ``p_min_pu = -1``, ``efficiency = 1``;
                                        ``capital_cost = unit_cost / unit_gbps × gbps_per_pflops``;
                                        ``p_nom_max = max_units·unit_gbps / gbps_per_pflops``
``unserved[j, r, t]``                   generator at bus ``r``, ``marginal_cost = unserved_cost``,
                                        fixed ``p_nom`` = the bus's peak demand
=====================================  ===================================================

Direction does not matter: planner's traffic runs from the origin region to the serving site, a
PyPSA flow from the generator to the load; each link has the same capacity both ways (full duplex
in planner, ``p_min_pu = -1`` in PyPSA), and with one class and free choice of the serving site
planner's flows per destination decompose into one single-commodity flow and back.

**What is measured, per run** (each in its own process): columns, rows and nonzeros of the LP
handed to HiGHS; *build* = model construction and hand-over (planner: scenario validation,
``prepare``, ``build_model``, compile and ``passModel``; PyPSA: ``Network.add`` of every
component, ``consistency_check``, ``optimize.create_model`` and linopy's hand-over to highspy);
*solver* = HiGHS's ``run`` (wall clock, and CPU seconds inside ``highspy.Highs.run``, the same
clock for both); *CPU* = ``time.process_time`` over build, solve and loading the
solution back (imports and the generator excluded), and *process CPU* = ``getrusage`` of the whole
worker process (imports included); IPM iterations; the objective. PyPSA is driven the way
``n.optimize`` drives it (``create_model``, ``Model.solve``, ``assign_solution``,
``assign_duals``, ``post_processing``), with ``io_api="direct"`` (linopy's fastest hand-over; its
default writes an LP file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python benchmarks/pypsa_parity.py` from anywhere
    sys.path.insert(0, str(ROOT))

#: The sizes of the issue's table (regions, sites, slices), plus 8/6/96 and 100/20/96, and two
#: twice as large (more slices; more regions and sites) to show the trend.
DEFAULT_SIZES = [
    (8, 6, 24),
    (8, 6, 96),
    (30, 20, 24),
    (30, 20, 96),
    (100, 20, 24),
    (100, 20, 96),
    (100, 20, 192),
    (200, 40, 96),
]
TOOLS = ("planner", "pypsa")
#: Relative tolerance on the objectives.
RTOL = 1e-6
#: The project's goal: planner's CPU at most this multiple of PyPSA's, its columns within this.
GOAL_CPU, GOAL_COLUMNS = 1.5, 2.0

LAT_RANGE, LON_RANGE = (21.0, 46.0), (98.0, 125.0)
WEST_LON = 110.0


# ---------------------------------------------------------------------------------------------
# the generator
# ---------------------------------------------------------------------------------------------


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def crf(i: float, n: float) -> float:
    """Capital recovery factor ``i(1+i)^n / ((1+i)^n − 1)`` (``1/n`` when ``i = 0``), model.md §4."""
    if i == 0:
        return 1.0 / n
    f = (1 + i) ** n
    return i * f / (f - 1)


def make_problem(n_regions: int, n_sites: int, n_slices: int, seed: int = 0) -> dict[str, Any]:
    """Draw one equivalent linear network problem; the same arguments give the same problem.

    Parameters
    ----------
    n_regions
        Regions (buses), ≥ 2.
    n_sites
        Sites, ≥ 1; at most one per region while there are regions left.
    n_slices
        Time slices (snapshots), ≥ 1; grouped into days of ≤ 24 slices, weights summing to 8760 h.
    seed
        Seed of the random generator (``random.Random``).

    Returns
    -------
    dict
        Plain data (no planner or PyPSA objects): ``regions``, ``slices``, ``sites``,
        ``hardware``, ``job``, ``links``, ``levels`` and ``profiles`` (planner's demand rows),
        ``demand`` (region → PFLOPS per slice, in slice order: level × profile),
        ``discount_rate``. :func:`planner_spec` and :func:`pypsa_network` read only this.
    """
    if n_regions < 2 or n_sites < 1 or n_slices < 1:
        raise ValueError("need n_regions ≥ 2, n_sites ≥ 1, n_slices ≥ 1")
    rng = random.Random(f"planner-pypsa-parity:{n_regions}:{n_sites}:{n_slices}:{seed}")

    def u(a: float, b: float, nd: int = 3) -> float:
        return round(rng.uniform(a, b), nd)

    regions = [
        {"name": f"r{k + 1:03d}", "lat": u(*LAT_RANGE, 2), "lon": u(*LON_RANGE, 2)}
        for k in range(n_regions)
    ]
    names = [r["name"] for r in regions]
    coord = {r["name"]: (r["lat"], r["lon"]) for r in regions}

    # slices: days of at most 24 slices, equal weights summing to 8760 h
    n_days = max(1, math.ceil(n_slices / 24))
    per_day = [n_slices // n_days + (1 if d < n_slices % n_days else 0) for d in range(n_days)]
    slices, hours = [], []
    for d, k in enumerate(per_day):
        for i in range(k):
            slices.append(
                {"name": f"d{d + 1}t{i:02d}", "weight": 8760.0 / n_days / k, "day": f"d{d + 1}"}
            )
            hours.append((d, (i + 0.5) * 24.0 / k))

    # one hardware type, no idle power
    hardware = {
        "name": "pod",
        "pflops": u(14.0, 18.0, 2),
        "kw": u(21.0, 27.0, 2),
        "idle_frac": 0.0,
        "capex": round(rng.uniform(3.2e6, 4.0e6), -3),
        "life_years": 5.0,
        "fixed_om_frac": 0.03,
    }

    # sites: in distinct regions while there are regions left; cheaper power in the west
    hosts = rng.sample(names, min(n_sites, n_regions)) + [
        rng.choice(names) for _ in range(max(0, n_sites - n_regions))
    ]
    sites = []
    for k, reg in enumerate(hosts):
        west = coord[reg][1] < WEST_LON
        sites.append(
            {
                "name": f"s{k + 1:03d}_{reg}",
                "region": reg,
                "pue": u(1.1, 1.3) if west else u(1.2, 1.5),
                "price_mwh": u(280, 480, 1) if west else u(450, 720, 1),
                "max_it_mw": u(8.0, 40.0, 2),
            }
        )

    # links: a spanning tree joining each region to its nearest joined one, plus about one extra
    # near-neighbour edge per three regions; unit cost per km, no fixed cost
    order = names[:]
    rng.shuffle(order)
    joined, edges = [order[0]], set()
    for r in order[1:]:
        near = min(joined, key=lambda v, r=r: _haversine_km(*coord[r], *coord[v]))
        edges.add(tuple(sorted((r, near))))
        joined.append(r)
    pairs = sorted(
        (_haversine_km(*coord[a], *coord[b]), a, b)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    )
    extra = [(a, b) for _, a, b in pairs[: 4 * n_regions] if (a, b) not in edges]
    for a, b in rng.sample(extra, min(len(extra), max(1, n_regions // 3))):
        edges.add((a, b))
    links = []
    for a, b in sorted(edges):
        km = round(1.3 * _haversine_km(*coord[a], *coord[b]) + 20.0, 1)
        links.append(
            {
                "from": a,
                "to": b,
                "distance_km": km,
                "unit_gbps": 400.0,
                "unit_cost": round(km * rng.uniform(3000.0, 8000.0), 0),
                "max_units": 2000,
            }
        )

    job = {"name": "work", "gbps_per_pflops": u(0.3, 0.6, 2), "unserved_cost": u(40.0, 60.0, 1)}

    # demand: on average ~half of what all envelopes can hold, so some envelopes bind at the peak
    pflops_per_mw = 1000.0 / hardware["kw"] * hardware["pflops"]
    capacity = sum(s["max_it_mw"] for s in sites) * pflops_per_mw
    size = {r: rng.lognormvariate(0.0, 0.8) for r in names}
    norm = sum(size.values())
    season = [rng.uniform(0.85, 1.15) for _ in range(n_days)]
    levels, profiles, demand = {}, {}, {}
    for r in names:
        levels[r] = round(0.5 * capacity * size[r] / norm, 2)
        lag = (coord[r][1] - 98.0) / 15.0  # ~ one hour per 15° of longitude
        amp = rng.uniform(0.25, 0.5)
        profiles[r] = [
            round(season[d] * (1.0 + amp * math.sin(2 * math.pi * (h + lag - 14.5) / 24)), 4)
            for d, h in hours
        ]
        demand[r] = [levels[r] * v for v in profiles[r]]  # planner is given level × profile
    return {
        "name": f"parity-{n_regions}r-{n_sites}s-{n_slices}t-seed{seed}",
        "discount_rate": 0.06,
        "regions": regions,
        "slices": slices,
        "sites": sites,
        "hardware": hardware,
        "job": job,
        "links": links,
        "demand": demand,
        "levels": levels,
        "profiles": profiles,
    }


def module_bound(site: dict[str, Any], hw: dict[str, Any]) -> int:
    """planner's power-envelope module bound ``⌊1000·max_it_mw / kw⌋`` (``planner.data._module_bounds``)."""
    return math.floor(1000 * site["max_it_mw"] / hw["kw"] + 1e-9)


def planner_spec(p: dict[str, Any]) -> dict[str, Any]:
    """The problem as a planner scenario dict (``planner.Scenario.model_validate`` accepts it)."""
    hw, job = p["hardware"], p["job"]
    slice_names = [s["name"] for s in p["slices"]]
    return {
        "name": p["name"],
        "description": "benchmarks/pypsa_parity.py: the linear network problem shared with PyPSA",
        "year": 2025,
        "discount_rate": p["discount_rate"],
        "objective": "cost",
        "solver": {"time_limit": 600, "threads": 1, "relax": True, "lp_solver": "ipm"},
        "time_slices": p["slices"],
        "regions": p["regions"],
        "sites": [
            {
                "name": s["name"],
                "region": s["region"],
                "pue": s["pue"],
                "price_mwh": s["price_mwh"],
                "grid_tco2_mwh": 0.6,
                "green_share_max": 0.0,
                "open_cost": 0.0,
                "existing": True,
                "max_it_mw": s["max_it_mw"],
            }
            for s in p["sites"]
        ],
        "hardware": [
            {
                "name": hw["name"],
                "pflops": hw["pflops"],
                "kw": hw["kw"],
                "idle_frac": 0.0,
                "capex": hw["capex"],
                "life_years": hw["life_years"],
                "fixed_om_frac": hw["fixed_om_frac"],
            }
        ],
        "job_classes": [
            {
                "name": job["name"],
                "max_latency_ms": None,
                "gbps_per_pflops": job["gbps_per_pflops"],
                "shiftable": False,
                "single_site": False,
                "unserved_cost": job["unserved_cost"],
            }
        ],
        "demand": [
            {"class": job["name"], "region": r, "pflops": lvl, "profile": f"d_{r}"}
            for r, lvl in p["levels"].items()
        ],
        "profiles": {f"d_{r}": dict(zip(slice_names, prof)) for r, prof in p["profiles"].items()},
        "links": [
            {
                "from": lk["from"],
                "to": lk["to"],
                "distance_km": lk["distance_km"],
                "unit_gbps": lk["unit_gbps"],
                "unit_cost": lk["unit_cost"],
                "fixed_cost": 0.0,
                "max_units": lk["max_units"],
                "existing_units": 0,
                "usage_cost_tb": 0.0,
                "kwh_per_tb": 0.0,
            }
            for lk in p["links"]
        ],
    }


def pypsa_network(p: dict[str, Any]):  # noqa: ANN201 - pypsa.Network, imported lazily
    """The same problem as a PyPSA network (see the module docstring for the mapping)."""
    import pandas as pd
    import pypsa

    hw, job = p["hardware"], p["job"]
    snaps = pd.Index([s["name"] for s in p["slices"]], name="snapshot")
    n = pypsa.Network()
    n.set_snapshots(snaps)
    w = pd.Series([s["weight"] for s in p["slices"]], index=snaps)
    for col in n.snapshot_weightings.columns:
        n.snapshot_weightings[col] = w
    buses = [r["name"] for r in p["regions"]]
    n.add("Bus", buses, carrier="compute")
    n.add("Carrier", ["compute", "unserved"])
    loads = pd.DataFrame({r: p["demand"][r] for r in buses}, index=snaps)
    n.add("Load", buses, suffix="-load", bus=buses, p_set=loads)
    per_pflops = (
        hw["capex"]
        * (crf(p["discount_rate"], hw["life_years"]) + hw["fixed_om_frac"])
        / hw["pflops"]
    )
    sites = p["sites"]
    n.add(
        "Generator",
        [s["name"] for s in sites],
        bus=[s["region"] for s in sites],
        carrier="compute",
        p_nom_extendable=True,
        capital_cost=per_pflops,
        p_nom_max=[hw["pflops"] * module_bound(s, hw) for s in sites],
        marginal_cost=[s["price_mwh"] * s["pue"] * hw["kw"] / hw["pflops"] / 1000.0 for s in sites],
    )
    n.add(
        "Generator",
        buses,
        suffix="-unserved",
        bus=buses,
        carrier="unserved",
        p_nom_extendable=False,
        p_nom=[max(p["demand"][r]) for r in buses],
        marginal_cost=job["unserved_cost"],
    )
    g = job["gbps_per_pflops"]
    lks = p["links"]
    n.add(
        "Link",
        [f"{lk['from']}-{lk['to']}" for lk in lks],
        bus0=[lk["from"] for lk in lks],
        bus1=[lk["to"] for lk in lks],
        carrier="compute",
        p_nom_extendable=True,
        p_min_pu=-1.0,
        efficiency=1.0,
        capital_cost=[lk["unit_cost"] / lk["unit_gbps"] * g for lk in lks],
        p_nom_max=[lk["max_units"] * lk["unit_gbps"] / g for lk in lks],
    )
    return n


# ---------------------------------------------------------------------------------------------
# one solve (run in a fresh subprocess by the runner)
# ---------------------------------------------------------------------------------------------


def solve_planner(p: dict[str, Any], time_limit: float) -> dict[str, Any]:
    """Build and solve ``p`` in planner (``relax=True``, interior point, 1 thread); its figures."""
    import importlib

    from planner import build_model, prepare, solve
    from planner.scenario.schema import Scenario

    spec = planner_spec(p)
    psolve = importlib.import_module(
        "planner.solve"
    )  # the module (``planner.solve`` is also the function)
    seen: dict[str, Any] = {}
    run = getattr(psolve, "_run", None)
    if (
        run is not None
    ):  # keep HiGHS's object to read its IPM iterations (planner.solve does not report them)

        def _spy(*a: Any, **k: Any) -> Any:
            out = run(*a, **k)
            seen["h"] = out[0]
            return out

        psolve._run = _spy
    c0, w0 = time.process_time(), time.perf_counter()
    sc = Scenario.model_validate(spec)
    wa = time.perf_counter()
    data = prepare(sc)
    wb = time.perf_counter()
    m = build_model(data)
    w1 = time.perf_counter()
    out = solve(m, time_limit=time_limit, relax=True, lp_solver="ipm", threads=1)
    w2, c2 = time.perf_counter(), time.process_time()
    iters = None
    if "h" in seen:
        iters = int(seen["h"].getInfo().ipm_iteration_count)
    return {
        "status": out.status,
        "termination": out.termination,
        "objective": out.objective,
        "columns": out.size.get("columns"),
        "rows": out.size.get("rows"),
        "nonzeros": out.size.get("nonzeros"),
        "build_s": (w1 - w0) + out.compile_s + out.handover_s,
        "solver_s": out.solve_s,
        "post_s": (w2 - w1) - out.compile_s - out.handover_s - out.solve_s,
        "wall_s": w2 - w0,
        "cpu_s": c2 - c0,
        "ipm_iterations": iters,
        "stages_s": {
            "validate": wa - w0,
            "prepare": wb - wa,
            "build_model": w1 - wb,
            "compile": out.compile_s,
            "handover": out.handover_s,
        },
    }


def solve_pypsa(p: dict[str, Any], time_limit: float) -> dict[str, Any]:
    """Build and solve ``p`` in PyPSA / linopy (HiGHS interior point, no crossover, 1 thread); its figures."""
    import logging

    logging.getLogger("pypsa").setLevel(logging.WARNING)
    logging.getLogger("linopy").setLevel(logging.WARNING)
    import pypsa

    pypsa.options.api.legacy_string_dtype = (
        True  # today's behaviour, stated (silences a FutureWarning)
    )
    c0, w0 = time.process_time(), time.perf_counter()
    n = pypsa_network(p)
    wa = time.perf_counter()
    n.consistency_check()
    wb = time.perf_counter()
    # no objective-constant column (the constant is 0 here: no extendable capacity exists already)
    n.optimize.create_model(include_objective_constant=False)
    w1 = time.perf_counter()
    opts = {
        "solver": "ipm",
        "run_crossover": "off",
        "threads": 1,
        "time_limit": float(time_limit),
        "random_seed": 0,
        "output_flag": False,
    }
    status, condition = n.model.solve(solver_name="highs", io_api="direct", **opts)
    w2 = time.perf_counter()
    if status == "ok":
        n.optimize.assign_solution()
        n.optimize.assign_duals(False)
        n.optimize.post_processing()
    w3, c3 = time.perf_counter(), time.process_time()
    h = n.model.solver.solver_model
    run_s = float(h.getRunTime())
    info = h.getInfo()
    obj = None
    if status == "ok":
        obj = float(n.objective) + float(getattr(n, "objective_constant", 0.0) or 0.0)
    return {
        "status": "optimal" if condition == "optimal" else str(condition),
        "termination": str(condition),
        "objective": obj,
        "columns": int(h.getNumCol()),
        "rows": int(h.getNumRow()),
        "nonzeros": int(h.getNumNz()),
        "build_s": (w1 - w0) + (w2 - w1 - run_s),
        "solver_s": run_s,
        "post_s": w3 - w2,
        "wall_s": w3 - w0,
        "cpu_s": c3 - c0,
        "ipm_iterations": int(info.ipm_iteration_count),
        "stages_s": {
            "network": wa - w0,
            "consistency_check": wb - wa,
            "create_model": w1 - wb,
            "handover": w2 - w1 - run_s,
        },
    }


def _presolved_size(h: Any) -> dict[str, int | None]:
    """Columns and rows of the LP that HiGHS run ``h`` had, after HiGHS's presolve (outside the timings)."""
    import highspy

    if h is None:
        return {"presolved_columns": None, "presolved_rows": None}
    h2 = highspy.Highs()
    h2.setOptionValue("output_flag", False)
    h2.passModel(h.getLp())
    h2.presolve()
    lp = h2.getPresolvedLp()
    return {"presolved_columns": int(lp.num_col_), "presolved_rows": int(lp.num_row_)}


def worker(tool: str, size: tuple[int, int, int], seed: int, time_limit: float) -> dict[str, Any]:
    """One solve of one tool in this process; imports are measured apart."""
    c0 = time.process_time()
    if tool == "planner":
        import planner  # noqa: F401
    else:
        import pypsa  # noqa: F401
    import highspy

    import_cpu = time.process_time() - c0
    clock: dict[str, Any] = {"cpu": 0.0, "calls": 0, "last": None}
    highs_run = highspy.Highs.run

    def timed_run(
        self: Any, *a: Any, **k: Any
    ) -> Any:  # CPU seconds inside HiGHS's run, both tools alike
        c = time.process_time()
        try:
            return highs_run(self, *a, **k)
        finally:
            clock["cpu"] += time.process_time() - c
            clock["calls"] += 1
            clock["last"] = self

    highspy.Highs.run = timed_run
    p = make_problem(*size, seed=seed)
    rec = solve_planner(p, time_limit) if tool == "planner" else solve_pypsa(p, time_limit)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    highspy.Highs.run = highs_run
    rec.update(
        tool=tool,
        size=list(size),
        seed=seed,
        import_cpu_s=import_cpu,
        solver_cpu_s=clock["cpu"],
        highs_runs=clock["calls"],
        process_cpu_s=ru.ru_utime + ru.ru_stime,
        peak_rss_mb=ru.ru_maxrss / 1024,
    )
    rec.update(_presolved_size(clock["last"]))
    return rec


def signed_what_if(size: tuple[int, int, int], seed: int = 0) -> dict[str, Any] | None:
    """What-if: planner's LP with each link's two directed ``ship`` columns merged into one signed column.

    With one transport class and no other traffic on a link, ``ship[j,a→b,t] − ship[j,b→a,t]`` as
    one free column ``z`` (rows ``z ≤ cap`` and ``−z ≤ cap``) is exact: PyPSA's bidirectional Link.
    Built from planner's compiled LP (no planner code changed); both LPs solved here, one after
    the other, by HiGHS's interior point without crossover on one thread. Returns ``None`` when
    planner's LP has no ``placement.ship`` columns in pairs (its formulation changed).
    """
    import highspy
    import numpy as np
    import scipy.sparse as sps

    from planner import build_model, prepare
    from planner.scenario.schema import Scenario
    from planner.solve import compile_model

    data = prepare(Scenario.model_validate(planner_spec(make_problem(*size, seed=seed))))
    comp = compile_model(build_model(data))
    lp = comp.lp
    pos = {
        v.index(): k
        for k, v in enumerate(comp.columns)
        if v.parent_component().name == "placement.ship"
    }
    arcs_of: dict[str, list[str]] = {}
    for a in getattr(data, "ARCS", []):
        arcs_of.setdefault(a.link, []).append(a.name)
    back = {v[0]: v[1] for v in arcs_of.values() if len(v) == 2}
    pairs = [
        (k, pos[j, back[a], t])
        for (j, a, t), k in pos.items()
        if a in back and (j, back[a], t) in pos
    ]
    if not pairs:
        return None
    A = sps.csc_matrix(
        (
            np.asarray(lp.a_matrix_.value_),
            np.asarray(lp.a_matrix_.index_),
            np.asarray(lp.a_matrix_.start_),
        ),
        shape=(lp.num_row_, lp.num_col_),
    )
    cost, lo, up = (
        np.asarray(lp.col_cost_),
        np.asarray(lp.col_lower_).copy(),
        np.asarray(lp.col_upper_).copy(),
    )
    cols = [A[:, k] for k in range(lp.num_col_)]
    drop = np.zeros(lp.num_col_, dtype=bool)
    for f, b in pairs:
        if cost[f] or cost[b]:
            return None  # a usage cost: the signed form would need |z|
        # z's column: the forward arc's (its balance rows are minus the backward arc's) less the
        # backward arc's capacity-row entry (where the forward column has none)
        cols[f] = cols[f] - cols[b].multiply(cols[f] == 0)
        lo[f], up[f] = -highspy.kHighsInf, highspy.kHighsInf
        drop[b] = True
    keep = np.flatnonzero(~drop)
    B = sps.hstack([cols[k] for k in keep]).tocsc()

    def run(M: Any, c: Any, lb: Any, ub: Any) -> dict[str, Any]:
        new = highspy.HighsLp()
        new.num_col_, new.num_row_ = M.shape[1], M.shape[0]
        new.col_cost_, new.col_lower_, new.col_upper_, new.offset_ = c, lb, ub, lp.offset_
        new.row_lower_, new.row_upper_ = lp.row_lower_, lp.row_upper_
        new.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        new.a_matrix_.start_, new.a_matrix_.index_ = (
            M.indptr.astype(np.int32),
            M.indices.astype(np.int32),
        )
        new.a_matrix_.value_ = M.data.astype(float)
        h = highspy.Highs()
        for k, v in {
            "output_flag": False,
            "solver": "ipm",
            "run_crossover": "off",
            "threads": 1,
            "random_seed": 0,
        }.items():
            h.setOptionValue(k, v)
        h.passModel(new)
        c0 = time.process_time()
        h.run()
        cpu = time.process_time() - c0
        info = h.getInfo()
        h.clearSolver()
        rec = {
            "columns": M.shape[1],
            "rows": M.shape[0],
            "nonzeros": int(M.nnz),
            "highs_cpu_s": cpu,
            "ipm_iterations": int(info.ipm_iteration_count),
            "objective": float(info.objective_function_value),
        }
        rec.update(_presolved_size(h))
        return rec

    return {
        "size": list(size),
        "as_is": run(A, cost, np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)),
        "signed": run(B, cost[keep], lo[keep], up[keep]),
    }


def what_if_section(result: dict[str, Any]) -> str:
    """The what-if section of the page (empty when it was not run)."""
    if not result.get("what_if"):
        return ""
    return f"""## What-if: one signed shipment column per link

planner's compiled LP with each link's two directed `ship[j, a, t]` columns merged into one free
column (`signed_what_if`; `--what-if`): exact here, since each link carries only the one transport
class; this is PyPSA's bidirectional Link. Solved in the runner's process, one after the other.

{what_if_table(result["what_if"])}

"""


def what_if_table(rows: list[dict[str, Any]]) -> str:
    """The what-if as a Markdown table."""
    lines = [
        "| regions / sites / slices | planner LP as is: columns × rows → presolved | IPM it. | HiGHS CPU s "
        "| signed ship per link: columns × rows → presolved | IPM it. | HiGHS CPU s | objective rel. diff |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        a, b = r["as_is"], r["signed"]
        rel = abs(a["objective"] - b["objective"]) / max(1.0, abs(a["objective"]))
        lines.append(
            f"| {' / '.join(map(str, r['size']))} | {_i(a['columns'])} × {_i(a['rows'])} → "
            f"{_i(a['presolved_columns'])} × {_i(a['presolved_rows'])} | {a['ipm_iterations']} | {_f(a['highs_cpu_s'])} "
            f"| {_i(b['columns'])} × {_i(b['rows'])} → {_i(b['presolved_columns'])} × {_i(b['presolved_rows'])} "
            f"| {b['ipm_iterations']} | {_f(b['highs_cpu_s'])} | {rel:.1e} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# the runner
# ---------------------------------------------------------------------------------------------


def _run_one(tool: str, size: tuple[int, int, int], seed: int, time_limit: float) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        tool,
        "--sizes",
        "x".join(map(str, size)),
        "--seed",
        str(seed),
        "--time-limit",
        str(time_limit),
    ]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_MAX_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
    }
    t0 = time.perf_counter()
    try:
        cp = subprocess.run(
            cmd, capture_output=True, text=True, timeout=3 * time_limit + 300, env=env, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return {
            "tool": tool,
            "size": list(size),
            "seed": seed,
            "status": "error",
            "termination": "subprocess timeout",
        }
    for line in reversed(cp.stdout.splitlines()):
        if line.startswith("{"):
            rec = json.loads(line)
            rec["subprocess_wall_s"] = time.perf_counter() - t0
            return rec
    tail = (cp.stderr or cp.stdout).strip().splitlines()[-5:]
    return {
        "tool": tool,
        "size": list(size),
        "seed": seed,
        "status": "error",
        "termination": " | ".join(tail),
    }


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per size: medians per tool, ratios planner / PyPSA, the objective check."""
    rows = []
    sizes = []
    for r in runs:
        if tuple(r["size"]) not in sizes:
            sizes.append(tuple(r["size"]))
    for size in sizes:
        row: dict[str, Any] = {"size": list(size)}
        for tool in TOOLS:
            ok = [
                r
                for r in runs
                if tuple(r["size"]) == size and r["tool"] == tool and r.get("status") == "optimal"
            ]
            row[tool] = {
                "runs": len(ok),
                **{
                    k: _median(ok, k)
                    for k in (
                        "columns",
                        "rows",
                        "nonzeros",
                        "build_s",
                        "solver_s",
                        "post_s",
                        "wall_s",
                        "cpu_s",
                        "process_cpu_s",
                        "solver_cpu_s",
                        "import_cpu_s",
                        "presolved_columns",
                        "presolved_rows",
                        "ipm_iterations",
                        "objective",
                        "peak_rss_mb",
                    )
                },
            }
            bad = [
                r
                for r in runs
                if tuple(r["size"]) == size and r["tool"] == tool and r.get("status") != "optimal"
            ]
            row[tool]["failed"] = [f"{r.get('status')}: {r.get('termination')}" for r in bad]
        a, b = row["planner"], row["pypsa"]

        def ratio(k: str, a: dict = a, b: dict = b) -> float | None:
            return a[k] / b[k] if a.get(k) is not None and b.get(k) else None

        row["ratio"] = {
            k: ratio(k)
            for k in (
                "columns",
                "rows",
                "nonzeros",
                "build_s",
                "solver_s",
                "cpu_s",
                "process_cpu_s",
                "solver_cpu_s",
            )
        }
        objs = [
            r["objective"]
            for r in runs
            if tuple(r["size"]) == size and r.get("objective") is not None
        ]
        if a["objective"] is not None and b["objective"] is not None:
            rel = max(abs(x - b["objective"]) for x in objs) / max(1.0, abs(b["objective"]))
            row["objective_rel_diff"] = rel
            row["objectives_agree"] = rel <= RTOL
        else:
            row["objective_rel_diff"], row["objectives_agree"] = None, False
        rc, rcpu = row["ratio"]["columns"], row["ratio"]["cpu_s"]
        row["goal_met"] = bool(
            rc is not None and rcpu is not None and rc <= GOAL_COLUMNS and rcpu <= GOAL_CPU
        )
        rows.append(row)
    return rows


def _f(x: float | None, nd: int = 2) -> str:
    return "–" if x is None else f"{x:,.{nd}f}"


def _i(x: float | None) -> str:
    return "–" if x is None else f"{round(x):,}"


def table(summary: list[dict[str, Any]]) -> str:
    """The Markdown table: both tools side by side (planner / PyPSA) and their ratios."""
    head = (
        "| regions / sites / slices | columns planner / PyPSA | ratio | rows planner / PyPSA | nonzeros planner / PyPSA "
        "| IPM iterations | build s (wall) | HiGHS run CPU s | CPU s planner / PyPSA | CPU ratio | process CPU s | objective planner "
        "| objective PyPSA | rel. diff | goal |"
    )
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in summary:
        a, b, q = row["planner"], row["pypsa"], row["ratio"]
        goal = "met" if row["goal_met"] else "not met"
        rel = "–" if row["objective_rel_diff"] is None else f"{row['objective_rel_diff']:.1e}"
        if a["failed"] or b["failed"]:
            goal += " (failed runs: " + "; ".join(a["failed"] + b["failed"]) + ")"
        lines.append(
            f"| {' / '.join(map(str, row['size']))} | {_i(a['columns'])} / {_i(b['columns'])} | {_f(q['columns'], 1)}× "
            f"| {_i(a['rows'])} / {_i(b['rows'])} | {_i(a['nonzeros'])} / {_i(b['nonzeros'])} "
            f"| {_i(a['ipm_iterations'])} / {_i(b['ipm_iterations'])} | {_f(a['build_s'])} / {_f(b['build_s'])} "
            f"| {_f(a['solver_cpu_s'])} / {_f(b['solver_cpu_s'])} | {_f(a['cpu_s'])} / {_f(b['cpu_s'])} | {_f(q['cpu_s'])}× "
            f"| {_f(a['process_cpu_s'])} / {_f(b['process_cpu_s'])} | {_f(a['objective'], 1)} | {_f(b['objective'], 1)} "
            f"| {rel} | {goal} |"
        )
    return "\n".join(lines)


def presolve_table(summary: list[dict[str, Any]]) -> str:
    """Columns and rows before and after HiGHS's presolve, both tools."""
    lines = [
        "| regions / sites / slices | planner: LP → presolved | PyPSA: LP → presolved |",
        "|---|---:|---:|",
    ]
    for row in summary:
        cells = []
        for tool in TOOLS:
            t = row[tool]
            cells.append(
                f"{_i(t['columns'])} × {_i(t['rows'])} → {_i(t['presolved_columns'])} × {_i(t['presolved_rows'])}"
            )
        lines.append(f"| {' / '.join(map(str, row['size']))} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    vers = {}
    for pkg in ("planner", "pypsa", "linopy", "highspy", "pyomo", "pandas", "xarray", "numpy"):
        try:
            vers[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            vers[pkg] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": vers,
        "git_commit": commit,
    }


def render(result: dict[str, Any]) -> str:
    """The Markdown page of a result (``pypsa_parity.md``)."""
    mach = result["machine"]
    vers = ", ".join(f"{k} {v}" for k, v in mach["versions"].items() if v)
    n_ok = sum(r["objectives_agree"] for r in result["summary"])
    met = [r for r in result["summary"] if r["goal_met"]]
    imp = {
        t: _f(
            statistics.median(
                [r[t]["import_cpu_s"] for r in result["summary"] if r[t].get("import_cpu_s")] or [0]
            ),
            1,
        )
        for t in TOOLS
    }
    return f"""# planner against PyPSA on the same linear network problem

Measured {result["date"]} with `benchmarks/pypsa_parity.py` (seed {result["seed"]}, medians of
{result["repeat"]} runs per tool and size, each in its own process, the two tools alternated).
planner: `solve(m, relax=True, lp_solver="ipm", threads=1)`; PyPSA: `create_model`, then HiGHS with
`solver=ipm, run_crossover=off, threads=1` over linopy's direct API. Both: HiGHS's default presolve.

{table(result["summary"])}

- *build* = model construction and hand-over to HiGHS (planner: validation, `prepare`,
  `build_model`, compile, `passModel`; PyPSA: `Network.add`, `consistency_check`,
  `optimize.create_model`, linopy's hand-over), wall clock; *HiGHS run CPU s* = CPU seconds
  inside `highspy.Highs.run` (presolve, interior point, postsolve), the same clock for both.
- *CPU s* = `time.process_time()` over build, solve and loading the solution back (imports and the
  generator excluded): the goal is checked on this. *Process CPU s* = `getrusage` of the whole
  worker process, imports included (importing PyPSA costs about {imp["pypsa"]} CPU s, planner
  {imp["planner"]}).
- Objectives (CNY/yr) agree to {RTOL:g} (relative, every run against PyPSA's median) at
  {n_ok} of {len(result["summary"])} sizes. Goal (planner CPU ≤ {GOAL_CPU}× PyPSA's and columns within
  {GOAL_COLUMNS}×): met at {len(met)} of {len(result["summary"])} sizes.

The LP after HiGHS's presolve (run apart, outside the timings), columns / rows:

{presolve_table(result["summary"])}

{what_if_section(result)}## The problem and the mapping

One generator (`make_problem`) draws regions in China's bounding box, sites (at most one per region
while regions last), one hardware type without idle power, one job class without a latency limit,
links (a nearest-neighbour spanning tree plus about one extra edge per three regions, priced per
unit and km) and a diurnal demand per region. `planner_spec` turns it into a planner scenario and
`pypsa_network` into a PyPSA network: regions are buses, slices snapshots (weights as
`snapshot_weightings`), sites extendable generators (`capital_cost` = annualised capex + fixed
O&M per PFLOPS, `marginal_cost` = price × PUE × kW / PFLOPS / 1000, `p_nom_max` = PFLOPS ×
⌊1000·max_it_mw / kW⌋: planner keeps this integer module bound in its relaxation), links
extendable bidirectional `Link`s (`p_min_pu = -1`, `capital_cost` = unit_cost / unit_gbps ×
gbps_per_pflops, `p_nom_max` from `max_units`), unserved demand a generator per bus at
`unserved_cost`. See the module docstring.

## How to run

```sh
.venv/bin/pip install -e ".[test,bench]"
.venv/bin/python benchmarks/pypsa_parity.py --what-if              # all sizes, --repeat 3, and the what-if
.venv/bin/python benchmarks/pypsa_parity.py --sizes 8x6x24,30x20x96 --repeat 1 --time-limit 300
.venv/bin/python benchmarks/pypsa_parity.py --render               # rewrite this page from the JSON
.venv/bin/python -m pytest tests/test_pypsa_parity.py               # the smallest size: objectives agree
```

Every run is in `benchmarks/pypsa_parity.json`. Time limit per solve: {result["time_limit"]:g} s.

## Machine and versions

{mach["cpu"]}, {mach["cores"]} cores (shared with other work: read CPU seconds and medians),
Python {mach["python"]}, {mach["platform"]}; {vers}; planner at commit {mach["git_commit"]}.
"""


def _write_md(path: Path, page: str) -> None:
    """Write ``page``, keeping the text under ``## Reading`` of the page already there (written by hand)."""
    keep = ""
    if path.exists():
        old = path.read_text()
        if "\n## Reading\n" in old:
            keep = old[old.index("\n## Reading\n") :]
            nxt = keep.find("\n## ", len("\n## Reading\n"))
            keep = keep if nxt < 0 else keep[: nxt + 1]
    if keep:
        at = page.index("\n## The problem and the mapping")
        page = page[:at] + keep.rstrip("\n") + "\n" + page[at:]
    path.write_text(page)


def _parse_sizes(text: str) -> list[tuple[int, int, int]]:
    out = []
    for part in text.split(","):
        r, s, t = (int(v) for v in part.lower().split("x"))
        out.append((r, s, t))
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the comparison (or one worker solve with ``--worker TOOL``)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes",
        default=",".join("x".join(map(str, s)) for s in DEFAULT_SIZES),
        help="comma-separated REGIONSxSITESxSLICES (default: %(default)s)",
    )
    ap.add_argument(
        "--repeat", type=int, default=3, help="solves per tool and size (median reported)"
    )
    ap.add_argument("--time-limit", type=float, default=900.0, help="HiGHS time limit per solve, s")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--out",
        default=str(ROOT / "benchmarks" / "pypsa_parity"),
        help="output prefix (.json, .md)",
    )
    ap.add_argument(
        "--render", action="store_true", help="rewrite PREFIX.md from PREFIX.json and stop"
    )
    ap.add_argument(
        "--what-if",
        action="store_true",
        help="also solve planner's LP with one signed ship column per link (see signed_what_if)",
    )
    ap.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    sizes = _parse_sizes(a.sizes)
    if a.worker:
        print(json.dumps(worker(a.worker, sizes[0], a.seed, a.time_limit)))
        return 0
    out = Path(a.out)
    if a.render:
        result = json.loads(out.with_suffix(".json").read_text())
        _write_md(out.with_suffix(".md"), render(result))
        print(table(result["summary"]))
        return 0
    runs = []
    for size in sizes:
        for k in range(a.repeat):
            order = TOOLS if k % 2 == 0 else TOOLS[::-1]  # alternate which tool goes first
            for tool in order:
                rec = _run_one(tool, size, a.seed, a.time_limit)
                runs.append(rec)
                print(
                    f"{'/'.join(map(str, size))} {tool:8s} run {k + 1}: {rec.get('status')} "
                    f"obj {rec.get('objective')} cols {rec.get('columns')} cpu {_f(rec.get('cpu_s'))} s "
                    f"solver {_f(rec.get('solver_s'))} s",
                    flush=True,
                )
    summary = summarise(runs)
    what_if = []
    if a.what_if:
        for size in sizes:
            w = signed_what_if(size, a.seed)
            if w is None:
                print(f"what-if {size}: planner's LP has no paired ship columns; skipped")
                break
            what_if.append(w)
    result = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "seed": a.seed,
        "repeat": a.repeat,
        "time_limit": a.time_limit,
        "sizes": [list(s) for s in sizes],
        "machine": _machine(),
        "summary": summary,
        "what_if": what_if,
        "runs": runs,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    _write_md(out.with_suffix(".md"), render(result))
    print(table(summary))
    if what_if:
        print(what_if_table(what_if))
    bad = [r["size"] for r in summary if not r["objectives_agree"]]
    if bad:
        print(f"OBJECTIVES DISAGREE (> {RTOL:g}) or missing at sizes {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
