"""The value of the network (docs/model.md §8): the plan beside the isolated and local-first ones.

*Isolated*: every region served only by sites in its own region and no new link units; every city
builds for its own peak. *Local-first*: work may move, but each region with a site of its own
hosts at least ``local_share`` of its own demand (``policy.min_local_share``).
"""

from __future__ import annotations

from typing import Any

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
    ("cost: policy_slack_cost", "policy penalty", "CNY/yr"),
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
    """One row per metric: each plan's value, and each other plan's difference to ``base``.

    Besides the KPIs of :data:`METRICS`: ``cost excluding unserved work`` (total cost less the
    price of unserved work), ``served work`` (demand − unserved, PFLOPS·h/yr) and ``cost per
    PFLOPS·h served`` (cost excluding unserved work / served work, CNY per PFLOPS·h): the like-
    with-like measure when the plans serve different amounts of work.
    """
    rows = []
    for kpi, label, unit in METRICS:
        row: dict[str, object] = {"metric": label, "unit": unit}
        for name, res in plans.items():
            row[name] = float(res.kpi(kpi))
        if kpi == "total cost":
            rows.append(
                _diffs(
                    {
                        "metric": "cost excluding penalties",
                        "unit": "CNY/yr",
                        **{n: _serving_cost(r) for n, r in plans.items()},
                    },
                    plans,
                    base,
                )
            )
            rows.append(
                _diffs(
                    {
                        "metric": "served work",
                        "unit": "PFLOPS·h/yr",
                        **{n: _served(r) for n, r in plans.items()},
                    },
                    plans,
                    base,
                )
            )
            rows.append(
                _diffs(
                    {
                        "metric": "cost per PFLOPS·h served",
                        "unit": "CNY/PFLOPS·h",
                        **{
                            n: _serving_cost(r) / _served(r) if _served(r) else float("nan")
                            for n, r in plans.items()
                        },
                    },
                    plans,
                    base,
                )
            )
        rows.append(_diffs(row, plans, base))
    order = [
        "metric",
        "unit",
        *plans,
        *[c for n in plans if n != base for c in (f"{n} − {base}", f"{n} vs {base}")],
    ]
    return pd.DataFrame(rows)[order]


def _serving_cost(r: Results) -> float:
    """Total cost less the prices of unserved work and of missed policy targets (penalties, not spending)."""
    return (
        float(r.kpi("total cost"))
        - float(r.kpi("cost: unserved_cost"))
        - float(r.kpi("cost: policy_slack_cost"))
    )


def _served(r: Results) -> float:
    return float(r.kpi("demand")) - float(r.kpi("unserved demand"))


def _diffs(row: dict[str, Any], plans: dict[str, Results], base: str) -> dict[str, Any]:
    for name in plans:
        if name != base:
            diff = row[name] - row[base]
            row[f"{name} − {base}"] = diff
            row[f"{name} vs {base}"] = diff / row[base] if row[base] else None
    return row


def headline(
    table: pd.DataFrame,
    other: str | None = None,
    base: str = "networked",
    *,
    money: str = "M CNY",
    lang: str = "en",
    scale: float = 1e6,
) -> str:
    """The headlines of :func:`headlines` as one paragraph, with ``table``'s CNY divided by ``scale``.

    ``other`` names the plan to lead with [default: local-first if present, else isolated].
    """
    first = other or ("local-first" if "local-first" in table.columns else "isolated")
    order = (first, *[o for o in ("local-first", "isolated") if o != first])
    from ..report.headline import (
        headlines,  # the report's sentences (report/ imports openpyxl: only when asked)
    )

    shown = table.copy()
    money_rows = shown["unit"].astype(str).str.startswith("CNY/yr")
    for c in shown.columns:
        if c not in ("metric", "unit") and " vs " not in str(c):
            shown[c] = shown[c].astype(float)
            shown.loc[money_rows, c] = shown.loc[money_rows, c] / scale
    return " ".join(headlines(shown, base=base, money=money, lang=lang, others=order))
