"""Hard pure MILPs of planner's family: planner against HiGHS alone, measured.

Two problem families that planner's model contains exactly (docs/model.md §9, §10):

* **Capacitated facility location** (CFL), 100 sites × 1000 customers, written in the OR-Library
  ``cap`` layout (as capa/capb/capc) and read back with ``tests/orlib_cap.parse_multi_source``.
  The generator follows the construction visible in Beasley's capa file: customers and sites
  uniform in a square, integer demands uniform on 1..100, per-unit allocation cost = Euclidean
  distance (side 1160, as capa's per-unit costs 1–1640), ``c_ij = d_j × distance``, fixed costs
  uniform on [1.37 M, 2.25 M] (capa's range) times a scale, one capacity for every site.
  HiGHS alone solves the textbook strong formulation built here with numpy/scipy (``highs``)
  and the same plus the aggregate-capacity row ``Σ_i s_i y_i ≥ Σ_j d_j`` (``highs+agg``).
  planner solves ``tests/orlib_cap.to_scenario`` of the file (``planner``: every customer served
  in full, ``policy.allow_unserved: false``, which is what makes the aggregate row valid) and the
  same with unserved work allowed at a price so high it never pays (``planner/priced``: no
  aggregate row then).
* **Multicommodity fixed-charge network design** (ND): directed arcs with a fixed cost, a
  capacity and a cost per unit of flow; commodities (origin → destination, demand). HiGHS alone
  solves the textbook model with one flow per commodity and the strong linking rows
  ``x_a^k ≤ min(q_k, u_a) y_a`` (``highs``), and the same aggregated by destination, which is
  planner's flow formulation (§5.5), with ``x_a^n ≤ min(Q_n, u_a) y_a`` (``highs/dest``). planner
  solves a scenario with one region per node, one one-way link per arc (``unit_gbps u_a``,
  ``max_units 1``, ``fixed_cost f_a``, ``usage_cost_tb`` giving ``c_a`` per Gbps-year), one job
  class per destination whose only hardware is brownfield at the destination's site (so the
  work can run nowhere else) and ``policy.allow_unserved: false``.

Every solve runs in its own subprocess (1 HiGHS thread, the same time limit and gap), the cases
interleaved; CPU seconds are the child's user + system time (``RUSAGE_CHILDREN``), everything
included (Python start, generation, model build, solve). The planner time limit covers its
``solve`` (compile, MIP start, branch and bound); its model build is outside it and reported.

    .venv/bin/python benchmarks/hard_milp.py                     # all cases, --repeat 1
    .venv/bin/python benchmarks/hard_milp.py --cases nd --repeat 3
    .venv/bin/python benchmarks/hard_milp.py --cases cfl-a --tools highs+agg,planner --time-limit 60
    .venv/bin/python benchmarks/hard_milp.py --render benchmarks/hard_milp.json

Writes ``benchmarks/hard_milp.json`` (every run) and ``benchmarks/hard_milp.md`` (tables); the
generated CFL files go to ``benchmarks/instances/`` and the HiGHS logs to ``--log-dir``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.orlib_cap import HOURS, CapInstance, parse_multi_source, to_scenario  # noqa: E402

INSTANCES = ROOT / "benchmarks" / "instances"
#: TB carried per hour by one Gbps (planner.data.TB_PER_GBPS_HOUR).
TB_PER_GBPS_HOUR = 0.45

# ---- capacitated facility location ---------------------------------------------------------------

#: name -> (sites, customers, capacity of every site, fixed-cost scale, seed)
CFL_CASES: dict[str, tuple[int, int, int, float, int]] = {
    "cfl-a": (100, 1000, 8000, 1.0, 1),  # capa-like: few, expensive, roomy sites
    "cfl-b": (100, 1000, 5000, 0.5, 2),  # tighter capacity, cheaper sites: more open
    "cfl-c": (100, 1000, 4000, 0.25, 3),  # tighter still, cheap sites: many open
}
#: small instances for development and the test (10 × 50 solves in well under a second)
CFL_SMALL: dict[str, tuple[int, int, int, float, int]] = {
    "cfl-s": (10, 50, 400, 0.05, 7),
    "cfl-m": (30, 200, 1200, 0.2, 8),
}


def make_cap(m: int, n: int, capacity: float, fixed_scale: float, seed: int) -> CapInstance:
    """A seeded CFL instance built like Beasley's capa (see the module docstring)."""
    rng = np.random.default_rng(seed)
    side = 1160.0
    cust = rng.uniform(0, side, size=(n, 2))
    site = rng.uniform(0, side, size=(m, 2))
    demand = rng.integers(1, 101, size=n).astype(float)
    fixed = np.round(rng.uniform(1_365_000, 2_254_000, size=m) * fixed_scale)
    dist = np.sqrt(((site[:, None, :] - cust[None, :, :]) ** 2).sum(axis=2))  # m × n
    cost = np.round(dist * demand[None, :], 5)
    if m * capacity < demand.sum():
        raise ValueError("total capacity below total demand")
    return CapInstance(
        m,
        n,
        tuple([float(capacity)] * m),
        tuple(float(f) for f in fixed),
        tuple(float(d) for d in demand),
        tuple(tuple(float(c) for c in row) for row in cost),
    )


