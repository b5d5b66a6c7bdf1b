"""Sweep speed-up: the same 8-member sweep on a local Dask cluster with 1 and with 2 workers.

Usage (from the project root, venv active)::

    python benchmarks/sweep_benchmark.py            # writes benchmarks/sweep.md
    python benchmarks/sweep_benchmark.py --case tiny

Cases: ``tiny`` (scenarios/tiny; each member well under a second) and ``S`` (the synthetic scenario
8 regions, 6 sites, 24 slices, 3 classes of ``run_benchmarks.py``, written to a YAML file).
The sweep is a grid of 4 carbon prices × 2 electricity-price multipliers. Wall time includes
starting the cluster (the worker processes import planner on their first member).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT))


def scenario_file(case: str, folder: Path) -> Path:
    if case == "tiny":
        for f in ("scenario.yaml", "sites.csv"):
            shutil.copy(ROOT / "scenarios" / "tiny" / f, folder / f)
        return folder / "scenario.yaml"
    from benchmarks.synthetic import make_scenario

    sc = make_scenario(8, 6, 24, 3, seed=1)
    doc = sc.model_dump(mode="json", by_alias=True, exclude={"source_path", "input_hash"})
    p = folder / "scenario.yaml"
    p.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return p


def measure(case: str, workers: int, mip_gap: float) -> dict:
    from planner.studies.sweep import load_sweep, run_sweep

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenario = scenario_file(case, folder)
        doc = {
            "scenario": scenario.name,
            "out": "runs",
            "solver": {"time_limit": 120, "mip_gap": mip_gap},
            "grid": {
                "policy.carbon_price": [0, 100, 200, 300],
                "sites[*].price_mwh": ["*0.9", "*1.1"],
            },
        }
        (folder / "sweep.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
        sw = load_sweep(folder / "sweep.yaml")
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        out = run_sweep(sw, workers=workers, progress=False, summary=False)
        wall = time.perf_counter() - t0
        import json

        recs = [json.loads((sw.out / m / "results.json").read_text()) for m in out.ran]
        member_s = sum(r["seconds"] for r in recs)
        cpu_s = sum(r["cpu_seconds"] for r in recs)
        return {
            "case": case,
            "workers": workers,
            "members": len(sw.members),
            "failed": len(out.failed),
            "wall_s": wall,
            "member_s": member_s,
            "cpu_s": cpu_s,
            "load": load,
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--case", action="append", choices=["tiny", "S"], help="cases (default: tiny and S)"
    )
    ap.add_argument("--mip-gap", type=float, default=0.01)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "sweep.md")
    args = ap.parse_args()
    rows = []
    for case in args.case or ["tiny", "S"]:
        for w in (1, 2):
            r = measure(case, w, args.mip_gap)
            rows.append(r)
            print(
                f"{case}: {w} worker(s): {r['wall_s']:.1f} s wall, {r['member_s']:.1f} s in members",
                flush=True,
            )
    lines = [
        "# Sweep speed-up (1 vs 2 Dask workers)",
        "",
        f"Measured {_dt.date.today().isoformat()} on {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"by `python benchmarks/sweep_benchmark.py` (mip_gap {args.mip_gap}). The same 8 members "
        "(4 carbon prices × 2 electricity-price multipliers), each writing its Excel report and results.json. "
        "Wall time includes starting the local cluster; 'in members' is the sum of the members' own wall times and 'CPU' of their CPU times (the same work \u2192 the same CPU); "
        "'load before' is the 1-minute load average just before the sweep (other processes on the machine "
        "compete for the 2 cores when it is above 0).",
        "",
        "| case | workers | members | wall s | in members s | CPU s | speed-up | load before |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        one = next(x for x in rows if x["case"] == r["case"] and x["workers"] == 1)
        lines.append(
            f"| {r['case']} | {r['workers']} | {r['members']} | {r['wall_s']:.1f} | {r['member_s']:.1f} | {r['cpu_s']:.1f} | "
            f"{one['wall_s'] / r['wall_s']:.2f}× | {r['load']:.1f} |"
        )
    busy = max(r["load"] for r in rows)
    best = max(
        next(x for x in rows if x["case"] == r["case"] and x["workers"] == 1)["wall_s"]
        / r["wall_s"]
        for r in rows
    )
    lines += [
        "",
        "Reading: the CPU seconds of the members are about the same with 1 and 2 workers, so a second "
        "worker adds no work; the members' wall time rises above their CPU time when the cores are shared. "
        f"The best speed-up measured here is {best:.2f}× on {os.cpu_count()} cores (at most the number of "
        "cores, less the cluster's start-up). "
        + (
            f"The machine was busy during this run (load average up to {busy:.1f}): other programs took cores "
            "the workers would otherwise have had, so expect more on an idle machine."
            if busy >= 1.5
            else ""
        ),
    ]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
