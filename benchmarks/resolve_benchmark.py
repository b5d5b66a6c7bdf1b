"""Re-solve speed-up: a Replanner re-solve after a change against a fresh planner.run of the changed scenario.

Run: python benchmarks/resolve_benchmark.py [--scenario scenarios/china] [--repeat 2]
Writes benchmarks/resolve.md. Compare ratios, not single timings: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import planner
from planner.studies.replan import Replanner

HERE = Path(__file__).resolve().parent


def scaled(sc, price=1.0, demand=1.0):
    doc = sc.model_dump(mode="json", by_alias=True, exclude={"source_path", "input_hash"})
    for s in doc["sites"]:
        if isinstance(s["price_mwh"], (int, float)):
            s["price_mwh"] *= price
    for d in doc["demand"]:
        d["pflops"] *= demand
    return type(sc).model_validate(doc)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="scenarios/china")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    sc = planner.load_scenario(args.scenario)
    gap, limit = sc.solver.mip_gap, sc.solver.time_limit
    changes = [
        ("electricity price ×1.1", dict(price=1.1)),
        ("electricity price ×1.3", dict(price=1.3)),
        ("demand ×1.1", dict(demand=1.1)),
    ]
    rows = []
    build_s, rp = timed(
        lambda: Replanner(sc, mip_gap=gap, time_limit=limit, threads=sc.solver.threads)
    )
    first_s, first = timed(rp.solve)
    for label, kw in changes:
        fresh = [timed(lambda kw=kw: planner.run(scaled(sc, **kw))) for _ in range(args.repeat)]
        rs = []
        for _ in range(args.repeat):
            rp.scale_cost("energy_cost", kw.get("price", 1.0))
            rp.scale_demand(kw.get("demand", 1.0))
            rs.append(timed(rp.solve))
            rp.scale_cost(
                "energy_cost", 1.0
            )  # back to the base, so the next repeat re-solves the same change
            rp.scale_demand(1.0)
            rp.solve()
        f_med = statistics.median(t for t, _ in fresh)
        r_med = statistics.median(t for t, _ in rs)
        rows.append(
            (
                label,
                f_med,
                r_med,
                f_med / r_med,
                fresh[0][1].outcome.objective,
                rs[0][1].outcome.objective,
                rs[0][1].outcome.gap,
                rs[0][1].outcome.termination,
            )
        )
    lines = [
        f"# Re-solve speed-up ({args.scenario})",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {__import__('os').cpu_count()} cores; median of {args.repeat}. "
        f"Replanner build + compile {build_s:.1f} s; first solve {first_s:.1f} s (objective {first.outcome.objective:,.0f}).",
        "",
        "| change | fresh planner.run s | Replanner re-solve s | speed-up | fresh objective | re-solve objective | re-solve gap | how |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, f, r, x, fo, ro, g, how in rows:
        lines.append(
            f"| {label} | {f:.1f} | {r:.1f} | {x:.1f}× | {fo:,.0f} | {ro:,.0f} | {g:.2%} | {how} |"
        )
    text = "\n".join(lines) + "\n"
    (HERE / "resolve.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