def write_cap(inst: CapInstance, path: Path) -> Path:
    """Write ``inst`` in the OR-Library multi-source ``cap`` layout (7 costs per line, as capa)."""
    lines = [f" {inst.m} {inst.n} "]
    lines += [f" {int(s)} {f:.0f}. " for s, f in zip(inst.capacity, inst.fixed)]
    for j in range(inst.n):
        lines.append(f" {int(inst.demand[j])} ")
        costs = [f"{inst.cost[i][j]:.5f}" for i in range(inst.m)]
        lines += [" " + " ".join(costs[k : k + 7]) + " " for k in range(0, inst.m, 7)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def cfl_instance(name: str) -> CapInstance:
    """The instance ``name``, from its file under ``benchmarks/instances`` (written if absent)."""
    spec = {**CFL_CASES, **CFL_SMALL}[name]
    path = INSTANCES / f"{name}.txt"
    if not path.is_file():
        write_cap(make_cap(*spec), path)
    return parse_multi_source(path)


def cfl_matrix(inst: CapInstance, aggregate: bool) -> dict[str, Any]:
    """Strong CFL formulation: columns ``y_i`` (binary) then ``x_ij`` (quantity, i-major).

    ``Σ_i x_ij = d_j``; ``Σ_j x_ij − s_i y_i ≤ 0``; ``x_ij − d_j y_i ≤ 0``; optional
    ``Σ_i s_i y_i ≥ Σ_j d_j``. Objective ``Σ f_i y_i + Σ (c_ij / d_j) x_ij``.
    """
    m, n = inst.m, inst.n
    d = np.array(inst.demand)
    s = np.array(inst.capacity)
    C = np.array(inst.cost)  # m × n
    nx = m * n
    xi = np.arange(nx)  # column of x_ij is m + i*n + j
    ii, jj = np.divmod(xi, n)
    rows, cols, vals = [], [], []
    # demand rows 0..n-1
    rows.append(jj)
    cols.append(m + xi)
    vals.append(np.ones(nx))
    # capacity rows n..n+m-1
    rows += [n + ii, n + np.arange(m)]
    cols += [m + xi, np.arange(m)]
    vals += [np.ones(nx), -s]
    # strong rows n+m+k for x_k
    base = n + m
    rows += [base + xi, base + xi]
    cols += [m + xi, ii]
    vals += [np.ones(nx), -d[jj]]
    nrow = base + nx
    lo = [d, np.full(m, -np.inf), np.full(nx, -np.inf)]
    up = [d, np.zeros(m), np.zeros(nx)]
    if aggregate:
        rows.append(np.full(m, nrow))
        cols.append(np.arange(m))
        vals.append(s)
        lo.append(np.array([d.sum()]))
        up.append(np.array([np.inf]))
        nrow += 1
    A = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nrow, m + nx)
    )
    cost = np.concatenate([np.array(inst.fixed), (C / d[None, :]).ravel()])
    return {
        "A": A,
        "c": cost,
        "col_lo": np.zeros(m + nx),
        "col_up": np.concatenate([np.ones(m), d[jj]]),
        "row_lo": np.concatenate(lo),
        "row_up": np.concatenate(up),
        "integer": np.arange(m),
    }


