"""What the reader sees: the report's copy of the results in the chosen money unit, without solver dust.

:func:`present` returns a copy of :class:`~planner.results.Results` for the report only (the
results themselves keep CNY and every value the solver returned):

* **Money unit.** Every money column (a column or KPI unit with ``CNY`` that is not a price per
  MWh, PFLOPS·h, tCO2, TB, kW or Gbps) is divided by the unit's factor (:data:`CURRENCY`: CNY 1,
  M CNY 10⁶, 亿元 10⁸) and its header says the unit (``M CNY/yr``, ``百万元/年``, ``亿元/年``).
* **Solver dust.** Interior-point and rounding residue is not a decision. With ``dust`` = δ
  (``report.dust``, default 10⁻⁶): a placement or an unserved amount below δ × its (class,
  region) demand is left out of the plan tables; a cost row below δ × the total cost is shown
  as 0 (over futures, judged on its expected part), each cost KPI and the total are the sums of the
  shown rows; the unserved KPIs are 0 when every unserved
  amount is dust. The Summary states δ.
* **Yes/no.** True/false columns read ``yes``/``no`` (``是``/``否``), never 0/1.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, cast

import pandas as pd

from ..results import Results

#: money unit → (factor, English label, Chinese label)
CURRENCY: dict[str, tuple[float, str, str]] = {
    "CNY": (1.0, "CNY", "元"),
    "MCNY": (1e6, "M CNY", "百万元"),
    "亿元": (1e8, "亿元", "亿元"),
}
#: a money quantity: CNY not followed by a per-physical-unit denominator (prices stay in CNY)
_MONEY = re.compile(r"CNY(?!\s*/\s*(MWh|PFLOPS|tCO2|TB|kW|Gbps))(?!\s+per\s+(PFLOPS|MWh))")
YES_NO = {"en": ("yes", "no"), "zh": ("是", "否")}
#: money columns of the Costs table, the one the Summary sums first (futures: the expected cost)
SUMMED_COST_COLUMNS = ("expected CNY", "expected CNY/yr", "discounted CNY", "CNY/yr")


def currency_key(unit: str | None) -> str:
    """``CNY``, ``MCNY`` or ``亿元`` (also accepts ``M CNY``, ``mcny``, ``yi``); ``ValueError`` otherwise."""
    u = (unit or "CNY").strip()
    aliases = {
        "cny": "CNY",
        "mcny": "MCNY",
        "m cny": "MCNY",
        "mcny/yr": "MCNY",
        "亿元": "亿元",
        "yi": "亿元",
        "100mcny": "亿元",
    }
    key = aliases.get(u.lower())
    if key is None:
        raise ValueError(f"unknown money unit {unit!r}: use CNY, MCNY or 亿元")
    return key


def is_money(name: Any) -> bool:
    """Whether a column name or unit is an amount of money (scaled to the report's money unit)."""
    return bool(_MONEY.search(str(name)))


def money_label(text: str, currency: str, lang: str) -> str:
    """``text`` (already translated) with its currency word replaced by the report's money unit."""
    _, en, zh = CURRENCY[currency]
    if currency == "CNY":
        return text
    if lang == "zh":
        return re.sub(r"(?<![百亿万])元", zh, text, count=1)
    return re.sub(r"\bCNY\b", en, text, count=1)


def money_word(currency: str, lang: str) -> str:
    """The money unit as a word: ``M CNY``, ``百万元``, ``亿元``, ``CNY``, ``元``."""
    _, en, zh = CURRENCY[currency]
    return zh if lang == "zh" else en


def _scale_frame(df: pd.DataFrame, factor: float) -> pd.DataFrame:
    cols = [c for c in df.columns if is_money(c) and pd.api.types.is_numeric_dtype(df[c])]
    if not cols or factor == 1.0:
        return df
    out = df.copy()
    for c in cols:
        out[c] = out[c] / factor
    return out


def _scale_by_unit(
    df: pd.DataFrame, factor: float, value_cols: tuple[str, ...] = ("value",)
) -> pd.DataFrame:
    """Scale the value cells of the rows whose ``unit`` is money (summary and comparison tables)."""
    if df is None or df.empty or "unit" not in df.columns or factor == 1.0:
        return df
    out = df.copy()
    mask = out["unit"].map(is_money)
    for c in out.columns:
        if c in value_cols or (
            value_cols == () and c not in ("metric", "unit", "kpi") and " vs " not in str(c)
        ):
            vals = out.loc[mask, c]
            out[c] = out[c].astype(object)
            out.loc[mask, c] = [
                v / factor
                if isinstance(v, (int, float)) and not isinstance(v, bool) and v is not None
                else v
                for v in vals
            ]
    return out


def yes_no_frame(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """True/false columns as yes/no words (columns whose non-missing values are all booleans)."""
    if df is None or df.empty:
        return df
    yes, no = YES_NO.get(lang, YES_NO["en"])
    out = None
    for c in df.columns:
        vals = df[c].dropna()
        if len(vals) and all(isinstance(v, bool) or type(v).__name__ == "bool_" for v in vals):
            out = df.copy() if out is None else out
            out[c] = [
                None
                if v is None or (isinstance(v, float) and pd.isna(v))
                else (yes if bool(v) else no)
                for v in df[c]
            ]
    return df if out is None else out


def _yes_no_keep_none(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The scorecard's met/imposed as words; a target with no figure keeps ``None`` (said in words by the sheet)."""
    if df is None or df.empty:
        return df
    yes, no = YES_NO.get(lang, YES_NO["en"])
    out = df.copy()
    for c in ("met", "imposed"):
        if c in out.columns:
            out[c] = [
                None if v is None or (isinstance(v, float) and pd.isna(v)) else (yes if v else no)
                for v in df[c]
            ]
    return out


def _undust(
    res: Results, delta: float
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(placement, unserved, costs, summary) without dust below ``delta`` (module docstring)."""
    placement, unserved, costs, summary = res.placement, res.unserved, res.costs, res.summary.copy()
    if "share of demand" in placement.columns and len(placement):
        placement = placement[placement["share of demand"] >= delta].reset_index(drop=True)
    demand = _demand_by_class_region(res)
    if len(unserved) and demand and {"class", "region", "PFLOPS·h/yr"} <= set(unserved.columns):
        tot = unserved.groupby(["class", "region"])["PFLOPS·h/yr"].transform("sum")
        keep = [
            t >= delta * demand.get((j, r), 0.0)
            for j, r, t in zip(unserved["class"], unserved["region"], tot)
        ]
        unserved = unserved[keep].reset_index(drop=True)
    kpis = list(summary["kpi"])
    if "unserved demand" in kpis and len(res.unserved) and not len(unserved):
        summary.loc[summary["kpi"].isin(["unserved demand", "unserved share"]), "value"] = 0.0
    # the column the Summary's cost KPIs sum: the expected one over futures, else the plan's own
    col = next((c for c in SUMMED_COST_COLUMNS if c in costs.columns), None)
    if col is not None and len(costs):
        total = float(costs[col].abs().sum())
        small = costs[col].abs() < delta * total
        if small.any():
            costs = costs.copy()
            for c in (*SUMMED_COST_COLUMNS, "share"):
                if c in costs.columns:
                    costs.loc[small, c] = 0.0
            # each cost KPI is the sum of its shown rows (a term small in one future or period
            # and not in another keeps the rest); the total is the sum of the shown terms
            for term, v in costs.groupby("term", sort=False)[col].sum().items():
                summary.loc[summary["kpi"] == f"cost: {term}", "value"] = float(v)
            if "total cost" in kpis:
                summary.loc[summary["kpi"] == "total cost", "value"] = float(costs[col].sum())
    return placement, unserved, costs, summary


def _demand_by_class_region(res: Results) -> dict[tuple[str, str], float]:
    """PFLOPS·h/yr of demand per (class, region), from the placement and unserved tables."""
    out: dict[tuple[str, str], float] = {}
    p = res.placement
    if len(p) and {"class", "region", "PFLOPS·h/yr", "share of demand"} <= set(p.columns):
        for j, r, v, sh in zip(p["class"], p["region"], p["PFLOPS·h/yr"], p["share of demand"]):
            if sh and sh > 0:
                out[j, r] = v / sh
    u = res.unserved
    if len(u) and {"class", "region", "PFLOPS·h/yr"} <= set(u.columns):
        for key, v in u.groupby(["class", "region"])["PFLOPS·h/yr"].sum().items():
            j, r = cast("tuple[str, str]", key)
            out.setdefault(
                (j, r), float(v)
            )  # a class-region with nothing placed: all of it unserved
    return out


def present(
    res: Results, *, currency: str = "CNY", lang: str = "en", dust: float = 1e-6
) -> Results:
    """The report's copy of ``res``: money in ``currency``, solver dust left out, yes/no words."""
    factor = CURRENCY[currency][0]
    placement, unserved, costs, summary = _undust(res, dust)

    def yn(df: pd.DataFrame) -> pd.DataFrame:
        return yes_no_frame(df, lang)

    summary = _scale_by_unit(summary, factor)
    objective = res.objective.copy()
    if len(objective) and factor != 1.0:
        money_terms = set(res.costs.get("term", []))
        is_cost_obj = is_money(res.metadata.get("objective unit", ""))
        for c in ("value", "contribution"):
            if c in objective.columns:
                objective[c] = [
                    v / factor if (t in money_terms and (c == "value" or is_cost_obj)) else v
                    for t, v in zip(objective["term"], objective[c])
                ]
    comparison = _scale_by_unit(res.comparison, factor, ()) if res.comparison is not None else None
    extras = {
        k: (v / factor if is_money(k) and isinstance(v, (int, float)) else v)
        for k, v in res.extras.items()
    }
    md = dict(res.metadata)
    for k in ("objective value", "best bound", "MIP start objective"):
        if is_money(md.get("objective unit", "")) and isinstance(md.get(k), (int, float)):
            md[k] = md[k] / factor
    md["money unit"] = money_word(currency, lang)
    md["solver dust threshold"] = dust
    out = dataclasses.replace(
        res,
        summary=summary,
        sites=yn(_scale_frame(res.sites, factor)),
        hardware=yn(_scale_frame(res.hardware, factor)),
        links=yn(_scale_frame(res.links, factor)),
        placement=yn(_scale_frame(placement, factor)),
        unserved=yn(unserved),
        profiles=_scale_frame(res.profiles, factor),
        costs=_scale_frame(costs, factor),
        objective=objective,
        metadata=md,
        policy=yn(_scale_frame(res.policy, factor)),
        comparison=comparison,
        extras=extras,
        extra_tables={k: yn(_scale_frame(v, factor)) for k, v in res.extra_tables.items()},
        scorecard=_yes_no_keep_none(res.scorecard, lang),
        balances={k: _scale_frame(v, factor) for k, v in res.balances.items()},
    )
    return out
