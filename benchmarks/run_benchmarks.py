"""Benchmark planner: build, hand-over and HiGHS times, and peak memory, per scenario.

Usage (from the project root, with the venv active)::

    python benchmarks/run_benchmarks.py              # every case: tiny, china (if it loads), S, M, L
    python benchmarks/run_benchmarks.py --quick      # smoke run: tiny + S (writes results-quick.*)
    python benchmarks/run_benchmarks.py --cases tiny,M --repeat 5
    python benchmarks/run_benchmarks.py --cases 31-40-240-3 --time-limit 60   # an ad-hoc synthetic size

Every case runs in its own subprocess, so the peak memory (``ru_maxrss``) is that case's alone;
the parent also reads it from ``os.wait4`` as a cross-check. Inside the child, ``highspy.Highs``
is replaced by a subclass that times every ``run()`` and ``passModel()``, so that "time in
HiGHS" counts the MIP start's LP solves as well as the final MIP.

The hand-over comparison builds one model and hands that same built model to HiGHS by each path,
interleaved, ``--repeat`` times: planner's path (``LinearStandardFormCompiler(mixed_form=True)``
→ ``Highs.passModel``), APPSI (``pyomo.contrib.appsi.solvers.highs.Highs.set_instance``), the new
``pyomo.contrib.solver`` HiGHS interface (``set_instance``), and an LP file written by Pyomo and
read by ``Highs.readModel``. Each path's peak memory comes from a separate subprocess per path.

Results go to ``benchmarks/results.json`` and ``benchmarks/results.md`` (and the table is printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Cases: a scenario folder, or a synthetic size (regions, sites, slices, classes), and a time limit (s).
CASES: dict[str, dict[str, Any]] = {
    "tiny": {"path": "scenarios/tiny", "time_limit": 60},
    "china": {"path": "scenarios/china", "time_limit": 240},
    "S": {"synthetic": (8, 6, 24, 3), "time_limit": 60},
    "M": {"synthetic": (16, 12, 48, 3), "time_limit": 150},
    "L": {"synthetic": (31, 20, 96, 3), "time_limit": 540},
}
DEFAULT_CASES = ["tiny", "china", "S", "M", "L"]
QUICK_CASES = ["tiny", "S"]
DEFAULT_HANDOVER = ["M"]
PATHS = ["planner", "appsi", "contrib_solver", "lp_file"]
PATH_LABELS = {
    "planner": "planner: standard-form compiler → passModel",
    "appsi": "APPSI Highs.set_instance",
    "contrib_solver": "pyomo.contrib.solver Highs.set_instance",
    "lp_file": "LP file: write + Highs.readModel",
    "build_only": "(build only, no hand-over)",
}
MIB = 1024.0  # ru_maxrss is in KiB on Linux


# ---------------------------------------------------------------------------------------------
# helpers shared by parent and child
# ---------------------------------------------------------------------------------------------
def case_spec(name: str) -> dict[str, Any]:
    """The spec of a named case, or of an ad-hoc synthetic size ``R-S-T-J``."""
    if name in CASES:
        return dict(CASES[name])
    parts = name.split("-")
    if len(parts) == 4 and all(p.isdigit() for p in parts):
        return {"synthetic": tuple(int(p) for p in parts), "time_limit": 120}
    raise SystemExit(
        f"unknown case '{name}': use one of {', '.join(CASES)} or a synthetic size R-S-T-J"
    )


def scenario_missing(spec: dict[str, Any]) -> str | None:
    """Why a folder case cannot run (no scenario file yet), or None."""
    if "path" not in spec:
        return None
    p = ROOT / spec["path"]
    if not any((p / f).exists() for f in ("scenario.yaml", "scenario.yml")) and not p.is_file():
        return f"{spec['path']} has no scenario.yaml yet"
    return None


def _load(name: str, spec: dict[str, Any], seed: int) -> Any:
    if "path" in spec:
        from planner import load_scenario

        return load_scenario(ROOT / spec["path"])
    from benchmarks.synthetic import make_scenario

    return make_scenario(*spec["synthetic"], seed=seed)


def _imports() -> float:
    """Import planner and everything the first compile pulls in (Pyomo's deferred scipy)."""
    t = time.perf_counter()
    from pyomo.common.dependencies import scipy

    import planner  # noqa: F401
    import planner.results  # noqa: F401

    scipy.sparse.csc_array  # noqa: B018 - resolves Pyomo's deferred import (it also imports scipy.stats)
    return time.perf_counter() - t


def planner_fingerprint() -> str:
    """A hash of planner's source as it is on disk now (other people edit it while we measure)."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted((ROOT / "planner").rglob("*.py")):
        h.update(str(f.relative_to(ROOT)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MIB


# ---------------------------------------------------------------------------------------------
# child: one case end to end
# ---------------------------------------------------------------------------------------------
def child_case(
    name: str, time_limit: float, mip_gap: float, seed: int, threads: int = 1
) -> dict[str, Any]:
    """Load, prepare, build, solve (planner.solve) and extract one case; time every stage."""
    imports_s = _imports()
    import highspy

    from planner import build_model, extract, prepare

    psolve = sys.modules["planner.solve"]  # the module (``planner.solve`` is the function)

    acc: dict[str, Any] = {"run_s": 0.0, "runs": 0, "pass_s": 0.0, "passes": 0, "log": []}

    class TimedHighs(highspy.Highs):
        """highspy.Highs that adds the time of every run() and passModel() to ``acc``."""

        def run(self, *a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return super().run(*a, **k)
            finally:
                dt_ = time.perf_counter() - t
                acc["run_s"] += dt_
                acc["runs"] += 1
                # an LP run reports mip_node_count = -1; branch and bound reports >= 0
                kind = "mip" if self.getInfo().mip_node_count >= 0 else "lp"
                acc["log"].append(
                    {
                        "kind": kind,
                        "s": dt_,
                        "cols": self.getNumCol(),
                        "status": self.modelStatusToString(self.getModelStatus()),
                    }
                )

        def passModel(self, *a: Any, **k: Any) -> Any:  # noqa: N802 - highspy's name
            t = time.perf_counter()
            try:
                return super().passModel(*a, **k)
            finally:
                acc["pass_s"] += time.perf_counter() - t
                acc["passes"] += 1

    assert psolve.highspy is highspy
    highspy.Highs = TimedHighs  # planner.solve looks it up at call time; this process only

    spec = case_spec(name)
    out: dict[str, Any] = {
        "case": name,
        "time_limit": time_limit,
        "mip_gap": mip_gap,
        "imports_s": imports_s,
        "planner_fingerprint": planner_fingerprint(),
    }
    if "synthetic" in spec:
        out["synthetic"] = list(spec["synthetic"])
        out["seed"] = seed
    t = time.perf_counter()
    sc = _load(name, spec, seed)
    out["load_s"] = time.perf_counter() - t
    out["scenario"] = sc.name
    t = time.perf_counter()
    data = prepare(sc)
    out["prepare_s"] = time.perf_counter() - t
    t = time.perf_counter()
    m = build_model(data)
    out["build_s"] = time.perf_counter() - t
    out["rss_after_build_mib"] = _peak_mib()
    t = time.perf_counter()
    res = psolve.solve(m, time_limit=time_limit, mip_gap=mip_gap, threads=threads, mip_start=True)
    out["solve_call_s"] = time.perf_counter() - t
    out["extract_s"] = 0.0
    if res.has_solution:
        t = time.perf_counter()
        extract(m, data, res)
        out["extract_s"] = time.perf_counter() - t
    out.update(
        {
            "compile_s": res.compile_s,
            "handover_s": res.handover_s,
            "mip_start_s": res.mip_start_s,
            "final_solve_s": res.solve_s,
            "highs_run_s": acc["run_s"],
            "highs_runs": acc["runs"],
            "highs_pass_s": acc["pass_s"],
            "highs_passes": acc["passes"],
            "highs_runs_log": acc["log"],
            "highs_lp_s": sum(r["s"] for r in acc["log"] if r["kind"] == "lp"),
            "highs_mip_s": sum(r["s"] for r in acc["log"] if r["kind"] == "mip"),
            "branch_and_bound": any(r["kind"] == "mip" for r in acc["log"]),
            "status": res.status,
            "termination": res.termination,
            "objective": res.objective,
            "bound": res.bound,
            "gap": res.gap,
            "mip_start_objective": res.mip_start_objective,
            "size": res.size,
            "data_size": data.size,
            "highs_version": res.solver_version,
        }
    )
    total = (
        out["load_s"] + out["prepare_s"] + out["build_s"] + out["solve_call_s"] + out["extract_s"]
    )
    out["total_s"] = total
    out["outside_highs_s"] = total - acc["run_s"]
    out["outside_highs_share"] = out["outside_highs_s"] / total if total else None
    out["peak_rss_mib"] = _peak_mib()
    return out


# ---------------------------------------------------------------------------------------------
# child: hand-over paths on one built model
# ---------------------------------------------------------------------------------------------
def _handover(path: str, m: Any, tmpdir: str) -> dict[str, Any]:
    """Hand the built model ``m`` to a fresh HiGHS by ``path``; return times and HiGHS's model size."""
    import highspy

    t0 = time.perf_counter()
    parts: dict[str, float] = {}
    if path == "planner":
        from planner.solve import compile_model

        comp = compile_model(m)
        t1 = time.perf_counter()
        lp = comp.lp
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in comp.is_int
        ]
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.passModel(lp)
        parts = {"compile_s": t1 - t0, "pass_s": time.perf_counter() - t1}
    elif path == "appsi":
        from pyomo.contrib.appsi.solvers.highs import Highs as AppsiHighs

        opt = AppsiHighs()
        opt.set_instance(m)
        h = opt._solver_model
    elif path == "contrib_solver":
        from pyomo.contrib.solver.solvers.highs import Highs as NewHighs

        opt = NewHighs()
        opt.set_instance(m)
        h = opt._solver_model
    elif path == "lp_file":
        f = os.path.join(tmpdir, "model.lp")
        m.write(f, format="lp", io_options={"symbolic_solver_labels": False})
        t1 = time.perf_counter()
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(f)
        parts = {
            "write_s": t1 - t0,
            "read_s": time.perf_counter() - t1,
            "file_mib": os.path.getsize(f) / 2**20,
        }
        os.remove(f)
    else:
        raise ValueError(path)
    total = time.perf_counter() - t0
    lp = h.getLp()
    ints = sum(1 for v in (lp.integrality_ or []) if v == highspy.HighsVarType.kInteger)
    return {
        "s": total,
        **parts,
        "columns": h.getNumCol(),
        "rows": h.getNumRow(),
        "nonzeros": h.getNumNz(),
        "integers": ints,
    }


