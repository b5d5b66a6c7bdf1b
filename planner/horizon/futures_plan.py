"""Plan a scenario with demand futures: the stochastic plan, its per-future tables, VSS and EVPI.

Steps (docs/model.md §10, "Demand futures"):

1. when the measure is ``regret`` or ``risk.perfect_information`` is on, each future is planned
   alone (perfect information): ``cost*[f]``, and the wait-and-see cost ``WS = Σ_f π_f cost*[f]``;
2. the stochastic plan (:func:`planner.model.futures.build_futures_model`): objective ``RP``;
3. with ``risk.value_of_information``: the plan for the expected demand (one deterministic plan), whose
   investments are fixed in the futures model and its operation re-solved in every future:
   objective ``EEV``. The value of the stochastic solution is ``VSS = EEV − RP`` (≥ 0: the
   stochastic plan is optimal for that objective) and the expected value of perfect information
   ``EVPI = E[cost of the stochastic plan] − WS`` (≥ 0).

The results: every plan table gains a ``future`` column; costs give each future's terms, its
probability and the expected CNY (their sum is the expected cost); extra tables ``Futures`` (per
future: cost, demand, served, installed, idle PFLOPS·h, utilisation, unserved, energy, and the
other plans' costs), ``Idle compute`` (per site: installed PFLOPS and, per future and expected,
served and idle PFLOPS·h) and ``Value of information``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from ..data import PlanningData
from ..errors import InfeasibleError, ScenarioError, SolverError
from ..model.futures import build_futures_model
from ..plan import plan_one as plan_one_period
from ..results import HOURS, Results, extract, input_tables, outcome_kpis
from ..scenario import Scenario
from ..solve import SolveOutcome, solve
from ..studies.announced import (
    baseline_investments,
    compare,
    compare_periods,
    module_stats,
    site_table,
)
from .futures import FuturesData, expected_scenario, future_scenario, prepare_futures
from .periods import MultiPeriodData
from .planning import combine, plan_periods
from .stack import for_block, future_weights, stack

log = logging.getLogger(__name__)

MEASURE_LABEL = {
    "expected": "expected cost",
    "cvar": "CVaR of the cost at level {level:g}",
    "regret": "largest regret",
}


def measure_label(sc: Scenario) -> str:
    """The objective in words, e.g. ``0.5 × expected cost + 0.5 × CVaR of the cost at level 0.9``."""
    r = sc.risk
    risk = MEASURE_LABEL[r.measure].format(level=r.level)
    if r.measure == "expected" or r.weight == 0:
        return "expected cost"
    if r.weight == 1:
        return risk
    return f"{1 - r.weight:g} × expected cost + {r.weight:g} × {risk}"


def plan_one(sc: Scenario, opts: dict[str, Any]) -> Results:
    """Plan a scenario without futures (one period or several) and return its results."""
    if sc.periods:
        return plan_periods(sc, opts)
    return plan_one_period(sc, opts)


def _objective(plan: Results | SolveOutcome) -> float:
    """The objective value of a plan (or of a solve) that has one."""
    outcome = plan.outcome if isinstance(plan, Results) else plan
    if outcome is None or outcome.objective is None:
        raise SolverError("a plan without an objective value (the solve found no plan)")
    return float(outcome.objective)


def investments(res: Results, multi_period: bool) -> dict[str, dict[Any, float]]:
    """The investments of a solved plan, keyed as :func:`planner.model.futures.fix_investments` wants."""
    out: dict[str, dict[Any, float]] = {"open": {}, "modules": {}, "units": {}, "build": {}}
    if multi_period:
        for r in res.sites.to_dict("records"):
            out["open"][r["site"], int(r["period"])] = int(bool(r["open"]))
        for r in res.links.to_dict("records"):
            out["units"][r["link"], int(r["period"])] = int(r["units"])
        for r in res.extra_tables["Build schedule"].to_dict("records"):
            out["build"][r["site"], r["hardware"], int(r["period"])] = int(r["bought modules"])
        return out
    for r in res.sites.to_dict("records"):
        out["open"][r["site"]] = int(bool(r["open"]))
    for r in res.hardware.to_dict("records"):
        out["modules"][r["site"], r["hardware"]] = int(r["modules"])
    for r in res.links.to_dict("records"):
        out["units"][r["link"]] = int(r["units"])
    return out


def _solve(
    m: pyo.ConcreteModel,
    sc: Scenario,
    opts: dict[str, Any],
    log_solver: bool,
    what: str,
    duals: bool = False,
) -> SolveOutcome:
    outcome = solve(m, log_solver=log_solver, duals=duals, **opts)
    if outcome.ok:
        if outcome.status == "feasible":
            log.warning(
                "%s (%s): stopped at the time limit with a feasible plan, gap %.2f%%",
                sc.name,
                what,
                100 * (outcome.gap or 0),
            )
        return outcome
    if outcome.status in ("infeasible", "infeasible_or_unbounded"):
        raise InfeasibleError(
            f"scenario '{sc.name}' ({what}) has no feasible plan: each future alone has one (or is explained "
            "above); investments shared by all futures cannot meet the hard targets of every future "
            "(a min_utilisation target in a low future, a budget against a high one)"
        )
    raise SolverError(
        f"scenario '{sc.name}' ({what}): no plan found (HiGHS: {outcome.termination}); "
        f"raise solver.time_limit ({opts.get('time_limit')} s) or relax mip_gap"
    )


def plan_futures(
    sc: Scenario,
    opts: dict[str, Any],
    *,
    log_solver: bool = False,
    isolated: bool = False,
    decomposed: dict[str, Any] | None = None,
) -> Results:
    """Solve ``sc`` over its demand futures and return the combined :class:`Results` (see module docs).

    ``isolated``: the baseline of docs/model.md §8 in every future (no VSS, EVPI or announced baseline).
    ``decomposed`` (workers, scheduler, on_iteration): the stochastic plan is solved by Benders
    with one subproblem per future and day on Dask (docs/model.md §11) and the report gets an
    Iterations sheet; the other plans (each future alone, the expected-demand plan and its
    evaluation, the announced baseline) are solved whole.
    """
    if not sc.futures and not sc.announced:
        raise ScenarioError(f"scenario '{sc.name}' has no futures table")
    t0 = time.perf_counter()
    risk = sc.risk
    if isolated and (
        sc.announced
        or risk.value_of_information
        or risk.perfect_information
        or risk.measure == "regret"
    ):
        sc = sc.model_copy(
            update={
                "announced": (),
                "risk": risk.model_copy(
                    update={
                        "value_of_information": False,
                        "perfect_information": False,
                        "measure": "expected" if risk.measure == "regret" else risk.measure,
                    }
                ),
            }
        )
        if risk.measure == "regret":
            log.warning(
                "%s: the isolated plan minimises the expected cost (regret needs each future planned alone)",
                sc.name,
            )
        risk = sc.risk
    fd = prepare_futures(sc, isolated=isolated)
    alone: dict[str, Results] = {}
    if sc.futures and (risk.measure == "regret" or risk.perfect_information):
        for f in fd.names:
            try:
                alone[f] = plan_one(future_scenario(sc, f), opts)
            except InfeasibleError as err:
                raise InfeasibleError(f"future '{f}' alone has no feasible plan:\n{err}") from err
    best = {f: _objective(r) for f, r in alone.items()} if alone else None
    if decomposed is not None:
        m, outcome, dec = _solve_decomposed(fd, sc, opts, best, decomposed)
    else:
        m = build_futures_model(
            fd, measure=risk.measure, level=risk.level, weight=risk.weight, best=best
        )
        outcome = _solve(m, sc, opts, log_solver, "stochastic plan", duals=True)
    res = combine_futures(fd, m, outcome)
    if decomposed is not None:
        res.extra_tables["Iterations"] = dec.table()
        res.extras["decomposed"] = {
            "subproblems": dec.subproblems,
            "workers": dec.workers,
            "iterations": len(dec.iterations),
            "rebuilt": dec.rebuilt,
        }
    if best is not None:
        res.extras["cost planned alone"] = best
        add_regret(res, fd, m, best)
    add_stranded(res, module_stats(m, fd, sc.baseline.stranded_below))
    if sc.futures and risk.value_of_information:
        ev = plan_one(expected_scenario(sc), opts)
        fixed = investments(ev, fd.multi_period)
        m_ev = build_futures_model(
            fd, measure=risk.measure, level=risk.level, weight=risk.weight, best=best, fixed=fixed
        )
        out_ev = _solve(m_ev, sc, opts, log_solver, "expected-demand plan on every future")
        add_value_of_information(res, fd, m, outcome, m_ev, out_ev, ev, best)
    if sc.announced:
        add_announced_baseline(res, fd, sc, opts, log_solver, best)
    res.metadata["plan time s"] = round(time.perf_counter() - t0, 3)
    return res


def _solve_decomposed(
    fd: FuturesData,
    sc: Scenario,
    opts: dict[str, Any],
    best: dict[str, float] | None,
    how: dict[str, Any],
) -> tuple[pyo.ConcreteModel, SolveOutcome, Any]:
    """The stochastic plan by the decomposed method: the assembled futures model, its outcome, the run."""
    from ..decomposed import assemble_futures, solve_decomposed_futures

    risk = sc.risk
    others = [
        what
        for what, on in (
            ("each future planned alone", best is not None),
            ("the expected-demand plan and its evaluation (VSS)", risk.value_of_information),
            ("the announced baseline", bool(sc.announced)),
        )
        if on
    ]
    if others:
        log.info(
            "%s: the stochastic plan is decomposed; %s solved whole", sc.name, ", ".join(others)
        )
    dec = solve_decomposed_futures(
        fd,
        measure=risk.measure,
        level=risk.level,
        weight=risk.weight,
        best=best,
        time_limit=opts["time_limit"],
        mip_gap=opts["mip_gap"],
        days_per_group=sc.solver.subproblem_days,
        **how,
    )
    m, outcome = assemble_futures(
        fd,
        dec,
        measure=risk.measure,
        level=risk.level,
        weight=risk.weight,
        best=best,
        options=opts,
    )
    limit = float(opts.get("max_plan_gap", 0.1))
    if outcome.gap is not None and outcome.gap > limit:
        raise SolverError(
            f"scenario '{sc.name}' (stochastic plan, decomposed): the best plan found within "
            f"{opts.get('time_limit')} s is {100 * outcome.gap:.1f}% from its bound, more than "
            f"solver.max_plan_gap ({100 * limit:.0f}%), so it is not reported as a plan "
            f"({outcome.termination}); raise solver.time_limit, or raise solver.max_plan_gap to accept it."
        )
    if outcome.status == "feasible":
        log.warning(
            "%s (stochastic plan, decomposed): stopped (%s) with a plan %.2f%% from its bound",
            sc.name,
            dec.termination,
            100 * (outcome.gap or 0),
        )
    return m, outcome, dec


def add_stranded(res: Results, stats: pd.DataFrame) -> None:
    """Stranded modules and capital per site in the ``Idle compute`` table (see :mod:`planner.announced`)."""
    idle = res.extra_tables["Idle compute"]
    keys = ["period", "site"] if "period" in stats.columns else ["site"]
    st = stats.groupby(keys)[["stranded modules", "stranded capital CNY"]].sum()
    at = pd.MultiIndex.from_frame(idle[keys]) if len(idle) and len(keys) > 1 else idle.get("site")
    for c in ("stranded modules", "stranded capital CNY"):
        idle[c] = (
            pd.Series(st[c].reindex(at).to_numpy(), index=idle.index).fillna(0.0)
            if len(idle)
            else []
        )
    res.extras["module stats"] = stats


def add_announced_baseline(
    res: Results,
    fd: FuturesData,
    sc: Scenario,
    opts: dict[str, Any],
    log_solver: bool,
    best: dict[str, float] | None,
) -> None:
    """Solve the announced baseline on every future and add the side-by-side tables (:mod:`planner.announced`)."""
    r = sc.risk
    fixed = baseline_investments(sc, fd)  # with periods it raises the bounds itself
    for d in fd.data.values() if not fd.multi_period else ():
        # announced modules beyond the demand-based bound M[s,h] (built last: earlier models keep theirs)
        assert isinstance(d, PlanningData)
        for k, n in fixed["modules"].items():
            d.module_bound[k] = max(d.module_bound[k], round(n))
    if sc.baseline.top_up:
        m_b = build_futures_model(
            fd, measure=r.measure, level=r.level, weight=r.weight, best=best, floor=fixed
        )
    else:
        m_b = build_futures_model(
            fd, measure=r.measure, level=r.level, weight=r.weight, best=best, fixed=fixed
        )
    out_b = _solve(m_b, sc, opts, log_solver, "announced baseline")
    base = combine_futures(fd, m_b, out_b)
    stats_b = module_stats(m_b, fd, sc.baseline.stranded_below)
    add_stranded(base, stats_b)
    plans: dict[str, dict[str, Any]] = {}
    for label, rr, stats in (
        ("coordinated", res, res.extras["module stats"]),
        ("announced", base, stats_b),
    ):
        plans[label] = (
            _period_plan(rr, stats, sc, fd)
            if fd.multi_period
            else {
                "cost": _objective(rr),
                "sites": site_table(rr.extra_tables["Idle compute"], stats, sc),
                "unserved share": float(rr.kpi("unserved share")),
            }
        )
    if fd.multi_period:
        years = list(plans["coordinated"]["period cost"])
        tables = compare_periods(plans["coordinated"], plans["announced"], sc, years)
    else:
        tables = compare(plans["coordinated"], plans["announced"], sc)
    res.extra_tables.update(tables)
    res.extras["announced baseline"] = base
    diff = tables["Announced vs coordinated"]
    if (
        fd.multi_period
    ):  # the headline: the whole horizon's cost; idle and stranded of the last period
        last = diff[diff["period"] == diff["period"].iloc[-2]]
        diff = pd.concat([last[last["quantity"] != "expected cost"], diff.iloc[-1:]])
        diff = diff.replace(
            {"quantity": {"expected cost (all periods, discounted)": "expected cost"}}
        )
    d = diff.set_index("quantity")["difference (announced − coordinated)"]
    at = int(res.summary.index[res.summary["kpi"] == "carbon"][0]) + 1
    unit = res.summary.set_index("kpi").loc["total cost", "unit"]
    extra = pd.DataFrame(
        [
            ("announced baseline: extra cost", float(d["expected cost"]), unit),
            ("announced baseline: extra idle PFLOPS", float(d["idle PFLOPS (average)"]), "PFLOPS"),
            ("announced baseline: extra stranded capital", float(d["stranded capital CNY"]), "CNY"),
        ],
        columns=["kpi", "value", "unit"],
    )
    res.summary = pd.concat(
        [res.summary.iloc[:at], extra, res.summary.iloc[at:]], ignore_index=True
    )


def _period_plan(rr: Results, stats: pd.DataFrame, sc: Scenario, fd: FuturesData) -> dict[str, Any]:
    """One plan over periods for :func:`planner.studies.announced.compare_periods`: its objective,
    and per period its expected cost (CNY/yr), site table and expected unserved share."""
    idle = rr.extra_tables["Idle compute"]
    fut = rr.extra_tables["Futures"]
    costs = rr.costs
    out: dict[str, Any] = {
        "cost": _objective(rr),
        "period cost": {},
        "sites": {},
        "unserved share": {},
    }
    md = fd.data[fd.names[0]]
    assert isinstance(md, MultiPeriodData)
    for y in md.years:
        c = costs[costs["period"] == y]
        out["period cost"][y] = float((c["probability"] * c["CNY/yr"]).sum())
        st = stats[stats["period"] == y] if len(stats) else stats
        out["sites"][y] = site_table(idle[idle["period"] == y], st, sc)
        f = fut[fut["period"] == y]
        dem = float((f["probability"] * f["demand PFLOPS·h/yr"]).sum())
        uns = float((f["probability"] * f["unserved PFLOPS·h/yr"]).sum())
        out["unserved share"][y] = uns / dem if dem else 0.0
    return out


# ---- results -------------------------------------------------------------------------------------
def _per_future(fd: FuturesData, m: pyo.ConcreteModel, outcome: SolveOutcome) -> dict[str, Results]:
    """Each future's block read as a plan of its own, its duals divided by ω_f (planner.horizon.stack)."""
    omega = future_weights(m, outcome.duals)
    out = {f: for_block(outcome, m.future[f], omega[f]) for f in fd.names}
    if fd.multi_period:
        return {f: combine(fd.data[f], m.future[f], out[f], "perfect_foresight") for f in fd.names}
    return {f: extract(m.future[f], fd.data[f], out[f]) for f in fd.names}