def cfl_scenario(inst: CapInstance, name: str, priced: bool = False):
    """The tests' mapping (every customer served in full); ``priced``: unserved work allowed at its price."""
    sc = to_scenario(inst, single_source=False, name=name)
    if priced:
        sc = sc.model_copy(update={"policy": sc.policy.model_copy(update={"allow_unserved": True})})
    return sc


# ---- multicommodity fixed-charge network design -------------------------------------------------


@dataclass(frozen=True)
class NDInstance:
    nodes: int
    arcs: tuple[tuple[int, int], ...]
    capacity: tuple[float, ...]
    fixed: tuple[float, ...]
    unit_cost: tuple[float, ...]  # per unit of flow (per Gbps-year)
    commodities: tuple[tuple[int, int, float], ...]  # (origin, destination, demand)


#: name -> (nodes, out-degree, commodities, destinations, capacity/demand tightness, fixed scale, seed)
ND_CASES: dict[str, tuple[int, int, int, int, float, float, int]] = {
    "nd-1": (20, 4, 40, 5, 0.35, 8.0, 11),
    "nd-2": (25, 4, 50, 6, 0.3, 8.0, 12),
    "nd-3": (30, 4, 60, 8, 0.3, 10.0, 13),
}
ND_SMALL: dict[str, tuple[int, int, int, int, float, float, int]] = {
    "nd-s": (6, 3, 6, 3, 0.5, 5.0, 5),
    "nd-m": (12, 3, 20, 4, 0.4, 6.0, 6),
}


