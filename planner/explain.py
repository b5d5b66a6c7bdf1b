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

from .data import PlanningData, prepare, pue_caps
from .model import build_model
from .model.network import arc_traffic
from .scenario.schema import SLACK_UNITS, Scenario
from .solve import solve

log = logging.getLogger(__name__)

#: Price of one unit of slack in the elastic re-solve (CNY per unit): far above any real cost.
ELASTIC_PRICE = 1e7


def presolve_reasons(m: pyo.ConcreteModel, data: PlanningData) -> list[str]:
    """Reasons a plan is impossible that can be seen before solving."""
    out = []
    for kind, c, j, r, t in getattr(m, "resilience_impossible", []):
        out.append(
            f"resilience (N-1): class '{j}' of region '{r}' has no site within its latency limit once {kind} "
            f"'{c}' is out of service"
            + (f" (it can only be served at site '{c}')" if kind == "site" else "")
            + f" in slice '{t}'"
        )
    pol = data.scenario.policy
    if pol.domestic_min_share and "domestic_min_share" not in pol.policy_slack_cost:
        if not any(
            data.domestic[h]
            and (data.buyable[h] or any(data.existing.get((s, h), 0) for s in data.SITES))
            for h in data.HW
        ):
            out.append(
                f"domestic_min_share {pol.domestic_min_share:.0%}: no domestic hardware can be bought in "
                f"{data.scenario.year} or is installed"
            )
    # one line per (class, region) for resilience is enough
    seen, lines = set(), []
    for line in out:
        key = line.split(" in slice ")[0]
        if key not in seen:
            seen.add(key)
            lines.append(
                line.split(" in slice ")[0]
                + ("" if " in slice " not in line else " in every slice")
            )
    return lines


#: Price of unserved work in the elastic re-solve when serving all demand is a hard target (CNY/PFLOPS·h).
ELASTIC_UNSERVED = 1e5


def elastic(
    scenario: Scenario, *, keep_serving: bool = False, slack_price: float = ELASTIC_PRICE
) -> Scenario:
    """The scenario with every target priced at ``slack_price`` per unit of slack (given prices kept).

    With ``keep_serving``, serving all demand stays as the scenario has it (a hard target when
    ``allow_unserved`` is false); otherwise unserved work is allowed again, at ``ELASTIC_UNSERVED``
    at least when serving all demand was a hard target.
    """
    prices = dict.fromkeys(SLACK_UNITS, slack_price) | (
        {} if slack_price == 0 else dict(scenario.policy.policy_slack_cost)
    )
    if keep_serving:
        return scenario.model_copy(
            update={"policy": scenario.policy.model_copy(update={"policy_slack_cost": prices})}
        )
    update: dict[str, Any] = {
        "policy": scenario.policy.model_copy(
            update={"policy_slack_cost": prices, "allow_unserved": True}
        )
    }
    if not scenario.policy.allow_unserved or slack_price == 0:
        update["job_classes"] = tuple(
            j.model_copy(update={"unserved_cost": max(j.unserved_cost, ELASTIC_UNSERVED)})
            for j in scenario.job_classes
        )
    return scenario.model_copy(update=update)


def _lifted(scenario: Scenario) -> Scenario:
    """The scenario without its PUE caps and hardware availability windows (restrictions with no slack)."""
    pol = scenario.policy.model_copy(update={"pue_max": None, "pue_max_by_tag": {}})
    hw = tuple(
        h.model_copy(update={"available_from": None, "available_to": None})
        for h in scenario.hardware
    )
    return scenario.model_copy(update={"policy": pol, "hardware": hw})


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
        elif (most := d.max_modules_site[s]) is not None and sum(mods.values()) >= most - 1e-6:
            reasons.append(f"{s}: max_modules reached ({most})")
        elif all(mods[h] >= d.module_bound[s, h] - 1e-6 for h in d.HW):
            reasons.append(f"{s}: no more modules allowed")
    remote = [s for s in sites if d.site_region[s] != r]
    if remote and d.gbps_per_pflops[j] > 0:
        traffic = arc_traffic(m, d)  # each direction's own Gbps (signed links split)
        full = sorted(
            {
                a.link
                for a in d.ARCS
                if (a.name, t) in traffic
                and traffic[a.name, t]
                >= d.links[a.link].max_units * d.links[a.link].unit_gbps * (1 - 1e-6)
                and d.links[a.link].max_units > 0
            }
        )
        if full:
            reasons.append(f"links at their most units in {t}: {', '.join(full)}")
    for tg in getattr(m, "policy_targets", []):
        if (
            tg.lever == "budget"
            and tg.slack is not None
            and pyo.value(tg.slack) <= 1e-6
            and abs(pyo.value(tg.achieved) - tg.target) <= 1e-6 * max(1.0, tg.target)
        ):
            reasons.append("the budget is spent")
    return "; ".join(reasons) if reasons else "its sites' limits (see the Sites sheet)"