def _with_future(df: pd.DataFrame, f: str) -> pd.DataFrame:
    out = df.copy()
    out.insert(0, "future", f)
    return out


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    non_empty = [f for f in frames if not f.empty]
    if not non_empty:
        return frames[0].iloc[0:0] if frames else pd.DataFrame()
    return pd.concat(non_empty, ignore_index=True)


def cost_column(multi_period: bool) -> str:
    """The column of a future's cost table whose sum is its objective."""
    return "discounted CNY" if multi_period else "CNY/yr"


def operations(fd: FuturesData, per: dict[str, Results]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per future (and period): installed and served PFLOPS·h, idle PFLOPS·h, utilisation, unserved;
    and per site the same, per future and expected over the futures.

    ``idle[s] = 8760 × PFLOPS[s] − served[s]`` (PFLOPS·h/yr); utilisation ``served / (8760 × PFLOPS)``.
    """
    pi = fd.probability
    keys = ["period"] if fd.multi_period else []
    rows, site_rows = [], []
    for f, r in per.items():
        sites = r.sites
        unserved = r.unserved
        groups = sites.groupby(keys, sort=False) if keys else [((), sites)]
        for key, g in groups:
            key = key if isinstance(key, tuple) else (key,)
            u = unserved
            if keys and not u.empty:
                u = u[u["period"] == key[0]]
            cap = float(g["PFLOPS"].sum()) * HOURS
            served = float(g["served PFLOPS·h/yr"].sum())
            uns = float(u["PFLOPS·h/yr"].sum()) if not u.empty else 0.0
            demand = served + uns
            rows.append(
                {
                    "future": f,
                    "probability": pi[f],
                    **dict(zip(keys, key)),
                    "PFLOPS installed": float(g["PFLOPS"].sum()),
                    "demand PFLOPS·h/yr": demand,
                    "served PFLOPS·h/yr": served,
                    "idle PFLOPS·h/yr": cap - served,
                    "average utilisation": served / cap if cap else 0.0,
                    "unserved PFLOPS·h/yr": uns,
                    "unserved share": uns / demand if demand else 0.0,
                    "energy MWh/yr": float(g["energy MWh/yr"].sum()),
                    "carbon tCO2/yr": float(g["carbon tCO2/yr"].sum()),
                }
            )
        for rec in sites.to_dict("records"):
            if rec["PFLOPS"] <= 0:
                continue
            site_rows.append(
                {
                    **{k: rec[k] for k in keys},
                    "site": rec["site"],
                    "region": rec["region"],
                    "future": f,
                    "PFLOPS": rec["PFLOPS"],
                    "served PFLOPS·h/yr": rec["served PFLOPS·h/yr"],
                    "idle PFLOPS·h/yr": rec["PFLOPS"] * HOURS - rec["served PFLOPS·h/yr"],
                    "avg utilisation": rec["avg utilisation"],
                }
            )
    ops = pd.DataFrame(rows)
    long = pd.DataFrame(
        site_rows,
        columns=[
            *keys,
            "site",
            "region",
            "future",
            "PFLOPS",
            "served PFLOPS·h/yr",
            "idle PFLOPS·h/yr",
            "avg utilisation",
        ],
    )
    return ops, idle_by_site(long, pi, keys)


def idle_by_site(long: pd.DataFrame, pi: dict[str, float], keys: list[str]) -> pd.DataFrame:
    """Per site (and period): PFLOPS, expected served and idle PFLOPS·h/yr, expected utilisation, and
    the utilisation in each future (column ``utilisation <future>``)."""
    if long.empty:
        return pd.DataFrame(
            columns=[
                *keys,
                "site",
                "region",
                "PFLOPS",
                "expected served PFLOPS·h/yr",
                "expected idle PFLOPS·h/yr",
                "expected utilisation",
            ]
        )
    out = []
    for key, g in long.groupby([*keys, "site"], sort=False):
        key = key if isinstance(key, tuple) else (key,)
        cap = float(g["PFLOPS"].iloc[0])
        served = float(sum(pi[f] * v for f, v in zip(g["future"], g["served PFLOPS·h/yr"])))
        row = {
            **dict(zip([*keys, "site"], key)),
            "region": g["region"].iloc[0],
            "PFLOPS": cap,
            "expected served PFLOPS·h/yr": served,
            "expected idle PFLOPS·h/yr": cap * HOURS - served,
            "expected utilisation": served / (cap * HOURS) if cap else 0.0,
        }
        for f, u in zip(g["future"], g["avg utilisation"]):
            row[f"utilisation {f}"] = u
        out.append(row)
    return pd.DataFrame(out)


def combine_futures(fd: FuturesData, m: pyo.ConcreteModel, outcome: SolveOutcome) -> Results:
    """Put the per-future results of a solved futures model together (see module docs)."""
    sc = fd.scenario
    pi = fd.probability
    per = _per_future(fd, m, outcome)
    tables = {
        name: _concat([_with_future(getattr(r, name), f) for f, r in per.items()])
        for name in ("sites", "hardware", "links", "placement", "unserved", "profiles", "policy")
    }
    col = cost_column(fd.multi_period)
    exp_col = "expected CNY" if fd.multi_period else "expected CNY/yr"
    crows = []
    for f, r in per.items():
        for rec in r.costs.to_dict("records"):
            crows.append(
                {
                    "future": f,
                    "probability": pi[f],
                    **{k: v for k, v in rec.items() if k != "share"},
                    exp_col: pi[f] * rec[col],
                }
            )
    costs = pd.DataFrame(crows)
    total = float(costs[exp_col].sum())
    costs["share"] = costs[exp_col] / total if total else 0.0
    objective = _concat(
        [_with_future(r.objective, f).assign(probability=pi[f]) for f, r in per.items()]
    )
    if not objective.empty:
        objective["expected contribution"] = objective["probability"] * objective["contribution"]
    ops, idle = operations(fd, per)
    cost_f = {f: float(pyo.value(m.cost[f])) for f in fd.names}
    fut = ops.copy()
    if fd.multi_period:
        fut = fut.merge(
            pd.DataFrame([{"future": f, "cost CNY (discounted)": c} for f, c in cost_f.items()]),
            on="future",
        )
    else:
        fut.insert(3, "cost CNY/yr", fut["future"].map(cost_f))
    summary = _summary(fd, m, outcome, per, costs, exp_col, ops)
    first = per[fd.names[0]]
    meta = dict(first.metadata)
    meta.update(
        {
            "scenario": sc.name,
            "futures": ", ".join(f"{f.name} ({f.probability:g})" for f in fd.futures),
            "objective (futures)": measure_label(sc),
            "status": outcome.status,
            "termination": outcome.termination,
            "objective value": outcome.objective,
            "best bound": outcome.bound,
            "MIP gap": outcome.gap,
        }
    )
    extra: dict[str, pd.DataFrame] = {"Futures": fut, "Idle compute": idle}
    for k, v in first.extra_tables.items():
        if k in ("Periods", "Build schedule", "Link schedule"):
            extra[k] = (
                _concat([_with_future(r.extra_tables[k], f) for f, r in per.items()])
                if k == "Periods"
                else v
            )
        else:
            extra.setdefault(k, v)
    res = Results(
        balances=stack({f: r.balances for f, r in per.items()}, "future"),
        prices=stack({f: r.prices for f, r in per.items()}, "future"),
        summary=summary,
        sites=tables["sites"],
        hardware=tables["hardware"],
        links=tables["links"],
        placement=tables["placement"],
        unserved=tables["unserved"],
        profiles=tables["profiles"],
        costs=costs,
        objective=objective,
        metadata=meta,
        inputs=input_tables(sc),
        outcome=outcome,
        policy=tables["policy"],
        extra_tables=extra,
        scorecard=_concat(
            [_with_future(r.scorecard, f) for f, r in per.items() if len(r.scorecard)]
        ),
    )
    res.extras["future cost"] = cost_f
    res.extras["per future"] = per
    return res


def _summary(
    fd: FuturesData,
    m: pyo.ConcreteModel,
    outcome: SolveOutcome,
    per: dict[str, Results],
    costs: pd.DataFrame,
    exp_col: str,
    ops: pd.DataFrame,
) -> pd.DataFrame:
    """The Summary KPIs: solver status, the futures and objective, expected cost terms, the shared
    investments, and the expected operation (probability-weighted, × years with periods)."""
    sc = fd.scenario
    unit = "CNY (discounted, expected)" if fd.multi_period else "CNY/yr (expected)"
    first = per[fd.names[0]]
    terms = costs.groupby("term", sort=False)[exp_col].sum()
    kpis: list[tuple[str, Any, str]] = [
        *outcome_kpis(outcome),
        ("futures", ", ".join(f"{f.name} ({f.probability:g})" for f in fd.futures), ""),
        ("objective (futures)", measure_label(sc), ""),
        ("total cost", float(costs[exp_col].sum()), unit),
        *[(f"cost: {k}", float(v), unit) for k, v in terms.items()],
    ]
    if hasattr(m, "risk"):
        kpis.append(
            (
                "CVaR" if sc.risk.measure == "cvar" else "largest regret",
                float(pyo.value(m.risk)),
                unit.replace(", expected", "").replace(" (expected)", ""),
            )
        )
    for name in (
        "sites open",
        "PFLOPS installed",
        "PFLOPS built (new)",
        "PFLOPS bought",
        "IT MW installed",
        "link units built",
    ):
        try:
            row = first.summary.loc[first.summary["kpi"] == name].iloc[0]
        except IndexError:
            continue
        kpis.append((name, row["value"], row["unit"]))
    years = None
    if fd.multi_period:
        yrs = {p.year: p.years for p in fd.data[fd.names[0]].periods}
        years = ops["period"].map(yrs)
    w = ops["probability"] * (years if years is not None else 1.0)
    cap = float((w * ops["PFLOPS installed"] * HOURS).sum())
    served = float((w * ops["served PFLOPS·h/yr"]).sum())
    demand = float((w * ops["demand PFLOPS·h/yr"]).sum())
    uns = float((w * ops["unserved PFLOPS·h/yr"]).sum())
    span = "PFLOPS·h (all periods, expected)" if fd.multi_period else "PFLOPS·h/yr (expected)"
    kpis += [
        ("average utilisation", served / cap if cap else 0.0, "-"),
        ("idle compute", cap - served, span),
        ("demand", demand, span),
        ("unserved demand", uns, span),
        ("unserved share", uns / demand if demand else 0.0, "-"),
        (
            "energy",
            float((w * ops["energy MWh/yr"]).sum()),
            "MWh (all periods, expected)" if fd.multi_period else "MWh/yr (expected)",
        ),
        (
            "carbon",
            float((w * ops["carbon tCO2/yr"]).sum()),
            "tCO2 (all periods, expected)" if fd.multi_period else "tCO2/yr (expected)",
        ),
    ]
    for f in fd.names:
        kpis.append(
            (
                f"cost in future {f}",
                float(pyo.value(m.cost[f])),
                unit.replace(", expected", "").replace(" (expected)", ""),
            )
        )
    return pd.DataFrame(kpis, columns=["kpi", "value", "unit"])


def add_value_of_information(
    res: Results,
    fd: FuturesData,
    m: pyo.ConcreteModel,
    outcome: SolveOutcome,
    m_ev: pyo.ConcreteModel,
    out_ev: SolveOutcome,
    ev: Results,
    best: dict[str, float] | None,
) -> None:
    """The ``Value of information`` table, the other plans' costs in ``Futures``, and the KPIs.

    ``RP`` = the stochastic plan's objective, ``EEV`` = the expected-demand plan's objective on
    every future (its investments fixed, operation re-solved per future), ``VSS = EEV − RP``;
    with ``best`` (each future planned alone): ``WS = Σ π_f cost*[f]``, ``EVPI = Σ π_f cost[f] − WS``
    (cost of the stochastic plan).
    """
    pi = fd.probability
    unit = "CNY (discounted)" if fd.multi_period else "CNY/yr"
    rp = _objective(outcome)
    eev = _objective(out_ev)
    e_rp = float(pyo.value(m.expected_cost))
    e_ev = float(pyo.value(m_ev.expected_cost))
    rows = [
        (
            "RP: objective of the stochastic plan",
            rp,
            unit,
            "investments made for all futures at once",
        ),
        (
            "EEV: objective of the expected-demand plan on every future",
            eev,
            unit,
            "investments of the plan for the probability-weighted demand, operation re-solved in each future",
        ),
        (
            "VSS: value of the stochastic solution",
            eev - rp,
            unit,
            "EEV − RP: what planning for the futures saves against planning for their average",
        ),
        ("expected cost of the stochastic plan", e_rp, unit, "Σ π_f cost[f]"),
        (
            "expected cost of the expected-demand plan",
            e_ev,
            unit,
            "Σ π_f cost[f] with the expected-demand plan's investments",
        ),
        (
            "cost of the expected-demand plan on its own demand",
            _objective(ev),
            unit,
            "the deterministic plan's own objective",
        ),
    ]
    extra = [("value of the stochastic solution", eev - rp, unit)]
    res.extras.update({"RP": rp, "EEV": eev, "VSS": eev - rp})
    if best is not None:
        ws = sum(pi[f] * best[f] for f in fd.names)
        rows += [
            (
                "WS: expected cost planned with perfect information",
                ws,
                unit,
                "Σ π_f cost*[f], each future planned alone",
            ),
            (
                "EVPI: expected value of perfect information",
                e_rp - ws,
                unit,
                "expected cost of the stochastic plan − WS: what knowing the future before building would save",
            ),
        ]
        extra.append(("expected value of perfect information", e_rp - ws, unit))
        res.extras.update({"WS": ws, "EVPI": e_rp - ws})
    rows += [
        ("PFLOPS installed, stochastic plan", float(res.kpi("PFLOPS installed")), "PFLOPS", ""),
        ("PFLOPS installed, expected-demand plan", float(ev.kpi("PFLOPS installed")), "PFLOPS", ""),
    ]
    res.extra_tables["Value of information"] = pd.DataFrame(
        rows, columns=["quantity", "value", "unit", "meaning"]
    )
    fut = res.extra_tables["Futures"]
    cost_ev = {f: float(pyo.value(m_ev.cost[f])) for f in fd.names}
    tag = "CNY (discounted)" if fd.multi_period else "CNY/yr"
    fut[f"cost of expected-demand plan {tag}"] = fut["future"].map(cost_ev)
    at = int(res.summary.index[res.summary["kpi"] == "carbon"][0]) + 1
    res.summary = pd.concat(
        [
            res.summary.iloc[:at],
            pd.DataFrame(extra, columns=["kpi", "value", "unit"]),
            res.summary.iloc[at:],
        ],
        ignore_index=True,
    )
    res.extras["expected-demand plan cost"] = cost_ev


def add_regret(res: Results, fd: FuturesData, m: pyo.ConcreteModel, best: dict[str, float]) -> None:
    """Each future's cost planned alone and the stochastic plan's regret there, in ``Futures``."""
    fut = res.extra_tables["Futures"]
    tag = "CNY (discounted)" if fd.multi_period else "CNY/yr"
    fut[f"cost planned alone {tag}"] = fut["future"].map(best)
    fut[f"regret {tag}"] = fut["future"].map(
        {f: float(pyo.value(m.cost[f])) - best[f] for f in fd.names}
    )