def make_nd(
    nodes: int, degree: int, n_comm: int, n_dest: int, tight: float, fixed_scale: float, seed: int
) -> NDInstance:
    """A seeded ND instance: nodes in a unit square, each with arcs to its ``degree`` nearest
    nodes and from them (so the graph is strongly connected in practice), plus a few random arcs;
    unit cost = length; fixed cost = ``fixed_scale`` × length × capacity / 10 × U[0.5, 1.5];
    capacity = ``tight`` × total demand × U[0.5, 1.5]; commodities from random origins to
    ``n_dest`` destinations, demands U{5..50}. Feasibility is checked with all arcs built.
    """
    rng = np.random.default_rng(seed)
    for _attempt in range(50):
        pts = rng.uniform(0, 1, size=(nodes, 2))
        dist = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(axis=2))
        arcs: set[tuple[int, int]] = set()
        for v in range(nodes):
            for w in np.argsort(dist[v])[1 : degree + 1]:
                arcs.add((v, int(w)))
                arcs.add((int(w), v))
        for _ in range(nodes // 2):
            v, w = rng.choice(nodes, size=2, replace=False)
            arcs.add((int(v), int(w)))
        arc_list = sorted(arcs)
        dests = rng.choice(nodes, size=n_dest, replace=False)
        comm: dict[tuple[int, int], float] = {}
        while len(comm) < n_comm:
            t = int(rng.choice(dests))
            o = int(rng.integers(nodes))
            if o != t and (o, t) not in comm:
                comm[o, t] = float(rng.integers(5, 51))
        total = sum(comm.values())
        length = np.array([dist[a, b] for a, b in arc_list])
        cap = np.round(tight * total * rng.uniform(0.5, 1.5, size=len(arc_list)))
        fixed = np.round(
            fixed_scale * length * cap / 10 * rng.uniform(0.5, 1.5, size=len(arc_list)) * 1000
        )
        unit = np.round(length * 1000, 3)
        inst = NDInstance(
            nodes,
            tuple(arc_list),
            tuple(map(float, cap)),
            tuple(map(float, fixed)),
            tuple(map(float, unit)),
            tuple((o, t, q) for (o, t), q in sorted(comm.items())),
        )
        if _nd_feasible(inst):
            return inst
    raise RuntimeError("no feasible network design instance in 50 attempts")


def nd_instance(name: str) -> NDInstance:
    return make_nd(*{**ND_CASES, **ND_SMALL}[name])


def nd_matrix(inst: NDInstance, by_destination: bool = False) -> dict[str, Any]:
    """Textbook MCND: columns ``y_a`` (binary) then ``x_a^k`` (k-major).

    Commodities are the (origin, destination) pairs, or with ``by_destination`` one per
    destination (planner's aggregation). Conservation ``out − in = supply`` at every node;
    ``Σ_k x_a^k ≤ u_a y_a``;
    ``x_a^k ≤ min(q_k, u_a) y_a``.
    """
    A_n = len(inst.arcs)
    if by_destination:
        dests = sorted({t for _, t, _ in inst.commodities})
        supply = np.zeros((len(dests), inst.nodes))
        for o, t, q in inst.commodities:
            k = dests.index(t)
            supply[k, o] += q
            supply[k, t] -= q
    else:
        supply = np.zeros((len(inst.commodities), inst.nodes))
        for k, (o, t, q) in enumerate(inst.commodities):
            supply[k, o] += q
            supply[k, t] -= q
    K = supply.shape[0]
    qk = supply.clip(min=0).sum(axis=1)
    tail = np.array([a for a, _ in inst.arcs])
    head = np.array([b for _, b in inst.arcs])
    u = np.array(inst.capacity)
    rows, cols, vals = [], [], []
    # conservation rows k*nodes + v
    for k in range(K):
        c0 = A_n + k * A_n + np.arange(A_n)
        rows += [k * inst.nodes + tail, k * inst.nodes + head]
        cols += [c0, c0]
        vals += [np.ones(A_n), -np.ones(A_n)]
    r0 = K * inst.nodes
    cons_b = supply.ravel()
    # capacity rows r0 + a
    for k in range(K):
        rows.append(r0 + np.arange(A_n))
        cols.append(A_n + k * A_n + np.arange(A_n))
        vals.append(np.ones(A_n))
    rows.append(r0 + np.arange(A_n))
    cols.append(np.arange(A_n))
    vals.append(-u)
    r1 = r0 + A_n
    # strong rows r1 + k*A + a
    for k in range(K):
        rr = r1 + k * A_n + np.arange(A_n)
        rows += [rr, rr]
        cols += [A_n + k * A_n + np.arange(A_n), np.arange(A_n)]
        vals += [np.ones(A_n), -np.minimum(qk[k], u)]
    nrow = r1 + K * A_n
    A = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(nrow, A_n * (K + 1)),
    )
    row_lo = np.concatenate([cons_b, np.full(A_n + K * A_n, -np.inf)])
    row_up = np.concatenate([cons_b, np.zeros(A_n + K * A_n)])
    cost = np.concatenate([np.array(inst.fixed), np.tile(np.array(inst.unit_cost), K)])
    col_up = np.concatenate([np.ones(A_n), np.minimum.outer(qk, u).ravel()])
    return {
        "A": A,
        "c": cost,
        "col_lo": np.zeros(A_n * (K + 1)),
        "col_up": col_up,
        "row_lo": row_lo,
        "row_up": row_up,
        "integer": np.arange(A_n),
    }


