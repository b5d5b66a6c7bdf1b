"""The master problem: investments, their costs, one ``θ_d`` per subproblem, budgets and cuts.

Built from the model's own blocks on the data with no slices (:func:`.split.master_data`):
``sizing`` (open, modules, ``modules ≤ M × open``, power envelope, max modules), ``placement``
(single-site ``assign`` and ``Σ_s assign = 1``), ``network`` (units, built), the investment-only
policy levers (budget, domestic share, hub share) and the cover row of ``cuts`` computed on the
whole year. Then

``min  Σ_{invest terms} w × cost  +  Σ_d θ_d``
``s.t. θ_d ≥ L_d`` (0 when all operating prices are non-negative),
``Σ_d b_{k,d} + a_k(x) (sense) B_k`` for each coupled target ``k``, ``b_{k,d} ∈ [lo, hi]`` (the range
of ``g_{k,d}`` over every plan, :func:`.split.budget_range`),
and the optimality cuts ``θ_d ≥ z + r_xᵀ(x − x̂) + r_bᵀ(b − b̂)``, added as HiGHS rows in a fixed order.
With ``retain`` / ``relax`` (partial Benders, :mod:`.relaxation`), also ``θ_d ≥`` the operating
cost of subproblem ``d`` kept whole in ``m.retain[d]``, and ``θ_d ≥ R_d(x)`` (its pooled-hardware
relaxation in ``m.relax[g]``) for every other one, or ``Σ_{d ∈ G} θ_d ≥ R_G(x)`` for a group ``G``
of them (``relax_groups``, many days): rows valid for every ``(x, b)``, whose own continuous
columns are not part of the plan.

**Demand futures** (a :class:`.split.Layout`): the investment blocks are built once per future
``f`` in ``m.future[f]`` as in :mod:`planner.model.futures` (``open``, ``modules``, ``units``,
``built`` shared with the first future's block; single-site ``assign`` and the investment-only
levers' rows per future), subproblem ``d`` belongs to one future ``f(d)``, and with
``c_f = inv_f(x) + Σ_{d: f(d) = f} θ_d`` the objective is the risk measure of
:mod:`planner.model.futures`: ``E = Σ_f π_f c_f`` (expected); ``(1 − λ) E + λ (η + 1/(1 − α)
Σ_f π_f s_f)``, ``s_f ≥ c_f − η``, ``s_f ≥ 0`` (CVaR); ``(1 − λ) E + λ R``, ``R ≥ c_f − c*_f``
(regret). Each is non-decreasing in every ``θ_d``, so a master whose ``θ`` are bounded below by
valid cuts bounds the risk measure from below. The year rows of coupled targets are per future
(``Σ_{d: f(d) = f} b_{k,d} + a_k(x)``): exact in every future.

The master lives in one ``highspy.Highs``; cuts are appended rows; the LP phase switches
integrality off, the integer phase on. The level set of the integer phase (``lhs ≤ level``) is one
more row whose upper bound moves.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any, cast

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.core.util import quicksum
from pyomo.repn import generate_standard_repn

from ..data import PlanningData
from ..errors import SolverError
from ..model.cuts import _open_capacity, peak_requirement
from ..model.energy import add_energy
from ..model.futures import _round_futures
from ..model.network import add_network
from ..model.objective import objective_terms
from ..model.placement import add_placement
from ..model.policy import add_policy
from ..model.registry import CostRegistry
from ..model.sizing import add_sizing
from ..solve import INF, _round, compile_model, run_highs
from .relaxation import add_group_relaxation, add_relaxation, add_retained
from .split import INVEST_TERMS, CoupledTarget, Layout, local_names, master_data, master_name

log = logging.getLogger(__name__)


@dataclass
class MasterSolution:
    """One master solve: the plan, the budgets, the θ and the bound it proves."""

    x: dict[str, float]
    b: dict[tuple[tuple[str, str], int], float]
    theta: np.ndarray
    objective: float
    bound: float
    invest_cost: float
    seconds: float
    status: str


class Master:
    """The master problem in HiGHS (see the module docstring)."""

    def __init__(
        self,
        data: PlanningData,
        n_sub: int,
        targets: dict[tuple[str, str], CoupledTarget],
        budget_boxes: dict[tuple[tuple[str, str], int], tuple[float, float]],
        theta_lb: list[float],
        layout: Layout | None = None,
        relax: list[PlanningData] | None = None,
        retain: dict[int, PlanningData] | None = None,
        relax_groups: list[list[int]] | None = None,
    ) -> None:
        m = pyo.ConcreteModel(name=f"{data.scenario.name}-master")
        self.layout = layout
        future_of = layout.future_of if layout is not None else [0] * n_sub
        if layout is None:
            _investment_blocks(m, data)
            blocks = [m]
        else:
            m.F = pyo.Set(initialize=layout.names, ordered=True, doc="demand futures")
            m.future = pyo.Block(m.F)
            first = m.future[layout.names[0]]
            for f, d in zip(layout.names, layout.data):
                _investment_blocks(m.future[f], d, None if m.future[f] is first else first)
            blocks = [m.future[f] for f in layout.names]
            fd = layout.futures_data()
            m._planner_round = lambda cols, x, out: _round_futures(m, fd, cols, x, out)
        self.prefix = None if layout is None else [b.name + "." for b in blocks]
        m.SUB = pyo.RangeSet(0, n_sub - 1)
        m.theta = pyo.Var(
            m.SUB,
            bounds=lambda _, d: (None if not np.isfinite(theta_lb[d]) else theta_lb[d], None),
            doc="operating cost of subproblem d (bounded below by its cuts)",
        )
        # θ_d ≥ R_d(x): a relaxation of each subproblem in the master (.relaxation)
        self.relax_rows = 0
        hard = not data.scenario.policy.allow_unserved
        kept = sorted(retain or {})
        self.relax_blocks = 0
        if relax is not None:
            pooled = [d for d in m.SUB if d not in kept]
            groups = (
                [[d] for d in pooled]
                if relax_groups is None
                else [g for g in ([d for d in g if d not in kept] for g in relax_groups) if g]
            )
            m.relax = pyo.Block(range(len(groups)))
            modules = blocks[0].sizing.modules
            for gi, g in enumerate(groups):
                if len(g) == 1:
                    self.relax_rows += add_relaxation(
                        m.relax[gi], modules, m.theta[g[0]], relax[g[0]], hard
                    )
                else:
                    self.relax_rows += add_group_relaxation(
                        m.relax[gi], modules, [m.theta[d] for d in g], [relax[d] for d in g], hard
                    )
            self.relax_blocks = len(groups)
        # partial Benders: subproblems kept whole in the master (their own continuous columns)
        self.retained = kept
        self.retain_rows = 0
        m.retain = pyo.Block(kept)
        for i in kept:
            assert retain is not None
            self.retain_rows += add_retained(
                m.retain[i], blocks[0], blocks[future_of[i]], m.theta[i], retain[i], hard
            )
        m.budget = pyo.Var(
            list(budget_boxes),
            bounds=lambda _, *k: budget_boxes[_key(k)],
            doc="budget of target k in subproblem d",
        )
        m.year_rows = pyo.ConstraintList()
        for key, t in targets.items():
            for fi in range(len(blocks)):
                days = [kd for kd in budget_boxes if kd[0] == key and future_of[kd[1]] == fi]
                if not days:
                    continue
                lhs = quicksum(m.budget[kd] for kd in days) + quicksum(
                    c * m.find_component(master_name(self.prefix, fi, n)) for n, c in t.invest
                )
                if isinstance(lhs, (int, float)):
                    continue
                m.year_rows.add(lhs <= t.bound if t.sense == "<=" else lhs >= t.bound)
        # c_f = inv_f + Σ_{d of f} θ_d: the cost of each future (one "future" without futures)
        self.prob = [1.0] if layout is None else list(layout.probability)
        cost_f = [
            b.invest_cost + quicksum(m.theta[d] for d in m.SUB if future_of[d] == fi)
            for fi, b in enumerate(blocks)
        ]
        expected = quicksum(p * c for p, c in zip(self.prob, cost_f))
        risk = layout.risk if layout is not None else None
        self.risk = risk
        obj: Any = expected
        if risk is not None and risk.measure == "cvar":
            F = range(len(blocks))
            m.eta = pyo.Var(domain=pyo.Reals, doc="value at risk η")
            m.excess = pyo.Var(F, domain=pyo.NonNegativeReals, doc="s_f = max(0, c_f − η)")
            m.excess_row = pyo.Constraint(F, rule=lambda m, f: m.excess[f] >= cost_f[f] - m.eta)
            cvar = m.eta + quicksum(self.prob[f] * m.excess[f] for f in F) / (1.0 - risk.level)
            if risk.weight:
                obj = (1.0 - risk.weight) * expected + risk.weight * cvar
        elif risk is not None and risk.measure == "regret":
            assert risk.best is not None
            best = risk.best
            F = range(len(blocks))
            m.max_regret = pyo.Var(domain=pyo.Reals, doc="R: the largest regret")
            m.regret_row = pyo.Constraint(F, rule=lambda m, f: m.max_regret >= cost_f[f] - best[f])
            if risk.weight:
                obj = (1.0 - risk.weight) * expected + risk.weight * m.max_regret
        elif risk is not None and risk.measure != "expected":
            raise ValueError(f"unknown risk measure '{risk.measure}'")
        m.objective = pyo.Objective(expr=obj, sense=pyo.minimize)
        self.model = m
        self.comp = comp = compile_model(m)
        cols = comp.columns
        pos = {id(v): i for i, v in enumerate(cols)}
        self.n_sub = n_sub
        self.theta_cols = np.array([pos[id(m.theta[d])] for d in m.SUB], dtype=np.int32)
        self.budget_cols = {
            kd: pos[id(m.budget[kd])] for kd in budget_boxes if id(m.budget[kd]) in pos
        }
        self.x_cols = {v.name: i for i, v in enumerate(cols) if v.is_integer() or v.is_binary()}
        self.future_of = list(future_of)
        #: per future, the subproblems' (local) names of the investment columns → master names
        self.local_x = local_names(self.prefix, list(self.x_cols), len(blocks))
        # inv_f(col) = inv_vec[f] @ col + inv_const[f]
        self.inv_vec = np.zeros((len(blocks), comp.lp.num_col_))
        self.inv_const = np.zeros(len(blocks))
        for fi, b in enumerate(blocks):
            repn = generate_standard_repn(b.invest_cost.expr, compute_values=True)
            self.inv_const[fi] = float(repn.constant)
            for c, v in zip(repn.linear_coefs, repn.linear_vars):
                self.inv_vec[fi, pos[id(v)]] += float(c)
        aux = [
            pos[id(v)]
            for name in ("eta", "excess", "max_regret")
            if hasattr(m, name)
            for v in getattr(m, name).values()
            if id(v) in pos
        ]
        # the relaxation's and the kept subproblems' own columns (rows over them are not the plan's)
        invest = {id(v) for v in cols if v.is_integer() or v.is_binary()}
        for part in ("relax", "retain"):
            aux += [
                pos[id(v)]
                for blk in getattr(m, part, {}).values()
                for v in blk.component_data_objects(pyo.Var)
                if id(v) in pos and id(v) not in invest
            ]
        touched = np.unique(np.concatenate([self.theta_cols, np.array(aux, dtype=np.int32)]))
        csr = comp.csc().tocsr()
        self.own_rows = np.array(
            [
                not np.isin(csr.indices[csr.indptr[r] : csr.indptr[r + 1]], touched).any()
                for r in range(csr.shape[0])
            ],
            dtype=bool,
        )
        self.lower = {n: float(comp.col_lower[i]) for n, i in self.x_cols.items()}
        self.upper = {n: float(comp.col_upper[i]) for n, i in self.x_cols.items()}
        self.is_int = comp.is_int.copy()
        self.cost = np.asarray(comp.lp.col_cost_, dtype=float).copy()
        self.offset = float(comp.lp.offset_)
        self.n_cols = comp.lp.num_col_
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("threads", 1)
        comp.lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in self.is_int
        ]
        h.passModel(comp.lp)
        self.h = h
        self.n_cuts = 0
        self.cut_rows: list[tuple[float, np.ndarray, np.ndarray]] = []
        self._proj: highspy.Highs | None = None
        self.level_row: int | None = None
        self._integer = True

    # ---- cuts -------------------------------------------------------------------------------
    def add_cut(
        self,
        d: int,
        cost: float,
        grad_x: dict[str, float],
        grad_b: dict[tuple[str, str], float],
        x: dict[str, float],
        b: dict[tuple[str, str], float],
    ) -> None:
        """``θ_d − Σ r_x x − Σ r_b b ≥ z − Σ r_x x̂ − Σ r_b b̂`` (coefficients below 1e-9 × scale dropped)."""
        idx, val = [int(self.theta_cols[d])], [1.0]
        rhs = cost
        scale = max([abs(cost), 1.0])
        for name, g in sorted(grad_x.items()):
            if abs(g) * max(1.0, abs(x[name])) <= 1e-12 * scale:
                continue
            idx.append(self.x_cols[name])
            val.append(-g)
            rhs -= g * x[name]
        for key, g in sorted(grad_b.items()):
            if abs(g) <= 1e-12 * scale or (key, d) not in self.budget_cols:
                continue
            idx.append(self.budget_cols[key, d])
            val.append(-g)
            rhs -= g * b[key]
        # a margin of 1e-9 of the terms' magnitude: a steep cut (a plan leaving work undone at a
        # penalty price) that is tight at an integer plan otherwise lets HiGHS's bound propagation
        # round that integer up (seen: a MIP "optimum" above a known plan). Loosening keeps it valid.
        mag = (
            abs(cost)
            + sum(abs(v * x[n]) for n, v in grad_x.items())
            + sum(abs(v * b[k]) for k, v in grad_b.items() if k in b)
        )
        rhs -= 1e-9 * mag
        row = (float(rhs), np.array(idx, dtype=np.int32), np.array(val, dtype=float))
        self.h.addRow(row[0], INF, len(idx), row[1], row[2])
        self.cut_rows.append(row)
        self.n_cuts += 1

    # ---- solves -----------------------------------------------------------------------------
    def set_integer(self, on: bool) -> None:
        if on == self._integer:
            return
        kinds = [
            highspy.HighsVarType.kInteger if (i and on) else highspy.HighsVarType.kContinuous
            for i in self.is_int
        ]
        self.h.changeColsIntegrality(
            self.n_cols, np.arange(self.n_cols, dtype=np.int32), np.array(kinds)
        )
        self._integer = on

    def set_level(self, level: float | None) -> None:
        """The level row ``invest cost + Σ θ ≤ level`` (``None``: off), for the level-set step."""
        if self.level_row is None:
            if level is None:
                return
            idx = np.flatnonzero(self.cost).astype(np.int32)
            vals = self.cost[idx].astype(float)
            self.h.addRow(-INF, float(level - self.offset), len(idx), idx, vals)
            self.level_row = self.h.getNumRow() - 1
            return
        self.h.changeRowBounds(
            self.level_row, -INF, INF if level is None else float(level - self.offset)
        )

    def set_objective(self, cost: np.ndarray | None) -> None:
        """Replace the column costs (``None``: the master's own objective)."""
        c = self.cost if cost is None else cost
        self.h.changeColsCost(
            self.n_cols, np.arange(self.n_cols, dtype=np.int32), np.asarray(c, dtype=float)
        )

    def fix_investments(self, x: dict[str, float] | None) -> None:
        """Fix the investment columns at ``x`` (``None``: free them again)."""
        idx = np.array(sorted(self.x_cols.values()), dtype=np.int32)
        if x is None:
            lo, up = self.comp.col_lower[idx], self.comp.col_upper[idx]
        else:
            names = {i: n for n, i in self.x_cols.items()}
            lo = up = np.array([x[names[i]] for i in idx], dtype=float)
        self.h.changeColsBounds(
            len(idx), idx, np.asarray(lo, dtype=float), np.asarray(up, dtype=float)
        )

    def solve(
        self,
        *,
        integer: bool,
        time_limit: float,
        gap: float,
        start: np.ndarray | None = None,
        stop_at: float | None = None,
    ) -> MasterSolution:
        """Solve the master (LP or MILP); the bound is HiGHS's dual bound (the LP optimum for an LP).

        ``stop_at`` (MILP only): stop as soon as HiGHS's dual bound reaches it, the bound that
        proves the best plan within the asked gap (``best − gap × |best|``). The solve is then
        interrupted by a callback at one of HiGHS's interrupt checks, which depend on the search,
        not the clock; the status is ``bound reached`` and the point, if HiGHS had none, is the
        zero vector (a bound is all the caller needs then).
        """
        t0 = time.perf_counter()
        untrusted = False
        reached = False
        if integer:
            # a fresh HiGHS for each MILP: the persistent one keeps LP state that misled its MIP
            # search after integrality was switched back on (a bound above a known plan, seen)
            self.set_integer(False)
            lp = self.h.getLp()
            lp.integrality_ = [
                highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                for i in self.is_int
            ]
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            h.setOptionValue("random_seed", 0)
            h.setOptionValue("threads", 1)
            # no presolve: with it, HiGHS 1.15 reported a dual bound of 897.84 M CNY/yr on a master
            # whose optimum is 889.12 M (hourly_small, two futures, CVaR, single-site training;
            # without presolve 889.12 M, as the monolithic MILP): an invalid bound
            h.setOptionValue("presolve", "off")
            h.passModel(lp)
        else:
            self.set_integer(False)
            h = self.h
        h.setOptionValue("time_limit", max(1.0, float(time_limit)))
        h.setOptionValue("mip_rel_gap", float(gap))
        if start is not None and integer:
            sol = highspy.HighsSolution()
            sol.col_value = list(start)
            sol.value_valid = True
            h.setSolution(sol)
        if integer and stop_at is not None:
            target = float(stop_at)

            def bound_reached(e: Any) -> None:
                nonlocal reached
                if e.data_out.mip_dual_bound >= target:
                    reached = True
                    e.interrupt()

            h.cbMipInterrupt.subscribe(bound_reached)
        run_highs(h)
        if reached:
            info = h.getInfo()
            has_point = info.primal_solution_status == 2
            col = (
                np.asarray(h.getSolution().col_value, dtype=float)
                if has_point
                else np.zeros(self.n_cols)
            )
            log.debug(
                "master MILP: dual bound %.6g reached %.6g after %d nodes",
                info.mip_dual_bound,
                target,
                info.mip_node_count,
            )
            return self._solution(
                col,
                float(info.objective_function_value) if has_point else float("nan"),
                float(info.mip_dual_bound),
                time.perf_counter() - t0,
                "bound reached",
            )
        if not integer and h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            # cuts from a plan that leaves much undone have large coefficients: retry from scratch
            log.debug(
                "master LP: HiGHS %s; solving again from scratch",
                h.modelStatusToString(h.getModelStatus()),
            )
            h.clearSolver()
            run_highs(h)
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                h.clearSolver()
                h.setOptionValue("solver", "ipm")
                run_highs(h)
                h.setOptionValue("solver", "choose")
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                # the persistent HiGHS, after many bound changes, has called a feasible master
                # "Infeasible" (China with 4 days, investments fixed); a fresh one on the same LP solved it
                lp = h.getLp()
                h = highspy.Highs()
                h.setOptionValue("output_flag", False)
                h.setOptionValue("random_seed", 0)
                h.setOptionValue("threads", 1)
                h.setOptionValue("time_limit", max(1.0, float(time_limit)))
                h.passModel(lp)
                run_highs(h)
        status = h.modelStatusToString(h.getModelStatus())
        info = h.getInfo()
        # HiGHS unsure only by a residual: "Unknown" with a point, or "Optimal" whose unscaled point
        # misses a row by a residual (seen: 1.9e-6 on rows of 10⁹ CNY, cuts priced at the hard
        # targets' 10⁶ CNY, hourly_small with two futures). The point is only a trial plan (the
        # subproblems evaluate it); the bound is HiGHS's dual bound, or the LP's dual-feasible optimum.
        unknown = (
            h.getModelStatus()
            in (highspy.HighsModelStatus.kUnknown, highspy.HighsModelStatus.kOptimal)
            and info.primal_solution_status >= 1
            and (integer or info.dual_solution_status == 2 or info.primal_solution_status == 2)
        )
        if info.primal_solution_status != 2 and not unknown and integer:
            # HiGHS's MIP can fail on the wide coefficient range of cuts: once more from scratch
            # HiGHS 1.15's MIP without presolve calls a feasible master infeasible at its root when
            # a row's terms reach ≈ 10¹² (a steep cut times a module bound; reproduced with two
            # rows); with presolve it solves those. Its point is then only a trial plan: its bound
            # is not taken (presolve once gave a bound above the optimum here, see above)
            log.warning("master MILP: HiGHS %s; solving again with presolve", status)
            h.clearSolver()
            h.setOptionValue("presolve", "on")
            run_highs(h)
            untrusted = True
            status = h.modelStatusToString(h.getModelStatus())
            info = h.getInfo()
            unknown = (
                h.getModelStatus()
                in (highspy.HighsModelStatus.kUnknown, highspy.HighsModelStatus.kOptimal)
                and info.primal_solution_status >= 1
            )
            if os.environ.get("PLANNER_DUMP_MASTER") and info.primal_solution_status != 2:
                h.writeModel(os.environ["PLANNER_DUMP_MASTER"])
        if info.primal_solution_status != 2 and not unknown:
            raise SolverError(
                f"decomposed plan: HiGHS found no solution of the master problem ({status}); "
                "plan it with --method monolithic, or ask a larger --gap"
            )
        if unknown and info.primal_solution_status != 2:  # a residual on a row of 10⁹–10¹³ CNY
            log.debug(
                "master: HiGHS status %s, residual %.3g; its point is used",
                status,
                info.max_primal_infeasibility,
            )
        col = np.asarray(h.getSolution().col_value, dtype=float)
        obj = float(info.objective_function_value)
        bound = float(info.mip_dual_bound) if integer else obj
        if untrusted:
            bound = -np.inf
        if (
            h.getModelStatus()
            not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kUnknown)
            and not integer
        ):
            bound = -np.inf  # an LP stopped early proves nothing
        return self._solution(col, obj, bound, time.perf_counter() - t0, status)

    def project(
        self,
        x: dict[str, float],
        b: dict[tuple[tuple[str, str], int], float],
        level: float,
        time_limit: float,
        iterations: int = 1_000_000,
    ) -> MasterSolution | None:
        """The level-set step: the plan nearest ``(x, b)`` whose cut model costs at most ``level``.

        ``min Σ_i w_i |z_i − ẑ_i|`` over investments and budgets ``z``, with ``w_i = 1 / range_i``,
        subject to every cut and ``invest cost + Σ θ ≤ level``: an LP (the ℓ1 level set; HiGHS's QP
        solver stalled on the ℓ2 one). ``None`` when HiGHS does not solve it within ``time_limit``
        and ``iterations`` simplex iterations (the caller then takes the master's own point).

        The LP is kept in one ``highspy.Highs`` between calls: new cuts are appended, the centre
        and the level are row bounds, and the dual simplex starts from the last basis (with a
        subproblem kept whole in the master, a projection from scratch took ≈ 10 s on China with
        4 days).
        """
        n = self.n_cols
        centre = self.columns(x, b)
        t0 = time.perf_counter()
        if self._proj is None:
            lp = self.h.getLp()
            lo, up = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
            moving = np.array(
                sorted([*self.x_cols.values(), *self.budget_cols.values()]), dtype=np.int32
            )
            rng = (up - lo)[moving]
            rng = np.where(
                np.isfinite(rng) & (rng > 1e-9), rng, np.maximum(1.0, np.abs(centre[moving]))
            )
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            h.setOptionValue("random_seed", 0)
            h.setOptionValue("threads", 1)
            lp.integrality_ = []
            lp.col_cost_ = np.zeros(n)
            lp.offset_ = 0.0
            h.passModel(lp)
            self._proj_cuts = self.n_cuts  # the cuts already in the master's rows
            idx = np.flatnonzero(self.cost).astype(
                np.int32
            )  # the objective's columns (θ, η, s_f, R)
            h.addRow(-INF, INF, len(idx), idx, self.cost[idx].astype(float))
            self._proj_level = h.getNumRow() - 1
            k = len(moving)
            h.addCols(
                k,
                1.0 / rng,
                np.zeros(k),
                np.full(k, INF),
                0,
                np.array([], dtype=np.int32),
                np.array([], dtype=np.int32),
                np.array([], dtype=float),
            )
            self._proj_centre = h.getNumRow()
            for j, c in enumerate(moving):  # d_j − z ≥ −ẑ and d_j + z ≥ ẑ
                dj = n + j
                h.addRow(0.0, INF, 2, np.array([dj, c], dtype=np.int32), np.array([1.0, -1.0]))
                h.addRow(0.0, INF, 2, np.array([dj, c], dtype=np.int32), np.array([1.0, 1.0]))
            self._proj_moving = moving
            self._proj = h
        h = self._proj
        for rhs, idx, val in self.cut_rows[self._proj_cuts :]:
            h.addRow(rhs, INF, len(idx), idx, val)
        self._proj_cuts = len(self.cut_rows)
        moving = self._proj_moving
        k = len(moving)
        rows = np.arange(self._proj_centre, self._proj_centre + 2 * k, dtype=np.int32)
        lower = np.empty(2 * k)
        lower[0::2] = -centre[moving]
        lower[1::2] = centre[moving]
        h.changeRowsBounds(2 * k, rows, lower, np.full(2 * k, INF))  # type: ignore[attr-defined]  # in highspy, not in its stubs
        h.changeRowBounds(self._proj_level, -INF, float(level - self.offset))
        h.setOptionValue("time_limit", h.getRunTime() + max(1.0, float(time_limit)))
        h.setOptionValue("simplex_iteration_limit", int(iterations))
        run_highs(h)
        if h.getModelStatus() not in (
            highspy.HighsModelStatus.kOptimal,
            highspy.HighsModelStatus.kIterationLimit,
            highspy.HighsModelStatus.kTimeLimit,
        ):
            h.clearSolver()
            run_highs(h)
        log.debug(
            "level-set step: HiGHS %s after %d simplex iterations",
            h.modelStatusToString(h.getModelStatus()),
            h.getInfo().simplex_iteration_count,
        )
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        col = np.asarray(h.getSolution().col_value, dtype=float)[:n]
        return self._solution(
            col,
            float(self.cost @ col + self.offset),
            -np.inf,
            time.perf_counter() - t0,
            "level set",
        )

    def _solution(
        self, col: np.ndarray, obj: float, bound: float, seconds: float, status: str
    ) -> MasterSolution:
        x = {n: float(col[i]) for n, i in self.x_cols.items()}
        b = {kd: float(col[i]) for kd, i in self.budget_cols.items()}
        inv = self.invest_cost(col)
        return MasterSolution(x, b, col[self.theta_cols].copy(), obj, bound, inv, seconds, status)

    def invest_cost(self, col: np.ndarray) -> float:
        """The investment cost at master columns ``col`` (with futures: ``Σ_f π_f inv_f``)."""
        return float(np.dot(self.prob, self.inv_vec @ col + self.inv_const))

    def future_costs(self, col: np.ndarray, z: np.ndarray) -> np.ndarray:
        """``c_f = inv_f(x) + Σ_{d of f} z_d`` for every future, from the subproblems' costs ``z``."""
        c = self.inv_vec @ col + self.inv_const
        for d, fi in enumerate(self.future_of):
            c[fi] += z[d]
        return np.asarray(c)

    def value(self, col: np.ndarray, z: np.ndarray) -> float:
        """The master's objective at a plan whose subproblems cost ``z``: the plan's true objective.

        ``Σ_f π_f c_f``; CVaR: ``(1 − λ) E + λ min_η (η + 1/(1 − α) Σ_f π_f max(0, c_f − η))``, the
        minimum taken at one of the ``c_f`` (the objective is piecewise linear in ``η`` with its
        kinks there); regret: ``(1 − λ) E + λ max_f (c_f − c*_f)``.
        """
        c = self.future_costs(col, z)
        p = np.asarray(self.prob)
        e = float(p @ c)
        r = self.risk
        if r is None or r.measure == "expected" or r.weight == 0:
            return e
        if r.measure == "cvar":
            risk = min(float(eta + p @ np.maximum(0.0, c - eta) / (1.0 - r.level)) for eta in c)
        else:
            assert r.best is not None
            risk = float(np.max(c - np.asarray(r.best)))
        return (1.0 - r.weight) * e + r.weight * risk

    def columns(
        self,
        x: dict[str, float],
        b: dict[tuple[tuple[str, str], int], float],
        theta: np.ndarray | None = None,
    ) -> np.ndarray:
        """Master columns from a plan (investments and budgets; θ as given, else 0)."""
        col = np.zeros(self.n_cols)
        for n, i in self.x_cols.items():
            col[i] = x[n]
        for kd, i in self.budget_cols.items():
            col[i] = b.get(kd, 0.0)
        if theta is not None:
            col[self.theta_cols] = theta
        return col

    def feasible(self, x: dict[str, float], b: dict[tuple[tuple[str, str], int], float]) -> bool:
        """Whether a plan meets the master's own rows (power envelopes, module caps, budgets' rows)."""
        col = self.columns(x, b)
        act = self.comp.csc() @ col
        lo, up = np.asarray(self.comp.lp.row_lower_), np.asarray(self.comp.lp.row_upper_)
        tol = 1e-6 * np.maximum(1.0, np.abs(act))
        ok = (act >= lo - tol) & (act <= up + tol)
        return bool(np.all(ok[self.own_rows]))  # not the risk rows (over θ, η, s_f, R)

    def most(self) -> dict[str, float]:
        """The largest plan: every investment at its upper bound (the LP phase's first point)."""
        return {n: float(self.comp.col_upper[i]) for n, i in self.x_cols.items()}

    def round(self, x: dict[str, float]) -> dict[str, float]:
        """The rounding heuristic of :mod:`planner.solve` on a fractional plan: integer investments."""
        col = _round(self.comp, self.model, self.columns(x, {}))
        return {n: float(round(col[i])) for n, i in self.x_cols.items()}

    def budgets_for(self, x: dict[str, float], time_limit: float) -> MasterSolution:
        """The master with the investments fixed at ``x``: the budgets the cuts like best for that plan."""
        self.fix_investments(x)
        try:
            self.set_level(None)
            return self.solve(integer=False, time_limit=time_limit, gap=0.0)
        finally:
            self.fix_investments(None)


