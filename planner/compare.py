"""The value of the network (docs/model.md §8): the plan beside the isolated and local-first ones.

*Isolated*: every region served only by sites in its own region and no new link units; every city
builds for its own peak. *Local-first*: work may move, but each region with a site of its own
hosts at least ``local_share`` of its own demand (``policy.min_local_share``).
"""

from __future__ import annotations

import pandas as pd

from .results import Results

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
            rows.append(_diffs({"metric": "cost excluding penalties", "unit": "CNY/yr",
                                **{n: _serving_cost(r) for n, r in plans.items()}}, plans, base))
            rows.append(_diffs({"metric": "served work", "unit": "PFLOPS·h/yr", **{n: _served(r) for n, r in plans.items()}},
                               plans, base))
            rows.append(_diffs({"metric": "cost per PFLOPS·h served", "unit": "CNY/PFLOPS·h",
                                **{n: _serving_cost(r) / _served(r) if _served(r) else float("nan") for n, r in plans.items()}},
                               plans, base))
        rows.append(_diffs(row, plans, base))
    order = ["metric", "unit", *plans, *[c for n in plans if n != base for c in (f"{n} − {base}", f"{n} vs {base}")]]
    return pd.DataFrame(rows)[order]


def _serving_cost(r: Results) -> float:
    """Total cost less the prices of unserved work and of missed policy targets (penalties, not spending)."""
    return float(r.kpi("total cost")) - float(r.kpi("cost: unserved_cost")) - float(r.kpi("cost: policy_slack_cost"))


def _served(r: Results) -> float:
    return float(r.kpi("demand")) - float(r.kpi("unserved demand"))


def _diffs(row: dict, plans: dict[str, Results], base: str) -> dict:
    for name in plans:
        if name != base:
            diff = row[name] - row[base]
            row[f"{name} − {base}"] = diff
            row[f"{name} vs {base}"] = diff / row[base] if row[base] else None
    return row


#: Penalties below this share of the total cost are solver dust (the headline then compares total cost).
PENALTY_DUST = 1e-6
#: Served work that differs by more than this share of demand makes the headline compare per PFLOPS·h served.
SERVED_TOLERANCE = 1e-3

_WORDS = {
    "en": {
        "who.isolated": "every region serving itself", "who.local-first": "the local-first plan",
        "plan.isolated": "the isolated plan", "plan.local-first": "the local-first plan",
        "more": "more", "less": "less", "same": "the same",
        "cost": "Against {who}, the network {verb} {diff} {money} a year{what}: {plan} costs {rel} {dir} ({other} against {base} {money}/yr)",
        "what.cost excluding penalties": " (cost excluding penalties)", "what.total cost": "",
        "saves": "saves", "costs": "costs",
        "cost_same": "Against {who}, the network costs the same ({base} {money}/yr)",
        "pflops": " and installs {rel} {dir} PFLOPS ({other} against {base} PFLOPS).",
        "pflops_same": " and installs the same PFLOPS ({base}).",
        "served": "Against {who}, which leaves {u_other} of demand unserved (the network {u_base}), costs are compared per PFLOPS·h "
                  "served: the network costs {base} CNY per PFLOPS·h served against {other} CNY for {plan}, whose cost is {rel} {dir}.",
    },
    "zh": {
        "who.isolated": "各区域自给自足", "who.local-first": "本地优先方案",
        "plan.isolated": "孤立方案", "plan.local-first": "本地优先方案",
        "more": "多", "less": "少", "same": "相同",
        "cost": "相对于{who}，算力网络每年{verb} {diff} {money}{what}：{plan}的成本{dir} {rel}（{other} 对 {base} {money}/年）",
        "what.cost excluding penalties": "（不含惩罚项的成本）", "what.total cost": "",
        "saves": "节省", "costs": "多花",
        "cost_same": "相对于{who}，算力网络成本相同（{base} {money}/年）",
        "pflops": "，已装算力{dir} {rel}（{other} 对 {base} PFLOPS）。",
        "pflops_same": "，已装算力相同（{base} PFLOPS）。",
        "served": "相对于{who}（未满足需求 {u_other}，联网方案 {u_base}），按每 PFLOPS·时已服务工作比较成本：联网方案 {base} 元/PFLOPS·时，"
                  "{plan} {other} 元/PFLOPS·时，{plan}的成本{dir} {rel}。",
    },
}