def _nd_feasible(inst: NDInstance) -> bool:
    mat = nd_matrix(inst, by_destination=True)
    mat = {**mat, "integer": np.array([], dtype=int)}
    h = _highs(mat, {"time_limit": 60.0, "output_flag": False, "threads": 1})
    h.run()
    import highspy

    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def nd_scenario(inst: NDInstance, name: str):
    """The planner scenario whose optimum is the instance's MCND optimum (see the docstring)."""
    from planner import Scenario
    from planner.scenario.schema import NetworkOptions

    dests = sorted({t for _, t, _ in inst.commodities})
    need = {t: sum(q for _, tt, q in inst.commodities if tt == t) for t in dests}
    network: dict[str, Any] = {}
    if "routing" in NetworkOptions.model_fields:
        network["routing"] = "flow"
    return Scenario.model_validate(
        {
            "name": name,
            "description": f"multicommodity fixed-charge network design, {inst.nodes} nodes, {len(inst.arcs)} arcs, "
            f"{len(inst.commodities)} commodities",
            "year": 2025,
            "discount_rate": 0.0,
            "objective": "cost",
            "network": network,
            "policy": {"allow_unserved": False},
            "time_slices": [{"name": "t", "weight": HOURS}],
            "regions": [{"name": f"v{v}"} for v in range(inst.nodes)],
            "sites": [
                {
                    "name": f"s{t}",
                    "region": f"v{t}",
                    "pue": 1.0,
                    "price_mwh": 0.0,
                    "grid_tco2_mwh": 0.0,
                    "max_it_mw": 1e6,
                }
                for t in dests
            ],
            # hardware h{t} can no longer be bought: it exists only at s{t}, so class to{t} runs only there
            "hardware": [
                {"name": f"h{t}", "pflops": 1.0, "kw": 0.0, "capex": 0.0, "available_to": 2024}
                for t in dests
            ],
            "existing_modules": [
                {"site": f"s{t}", "hardware": f"h{t}", "modules": int(math.ceil(need[t])) + 1}
                for t in dests
            ],
            "job_classes": [
                {
                    "name": f"to{t}",
                    "max_latency_ms": None,
                    "gbps_per_pflops": 1.0,
                    "hardware": [f"h{t}"],
                    "unserved_cost": 1e6,
                }
                for t in dests
            ],
            "demand": [
                {"class": f"to{t}", "region": f"v{o}", "pflops": q} for o, t, q in inst.commodities
            ],
            "links": [
                {
                    "from": f"v{a}",
                    "to": f"v{b}",
                    "one_way": True,
                    "distance_km": 1.0,
                    "latency_ms": 1.0,
                    "unit_gbps": u,
                    "max_units": 1,
                    "unit_cost": 0.0,
                    "fixed_cost": f,
                    "usage_cost_tb": c / (HOURS * TB_PER_GBPS_HOUR),
                }
                for (a, b), u, f, c in zip(inst.arcs, inst.capacity, inst.fixed, inst.unit_cost)
            ],
        }
    )


# ---- solving one case (in a subprocess) -----------------------------------------------------------


