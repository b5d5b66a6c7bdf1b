"""The model of demand futures (docs/model.md §10, "Demand futures"): build once, operate in each.

Each future ``f`` (probability ``π_f``) is the model of its own data in block ``m.future[f]`` — the
one-period model, or with periods the several-period model — and every block's investment
variables (``open``, ``modules`` or ``build``, link ``units`` and ``built``) are the first
block's: one set of investments, operation (placement, unserved work, energy, green power) per
future. ``cost[f]`` is the objective of block ``f`` (its annual cost, or with periods its
discounted total), investments included, so ``Σ_f π_f cost[f]`` charges them once. The objective:

- ``expected``: ``E = Σ_f π_f cost[f]``;
- ``cvar`` at level ``α``: ``(1 − λ) E + λ CVaR``, ``CVaR = η + 1/(1 − α) Σ_f π_f z_f`` with
  ``z_f ≥ cost[f] − η``, ``z_f ≥ 0``, ``η`` free (Rockafellar–Uryasev): at the optimum ``η`` is the
  ``α``-quantile of the cost and CVaR the mean cost of the worst ``1 − α`` of probability;
- ``regret``: ``(1 − λ) E + λ R`` with ``R ≥ cost[f] − cost*[f]`` for every ``f``, ``cost*[f]`` the
  optimum of future ``f`` planned alone (given).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from ..horizon.futures import FuturesData
from . import populate
from .multi_period import Columns, populate_periods, round_builds

log = logging.getLogger(__name__)


def build_futures_model(
    fd: FuturesData,
    *,
    measure: str = "expected",
    level: float = 0.9,
    weight: float = 1.0,
    best: Mapping[str, float] | None = None,
    fixed: Mapping[str, Mapping[Any, float]] | None = None,
    floor: Mapping[str, Mapping[Any, float]] | None = None,
) -> pyo.ConcreteModel:
    """Build the model of every future of ``fd`` with shared investments (see module docs).

    ``best`` gives ``cost*[f]`` (measure ``regret``). ``fixed`` fixes the investments (to evaluate a
    given plan on every future): ``"open"``, ``"modules"`` and ``"units"`` keyed like the variables
    (one period: ``s``, ``(s, h)``, ``link``; several: ``(s, year)``, ``"build"`` ``(s, h, year)``,
    ``(link, year)``). ``floor`` makes ``floor["modules"]`` (several periods: ``floor["build"]``) the
    least modules (purchases) of each ``(s, h)`` (an announced baseline with top-up).
    """
    t0 = time.perf_counter()
    m = pyo.ConcreteModel(name=fd.scenario.name)
    names = fd.names
    m.F = pyo.Set(initialize=names, ordered=True, doc="demand futures")
    m.future = pyo.Block(m.F)
    first = m.future[names[0]]
    for f in names:
        b = m.future[f]
        shared = None if f == names[0] else first
        if fd.multi_period:
            populate_periods(b, fd.data[f], shared)
        else:
            populate(b, fd.data[f], shared=shared)
        b.objective.deactivate()
    pi = fd.probability
    m.probability = dict(pi)  # π_f, and below the risk weight w: ω_f (planner.horizon.stack)
    m.risk_weight = 0.0 if measure == "expected" else float(weight)
    m.cost = pyo.Expression(
        m.F,
        rule=lambda m, f: m.future[f].objective.expr,
        doc="objective of future f (CNY/yr; several periods: discounted CNY)",
    )
    m.expected_cost = pyo.Expression(
        expr=quicksum(pi[f] * m.cost[f] for f in names), doc="Σ_f π_f cost[f]"
    )
    if measure == "cvar":
        m.eta = pyo.Var(
            domain=pyo.Reals, doc="value at risk η (at the optimum the α-quantile of the cost)"
        )
        m.excess = pyo.Var(m.F, domain=pyo.NonNegativeReals, doc="z_f = max(0, cost[f] − η)")
        m.excess_row = pyo.Constraint(
            m.F, rule=lambda m, f: m.excess[f] >= m.cost[f] - m.eta, doc="z_f ≥ cost[f] − η"
        )
        m.risk = pyo.Expression(
            expr=m.eta + quicksum(pi[f] * m.excess[f] for f in names) / (1.0 - level),
            doc="CVaR_α of the cost",
        )
    elif measure == "regret":
        if best is None:
            raise ValueError("measure 'regret' needs each future's own optimum (best)")
        m.max_regret = pyo.Var(domain=pyo.Reals, doc="R: the largest regret")
        m.regret_row = pyo.Constraint(
            m.F, rule=lambda m, f: m.max_regret >= m.cost[f] - best[f], doc="R ≥ cost[f] − cost*[f]"
        )
        m.risk = pyo.Expression(expr=m.max_regret, doc="the largest regret")
    elif measure != "expected":
        raise ValueError(f"unknown risk measure '{measure}': use expected, cvar or regret")
    if measure == "expected" or weight == 0:
        m.objective = pyo.Objective(expr=m.expected_cost, sense=pyo.minimize)
    else:
        m.objective = pyo.Objective(
            expr=(1.0 - weight) * m.expected_cost + weight * m.risk, sense=pyo.minimize
        )
    if fixed:
        fix_investments(m, fd, fixed)
    if floor:
        floor_investments(m, fd, floor)
    m._planner_round = lambda cols, x, out: _round_futures(m, fd, cols, x, out)
    log.info(
        "built %d-future model %s in %.2fs", len(names), fd.scenario.name, time.perf_counter() - t0
    )
    return m


def first_block(m: pyo.ConcreteModel) -> pyo.Block:
    """The block that holds the shared investment variables."""
    return m.future[m.F.first()]


def floor_investments(
    m: pyo.ConcreteModel, fd: FuturesData, floor: Mapping[str, Mapping[Any, float]]
) -> None:
    """Raise the lower bounds of the shared modules to ``floor["modules"]`` and open those sites
    (several periods: of the purchases to ``floor["build"]``, and ``open[s,p]`` fixed at 1 where
    ``floor["open"]`` says so)."""
    b = first_block(m)
    if fd.multi_period:
        for k, v in b.build.items():
            n = round(floor.get("build", {}).get(k, 0))
            if n > (v.lb or 0):
                v.setlb(n)
                if v.ub is not None and v.ub < n:
                    v.setub(n)
        for y in b.P:
            for s, v in b.period[y].sizing.open.items():
                if floor.get("open", {}).get((s, y), 0) >= 0.5 and not v.fixed:
                    v.fix(1)
        return
    for k, v in b.sizing.modules.items():
        n = round(floor.get("modules", {}).get(k, 0))
        if n > (v.lb or 0):
            v.setlb(n)
            if v.ub is not None and v.ub < n:
                v.setub(n)
            if not b.sizing.open[k[0]].fixed:
                b.sizing.open[k[0]].fix(1)


def fix_investments(
    m: pyo.ConcreteModel, fd: FuturesData, fixed: Mapping[str, Mapping[Any, float]]
) -> None:
    """Fix the shared investments at ``fixed`` (see :func:`build_futures_model`).

    Each kind given (``"open"``, ``"modules"`` or ``"build"``, ``"units"``) is fixed everywhere, keys
    it does not list at 0 (nothing built there); a kind not given stays free (an announced baseline
    fixes sites and modules and leaves the links to the plan).
    """
    b = first_block(m)

    def fix(v: pyo.Var, kind: str, key: object) -> None:
        if kind in fixed and not v.fixed:
            v.fix(max(v.lb or 0, round(fixed[kind].get(key, 0))))

    if fd.multi_period:
        for k, v in b.build.items():
            fix(v, "build", k)
        for y in b.P:
            for s, v in b.period[y].sizing.open.items():
                fix(v, "open", (s, y))
            for ln, v in b.period[y].network.units.items():
                fix(v, "units", (ln, y))
        return
    for s, v in b.sizing.open.items():
        fix(v, "open", s)
    for k, v in b.sizing.modules.items():
        fix(v, "modules", k)
    for ln, v in b.network.units.items():
        fix(v, "units", ln)


def _round_futures(
    m: pyo.ConcreteModel, fd: FuturesData, columns: list[Any], x: Columns, out: Columns
) -> None:
    """MIP-start rounding: purchases as in several periods (on the shared block); each future's
    single-site assignments to their largest share."""
    if fd.multi_period:
        round_builds(first_block(m), fd.data[fd.names[0]], columns, x, out)
    pos = {id(v): i for i, v in enumerate(columns)}
    for f in fd.names:
        blocks = (
            [m.future[f].period[y] for y in m.future[f].P] if fd.multi_period else [m.future[f]]
        )
        for b in blocks:
            groups: dict[tuple[str, str], list[int]] = {}
            for (j, r, _s), v in b.placement.assign.items():
                if id(v) in pos:
                    groups.setdefault((j, r), []).append(pos[id(v)])
            for cols in groups.values():
                top = max(cols, key=lambda i: x[i])
                for i in cols:
                    out[i] = 0.0
                out[top] = 1.0