def _money(v: float) -> str:
    return f"{v:,.2f}"


def headlines(table: pd.DataFrame, *, base: str = "networked", money: str = "M CNY", lang: str = "en",
              others: tuple[str, ...] = ("local-first", "isolated")) -> list[str]:
    """One sentence per other plan (local-first first, then isolated), each quoting only cells of ``table``.

    Costs and PFLOPS are compared as the table gives them (``table`` is in the report's money
    unit); relative figures are the table's ``<other> vs <base>`` cells, i.e. (other − base) /
    base. When the two plans serve different work (served work differs by more than
    :data:`SERVED_TOLERANCE` of demand), the sentence compares cost per PFLOPS·h served instead.
    Numbers are written as the Network value sheet shows them (2 decimals, percentages 0.0%).
    """
    w = _WORDS.get(lang, _WORDS["en"])
    t = table.set_index("metric")
    out = []
    for other in [o for o in others if o in t.columns]:
        rel_col, diff_col = f"{other} vs {base}", f"{other} − {base}"
        u_o, u_b = float(t.loc["unserved share", other]), float(t.loc["unserved share", base])

        def rel(metric: str, rel_col: str = rel_col) -> tuple[str, str]:
            r = t.loc[metric, rel_col]
            r = 0.0 if r is None or pd.isna(r) else float(r)
            if abs(r) < 0.0005:
                return "", w["same"]
            return f"{abs(r):.1%}", w["more"] if r > 0 else w["less"]

        if abs(u_o - u_b) > SERVED_TOLERANCE:
            m = "cost per PFLOPS·h served"
            r, d = rel(m)
            out.append(w["served"].format(who=w[f"who.{other}"], plan=w[f"plan.{other}"], u_other=f"{u_o:.1%}", u_base=f"{u_b:.1%}",
                                          base=_money(float(t.loc[m, base])), other=_money(float(t.loc[m, other])),
                                          rel=r, dir=d).replace("  ", " "))
            continue
        scale = max(abs(float(t.loc["total cost", c])) for c in (other, base)) or 1.0
        penalties = any(abs(float(t.loc[k, c])) > PENALTY_DUST * scale
                        for k in ("unserved cost", "policy penalty") if k in t.index for c in (other, base))
        m = "cost excluding penalties" if penalties else "total cost"
        diff = float(t.loc[m, diff_col])
        r, d = rel(m)
        template = w["cost"] if r else w["cost_same"]
        text = template.format(what=w[f"what.{m}"], who=w[f"who.{other}"], verb=w["saves"] if diff >= 0 else w["costs"], diff=_money(abs(diff)),
                                money=money, plan=w[f"plan.{other}"], rel=r, dir=d,
                                other=_money(float(t.loc[m, other])), base=_money(float(t.loc[m, base])))
        rp, dp = rel("PFLOPS installed")
        if rp:
            text += w["pflops"].format(rel=rp, dir=dp, other=_money(float(t.loc["PFLOPS installed", other])),
                                       base=_money(float(t.loc["PFLOPS installed", base])))
        else:
            text += w["pflops_same"].format(base=_money(float(t.loc["PFLOPS installed", base])))
        out.append(" ".join(text.split()))
    return out


def headline(table: pd.DataFrame, other: str | None = None, base: str = "networked", *, money: str = "M CNY",
             lang: str = "en", scale: float = 1e6) -> str:
    """The headlines of :func:`headlines` as one paragraph, with ``table``'s CNY divided by ``scale``.

    ``other`` names the plan to lead with [default: local-first if present, else isolated].
    """
    from .report.present import _scale_by_unit

    first = other or ("local-first" if "local-first" in table.columns else "isolated")
    order = (first, *[o for o in ("local-first", "isolated") if o != first])
    return " ".join(headlines(_scale_by_unit(table, scale, ()), base=base, money=money, lang=lang, others=order))
