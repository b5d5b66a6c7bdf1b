"""Several periods on the default scenario: perfect foresight against myopic planning, measured.

Runs ``scenarios/china`` with the ``periods_2025_2030`` variant (2025, 2027, 2029; demand +40%/yr;
brownfield retiring; 910B superseded by 910C) both ways, in this process, one after the other, and
prints and writes (``benchmarks/periods.md``) objective, bound, gap, time and the per-period plan.

    .venv/bin/python benchmarks/periods_benchmark.py [--time-limit 900] [--gap 0.01] [--out benchmarks/periods.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time
from pathlib import Path

import highspy

import planner

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=900.0)
    ap.add_argument("--gap", type=float, default=0.01)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "periods.md")
    args = ap.parse_args()
    sc = planner.load_scenario(ROOT / "scenarios" / "china", variants=["periods_2025_2030"])
    runs = {}
    for mode in ("perfect_foresight", "myopic"):
        t0 = time.perf_counter()
        res = planner.run(
            sc.model_copy(update={"planning": mode}),
            time_limit=args.time_limit,
            mip_gap=args.gap,
            threads=2,
        )
        wall = time.perf_counter() - t0
        runs[mode] = (res, wall)
        o = res.outcome
        print(
            f"{mode}: {o.status} objective {o.objective:,.0f} bound {o.bound:,.0f} gap {100 * (o.gap or 0):.2f}% in {wall:.0f} s"
        )
    h = highspy.Highs()
    lines = [
        "# Several periods on the default scenario (China 2025–2030)",
        "",
        f"Measured {dt.date.today()} on {platform.machine()} ({platform.python_version()}), HiGHS "
        f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}, 2 threads, time limit {args.time_limit:g} s per solve, "
        f"gap {100 * args.gap:g}%, by `benchmarks/periods_benchmark.py`.",
        "",
        "Scenario: `scenarios/china --variant periods_2025_2030` — periods 2025, 2027, 2029 (2 years each), demand +40%/yr",
        "(IDC, china-public-data.md §6.1), brownfield Ascend 910 pods retiring 2026–2027 and 910B in 2029, no new 910B after",
        "2026, discount rate 6%/yr. Myopic planning solves 2025, then 2025–2027 with 2025's purchases fixed, then all three.",
        "",
        "| planning | status | objective (discounted CNY) | bound | gap | wall time s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for mode, (res, wall) in runs.items():
        o = res.outcome
        lines.append(
            f"| {mode.replace('_', ' ')} | {o.status} | {o.objective:,.0f} | {o.bound:,.0f} | {100 * (o.gap or 0):.2f}% | {wall:.0f} |"
        )
    pf, my = runs["perfect_foresight"][0].total_cost, runs["myopic"][0].total_cost
    lines += [
        "",
        f"Myopic planning costs {100 * (my / pf - 1):+.2f}% against perfect foresight (discounted totals).",
        "",
    ]
    for mode, (res, _) in runs.items():
        lines += [
            f"## {mode.replace('_', ' ')}: per period",
            "",
            "| period | cost M CNY/yr | discounted M CNY | PFLOPS in service | bought | retired | sites open | link units built | unserved | carbon ktCO2/yr |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for p in res.periods.to_dict("records"):
            lines.append(
                f"| {p['period']} | {p['cost CNY/yr'] / 1e6:,.0f} | {p['discounted cost CNY'] / 1e6:,.0f} | {p['PFLOPS in service']:,.0f} | "
                f"{p['PFLOPS bought']:,.0f} | {p['PFLOPS retired']:,.0f} | {p['sites open']} | {p['link units built']} | "
                f"{100 * p['unserved share']:.2f}% | {p['carbon tCO2/yr'] / 1e3:,.0f} |"
            )
        sched = res.extra_tables["Build schedule"]
        mix = sched.pivot_table(
            index="period",
            columns="hardware",
            values="PFLOPS in service",
            aggfunc="sum",
            fill_value=0.0,
        )
        lines += [
            "",
            "PFLOPS in service by hardware:",
            "",
            "| period | " + " | ".join(mix.columns) + " |",
            "|---|" + "---:|" * len(mix.columns),
        ]
        for y, row in mix.iterrows():
            lines.append(f"| {y} | " + " | ".join(f"{v:,.0f}" for v in row) + " |")
        lines.append("")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
