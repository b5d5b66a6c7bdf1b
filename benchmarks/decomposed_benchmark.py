"""Decomposed against monolithic on the China hourly scenario: days × workers, time and memory.

For each number of representative days (default 12, 52, 365) the monolithic MILP (where asked)
and the decomposed solve on 1 and 2 Dask workers, each in a fresh process or fresh local
cluster, with the same time limit and gap. Measured: wall time, CPU seconds of the driver and of
each worker (``resource.getrusage``), peak resident memory of the driver and of each worker
(``ru_maxrss``), iterations, build time, subproblem wall time per iteration and per day, bound,
best plan and gap. Writes ``benchmarks/decomposed.json`` and prints a Markdown table.

Run (nice, on a quiet machine): ``nice -n 19 python -m benchmarks.decomposed_benchmark --days 12 52 365``.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "china" / "hourly.yaml"
OUT = ROOT / "benchmarks" / "decomposed.json"


def _usage() -> dict[str, float]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_s": r.ru_utime + r.ru_stime, "peak_mb": r.ru_maxrss / 1024}


def monolithic(days: int, time_limit: float, gap: float) -> dict[str, Any]:
    """One monolithic solve in this process (run it as a child: its peak memory is its own)."""
    from planner import load_scenario, prepare
    from planner.model import build_model
    from planner.solve import solve

    t0 = time.perf_counter()
    sc = load_scenario(SCENARIO, sets=[f"hourly.days={days}"])
    data = prepare(sc)
    m = build_model(data)
    out = solve(m, time_limit=time_limit, mip_gap=gap)
    return {
        "method": "monolithic",
        "days": days,
        "workers": 0,
        "status": out.status,
        "objective": out.objective,
        "bound": out.bound,
        "gap": out.gap,
        "wall_s": time.perf_counter() - t0,
        "size": out.size,
        "driver": _usage(),
        "workers_usage": [],
    }


def decomposed(
    days: int,
    workers: int,
    time_limit: float,
    gap: float,
    max_iterations: int,
    relaxation: bool = True,
) -> dict[str, Any]:
    """One decomposed solve on a fresh local cluster of ``workers`` processes (run it as a child too).

    ``relaxation=False``: the master with cuts only (no kept day, no relaxation rows), as before
    partial Benders.
    """
    from dask.distributed import Client, LocalCluster

    from planner import load_scenario, prepare
    from planner.decomposed import solve_decomposed

    def worker_usage() -> dict[str, float]:
        import resource as res

        r = res.getrusage(res.RUSAGE_SELF)
        return {"cpu_s": r.ru_utime + r.ru_stime, "peak_mb": r.ru_maxrss / 1024}

    t0 = time.perf_counter()
    sc = load_scenario(SCENARIO, sets=[f"hourly.days={days}"])
    data = prepare(sc)
    prep_s = time.perf_counter() - t0
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    try:
        base = client.run(worker_usage)
        t1 = time.perf_counter()
        out = solve_decomposed(
            data,
            time_limit=time_limit,
            mip_gap=gap,
            scheduler=cluster.scheduler_address,
            max_iterations=max_iterations,
            values=False,
            relaxation=relaxation,
        )
        solve_s = time.perf_counter() - t1
        after = client.run(worker_usage)
    finally:
        client.close()
        cluster.close()
    its = out.iterations
    sub_wall = [it.subproblems_s for it in its if it.phase != "final"]
    return {
        "method": "decomposed" if relaxation else "decomposed (cuts only)",
        "days": days,
        "workers": workers,
        "status": out.status,
        "objective": out.objective,
        "bound": out.bound,
        "gap": out.gap,
        "wall_s": time.perf_counter() - t0,
        "prepare_s": prep_s,
        "solve_s": solve_s,
        "build_s": out.build_s,
        "iterations": len(its),
        "termination": out.termination,
        "subproblem_wall_per_iteration_s": sum(sub_wall) / max(1, len(sub_wall)),
        "subproblem_wall_per_iteration_per_day_ms": 1000
        * sum(sub_wall)
        / max(1, len(sub_wall))
        / days,
        "master_s": sum(it.master_s for it in its),
        "sizes": out.sizes,
        "driver": _usage(),
        "workers_usage": [
            {"cpu_s": after[w]["cpu_s"] - base[w]["cpu_s"], "peak_mb": after[w]["peak_mb"]}
            for w in sorted(after)
        ],
        "history": [
            {
                "phase": it.phase,
                "bound": it.lower_bound,
                "best": it.best_plan,
                "lp_point": it.lp_point,
                "seconds": it.seconds,
                "sub_s": it.subproblems_s,
            }
            for it in its
        ],
    }


def child(args: list[str]) -> dict[str, Any]:
    """Run one configuration in a fresh interpreter and read its JSON line."""
    cmd = [sys.executable, "-m", "benchmarks.decomposed_benchmark", "--child", *args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"error": proc.stderr[-2000:], "args": args}


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| days | method | workers | status | objective (bn CNY/yr) | bound (bn) | gap | iterations | build (s) | "
        "subproblems per iteration (s) | per day (ms) | wall (s) | driver CPU (s) | driver peak (MB) | worker CPU (s) | worker peak (MB) |"
    )
    lines = [head, "|" + "---:|" * 16]
    for r in rows:
        if "error" in r:
            lines.append(f"| {' '.join(r['args'])} | error | | | | | | | | | | | | | | |")
            continue
        wu = r.get("workers_usage") or []
        lines.append(
            "| {days} | {method} | {w} | {status} | {obj} | {bound} | {gap} | {it} | {build} | {spi} | {spd} | {wall:.0f} | "
            "{dcpu:.0f} | {dmem:.0f} | {wcpu} | {wmem} |".format(
                days=r["days"],
                method=r["method"],
                w=r["workers"] or "-",
                status=r["status"],
                obj=f"{r['objective'] / 1e9:.4f}" if r.get("objective") else "-",
                bound=f"{r['bound'] / 1e9:.4f}"
                if r.get("bound") not in (None, float("-inf"))
                else "-",
                gap=f"{100 * r['gap']:.2f}%" if r.get("gap") is not None else "-",
                it=r.get("iterations", "-"),
                build=f"{r['build_s']:.0f}" if "build_s" in r else "-",
                spi=f"{r['subproblem_wall_per_iteration_s']:.1f}" if "build_s" in r else "-",
                spd=f"{r['subproblem_wall_per_iteration_per_day_ms']:.0f}"
                if "build_s" in r
                else "-",
                wall=r["wall_s"],
                dcpu=r["driver"]["cpu_s"],
                dmem=r["driver"]["peak_mb"],
                wcpu=" / ".join(f"{u['cpu_s']:.0f}" for u in wu) or "-",
                wmem=" / ".join(f"{u['peak_mb']:.0f}" for u in wu) or "-",
            )
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, nargs="+", default=[12, 52, 365])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument(
        "--monolithic-days",
        type=int,
        nargs="*",
        default=[12],
        help="days at which the monolithic MILP also runs",
    )
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--gap", type=float, default=0.01)
    ap.add_argument("--max-iterations", type=int, default=200)
    ap.add_argument(
        "--cuts-only",
        action="store_true",
        help="the master with cuts only (no kept day, no relaxation rows): the method before partial Benders",
    )
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    if a.child:
        # the iteration log on stderr (read it while a long configuration runs)
        logging.basicConfig(
            level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s"
        )
        kind, *rest = a.child
        if kind == "mono":
            rec = monolithic(int(rest[0]), float(rest[1]), float(rest[2]))
        else:
            rec = decomposed(
                int(rest[0]),
                int(rest[1]),
                float(rest[2]),
                float(rest[3]),
                int(rest[4]),
                relaxation=len(rest) < 6 or rest[5] != "cuts-only",
            )
        print(json.dumps(rec, default=float))
        return
    rows = json.loads(a.out.read_text()) if a.out.is_file() else []
    for days in a.days:
        if days in a.monolithic_days:
            rows.append(child(["mono", str(days), str(a.time_limit), str(a.gap)]))
            print(table(rows[-1:]), flush=True)
        for w in a.workers:
            rows.append(
                child(
                    [
                        "dec",
                        str(days),
                        str(w),
                        str(a.time_limit),
                        str(a.gap),
                        str(a.max_iterations),
                        "cuts-only" if a.cuts_only else "strong",
                    ]
                )
            )
            print(table(rows[-1:]), flush=True)
        a.out.write_text(json.dumps(rows, indent=1, default=float))
    print(table(rows))


if __name__ == "__main__":
    main()