def child_handover(name: str, paths: list[str], repeat: int, seed: int) -> dict[str, Any]:
    """Build the case's model once; hand it over by each path, interleaved, ``repeat`` times."""
    imports_s = _imports()
    import gc

    from planner import build_model, prepare

    spec = case_spec(name)
    t = time.perf_counter()
    m = build_model(prepare(_load(name, spec, seed)))
    out: dict[str, Any] = {
        "case": name,
        "imports_s": imports_s,
        "build_s": time.perf_counter() - t,
        "planner_fingerprint": planner_fingerprint(),
        "rss_after_build_mib": _peak_mib(),
        "runs": {p: [] for p in paths},
    }
    real = [p for p in paths if p != "build_only"]
    with tempfile.TemporaryDirectory() as tmpdir:
        # warm-up: each path once on the tiny scenario (first-use imports and caches, untimed)
        warm = build_model(prepare(_load("tiny", CASES["tiny"], seed)))
        for p in real:
            _handover(p, warm, tmpdir)
        del warm
        for k in range(repeat):
            order = (
                real[k % len(real) :] + real[: k % len(real)] if real else []
            )  # rotate: spread drift
            for p in order:
                gc.collect()
                out["runs"][p].append(_handover(p, m, tmpdir))
    out["peak_rss_mib"] = _peak_mib()
    return out


