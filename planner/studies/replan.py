"""Fast what-if re-solves: change a built model and solve again without rebuilding it.

:class:`Replanner` builds and compiles a scenario once and keeps two HiGHS objects warm: the LP
relaxation (solved with the interior-point method and crossover the first time, so that it has a
basis) and the LP with the plan's integers fixed. A change goes straight into HiGHS:

- :meth:`Replanner.scale_cost` multiplies one registered cost term (e.g. ``energy_cost`` ×1.2 is
  every site's electricity price +20%; ``carbon_cost`` scales the carbon price; ``capex_hardware``
  the price of hardware): objective coefficients only, from the term's linear form.
- :meth:`Replanner.set_target` sets the target of a constant-right-hand-side policy row
  (``carbon_cap``, ``budget``).
- :meth:`Replanner.scale_demand` multiplies every demand level: the demand rows' right-hand sides,
  the demand-derived coefficients (``x ≤ d̂·open``, single-site bounds, ``modules ≤ M·open``) and
  module bounds ``M``, recomputed by the data layer for the scaled scenario.

:meth:`Replanner.solve` then repeats the MIP-start path of :func:`planner.solve` from warm bases:
the LP relaxation (a lower bound), integers rounded up and repaired, the fixed LP. The plan is
returned as :class:`~planner.Results`, marked ``optimal`` when within ``mip_gap`` of the bound and
``feasible`` with its gap otherwise (run :func:`planner.run` for branch and bound then).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn import generate_standard_repn

from ..data import prepare
from ..horizon.futures import without_futures
from ..horizon.periods import one_period_only
from ..model import build_model
from ..model.cuts import linking_bound, peak_requirement, ship_bound, site_capacity_bound
from ..results import Results, extract
from ..scenario import Scenario, load_scenario
from ..solve import (
    SolveOutcome,
    _highs_version,
    _load,
    _rel_gap,
    _round,
    compile_model,
    run_highs,
)

log = logging.getLogger(__name__)

_INT = highspy.HighsVarType.kInteger


class Replanner:
    """A scenario built and compiled once, for many fast re-solves after small changes.

    Examples
    --------
    >>> rp = Replanner("scenarios/tiny", mip_gap=1e-6)  # doctest: +SKIP
    >>> base = rp.solve().total_cost  # doctest: +SKIP
    >>> rp.scale_cost("energy_cost", 1.2)  # electricity +20% everywhere  # doctest: +SKIP
    >>> dearer = rp.solve().total_cost  # doctest: +SKIP
    """

    def __init__(
        self,
        scenario: str | Path | Scenario,
        *,
        time_limit: float = 600.0,
        mip_gap: float = 0.01,
        threads: int = 1,
    ) -> None:
        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        one_period_only(self.scenario, "fast re-solving (Replanner)")
        self.scenario = without_futures(self.scenario, "fast re-solving (Replanner)")
        self.time_limit, self.mip_gap, self.threads = time_limit, mip_gap, threads
        t0 = time.perf_counter()
        self.data = prepare(self.scenario)
        self.m = build_model(self.data)
        self.comp = compile_model(self.m)
        self.build_s = time.perf_counter() - t0
        lp = self.comp.lp
        lp.integrality_ = []
        self.col = {id(v): i for i, v in enumerate(self.comp.columns)}
        self.rows: dict[Any, list[int]] = {}
        for i, c in enumerate(self.comp.rows):
            self.rows.setdefault(c, []).append(i)
        self.base_cost = np.asarray(lp.col_cost_, dtype=float).copy()
        self.cost = self.base_cost.copy()
        self.row_lo = np.asarray(lp.row_lower_, dtype=float).copy()
        self.row_up = np.asarray(lp.row_upper_, dtype=float).copy()
        self.col_lo = self.comp.col_lower.copy()
        self.col_up = self.comp.col_upper.copy()
        self.coeffs: dict[tuple[int, int], float] = {}
        self.base_coeff: dict[tuple[int, int], float] = {}
        self.factors: dict[str, float] = {}
        self.demand_factor = 1.0
        self.view = self.data
        self._term_vec: dict[str, np.ndarray] = {}
        self._h_lp: highspy.Highs | None = None
        self._h_fix: highspy.Highs | None = None
        self.solves = 0

    # ---- changes ---------------------------------------------------------------------------
    def _term(self, name: str) -> np.ndarray:
        if name not in self._term_vec:
            if name not in list(self.m.COST_TERMS):
                raise KeyError(f"no cost term '{name}'; known: {', '.join(self.m.COST_TERMS)}")
            repn = generate_standard_repn(self.m.cost_term[name].expr, compute_values=True)
            vec = np.zeros(len(self.base_cost))
            for v, c in zip(repn.linear_vars, repn.linear_coefs):
                if id(v) in self.col:
                    vec[self.col[id(v)]] += c
            self._term_vec[name] = vec
        return self._term_vec[name]

    def scale_cost(self, term: str, factor: float) -> None:
        """Multiply cost term ``term`` (as built) by ``factor`` (absolute, not cumulative)."""
        self._term(term)  # unknown terms are refused before anything changes
        self.factors[term] = float(factor)
        cost = self.base_cost.copy()
        for t, f in self.factors.items():
            cost += (f - 1.0) * self._term(t)
        self.cost = cost

    def set_target(self, lever: str, value: float) -> None:
        """Set the target of a policy row with a constant right-hand side (``carbon_cap``, ``budget``)."""
        targets = [tg for tg in self.m.policy_targets if tg.lever == lever]
        if lever not in ("carbon_cap", "budget") or len(targets) != 1:
            raise ValueError(
                f"set_target works for a carbon_cap or budget the scenario sets (got '{lever}')"
            )
        tg = targets[0]
        for i in self.rows[tg.constraint]:
            # the row is `expr (- slack) <= target` with the target (less any constant) as its upper bound
            if not np.isfinite(self.row_up[i]):
                raise ValueError(f"unexpected form of the {lever} row")
            self.row_up[i] += value - tg.target
        tg.target = value

    def scale_demand(self, factor: float) -> None:
        """Multiply every demand level by ``factor`` (absolute, not cumulative)."""
        f = float(factor)
        sc = self.scenario
        scaled = sc.model_copy(
            update={
                "demand": tuple(d.model_copy(update={"pflops": d.pflops * f}) for d in sc.demand)
            }
        )
        new = prepare(scaled)
        if new.X != self.data.X or new.SITE_HW != self.data.SITE_HW:
            raise ValueError("scaling demand changed the model's sets; build a new Replanner")
        m, d = self.m, self.data
        b = m.placement
        for con_block, per_day in ((b.demand_met, False), (b.demand_met_per_day, True)):
            for key, con in con_block.items():
                if per_day:
                    j, r, day = key
                    old = sum(d.weight[t] * d.demand.get((j, r, t), 0.0) for t in d.DAYS[day])
                else:
                    old = d.demand[key]
                for i in self.rows.get(con, []):  # an equality: both sides become the scaled demand
                    self.row_lo[i] = self.row_up[i] = old * f
        for (
            key,
            con,
        ) in b.transport_balance.items():  # transport form: the right-hand side is Σ demand
            j, v, t = key
            origins = [r for (jj, r) in d.DEMAND_JR if jj == j and (v == "*" or r == v)]
            old = 0.0 if d.shiftable[j] else sum(d.demand.get((j, r, t), 0.0) for r in origins)
            for i in self.rows.get(con, []):
                self.row_lo[i] = self.row_up[i] = old * f
        cuts = m.cuts
        if hasattr(cuts, "open_capacity_covers_peak"):
            con = cuts.open_capacity_covers_peak
            for i in self.rows.get(con, []):
                self.row_lo[i] = peak_requirement(new)
            for site in d.SITES:
                self._set_coeff(con, m.sizing.open[site], site_capacity_bound(new, site))
        for (a, n, t), con in cuts.flow_needs_built.items():
            ln = next(x.link for x in d.ARCS if x.name == a)
            self._set_coeff(con, m.network.built[ln], -linking_bound(new, (a, n, t)))
        for (j, a, t), con in cuts.ship_needs_built.items():
            ln = next(x.link for x in d.ARCS if x.name == a)
            self._set_coeff(con, m.network.built[ln], -ship_bound(new, j, ln, t))
        for key, con in b.only_open_sites.items():
            self._scale_coeff(con, m.sizing.open[key[2]], f)
        for key, con in b.only_assigned_site.items():
            self._scale_coeff(con, b.assign[key[0], key[1], key[2]], f)
        for (s, h), con in m.sizing.modules_need_open.items():
            self._set_coeff(con, m.sizing.open[s], -float(new.module_bound[s, h]))
        for (s, h), v in m.sizing.modules.items():
            if id(v) in self.col:
                self.col_up[self.col[id(v)]] = float(new.module_bound[s, h])
        self.demand_factor = f
        self.view = new  # demand-dependent tables of the results come from the scaled data

    def _coeff_index(self, con: Any, var: Any) -> list[tuple[int, int]]:
        if id(var) not in self.col:
            return []
        j = self.col[id(var)]
        return [(i, j) for i in self.rows.get(con, [])]

    def _base(self, i: int, j: int) -> float:
        if (i, j) not in self.base_coeff:
            A = self.comp.lp.a_matrix_
            start, end = A.start_[j], A.start_[j + 1]
            idx = np.asarray(A.index_[start:end])
            hit = np.flatnonzero(idx == i)
            self.base_coeff[i, j] = (
                float(np.asarray(A.value_[start:end])[hit[0]]) if len(hit) else 0.0
            )
        return self.base_coeff[i, j]

    def _scale_coeff(self, con: Any, var: Any, f: float) -> None:
        for i, j in self._coeff_index(con, var):
            self.coeffs[i, j] = self._base(i, j) * f

    def _set_coeff(self, con: Any, var: Any, value: float) -> None:
        for i, j in self._coeff_index(con, var):
            self._base(i, j)
            self.coeffs[i, j] = value

    # ---- solving ---------------------------------------------------------------------------
    def _push(self, h: highspy.Highs, fix: np.ndarray | None) -> None:
        n = len(self.cost)
        cols = np.arange(n, dtype=np.int32)
        h.changeColsCost(n, cols, self.cost)
        lo, up = self.col_lo.copy(), self.col_up.copy()
        if fix is not None:
            idx = np.flatnonzero(self.comp.is_int)
            lo[idx] = fix[idx]
            up[idx] = fix[idx]
        h.changeColsBounds(n, cols, lo, up)
        rows = np.arange(len(self.row_lo), dtype=np.int32)
        h.changeRowsBounds(len(rows), rows, self.row_lo, self.row_up)  # type: ignore[attr-defined]  # in highspy, not in its stubs
        for (i, j), v in self.coeffs.items():
            h.changeCoeff(int(i), int(j), float(v))

    def _highs(self, first: bool) -> highspy.Highs:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", self.threads)
        if first:
            h.setOptionValue("solver", "ipm")
            h.setOptionValue("run_crossover", "on")  # a basis for the warm re-solves
        h.passModel(self.comp.lp)
        return h

    def _run(self, h: highspy.Highs) -> bool:
        h.setOptionValue(
            "time_limit", h.getRunTime() + self.time_limit
        )  # the limit counts the object's life
        run_highs(h)
        return h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    def solve(self) -> Results:
        """Solve the current version: LP relaxation, rounding, fixed LP — from warm bases after the first."""
        t0 = time.perf_counter()
        if self._h_lp is None:
            self._h_lp = self._highs(first=True)
        else:
            self._h_lp.setOptionValue("solver", "simplex")
        self._push(self._h_lp, None)
        if not self._run(self._h_lp):
            raise RuntimeError(
                f"LP relaxation: {self._h_lp.modelStatusToString(self._h_lp.getModelStatus())}"
            )
        lp_obj = float(self._h_lp.getInfo().objective_function_value)
        bound = lp_obj - 1e-7 * max(1.0, abs(lp_obj))
        x = np.array(self._h_lp.getSolution().col_value)
        fixed = _round(self.comp, self.m, x)
        if self._h_fix is None:
            self._h_fix = self._highs(first=False)
        self._push(self._h_fix, fixed)
        if not self._run(self._h_fix):
            raise RuntimeError(
                f"fixed LP: {self._h_fix.modelStatusToString(self._h_fix.getModelStatus())}"
            )
        obj = float(self._h_fix.getInfo().objective_function_value)
        plan = np.array(self._h_fix.getSolution().col_value)
        gap = _rel_gap(obj, bound)
        how = "rounded plan within"
        if gap > self.mip_gap:
            obj, plan, bound, gap, how = self._branch_and_bound(plan, obj, bound)
        _load(self.comp, plan, True)
        self.solves += 1
        outcome = SolveOutcome(
            status="optimal" if gap <= self.mip_gap else "feasible",
            termination=f"re-solve {self.solves}: {how} {self.mip_gap:g} of the bound",
            has_solution=True,
            objective=obj,
            bound=bound,
            gap=gap,
            solve_s=time.perf_counter() - t0,
            solver_version=_highs_version(),
            options={
                "time_limit": self.time_limit,
                "mip_rel_gap": self.mip_gap,
                "threads": self.threads,
                "replanner": True,
            },
            size={
                "columns": self.comp.lp.num_col_,
                "rows": self.comp.lp.num_row_,
                "integers": int(self.comp.is_int.sum()),
            },
        )
        res = extract(self.m, self.view, outcome)
        res.extras["changes"] = {
            "cost factors": dict(self.factors),
            "demand factor": self.demand_factor,
        }
        # the model's expressions hold the *built* data: report costs from the solver's objective terms
        self._rescale_costs(res)
        return res

    def _branch_and_bound(
        self, plan: np.ndarray, obj: float, bound: float
    ) -> tuple[float, np.ndarray, float, float, str]:
        """HiGHS's MIP search on the changed model, starting from the rounded plan."""
        lp = self.comp.lp
        lp.integrality_ = [
            _INT if i else highspy.HighsVarType.kContinuous for i in self.comp.is_int
        ]
        try:
            h = self._highs(first=False)
        finally:
            lp.integrality_ = []
        h.setOptionValue("mip_rel_gap", self.mip_gap)
        self._push(h, None)
        start = highspy.HighsSolution()
        start.col_value = list(plan)
        start.value_valid = True
        h.setSolution(start)
        self._run(h)
        info = h.getInfo()
        if info.primal_solution_status == 2 and info.objective_function_value <= obj + 1e-9 * max(
            1.0, abs(obj)
        ):
            obj, plan = float(info.objective_function_value), np.array(h.getSolution().col_value)
        bound = (
            max(bound, float(info.mip_dual_bound)) if np.isfinite(info.mip_dual_bound) else bound
        )
        gap = _rel_gap(obj, bound)
        return (
            obj,
            plan,
            bound,
            gap,
            "branch and bound from the rounded plan:"
            + (" within" if gap <= self.mip_gap else " outside"),
        )

    def _rescale_costs(self, res: Results) -> None:
        """Cost terms as changed (the Pyomo expressions hold the built prices)."""
        if not self.factors:
            return
        values = np.array([v.value or 0.0 for v in self.comp.columns])
        for term, f in self.factors.items():
            built = float(pyo.value(self.m.cost_term[term]))
            res.costs.loc[res.costs["term"] == term, "CNY/yr"] = built + (f - 1.0) * float(
                self._term(term) @ values
            )
        total = float(res.costs["CNY/yr"].sum())
        res.costs["share"] = res.costs["CNY/yr"] / total if total else 0.0
        res.summary.loc[res.summary["kpi"] == "total cost", "value"] = total
        for term in self.factors:
            by_term = res.costs.set_index("term")["CNY/yr"]
            res.summary.loc[res.summary["kpi"] == f"cost: {term}", "value"] = float(by_term[term])
