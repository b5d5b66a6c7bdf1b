"""Decomposed against monolithic for a plan over demand futures: China, three futures, hourly days.

The scenario is ``scenarios/china/hourly.yaml`` reduced to ``--days`` representative days, with the
three demand futures of the default scenario (``scenarios/china/scenario.yaml``: slow 0.25 ×0.70,
base 0.50 ×1.00, fast 0.25 ×1.41) and ``risk.measure`` expected (or ``--measure cvar``). Each
configuration runs in a fresh interpreter: the monolithic futures MILP
(:func:`planner.model.futures.build_futures_model`, HiGHS, one thread), and the decomposed solve
(:func:`planner.decomposed.solve_decomposed_futures`: one subproblem per future and day) in the
driver's process (``workers 0``) or on a local Dask cluster of 2 worker processes made here, so
that the workers' CPU seconds can be read (``resource.getrusage`` on each worker, before the
cluster closes). CPU seconds are user + system of the driver and of every worker. Writes
``benchmarks/decomposed_futures.json`` and prints a Markdown table.

Run: ``nice -n 19 python -m benchmarks.decomposed_futures_benchmark --days 4 --gap 0.1``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HOURLY = ROOT / "scenarios" / "china" / "hourly.yaml"
DEFAULT = ROOT / "scenarios" / "china"
OUT = ROOT / "benchmarks" / "decomposed_futures.json"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scenario(days: int, measure: str) -> Any:
    """China hourly with ``days`` days and the default scenario's three futures."""
    from planner import load_scenario

    futures = load_scenario(DEFAULT).futures
    sc = load_scenario(HOURLY, sets=[f"hourly.days={days}", f"risk.measure={measure}"])
    return sc.model_copy(update={"futures": futures})


def one(
    method: str, days: int, measure: str, gap: float, time_limit: float, workers: int
) -> dict[str, Any]:
    """One configuration, in this process."""
    from planner.horizon.futures import prepare_futures

    t0 = time.perf_counter()
    c0 = _cpu()
    sc = scenario(days, measure)
    fd = prepare_futures(sc)
    r = sc.risk
    row: dict[str, Any] = {"method": method, "days": days, "measure": measure, "gap asked": gap}
    if method == "monolithic":
        from planner.model.futures import build_futures_model
        from planner.solve import solve

        m = build_futures_model(fd, measure=r.measure, level=r.level, weight=r.weight)
        out = solve(m, time_limit=time_limit, mip_gap=gap, threads=1)
        row.update(
            status=out.status,
            objective=out.objective,
            bound=out.bound,
            gap=out.gap,
            columns=(out.size or {}).get("columns"),
            rows=(out.size or {}).get("rows"),
            integers=(out.size or {}).get("integers"),
            iterations=None,
            workers=0,
        )
        worker_cpu: list[float] = []
    else:
        from planner.decomposed import solve_decomposed_futures

        cluster = client = None
        kw: dict[str, Any] = {"workers": 0}
        if workers:
            from dask.distributed import Client, LocalCluster

            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            )
            client = Client(cluster)
            kw = {"scheduler": cluster.scheduler_address}
        try:
            dec = solve_decomposed_futures(
                fd,
                measure=r.measure,
                level=r.level,
                weight=r.weight,
                time_limit=time_limit,
                mip_gap=gap,
                values=False,
                relaxation=method != "decomposed-cuts",  # cuts only: before partial Benders
                **kw,
            )
            worker_cpu = (
                sorted(client.run(_cpu).values()) if client is not None else []
            )  # each worker's CPU seconds since it started
        finally:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
        row.update(
            status=dec.status,
            objective=dec.objective,
            bound=dec.bound,
            gap=dec.gap,
            columns=dec.sizes.get("columns"),
            rows=dec.sizes.get("rows"),
            subproblems=dec.subproblems,
            master_columns=dec.sizes.get("master columns"),
            iterations=len(dec.iterations),
            termination=dec.termination,
            workers=workers,
            phases={
                p: sum(1 for it in dec.iterations if it.phase == p)
                for p in ("LP", "first plan", "integer", "final")
            },
        )
    row.update(
        wall_s=time.perf_counter() - t0,
        driver_cpu_s=_cpu() - c0,
        worker_cpu_s=worker_cpu,
        cpu_s=_cpu() - c0 + sum(worker_cpu),
        driver_peak_mb=_peak_mb(),
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--measure", default="expected")
    ap.add_argument("--gap", type=float, default=0.1)
    ap.add_argument("--time-limit", type=float, default=1800.0)
    ap.add_argument(
        "--methods",
        nargs="+",
        default=["monolithic", "decomposed:0", "decomposed:2"],
        help="monolithic, decomposed:W or decomposed-cuts:W (the master with cuts only) on W workers",
    )
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        import logging

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        logging.getLogger("distributed").setLevel(logging.WARNING)
        method, _, w = a.one.partition(":")
        print(json.dumps(one(method, a.days, a.measure, a.gap, a.time_limit, int(w or 0))))
        return
    rows = json.loads(OUT.read_text()) if OUT.exists() else []
    for spec in a.methods:
        cmd = [sys.executable, "-m", "benchmarks.decomposed_futures_benchmark", "--one", spec]
        cmd += ["--days", str(a.days), "--measure", a.measure, "--gap", str(a.gap)]
        cmd += ["--time-limit", str(a.time_limit)]
        done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row["measured"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        rows.append(row)
        OUT.write_text(json.dumps(rows, indent=1))
        print(json.dumps(row), flush=True)
    print(
        "| days | measure | method | workers | status | objective (bn CNY/yr) | bound (bn) | gap | iterations | columns | CPU-s | wall s |"
    )
    print("|---:|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['days']} | {r['measure']} | {r['method']} | {r['workers']} | {r['status']} | "
            f"{r['objective'] / 1e9:.4f} | {r['bound'] / 1e9:.4f} | {100 * r['gap']:.2f}% | "
            f"{r['iterations'] or '-'} | {r['columns']} | {r['cpu_s']:.0f} | {r['wall_s']:.0f} |"
        )


if __name__ == "__main__":
    main()