# ---------------------------------------------------------------------------------------------
# parent
# ---------------------------------------------------------------------------------------------
def spawn(args: list[str], timeout: float) -> tuple[dict[str, Any] | None, float, float, str]:
    """Run this script as a child with ``args``; return (its JSON, wall s, peak RSS MiB by wait4, stderr tail)."""
    with tempfile.TemporaryDirectory() as d:
        out, err = Path(d) / "out.json", Path(d) / "err.txt"
        with open(err, "w") as ferr:
            t = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), *args, "--child-out", str(out)],
                stdout=ferr,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
            while True:
                pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() - t > timeout:
                    proc.kill()
                    pid, status, ru = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.1)
            proc.returncode = os.waitstatus_to_exitcode(status)
            wall = time.perf_counter() - t
        tail = err.read_text()[-2000:]
        data = json.loads(out.read_text()) if out.exists() and proc.returncode == 0 else None
    return data, wall, ru.ru_maxrss / MIB, tail


def machine() -> dict[str, Any]:
    """Where and with what the figures were measured."""
    from importlib import metadata

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(
            next(
                x
                for x in Path("/proc/meminfo").read_text().splitlines()
                if x.startswith("MemTotal")
            ).split()[1]
        )
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    vers = {}
    for pkg in ("highspy", "pyomo", "numpy", "scipy", "pydantic", "pandas"):
        try:
            vers[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            vers[pkg] = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "planner"],
                cwd=ROOT,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
    except OSError:
        commit, dirty = "", False
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "planner_fingerprint": planner_fingerprint(),
        "cpu": cpu,
        "memory": mem,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": vers,
        "git_commit": commit,
        "planner_dirty": dirty,
    }


