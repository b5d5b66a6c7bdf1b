"""The printed summary of a plan with demand futures (``planner run``)."""

from __future__ import annotations

from typing import Any

from .common import status_text


def future_lines(name: str, res: Any) -> list[str]:
    """The whole plan, one line per future (and period), the value of information and any baseline."""
    o = res.outcome
    gap = f"{100 * o.gap:.2f}%" if o.gap is not None else "n/a"
    unit = res.summary.set_index("kpi").loc["total cost", "unit"]
    lines = [
        f"scenario     {name}",
        f"futures      {res.kpi('futures')}   objective: {res.kpi('objective (futures)')}",
        f"status       {status_text(o)}",
        f"objective    {o.objective:,.0f}   bound {o.bound:,.0f}   gap {gap}",
        f"total cost   {res.total_cost / 1e6:,.2f} M {unit}",
        f"built        {float(res.kpi('PFLOPS installed')):,.1f} PFLOPS installed   sites {res.kpi('sites open')}",
    ]
    for r in res.extra_tables["Futures"].to_dict("records"):
        when = f" {r['period']}" if "period" in r else ""
        lines.append(
            f"{r['future'] + when:<12} p={r['probability']:g}: utilisation {100 * r['average utilisation']:.1f}%   "
            f"idle {r['idle PFLOPS·h/yr'] / 8760:,.1f} PFLOPS (average)   unserved {100 * r['unserved share']:.2f}%"
        )
    for key, label in (("VSS", "VSS"), ("EVPI", "EVPI")):
        if key in res.extras:
            lines.append(
                f"{label:<12} {res.extras[key] / 1e6:,.2f} M {unit.replace(' (expected)', '').replace(', expected', '')}"
            )
    base = res.extra_tables.get("Announced vs coordinated")
    diff = "difference (announced − coordinated)"
    if (
        base is not None and "period" in base.columns
    ):  # several periods: the horizon, then each period
        d = base.set_index(["period", "quantity"])[diff]
        lines.append(
            f"announced    costs {d['all', 'expected cost (all periods, discounted)'] / 1e6:,.2f} M more "
            "than the coordinated plan over the periods (discounted)"
        )
        for y in [p for p in dict.fromkeys(base["period"]) if p != "all"]:
            lines.append(
                f"  {y!s:<10} {d[y, 'idle PFLOPS (average)']:,.1f} more PFLOPS idle; stranded capital "
                f"{d[y, 'stranded capital CNY'] / 1e6:,.1f} M CNY more"
            )
    elif base is not None:
        d = base.set_index("quantity")[diff]
        lines.append(
            f"announced    costs {d['expected cost'] / 1e6:,.2f} M more than the coordinated plan; "
            f"{d['idle PFLOPS (average)']:,.1f} more PFLOPS idle; stranded capital {d['stranded capital CNY'] / 1e6:,.1f} M CNY more"
        )
    lines.append(f"time         {res.metadata.get('plan time s', 0):.1f}s to plan")
    lines += [f"WARNING      {w.splitlines()[0]}" for w in res.warnings]
    return lines
