"""Energy, green power and carbon.

``energy[s,t]`` (MWh per hour) ``= pue[s] × Σ_h kw[h]/1000 × (idle_frac[h] × modules[s,h]
+ (1 − idle_frac[h]) × load[s,h,t] / pflops[h])``. Constraint 7: ``green[s,t] ≤ green_share_max[s,t]
× energy[s,t]``. ``carbon = Σ w[t] × grid_ef[s,t] × (energy − green) + network energy × its factor``.
Cost terms: ``energy_cost``, ``green_premium``, ``carbon_cost``.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from ..data import PlanningData
from .registry import CostRegistry


def add_energy(m: pyo.ConcreteModel, data: PlanningData, costs: CostRegistry) -> None:
    """Add ``energy``, ``green``, ``carbon`` and the green-power limit to ``m.energy``."""
    d = data
    b = m.energy = pyo.Block()
    load = m.placement.load
    modules = m.sizing.modules

    def energy_rule(b: Any, s: str, t: str) -> Any:
        terms = []
        for h in d.HW:
            if d.module_bound[s, h] == 0 or d.kw[h] == 0:
                continue
            mw = d.kw[h] / 1000
            if d.idle_frac[h]:
                terms.append(d.pue[s] * mw * d.idle_frac[h] * modules[s, h])
            if (s, h, t) in load and d.idle_frac[h] < 1:
                terms.append(d.pue[s] * mw * (1 - d.idle_frac[h]) / d.pflops[h] * load[s, h, t])
        return quicksum(terms)

    ST = [(s, t) for s in d.SITES for t in d.SLICES]
    b.energy = pyo.Expression(
        ST, rule=energy_rule, doc="facility energy at s, MWh per hour of slice t"
    )
    GREEN = [(s, t) for (s, t) in ST if d.green_max[s, t] > 0]
    b.green = pyo.Var(
        GREEN, domain=pyo.NonNegativeReals, doc="green power bought at s, MWh per hour of slice t"
    )

    @b.Constraint(GREEN, doc="green[s,t] ≤ green_share_max[s,t] × energy[s,t]")
    def green_limit(b: Any, s: str, t: str) -> Any:
        return b.green[s, t] <= d.green_max[s, t] * b.energy[s, t]

    net = m.network.network_mwh
    b.total_mwh = pyo.Expression(
        expr=quicksum(d.weight[t] * b.energy[s, t] for s, t in ST)
        + quicksum(d.weight[t] * net[t] for t in d.SLICES),
        doc="energy, MWh/yr (facility + network)",
    )
    b.carbon = pyo.Expression(
        expr=quicksum(
            d.weight[t] * d.grid_ef[s, t] * b.energy[s, t] for s, t in ST if d.grid_ef[s, t]
        )
        - quicksum(
            d.weight[t] * d.grid_ef[s, t] * b.green[s, t] for s, t in GREEN if d.grid_ef[s, t]
        )
        + quicksum(d.weight[t] * d.network_ef * net[t] for t in d.SLICES if d.network_ef),
        doc="carbon, tCO2/yr",
    )
    costs.add(
        "energy_cost",
        quicksum(d.weight[t] * d.price[s, t] * b.energy[s, t] for s, t in ST if d.price[s, t]),
        "Σ w[t] × price_mwh[s,t] × energy[s,t]",
    )
    costs.add(
        "green_premium",
        quicksum(
            d.weight[t] * d.green_premium[s] * b.green[s, t] for s, t in GREEN if d.green_premium[s]
        ),
        "Σ w[t] × green_premium_mwh[s] × green[s,t]",
    )
    costs.add(
        "carbon_cost", d.carbon_price * b.carbon if d.carbon_price else 0.0, "carbon_price × carbon"
    )
