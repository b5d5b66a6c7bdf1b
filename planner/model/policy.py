"""Policy levers (docs/model.md §5 item 8): each optional, each with an optional priced slack.

Every target is written ``achieved (sense) target`` with a slack in the unit of
``SLACK_UNITS[lever]``; where ``policy.policy_slack_cost[lever]`` is given, the slack is a variable
priced in the cost term ``policy_slack_cost`` (so a target out of reach yields a plan and a
statement of how far off it is); otherwise the target is hard. Each target is recorded in
``m.policy_targets`` for the report (target, achieved, slack, shadow price).

Levers: carbon cap; minimum green share (overall, per site tag); budget on new capital spending;
minimum domestic share of installed PFLOPS (and per job class, of its work); minimum average
utilisation (per site, per tag); maximum remote share and minimum local share per region; minimum
hub share of new PFLOPS; N-1 resilience of latency-sensitive demand against the loss of any site.
The PUE caps act in the data layer (sites above their cap cannot open).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from ..data import PlanningData, _reachable
from ..geo import region_site_latency
from .registry import CostRegistry

HOURS = 8760.0


@dataclass
class PolicyTarget:
    """One policy target as built: for the report and for explaining infeasibility."""

    lever: str
    scope: str
    sense: str  # "<=" or ">="
    target: float
    unit: str
    achieved: Any  # Pyomo expression of the achieved value, in ``unit``
    constraint: Any
    slack: Any | None
    describe: str


class _Builder:
    def __init__(self, m: pyo.ConcreteModel, data: PlanningData) -> None:
        self.m, self.d = m, data
        self.pol = data.scenario.policy
        self.b = m.policy = pyo.Block()
        self.b.rows = pyo.ConstraintList()
        self.targets: list[PolicyTarget] = []
        self.slack_terms: list[Any] = []
        self.keys: list[tuple[str, str]] = []

    def add(
        self,
        lever: str,
        scope: str,
        lhs: Any,
        sense: str,
        rhs: Any,
        target: float,
        unit: str,
        achieved: Any,
        describe: str,
        weight: float = 1.0,
    ) -> None:
        """``lhs (sense) rhs``, with a slack in ``SLACK_UNITS[lever]`` when the lever has a price."""
        price = self.pol.policy_slack_cost.get(lever)
        slack = None
        if price is not None:
            slack = pyo.Var(domain=pyo.NonNegativeReals)
            self.b.add_component(f"slack_{len(self.keys)}", slack)
            self.keys.append((lever, scope))
            self.slack_terms.append(price * weight * slack)
            lhs = lhs + (slack if sense == ">=" else -slack)
        con = self.b.rows.add(lhs >= rhs if sense == ">=" else lhs <= rhs)
        self.targets.append(
            PolicyTarget(lever, scope, sense, target, unit, achieved, con, slack, describe)
        )


def add_policy(m: pyo.ConcreteModel, data: PlanningData, costs: CostRegistry) -> None:
    """Add every lever the scenario sets to ``m.policy``; register ``policy_slack_cost``."""
    B = _Builder(m, data)
    d, pol = data, B.pol
    W = d.weight
    energy, green = m.energy.energy, m.energy.green
    modules = m.sizing.modules
    x, y = m.placement.x, m.placement.y

    if pol.carbon_cap is not None:
        B.add(
            "carbon_cap",
            "all",
            m.energy.carbon,
            "<=",
            pol.carbon_cap,
            pol.carbon_cap,
            "tCO2/yr",
            m.energy.carbon,
            f"carbon ≤ {pol.carbon_cap:g} tCO2/yr",
        )

    def green_target(scope: str, sites: list[str], share: float) -> None:
        g = quicksum(W[t] * green[s, t] for s in sites for t in d.SLICES if (s, t) in green)
        e = (
            m.energy.total_mwh
            if scope == "all"
            else quicksum(W[t] * energy[s, t] for s in sites for t in d.SLICES)
        )
        B.add(
            "min_green_share",
            scope,
            g,
            ">=",
            share * e,
            share,
            "-",
            g / (e + 1e-9),
            f"green power ≥ {share:.0%} of the energy of {'all sites and the network' if scope == 'all' else 'sites tagged ' + scope}",
        )

    if pol.min_green_share is not None:
        green_target("all", d.SITES, pol.min_green_share)
    for tag, share in pol.min_green_share_by_tag.items():
        green_target(tag, [s for s in d.SITES if tag in d.site_tags[s]], share)

    if pol.budget is not None:
        sc = d.scenario
        capex = {h.name: h.capex for h in sc.hardware}
        open_cost = {s.name: s.open_cost for s in sc.sites}
        spend = quicksum(
            capex[h] * m.sizing.bought[s, h] for s, h in d.SITE_HW if capex[h]
        ) + quicksum(
            open_cost[s] * m.sizing.newly_open[s]
            for s in d.SITES
            if open_cost[s] and not d.existing_open[s]
        )
        B.add(
            "budget",
            "all",
            spend,
            "<=",
            pol.budget,
            pol.budget,
            "CNY",
            spend,
            f"new capital spending ≤ {pol.budget:,.0f} CNY",
        )

    installed = quicksum(d.pflops[h] * modules[s, h] for s, h in d.SITE_HW)
    if pol.domestic_min_share is not None:
        dom = quicksum(d.pflops[h] * modules[s, h] for s, h in d.SITE_HW if d.domestic[h])
        B.add(
            "domestic_min_share",
            "all",
            dom,
            ">=",
            pol.domestic_min_share * installed,
            pol.domestic_min_share,
            "-",
            dom / (installed + 1e-9),
            f"domestic hardware ≥ {pol.domestic_min_share:.0%} of installed PFLOPS",
        )
    for jc in d.scenario.job_classes:
        if jc.domestic_min_share is None:
            continue
        ys = [k for k in d.Y if k[0] == jc.name]
        if not ys:
            continue
        work = quicksum(W[k[3]] * y[k] for k in ys)
        dom = quicksum(W[k[3]] * y[k] for k in ys if d.domestic[k[2]])
        B.add(
            "class_domestic_min_share",
            jc.name,
            dom,
            ">=",
            jc.domestic_min_share * work,
            jc.domestic_min_share,
            "-",
            dom / (work + 1e-9),
            f"class {jc.name}: ≥ {jc.domestic_min_share:.0%} of its work on domestic hardware",
        )

    load = m.placement.load

    def util_target(scope: str, sites: list[str], u: float) -> None:
        used = quicksum(
            W[t] * load[s, h, t] for s in sites for h in d.HW for t in d.SLICES if (s, h, t) in load
        )
        cap = quicksum(
            d.pflops[h] * modules[s, h] for s in sites for h in d.HW if d.module_bound[s, h] > 0
        )
        B.add(
            "min_utilisation",
            scope,
            used,
            ">=",
            u * HOURS * cap,
            u,
            "-",
            used / (HOURS * cap + 1e-9),
            f"average utilisation of {'site ' + scope if scope in d.SITES else 'sites tagged ' + scope} ≥ {u:.0%}",
        )

    if pol.min_utilisation is not None:
        for s in d.SITES:
            if any(d.module_bound[s, h] > 0 for h in d.HW):
                util_target(s, [s], pol.min_utilisation)
    for tag, u in pol.min_utilisation_by_tag.items():
        util_target(tag, [s for s in d.SITES if tag in d.site_tags[s]], u)

    own_site = {d.site_region[s] for s in d.SITES}
    x_by_region: dict[str, list[Any]] = defaultdict(list)
    for k in d.X:
        x_by_region[k[1]].append(k)
    demand_h: dict[str, float] = defaultdict(float)
    for (_j, r, t), v in d.demand.items():
        demand_h[r] += W[t] * v
    for lever, level in (
        ("max_remote_share", pol.max_remote_share),
        ("min_local_share", pol.min_local_share),
    ):
        if level is None:
            continue
        for r in d.REGIONS:
            if r not in own_site or demand_h[r] <= 0:
                continue
            if lever == "max_remote_share":
                remote = quicksum(
                    W[k[3]] * x[k] for k in x_by_region[r] if d.site_region[k[2]] != r
                )
                B.add(
                    lever,
                    r,
                    remote,
                    "<=",
                    level * demand_h[r],
                    level,
                    "-",
                    remote / demand_h[r],
                    f"region {r}: ≤ {level:.0%} of its demand served elsewhere",
                )
            else:
                local = quicksum(W[k[3]] * x[k] for k in x_by_region[r] if d.site_region[k[2]] == r)
                B.add(
                    lever,
                    r,
                    local,
                    ">=",
                    level * demand_h[r],
                    level,
                    "-",
                    local / demand_h[r],
                    f"region {r}: ≥ {level:.0%} of its demand served at home",
                )

    if pol.min_hub_share is not None:
        new = {(s, h): d.pflops[h] * m.sizing.bought[s, h] for s, h in d.SITE_HW}
        hub = quicksum(v for (s, _h), v in new.items() if pol.hub_tag in d.site_tags[s])
        total = quicksum(new.values())
        B.add(
            "min_hub_share",
            pol.hub_tag,
            hub,
            ">=",
            pol.min_hub_share * total,
            pol.min_hub_share,
            "-",
            hub / (total + 1e-9),
            f"sites tagged {pol.hub_tag}: ≥ {pol.min_hub_share:.0%} of new PFLOPS",
        )

    if pol.resilience != "none":
        _add_resilience(B)

    B.b.COST = pyo.Expression(expr=quicksum(B.slack_terms))
    costs.add(
        "policy_slack_cost",
        B.b.COST if B.slack_terms else 0.0,
        "Σ policy_slack_cost[lever] × slack: the price of targets missed",
    )
    m.policy_targets = B.targets


def _contingency_placements(
    d: PlanningData, kind: str, name: str, X: list[tuple[str, str, str, str]]
) -> list[tuple[str, str, str, str]]:
    """The latency-sensitive placements still possible when site or link ``name`` is out of service."""
    if kind == "site":
        return [k for k in X if k[2] != name]
    sc = d.scenario
    i = list(d.links).index(name)
    links = [lk for n, lk in enumerate(sc.links) if n != i]
    lat = region_site_latency(
        sc.regions, sc.sites, links, sc.latency, sc.network, sc.policy.intra_region_latency_ms
    )
    reach = _reachable(d.REGIONS, [a for a in d.ARCS if a.link != name])
    limit = {j.name: j.max_latency_ms for j in sc.job_classes}
    out = []
    for k in X:
        j, r, s, _t = k
        ms = lat.get((r, s))
        node = d.site_region[s]
        most = limit[j]
        if ms is None or (most is not None and ms > most):
            continue
        if node != r and d.gbps_per_pflops[j] > 0 and node not in reach[r]:
            continue
        out.append(k)
    return out


def _add_resilience(B: _Builder) -> None:
    """N-1 over sites and/or links for latency-sensitive demand (classes with a latency limit).

    For each contingency c (a site, or a link, out of service) a placement ``xk[c,j,r,s,t]`` /
    ``yk[c,j,s,h,t]`` of that work alone (other work may pause during an outage) serves every
    such demand in every slice within the installed modules and the latency limits. For a link
    contingency latency is recomputed without the link and remote traffic is routed by flows
    ``fk[c,a,n,t]`` over the remaining links' installed units; for a site contingency the network
    is intact and its capacity is not re-checked. Per-slice demand is used for shiftable
    latency-sensitive classes too (conservative).
    """
    m, d = B.m, B.d
    W = d.weight
    mode = B.pol.resilience
    sens = {j.name for j in d.scenario.job_classes if j.max_latency_ms is not None}
    X = [k for k in d.X if k[0] in sens and (k[0], k[1], k[3]) in d.demand]
    Y = [k for k in d.Y if k[0] in sens]
    C: list[tuple[str, str]] = []
    if "sites" in mode:
        C += [("site", s) for s in sorted({k[2] for k in X}, key=d.SITES.index)]
    if "links" in mode:
        C += [("link", ln) for ln in d.links if d.links[ln].max_units > 0]
    b = m.policy
    XK, YK, FK = [], [], []
    arcs_of = {a.name: a for a in d.ARCS}
    for kind, name in C:
        c = f"{kind}:{name}"
        Xc = _contingency_placements(d, kind, name, X)
        XK += [(c, *k) for k in Xc]
        YK += [(c, *k) for k in Y if not (kind == "site" and k[1] == name)]
        if kind == "link":
            dest_t = {
                (d.site_region[k[2]], k[3])
                for k in Xc
                if d.site_region[k[2]] != k[1] and d.gbps_per_pflops[k[0]] > 0
            }
            FK += [(c, a.name, n, t) for (n, t) in sorted(dest_t) for a in d.ARCS if a.link != name]
    b.xk = pyo.Var(
        XK,
        domain=pyo.NonNegativeReals,
        doc="PFLOPS of sensitive work of j from r at s in t, contingency c",
    )
    b.yk = pyo.Var(
        YK,
        domain=pyo.NonNegativeReals,
        doc="PFLOPS of sensitive work of j at s on h in t, contingency c",
    )
    b.fk = pyo.Var(
        FK,
        domain=pyo.NonNegativeReals,
        doc="Gbps of sensitive traffic on arc a bound for n in t, contingency c",
    )
    by_jrt: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    by_jst: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    src: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    for k in XK:
        c, j, r, s, t = k
        by_jrt[c, j, r, t].append(k)
        by_jst[c, j, s, t].append(k)
        n = d.site_region[s]
        if c.startswith("link:") and n != r and d.gbps_per_pflops[j] > 0:
            src[c, r, n, t].append(k)
    y_jst: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    y_sht: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    for yk in YK:
        y_jst[yk[0], yk[1], yk[2], yk[4]].append(yk)
        y_sht[yk[0], yk[2], yk[3], yk[4]].append(yk)
    sites_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for xk in X:
        sites_of[xk[0], xk[1]].add(xk[2])
    impossible = []
    priced = "resilience" in B.pol.policy_slack_cost
    demand_keys = sorted({(k[0], k[1], k[3]) for k in X})
    for kind, name in C:
        c = f"{kind}:{name}"
        for j, r, t in demand_keys:
            if kind == "site" and name not in sites_of[j, r]:
                continue  # losing this site does not touch this demand
            ks = by_jrt.get((c, j, r, t), [])
            if not ks and not priced:
                impossible.append((kind, name, j, r, t))
                continue
            served = quicksum(b.xk[k] for k in ks) if ks else 0.0
            B.add(
                "resilience",
                f"{c} out: {j}/{r}/{t}",
                served,
                ">=",
                d.demand[j, r, t],
                d.demand[j, r, t],
                "PFLOPS",
                served,
                f"resilience (N-1): without {kind} {name}, class {j} of {r} in slice {t} is served",
                weight=W[t],
            )
    m.resilience_impossible = impossible
    for (c, j, s, t), ks in by_jst.items():
        b.rows.add(
            quicksum(b.xk[k] for k in ks) == quicksum(b.yk[k] for k in y_jst.get((c, j, s, t), ()))
        )
    for (_c, s, h, _t), ks in y_sht.items():
        b.rows.add(
            quicksum(b.yk[k] / d.efficiency[k[1], h] for k in ks)
            <= d.pflops[h] * m.sizing.modules[s, h]
        )
    # link contingencies: conservation per destination and capacity of the remaining arcs
    out_arcs: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    in_arcs: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    by_arc: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    dests: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for fk in FK:
        c, a, n, t = fk
        out_arcs[c, arcs_of[a].tail, n, t].append(fk)
        in_arcs[c, arcs_of[a].head, n, t].append(fk)
        by_arc[c, a, t].append(fk)
        dests[c].add((n, t))
    for c, nts in dests.items():
        for n, t in sorted(nts):
            for v in d.REGIONS:
                if v == n:
                    continue
                out = out_arcs.get((c, v, n, t), [])
                inn = in_arcs.get((c, v, n, t), [])
                g = src.get((c, v, n, t), [])
                if out or inn or g:
                    b.rows.add(
                        quicksum(b.fk[k] for k in out) - quicksum(b.fk[k] for k in inn)
                        == quicksum(d.gbps_per_pflops[k[1]] * b.xk[k] for k in g)
                    )
    for (_c, a, _t), ks in by_arc.items():
        link = arcs_of[a].link
        b.rows.add(quicksum(b.fk[k] for k in ks) <= d.links[link].unit_gbps * m.network.units[link])
