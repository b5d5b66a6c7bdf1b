"""Results: a solved model turned into tidy pandas tables with units in the column names.

Every table the report shows is built here; the report writer only lays them out. The cost
table evaluates the model's cost registry, so it adds up to the objective by construction.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from .balances import balances
from .data import TB_PER_GBPS_HOUR, PlanningData
from .decompose import transport_placements
from .model.network import arc_traffic, directed_ship
from .model.objective import objective_terms
from .prices import prices
from .scenario.schema import SLACK_UNITS
from .scorecard import scorecard
from .solve import SolveOutcome

log = logging.getLogger(__name__)

HOURS = 8760.0
#: Placements below this share of their (class, region) demand are left out of the plan tables.
DUST = 1e-6


def _v(x: Any) -> float:
    """Value of a Pyomo expression or variable; 0 for a variable with no value."""
    v = pyo.value(x, exception=False)
    return 0.0 if v is None else float(v)


@dataclass
class Results:
    """The tables of one solved plan. Each table is a DataFrame; units are in column names.

    Attributes
    ----------
    summary
        KPI, value, unit (one row per KPI).
    sites, hardware, links, placement, unserved, profiles, costs, objective, inputs
        See :func:`extract` for their columns.
    metadata
        Scenario, input hash, status, gap, solver and version, planner version, time.
    """

    summary: pd.DataFrame
    sites: pd.DataFrame
    hardware: pd.DataFrame
    links: pd.DataFrame
    placement: pd.DataFrame
    unserved: pd.DataFrame
    profiles: pd.DataFrame
    costs: pd.DataFrame
    objective: pd.DataFrame
    metadata: dict[str, Any]
    inputs: dict[str, pd.DataFrame] = field(default_factory=dict)
    outcome: SolveOutcome | None = None
    policy: pd.DataFrame = field(default_factory=pd.DataFrame)
    comparison: pd.DataFrame | None = None
    headline: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    #: warnings about the plan in plain words (most demand unserved, and why); on the Summary sheet too
    warnings: list[str] = field(default_factory=list)
    #: further tables, each written to the report as its own sheet (title → table): the periods and
    #: build schedule of a several-period plan, the representative days of an hourly scenario
    extra_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: the policy scorecard: every target of the scenario's ``targets`` table on this plan (planner.scorecard)
    scorecard: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: balance sheets per hub and per province, and the matrices of where each group's work runs (planner.balances)
    balances: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: the price of compute: marginal (duals, integers fixed) and average cost per PFLOPS·h (planner.prices)
    prices: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: the scenario's report settings (``report`` block): money unit and solver-dust threshold
    settings: dict[str, Any] = field(default_factory=dict)

    def kpi(self, name: str) -> Any:
        """The value of one KPI of the summary table, by name."""
        row = self.summary.loc[self.summary["kpi"] == name, "value"]
        if row.empty:
            raise KeyError(f"no KPI '{name}'; known: {', '.join(self.summary['kpi'])}")
        return row.iloc[0]

    @property
    def total_cost(self) -> float:
        """Total cost: CNY/yr for one period; discounted CNY over all periods for several (the cost table's sum);
        with demand futures, the expected cost (the sum of the probability-weighted column)."""
        cols = [
            c
            for c in ("expected CNY", "expected CNY/yr", "discounted CNY")
            if c in self.costs.columns
        ]
        col = cols[0] if cols else "CNY/yr"
        return float(self.costs[col].sum())

    @property
    def periods(self) -> pd.DataFrame | None:
        """The per-period table of a several-period plan (``None`` for one period)."""
        return self.extra_tables.get("Periods")

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name, in report order."""
        return {
            "summary": self.summary,
            "sites": self.sites,
            "hardware": self.hardware,
            "links": self.links,
            "placement": self.placement,
            "unserved": self.unserved,
            "profiles": self.profiles,
            "costs": self.costs,
            "objective": self.objective,
        }


def objective_unit(weights: dict[str, float]) -> str:
    """The unit of the objective value: ``CNY/yr`` for a cost objective, else the weighted sum's terms.

    With weights ``w`` the objective is ``w_cost × cost + w_energy × MWh + w_carbon × tCO2``
    (:mod:`planner.model.objective`), so its unit is CNY/yr only when cost alone is weighed at 1;
    otherwise it is spelled out, e.g. ``1 × CNY/yr + 200 × tCO2/yr``.
    """
    units = {"cost": "CNY/yr", "energy": "MWh/yr", "carbon": "tCO2/yr"}
    w = {k: float(v) for k, v in weights.items() if v}
    if list(w) == ["cost"] and w["cost"] == 1.0:
        return "CNY/yr"
    if len(w) == 1 and next(iter(w.values())) == 1.0:
        return units[next(iter(w))]
    return " + ".join(f"{v:g} × {units[k]}" for k, v in w.items())


def outcome_kpis(outcome: SolveOutcome, unit: str = "CNY/yr") -> list[tuple[str, Any, str]]:
    """The solver's KPIs that head every summary: status, objective and best bound (in ``unit``), MIP gap,
    the solver stage's wall-clock time and its CPU time."""
    stage = outcome.stage_s or (
        outcome.compile_s + outcome.mip_start_s + outcome.handover_s + outcome.solve_s
    )
    return [
        ("status", outcome.status, ""),
        ("objective", outcome.objective, unit),
        ("best bound", outcome.bound, unit),
        ("MIP gap", outcome.gap, "-"),
        ("solve time", stage, "s"),
        ("CPU time", outcome.cpu_s, "s"),
    ]


def planner_version() -> str:
    try:
        return metadata.version("planner")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


#: the profiles' column of one class's load (PFLOPS of hardware capacity it uses at a site and slice)
CLASS_LOAD_PREFIX = "load PFLOPS: "


def class_load_column(job_class: str) -> str:
    """The Load profiles column of ``job_class``'s load: ``load PFLOPS: <class>``."""
    return CLASS_LOAD_PREFIX + job_class


def placements(m: pyo.Block, d: PlanningData) -> dict[tuple[str, str, str, str], float]:
    """``x[j, r, s, t]`` (PFLOPS) of a solved model: per-pair classes as solved, transport classes decomposed."""
    x = {k: _v(v) for k, v in m.placement.x.items()}
    if d.TRANSPORT:
        b = m.placement
        x.update(
            transport_placements(
                d,
                {k: _v(v) for k, v in b.y.items() if k[0] in d.TRANSPORT},
                directed_ship(d, {k: _v(v) for k, v in b.ship.items()}),
                {k: _v(v) for k, v in b.unserved.items() if k[0] in d.TRANSPORT},
                {k: _v(v) for k, v in b.release.items()},
            )
        )
    return x


def extract(m: pyo.ConcreteModel, data: PlanningData, outcome: SolveOutcome) -> Results:
    """Read a solved model into :class:`Results` (requires ``outcome.has_solution``)."""
    d = data
    sc = d.scenario
    W = d.weight
    modules = {k: _v(v) for k, v in m.sizing.modules.items()}
    opened = {s: _v(m.sizing.open[s]) > 0.5 for s in d.SITES}
    x = placements(m, d)
    load = {k: _v(e) for k, e in m.placement.load.items()}
    energy = {k: _v(e) for k, e in m.energy.energy.items()}
    green = {k: _v(v) for k, v in m.energy.green.items()}

    # ---- hardware per site ---------------------------------------------------------------
    hw_rows = []
    for s, h in d.SITE_HW:
        n = round(modules[s, h])
        ex = d.existing.get((s, h), 0)
        if n == 0 and ex == 0:
            continue
        hw_rows.append(
            {
                "site": s,
                "hardware": h,
                "domestic": d.domestic[h],
                "existing modules": ex,
                "new modules": n - ex,
                "modules": n,
                "PFLOPS": n * d.pflops[h],
                "new PFLOPS": (n - ex) * d.pflops[h],
                "IT MW": n * d.kw[h] / 1000,
                "capex CNY": (n - ex) * sc_hw(sc, h).capex,
            }
        )
    hardware = pd.DataFrame(
        hw_rows,
        columns=[
            "site",
            "hardware",
            "domestic",
            "existing modules",
            "new modules",
            "modules",
            "PFLOPS",
            "new PFLOPS",
            "IT MW",
            "capex CNY",
        ],
    )

    # ---- sites ---------------------------------------------------------------------------
    site_rows = []
    for s in d.SITES:
        cap = sum(d.pflops[h] * modules[s, h] for h in d.HW)
        it_mw = sum(d.kw[h] * modules[s, h] for h in d.HW) / 1000
        used = [sum(load.get((s, h, t), 0.0) for h in d.HW) for t in d.SLICES]
        mwh = sum(W[t] * energy[s, t] for t in d.SLICES)
        g = sum(W[t] * green.get((s, t), 0.0) for t in d.SLICES)
        co2 = sum(
            W[t] * d.grid_ef[s, t] * (energy[s, t] - green.get((s, t), 0.0)) for t in d.SLICES
        )
        site_rows.append(
            {
                "site": s,
                "region": d.site_region[s],
                "open": opened[s],
                "existing": d.existing_open[s],
                "modules": round(sum(modules[s, h] for h in d.HW)),
                "PFLOPS": cap,
                "new PFLOPS": sum(
                    d.pflops[h] * (modules[s, h] - d.existing.get((s, h), 0)) for h in d.HW
                ),
                "IT MW": it_mw,
                "max IT MW": d.max_it_mw[s],
                "PUE": d.pue[s],
                "avg utilisation": (sum(W[t] * u for t, u in zip(d.SLICES, used)) / (HOURS * cap))
                if cap
                else 0.0,
                "peak utilisation": (max(used) / cap) if cap else 0.0,
                "served PFLOPS·h/yr": sum(W[t] * u for t, u in zip(d.SLICES, used)),
                "energy MWh/yr": mwh,
                "green MWh/yr": g,
                "green share": g / mwh if mwh else 0.0,
                "carbon tCO2/yr": co2,
                "open cost CNY/yr": d.open_annual[s]
                if opened[s] and not d.existing_open[s]
                else 0.0,
                "hardware capex CNY/yr": sum(
                    d.capex_annual[h] * (modules[s, h] - d.existing.get((s, h), 0)) for h in d.HW
                ),
                "fixed O&M CNY/yr": sum(d.fixed_om[h] * modules[s, h] for h in d.HW),
                "energy cost CNY/yr": sum(W[t] * d.price[s, t] * energy[s, t] for t in d.SLICES),
                "green premium CNY/yr": d.green_premium[s] * g,
                "carbon cost CNY/yr": d.carbon_price * co2,
            }
        )
    sites = pd.DataFrame(site_rows)

    # ---- links ---------------------------------------------------------------------------
    traffic = arc_traffic(m, d)
    link_rows = []
    for name, lk in d.links.items():
        u = round(_v(m.network.units[name]))
        cap = u * lk.unit_gbps
        row = {
            "link": name,
            "from": lk.a,
            "to": lk.b,
            "distance km": lk.distance_km,
            "latency ms": lk.latency_ms,
            "existing units": lk.existing_units,
            "new units": u - lk.existing_units,
            "units": u,
            "Gbps per direction": cap,
        }
        for arrow, label in ((">", "→"), ("<", "←")):
            tr = [traffic.get((f"{name}{arrow}", t), 0.0) for t in d.SLICES]
            row[f"avg utilisation {label}"] = (
                (sum(W[t] * v for t, v in zip(d.SLICES, tr)) / (HOURS * cap)) if cap else 0.0
            )
            row[f"peak utilisation {label}"] = (max(tr) / cap) if cap else 0.0
            row[f"TB/yr {label}"] = sum(W[t] * v for t, v in zip(d.SLICES, tr)) * TB_PER_GBPS_HOUR
        row["capex CNY/yr"] = lk.unit_cost * (u - lk.existing_units) + (
            lk.fixed_cost if u > lk.existing_units else 0.0
        )
        link_rows.append(row)
    links = pd.DataFrame(
        link_rows,
        columns=[
            "link",
            "from",
            "to",
            "distance km",
            "latency ms",
            "existing units",
            "new units",
            "units",
            "Gbps per direction",
            "avg utilisation →",
            "peak utilisation →",
            "TB/yr →",
            "avg utilisation ←",
            "peak utilisation ←",
            "TB/yr ←",
            "capex CNY/yr",
        ],
    )

    # ---- placement (region × site × class) ---------------------------------------------------
    demand_h: dict[tuple[str, str], float] = defaultdict(float)
    for (j, r, t), v in d.demand.items():
        demand_h[j, r] += W[t] * v
    agg: dict[tuple[str, str, str], float] = defaultdict(float)
    for (j, r, s, t), v in x.items():
        if v > 0:
            agg[j, r, s] += W[t] * v
    # solver dust: placements below DUST of their demand are interior-point residue, not decisions
    agg = defaultdict(float, {k: v for k, v in agg.items() if v >= DUST * demand_h[k[0], k[1]]})
    placement = pd.DataFrame(
        [
            {
                "class": j,
                "region": r,
                "site": s,
                "site region": d.site_region[s],
                "latency ms": d.latency.get((r, s)),
                "PFLOPS·h/yr": v,
                "share of demand": v / demand_h[j, r] if demand_h[j, r] else 0.0,
            }
            for (j, r, s), v in agg.items()
        ],
        columns=[
            "class",
            "region",
            "site",
            "site region",
            "latency ms",
            "PFLOPS·h/yr",
            "share of demand",
        ],
    )

    # ---- unserved --------------------------------------------------------------------------
    uns = [
        {"class": j, "region": r, "slice": t, "PFLOPS": _v(v), "PFLOPS·h/yr": W[t] * _v(v)}
        for (j, r, t), v in m.placement.unserved.items()
        if _v(v) > 1e-6
    ]
    unserved = pd.DataFrame(uns, columns=["class", "region", "slice", "PFLOPS", "PFLOPS·h/yr"])
    whole = set(d.job_pflops) | {j for j, _h in d.job_card_size}
    remainder = (
        not sc.policy.allow_unserved and whole
    )  # all else served: what is left is a remainder
    if d.unserved_reason or remainder:  # work in whole jobs that no site can take: said, not split
        unserved["reason"] = [
            d.unserved_reason.get((j, r))
            or (
                "the remainder that no whole job can do (all demand served otherwise)"
                if remainder and j in whole
                else ""
            )
            for j, r in zip(unserved["class"], unserved["region"])
        ]

    # ---- per-slice profiles (long) ----------------------------------------------------------
    prof_rows = []
    dem_t: dict[str, float] = defaultdict(float)
    for (_j, _r, t), v in d.demand.items():
        dem_t[t] += v
    # load of each class: Σ_h y[j,s,h,t] / efficiency[j,h] (PFLOPS of hardware capacity), so that
    # the classes' columns add up to "load PFLOPS"
    class_load: dict[tuple[str, str, str], float] = defaultdict(float)
    for (j, s, h, t), v in m.placement.y.items():
        if d.efficiency[j, h] > 0:
            class_load[j, s, t] += _v(v) / d.efficiency[j, h]
    class_cols = [class_load_column(j) for j in d.CLASSES]
    for t in d.SLICES:
        for s in d.SITES:
            cap = sum(d.pflops[h] * modules[s, h] for h in d.HW)
            if cap == 0 and not opened[s]:
                continue
            ld = sum(load.get((s, h, t), 0.0) for h in d.HW)
            prof_rows.append(
                {
                    "slice": t,
                    "weight h/yr": W[t],
                    "site": s,
                    "load PFLOPS": ld,
                    **{c: class_load[j, s, t] for c, j in zip(class_cols, d.CLASSES)},
                    "capacity PFLOPS": cap,
                    "utilisation": ld / cap if cap else 0.0,
                    "energy MW": energy[s, t],
                    "demand PFLOPS (all regions)": dem_t[t],
                    "price CNY/MWh": d.price[s, t],
                }
            )
    profiles = pd.DataFrame(
        prof_rows,
        columns=[
            "slice",
            "weight h/yr",
            "site",
            "load PFLOPS",
            *class_cols,
            "capacity PFLOPS",
            "utilisation",
            "energy MW",
            "demand PFLOPS (all regions)",
            "price CNY/MWh",
        ],
    )

    # ---- costs and objective ----------------------------------------------------------------
    docs = getattr(m, "_planner_cost_docs", {})
    cost_vals = {k: _v(m.cost_term[k]) for k in m.COST_TERMS}
    total = sum(cost_vals.values())
    costs = pd.DataFrame(
        [
            {"term": k, "CNY/yr": v, "share": v / total if total else 0.0, "what": docs.get(k, "")}
            for k, v in cost_vals.items()
        ]
    )
    total_mwh = _v(m.energy.total_mwh)
    carbon = _v(m.energy.carbon)
    obj_rows = []
    for k, w in objective_terms(sc.objective_weights, list(cost_vals)):
        val = cost_vals[k] if k in cost_vals else (total_mwh if k == "energy_mwh" else carbon)
        obj_rows.append({"term": k, "value": val, "weight": w, "contribution": w * val})
    objective = pd.DataFrame(obj_rows)

    # ---- summary KPIs -----------------------------------------------------------------------
    tot_cap = float(sites["PFLOPS"].sum())
    served = float(sites["served PFLOPS·h/yr"].sum())
    total_dem = float(sum(demand_h.values()))
    green_mwh = float(sites["green MWh/yr"].sum())
    kpis: list[tuple[str, Any, str]] = [
        *outcome_kpis(outcome, objective_unit(sc.objective_weights)),
        ("total cost", total, "CNY/yr"),
        *[(f"cost: {k}", v, "CNY/yr") for k, v in cost_vals.items()],
        ("sites open", int(sum(opened.values())), "sites"),
        ("PFLOPS installed", tot_cap, "PFLOPS"),
        (
            "PFLOPS built (new)",
            float(hardware["new PFLOPS"].sum()) if len(hardware) else 0.0,
            "PFLOPS",
        ),
        ("IT MW installed", float(sites["IT MW"].sum()), "MW"),
        ("energy", total_mwh, "MWh/yr"),
        ("carbon", carbon, "tCO2/yr"),
        ("green share", green_mwh / total_mwh if total_mwh else 0.0, "-"),
        ("average utilisation", served / (HOURS * tot_cap) if tot_cap else 0.0, "-"),
        ("demand", total_dem, "PFLOPS·h/yr"),
        ("unserved demand", float(unserved["PFLOPS·h/yr"].sum()), "PFLOPS·h/yr"),
        (
            "unserved share",
            float(unserved["PFLOPS·h/yr"].sum()) / total_dem if total_dem else 0.0,
            "-",
        ),
        ("link units built", int(links["new units"].sum()) if len(links) else 0, "units"),
    ]
    summary = pd.DataFrame(kpis, columns=["kpi", "value", "unit"])

    meta = {
        "scenario": sc.name,
        "description": sc.description,
        "source": sc.source_path or "",
        "input hash (SHA-256)": sc.input_hash or "",
        "year": sc.year,
        "objective": str(sc.objective),
        "status": outcome.status,
        "termination": outcome.termination,
        "objective value": outcome.objective,
        "best bound": outcome.bound,
        "MIP gap": outcome.gap,
        "relaxed (LP)": outcome.relaxed,
        "solve time s": round(outcome.stage_s, 3),
        "HiGHS time s": round(outcome.solve_s, 3),
        "CPU time s": round(outcome.cpu_s, 3),
        "objective unit": objective_unit(sc.objective_weights),
        "compile time s": round(outcome.compile_s, 3),
        "MIP start time s": round(outcome.mip_start_s, 3),
        "MIP start objective": outcome.mip_start_objective,
        "solver": outcome.solver,
        "solver version": outcome.solver_version,
        "solver options": str(outcome.options),
        "model size": str(outcome.size),
        "planner version": planner_version(),
        "pyomo version": metadata.version("pyomo"),
        "created (UTC)": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
    }
    by_region: dict[str, float] = defaultdict(float)
    for (_j, r), v in demand_h.items():
        by_region[r] += v
    card = (
        scorecard(sc, sites, hardware, placement, links, dict(by_region))
        if sc.targets
        else pd.DataFrame()
    )
    bal = balances(sc, sites, hardware, placement, unserved, dict(by_region))
    price = (
        prices(m, d, outcome, placement, sites, modules)
        if not outcome.relaxed or outcome.duals
        else {}
    )
    return Results(
        prices=price,
        balances=bal,
        scorecard=card,
        summary=summary,
        sites=sites,
        hardware=hardware,
        links=links,
        placement=placement,
        unserved=unserved,
        profiles=profiles,
        costs=costs,
        objective=objective,
        metadata=meta,
        inputs=input_tables(sc),
        outcome=outcome,
        policy=policy_table(m, data, outcome),
        extra_tables=dict(sc._reduction),
        warnings=[
            f"class '{j}' from {r} is left unserved: {why}"
            for (j, r), why in d.unserved_reason.items()
        ],
    )


POLICY_COLUMNS = [
    "lever",
    "scope",
    "target",
    "sense",
    "target value",
    "achieved",
    "unit",
    "binding",
    "slack used",
    "slack unit",
    "slack cost CNY/yr",
    "shadow price CNY/yr per slack unit",
]


def policy_table(m: pyo.ConcreteModel, data: PlanningData, outcome: SolveOutcome) -> pd.DataFrame:
    """Every active lever: its target, the achieved value, slack used and its cost, the shadow price.

    The shadow price is the dual of the target's row in the LP with every integer fixed at the
    plan (CNY/yr per unit of the slack unit): what one more unit of room would save.
    """
    pol = data.scenario.policy
    duals = outcome.duals or {}
    rows = []
    for tg in getattr(m, "policy_targets", []):
        if tg.lever == "resilience":
            continue  # summarised below: one row per contingency slice would swamp the table
        slack = _v(tg.slack) if tg.slack is not None else 0.0
        body = pyo.value(tg.constraint.body, exception=False)
        # Pyomo may store `a >= b` as `b - a <= 0`: take whichever bound the row has
        bound = tg.constraint.upper if tg.constraint.upper is not None else tg.constraint.lower
        lim = pyo.value(bound) if bound is not None else None
        binding = (
            body is not None and lim is not None and abs(body - lim) <= 1e-6 * max(1.0, abs(lim))
        )
        dual = duals.get(tg.constraint)
        price = pol.policy_slack_cost.get(tg.lever)
        rows.append(
            {
                "lever": tg.lever,
                "scope": tg.scope,
                "target": tg.describe,
                "sense": tg.sense,
                "target value": tg.target,
                "achieved": _v(tg.achieved),
                "unit": tg.unit,
                "binding": bool(binding),
                "slack used": slack,
                "slack unit": SLACK_UNITS[tg.lever],
                "slack cost CNY/yr": slack * (price or 0.0),
                "shadow price CNY/yr per slack unit": abs(dual) if dual is not None else None,
            }
        )
    res_targets = [tg for tg in getattr(m, "policy_targets", []) if tg.lever == "resilience"]
    if res_targets:
        short = sum(
            _v(tg.slack) * data.weight[tg.scope.rsplit("/", 1)[-1]]
            for tg in res_targets
            if tg.slack is not None
        )
        price = pol.policy_slack_cost.get("resilience")
        rows.append(
            {
                "lever": "resilience",
                "scope": f"N-1 {pol.resilience}",
                "target": f"latency-sensitive demand served with any one of the {pol.resilience.replace('+', ' and ')} out",
                "sense": ">=",
                "target value": 1.0,
                "achieved": 1.0 if short <= 1e-6 else None,
                "unit": "-",
                "binding": None,
                "slack used": short,
                "slack unit": SLACK_UNITS["resilience"],
                "slack cost CNY/yr": short * (price or 0.0),
                "shadow price CNY/yr per slack unit": None,
            }
        )
    for s in data.pue_closed:
        rows.append(
            {
                "lever": "pue_max",
                "scope": s,
                "target": f"site {s} may open only with PUE ≤ {data.pue_cap[s]:g}",
                "sense": "<=",
                "target value": data.pue_cap[s],
                "achieved": data.pue[s],
                "unit": "-",
                "binding": True,
                "slack used": 0.0,
                "slack unit": "-",
                "slack cost CNY/yr": 0.0,
                "shadow price CNY/yr per slack unit": None,
            }
        )
    for s in data.pue_over_existing:
        rows.append(
            {
                "lever": "pue_max",
                "scope": s,
                "target": f"existing site {s} is above its PUE cap {data.pue_cap[s]:g} (kept open)",
                "sense": "<=",
                "target value": data.pue_cap[s],
                "achieved": data.pue[s],
                "unit": "-",
                "binding": False,
                "slack used": 0.0,
                "slack unit": "-",
                "slack cost CNY/yr": 0.0,
                "shadow price CNY/yr per slack unit": None,
            }
        )
    return pd.DataFrame(rows, columns=POLICY_COLUMNS)


def sc_hw(sc: Any, name: str) -> Any:
    return next(h for h in sc.hardware if h.name == name)


def input_tables(sc: Any) -> dict[str, pd.DataFrame]:
    """The scenario's tables as DataFrames (for the report's inputs echo)."""
    out = {}
    for t in (
        "periods",
        "time_slices",
        "regions",
        "sites",
        "hardware",
        "existing_modules",
        "job_classes",
        "demand",
        "demand_growth",
        "futures",
        "future_demand",
        "links",
        "serving_costs",
        "latency",
        "targets",
    ):
        rows = getattr(sc, t)
        if rows:
            df = pd.DataFrame([r.model_dump(by_alias=True) for r in rows])
            for c in df.columns:
                if df[c].map(lambda v: isinstance(v, (list, dict))).any():
                    df[c] = df[c].map(
                        lambda v: (
                            "; ".join(v)
                            if isinstance(v, list)
                            else (
                                "; ".join(f"{k}={w}" for k, w in v.items())
                                if isinstance(v, dict)
                                else v
                            )
                        )
                    )
            out[t] = df.dropna(axis=1, how="all")
    if sc.profiles:
        out["profiles"] = pd.DataFrame(sc.profiles).rename_axis("slice").reset_index()
    return out
