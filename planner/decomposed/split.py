"""How one plan splits into a master problem and one subproblem per day (or group of days).

The master holds the investments (``open``, ``modules``, link ``units`` and ``built``, single-site
``assign``), their costs and the rows over investments only (docs/model.md §11). Subproblem ``d``
is the model of the slices of its days, built by the same model blocks on :func:`day_data`, with
the investments fixed. Targets that sum over the year are *coupled*: with ``g_{k,d}`` the day-``d``
part of target ``k``'s row, the master holds budget variables ``b_{k,d}`` with

``Σ_d b_{k,d} + a_k(x)  (≤ or ≥)  B_k``                       (the year row, in the master)
``g_{k,d}(y, x) − e_{k,d} ≤ b_{k,d}``  (or ``+ e ≥ b`` for ``≥``) (the day row, in subproblem d)

where ``a_k`` collects the row's year-level investment terms (the installed PFLOPS of a utilisation
target), ``B_k`` its year-level bound (a carbon cap) and ``e_{k,d} ≥ 0`` an elastic slack at the
lever's ``policy_slack_cost`` (exactly the monolithic slack, shared out over the days), or at
:data:`HARD_PRICE` for a hard target, so that every subproblem is feasible for any investment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from ..data import TB_PER_GBPS_HOUR, PlanningData
from ..horizon.futures import FuturesData
from ..scenario.schema import Scenario

#: Targets that sum over the year's slices: shared out between subproblems by budget variables.
COUPLED = (
    "carbon_cap",
    "min_green_share",
    "min_utilisation",
    "class_domestic_min_share",
    "max_remote_share",
    "min_local_share",
)
#: Targets over investments only: rows of the master.
MASTER_LEVERS = ("budget", "domestic_min_share", "min_hub_share")
#: Coupled targets whose bound is a year total (the carbon cap), not a sum of per-day parts.
YEAR_BOUND = ("carbon_cap",)
#: Coupled targets whose investment terms are year totals (``u × 8760 × installed PFLOPS``).
YEAR_INVEST = ("min_utilisation",)
#: Cost terms over investments only: in the master objective.
INVEST_TERMS = ("capex_sites", "capex_hardware", "fixed_om", "network_capex")
#: Price (CNY per unit of the target) of the elastic slack of a hard coupled target.
HARD_PRICE = 1e6
#: Price (CNY per PFLOPS·h) of unserved work in subproblems when no work may be left unserved.
HARD_UNSERVED = 1e7
#: Investment variables, by component name in the model blocks.
INVEST_COMPONENTS = (
    "sizing.open",
    "sizing.modules",
    "network.units",
    "network.built",
    "placement.assign",
)


#: Investment variables shared by the futures (the first future's block holds them).
SHARED_COMPONENTS = ("sizing.open", "sizing.modules", "network.units", "network.built")


@dataclass(frozen=True)
class Risk:
    """The risk measure over futures (:mod:`planner.model.futures`): measure, CVaR level α, weight λ,
    and each future's own optimum ``c*_f`` (regret)."""

    measure: str = "expected"
    level: float = 0.9
    weight: float = 1.0
    best: tuple[float, ...] | None = None


@dataclass
class Layout:
    """A plan over demand futures split into subproblems: future ``f(d)`` of each subproblem ``d``."""

    fd: FuturesData
    future_of: list[int]
    risk: Risk

    @property
    def names(self) -> list[str]:
        return self.fd.names

    @property
    def probability(self) -> list[float]:
        p = self.fd.probability
        return [p[f] for f in self.fd.names]

    @property
    def data(self) -> list[PlanningData]:
        return [self.fd.data[f] for f in self.fd.names]

    def futures_data(self) -> FuturesData:
        return self.fd


def master_name(prefix: list[str] | None, fi: int, local: str) -> str:
    """The name in the master (or the monolithic futures model) of subproblem column ``local`` of future ``fi``.

    Without futures (``prefix`` None) the names are the same. With futures, the shared investments
    (:data:`SHARED_COMPONENTS`) are the first future's block's, everything else future ``fi``'s.
    """
    if prefix is None:
        return local
    comp = local.split("[", 1)[0]
    return (prefix[0] if comp in SHARED_COMPONENTS else prefix[fi]) + local


def local_names(prefix: list[str] | None, names: list[str], n_futures: int) -> list[dict[str, str]]:
    """Per future, the subproblems' names of master columns ``names``: ``{local: master name}``."""
    if prefix is None:
        return [{n: n for n in names}]
    out: list[dict[str, str]] = [{} for _ in range(n_futures)]
    for n in names:
        for fi, p in enumerate(prefix):
            if not n.startswith(p):
                continue
            local = n[len(p) :]
            if fi == 0 and local.split("[", 1)[0] in SHARED_COMPONENTS:
                for o in out:
                    o[local] = n
            else:
                out[fi][local] = n
            break
    return out


