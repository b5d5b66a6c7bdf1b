"""The headline sentences of the value of the network, each quoting only cells of the comparison table.

The comparison table is :func:`planner.studies.network_value.comparison_table`'s; the Network
value sheet shows it beside the sentences, and a test checks that every number of a sentence is
a cell of that sheet.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Penalties below this share of the total cost are solver dust (the headline then compares total cost).
PENALTY_DUST = 1e-6
#: Served work that differs by more than this share of demand makes the headline compare per PFLOPS·h served.
SERVED_TOLERANCE = 1e-3


def _num(v: Any) -> float:
    """A cell of the comparison table as a float (pandas types cells loosely)."""
    return float(v)


_WORDS = {
    "en": {
        "who.isolated": "every region serving itself",
        "who.local-first": "the local-first plan",
        "plan.isolated": "the isolated plan",
        "plan.local-first": "the local-first plan",
        "more": "more",
        "less": "less",
        "same": "the same",
        "cost": "Against {who}, the network {verb} {diff} {money} a year{what}: {plan} costs {rel} {dir} ({other} against {base} {money}/yr)",
        "what.cost excluding penalties": " (cost excluding penalties)",
        "what.total cost": "",
        "saves": "saves",
        "costs": "costs",
        "cost_same": "Against {who}, the network costs the same ({base} {money}/yr)",
        "pflops": " and installs {rel} {dir} PFLOPS ({other} against {base} PFLOPS).",
        "pflops_same": " and installs the same PFLOPS ({base}).",
        "served": "Against {who}, which leaves {u_other} of demand unserved (the network {u_base}), costs are compared per PFLOPS·h "
        "served: the network costs {base} CNY per PFLOPS·h served against {other} CNY for {plan}, whose cost is {rel} {dir}.",
    },
    "zh": {
        "who.isolated": "各区域自给自足",
        "who.local-first": "本地优先方案",
        "plan.isolated": "孤立方案",
        "plan.local-first": "本地优先方案",
        "more": "多",
        "less": "少",
        "same": "相同",
        "cost": "相对于{who}，算力网络每年{verb} {diff} {money}{what}：{plan}的成本{dir} {rel}（{other} 对 {base} {money}/年）",
        "what.cost excluding penalties": "（不含惩罚项的成本）",
        "what.total cost": "",
        "saves": "节省",
        "costs": "多花",
        "cost_same": "相对于{who}，算力网络成本相同（{base} {money}/年）",
        "pflops": "，已装算力{dir} {rel}（{other} 对 {base} PFLOPS）。",
        "pflops_same": "，已装算力相同（{base} PFLOPS）。",
        "served": "相对于{who}（未满足需求 {u_other}，联网方案 {u_base}），按每 PFLOPS·时已服务工作比较成本：联网方案 {base} 元/PFLOPS·时，"
        "{plan} {other} 元/PFLOPS·时，{plan}的成本{dir} {rel}。",
    },
}


def _money(v: float) -> str:
    return f"{v:,.2f}"


def headlines(
    table: pd.DataFrame,
    *,
    base: str = "networked",
    money: str = "M CNY",
    lang: str = "en",
    others: tuple[str, ...] = ("local-first", "isolated"),
) -> list[str]:
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
        u_o, u_b = _num(t.loc["unserved share", other]), _num(t.loc["unserved share", base])

        def rel(metric: str, rel_col: str = rel_col) -> tuple[str, str]:
            v: Any = t.loc[metric, rel_col]
            r = 0.0 if v is None or pd.isna(v) else float(v)
            if abs(r) < 0.0005:
                return "", w["same"]
            return f"{abs(r):.1%}", w["more"] if r > 0 else w["less"]

        if abs(u_o - u_b) > SERVED_TOLERANCE:
            m = "cost per PFLOPS·h served"
            r, d = rel(m)
            out.append(
                w["served"]
                .format(
                    who=w[f"who.{other}"],
                    plan=w[f"plan.{other}"],
                    u_other=f"{u_o:.1%}",
                    u_base=f"{u_b:.1%}",
                    base=_money(_num(t.loc[m, base])),
                    other=_money(_num(t.loc[m, other])),
                    rel=r,
                    dir=d,
                )
                .replace("  ", " ")
            )
            continue
        scale = max(abs(_num(t.loc["total cost", c])) for c in (other, base)) or 1.0
        penalties = any(
            abs(_num(t.loc[k, c])) > PENALTY_DUST * scale
            for k in ("unserved cost", "policy penalty")
            if k in t.index
            for c in (other, base)
        )
        m = "cost excluding penalties" if penalties else "total cost"
        diff = _num(t.loc[m, diff_col])
        r, d = rel(m)
        template = w["cost"] if r else w["cost_same"]
        text = template.format(
            what=w[f"what.{m}"],
            who=w[f"who.{other}"],
            verb=w["saves"] if diff >= 0 else w["costs"],
            diff=_money(abs(diff)),
            money=money,
            plan=w[f"plan.{other}"],
            rel=r,
            dir=d,
            other=_money(_num(t.loc[m, other])),
            base=_money(_num(t.loc[m, base])),
        )
        rp, dp = rel("PFLOPS installed")
        if rp:
            text += w["pflops"].format(
                rel=rp,
                dir=dp,
                other=_money(_num(t.loc["PFLOPS installed", other])),
                base=_money(_num(t.loc["PFLOPS installed", base])),
            )
        else:
            text += w["pflops_same"].format(base=_money(_num(t.loc["PFLOPS installed", base])))
        out.append(" ".join(text.split()))
    return out
