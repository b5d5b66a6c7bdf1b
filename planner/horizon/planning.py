"""Plan a scenario over several periods: perfect foresight or myopic, and the period tables.

*Perfect foresight* (the default) solves every period at once. *Myopic* solves period by period:
step ``k`` solves periods ``1..k`` with the investments of periods ``1..k−1`` fixed at what the
earlier steps chose, so each step decides only its own period's build without seeing later
demand; the last step's plan is the myopic plan and its objective the plan's discounted total.

The results of each period are read with :func:`planner.results.extract` from its block and put
together: every plan table gains a ``period`` column; the cost table gives each period's terms
in CNY/yr, its weight ``years × discount`` and the discounted CNY, whose sum is the objective
(for a cost objective); the extra tables ``Periods``, ``Build schedule`` and ``Link schedule``
show the plan over time.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from ..errors import InfeasibleError, SolverError
from ..explain import explain_infeasible
from ..model.multi_period import build_periods_model, decisions
from ..plan import plan_one
from ..results import Results, extract, input_tables, outcome_kpis
from ..scenario import Scenario
from ..solve import SolveOutcome, solve
from .periods import MultiPeriodData, period_list, period_scenario, prepare_periods
from .stack import for_block, stack

log = logging.getLogger(__name__)

PLANNING_LABEL = {
    "perfect_foresight": "perfect foresight (all periods at once)",
    "myopic": "myopic (period by period, carrying forward what was built)",
}


def plan_periods(
    sc: Scenario, opts: dict[str, Any], *, isolated: bool = False, log_solver: bool = False
) -> Results:
    """Solve ``sc`` over its periods (``sc.planning``) and return the combined :class:`Results`."""
    t0 = time.perf_counter()
    if sc.planning == "myopic":
        fixed: dict[str, dict[Any, float]] = {"build": {}, "open": {}, "units": {}}
        steps = []
        for p in period_list(sc):
            md = prepare_periods(sc, isolated=isolated, upto=p.year)
            m = build_periods_model(md, fixed)
            outcome = _solve(m, md, opts, log_solver, step=p.year)
            steps.append(
                {
                    "step": p.year,
                    "status": outcome.status,
                    "objective": outcome.objective,
                    "gap": outcome.gap,
                    "solve time s": outcome.solve_s,
                }
            )
            fixed = decisions(m)
        res = combine(md, m, outcome, "myopic")
        res.extra_tables["Myopic steps"] = pd.DataFrame(steps)
    else:
        md = prepare_periods(sc, isolated=isolated)
        m = build_periods_model(md)
        outcome = _solve(m, md, opts, log_solver)
        res = combine(md, m, outcome, "perfect_foresight")
    res.metadata["plan time s"] = round(time.perf_counter() - t0, 3)
    return res


def _solve(
    m: pyo.ConcreteModel,
    md: MultiPeriodData,
    opts: dict[str, Any],
    log_solver: bool,
    step: int | None = None,
) -> SolveOutcome:
    outcome = solve(m, log_solver=log_solver, duals=True, **opts)  # prices and shadow prices
    if outcome.ok:
        if outcome.status == "feasible":
            log.warning(
                "%s: stopped at the time limit with a feasible plan, gap %.2f%%",
                md.scenario.name,
                100 * (outcome.gap or 0),
            )
        return outcome
    where = f" (myopic step {step})" if step is not None else ""
    if outcome.status in ("infeasible", "infeasible_or_unbounded"):
        raise InfeasibleError(explain_periods(md.scenario, opts, where))
    raise SolverError(
        f"scenario '{md.scenario.name}'{where}: no plan found (HiGHS: {outcome.termination}); "
        f"raise solver.time_limit ({opts.get('time_limit')} s) or relax mip_gap"
    )


def explain_periods(sc: Scenario, opts: dict[str, Any], where: str = "") -> str:
    """Why a several-period plan is impossible: each period alone, explained as a one-period plan."""
    periods = period_list(sc)
    lines = []
    for p in periods:
        one = period_scenario(sc, p, periods)
        try:
            plan_one(one, opts)
        except InfeasibleError as err:
            lines.append(f"period {p.year}: {err}")
        except SolverError:
            lines.append(f"period {p.year}: " + explain_infeasible(one, opts))
    if not lines:
        lines.append(
            "each period alone has a plan; what is carried between periods (modules in service, open sites, "
            "link units, and in myopic planning the earlier periods' fixed choices) makes them impossible together"
        )
    return f"scenario '{sc.name}'{where} has no feasible plan over its periods:\n" + "\n".join(
        f"  - {x}" for x in lines
    )


# ---- the combined results ------------------------------------------------------------------------
def _with_period(df: pd.DataFrame, year: int) -> pd.DataFrame:
    out = df.copy()
    out.insert(0, "period", year)
    return out


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    non_empty = [f for f in frames if not f.empty]
    if not non_empty:
        return frames[0].iloc[0:0]
    return pd.concat(non_empty, ignore_index=True)


def combine(
    md: MultiPeriodData, m: pyo.ConcreteModel, outcome: SolveOutcome, planning: str
) -> Results:
    """Put the per-period results of a solved several-period model together (see module docs)."""
    sc = md.scenario
    info = {p.year: p for p in md.periods}
    # each period's duals divided by its weight w_p: prices per unit in that period's year (.stack)
    per = {
        y: extract(m.period[y], md.data[y], for_block(outcome, m.period[y], info[y].weight))
        for y in info
    }
    tables: dict[str, pd.DataFrame] = {}
    for name in ("sites", "hardware", "links", "placement", "unserved", "profiles", "policy"):
        tables[name] = _concat([_with_period(getattr(r, name), y) for y, r in per.items()])

    # costs: each period's terms, its weight and the discounted CNY (their sum is the cost objective)
    rows = []
    for y, r in per.items():
        w = info[y].weight
        for rec in r.costs.to_dict("records"):
            rows.append(
                {
                    "period": y,
                    "term": rec["term"],
                    "CNY/yr": rec["CNY/yr"],
                    "period weight yr": w,
                    "discounted CNY": w * rec["CNY/yr"],
                    "what": rec["what"],
                }
            )
    costs = pd.DataFrame(
        rows,
        columns=["period", "term", "CNY/yr", "period weight yr", "discounted CNY", "share", "what"],
    )
    total = float(costs["discounted CNY"].sum())
    costs["share"] = costs["discounted CNY"] / total if total else 0.0
    obj_rows = []
    for y, r in per.items():
        w = info[y].weight
        for rec in r.objective.to_dict("records"):
            obj_rows.append(
                {
                    "period": y,
                    "term": rec["term"],
                    "value": rec["value"],
                    "weight": rec["weight"],
                    "period weight yr": w,
                    "contribution": w * rec["contribution"],
                }
            )
    objective = pd.DataFrame(obj_rows)

    schedule, link_schedule = build_schedule(md, m)
    periods = _period_table(md, per, schedule, link_schedule)
    summary = _summary(md, outcome, per, costs, periods, planning)
    first = next(iter(per.values()))
    meta = dict(first.metadata)
    meta.update(
        {
            "scenario": sc.name,
            "year": ", ".join(str(y) for y in md.years),
            "planning": PLANNING_LABEL[planning],
            "periods": ", ".join(
                f"{p.year} ({p.years:g} yr, discount {p.discount:.4f})" for p in md.periods
            ),
            "discount rate": sc.discount_rate,
        }
    )
    extra = {"Periods": periods, "Build schedule": schedule, "Link schedule": link_schedule}
    extra.update(dict(sc._reduction))
    cards = [_with_period(r.scorecard, y) for y, r in per.items() if len(r.scorecard)]
    return Results(
        balances=stack({y: r.balances for y, r in per.items()}, "period"),
        prices=stack({y: r.prices for y, r in per.items()}, "period"),
        scorecard=_concat(cards) if cards else pd.DataFrame(),
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
    )


def build_schedule(md: MultiPeriodData, m: pyo.ConcreteModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per period, site and hardware: bought, retired, in service; per period and link: units built.

    ``retired[s,h,p] = in_service[s,h,p−1] + bought[s,h,p] − in_service[s,h,p]`` (modules whose
    life, or brownfield retire_year, ended at the start of ``p``).
    """
    capex = {h.name: h.capex for h in md.scenario.hardware}
    rows, lrows = [], []
    prev: dict[tuple[str, str], int] = {}
    prev_units: dict[str, int] = {}
    for p in md.periods:
        b, d = m.period[p.year], md.data[p.year]
        for s, h in d.SITE_HW:
            n = round(pyo.value(b.sizing.modules[s, h]))
            bought = round(pyo.value(m.build[s, h, p.year])) if (s, h, p.year) in m.BUILD else 0
            before = prev.get(
                (s, h), d.existing.get((s, h), 0)
            )  # first period: the brownfield modules
            retired = before + bought - n
            if n or bought or retired:
                rows.append(
                    {
                        "period": p.year,
                        "site": s,
                        "hardware": h,
                        "bought modules": bought,
                        "retired modules": retired,
                        "modules in service": n,
                        "brownfield in service": d.existing.get((s, h), 0),
                        "PFLOPS in service": n * d.pflops[h],
                        "PFLOPS bought": bought * d.pflops[h],
                        "capex of purchases CNY": bought * capex[h],
                    }
                )
            prev[s, h] = n
        for ln, lk in d.links.items():
            u = round(pyo.value(b.network.units[ln]))
            built = u - prev_units.get(ln, lk.existing_units)
            if u or built:
                lrows.append(
                    {
                        "period": p.year,
                        "link": ln,
                        "from": lk.a,
                        "to": lk.b,
                        "units built": built,
                        "units in service": u,
                        "Gbps per direction": u * lk.unit_gbps,
                    }
                )
            prev_units[ln] = u
    schedule = pd.DataFrame(
        rows,
        columns=[
            "period",
            "site",
            "hardware",
            "bought modules",
            "retired modules",
            "modules in service",
            "brownfield in service",
            "PFLOPS in service",
            "PFLOPS bought",
            "capex of purchases CNY",
        ],
    )
    links = pd.DataFrame(
        lrows,
        columns=[
            "period",
            "link",
            "from",
            "to",
            "units built",
            "units in service",
            "Gbps per direction",
        ],
    )
    return schedule, links