def _investment_blocks(m: pyo.Block, data: PlanningData, shared: pyo.Block | None = None) -> None:
    """The investment blocks of the master on ``m`` (a model, or one future's block) and ``m.invest_cost``.

    ``sizing``, ``placement`` (single-site ``assign``), ``network``, ``energy`` and the
    investment-only levers of ``policy`` on the data with no slices; with hard unserved work the
    cover rows on the whole year's demand (of this future). With ``shared`` (a later future), the
    investment variables are those of block ``shared``. ``invest_cost`` is
    ``Σ_{invest terms} w × cost`` plus the slack of the investment-only levers.
    """
    md = master_data(data)
    costs = CostRegistry()
    add_sizing(m, md, costs, None, shared)
    add_placement(m, md, costs)
    add_network(m, md, costs, shared)
    add_energy(m, md, costs)
    add_policy(m, md, costs)
    m.cuts = pyo.Block()
    if data.scenario.solver.valid_inequalities and not data.scenario.policy.allow_unserved:
        _open_capacity(m.cuts, m, data)  # the cover row on the whole year's demand
        # and the installed PFLOPS cover the peak requirement: no plan that must leave work
        # undone is proposed, so no steep cut (work undone at the subproblems' penalty) is made
        need = peak_requirement(data)
        best_eff = max([data.efficiency[j, h] for j in data.CLASSES for h in data.HW] or [1.0])
        if need > 0:
            m.cuts.capacity_covers_peak = pyo.Constraint(
                expr=quicksum(
                    data.pflops[h] * best_eff * m.sizing.modules[s, h]
                    for s, h in data.SITE_HW
                    if data.module_bound[s, h] > 0
                )
                >= need
            )
    weights = data.scenario.objective_weights
    names = list(costs.terms)
    inv = [
        w * costs.terms[k]
        for k, w in objective_terms(weights, names)
        if w and (k in INVEST_TERMS or k == "policy_slack_cost")
    ]
    m.invest_cost = pyo.Expression(expr=quicksum(inv))


def _key(k: Any) -> tuple[tuple[str, str], int]:
    """Pyomo hands a tuple index flattened: ((lever, scope), d) arrives as (lever, scope, d)."""
    if len(k) == 3:
        return ((k[0], k[1]), k[2])
    return cast("tuple[tuple[str, str], int]", k[0] if len(k) == 1 else k)
