"""Time and peak memory to reject each kind of hostile input (``planner validate``, one process each).

Usage: ``python benchmarks/hostile_input.py [--out benchmarks/hostile_input.json]``

Every case of ``tests/hostile.py`` (and the two workbook cases at the sizes the issue reported:
20,000 × 200 cells, 100,010 rows) is generated in a temporary folder and validated by the real
CLI in its own process; wall-clock time and peak resident memory (``ru_maxrss`` of the child)
are printed per case, with the input's size on disk (apparent size: sparse files count whole).
The goal (issue 14): no input under 1 MB takes more than 10 s or 500 MB to reject.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import hostile  # noqa: E402


def _size(folder: Path) -> int:
    total = 0
    for p in folder.rglob("*"):
        try:
            if p.is_file() and not p.is_symlink():
                total += p.stat().st_size
            elif p.is_symlink() and p.is_file():
                total += p.stat().st_size
        except OSError:
            pass
    return total


def measure(name: str, make: hostile.Maker) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path = make(Path(tmp))
        size = _size(path)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        err_path = Path(tmp) / "stderr.txt"
        with open(err_path, "w") as err:
            t0 = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-m", "planner.cli", "validate", str(path)],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
            )
            _, status, usage = os.wait4(child.pid, 0)  # this child's own peak resident memory
            seconds = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        stderr = err_path.read_text()
    first = next(
        (line.strip() for line in stderr.splitlines() if line.strip().startswith("- ")),
        stderr.strip()[:120],
    )
    return {
        "case": name,
        "input MB": round(size / 1024**2, 3),
        "exit": child.returncode,
        "seconds": round(seconds, 2),
        "peak MB": round(usage.ru_maxrss / 1024, 1),
        "message": first[:140],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="also write the rows as JSON here")
    args = ap.parse_args()
    cases = {name: make for name, (_, make, _) in sorted(hostile.CASES.items())}
    cases["workbook-cells-20000x200"] = lambda f: hostile.workbook_too_many_cells(f, rows=20_000)

    def rows_100k(f: Path) -> Path:
        import openpyxl

        sc = hostile.tiny_copy(f)
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("sites")
        ws.append(["name", "region", "pue", "price_mwh", "grid_tco2_mwh", "max_it_mw"])
        ws.append(["", "", "-", "CNY/MWh", "tCO2/MWh", "MW"])
        ws.append(["what", "", "", "", "", ""])
        for i in range(100_010):
            ws.append([f"s{i}", "east", 1.2, 300, 0.5, 10])
        wb.save(sc / "inputs.xlsx")
        text = (
            (hostile.TINY / "scenario.yaml")
            .read_text()
            .replace("sites: sites.csv", "sites: inputs.xlsx")
        )
        (sc / "scenario.yaml").write_text(text)
        return sc

    cases["workbook-100010-rows-6-columns"] = rows_100k
    rows = []
    print(f"{'case':<32} {'input MB':>9} {'exit':>4} {'s':>6} {'peak MB':>8}  message")
    for name, make in cases.items():
        r = measure(name, make)
        rows.append(r)
        print(
            f"{r['case']:<32} {r['input MB']:>9.3f} {r['exit']:>4} {r['seconds']:>6.2f} {r['peak MB']:>8.0f}  {r['message']}",
            flush=True,
        )
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