def groups(data: PlanningData, days_per_group: int = 1) -> list[list[str]]:
    """The days of each subproblem, in slice order: consecutive runs of ``days_per_group`` days.

    A scenario without day labels has one day ``all``; without shiftable work (nothing links its
    slices) each slice is then a subproblem of its own.
    """
    days = list(data.DAYS)
    if days == ["all"] and not any(data.shiftable.values()):
        return [[t] for t in data.SLICES]
    n = max(1, int(days_per_group))
    return [days[i : i + n] for i in range(0, len(days), n)]


def sub_scenario(sc: Scenario) -> Scenario:
    """The scenario a subproblem's model reads: no master levers, no prices of coupled slacks, no profiles.

    Coupled rows are rewritten (budget variable, elastic slack) after the build, so their
    ``policy_slack_cost`` is dropped here; profiles are already in the data (and would make every
    subproblem carry the whole year).
    """
    pol = sc.policy.model_copy(
        update={
            "budget": None,
            "domestic_min_share": None,
            "min_hub_share": None,
            "allow_unserved": True,
            "policy_slack_cost": {
                k: v for k, v in sc.policy.policy_slack_cost.items() if k not in COUPLED
            },
        }
    )
    out = sc.model_copy(update={"policy": pol, "profiles": {}, "time_slices": (), "hourly": None})
    out._reduction = {}
    out._places = {}
    return out


def master_scenario(sc: Scenario) -> Scenario:
    """The scenario the master's blocks read: the coupled levers left out (they become year rows)."""
    pol = sc.policy.model_copy(
        update={
            "carbon_cap": None,
            "min_green_share": None,
            "min_green_share_by_tag": {},
            "min_utilisation": None,
            "min_utilisation_by_tag": {},
            "max_remote_share": None,
            "min_local_share": None,
            "resilience": "none",
        }
    )
    jobs = tuple(j.model_copy(update={"domestic_min_share": None}) for j in sc.job_classes)
    return sc.model_copy(update={"policy": pol, "job_classes": jobs})


def master_data(data: PlanningData) -> PlanningData:
    """``data`` with no slices: what the master's blocks build from (investments and their rows)."""
    return replace(
        data,
        scenario=master_scenario(data.scenario),
        SLICES=[],
        weight={},
        DAYS={},
        price={},
        grid_ef={},
        green_max={},
        demand={},
        DEMAND_JR=[],
        X=[],
        Y=[],
        UNSERVED=[],
        FLOW=[],
        SHIP=[],
        TNODE=[],
        RELEASE=[],
    )


class Splitter:
    """Cuts the year's data into the data of each subproblem (one pass over the slice-indexed sets)."""

    def __init__(self, data: PlanningData, days_per_group: int = 1) -> None:
        self.data = data
        self.groups = groups(data, days_per_group)
        self.scenario = sub_scenario(data.scenario)
        if (
            list(data.DAYS) == ["all"]
            and len(self.groups) == len(data.SLICES)
            and len(data.SLICES) > 1
        ):
            self.slices = [g for g in self.groups]  # one slice each
            self.day_of_group = [{"all": g} for g in self.groups]
        else:
            self.slices = [[t for day in g for t in data.DAYS[day]] for g in self.groups]
            self.day_of_group = [{day: data.DAYS[day] for day in g} for g in self.groups]
        self.group_of = {t: i for i, ts in enumerate(self.slices) for t in ts}
        d = data
        self._by: dict[str, list[list[Any]]] = {}
        for name, pos in (
            ("X", 3),
            ("Y", 3),
            ("UNSERVED", 2),
            ("FLOW", 2),
            ("SHIP", 2),
            ("TNODE", 2),
            ("RELEASE", 2),
        ):
            parts: list[list[Any]] = [[] for _ in self.groups]
            for k in getattr(d, name):
                parts[self.group_of[k[pos]]].append(k)
            self._by[name] = parts
        self._demand: list[dict[Any, float]] = [{} for _ in self.groups]
        for k, v in d.demand.items():
            self._demand[self.group_of[k[2]]][k] = v
        self._site_t: dict[str, list[dict[Any, float]]] = {}
        for name in ("price", "grid_ef", "green_max"):
            parts_t: list[dict[Any, float]] = [{} for _ in self.groups]
            for k, v in getattr(d, name).items():
                parts_t[self.group_of[k[1]]][k] = v
            self._site_t[name] = parts_t
        self.hard_unserved = not data.scenario.policy.allow_unserved

    def __len__(self) -> int:
        return len(self.groups)

    def data_of(self, i: int) -> PlanningData:
        """The planning data of subproblem ``i``: its slices only; module bounds stay the year's."""
        d = self.data
        ts = self.slices[i]
        unserved_cost = d.unserved_cost
        if self.hard_unserved:
            unserved_cost = {j: max(v, HARD_UNSERVED) for j, v in unserved_cost.items()}
        changes: dict[str, Any] = {name: dict(parts[i]) for name, parts in self._site_t.items()}
        changes.update({name: list(parts[i]) for name, parts in self._by.items()})
        return replace(
            d,
            scenario=self.scenario,
            SLICES=list(ts),
            weight={t: d.weight[t] for t in ts},
            DAYS=dict(self.day_of_group[i]),
            demand=dict(self._demand[i]),
            unserved_cost=unserved_cost,
            **changes,
        )

    def hours(self, i: int) -> float:
        """Hours of the year subproblem ``i`` stands for (Σ slice weights)."""
        return sum(self.data.weight[t] for t in self.slices[i])


