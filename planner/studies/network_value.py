"""The value of the network (docs/model.md §8): the plan beside the isolated and local-first ones.

*Isolated*: every region served only by sites in its own region and no new link units; every city
builds for its own peak. *Local-first*: work may move, but each region with a site of its own
hosts at least ``local_share`` of its own demand (``policy.min_local_share``).
"""

from __future__ import annotations

import pandas as pd

from ..results import Results

#: (KPI in Results.summary, label, unit, lower is better)
METRICS = [
    ("total cost", "total cost", "CNY/yr"),
    ("cost: capex_sites", "site capex", "CNY/yr"),
    ("cost: capex_hardware", "hardware capex", "CNY/yr"),
    ("cost: fixed_om", "fixed O&M", "CNY/yr"),
    ("cost: energy_cost", "energy cost", "CNY/yr"),
    ("cost: network_capex", "network capex", "CNY/yr"),
    ("cost: unserved_cost", "unserved cost", "CNY/yr"),
    ("PFLOPS installed", "PFLOPS installed", "PFLOPS"),
    ("PFLOPS built (new)", "PFLOPS built", "PFLOPS"),
    ("IT MW installed", "IT MW", "MW"),
    ("energy", "energy", "MWh/yr"),
    ("carbon", "carbon", "tCO2/yr"),
    ("average utilisation", "average utilisation", "-"),
    ("unserved demand", "unserved demand", "PFLOPS·h/yr"),
    ("sites open", "sites open", "sites"),
    ("unserved share", "unserved share", "-"),
]


def comparison_table(plans: dict[str, Results], base: str = "networked") -> pd.DataFrame:
    """One row per metric: each plan's value, and each other plan's difference to ``base``."""
    rows = []
    for kpi, label, unit in METRICS:
        row: dict[str, object] = {"metric": label, "unit": unit}
        for name, res in plans.items():
            row[name] = float(res.kpi(kpi))
        if kpi == "total cost":
            rows.append(_diffs({"metric": "cost excluding unserved work", "unit": "CNY/yr",
                                **{n: float(r.kpi("total cost")) - float(r.kpi("cost: unserved_cost")) for n, r in plans.items()}},
                               plans, base))
        rows.append(_diffs(row, plans, base))
    order = ["metric", "unit", *plans, *[c for n in plans if n != base for c in (f"{n} − {base}", f"{n} vs {base}")]]
    return pd.DataFrame(rows)[order]


def _diffs(row: dict, plans: dict[str, Results], base: str) -> dict:
    for name in plans:
        if name != base:
            diff = row[name] - row[base]
            row[f"{name} − {base}"] = diff
            row[f"{name} vs {base}"] = diff / row[base] if row[base] else None
    return row


def headline(table: pd.DataFrame, other: str = "isolated", base: str = "networked") -> str:
    """E.g. 'Against every region serving itself, the network saves 120.5 M CNY a year (12.3%) and 8.1% of PFLOPS built.'"""
    t = table.set_index("metric")
    who = "every region serving itself" if other == "isolated" else f"the {other} plan"
    u_other, u_base = float(t.loc["unserved share", other]), float(t.loc["unserved share", base])
    metric = "total cost"
    note = ""
    if u_other > u_base + 1e-3:
        # the other plan leaves work undone (e.g. regions with no site of their own): its total cost is
        # mostly the price of that work, so compare what serving costs and say how much goes unserved
        metric = "cost excluding unserved work"
        note = (f" {who.capitalize()} leaves {u_other:.1%} of demand unserved (against {u_base:.1%}), "
                "so costs are compared without the price of unserved work.")
    cost_diff = float(t.loc[metric, f"{other} − {base}"])
    c_other = float(t.loc[metric, other])
    cost_rel = cost_diff / c_other if c_other else 0.0
    p_other, p_base = float(t.loc["PFLOPS installed", other]), float(t.loc["PFLOPS installed", base])
    p_rel = (p_other - p_base) / p_other if p_other else 0.0
    verb = "saves" if cost_diff >= 0 else "costs"
    pf = f"{abs(p_rel):.1%} {'fewer' if p_rel >= 0 else 'more'} PFLOPS installed"
    return (f"Against {who}, the network {verb} {abs(cost_diff) / 1e6:,.1f} M CNY a year "
            f"({abs(cost_rel):.1%} of the {other} plan's {metric}) and needs {pf}.{note}")
