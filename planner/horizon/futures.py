"""Demand futures (docs/model.md §10, "Demand futures"): each future's scenario and the expected one.

A scenario with a ``futures`` table is planned once for all of them: investments (sites, modules,
link units) are shared, operation is per future. Future ``f`` with probability ``π_f`` sees the
scenario's demand changed as ``future_demand`` says:

- every demand row of ``(j, r)`` is multiplied by ``scale_f × factor_f[j, r]``, ``factor_f`` the
  most specific ``factor`` row of ``f`` (class and region, then class, then region, then every;
  default 1);
- a ``pflops`` row of ``f`` for ``(j, r, year)`` replaces the scenario's row (or adds one: a new
  class of work, a region's shock), taken as given;
- a ``rate`` row is a demand growth rate in ``f`` (several periods), more specific rows winning,
  and at equal specificity over ``demand_growth``.

The *expected-demand* scenario has, per class, region, slice (and period), the probability-weighted
demand ``d̄[j,r,t,p] = Σ_f π_f d_f[j,r,t,p]``; its plan is the one the value of the stochastic
solution is measured against.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..data import PlanningData, prepare
from ..errors import ScenarioError
from ..scenario.schema import Demand, DemandGrowth, FutureDemand, Scenario
from .periods import MultiPeriodData, period_demand, period_list, prepare_periods

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FutureInfo:
    """One demand future: name, probability and a Chinese label for reports."""

    name: str
    probability: float
    label_zh: str | None = None


def future_list(sc: Scenario) -> list[FutureInfo]:
    """The futures of ``sc`` in table order (one future, ``base`` with probability 1, without a table)."""
    if not sc.futures:
        return [FutureInfo("base", 1.0)]
    return [FutureInfo(f.name, f.probability, f.label_zh) for f in sc.futures]


def _factor(rows: list[FutureDemand], job_class: str, region: str) -> float:
    """The most specific ``factor`` of ``rows`` for ``(job_class, region)``; 1 when none applies."""
    best, rank = 1.0, -1
    for r in rows:
        if (
            r.factor is None
            or r.job_class not in (None, job_class)
            or r.region not in (None, region)
        ):
            continue
        k = (r.job_class is not None) * 2 + (r.region is not None)
        if k > rank:
            best, rank = r.factor, k
    return best


def future_scenario(sc: Scenario, name: str) -> Scenario:
    """The scenario of future ``name``: its demand and growth rates, no futures table (see module docs)."""
    by = {f.name: f for f in sc.futures}
    if name not in by:
        raise ScenarioError(
            f"scenario '{sc.name}' has no future '{name}'; futures: {', '.join(by) or 'none'}"
        )
    f = by[name]
    rows = [r for r in sc.future_demand if r.future == name]
    own = {(r.job_class, r.region, r.year): r for r in rows if r.pflops is not None}
    demand = [
        d.model_copy(update={"pflops": d.pflops * f.scale * _factor(rows, d.job_class, d.region)})
        for d in sc.demand
        if (d.job_class, d.region, d.year) not in own
    ]
    for r in own.values():
        if (
            r.job_class is None or r.region is None or r.pflops is None
        ):  # own holds only rows with pflops
            raise ScenarioError(f"future '{name}': a pflops row needs its class and region")
        demand.append(
            Demand(
                job_class=r.job_class,
                region=r.region,
                pflops=r.pflops,
                profile=r.profile,
                year=r.year,
                source=r.source,
            )
        )
    growth = tuple(
        DemandGrowth(job_class=r.job_class, region=r.region, rate=r.rate)
        for r in rows
        if r.rate is not None
    )
    out = sc.model_copy(
        update={
            "demand": tuple(demand),
            "demand_growth": growth + tuple(sc.demand_growth),
            "futures": (),
            "future_demand": (),
            "name": f"{sc.name} · {name}",
        }
    )
    out._places.update(sc._places)
    out._inputs.extend(x for x in sc._inputs if x not in out._inputs)
    return out


def expected_scenario(sc: Scenario) -> Scenario:
    """The scenario of the expected demand ``d̄ = Σ_f π_f d_f`` (per class, region, slice and period).

    Where the futures' rows of a ``(class, region)`` share one profile, the row keeps it with
    ``pflops = Σ_f π_f pflops_f``; otherwise the row gets a profile of its own,
    ``expected·<class>·<region>[·<year>]``, holding ``d̄`` per slice (and ``pflops`` 1). With periods,
    every period's demand is given as a row for its year (growth already applied).
    """
    futures = future_list(sc)
    scs = {f.name: future_scenario(sc, f.name) for f in futures}
    slices = [t.name for t in sc.time_slices]
    profiles = dict(sc.profiles)
    rows: list[Demand] = []
    per: dict[tuple[str, int | None], tuple[Demand, ...]]
    if sc.periods:
        periods = period_list(sc)
        years: list[int | None] = [p.year for p in periods]
        per = {
            (f.name, p.year): period_demand(scs[f.name], p.year, periods[0].year)
            for f in futures
            for p in periods
        }
    else:
        years = [None]
        per = {(f.name, None): scs[f.name].demand for f in futures}
    for y in years:
        keys: dict[tuple[str, str], None] = {}
        for f in futures:
            for d in per[f.name, y]:
                keys.setdefault((d.job_class, d.region))
        for j, r in keys:
            parts = [
                (f.probability, d)
                for f in futures
                for d in per[f.name, y]
                if (d.job_class, d.region) == (j, r)
            ]
            profs = {d.profile for _, d in parts}
            if len(profs) == 1:
                rows.append(
                    Demand(
                        job_class=j,
                        region=r,
                        pflops=sum(p * d.pflops for p, d in parts),
                        profile=profs.pop(),
                        year=y,
                    )
                )
                continue
            name = "·".join(["expected", j, r] + ([str(y)] if y is not None else []))
            profiles[name] = {
                t: sum(
                    p * d.pflops * (sc.profiles[d.profile][t] if d.profile else 1.0)
                    for p, d in parts
                )
                for t in slices
            }
            rows.append(Demand(job_class=j, region=r, pflops=1.0, profile=name, year=y))
    out = sc.model_copy(
        update={
            "demand": tuple(rows),
            "demand_growth": (),
            "futures": (),
            "future_demand": (),
            "profiles": profiles,
            "name": f"{sc.name} · expected demand",
        }
    )
    out._places.update(sc._places)
    return out


@dataclass
class FuturesData:
    """The planning data of every future (one period: :class:`PlanningData`; several: :class:`MultiPeriodData`)."""

    scenario: Scenario
    futures: list[FutureInfo]
    data: dict[str, Any]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.futures]

    @property
    def probability(self) -> dict[str, float]:
        return {f.name: f.probability for f in self.futures}

    @property
    def multi_period(self) -> bool:
        return bool(self.scenario.periods)


def prepare_futures(sc: Scenario, *, isolated: bool = False) -> FuturesData:
    """Derive the data of every future of ``sc``, with module bounds shared (the largest of the futures').

    Investments are shared, so the module bound of ``(s, h)`` (and, with periods, of each purchase)
    must hold in every future: each future's bound is valid for it, and the largest is valid for all.
    """
    futures = future_list(sc)
    data: dict[str, Any] = {}
    for f in futures:
        one = future_scenario(sc, f.name) if sc.futures else sc
        data[f.name] = (
            prepare_periods(one, isolated=isolated)
            if sc.periods
            else prepare(one, isolated=isolated)
        )
    if sc.periods:
        mds: list[MultiPeriodData] = list(data.values())
        for y in mds[0].years:
            for k in mds[0].data[y].module_bound:
                v = max(md.data[y].module_bound[k] for md in mds)
                for md in mds:
                    md.data[y].module_bound[k] = v
        for pk in mds[0].purchase_bound:
            v = max(md.purchase_bound.get(pk, 0) for md in mds)
            for md in mds:
                md.purchase_bound[pk] = v
        if any(md.BUILD != mds[0].BUILD for md in mds):
            raise ScenarioError(
                f"scenario '{sc.name}': the futures differ in what can be bought, which they share"
            )
    else:
        ds: list[PlanningData] = list(data.values())
        for k in ds[0].module_bound:
            v = max(d.module_bound[k] for d in ds)
            for d in ds:
                d.module_bound[k] = v
    log.info(
        "prepared %d futures of %s: %s",
        len(futures),
        sc.name,
        ", ".join(f"{f.name} ({f.probability:g})" for f in futures),
    )
    return FuturesData(sc, futures, data)


def without_futures(sc: Scenario, what: str) -> Scenario:
    """``sc`` without its futures and announced baseline, for analyses made on one demand (a warning says so)."""
    if not sc.futures and not sc.announced:
        return sc
    log.warning(
        "%s plans scenario '%s' for its own demand rows: its demand futures and announced baseline are not used",
        what,
        sc.name,
    )
    out = sc.model_copy(update={"futures": (), "future_demand": (), "announced": ()})
    out._places.update(sc._places)
    return out
