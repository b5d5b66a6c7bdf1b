"""One subproblem: the operations of a day (or group of days) given the investments, as a warm LP.

Built once from the model's own blocks (:func:`planner.model.populate` on the day's data), then:

- rows over investments only (``modules ≤ M × open``, power envelope, max modules, units need
  built, one site per single-site demand, the cover row: :data:`MASTER_ROWS`) are dropped: they
  are the master's;
- coupled targets are rewritten as ``g_{k,d} ∓ e_{k,d} (≤ or ≥) b_{k,d}`` (see :mod:`.split`);
- the objective keeps the operating cost terms (everything but :data:`.split.INVEST_TERMS`) at the
  scenario's objective weights, plus the elastic slacks;
- integrality is dropped; investments ``x`` and budgets ``b`` are columns whose bounds are set to
  the master's values before each solve (``lb = ub``).

The model is compiled once into HiGHS and the Pyomo model is dropped; a re-solve changes only
those column bounds, so dual simplex starts from the last basis. The reduced cost of a fixed
column is a subgradient of the subproblem's optimal cost ``z_d`` in that column, which gives the
optimality cut ``θ_d ≥ z_d(x̂, b̂) + Σ_i r_i (x_i − x̂_i) + Σ_k r_k (b_k − b̂_k)``.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.core.util import quicksum
from pyomo.repn import generate_standard_repn

from ..data import PlanningData
from ..model import populate
from ..model.objective import objective_terms
from ..solve import compile_model, run_highs
from .split import (
    COUPLED,
    HARD_PRICE,
    INVEST_COMPONENTS,
    INVEST_TERMS,
    YEAR_BOUND,
    YEAR_INVEST,
    CoupledTarget,
)

log = logging.getLogger(__name__)


#: Rows over investments only, left to the master.
MASTER_ROWS = (
    "sizing.modules_need_open",
    "sizing.power_envelope",
    "sizing.max_modules",
    "network.units_need_built",
    "placement.one_site",
    "cuts.open_capacity_covers_peak",
)


class NotBuilt(RuntimeError):
    """A worker was asked to re-solve a subproblem it does not hold (it was restarted or replaced)."""


@dataclass
class SubResult:
    """What one solve of a subproblem returns to the driver (small: no model, no columns)."""

    index: int
    cost: float  # z_d at the given investments, CNY/yr (objective units)
    grad_x: dict[str, float]  # reduced cost of each investment column
    grad_b: dict[tuple[str, str], float]  # reduced cost of each budget column
    seconds: float
    iterations: int
    elastic: dict[tuple[str, str], float] = field(default_factory=dict)  # e_{k,d} used
    unserved_hard: float = 0.0  # PFLOPS·h left unserved where none may be
    values: dict[str, float] | None = None  # every column's value (the final plan only)
    built_s: float = 0.0
    worker: str = ""
    targets: list[CoupledTarget] | None = None  # set by the call that built it
    size: dict[str, int] | None = None
    min_cost: float = 0.0


@dataclass
class Spec:
    """What a worker needs to build subproblem ``index`` (sent once, or again after a lost worker)."""

    index: int
    data: PlanningData
    prices: dict[str, float]  # policy_slack_cost of coupled levers (others are hard)
    hard_unserved: bool
    threads: int = 1


def _invest_vars(m: pyo.Block) -> list[Any]:
    out = []
    for name in INVEST_COMPONENTS:
        comp = m.find_component(name)
        if comp is not None:
            out += [v for v in comp.values() if not v.fixed]
    return out


class Subproblem:
    """A compiled, warm subproblem (see the module docstring)."""

    def __init__(self, spec: Spec) -> None:
        t0 = time.perf_counter()
        self.index = spec.index
        d = spec.data
        m = pyo.ConcreteModel(name=f"{d.scenario.name}-sub{spec.index}")
        populate(m, d)
        invest = _invest_vars(m)
        inv_ids = {id(v) for v in invest}
        for v in invest:
            v.domain = pyo.Reals  # fixed by bounds at each solve; no integrality in a subproblem
            v.setlb(None)
            v.setub(None)
        # rows over investments only belong to the master (any other such row would be harmless:
        # the master's plan satisfies it, and its columns are fixed here)
        for name in MASTER_ROWS:
            comp = m.find_component(name)
            if comp is not None:
                comp.deactivate()
        self.targets: list[CoupledTarget] = []
        m.decomp = pyo.Block()
        keys = [(t.lever, t.scope) for t in m.policy_targets if t.lever in COUPLED]
        m.decomp.b = pyo.Var(
            keys, domain=pyo.Reals, doc="budget of the coupled target (fixed at the master's value)"
        )
        m.decomp.e = pyo.Var(
            keys, domain=pyo.NonNegativeReals, doc="elastic slack of the coupled target"
        )
        m.decomp.rows = pyo.Constraint(keys)
        slack_cost = []
        self.unserved_cols: list[int] = []
        for t in m.policy_targets:
            if t.lever not in COUPLED:
                continue
            key = (t.lever, t.scope)
            con = t.constraint
            repn = generate_standard_repn(con.body, compute_values=True)
            sense = "<=" if con.upper is not None else ">="
            bound = float(pyo.value(con.upper if sense == "<=" else con.lower))
            day_terms: list[tuple[float, Any]] = []
            year_terms: defaultdict[str, float] = defaultdict(float)
            for c, v in zip(repn.linear_coefs, repn.linear_vars):
                if id(v) in inv_ids and t.lever in YEAR_INVEST:
                    year_terms[v.name] += float(c)
                else:
                    day_terms.append((float(c), v))
            year_bound = bound if t.lever in YEAR_BOUND else 0.0
            day_bound = 0.0 if t.lever in YEAR_BOUND else bound
            g = quicksum(c * v for c, v in day_terms) + float(repn.constant) - day_bound
            b, e = m.decomp.b[key], m.decomp.e[key]
            m.decomp.rows[key] = (g - e <= b) if sense == "<=" else (g + e >= b)
            price = spec.prices.get(t.lever)
            hard = price is None
            slack_cost.append((HARD_PRICE if hard else price) * e)
            self.targets.append(
                CoupledTarget(
                    key,
                    sense,
                    year_bound,
                    tuple(sorted(year_terms.items())),
                    HARD_PRICE if price is None else float(price),
                    hard,
                )
            )
            con.deactivate()
        # objective: operating terms at the scenario's weights, plus elastic slacks
        weights = d.scenario.objective_weights
        names = list(m.COST_TERMS)
        parts = [
            w * m.cost_term[k]
            for k, w in objective_terms(weights, names)
            if k in m.COST_TERMS and w and k not in INVEST_TERMS
        ]
        if weights.get("energy"):
            parts.append(weights["energy"] * m.energy.total_mwh)
        if weights.get("carbon"):
            parts.append(weights["carbon"] * m.energy.carbon)
        m.objective.deactivate()
        m.sub_objective = pyo.Objective(
            expr=quicksum(parts) + quicksum(slack_cost), sense=pyo.minimize
        )
        comp = compile_model(m)
        cols = comp.columns
        self.names = [v.name for v in cols]
        pos = {id(v): i for i, v in enumerate(cols)}
        self.x_cols = {v.name: pos[id(v)] for v in invest if id(v) in pos}
        self.b_cols = {k: pos[id(m.decomp.b[k])] for k in keys if id(m.decomp.b[k]) in pos}
        self.e_cols = {k: pos[id(m.decomp.e[k])] for k in keys if id(m.decomp.e[k]) in pos}
        self.hard_unserved = spec.hard_unserved
        self.unserved_cols = [pos[id(v)] for v in m.placement.unserved.values() if id(v) in pos]
        self.unserved_w = np.array(
            [d.weight[k[2]] for k, v in m.placement.unserved.items() if id(v) in pos]
        )
        self.size = {"columns": comp.lp.num_col_, "rows": comp.lp.num_row_}
        self.min_cost = float(np.min(comp.lp.col_cost_)) if comp.lp.num_col_ else 0.0
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("threads", int(spec.threads))
        h.setOptionValue("random_seed", 0)
        comp.lp.integrality_ = []
        h.passModel(comp.lp)
        self.h = h
        self.fixed = np.array(
            sorted([*self.x_cols.values(), *self.b_cols.values()]), dtype=np.int32
        )
        del m, comp
        self.built_s = time.perf_counter() - t0

    def solve(
        self, x: dict[str, float], b: dict[tuple[str, str], float], values: bool = False
    ) -> SubResult:
        """Fix investments ``x`` and budgets ``b``, re-solve warm; the cost and its subgradient."""
        t0 = time.perf_counter()
        val = np.empty(len(self.fixed))
        where = {c: i for i, c in enumerate(self.fixed)}
        for name, c in self.x_cols.items():
            val[where[c]] = x[name]
        for key, c in self.b_cols.items():
            val[where[c]] = b[key]
        if len(self.fixed):
            self.h.changeColsBounds(len(self.fixed), self.fixed, val, val)
        run_highs(self.h)
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            # a degenerate warm start can stall: retry once from scratch before giving up
            self.h.clearSolver()
            run_highs(self.h)
            status = self.h.getModelStatus()
            if status != highspy.HighsModelStatus.kOptimal:
                raise RuntimeError(
                    f"subproblem {self.index}: HiGHS ended with {self.h.modelStatusToString(status)}"
                )
        info = self.h.getInfo()
        sol = self.h.getSolution()
        dual = np.asarray(sol.col_dual)
        prim = np.asarray(sol.col_value)
        res = SubResult(
            index=self.index,
            cost=float(info.objective_function_value),
            grad_x={name: float(dual[c]) for name, c in self.x_cols.items()},
            grad_b={key: float(dual[c]) for key, c in self.b_cols.items()},
            seconds=time.perf_counter() - t0,
            iterations=int(info.simplex_iteration_count),
            elastic={k: float(prim[c]) for k, c in self.e_cols.items() if prim[c] > 1e-7},
            built_s=self.built_s,
        )
        if self.hard_unserved and self.unserved_cols:
            res.unserved_hard = float(self.unserved_w @ prim[self.unserved_cols])
        if values:
            res.values = {n: float(v) for n, v in zip(self.names, prim)}
        return res


#: Subproblems kept built on this worker between iterations: (run id, index) → Subproblem.
_CACHE: dict[tuple[str, int], Subproblem] = {}


def run_subproblem(
    run_id: str,
    index: int,
    spec: Spec | None,
    x: dict[str, float] | None,
    b: dict[tuple[str, str], float] | None,
    values: bool = False,
) -> SubResult:
    """Dask task: solve subproblem ``index`` of run ``run_id`` on this worker, building it first if ``spec``.

    With ``x = None`` it only builds (or finds) the subproblem and describes it: coupled targets,
    size, least cost coefficient.

    Raises :class:`NotBuilt` when the worker does not hold it and no ``spec`` came (a restarted
    worker): the driver then sends the spec.
    """
    key = (run_id, index)
    sp = _CACHE.get(key)
    built = 0.0
    if sp is None:
        if spec is None:
            raise NotBuilt(f"subproblem {index} of run {run_id} is not built on this worker")
        sp = Subproblem(spec)
        _CACHE[key] = sp
        built = sp.built_s
    if x is None:
        out = SubResult(
            index=index, cost=float("nan"), grad_x={}, grad_b={}, seconds=0.0, iterations=0
        )
    else:
        out = sp.solve(x, b or {}, values)
    out.built_s = built
    if built or x is None:
        out.targets, out.size, out.min_cost = sp.targets, sp.size, sp.min_cost
    try:
        from dask.distributed import get_worker

        out.worker = get_worker().address
    except (ImportError, ValueError):
        out.worker = "local"
    return out


def drop_run(run_id: str) -> int:
    """Forget every subproblem of run ``run_id`` on this worker (at the end of a run); how many."""
    keys = [k for k in _CACHE if k[0] == run_id]
    for k in keys:
        del _CACHE[k]
    return len(keys)