def _period_table(
    md: MultiPeriodData, per: dict[int, Results], schedule: pd.DataFrame, links: pd.DataFrame
) -> pd.DataFrame:
    rows = []
    for p in md.periods:
        r = per[p.year]
        cost = r.total_cost
        sched = schedule[schedule["period"] == p.year]
        rows.append(
            {
                "period": p.year,
                "years": p.years,
                "discount factor": p.discount,
                "period weight yr": p.weight,
                "cost CNY/yr": cost,
                "discounted cost CNY": p.weight * cost,
                "sites open": int(r.kpi("sites open")),
                "PFLOPS in service": float(r.kpi("PFLOPS installed")),
                "PFLOPS bought": float(sched["PFLOPS bought"].sum()),
                "PFLOPS retired": float(
                    (sched["retired modules"] * sched["hardware"].map(md.data[p.year].pflops)).sum()
                ),
                "link units built": int(links.loc[links["period"] == p.year, "units built"].sum()),
                "demand PFLOPS·h/yr": float(r.kpi("demand")),
                "unserved share": float(r.kpi("unserved share")),
                "average utilisation": float(r.kpi("average utilisation")),
                "energy MWh/yr": float(r.kpi("energy")),
                "carbon tCO2/yr": float(r.kpi("carbon")),
                "green share": float(r.kpi("green share")),
            }
        )
    return pd.DataFrame(rows)


