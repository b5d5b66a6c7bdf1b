"""The objective: a weighted sum of cost (the registry), energy and carbon.

``cost`` is the sum of every registered term (CNY/yr). ``energy`` (MWh/yr) and ``carbon``
(tCO2/yr) come from the energy block. With weights ``w``, the objective is
``w_cost × cost + w_energy × energy + w_carbon × carbon``; when ``w_cost = 0`` the penalty terms
(unserved work, policy slack) still enter at weight 1 so that leaving work undone never "saves"
energy or carbon.
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from .registry import PENALTY_TERMS, CostRegistry


def add_objective(m: pyo.ConcreteModel, costs: CostRegistry, weights: dict[str, float]) -> None:
    """Turn the registry into ``m.cost_term[name]`` and add ``m.objective``."""
    names = list(costs.terms)
    m.COST_TERMS = pyo.Set(initialize=names, ordered=True)
    m.cost_term = pyo.Expression(
        m.COST_TERMS, rule=lambda m, k: costs.terms[k], doc="cost terms, CNY/yr"
    )
    m.total_cost = pyo.Expression(
        expr=quicksum(m.cost_term[k] for k in names), doc="total cost, CNY/yr"
    )
    parts = []
    w_cost = weights.get("cost", 0.0)
    if w_cost:
        parts.append(w_cost * m.total_cost)
    else:
        parts += [m.cost_term[k] for k in names if k in PENALTY_TERMS]
    if weights.get("energy"):
        parts.append(weights["energy"] * m.energy.total_mwh)
    if weights.get("carbon"):
        parts.append(weights["carbon"] * m.energy.carbon)
    m.objective = pyo.Objective(expr=quicksum(parts), sense=pyo.minimize)


def objective_terms(weights: dict[str, float], cost_names: list[str]) -> list[tuple[str, float]]:
    """The (term, weight) pairs the objective adds up, for reports: cost terms, energy, carbon."""
    w_cost = weights.get("cost", 0.0)
    out = [(k, w_cost if w_cost else (1.0 if k in PENALTY_TERMS else 0.0)) for k in cost_names]
    out += [("energy_mwh", weights.get("energy", 0.0)), ("carbon_t", weights.get("carbon", 0.0))]
    return out
