"""Which LP method for planner's relaxation: HiGHS's simplex, interior point (IPX, with and without
crossover), HiPO and PDLP on the LP relaxation of the China scenarios, CPU seconds side by side.

Each (case, method) runs in its own subprocess (a clean HiGHS), one thread, with a time limit;
the figures are CPU seconds of that process's solve (``time.process_time`` around ``run``).

    python benchmarks/lp_methods.py                        # china, china hourly 2 and 4 days
    python benchmarks/lp_methods.py --cases china --methods ipm,simplex --time-limit 60

Writes ``benchmarks/lp_methods.json`` and ``benchmarks/lp_methods.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "china": ("scenarios/china", []),
    "china-hourly-2d": ("scenarios/china/hourly.yaml", ["hourly.days=2"]),
    "china-hourly-4d": ("scenarios/china/hourly.yaml", ["hourly.days=4"]),
}
#: method → HiGHS options
METHODS = {
    "ipm": {"solver": "ipm", "run_crossover": "off"},
    "ipm+crossover": {"solver": "ipm", "run_crossover": "on"},
    "simplex": {"solver": "simplex"},
    "hipo": {"solver": "hipo", "run_crossover": "off"},
    "pdlp": {"solver": "pdlp"},
}


def worker(case: str, method: str, time_limit: float) -> dict:
    """Build the case's LP relaxation and solve it once with ``method`` (runs in a subprocess)."""
    import highspy

    import planner
    from planner.data import prepare
    from planner.model import build_model
    from planner.solve import compile_model

    path, sets = CASES[case]
    comp = compile_model(build_model(prepare(planner.load_scenario(ROOT / path, sets=sets))))
    lp = comp.lp
    lp.integrality_ = []
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("time_limit", float(time_limit))
    for k, v in METHODS[method].items():
        h.setOptionValue(k, v)
    h.passModel(lp)
    cpu, wall = time.process_time(), time.perf_counter()
    h.run()
    info = h.getInfo()
    return {
        "case": case,
        "method": method,
        "columns": lp.num_col_,
        "rows": lp.num_row_,
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": info.objective_function_value,
        "cpu_s": time.process_time() - cpu,
        "wall_s": time.perf_counter() - wall,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "lp_methods"))
    ap.add_argument("--worker", nargs=2, metavar=("CASE", "METHOD"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.time_limit)))
        return
    rows = []
    for case in args.cases.split(","):
        for method in args.methods.split(","):
            res = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    case,
                    method,
                    "--time-limit",
                    str(args.time_limit),
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            if res.returncode:
                rows.append(
                    {
                        "case": case,
                        "method": method,
                        "status": "error: " + res.stderr.strip().splitlines()[-1],
                    }
                )
            else:
                rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    meta = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "time_limit_s": args.time_limit,
        "date": time.strftime("%Y-%m-%d"),
    }
    Path(args.out + ".json").write_text(json.dumps({"meta": meta, "runs": rows}, indent=2))
    lines = [
        "# LP method for the relaxation (CPU seconds, one thread)",
        "",
        f"Measured {meta['date']} on {meta['machine']}, time limit {args.time_limit:g} s per solve; written by "
        "`python benchmarks/lp_methods.py`.",
        "",
        "| case | columns | rows | " + " | ".join(args.methods.split(",")) + " |",
        "|---|---:|---:|" + "---:|" * len(args.methods.split(",")),
    ]
    for case in args.cases.split(","):
        rs = {r["method"]: r for r in rows if r["case"] == case}
        first = next(iter(rs.values()))
        cells = []
        for m in args.methods.split(","):
            r = rs.get(m, {})
            ok = r.get("status") == "Optimal"
            cells.append(
                f"{r['cpu_s']:.1f}" if ok else f"{r.get('status', '?')} ({r.get('cpu_s', 0):.0f} s)"
            )
        lines.append(
            f"| {case} | {first.get('columns', '')} | {first.get('rows', '')} | "
            + " | ".join(cells)
            + " |"
        )
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