def _summary(
    md: MultiPeriodData,
    outcome: SolveOutcome,
    per: dict[int, Results],
    costs: pd.DataFrame,
    periods: pd.DataFrame,
    planning: str,
) -> pd.DataFrame:
    last = md.periods[-1].year
    terms = costs.groupby("term", sort=False)["discounted CNY"].sum()
    years = periods["years"]
    kpis: list[tuple[str, Any, str]] = [
        *outcome_kpis(
            outcome,
            "CNY (discounted)"
            if md.scenario.objective_weights == {"cost": 1.0}
            else "objective units",
        ),
        ("planning", PLANNING_LABEL[planning], ""),
        ("periods", ", ".join(str(y) for y in md.years), ""),
        ("total cost", float(costs["discounted CNY"].sum()), "CNY (discounted)"),
        *[(f"cost: {k}", float(v), "CNY (discounted)") for k, v in terms.items()],
        ("sites open", int(per[last].kpi("sites open")), f"sites ({last})"),
        ("PFLOPS installed", float(per[last].kpi("PFLOPS installed")), f"PFLOPS ({last})"),
        ("PFLOPS bought", float(periods["PFLOPS bought"].sum()), "PFLOPS (all periods)"),
        ("PFLOPS retired", float(periods["PFLOPS retired"].sum()), "PFLOPS (all periods)"),
        ("link units built", int(periods["link units built"].sum()), "units (all periods)"),
        ("energy", float((periods["energy MWh/yr"] * years).sum()), "MWh (all periods)"),
        ("carbon", float((periods["carbon tCO2/yr"] * years).sum()), "tCO2 (all periods)"),
        ("demand", float((periods["demand PFLOPS·h/yr"] * years).sum()), "PFLOPS·h (all periods)"),
        (
            "unserved share",
            float(
                (periods["unserved share"] * periods["demand PFLOPS·h/yr"] * years).sum()
                / max(1e-9, float((periods["demand PFLOPS·h/yr"] * years).sum()))
            ),
            "-",
        ),
    ]
    return pd.DataFrame(kpis, columns=["kpi", "value", "unit"])