def _median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def summarize_handover(raw: dict[str, Any], mem: dict[str, float]) -> dict[str, Any]:
    """Medians, ranges and ratios (path / planner) of one case's hand-over runs."""
    rows = {}
    base = _median([r["s"] for r in raw["runs"].get("planner", [])])
    for p, runs in raw["runs"].items():
        if not runs:
            continue
        times = [r["s"] for r in runs]
        med = _median(times)
        row = {
            "median_s": med,
            "min_s": min(times),
            "max_s": max(times),
            "n": len(times),
            "ratio_to_planner": (med / base) if base else None,
            "peak_rss_mib": mem.get(p),
            "columns": runs[0]["columns"],
            "rows": runs[0]["rows"],
            "nonzeros": runs[0]["nonzeros"],
            "integers": runs[0]["integers"],
        }
        for k in ("compile_s", "pass_s", "write_s", "read_s", "file_mib"):
            if k in runs[0]:
                row[k + "_median"] = _median([r[k] for r in runs])
        rows[p] = row
    return {
        "case": raw["case"],
        "build_s": raw["build_s"],
        "paths": rows,
        "build_only_peak_rss_mib": mem.get("build_only"),
    }


def fmt(x: Any, nd: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


#: How the per-path details of the hand-over table are written.
DETAIL = {
    "compile_s_median": lambda v: f"compile {v:.2f}",
    "pass_s_median": lambda v: f"pass {v:.2f}",
    "write_s_median": lambda v: f"write {v:.2f}",
    "read_s_median": lambda v: f"read {v:.2f}",
    "file_mib_median": lambda v: f"file {v:.2f} MiB",
}


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f}%"


def start_note(c: dict[str, Any]) -> str:
    """The MIP start: its objective above the final one, or why there was none."""
    if c.get("size", {}).get("integers", 0) == 0:
        return "LP"
    st, obj = c.get("mip_start_objective"), c.get("objective")
    if st is None:
        return "none found"
    if str(c.get("termination", "")).startswith("within"):
        return "within gap: no B&B"
    if obj:
        return f"{max(0.0, 100 * (st - obj) / abs(obj)):+.1f}%"
    return fmt(st, 0)


