"""Sizing: which sites open and how many modules of each hardware type they hold.

Constraints (docs/model.md §5): 2 compute capacity, 3 open before use, 4 power envelope, and the
optional ``max_modules`` per site. Cost terms: ``capex_sites``, ``capex_hardware``, ``fixed_om``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from ..data import PlanningData
from .registry import CostRegistry, share


@dataclass
class Carry:
    """How one period's installed modules follow from build decisions (several periods, §5.6).

    ``modules(s, h)`` is ``existing[s,h,p] + Σ_{alive p'} build[s,h,p']``; ``bought(s, h)`` is
    ``build[s,h,p]`` (0 where h cannot be bought in p); ``open_before(s)`` is ``open[s,p−1]``
    (0 in the first period).
    """

    modules: Callable[[str, str], Any]
    bought: Callable[[str, str], Any]
    open_before: Callable[[str], Any]


def add_sizing(
    m: pyo.Block,
    data: PlanningData,
    costs: CostRegistry,
    carry: Carry | None = None,
    shared: pyo.Block | None = None,
) -> None:
    """Add ``open[s]``, ``modules[s,h]`` and their constraints to ``m.sizing``.

    One period: ``modules`` is an integer variable. Several periods (``carry`` given): ``modules``
    is the expression ``carry.modules`` over the integer build decisions. Either way
    ``bought[s,h]`` (modules bought for this period) and ``newly_open[s]`` (1 when the site opens
    in this period) are expressions used by the budget and hub-share levers.

    With ``shared`` (demand futures: the block of the first future), ``open`` and ``modules`` are
    references to that block's variables (investments are shared), and the rows over them alone
    (open before use, power envelope, ``max_modules``), which that block holds, are not repeated.
    """
    b = m.sizing = pyo.Block()
    d = data
    if shared is not None:
        b.open = share(shared.sizing.open)
    else:
        b.open = pyo.Var(d.SITES, domain=pyo.Binary, doc="site s is open")
        for s in d.SITES:
            if d.existing_open[s]:
                b.open[s].fix(1)
    if carry is None and shared is not None:
        b.modules = share(shared.sizing.modules)
        b.bought = pyo.Expression(
            d.SITE_HW,
            rule=lambda b, s, h: b.modules[s, h] - d.existing.get((s, h), 0),
            doc="modules bought: modules − existing",
        )
        b.newly_open = pyo.Expression(
            d.SITES, rule=lambda b, s: 0 if d.existing_open[s] else b.open[s], doc="site opened"
        )
    elif carry is None:
        b.modules = pyo.Var(
            d.SITE_HW,
            domain=pyo.NonNegativeIntegers,
            bounds=lambda _, s, h: (d.existing.get((s, h), 0), d.module_bound[s, h]),
            doc="modules of h installed at s (existing + new)",
        )
        b.bought = pyo.Expression(
            d.SITE_HW,
            rule=lambda b, s, h: b.modules[s, h] - d.existing.get((s, h), 0),
            doc="modules bought: modules − existing",
        )
        b.newly_open = pyo.Expression(
            d.SITES, rule=lambda b, s: 0 if d.existing_open[s] else b.open[s], doc="site opened"
        )
    else:
        b.modules = pyo.Expression(
            d.SITE_HW,
            rule=lambda _, s, h: carry.modules(s, h),
            doc="modules of h in service at s: existing + alive builds",
        )
        b.bought = pyo.Expression(
            d.SITE_HW, rule=lambda _, s, h: carry.bought(s, h), doc="modules bought in this period"
        )
        b.newly_open = pyo.Expression(
            d.SITES,
            rule=lambda b, s: 0 if d.existing_open[s] else b.open[s] - carry.open_before(s),
            doc="site opened in this period: open[s,p] − open[s,p−1]",
        )

    if shared is None:
        _add_site_rows(b, d, carry)
    _add_costs(b, d, costs)


def _add_site_rows(b: pyo.Block, d: PlanningData, carry: Carry | None) -> None:
    """Open before use, power envelope and ``max_modules`` (rows over the investments only)."""

    @b.Constraint(d.SITE_HW, doc="modules[s,h] ≤ M[s,h] × open[s]")
    def modules_need_open(b: Any, s: str, h: str) -> Any:
        if d.module_bound[s, h] == 0 and carry is None:
            return pyo.Constraint.Skip  # bound already 0
        expr = b.modules[s, h]
        if carry is not None and expr.is_fixed():
            return pyo.Constraint.Skip  # brownfield only: forces open already
        return expr <= d.module_bound[s, h] * b.open[s]

    @b.Constraint(d.SITES, doc="Σ_h kw[h] × modules[s,h] ≤ 1000 × max_it_mw[s]")
    def power_envelope(b: Any, s: str) -> Any:
        return quicksum(d.kw[h] * b.modules[s, h] for h in d.HW) <= 1000 * d.max_it_mw[s]

    limited = [s for s in d.SITES if d.max_modules_site[s] is not None]

    @b.Constraint(limited, doc="Σ_h modules[s,h] ≤ max_modules[s]")
    def max_modules(b: Any, s: str) -> Any:
        return quicksum(b.modules[s, h] for h in d.HW) <= d.max_modules_site[s]


def _add_costs(b: pyo.Block, d: PlanningData, costs: CostRegistry) -> None:
    """Cost terms ``capex_sites``, ``capex_hardware`` and ``fixed_om``."""
    costs.add(
        "capex_sites",
        quicksum(
            d.open_annual[s] * b.open[s]
            for s in d.SITES
            if not d.existing_open[s] and d.open_annual[s]
        ),
        "annualised open_cost of new sites: Σ open_cost × crf(i, open_life_years) × open",
    )
    costs.add(
        "capex_hardware",
        quicksum(
            d.capex_annual[h] * (b.modules[s, h] - d.existing.get((s, h), 0))
            for s, h in d.SITE_HW
            if d.capex_annual[h]
        ),
        "annualised capex of new modules: Σ capex × crf(i, life_years) × (modules − existing)",
    )
    costs.add(
        "fixed_om",
        quicksum(d.fixed_om[h] * b.modules[s, h] for s, h in d.SITE_HW if d.fixed_om[h]),
        "fixed O&M of all installed modules: Σ fixed_om_frac × capex × modules",
    )


def add_capacity(m: pyo.ConcreteModel, data: PlanningData) -> None:
    """Constraint 2: ``load[s,h,t] ≤ pflops[h] × modules[s,h]`` where work can run on (s, h)."""
    d = data
    b = m.sizing

    @b.Constraint(
        list(m.placement.load.keys()), doc="Σ_{j,r} x / efficiency ≤ pflops[h] × modules[s,h]"
    )
    def capacity(b: Any, s: str, h: str, t: str) -> Any:
        return m.placement.load[s, h, t] <= d.pflops[h] * b.modules[s, h]
