"""Infeasibility explained in the analyst's terms.

Demand can always be left unserved at its price, so a plan can only be impossible because of a
hard policy target (or a resilience requirement). Two steps: pre-solve checks that need no
solver, then an *elastic* re-solve in which every hard target gets a slack at a high price; the
targets whose slack is used are the ones out of reach, and by how much.
"""

from __future__ import annotations

import logging
from typing import Any

import pyomo.environ as pyo

from .data import PlanningData, prepare
from .model import build_model
from .scenario.schema import SLACK_UNITS, Scenario
from .solve import solve

log = logging.getLogger(__name__)

#: Price of one unit of slack in the elastic re-solve (CNY per unit): far above any real cost.
ELASTIC_PRICE = 1e7


def presolve_reasons(m: pyo.ConcreteModel, data: PlanningData) -> list[str]:
    """Reasons a plan is impossible that can be seen before solving."""
    out = []
    for kind, c, j, r, t in getattr(m, "resilience_impossible", []):
        out.append(f"resilience (N-1): class '{j}' of region '{r}' has no site within its latency limit once {kind} "
                   f"'{c}' is out of service" + (f" (it can only be served at site '{c}')" if kind == "site" else "")
                   + f" in slice '{t}'")
    pol = data.scenario.policy
    if pol.domestic_min_share and "domestic_min_share" not in pol.policy_slack_cost:
        if not any(data.domestic[h] and (data.buyable[h] or any(data.existing.get((s, h), 0) for s in data.SITES)) for h in data.HW):
            out.append(f"domestic_min_share {pol.domestic_min_share:.0%}: no domestic hardware can be bought in "
                       f"{data.scenario.year} or is installed")
    # one line per (class, region) for resilience is enough
    seen, lines = set(), []
    for line in out:
        key = line.split(" in slice ")[0]
        if key not in seen:
            seen.add(key)
            lines.append(line.split(" in slice ")[0] + ("" if " in slice " not in line else " in every slice"))
    return lines


#: Price of unserved work in the elastic re-solve when serving all demand is a hard target (CNY/PFLOPS·h).
ELASTIC_UNSERVED = 1e5


def elastic(scenario: Scenario) -> Scenario:
    """The scenario with every target priced at ``ELASTIC_PRICE`` per unit of slack (given prices kept);
    when all demand must be served, unserved work is allowed again at ``ELASTIC_UNSERVED``."""
    prices = dict.fromkeys(SLACK_UNITS, ELASTIC_PRICE) | dict(scenario.policy.policy_slack_cost)
    update: dict[str, Any] = {"policy": scenario.policy.model_copy(update={"policy_slack_cost": prices, "allow_unserved": True})}
    if not scenario.policy.allow_unserved:
        update["job_classes"] = tuple(j.model_copy(update={"unserved_cost": max(j.unserved_cost, ELASTIC_UNSERVED)})
                                      for j in scenario.job_classes)
    return scenario.model_copy(update=update)


def why_unserved(m: pyo.ConcreteModel, data: PlanningData, j: str, r: str, t: str) -> str:
    """The limits that bind at the sites where class ``j`` of region ``r`` could run in slice ``t``."""
    d = data
    sites = sorted({s for (jj, rr, s) in d.ELIG if jj == j and rr == r}, key=d.SITES.index)
    if not sites:
        return "no site within its latency limit"
    reasons = []
    for s in sites:
        mods = {h: pyo.value(m.sizing.modules[s, h]) for h in d.HW}
        kw = sum(d.kw[h] * mods[h] for h in d.HW) / 1000
        if kw >= d.max_it_mw[s] * (1 - 1e-6) and d.max_it_mw[s] > 0:
            reasons.append(f"{s}: power envelope full ({d.max_it_mw[s]:g} MW)")
        elif d.max_modules_site[s] is not None and sum(mods.values()) >= d.max_modules_site[s] - 1e-6:
            reasons.append(f"{s}: max_modules reached ({d.max_modules_site[s]})")
        elif all(mods[h] >= d.module_bound[s, h] - 1e-6 for h in d.HW):
            reasons.append(f"{s}: no more modules allowed")
    remote = [s for s in sites if d.site_region[s] != r]
    if remote and d.gbps_per_pflops[j] > 0:
        full = sorted({a.link for a in d.ARCS if (a.name, t) in m.network.traffic
                       and pyo.value(m.network.traffic[a.name, t]) >= d.links[a.link].max_units * d.links[a.link].unit_gbps * (1 - 1e-6)
                       and d.links[a.link].max_units > 0})
        if full:
            reasons.append(f"links at their most units in {t}: {', '.join(full)}")
    for tg in getattr(m, "policy_targets", []):
        if tg.lever == "budget" and tg.slack is not None and pyo.value(tg.slack) <= 1e-6 and \
                abs(pyo.value(tg.achieved) - tg.target) <= 1e-6 * max(1.0, tg.target):
            reasons.append("the budget is spent")
    return "; ".join(reasons) if reasons else "its sites' limits (see the Sites sheet)"


def explain_infeasible(scenario: Scenario, options: dict[str, Any], *, isolated: bool = False) -> str:
    """Re-solve with every target elastic; say which targets are out of reach and by how much."""
    sc = elastic(scenario)
    data = prepare(sc, isolated=isolated)
    m = build_model(data)
    out = solve(m, **{**options, "relax": False})
    head = f"scenario '{scenario.name}' has no feasible plan"
    if not out.ok:
        return f"{head}, and none was found even with every policy target relaxed (HiGHS: {out.termination})"
    lines = []
    for tg in m.policy_targets:
        if tg.slack is None:
            continue
        miss = pyo.value(tg.slack)
        if miss > 1e-6 * max(1.0, abs(tg.target)):
            achieved = pyo.value(tg.achieved)
            shown = f"{achieved:.1%}" if tg.unit == "-" else f"{achieved:,.4g} {tg.unit}"
            lines.append(f"  - {tg.describe}: out of reach; the closest plan reaches {shown} "
                         f"(short by {miss:,.4g} {tg.unit if tg.lever == 'resilience' else SLACK_UNITS[tg.lever]})")
    if not scenario.policy.allow_unserved:
        short: dict[tuple[str, str, str], float] = {}
        for (j, r, t), v in m.placement.unserved.items():
            if (v.value or 0.0) > 1e-6:
                short[j, r, t] = v.value
        for (j, r, t), v in sorted(short.items())[:20]:
            lines.append(f"  - class {j} of region {r} in slice {t}: {v:,.4g} PFLOPS cannot be served — {why_unserved(m, data, j, r, t)}")
        if len(short) > 20:
            lines.append(f"  … and {len(short) - 20} more region/class/slice shortfalls")
    if not lines:
        return f"{head} (HiGHS said infeasible, but the elastic re-solve meets every target: numerical trouble?)"
    more = f"\n  … and {len(lines) - 20} more" if len(lines) > 20 else ""
    advice = ("\nRelax them, allow unserved demand (policy.allow_unserved), or give targets a price in "
              "policy.policy_slack_cost to see the cheapest shortfall.")
    return f"{head}: these targets cannot all be met:\n" + "\n".join(lines[:20]) + more + advice
