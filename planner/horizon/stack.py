"""A plan's blocks (periods, futures) read like one-year plans, and their tables stacked.

A plan over periods or demand futures is one model with a block per period or future; each block
is extracted as a one-year plan (:func:`planner.results.extract`) and its tables are stacked with
a leading ``period`` or ``future`` column. This module does that for the tables kept in dicts —
the balance sheets (:mod:`planner.balances`) and the price of compute (:mod:`planner.prices`) —
and rescales the duals so that every block's prices are in that block's own units.

**Duals of a block.** The objective of a plan over periods is Σ_p w_p c_p (w_p the period's
weight in discounted years, c_p its annual cost), that of a plan over futures ρ(c_1 … c_F) (the
risk measure, :mod:`planner.model.futures`). A row of block b therefore has the dual
λ = ω_b · ∂c_b/∂rhs, with the block's weight in the objective

* ω_p = w_p for a period;
* ω_f = ∂ρ/∂c_f for a future: π_f (``expected``), (1 − w) π_f + w |λ(z_f ≥ c_f − η)| (``cvar``),
  (1 − w) π_f + w |λ(R ≥ c_f − c*_f)| (``regret``), read from the same LP's duals.

Dividing the block's duals by ω_b gives CNY per unit in that period's year, or in that future if
it comes, as in a one-year plan. A future with ω_f = 0 (outside the CVaR tail with w = 1) has no
marginal prices: its costs do not move the objective.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
import pyomo.environ as pyo

#: below this weight a block's duals carry no price (ω_b = 0 up to the LP's tolerance)
MIN_WEIGHT = 1e-12


def block_duals(
    duals: dict[Any, float] | None, block: pyo.Block, weight: float
) -> dict[Any, float]:
    """The duals of ``block``'s rows divided by its objective weight ω_b (module docstring).

    Rows outside ``block`` are left out; an empty dict when there are no duals or ω_b ≈ 0.
    """
    if not duals or weight <= MIN_WEIGHT:
        return {}
    rows = {id(c) for c in block.component_data_objects(pyo.Constraint, descend_into=True)}
    return {c: v / weight for c, v in duals.items() if id(c) in rows}


def for_block(outcome: Any, block: pyo.Block, weight: float) -> Any:
    """A copy of ``outcome`` whose duals are ``block``'s, divided by ω_b."""
    if not outcome.duals:
        return outcome
    return dataclasses.replace(outcome, duals=block_duals(outcome.duals, block, weight))


def future_weights(m: pyo.ConcreteModel, duals: dict[Any, float] | None) -> dict[str, float]:
    """ω_f = ∂ρ/∂c_f of every future of a solved futures model (module docstring)."""
    names = list(m.F)
    probability = {f: float(m.probability[f]) for f in names}
    weight = float(m.risk_weight)
    rows = getattr(m, "excess_row", None) or getattr(m, "regret_row", None)
    if rows is None or weight == 0:
        return probability
    d = duals or {}
    return {
        f: (1.0 - weight) * probability[f] + weight * abs(float(d.get(rows[f], 0.0))) for f in names
    }


def stack(per: dict[Any, dict[str, pd.DataFrame]], column: str) -> dict[str, pd.DataFrame]:
    """Stack dicts of tables (one per block) into one dict with a leading ``column`` (period/future)."""
    keys: list[str] = []
    for tables in per.values():
        keys += [k for k in tables if k not in keys]
    out: dict[str, pd.DataFrame] = {}
    for k in keys:
        frames = []
        for b, tables in per.items():
            t = tables.get(k)
            if t is None or t.empty:
                continue
            t = t.copy()
            t.insert(0, column, b)
            frames.append(t)
        if frames:
            out[k] = pd.concat(frames, ignore_index=True)
    return out