@dataclass(frozen=True)
class CoupledTarget:
    """A year-summed target as the master sees it: the year row ``Σ_d b_{k,d} + a(x) (sense) bound``."""

    key: tuple[str, str]  # (lever, scope)
    sense: str  # "<=" or ">="
    bound: float  # B_k
    invest: tuple[tuple[str, float], ...]  # a_k: (variable name, coefficient)
    price: float  # of the elastic slack e_{k,d}
    hard: bool


def budget_range(
    data: PlanningData, slices: list[str], key: tuple[str, str], share: float | None
) -> tuple[float, float]:
    """Bounds on ``g_{k,d}`` over every plan: the box of the budget variable ``b_{k,d}``.

    Derived from the data (module bounds, demand), so no plan's daily value lies outside:
    carbon ``[0, cap]``; utilisation ``[0, Σ_t w × Σ pflops × M]``; green share, class domestic
    share and remote/local shares ``[−share × Q, (1 − share) × Q]`` with ``Q`` the most energy,
    work or demand of the day.
    """
    d = data
    lever, scope = key
    W = sum(d.weight[t] for t in slices)
    if lever == "carbon_cap":
        cap = d.scenario.policy.carbon_cap
        assert cap is not None  # the lever exists only when the cap is set
        return 0.0, float(cap)
    if lever == "min_utilisation":
        sites = [scope] if scope in d.SITES else [s for s in d.SITES if scope in d.site_tags[s]]
        return 0.0, W * sum(d.pflops[h] * d.module_bound[s, h] for s in sites for h in d.HW)
    if lever == "min_green_share":
        sites = d.SITES if scope == "all" else [s for s in d.SITES if scope in d.site_tags[s]]
        q = W * sum(d.pue[s] * d.kw[h] / 1000 * d.module_bound[s, h] for s in sites for h in d.HW)
        if scope == "all":
            q += W * sum(
                TB_PER_GBPS_HOUR
                * lk.kwh_per_tb
                / 1000
                * lk.unit_gbps
                * lk.max_units
                * (1 if lk.one_way else 2)
                for lk in d.links.values()
            )
    elif lever == "class_domestic_min_share":
        T = set(slices)
        q = sum(d.weight[t] * v for (j, _r, t), v in d.demand.items() if j == scope and t in T)
    else:  # max_remote_share, min_local_share: the region's demand
        T = set(slices)
        q = sum(d.weight[t] * v for (_j, r, t), v in d.demand.items() if r == scope and t in T)
    s = float(share or 0.0)
    pad = 1e-6 * max(q, 1.0)
    return -s * q - pad, (1 - s) * q + pad


def lever_share(sc: Scenario, key: tuple[str, str]) -> float | None:
    """The share of a share target (``None`` for the carbon cap)."""
    lever, scope = key
    pol = sc.policy
    if lever == "min_green_share":
        return pol.min_green_share if scope == "all" else pol.min_green_share_by_tag[scope]
    if lever == "min_utilisation":
        return pol.min_utilisation_by_tag.get(scope, pol.min_utilisation)
    if lever == "class_domestic_min_share":
        return next(j.domestic_min_share for j in sc.job_classes if j.name == scope)
    if lever == "max_remote_share":
        return pol.max_remote_share
    if lever == "min_local_share":
        return pol.min_local_share
    return None


def theta_floor(data: PlanningData) -> float:
    """A lower bound on any subproblem's cost: 0 when every operating price is non-negative, else −∞."""
    d = data
    prices = [
        *d.price.values(),
        *d.green_premium.values(),
        d.carbon_price,
        d.network_price,
        *d.serving_cost.values(),
        *d.unserved_cost.values(),
        *(lk.usage_cost_tb for lk in d.links.values()),
    ]
    return 0.0 if min(prices, default=0.0) >= 0 else -math.inf
