"""Representative days: number of days against reduction error, objective and solve time.

Solves the hourly variant of the China scenario (``scenarios/china/hourly.yaml``) with several
numbers of representative days and writes the figures to ``benchmarks/days.md`` (the text under
its ``## Reading`` heading is kept). Every solve: HiGHS, ``--time-limit`` s (default 300) and a
1% gap, the scenario's 2 threads. Run from the project root::

    .venv/bin/python benchmarks/days_benchmark.py                  # days 1 2 3 4 5
    .venv/bin/python benchmarks/days_benchmark.py --days 1 2 --out /tmp/days.md
    .venv/bin/python benchmarks/days_benchmark.py --render        # rewrite days.md from days.json

The figures of each run are kept in ``benchmarks/days.json`` (beside the page).

The full year (365 days, 8760 slices) of this scenario is not solvable here: the model grows
linearly with the slices (≈ 42,000 columns per 24 slices, so ≈ 15.5 M for the year) and the LP
relaxation alone of 4 days (96 slices) already takes ≈ 3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import planner

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "china" / "hourly.yaml"
log = logging.getLogger("days_benchmark")


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _rmse(err: Any, prefix: str) -> float:
    """Mean of ``RMSE (% of mean)`` over the profiles whose name starts with ``prefix``."""
    rows = err[err["profile"].str.startswith(prefix)]
    return float(rows["RMSE (% of mean)"].mean()) if len(rows) else float("nan")


def one(days: int, time_limit: float, gap: float) -> dict[str, Any]:
    """Reduce to ``days`` days, solve, and return the figures of one row."""
    t0 = time.perf_counter()
    sc = planner.load_scenario(SCENARIO, sets=[f"hourly.days={days}"])
    t_load = time.perf_counter() - t0
    err = sc._reduction["Reduction error"]
    settings = dict(
        zip(
            sc._reduction["Reduction settings"]["setting"],
            sc._reduction["Reduction settings"]["value"],
        )
    )
    t1 = time.perf_counter()
    try:
        res = planner.run(sc, time_limit=time_limit, mip_gap=gap)
    except planner.PlannerError as e:  # e.g. no plan within the time limit: record it, go on
        print(
            f"days {days:3d}: {len(sc.time_slices)} slices, no plan: {str(e).splitlines()[0]}",
            flush=True,
        )
        return {
            "days": days,
            "slices": len(sc.time_slices),
            "demand RMSE %": _rmse(err, "total demand"),
            "failed": "no plan: " + str(e).splitlines()[0],
            "solve s": time.perf_counter() - t1,
        }
    t_run = time.perf_counter() - t1
    row = {
        "days": days,
        "slices": len(sc.time_slices),
        "reduction s": float(settings["time (s)"]),
        "demand RMSE %": _rmse(err, "total demand"),
        "inference RMSE %": _rmse(err, "inference"),
        "price RMSE %": _rmse(err, "price_"),
        "green RMSE %": _rmse(err, "green_"),
        "objective": float(res.kpi("objective")),
        "bound": float(res.kpi("best bound")),
        "gap": float(res.kpi("MIP gap")),
        "status": str(res.kpi("status")),
        "PFLOPS": float(res.kpi("PFLOPS installed")),
        "energy MWh": float(res.kpi("energy")),
        "unserved": float(res.kpi("unserved share")),
        "load s": t_load,
        "solve s": t_run,
        "size": str(res.metadata.get("model size", "")),
    }
    log.info("days %d: %s", days, row)
    print(
        f"days {days:3d}: {row['slices']:4d} slices, demand RMSE {row['demand RMSE %']:.2f}%, objective {row['objective'] / 1e9:.4f} bn CNY/yr "
        f"(gap {100 * row['gap']:.2f}%), {row['PFLOPS']:,.0f} PFLOPS, run {row['solve s']:.0f} s",
        flush=True,
    )
    return row


def machine() -> str:
    """This machine and the versions that matter, one line."""
    return (
        f"{os.cpu_count()} cores ({_cpu()}), {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"tsam {metadata.version('tsam')}, HiGHS (highspy) {metadata.version('highspy')}"
    )


def markdown(run: dict[str, Any], reading: str) -> str:
    """The benchmark page: setting, table, and the kept reading.

    A run stopped by the time limit far from its gap (above 10 × the gap asked) has no usable plan
    (HiGHS keeps a trivial incumbent): it is listed apart and not used as the reference.
    """
    time_limit, gap = run["time_limit"], run["gap"]
    for r in run["rows"]:
        if "failed" not in r and r["gap"] > 10 * gap:
            r["failed"] = f"stopped at the time limit, gap {100 * r['gap']:.2f}% (no usable plan)"
    failed = [r for r in run["rows"] if "failed" in r]
    rows = [r for r in run["rows"] if "failed" not in r]
    ref = max(rows, key=lambda r: r["days"])
    lines = [
        "# Representative days: days against error, objective and solve time",
        "",
        f"`benchmarks/days_benchmark.py` on `scenarios/china/hourly.yaml` (22 regions, 19 sites, 4 pod types, 3 classes, "
        "34 links; hourly inference demand, time-of-use prices and green availability from `hourly.csv`), "
        f"HiGHS with a {time_limit:.0f} s time limit and a {100 * gap:g}% gap, 2 threads.",
        "",
        f"Machine: {run['machine']}. Run {run['date']}.",
        "",
        "Errors are `RMSE (% of mean)` of the year rebuilt from the representative days against the full year "
        "(sheet *Reduction error*), averaged over the 19 price and 19 green-share profiles for those columns. "
        f"Δ objective is against the most days run ({ref['days']}). *run* is load + reduce + prepare + build + solve, wall clock.",
        "",
        "| days | slices | total-demand RMSE | inference RMSE | price RMSE | green RMSE | objective (bn CNY/yr) | gap | Δ objective vs "
        f"{ref['days']} days | PFLOPS installed | energy (TWh/yr) | unserved share | reduction (s) | run (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        d = (r["objective"] - ref["objective"]) / ref["objective"]
        lines.append(
            f"| {r['days']} | {r['slices']} | {r['demand RMSE %']:.2f}% | {r['inference RMSE %']:.2f}% | {r['price RMSE %']:.2f}% | "
            f"{r['green RMSE %']:.2f}% | {r['objective'] / 1e9:.4f} | {100 * r['gap']:.2f}% | {100 * d:+.2f}% | {r['PFLOPS']:,.0f} | "
            f"{r['energy MWh'] / 1e6:.3f} | {100 * r['unserved']:.3f}% | {r['reduction s']:.2f} | {r['solve s']:.0f} |"
        )
    lines += [
        f"| {r['days']} | {r['slices']} | {r.get('demand RMSE %', float('nan')):.2f}% | | | | {r['failed']} | | | | | | | {r['solve s']:.0f} |"
        for r in failed
    ]
    lines += ["", "Model size per run (HiGHS columns, rows, integers, nonzeros):", ""]
    lines += [f"- {r['days']} days: {r['size']}" for r in run["rows"] if r.get("size")]
    lines += [
        "",
        "The full year (365 days, 8760 slices) is not solvable on this machine: see the Reading.",
        "",
        "## Reading",
        "",
    ]
    return "\n".join(lines) + reading


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--gap", type=float, default=0.01)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "days.md")
    ap.add_argument(
        "--render", action="store_true", help="only rewrite the page from the .json beside it"
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    store = args.out.with_suffix(".json")
    if args.render:
        run = json.loads(store.read_text())
    else:
        run = {
            "time_limit": args.time_limit,
            "gap": args.gap,
            "machine": machine(),
            "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "rows": [one(d, args.time_limit, args.gap) for d in sorted(args.days)],
        }
        store.write_text(json.dumps(run, indent=1, default=str) + "\n")
    reading = ""
    if args.out.exists() and "## Reading" in (text := args.out.read_text()):
        reading = text.split("## Reading", 1)[1].lstrip("\n")
    args.out.write_text(markdown(run, reading or "(to be written from the figures above)\n"))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