def markdown(res: dict[str, Any]) -> str:
    """The results as markdown tables."""
    mc = res["machine"]
    v = mc["versions"]
    L = [
        f"Measured {mc['date']} on {mc['nproc']} cores ({mc['cpu']}, {mc['memory']} RAM), Python {mc['python']}, "
        f"highspy {v['highspy']}, Pyomo {v['pyomo']}, numpy {v['numpy']}, scipy {v['scipy']}; "
        f"planner at commit {mc['git_commit']}{' (planner/ modified)' if mc['planner_dirty'] else ''}. "
        f"HiGHS: {res['args'].get('threads', 1)} thread(s), mip_rel_gap {res['args']['mip_gap']}, MIP start on; synthetic seed {res['args']['seed']}.",
        "",
    ]
    measured = [
        (c["case"], c.get("planner_fingerprint"))
        for c in res["cases"] + res.get("handover_raw", [])
        if c.get("planner_fingerprint")
    ]
    prints = {fp for _, fp in measured}
    end = res.get("machine_end", {})
    if len(prints) > 1:
        L += [
            "**Warning: planner's source changed during this run**; the cases did not all measure the same code: "
            + ", ".join(f"{c} {fp}" for c, fp in measured)
            + ".",
            "",
        ]
    elif prints:
        fp = next(iter(prints))
        state = (
            "as committed"
            if fp == mc.get("planner_fingerprint") and not mc.get("planner_dirty")
            else "working tree"
        )
        L += [
            f"Every case measured the same planner source (fingerprint {fp}, {state} at {mc['git_commit']})."
            + (
                f" planner changed after the run (commit {end.get('git_commit')}, fingerprint {end.get('planner_fingerprint')})."
                if end.get("planner_fingerprint") not in (None, fp)
                else ""
            ),
            "",
        ]
    L += [
        "### Per case (one subprocess each; seconds, MiB)",
        "",
        "| case | size R/S/T/J | columns | rows | integers | nonzeros | load | prepare | build | compile | pass | "
        "MIP start | final MIP | in HiGHS | total | outside HiGHS | peak RSS | status | objective (CNY/yr) | gap | start | limit |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---:|",
    ]
    for c in res["cases"]:
        if c.get("skipped"):
            L.append(f"| {c['case']} | skipped: {c['skipped']} |" + " |" * 20)
            continue
        if c.get("error"):
            L.append(f"| {c['case']} | failed: {c['error'][:80]} |" + " |" * 20)
            continue
        ds, sz = c["data_size"], c["size"]
        size = f"{ds['regions']}/{ds['sites']}/{ds['slices']}/{ds['classes']}"
        share = c["outside_highs_share"]
        L.append(
            f"| {c['case']} | {size} | {fmt(sz.get('columns'))} | {fmt(sz.get('rows'))} | {fmt(sz.get('integers'))} | "
            f"{fmt(sz.get('nonzeros'))} | {fmt(c['load_s'])} | {fmt(c['prepare_s'])} | {fmt(c['build_s'])} | "
            f"{fmt(c['compile_s'])} | {fmt(c['highs_pass_s'])} | {fmt(c['mip_start_s'])} | {fmt(c['final_solve_s'])} | "
            f"{fmt(c['highs_run_s'])} | {fmt(c['total_s'])} | {fmt(c['outside_highs_s'])} ({100 * share:.0f}%) | "
            f"{fmt(c['peak_rss_mib'], 0)} | {c['status']} | {fmt(c['objective'], 0)} | "
            f"{pct(c['gap'])} | {start_note(c)} | {fmt(c['time_limit'], 0)} |"
        )
    ok = [c for c in res["cases"] if not c.get("skipped") and not c.get("error")]
    if ok:
        tot = sum(c["total_s"] for c in ok)
        out = sum(c["outside_highs_s"] for c in ok)
        L += [
            "",
            f"All cases together: {fmt(tot, 1)} s of pipeline time, {fmt(out, 1)} s ({100 * out / tot:.0f}%) outside HiGHS. "
            f"Python start-up and imports (not in *total*): {fmt(min(c['imports_s'] for c in ok))}–"
            f"{fmt(max(c['imports_s'] for c in ok))} s per process.",
        ]
    for h in res.get("handover", []):
        L += [
            "",
            f"### Hand-over of the same built model to HiGHS: case {h['case']} (build {fmt(h['build_s'])} s)",
            "",
            f"Median of {max(p['n'] for p in h['paths'].values())} interleaved runs on one built model; "
            "peak RSS from a separate subprocess per path (build + one hand-over).",
            "",
            "| path | median s | min–max s | ratio to planner | detail (medians) | columns | rows | integers | nonzeros | peak RSS MiB |",
            "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
        ]
        for p, r in h["paths"].items():
            detail = ", ".join(DETAIL[k](val) for k, val in r.items() if k in DETAIL)
            L.append(
                f"| {PATH_LABELS.get(p, p)} | {fmt(r['median_s'])} | {fmt(r['min_s'])}–{fmt(r['max_s'])} | "
                f"{fmt(r['ratio_to_planner'])}× | {detail} | {fmt(r['columns'])} | {fmt(r['rows'])} | {fmt(r['integers'])} | "
                f"{fmt(r['nonzeros'])} | {fmt(r['peak_rss_mib'], 0)} |"
            )
        if h.get("build_only_peak_rss_mib"):
            L.append(
                f"| {PATH_LABELS['build_only']} | | | | | | | | | {fmt(h['build_only_peak_rss_mib'], 0)} |"
            )
    return "\n".join(L) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description="Benchmark planner (build, hand-over, HiGHS, peak memory)."
    )
    p.add_argument(
        "--cases",
        help=f"comma-separated cases: {', '.join(CASES)} or a synthetic size R-S-T-J "
        f"(default: {','.join(DEFAULT_CASES)})",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: tiny + S, hand-over on S once; writes results-quick.*",
    )
    p.add_argument(
        "--repeat", type=int, default=3, help="repetitions of the hand-over comparison (default 3)"
    )
    p.add_argument(
        "--handover",
        help=f"cases for the hand-over comparison (default: {','.join(DEFAULT_HANDOVER)}; 'none' to skip)",
    )
    p.add_argument(
        "--paths",
        default=",".join(PATHS),
        help=f"hand-over paths to compare (default: {','.join(PATHS)})",
    )
    p.add_argument(
        "--no-path-memory", action="store_true", help="skip the per-path peak-memory subprocesses"
    )
    p.add_argument(
        "--time-limit", type=float, help="HiGHS time limit for every case (default: per case)"
    )
    p.add_argument("--mip-gap", type=float, default=0.01, help="relative MIP gap (default 0.01)")
    p.add_argument("--threads", type=int, default=1, help="HiGHS threads (default 1)")
    p.add_argument(
        "--seed", type=int, default=1, help="seed of the synthetic scenarios (default 1)"
    )
    p.add_argument(
        "--render", metavar="JSON", help="only re-write the markdown of an existing results JSON"
    )
    p.add_argument(
        "--out",
        help="output prefix (default benchmarks/results, or benchmarks/results-quick with --quick)",
    )
    # child modes (internal)
    p.add_argument("--child-case", help=argparse.SUPPRESS)
    p.add_argument("--child-handover", help=argparse.SUPPRESS)
    p.add_argument("--child-out", help=argparse.SUPPRESS)
    a = p.parse_args(argv)

    if a.child_case or a.child_handover:
        if a.child_case:
            tl = a.time_limit if a.time_limit is not None else case_spec(a.child_case)["time_limit"]
            data = child_case(a.child_case, tl, a.mip_gap, a.seed, a.threads)
        else:
            data = child_handover(a.child_handover, a.paths.split(","), a.repeat, a.seed)
        Path(a.child_out).write_text(json.dumps(data))
        return 0

    if a.render:
        res = json.loads(Path(a.render).read_text())
        md = markdown(res)
        Path(a.render).with_suffix(".md").write_text(
            f"# Benchmark results\n\n{md}\nWhole run: {res['elapsed_s']:.0f} s.\n"
        )
        print(md)
        return 0

    cases = a.cases.split(",") if a.cases else (QUICK_CASES if a.quick else DEFAULT_CASES)
    handover = a.handover.split(",") if a.handover else (["S"] if a.quick else DEFAULT_HANDOVER)
    handover = [] if handover == ["none"] else handover
    repeat = 1 if a.quick and a.repeat == 3 else a.repeat
    paths = [x for x in a.paths.split(",") if x]
    for x in paths:
        if x not in PATHS:
            raise SystemExit(f"unknown path '{x}': use {', '.join(PATHS)}")
    prefix = Path(a.out) if a.out else HERE / ("results-quick" if a.quick else "results")
    res: dict[str, Any] = {
        "machine": machine(),
        "args": {
            "cases": cases,
            "handover": handover,
            "repeat": repeat,
            "paths": paths,
            "mip_gap": a.mip_gap,
            "seed": a.seed,
            "threads": a.threads,
            "time_limit": a.time_limit,
        },
        "cases": [],
        "handover": [],
    }
    t_all = time.perf_counter()
    for name in cases:
        spec = case_spec(name)
        why = scenario_missing(spec)
        if why:
            print(f"[{name}] skipped: {why}", flush=True)
            res["cases"].append({"case": name, "skipped": why})
            continue
        tl = a.time_limit if a.time_limit is not None else spec["time_limit"]
        print(f"[{name}] running (HiGHS time limit {tl:g} s) ...", flush=True)
        args = [
            "--child-case",
            name,
            "--mip-gap",
            str(a.mip_gap),
            "--seed",
            str(a.seed),
            "--time-limit",
            str(tl),
            "--threads",
            str(a.threads),
        ]
        data, wall, rss, tail = spawn(args, timeout=3 * tl + 600)
        if data is None:
            if "path" in spec and (
                "ScenarioError" in tail or "InfeasibleError" in tail or "Error" in tail
            ):
                msg = tail.strip().splitlines()[-1] if tail.strip() else "failed"
                print(f"[{name}] skipped: it does not load or run yet: {msg}", flush=True)
                res["cases"].append({"case": name, "skipped": f"does not load yet ({msg[:120]})"})
            else:
                print(f"[{name}] FAILED:\n{tail}", flush=True)
                res["cases"].append(
                    {
                        "case": name,
                        "error": tail.strip().splitlines()[-1] if tail.strip() else "failed",
                    }
                )
            continue
        data["wall_s"], data["peak_rss_mib_wait4"] = wall, rss
        res["cases"].append(data)
        print(
            f"[{name}] {data['status']} in {wall:.1f} s wall: build {data['build_s']:.2f} s, compile {data['compile_s']:.2f} s, "
            f"HiGHS {data['highs_run_s']:.2f} s, outside HiGHS {100 * data['outside_highs_share']:.0f}%, "
            f"peak {data['peak_rss_mib']:.0f} MiB",
            flush=True,
        )

    for name in handover:
        spec = case_spec(name)
        if scenario_missing(spec):
            print(f"[hand-over {name}] skipped: {scenario_missing(spec)}", flush=True)
            continue
        print(
            f"[hand-over {name}] {len(paths)} paths × {repeat} on one built model ...", flush=True
        )
        raw, wall, _, tail = spawn(
            [
                "--child-handover",
                name,
                "--paths",
                ",".join(paths),
                "--repeat",
                str(repeat),
                "--seed",
                str(a.seed),
            ],
            timeout=3600,
        )
        if raw is None:
            print(f"[hand-over {name}] FAILED:\n{tail}", flush=True)
            continue
        mem: dict[str, float] = {}
        if not a.no_path_memory:
            for pth in ["build_only", *paths]:
                one, _, rss, tail = spawn(
                    [
                        "--child-handover",
                        name,
                        "--paths",
                        pth,
                        "--repeat",
                        "1",
                        "--seed",
                        str(a.seed),
                    ],
                    timeout=3600,
                )
                if one is not None:
                    mem[pth] = rss
                else:
                    print(f"[hand-over {name}] memory run of {pth} failed:\n{tail}", flush=True)
        res.setdefault("handover_raw", []).append(
            {"case": name, "planner_fingerprint": raw.get("planner_fingerprint")}
        )
        s = summarize_handover(raw, mem)
        res["handover"].append(s)
        print(
            f"[hand-over {name}] done in {wall:.1f} s: "
            + ", ".join(
                f"{q} {r['median_s']:.2f} s ({r['ratio_to_planner']:.2f}×)"
                for q, r in s["paths"].items()
            ),
            flush=True,
        )

    res["elapsed_s"] = time.perf_counter() - t_all
    res["machine_end"] = {
        k: v
        for k, v in machine().items()
        if k in ("date", "git_commit", "planner_dirty", "planner_fingerprint")
    }
    md = markdown(res)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{prefix}.json").write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n")
    Path(f"{prefix}.md").write_text(
        f"# Benchmark results\n\n{md}\nWhole run: {res['elapsed_s']:.0f} s.\n"
    )
    print()
    print(md)
    print(f"whole run {res['elapsed_s']:.0f} s; wrote {prefix}.json and {prefix}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