def _solve(
    sc: Scenario, options: dict[str, Any], isolated: bool
) -> tuple[pyo.ConcreteModel, PlanningData, Any]:
    data = prepare(sc, isolated=isolated)
    m = build_model(data)
    return m, data, solve(m, **{**options, "relax": False})


def _amount(x: float) -> str:
    """A quantity as an analyst writes it: 3,000,000 and 1,183, but 0.25 and 12.5."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.4g}"


def _missed_targets(m: pyo.ConcreteModel) -> list[str]:
    """The targets whose slack the elastic plan uses, each with what the closest plan reaches."""
    lines = []
    for tg in m.policy_targets:
        if tg.slack is None:
            continue
        miss = pyo.value(tg.slack)
        if miss > 1e-6 * max(1.0, abs(tg.target)):
            achieved = pyo.value(tg.achieved)
            shown = f"{achieved:.1%}" if tg.unit == "-" else f"{_amount(achieved)} {tg.unit}"
            lines.append(
                f"  - {tg.describe}: out of reach; the closest plan reaches {shown} "
                f"(short by {_amount(miss)} {tg.unit if tg.lever == 'resilience' else SLACK_UNITS[tg.lever]})"
            )
    return lines


def _restrictions_used(scenario: Scenario, m: pyo.ConcreteModel, data: PlanningData) -> list[str]:
    """PUE caps and availability windows the lifted plan had to break (it opens a capped site, buys out of window)."""
    lines = []
    caps = pue_caps(scenario)
    opened = [
        s
        for s in data.SITES
        if pyo.value(m.sizing.newly_open[s]) > 0.5
        and s in caps
        and data.scenario.sites[data.SITES.index(s)].pue > caps[s] + 1e-12
    ]
    if opened:
        pues = ", ".join(
            f"{s} (PUE {data.scenario.sites[data.SITES.index(s)].pue:g}, cap {caps[s]:g})"
            for s in opened
        )
        lines.append(
            f"  - the PUE cap (policy.pue_max / pue_max_by_tag): the closest plan must open {pues}"
        )
    for h in scenario.hardware:
        if (h.available_from is None or h.available_from <= scenario.year) and (
            h.available_to is None or scenario.year <= h.available_to
        ):
            continue
        n = sum(pyo.value(m.sizing.bought[s, hh]) for s, hh in data.SITE_HW if hh == h.name)
        if n > 0.5:
            window = f"{h.available_from or '…'}–{h.available_to or '…'}"
            lines.append(
                f"  - the availability window of hardware '{h.name}' ({window}): the closest plan must buy "
                f"{n:,.0f} modules of it in {scenario.year}"
            )
    return lines


def binding_targets(
    scenario: Scenario, options: dict[str, Any], *, isolated: bool = False
) -> tuple[list[str], str]:
    """Why the scenario's targets cannot all be met, in the user's terms: (lines, what they are about).

    Three elastic re-solves, each only if the one before has no plan:

    1. every policy target priced (serving all demand kept as the scenario has it): the targets
       whose slack is used are out of reach;
    2. also without PUE caps and hardware availability windows: those the plan must break are named,
       with the targets still missed;
    3. without any target, cap or window, unserved work allowed at a high price: demand that
       cannot be served at all, with the limit that binds (power envelopes, modules, links, latency).
    """
    m, data, out = _solve(elastic(scenario, keep_serving=True), options, isolated)
    if out.ok:
        return _missed_targets(m), "targets"
    lifted = _lifted(scenario)
    m, data, out = _solve(elastic(lifted, keep_serving=True), options, isolated)
    if out.ok:
        return _restrictions_used(scenario, m, data) + _missed_targets(m), "targets"
    m, data, out = _solve(elastic(lifted, slack_price=0.0), options, isolated)
    if not out.ok:
        return (
            [],
            f"none was found even with every policy target relaxed (HiGHS: {out.termination})",
        )
    short: dict[tuple[str, str, str], float] = {}
    for (j, r, t), v in m.placement.unserved.items():
        if (v.value or 0.0) > 1e-6:
            short[j, r, t] = v.value
    lines = [
        f"  - class {j} of region {r} in slice {t}: {v:,.4g} PFLOPS cannot be served — {why_unserved(m, data, j, r, t)}"
        for (j, r, t), v in sorted(short.items())[:20]
    ]
    if len(short) > 20:
        lines.append(f"  … and {len(short) - 20} more region/class/slice shortfalls")
    return lines, "demand"


def explain_infeasible(
    scenario: Scenario, options: dict[str, Any], *, isolated: bool = False
) -> str:
    """Re-solve elastically (see :func:`binding_targets`); say which targets are out of reach and by how much."""
    head = f"scenario '{scenario.name}' has no feasible plan"
    lines, about = binding_targets(scenario, options, isolated=isolated)
    if about not in ("targets", "demand"):
        return f"{head}, and {about}"
    if not lines:
        return f"{head} (HiGHS said infeasible, but the elastic re-solve meets every target: numerical trouble?)"
    more = f"\n  … and {len(lines) - 20} more" if len(lines) > 20 else ""
    serve = (
        " with all demand served (policy.allow_unserved: false)"
        if not scenario.policy.allow_unserved
        else ""
    )
    if about == "targets":
        advice = (
            "\nRelax them, allow unserved demand (policy.allow_unserved), or give targets a price in "
            "policy.policy_slack_cost to see the cheapest shortfall."
        )
        return (
            f"{head}: these targets cannot all be met{serve}:\n"
            + "\n".join(lines[:20])
            + more
            + advice
        )
    advice = (
        "\nThis demand cannot be served by any plan, even without policy targets, PUE caps or availability windows: "
        "raise the sites' limits or the links, or allow unserved demand (policy.allow_unserved)."
    )
    return f"{head}: serving all demand is out of reach:\n" + "\n".join(lines[:20]) + more + advice


#: A plan leaving more than this share of its demand unserved is reported loudly, with its cause.
MOST_UNSERVED = 0.5


def _whole_jobs_unserved(m: pyo.ConcreteModel, data: PlanningData) -> float:
    """The share of demand a plan with ``allow_unserved: false`` still leaves unserved: the work
    in whole jobs that no whole job can do (planner.model.job_leftover)."""
    total = sum(data.weight[t] * v for (_j, _r, t), v in data.demand.items())
    left = sum(data.weight[t] * (v.value or 0.0) for (_j, _r, t), v in m.placement.unserved.items())
    return left / total if total > 0 else 0.0


def unserved_warning(
    scenario: Scenario, options: dict[str, Any], share: float, *, isolated: bool = False
) -> str | None:
    """A loud warning for a plan that leaves most of its demand unserved, naming the cause.

    ``share`` is the plan's unserved share. The cause is found as for an infeasible plan with all
    demand served (:func:`binding_targets` on the scenario with ``allow_unserved: false``): the
    targets that stand in the way, or the limits of the sites, or — if all demand can be served
    within every target — its unserved_cost, below the cost of serving it.
    """
    if share <= MOST_UNSERVED:
        return None
    forced = scenario.model_copy(
        update={"policy": scenario.policy.model_copy(update={"allow_unserved": False})}
    )
    head = f"the plan leaves {share:.1%} of demand unserved"
    m, data, out = _solve(forced, options, isolated)
    if out.ok and (whole := _whole_jobs_unserved(m, data)) >= 0.5 * share:
        reasons = sorted(set(data.unserved_reason.values()))
        return (
            f"{head}: it is work in whole jobs that no plan can serve whole ({whole:.1%} of demand even "
            "with every job that fits served)" + (": " + "; ".join(reasons) if reasons else "")
        )
    if out.ok:
        return (
            f"{head}: serving it costs more than its unserved_cost (no target stands in the way); "
            "raise job_classes' unserved_cost to serve it"
        )
    lines, about = binding_targets(forced, options, isolated=isolated)
    if about == "targets" and lines:
        return (
            f"{head} because of these targets (serving all demand would miss them):\n"
            + "\n".join(lines[:20])
            + "\nRelax them, or set policy.allow_unserved: false to make this an error."
        )
    if about == "demand" and lines:
        return f"{head}: no plan can serve it all:\n" + "\n".join(lines[:20])
    return head
