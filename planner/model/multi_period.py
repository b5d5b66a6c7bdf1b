"""The several-period model (docs/model.md §5.6): one period block each, linked by build decisions.

Each period ``p`` is the one-period model of its own data (:func:`planner.model.populate`) in
block ``m.period[p]``, except that installed modules are not variables of the block but
expressions over the integer build decisions ``build[s,h,p']``::

    modules[s,h,p] = existing[s,h,p] + Σ_{p' ≤ p, year[p] < year[p'] + life_years[h]} build[s,h,p']

``build`` exists only where ``h`` can be bought in ``year[p']``. Sites stay open
(``open[s,p] ≥ open[s,p−1]``) and link units persist (``units[l,p] ≥ units[l,p−1]``). The
objective is ``Σ_p w[p] × objective[p]`` with ``w[p] = years[p] × (1+i)^−(year[p] − year[first])``:
each period's annual costs (annuities of what is in service, O&M, energy, ...) weighted by its
length and discounted to the first year.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pyomo.environ as pyo
from pyomo.core.util import quicksum

from ..data import PlanningData
from ..horizon.periods import MultiPeriodData
from . import populate
from .registry import share
from .sizing import Carry

log = logging.getLogger(__name__)


def build_periods_model(
    md: MultiPeriodData, fixed: Mapping[str, Mapping[Any, float]] | None = None
) -> pyo.ConcreteModel:
    """Build the several-period model of ``md``.

    ``fixed`` (myopic planning) maps ``"build"``, ``"open"`` and ``"units"`` to values keyed like
    the variables (``(s, h, year)``, ``(s, year)``, ``(link, year)``); those decisions are fixed.
    """
    t0 = time.perf_counter()
    m = pyo.ConcreteModel(name=md.scenario.name)
    populate_periods(m, md)
    if fixed:
        _fix(m, fixed)
    m._planner_round = lambda cols, x, out: round_builds(m, md, cols, x, out)
    log.info(
        "built %d-period model %s in %.2fs",
        len(md.years),
        md.scenario.name,
        time.perf_counter() - t0,
    )
    return m


def populate_periods(m: pyo.Block, md: MultiPeriodData, shared: pyo.Block | None = None) -> None:
    """Add the several-period model of ``md`` to ``m`` (a model, or a future's block), with ``m.objective``.

    With ``shared`` (demand futures: the first future's block), the build decisions, open sites and
    link units are that block's (references), and the rows that link them across periods, which
    that block holds, are not repeated.
    """
    years = md.years
    m.P = pyo.Set(initialize=years, ordered=True, doc="periods (first year)")
    m.BUILD = pyo.Set(
        initialize=md.BUILD, dimen=3, ordered=True, doc="(s, h, p) where h can be bought at s in p"
    )
    if shared is not None:
        m.build = share(shared.build)
    else:
        # a purchase is in service in its own period: build[s,h,p] ≤ M[s,h,p] − existing[s,h,p]
        m.build = pyo.Var(
            m.BUILD,
            domain=pyo.NonNegativeIntegers,
            bounds=lambda _, s, h, y: (0, md.data[y].module_bound[s, h] - md.existing[s, h, y]),
            doc="modules of h bought at s in period p",
        )
    m.period = pyo.Block(m.P)
    for i, p in enumerate(md.periods):
        carry = _carry(m, md, p.year, years[i - 1] if i else None)
        b = m.period[p.year]
        populate(b, md.data[p.year], carry, shared.period[p.year] if shared is not None else None)
        b.objective.deactivate()
    m.period_weight = {p.year: p.weight for p in md.periods}
    m.objective = pyo.Objective(
        expr=quicksum(p.weight * m.period[p.year].objective.expr for p in md.periods),
        sense=pyo.minimize,
    )
    if shared is not None:
        return
    later = years[1:]
    sites = md.data[years[0]].SITES
    links = list(md.data[years[0]].links)
    m.open_persists = pyo.Constraint(
        [(s, y) for y in later for s in sites],
        rule=lambda m, s, y: (
            m.period[y].sizing.open[s] >= m.period[years[years.index(y) - 1]].sizing.open[s]
        ),
        doc="open[s,p] ≥ open[s,p−1]: sites once opened stay open",
    )
    m.units_persist = pyo.Constraint(
        [(ln, y) for y in later for ln in links],
        rule=lambda m, ln, y: (
            m.period[y].network.units[ln] >= m.period[years[years.index(y) - 1]].network.units[ln]
        ),
        doc="units[l,p] ≥ units[l,p−1]: link units persist",
    )
    m.build_needs_open = pyo.Constraint(
        [k for k in md.BUILD if md.purchase_bound.get(k, 0) > 0],
        rule=lambda m, s, h, y: (
            m.build[s, h, y] <= md.purchase_bound[s, h, y] * m.period[y].sizing.open[s]
        ),
        doc="build[s,h,p] ≤ B[s,h,p] × open[s,p] (valid: a purchase holds at most what one period it serves needs)",
    )
    for k in md.BUILD:
        if md.purchase_bound.get(k, 0) <= 0:
            m.build[k].fix(0)


def _carry(m: pyo.ConcreteModel, md: MultiPeriodData, y: int, prev: int | None) -> Carry:
    """How period ``y``'s modules, purchases and earlier openings follow from ``m.build`` (§5.6)."""

    def modules(s: str, h: str) -> Any:
        return md.existing[s, h, y] + quicksum(m.build[b] for b in md.builds_alive(s, h, y))

    def bought(s: str, h: str) -> Any:
        return m.build[s, h, y] if (s, h, y) in m.BUILD else 0

    def open_before(s: str) -> Any:
        return m.period[prev].sizing.open[s] if prev is not None else 0

    return Carry(modules=modules, bought=bought, open_before=open_before)


Columns = npt.NDArray[np.float64]


def round_builds(
    m: pyo.ConcreteModel, md: MultiPeriodData, columns: list[Any], x: Columns, out: Columns
) -> None:
    """Round purchases period by period so that modules *in service* are the LP's, rounded up.

    Rounding each ``build[s,h,p]`` up on its own over-buys when the relaxation spreads a purchase
    over periods (0.3 + 0.4 → 1 + 1). Instead, in period order: the target is
    ``⌈modules[s,h,p]⌉`` of the relaxation, and ``build[s,h,p]`` buys what the brownfield and the
    earlier (rounded) purchases still in service leave short of it. Where the rounded site then
    exceeds its power envelope or ``max_modules``, this period's purchases that were rounded up the
    most are cut first (earlier periods' purchases were feasible there and stay). ``x`` holds the
    relaxation's column values, ``out`` the rounded ones (changed in place).
    """
    pos = {id(v): i for i, v in enumerate(columns)}
    col: dict[tuple[str, str, int], int] = {
        k: pos[id(v)] for k, v in m.build.items() if id(v) in pos
    }

    def value(b: tuple[str, str, int], vals: Columns) -> float:
        return float(vals[col[b]]) if b in col else round(m.build[b].value or 0)

    first = md.data[md.years[0]]
    for p in md.years:
        d = md.data[p]
        for s in first.SITES:
            free: list[tuple[str, str, int]] = []
            in_service: dict[str, float] = {}
            for h in d.HW:
                k = (s, h, p)
                alive = md.builds_alive(s, h, p)
                have = md.existing[s, h, p] + sum(value(b, out) for b in alive if b != k)
                if k in col and not m.build[k].fixed:
                    lp = md.existing[s, h, p] + sum(value(b, x) for b in alive)
                    ub = m.build[k].ub if m.build[k].ub is not None else math.inf
                    out[col[k]] = min(max(0.0, math.ceil(lp - 1e-3) - have), ub)
                    free.append(k)
                in_service[h] = have + (value(k, out) if k in m.build else 0)

            if _over(d, s, in_service):
                _fit_envelope(d, s, free, col, x, out, in_service)
            while _over(
                d, s, in_service
            ):  # still over: cut this period's most rounded-up purchases
                cut = [k for k in free if out[col[k]] >= 1]
                if not cut:
                    break
                k = max(cut, key=lambda k: out[col[k]] - x[col[k]])
                out[col[k]] -= 1
                in_service[k[1]] -= 1
            # a site with modules in service is open (then and later): the relaxation's open[s,p]
            # can be tiny when the module bound M is large
            if sum(in_service.values()) > 0:
                for y in md.years[md.years.index(p) :]:
                    i = pos.get(id(m.period[y].sizing.open[s]))
                    if i is not None:
                        out[i] = 1.0


def _over(d: PlanningData, s: str, in_service: dict[str, float]) -> bool:
    """Whether modules ``in_service`` (per hardware) exceed site ``s``'s power envelope or ``max_modules``."""
    kw = sum(d.kw[h] * n for h, n in in_service.items())
    mm = d.max_modules_site[s]
    return kw > 1000 * d.max_it_mw[s] + 1e-6 or (
        mm is not None and sum(in_service.values()) > mm + 1e-9
    )


def _fit_envelope(
    d: PlanningData,
    s: str,
    free: list[tuple[str, str, int]],
    col: dict[tuple[str, str, int], int],
    x: Columns,
    out: Columns,
    in_service: dict[str, float],
) -> None:
    """Round this period's purchases at site ``s`` down or up so the site fits its power envelope and
    ``max_modules`` with the most PFLOPS in service (each purchase is ⌊LP⌋ or the rounded-up value;
    at most 2^10 combinations are tried, the rest stay rounded up)."""
    from itertools import product

    ks = free[:10]
    base = {h: n - sum(out[col[k]] for k in ks if k[1] == h) for h, n in in_service.items()}
    cap_kw, mm = 1000 * d.max_it_mw[s] + 1e-6, d.max_modules_site[s]
    best: tuple[tuple[float, ...], dict[str, float]] | None = None
    best_pf = -1.0
    for choice in product(*[(math.floor(x[col[k]] + 1e-9), out[col[k]]) for k in ks]):
        n = dict(base)
        for k, v in zip(ks, choice):
            n[k[1]] += v
        if sum(d.kw[h] * v for h, v in n.items()) > cap_kw or (
            mm is not None and sum(n.values()) > mm + 1e-9
        ):
            continue
        pf = sum(d.pflops[h] * v for h, v in n.items())
        if pf > best_pf:
            best, best_pf = (choice, n), pf
    if best is not None:
        for k, v in zip(ks, best[0]):
            out[col[k]] = float(v)
        in_service.update(best[1])


def _fix(m: pyo.ConcreteModel, fixed: Mapping[str, Mapping[Any, float]]) -> None:
    """Fix earlier periods' decisions (myopic planning)."""
    for (s, h, y), v in fixed.get("build", {}).items():
        if (s, h, y) in m.BUILD:
            m.build[s, h, y].fix(round(v))
    for (s, y), v in fixed.get("open", {}).items():
        if y in m.P and not m.period[y].sizing.open[s].fixed:
            m.period[y].sizing.open[s].fix(round(v))
    for (ln, y), v in fixed.get("units", {}).items():
        if y in m.P:
            m.period[y].network.units[ln].fix(round(v))


def decisions(m: pyo.ConcreteModel) -> dict[str, dict[Any, float]]:
    """The investment decisions of a solved several-period model (to fix them in the next myopic step)."""
    out: dict[str, dict[Any, float]] = {"build": {}, "open": {}, "units": {}}
    for k, v in m.build.items():
        out["build"][k] = round(pyo.value(v, exception=False) or 0)
    for y in m.P:
        b = m.period[y]
        for s, v in b.sizing.open.items():
            out["open"][s, y] = round(pyo.value(v, exception=False) or 0)
        for ln, v in b.network.units.items():
            out["units"][ln, y] = round(pyo.value(v, exception=False) or 0)
    return out