def _highs(mat: dict[str, Any], options: dict[str, Any]):
    import highspy

    h = highspy.Highs()
    for k, v in options.items():
        h.setOptionValue(k, v)
    A = mat["A"].tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    inf = highspy.kHighsInf
    lp.col_cost_ = np.asarray(mat["c"], dtype=float)
    lp.col_lower_ = np.asarray(mat["col_lo"], dtype=float)
    lp.col_upper_ = np.where(np.isinf(mat["col_up"]), inf, mat["col_up"]).astype(float)
    lp.row_lower_ = np.where(np.isinf(mat["row_lo"]), -inf, mat["row_lo"]).astype(float)
    lp.row_upper_ = np.where(np.isinf(mat["row_up"]), inf, mat["row_up"]).astype(float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    if len(mat["integer"]):
        integ = [highspy.HighsVarType.kContinuous] * A.shape[1]
        for i in mat["integer"]:
            integ[int(i)] = highspy.HighsVarType.kInteger
        lp.integrality_ = integ
    h.passModel(lp)
    return h


def solve_highs(
    mat: dict[str, Any], time_limit: float, gap: float, log: bool = False
) -> dict[str, Any]:
    """HiGHS alone on a matrix model: objective, dual bound, gap, status, seconds."""
    t0 = time.perf_counter()
    h = _highs(
        mat,
        {
            "time_limit": float(time_limit),
            "mip_rel_gap": float(gap),
            "threads": 1,
            "output_flag": bool(log),
            "random_seed": 0,
        },
    )
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    info = h.getInfo()
    has = info.primal_solution_status == 2
    obj = float(info.objective_function_value) if has else None
    bound = float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else None
    return {
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": obj,
        "bound": bound,
        "gap": _gap(obj, bound),
        "build_s": t1 - t0,
        "solve_s": t2 - t1,
        "nodes": int(info.mip_node_count),
        "columns": mat["A"].shape[1],
        "rows": mat["A"].shape[0],
        "integers": len(mat["integer"]),
    }


class _Stamps(logging.Handler):
    """Keeps planner.solve's log messages with their time since a start (where the time goes)."""

    def __init__(self, t0: float) -> None:
        super().__init__(logging.INFO)
        self.t0, self.rows = t0, []

    def emit(self, record: logging.LogRecord) -> None:
        self.rows.append((round(time.perf_counter() - self.t0, 2), record.getMessage()))


def solve_planner(sc, time_limit: float, gap: float, log: bool = False) -> dict[str, Any]:
    """planner's stages (prepare, build_model, solve) on a scenario: the outcome and its times."""
    import planner

    t0 = time.perf_counter()
    data = planner.prepare(sc)
    m = planner.build_model(data)
    t1 = time.perf_counter()
    stamps = _Stamps(t1)
    lg = logging.getLogger("planner.solve")
    lg.addHandler(stamps)
    old = lg.level
    lg.setLevel(logging.INFO)
    try:
        out = planner.solve(m, time_limit=time_limit, mip_gap=gap, threads=1, log_solver=log)
    finally:
        lg.removeHandler(stamps)
        lg.setLevel(old)
    t2 = time.perf_counter()
    return {
        "status": out.status,
        "termination": out.termination,
        "objective": out.objective,
        "bound": out.bound,
        "gap": out.gap,
        "build_s": t1 - t0,
        "solve_total_s": t2 - t1,
        "compile_s": out.compile_s,
        "mip_start_s": out.mip_start_s,
        "mip_start_objective": out.mip_start_objective,
        "bnb_s": out.solve_s,
        "size": out.size,
        "log": stamps.rows,
    }


TOOLS = {
    "cfl": ("highs", "highs+agg", "planner", "planner/priced"),
    "nd": ("highs", "highs/dest", "planner"),
}


def run_one(
    case: str, tool: str, time_limit: float, gap: float, log: bool = False
) -> dict[str, Any]:
    if case.startswith("cfl"):
        inst = cfl_instance(case)
        if tool.startswith("highs"):
            return solve_highs(
                cfl_matrix(inst, aggregate=tool == "highs+agg"), time_limit, gap, log
            )
        return solve_planner(
            cfl_scenario(inst, case, priced=tool == "planner/priced"), time_limit, gap, log
        )
    inst = nd_instance(case)
    if tool.startswith("highs"):
        return solve_highs(
            nd_matrix(inst, by_destination=tool == "highs/dest"), time_limit, gap, log
        )
    return solve_planner(nd_scenario(inst, case), time_limit, gap, log)


def _gap(obj: float | None, bound: float | None) -> float | None:
    if obj is None or bound is None:
        return None
    return max(0.0, obj - bound) / max(abs(obj), 1e-9) if obj != bound else 0.0


# ---- the runner ---------------------------------------------------------------------------------


def _child(args: argparse.Namespace) -> None:
    res = run_one(args.one_case, args.one_tool, args.time_limit, args.gap, log=True)
    sys.stdout.flush()
    Path(args.result).write_text(json.dumps(res, default=float))


def _spawn(
    case: str, tool: str, args: argparse.Namespace, log_dir: Path, rep: int
) -> dict[str, Any]:
    log_dir.mkdir(parents=True, exist_ok=True)
    logf = log_dir / f"{case}__{tool.replace('/', '-').replace('+', '-')}__{rep}.log"
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tf:
        result = Path(tf.name)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--one-case",
        case,
        "--one-tool",
        tool,
        "--time-limit",
        str(args.time_limit),
        "--gap",
        str(args.gap),
        "--result",
        str(result),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    try:
        with open(logf, "w") as fh:
            proc = subprocess.run(
                cmd,
                stdout=fh,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env=env,
                timeout=3 * args.time_limit + 600,
            )
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        res = json.loads(result.read_text()) if rc == 0 else {"status": f"failed ({rc})"}
    except (OSError, json.JSONDecodeError):
        res = {"status": f"failed ({rc}, no result)"}
    result.unlink(missing_ok=True)
    res.update(
        {
            "case": case,
            "tool": tool,
            "repeat": rep,
            "cpu_s": cpu,
            "wall_s": wall,
            "log_file": str(logf),
        }
    )
    return res


def _fmt(v: float | None, spec: str = ",.1f") -> str:
    return "—" if v is None else format(v, spec)


def render(doc: dict[str, Any]) -> str:
    runs = doc["runs"]
    cases = list(dict.fromkeys(r["case"] for r in runs))
    lim, gap = doc["time_limit"], doc["gap"]
    out = [
        "# Hard pure MILPs: planner against HiGHS alone",
        "",
        f"Measured {doc['date']} on {doc['machine']} (HiGHS {doc['highs']}, Python {doc['python']}); "
        f"planner at commit `{doc['commit']}`. Time limit {lim:g} s, relative gap {gap:g}, 1 thread, every solve "
        "in its own subprocess, cases interleaved. CPU s = the subprocess's user + system time (Python start, "
        "instance, model build and solve); for planner, `build` is prepare + build_model (outside its time "
        "limit) and `start` the MIP start (LP relaxation, rounding, fixed LPs). Median over the runs of "
        "each tool (`runs`). Produced by `benchmarks/hard_milp.py`; every run is in "
        "`hard_milp.json`.",
        "",
    ]
    for case in cases:
        rs = [r for r in runs if r["case"] == case]
        spec = doc["cases"].get(case, {})
        out += [f"## {case}", "", spec.get("what", ""), ""]
        proven = [
            r["objective"]
            for r in rs
            if r.get("tool", "").startswith("highs")
            and r.get("status") == "Optimal"
            and r.get("objective") is not None
        ]
        best = min((r["objective"] for r in rs if r.get("objective") is not None), default=None)
        bestb = max((r["bound"] for r in rs if r.get("bound") is not None), default=None)
        out += [
            f"Best plan found {_fmt(best, ',.2f')}; best bound {_fmt(bestb, ',.2f')}"
            + (
                f"; HiGHS alone proved a plan of {_fmt(min(proven), ',.2f')} within {gap:g}."
                if proven
                else "."
            ),
            "",
        ]
        out += [
            "| tool | runs | status | objective | bound | gap | CPU s | wall s | build s | start s | start objective | vs best |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for tool in dict.fromkeys(r["tool"] for r in rs):
            tr = [r for r in rs if r["tool"] == tool]

            def med(key: str, tr: list = tr) -> float | None:
                vals = [r[key] for r in tr if r.get(key) is not None]
                return statistics.median(vals) if vals else None

            obj = med("objective")
            vs = None if obj is None or best is None else 100 * (obj - best) / best
            out.append(
                f"| {tool} | {len(tr)} | {', '.join(sorted({str(r.get('status')) for r in tr}))} | {_fmt(obj, ',.2f')} | "
                f"{_fmt(med('bound'), ',.2f')} | {_fmt(None if med('gap') is None else 100 * med('gap'), '.3f')}% | "
                f"{_fmt(med('cpu_s'))} | {_fmt(med('wall_s'))} | {_fmt(med('build_s'))} | "
                f"{_fmt(med('mip_start_s'))} | {_fmt(med('mip_start_objective'), ',.2f')} | "
                f"{_fmt(vs, '+.3f')}% |"
            )
        size = next((r.get("size") for r in rs if r.get("size")), None)
        hs = next((r for r in rs if r["tool"].startswith("highs") and r.get("columns")), None)
        if size or hs:
            out += [
                "",
                "Model size: "
                + "; ".join(
                    (
                        [
                            f"HiGHS alone {hs['columns']:,} columns, {hs['rows']:,} rows, {hs['integers']:,} integers"
                        ]
                        if hs
                        else []
                    )
                    + (
                        [
                            f"planner {size['columns']:,} columns, {size['rows']:,} rows, {size['integers']:,} integers"
                        ]
                        if size
                        else []
                    )
                )
                + ".",
            ]
        out.append("")
    if doc.get("reading"):
        out += ["## Reading", "", doc["reading"], ""]
    return "\n".join(out)


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--cases",
        default="cfl-a,cfl-b,cfl-c,nd-1,nd-2,nd-3",
        help="comma list; 'cfl' = the three CFL cases, 'nd' = the three ND cases; small: cfl-s, cfl-m, nd-s, nd-m",
    )
    ap.add_argument(
        "--tools", default=None, help="comma list of tools to run (default: all of each family)"
    )
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--gap", type=float, default=0.01)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "hard_milp")
    ap.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()) / "hard_milp_logs")
    ap.add_argument(
        "--merge",
        action="store_true",
        help="add to the runs already in OUT.json (other cases kept)",
    )
    ap.add_argument(
        "--render", type=Path, default=None, help="rewrite the .md from this JSON and stop"
    )
    ap.add_argument("--one-case", help=argparse.SUPPRESS)
    ap.add_argument("--one-tool", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one_case:
        _child(args)
        return
    if args.render:
        doc = json.loads(args.render.read_text())
        args.render.with_suffix(".md").write_text(render(doc))
        print(render(doc))
        return
    cases: list[str] = []
    for c in args.cases.split(","):
        c = c.strip()
        cases += (
            [k for k in CFL_CASES] if c == "cfl" else [k for k in ND_CASES] if c == "nd" else [c]
        )
    for c in cases:
        if c not in {**CFL_CASES, **CFL_SMALL, **ND_CASES, **ND_SMALL}:
            ap.error(f"unknown case {c}")
        if c.startswith("cfl"):
            cfl_instance(c)  # write the file once, before the timed runs
    only = set(args.tools.split(",")) if args.tools else None
    plan = [
        (c, t)
        for c in cases
        for t in TOOLS["cfl" if c.startswith("cfl") else "nd"]
        if only is None or t in only
    ]
    import highspy

    h = highspy.Highs()
    doc: dict[str, Any] = {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "highs": f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}",
        "commit": _git_commit(),
        "time_limit": args.time_limit,
        "gap": args.gap,
        "repeat": args.repeat,
        "cases": {c: {"what": _what(c)} for c in cases},
        "runs": [],
    }
    path = args.out.with_suffix(".json")
    if args.merge and path.is_file():
        old = json.loads(path.read_text())
        doc["runs"] = [r for r in old["runs"] if r["case"] not in cases]
        doc["cases"] = {**old.get("cases", {}), **doc["cases"]}
        doc["reading"] = old.get("reading", "")
    for rep in range(args.repeat):
        for case, tool in plan:
            r = _spawn(case, tool, args, args.log_dir, rep)
            doc["runs"].append(r)
            print(
                f"{case:7s} {tool:13s} #{rep}: {r.get('status')!s:22s} obj {_fmt(r.get('objective'), ',.2f'):>18s} "
                f"bound {_fmt(r.get('bound'), ',.2f'):>18s} gap {_fmt(None if r.get('gap') is None else 100 * r['gap'], '.3f')}% "
                f"cpu {r['cpu_s']:.1f} s",
                flush=True,
            )
            path.write_text(json.dumps(doc, indent=1, default=float))
    args.out.with_suffix(".md").write_text(render(doc))
    print(render(doc))


def _what(case: str) -> str:
    if case.startswith("cfl"):
        m, n, cap, fs, seed = {**CFL_CASES, **CFL_SMALL}[case]
        inst = cfl_instance(case)
        return (
            f"CFL {m} sites × {n} customers, capacity {cap} each, fixed costs × {fs:g} (seed {seed}); total demand "
            f"{sum(inst.demand):,.0f}, so at least {math.ceil(sum(inst.demand) / cap)} sites must open. "
            f"File `benchmarks/instances/{case}.txt` (OR-Library cap layout)."
        )
    nodes, deg, k, nd, tight, fs, seed = {**ND_CASES, **ND_SMALL}[case]
    inst = nd_instance(case)
    return (
        f"ND {nodes} nodes, {len(inst.arcs)} one-way arcs, {len(inst.commodities)} commodities to {nd} destinations, "
        f"capacity {tight:g} × total demand × U[0.5, 1.5], fixed-cost scale {fs:g} (seed {seed})."
    )


if __name__ == "__main__":
    main()
