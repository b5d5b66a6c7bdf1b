"""Pareto frontiers by the ε-constraint method (docs/model.md §6, "Pareto mode").

Cost against carbon (tCO2/yr) or against energy (MWh/yr):

1. the two extremes, solved together: minimise cost (its carbon is ``C_max``), and minimise
   carbon (``C_min``). The second is then re-solved as "minimise cost subject to carbon ≤
   ``C_min``", so the cheapest of the least-carbon plans is taken;
2. ``points − 2`` interior plans: minimise cost subject to carbon ≤ ``C_k``, with ``C_k`` evenly
   spaced strictly between ``C_min`` and ``C_max``, solved in parallel.

Every plan is solved in its own task (one HiGHS thread each) on a Dask distributed cluster: a
local one by default, an existing one with ``scheduler=ADDRESS``, or in this process with
``workers=1``. Every plan is checked for dominance; a plan that failed (infeasible, no plan within
its time limit, error) is kept with its status.

Example::

    from planner.studies.pareto import pareto
    front = pareto("scenarios/tiny", objectives=("cost", "carbon"), points=6, out="frontier.xlsx")
    front.table[["point", "cost CNY/yr", "carbon tCO2/yr", "dominated"]]
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from ..atomic import check_target, save_workbook
from ..cluster import close, connect
from ..data import prepare
from ..errors import ScenarioError, SolverError
from ..horizon.futures import without_futures
from ..horizon.periods import one_period_only
from ..model import build_model
from ..plan import solver_options
from ..results import Results, extract
from ..scenario import Scenario, load_scenario
from ..solve import solve

log = logging.getLogger(__name__)

#: The second objectives a frontier can trade against cost: KPI name, unit, column name.
SECOND = {
    "carbon": ("carbon", "tCO2/yr", "carbon tCO2/yr"),
    "energy": ("energy", "MWh/yr", "energy MWh/yr"),
}
#: Relative tolerance of the dominance check.
TOL = 1e-6
#: Room given to the least-carbon (or energy) value when the cheapest such plan is sought (relative).
LEX_TOL = 1e-7
#: The cheapest least-carbon plan found is kept when within this (relative) of the least carbon.
LEX_ACCEPT = 1e-4
#: A plan stopped at its time limit further than this from its bound counts as failed.
MAX_GAP = 0.5
#: Price of going over a cap, as a multiple of the least-cost plan's average cost per tCO2 (or MWh).
PENALTY = 1e4
FRONTIER_COLUMNS = [
    "point",
    "plan",
    "cap",
    "cost CNY/yr",
    "carbon tCO2/yr",
    "energy MWh/yr",
    "status",
    "MIP gap",
    "dominated",
    "cap excess",
    "PFLOPS built",
    "PFLOPS installed",
    "sites open",
    "link units built",
    "green share",
    "unserved share",
    "solve s",
    "message",
]


@dataclass
class Frontier:
    """A cost–carbon or cost–energy frontier: one row per plan in ``table``.

    Attributes
    ----------
    scenario
        The scenario's name.
    objectives
        ``("cost", "carbon")`` or ``("cost", "energy")``.
    table
        One row per point, from the cheapest plan (point 1, no cap) to the plan with the least
        carbon or energy (last point): its cap, cost, carbon, energy, status, gap, whether it is
        dominated, and key decisions (PFLOPS built, sites open, link units built, green share).
    decisions
        Modules per site and hardware type (rows) for every point (columns ``point 1`` …).
    results
        The full :class:`planner.Results` of every point (``None`` where it failed).
    seconds
        Wall-clock time of the whole frontier.
    options
        The solver options each plan was solved with.
    """

    scenario: str
    objectives: tuple[str, str]
    table: pd.DataFrame
    decisions: pd.DataFrame
    results: list[Results | None] = field(default_factory=list)
    seconds: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)
    workers: str = ""

    @property
    def second(self) -> str:
        """The objective traded against cost: ``"carbon"`` or ``"energy"``."""
        return self.objectives[1]

    @property
    def second_column(self) -> str:
        return SECOND[self.second][2]

    def write_excel(self, path: str | os.PathLike[str]) -> Path:
        """Write the frontier workbook (Frontier with its chart, Decisions, About), atomically."""
        return write_frontier(self, path)


# ---- one plan (runs in a worker) ---------------------------------------------------------------
def solve_point(
    scenario: Scenario,
    objective: Any,
    cap_on: str | None,
    cap: float | None,
    options: dict[str, Any],
    penalty: float = 0.0,
) -> dict[str, Any]:
    """Solve one plan: minimise ``objective`` subject to ``cap_on ≤ cap`` (if given).

    The cap is elastic: going over it costs ``penalty`` per unit (CNY per tCO2 or per MWh), far
    above any abatement cost, so a plan over its cap is only taken where none meets it. This keeps
    a rounded LP solution usable as HiGHS's first plan (rounding modules up adds idle power, and
    so carbon); the excess is reported.

    A top-level function so that a Dask worker can run it. It never raises: a failed plan comes
    back with its status and message, and ``results`` ``None``.
    """
    t0 = time.perf_counter()
    out: dict[str, Any] = {
        "cap": cap,
        "status": "error",
        "gap": None,
        "results": None,
        "message": "",
        "excess": None,
    }
    try:
        sc = scenario.model_copy(update={"objective": objective})
        data = prepare(sc)
        m = build_model(data)
        if cap is not None:
            expr = m.energy.carbon if cap_on == "carbon" else m.energy.total_mwh
            m.pareto_excess = pyo.Var(domain=pyo.NonNegativeReals)
            m.pareto_cap = pyo.Constraint(expr=expr <= cap + m.pareto_excess)
            m.objective.set_value(m.objective.expr + penalty * m.pareto_excess)
        outcome = solve(m, **options)
        out["status"], out["gap"] = outcome.status, outcome.gap
        if outcome.ok:
            out["results"] = extract(m, data, outcome)
            if cap is not None:
                excess = pyo.value(m.pareto_excess)
                out["excess"] = excess
                if excess > TOL * max(1.0, abs(cap)):
                    unit = SECOND[cap_on][1] if cap_on is not None else ""
                    out["message"] = f"cap missed by {excess:,.6g} {unit}"
        else:
            out["message"] = f"no plan: {outcome.status} (HiGHS: {outcome.termination})"
    except Exception as err:  # a failed point is reported, never fatal for the others
        out["message"] = f"{type(err).__name__}: {err}"
    out["seconds"] = time.perf_counter() - t0
    return out


# ---- running tasks ------------------------------------------------------------------------------
class _Runner:
    """Run :func:`solve_point` calls in this process (``workers=1``) or on a Dask cluster."""

    def __init__(self, workers: int | None, scheduler: str | None, points: int) -> None:
        self.client = self.cluster = None
        if scheduler is None and workers == 1:
            self.describe = "in process (1 worker)"
            return
        n = workers or max(1, min(points, os.cpu_count() or 1))
        self.client, self.cluster = connect(scheduler, n)
        self.describe = (
            f"Dask scheduler {scheduler}"
            if scheduler
            else f"local Dask cluster, {n} worker processes"
        )

    def map(self, calls: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
        if self.client is None:
            return [solve_point(*c) for c in calls]
        futures = [self.client.submit(solve_point, *c, pure=False) for c in calls]
        done: list[dict[str, Any]] = self.client.gather(futures)
        return done

    def close(self) -> None:
        close(self.client, self.cluster)


# ---- the frontier -------------------------------------------------------------------------------
def _parse_objectives(objectives: str | Sequence[str]) -> tuple[str, str]:
    objs = [
        o.strip()
        for o in (objectives.split(",") if isinstance(objectives, str) else objectives)
        if o.strip()
    ]
    if len(objs) != 2 or objs[0] != "cost" or objs[1] not in SECOND:
        raise ScenarioError(
            f"objectives must be cost,carbon or cost,energy (got {','.join(objs) or 'nothing'})"
        )
    return objs[0], objs[1]


def dominated(values: Sequence[tuple[float, float] | None], tol: float = TOL) -> list[bool | None]:
    """For each (cost, second) pair: is another pair ≤ in both and < in one (relative ``tol``)?

    ``None`` entries (failed plans) stay ``None`` and dominate nothing.
    """

    def le(a: float, b: float) -> bool:
        return a <= b + tol * max(1.0, abs(b))

    def lt(a: float, b: float) -> bool:
        return a < b - tol * max(1.0, abs(b))

    out: list[bool | None] = []
    for i, p in enumerate(values):
        if p is None:
            out.append(None)
            continue
        out.append(
            any(
                q is not None
                and j != i
                and le(q[0], p[0])
                and le(q[1], p[1])
                and (lt(q[0], p[0]) or lt(q[1], p[1]))
                for j, q in enumerate(values)
            )
        )
    return out


def pareto(
    scenario: str | Path | Scenario,
    *,
    objectives: str | Sequence[str] = ("cost", "carbon"),
    points: int = 8,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
) -> Frontier:
    """The ε-constraint frontier of cost against carbon or energy (docs/model.md §6).

    Parameters
    ----------
    scenario
        A scenario file or folder, or a loaded :class:`Scenario`.
    objectives
        ``("cost", "carbon")`` (or ``"cost,carbon"``) or ``("cost", "energy")``.
    points
        Plans on the frontier, the two extremes included (≥ 2).
    time_limit, mip_gap
        Per plan; override the scenario's ``solver`` block. Each plan uses one HiGHS thread.
    workers
        Dask worker processes of the local cluster (default: ``min(points, CPUs)``); ``1``
        solves every plan in this process, one after another.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``) to use instead.
    out
        Write the frontier workbook here (atomically).

    Raises
    ------
    ScenarioError
        Invalid scenario, objectives or points.
    SolverError
        One of the two extremes has no plan (so there is no range to span).
    """
    t0 = time.perf_counter()
    first, second = _parse_objectives(objectives)
    if points < 2:
        raise ScenarioError(f"points must be at least 2 (got {points})")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if out is not None:
        check_target(out, sc._inputs, what="frontier workbook")  # before solving
    one_period_only(sc, "a Pareto frontier")
    sc = without_futures(sc, "a Pareto frontier")
    opts = solver_options(sc, time_limit=time_limit, mip_gap=mip_gap, threads=1)
    opts.update(relax=False, duals=False)
    kpi = SECOND[second][0]

    runner = _Runner(workers, scheduler, points)
    try:
        log.info("pareto %s: %d points, cost vs %s, %s", sc.name, points, second, runner.describe)
        cheapest, least = runner.map(
            [(sc, first, None, None, opts), (sc, second, None, None, opts)]
        )
        for label, r in (("least cost", cheapest), (f"least {second}", least)):
            problem = extreme_problem(r, opts)
            if problem:
                raise SolverError(f"pareto {sc.name}: the {label} plan {problem}")
        hi = float(cheapest["results"].kpi(kpi))
        lo = float(least["results"].kpi(kpi))
        lo_cap = lo + LEX_TOL * max(1.0, abs(lo))
        caps = [lo + (hi - lo) * k / (points - 1) for k in range(points - 2, 0, -1)] + [lo_cap]
        penalty = PENALTY * cheapest["results"].total_cost / max(hi, 1.0)
        rest = runner.map([(sc, first, second, c, opts, penalty) for c in caps])
    finally:
        runner.close()

    runs = [cheapest, *rest]
    last = runs[-1]
    if (
        last["results"] is None
        or float(last["results"].kpi(kpi)) > lo * (1 + LEX_ACCEPT) + LEX_TOL
        or last["results"].total_cost > least["results"].total_cost
    ):
        # the cheapest of the least-second plans was not found: keep the plain least-second plan
        least.update(
            cap=lo_cap,
            message=f"least {second} plan (the cheapest such plan was not found: "
            f"{last['message'] or last['status']})",
        )
        runs[-1] = least
    front = _assemble(sc.name, (first, second), runs, opts)
    front.seconds = time.perf_counter() - t0
    front.workers = runner.describe
    if out is not None:
        write_frontier(front, out)
    return front


def extreme_problem(r: dict[str, Any], opts: dict[str, Any]) -> str | None:
    """Why an extreme plan (a :func:`solve_point` record) cannot anchor the caps, or ``None``.

    The caps are spaced between the two extremes, so both must be plans, and within
    :data:`MAX_GAP` of their bounds (a plan further away may be far from the true extreme).
    """
    if r["results"] is None:
        return f"failed ({r['message'] or r['status']}); there is no frontier to span"
    if (r["gap"] or 0.0) > MAX_GAP:
        return (
            f"stopped at the time limit ({opts.get('time_limit')} s) {100 * r['gap']:.0f}% from its bound, so "
            "the frontier has no reliable end to span from: raise time_limit or mip_gap"
        )
    return None


def _assemble(
    name: str, objectives: tuple[str, str], runs: list[dict[str, Any]], opts: dict[str, Any]
) -> Frontier:
    n = len(runs)
    rows: list[dict[str, Any]] = []
    results: list[Results | None] = []
    pairs: list[tuple[float, float] | None] = []
    for i, r in enumerate(runs, start=1):
        res: Results | None = r["results"]
        results.append(res)
        plan = "least cost" if i == 1 else (f"least {objectives[1]}" if i == n else "capped")
        row: dict[str, Any] = {
            "point": i,
            "plan": plan,
            "cap": r["cap"],
            "status": r["status"],
            "MIP gap": r["gap"],
            "solve s": r.get("seconds"),
            "message": r["message"],
            "cap excess": r.get("excess"),
        }
        if res is not None and (r["gap"] or 0.0) > MAX_GAP:
            row["message"] = (
                f"stopped at the time limit {100 * r['gap']:.0f}% from the bound: not a frontier plan "
                "(raise the time limit)"
            )
            res = results[-1] = None
        if res is not None:
            row.update(
                {
                    "cost CNY/yr": res.total_cost,
                    "carbon tCO2/yr": float(res.kpi("carbon")),
                    "energy MWh/yr": float(res.kpi("energy")),
                    "PFLOPS built": float(res.kpi("PFLOPS built (new)")),
                    "PFLOPS installed": float(res.kpi("PFLOPS installed")),
                    "sites open": int(res.kpi("sites open")),
                    "link units built": int(res.kpi("link units built")),
                    "green share": float(res.kpi("green share")),
                    "unserved share": float(res.kpi("unserved share")),
                }
            )
            pairs.append((row["cost CNY/yr"], row[SECOND[objectives[1]][2]]))
        else:
            pairs.append(None)
        rows.append(row)
    for row, dom in zip(rows, dominated(pairs)):
        row["dominated"] = "failed" if dom is None else ("dominated" if dom else "non-dominated")
    table = pd.DataFrame(rows, columns=FRONTIER_COLUMNS)
    table["cap"] = table["cap"].astype(float)

    frames = []
    for i, res in enumerate(results, start=1):
        if res is None or res.hardware.empty:
            continue
        frames.append(res.hardware[["site", "hardware", "modules"]].assign(point=f"point {i}"))
    if frames:
        long = pd.concat(frames, ignore_index=True)
        decisions = (
            long.pivot_table(
                index=["site", "hardware"],
                columns="point",
                values="modules",
                aggfunc="sum",
                fill_value=0,
            )
            .reindex(columns=[f"point {i}" for i in range(1, n + 1)], fill_value=0)
            .reset_index()
        )
        decisions.columns.name = None
    else:
        decisions = pd.DataFrame(columns=["site", "hardware"])
    return Frontier(
        scenario=name,
        objectives=objectives,
        table=table,
        decisions=decisions,
        results=results,
        options=opts,
    )


# ---- the workbook -------------------------------------------------------------------------------
def build_frontier_workbook(front: Frontier) -> Any:
    """The frontier workbook in memory: Frontier (table and chart), Decisions, About."""
    from openpyxl import Workbook
    from openpyxl.chart import Reference, ScatterChart, Series

    from ..report.style import first_sheet, fit_widths, put, write_frame

    second_col = front.second_column
    wb = Workbook()
    ws = first_sheet(wb)
    ws.title = "Frontier"
    table = front.table.copy()
    table = table.rename(columns={"cap": f"cap {SECOND[front.second][1].replace('/yr', '')}/yr"})
    formats = {
        "cost CNY/yr": "#,##0",
        "carbon tCO2/yr": "#,##0.0",
        "energy MWh/yr": "#,##0.0",
        "MIP gap": "0.00%",
        "PFLOPS built": "#,##0.0",
        "PFLOPS installed": "#,##0.0",
        "sites open": "0",
        "link units built": "0",
        "green share": "0.0%",
        "unserved share": "0.00%",
        "solve s": "0.0",
        "cap excess": "#,##0.0",
        table.columns[2]: "#,##0.0",
    }
    last = write_frame(ws, table, formats=formats, table_name="Frontier")
    ws.freeze_panes = "A2"

    cols = list(table.columns)
    x_col, y_col = cols.index(second_col) + 1, cols.index("cost CNY/yr") + 1
    ch = ScatterChart()
    ch.title = f"Cost–{front.second} frontier ({front.scenario})"
    ch.style = 13
    ch.x_axis.title = second_col
    ch.y_axis.title = "cost CNY/yr"
    xs = Reference(ws, min_col=x_col, min_row=2, max_row=last)
    ys = Reference(ws, min_col=y_col, min_row=2, max_row=last)
    s = Series(ys, xs, title="plans (point 1 = least cost)")
    s.marker.symbol = "circle"
    s.marker.size = 7
    s.smooth = False
    ch.series.append(s)
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    ch.width, ch.height = 20, 11
    ws.add_chart(ch, f"A{last + 3}")
    fit_widths(ws)

    wd = wb.create_sheet("Decisions")
    write_frame(
        wd,
        front.decisions,
        default_format="0",
        table_name="Decisions",
        empty_note="no modules in any plan",
    )
    wd.freeze_panes = "C2"
    fit_widths(wd)

    wa = wb.create_sheet("About")
    about = [
        ("scenario", front.scenario),
        ("objectives", ", ".join(front.objectives)),
        (
            "method",
            f"ε-constraint: minimise cost subject to {front.second} ≤ cap; caps evenly spaced between the "
            f"least-{front.second} and least-cost plans",
        ),
        ("points", len(front.table)),
        ("ran on", front.workers),
        ("wall clock s", round(front.seconds, 2)),
        ("solver options per plan", str(front.options)),
        (
            "dominated",
            f"another plan is ≤ in cost and {front.second} and < in one (relative tolerance {TOL:g})",
        ),
    ]
    for i, (k, v) in enumerate(about, start=1):
        put(wa, i, 1, k)
        put(wa, i, 2, v)
    fit_widths(wa)
    return wb


def write_frontier(front: Frontier, path: str | os.PathLike[str]) -> Path:
    """Write the frontier workbook to ``path`` atomically (a temporary file, then a rename)."""
    target = Path(path)
    wb = build_frontier_workbook(front)
    save_workbook(wb, target)
    log.info("frontier written: %s", target)
    return target
