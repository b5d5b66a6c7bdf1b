"""The comparison workbook of several runs (a sweep's members, or any run folders with ``results.json``).

Sheets: **Runs** (one row per run: parameters and KPIs), **Differences** (each KPI less the base
run's, and in %), **Charts** (each headline KPI against each swept numeric parameter, as native
Excel scatter charts over the data beside them). Written atomically.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series

from ..atomic import check_target, save_workbook
from ..errors import near_miss
from ..report.style import first_sheet, fit_widths, put, write_frame

log = logging.getLogger(__name__)

#: KPIs charted against each parameter (and shown first), as named in ``Results.summary``.
HEADLINE = ("total cost", "PFLOPS built (new)", "carbon", "energy")
FIXED = ("run", "status", "variants")
#: The files a run folder holds: a finished plan's results, or a failed run's error.
RESULTS, ERROR = "results.json", "error.json"


def _is_run(d: Path) -> bool:
    return (d / RESULTS).is_file() or (d / ERROR).is_file()


def find_runs(paths: Sequence[str | Path]) -> list[Path]:
    """Run folders among ``paths``: a folder with ``results.json`` (or a failed run's ``error.json``),
    or its subfolders that have one."""
    out: list[Path] = []
    for p in map(Path, paths):
        if _is_run(p):
            out.append(p)
        elif p.is_dir():
            out += sorted(q for q in p.iterdir() if q.is_dir() and _is_run(q))
    return out


def _param_value(v: Any) -> Any:
    """``"*1.2"`` → 1.2 (a multiplier); numbers stay numbers; anything else as text."""
    if isinstance(v, str) and v.strip().startswith("*"):
        try:
            return float(v.strip()[1:])
        except ValueError:
            return v
    return v


def collect(
    paths: Sequence[str | Path],
) -> tuple[pd.DataFrame, list[str], list[str], dict[str, str]]:
    """(runs table, parameter columns, KPI columns, KPI units) from the runs' ``results.json``.

    A failed run (``error.json``, no ``results.json``) is a row with status ``failed``, its error in
    the ``error`` column and no KPIs.
    """
    rows: list[dict[str, Any]] = []
    params: list[str] = []
    kpis: list[str] = []
    units: dict[str, str] = {}
    for d in find_runs(paths):
        done = (d / RESULTS).is_file()
        rec = json.loads((d / (RESULTS if done else ERROR)).read_text(encoding="utf-8"))
        row: dict[str, Any] = {
            "run": rec.get("id") or d.name,
            "status": rec.get("status", "") if done else "failed",
            "variants": ", ".join(rec.get("variants") or []),
            "error": "" if done else str(rec.get("error") or "failed (no message)"),
        }
        for p, v in (rec.get("parameters") or {}).items():
            col = f"{p} (×)" if isinstance(v, str) and v.strip().startswith("*") else p
            row[col] = _param_value(v)
            if col not in params:
                params.append(col)
        for k, v in (rec.get("kpis") or {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                row[k] = float(v)
                if k not in kpis:
                    kpis.append(k)
                units.setdefault(k, (rec.get("units") or {}).get(k, ""))
        row["seconds"] = rec.get("seconds")
        rows.append(row)
    kpis = [k for k in HEADLINE if k in kpis] + [k for k in kpis if k not in HEADLINE]
    df = pd.DataFrame(rows, columns=[*FIXED, *params, *kpis, "seconds", "error"])
    return df, params, kpis, units


def _header(units: dict[str, str]) -> Any:
    return lambda c: f"{c} ({units[c]})" if units.get(c) and units[c] not in ("", "-") else c


def write_comparison(
    paths: Sequence[str | Path],
    out: str | Path,
    *,
    base: str | None = None,
    swept: Sequence[str] | None = None,
) -> Path:
    """Write the comparison workbook of the runs in ``paths`` to ``out`` (atomically); return it.

    Parameters
    ----------
    paths
        Run folders (each with ``results.json``) or folders of run folders (a sweep's ``out``).
    out
        The ``.xlsx`` to write.
    base
        The run the differences are taken to [default: the first run].
    swept
        Parameters to chart KPIs against [default: every parameter whose value varies].

    Raises
    ------
    ValueError
        No run found, no run has a plan, or ``base`` is not one of the runs or has no plan.
    """
    check_target(
        out,
        [q for d in find_runs(paths) for q in (d / RESULTS, d / ERROR, d / "report.xlsx")],
        what="comparison workbook",
    )
    df, params, kpis, units = collect(paths)
    if df.empty:
        raise ValueError(f"no run folders with results.json in {', '.join(map(str, paths))}")
    failed = df[df["status"] == "failed"]
    planned = df[df["status"] != "failed"]
    if planned.empty:
        first = failed.iloc[0]
        raise ValueError(
            f"none of the {len(df)} runs has a plan to compare (run {first['run']}: {first['error']})"
        )
    base = base or str(planned["run"].iloc[0])
    if base not in set(df["run"]):
        raise ValueError(f"base run '{base}' is not among the runs{near_miss(base, df['run'])}")
    if base in set(failed["run"]):
        raise ValueError(
            f"base run '{base}' failed, so it has no KPIs to take differences to "
            f"({failed.loc[failed['run'] == base, 'error'].iloc[0]}); choose another --base"
        )
    hdr = _header(units)
    wb = Workbook()
    ws = first_sheet(wb)
    ws.title = "Runs"
    note = (
        f"; {len(failed)} failed (no plan, see the error column): {', '.join(failed['run'])}"
        if len(failed)
        else ""
    )
    put(ws, 1, 1, f"{len(df)} runs; base run for the differences: {base}{note}")
    write_frame(ws, df, row=3, table_name="T_runs", header=hdr)
    ws.freeze_panes = "B4"
    fit_widths(ws, min_row=3)

    b = df.loc[df["run"] == base].iloc[0]
    diff = df[[*FIXED, *params]].copy()
    for k in kpis:
        diff[f"Δ {k}"] = df[k] - b[k]
        diff[f"Δ% {k}"] = (
            (df[k] - b[k]) / abs(b[k]) if b[k] not in (0, None) and pd.notna(b[k]) else None
        )
    ws2 = wb.create_sheet("Differences")
    put(ws2, 1, 1, f"each KPI less the base run's ({base}); Δ% relative to it")
    fmts = {c: "0.0%" for c in diff.columns if c.startswith("Δ% ")}
    write_frame(
        ws2,
        diff,
        row=3,
        table_name="T_differences",
        formats=fmts,
        header=lambda c: hdr(c[2:]).join(["Δ ", ""]) if c.startswith("Δ ") else c,
    )
    ws2.freeze_panes = "B4"
    fit_widths(ws2, min_row=3)

    cols = [c for c in params if (swept is None or c.removesuffix(" (×)") in swept)]

    def numeric(c: str) -> pd.Series:
        given = df[c].dropna()
        return pd.to_numeric(given, errors="coerce")

    cols = [c for c in cols if numeric(c).notna().all() and numeric(c).nunique() > 1]
    ws3 = wb.create_sheet("Charts")
    charted = [k for k in HEADLINE if k in kpis] or kpis[:4]
    if not cols or not charted:
        put(ws3, 1, 1, "no numeric parameter varies between the runs: nothing to chart")
    row = 1
    for c in cols:
        block = planned.loc[planned[c].notna(), [c, *charted]].sort_values(c).reset_index(drop=True)
        put(ws3, row, 1, f"KPIs against {c}")
        last = write_frame(ws3, block, row=row + 1, header=hdr)
        for j, k in enumerate(charted):
            ch = ScatterChart()
            ch.title = f"{k} vs {c}"
            ch.style = 13
            ch.x_axis.title = c
            ch.y_axis.title = hdr(k)
            ch.x_axis.delete = False
            ch.y_axis.delete = False
            ch.legend = None
            xs = Reference(ws3, min_col=1, min_row=row + 2, max_row=last)
            ys = Reference(ws3, min_col=2 + j, min_row=row + 1, max_row=last)
            s = Series(ys, xs, title_from_data=True)
            s.marker.symbol = "circle"
            s.marker.size = 7
            s.graphicalProperties.line.noFill = True
            ch.series.append(s)
            ch.width, ch.height = 12, 7.5
            ws3.add_chart(
                ch, f"{chr(ord('A') + len(charted) + 2 + 8 * (j % 2))}{row + 16 * (j // 2)}"
            )
        row = max(last, row + 32) + 3
    fit_widths(ws3)

    target = Path(out)
    save_workbook(wb, target)
    log.info("comparison written: %s (%d runs, %d failed)", target, len(df), len(failed))
    return target
