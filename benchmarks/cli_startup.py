"""CLI start-up: CPU seconds of ``planner --help``, ``planner validate`` and ``import planner``.

Usage (from the project root, venv active)::

    python benchmarks/cli_startup.py                    # 7 repeats; writes benchmarks/cli_startup.md
    python benchmarks/cli_startup.py --repeat 11 --root /tmp/old-checkout --out /tmp/old.md

Each command runs in a fresh ``python`` process (``python -m planner.cli …``) with ``--root`` first
on ``PYTHONPATH``, so another checkout (an older commit) is measured the same way. The figure is
the child's user + system CPU time (``resource.getrusage(RUSAGE_CHILDREN)``), which a busy machine
changes little, unlike wall time; the median of the repeats is reported, with the wall median
beside it. The goals (issue 15): ``--help`` under 0.5 CPU-s, ``validate scenarios/tiny`` under 2.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMANDS: list[tuple[str, list[str]]] = [
    ("planner --help", ["-m", "planner.cli", "--help"]),
    ("planner run --help", ["-m", "planner.cli", "run", "--help"]),
    ("planner validate scenarios/tiny", ["-m", "planner.cli", "validate", "scenarios/tiny"]),
    ("planner validate scenarios/china", ["-m", "planner.cli", "validate", "scenarios/china"]),
    ("python -c 'import planner'", ["-c", "import planner"]),
]


def measure(args: list[str], root: Path, repeat: int) -> tuple[float, float, int]:
    """Median CPU seconds and wall seconds of ``python ARGS`` over ``repeat`` runs, and its exit code."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
    }
    cpu, wall, code = [], [], 0
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(
            [sys.executable, *args],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        wall.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        code = code or p.returncode
    return statistics.median(cpu), statistics.median(wall), code


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument(
        "--root", type=Path, default=ROOT, help="checkout to measure [default: this one]"
    )
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "cli_startup.md")
    ap.add_argument("--note", default="", help="what else the machine was doing")
    a = ap.parse_args()
    rows = []
    for label, args in COMMANDS:
        cpu, wall, code = measure(args, a.root.resolve(), a.repeat)
        rows.append(f"| `{label}` | {cpu:.2f} | {wall:.2f} | {code} |")
        print(f"{label:38s} CPU {cpu:6.2f} s   wall {wall:6.2f} s   exit {code}")  # noqa: T201
    load = os.getloadavg()
    text = "\n".join(
        [
            "# CLI start-up (benchmarks/cli_startup.py)",
            "",
            f"Measured {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.node()} "
            f"({os.cpu_count()} cores, Python {platform.python_version()}), checkout `{a.root}`; "
            f"median of {a.repeat} fresh processes each; load average at the end {load[0]:.2f} / {load[1]:.2f}."
            + (f" {a.note}" if a.note else ""),
            "",
            "| command | CPU s (median) | wall s (median) | exit |",
            "|---|---:|---:|---:|",
            *rows,
            "",
        ]
    )
    a.out.write_text(text, encoding="utf-8")
    print(f"wrote {a.out}")  # noqa: T201


if __name__ == "__main__":
    main()
