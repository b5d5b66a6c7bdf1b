"""Several periods (docs/model.md §5.6): the per-period scenarios and how capacity carries over.

A scenario with a ``periods`` table is planned over periods ``p`` with first years ``year[p]``
and lengths ``years[p]``. Each period is an ordinary one-period plan of its own scenario
(:func:`period_scenario`): its demand, the brownfield modules still in service, the sites that
were already open. What links the periods is built in :mod:`planner.model.multi_period`:

- ``modules[s,h,p] = existing[s,h,p] + Σ_{p' ≤ p, alive(h,p',p)} build[s,h,p']`` where a module
  bought in ``p'`` is in service while ``year[p] < year[p'] + life_years[h]``;
- ``build[s,h,p]`` exists only where ``h`` can be bought in ``year[p]`` (its availability window);
- ``open[s,p] ≥ open[s,p−1]`` and ``units[l,p] ≥ units[l,p−1]``;
- the objective is ``Σ_p w[p] × cost[p]`` with ``w[p] = years[p] × (1 + i)^−(year[p] − year[first])``.

Demand of ``(j, r)`` in ``p`` is the row given for ``year[p]`` if there is one, else the base row
(empty year) times ``(1 + g)^(year[p] − year[first])`` with ``g`` the most specific
``demand_growth`` rate (class and region, then class, then region, then every; default 0).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

from ..data import PlanningData, prepare
from ..errors import ScenarioError
from ..scenario.schema import Demand, Hardware, Period, Scenario

log = logging.getLogger(__name__)

#: ``available_from`` of a hardware type that cannot be in service in a period at all.
_NEVER = 10**6


@dataclass(frozen=True)
class PeriodInfo:
    """One planning period: first year, length, discount factor and objective weight."""

    year: int
    years: float
    discount: float  # (1 + i)^−(year − first year)

    @property
    def weight(self) -> float:
        """Objective weight ``years × discount``: the period's CNY/yr become discounted CNY."""
        return self.years * self.discount


def period_list(sc: Scenario) -> list[PeriodInfo]:
    """The periods of ``sc`` in year order, lengths defaulted, discount factors computed.

    ``years`` defaults to the gap to the next period; the last period defaults to the gap before
    it (or 1 year when it is the only period). Without a periods table: one period, ``sc.year``, 1 year.

    Examples
    --------
    >>> from planner.scenario.schema import Period
    >>> [(p.year, p.years) for p in period_list_of([Period(year=2025), Period(year=2027)], 0.0)]
    [(2025, 2.0), (2027, 2.0)]
    """
    if not sc.periods:
        return [PeriodInfo(sc.year, 1.0, 1.0)]
    return period_list_of(list(sc.periods), sc.discount_rate)


def period_list_of(periods: list[Period], rate: float) -> list[PeriodInfo]:
    """:func:`period_list` for a list of ``Period`` rows and a discount rate."""
    rows = sorted(periods, key=lambda p: p.year)
    first = rows[0].year
    out = []
    for k, p in enumerate(rows):
        if p.years is not None:
            n = float(p.years)
        elif k + 1 < len(rows):
            n = float(rows[k + 1].year - p.year)
        elif k > 0:
            n = float(p.year - rows[k - 1].year)
        else:
            n = 1.0
        out.append(PeriodInfo(p.year, n, (1.0 + rate) ** -(p.year - first)))
    return out


def one_period_only(sc: Scenario, what: str) -> None:
    """Raise a :class:`ScenarioError` when ``sc`` has several periods and ``what`` works on one."""
    if sc.periods:
        years = ", ".join(str(p.year) for p in sorted(sc.periods, key=lambda p: p.year))
        raise ScenarioError(
            f"{what} works on one period, but scenario '{sc.name}' has periods ({years}); "
            "plan it with 'planner run', or drop the periods table for this analysis"
        )


def growth_rate(sc: Scenario, job_class: str, region: str) -> float:
    """The most specific ``demand_growth`` rate for ``(job_class, region)`` (0 when none applies)."""
    best, rank = 0.0, -1
    for g in sc.demand_growth:
        if g.job_class not in (None, job_class) or g.region not in (None, region):
            continue
        r = (g.job_class is not None) * 2 + (g.region is not None)
        if r > rank:
            best, rank = g.rate, r
    return best


def period_demand(sc: Scenario, year: int, first: int) -> tuple[Demand, ...]:
    """The demand rows of period ``year``: rows given for it, else base rows grown to it."""
    direct = {(d.job_class, d.region) for d in sc.demand if d.year == year}
    rows = []
    for d in sc.demand:
        if d.year == year:
            rows.append(d.model_copy(update={"year": None}))
        elif d.year is None and (d.job_class, d.region) not in direct:
            factor = (1.0 + growth_rate(sc, d.job_class, d.region)) ** (year - first)
            rows.append(d.model_copy(update={"pflops": d.pflops * factor}))
    return tuple(rows)


def can_be_in_service(sc: Scenario, hw_name: str, year: int, periods: list[PeriodInfo]) -> bool:
    """Whether a module of ``hw_name`` bought in some period up to ``year`` is still in service then."""
    h = next(h for h in sc.hardware if h.name == hw_name)
    return any(
        bought_in(h, p.year) and alive(h.life_years, p.year, year)
        for p in periods
        if p.year <= year
    )


def bought_in(h: Hardware, year: int) -> bool:
    """Whether hardware ``h`` can be bought in ``year`` (its availability window)."""
    return (h.available_from is None or h.available_from <= year) and (
        h.available_to is None or year <= h.available_to
    )


def alive(life_years: float, bought: int, year: int) -> bool:
    """A module bought in ``bought`` is in service in ``year``: ``bought ≤ year < bought + life``."""
    return bought <= year < bought + life_years - 1e-9


def period_scenario(sc: Scenario, p: PeriodInfo, periods: list[PeriodInfo]) -> Scenario:
    """The one-period scenario of period ``p``.

    Its year is ``p.year``; its demand is the period's; its existing modules are the brownfield
    modules still in service (``retire_year`` after ``p.year``); sites with brownfield modules in the
    first period stay existing (no open_cost) after those modules retire; a hardware type is
    usable in the period when a module bought in some period up to ``p`` can still be in service
    (what may actually be *bought* in ``p`` is decided by the build variables).
    """
    first = periods[0].year
    existing = tuple(
        e for e in sc.existing_modules if e.retire_year is None or p.year < e.retire_year
    )
    had = {
        e.site
        for e in sc.existing_modules
        if e.modules > 0 and (e.retire_year is None or first < e.retire_year)
    }
    sites = tuple(
        s.model_copy(update={"existing": s.existing if s.existing is not None else (s.name in had)})
        for s in sc.sites
    )
    hardware = tuple(
        h.model_copy(
            update={"available_from": None, "available_to": None}
            if can_be_in_service(sc, h.name, p.year, periods)
            else {"available_from": _NEVER, "available_to": None}
        )
        for h in sc.hardware
    )
    out = sc.model_copy(
        update={
            "year": p.year,
            "demand": period_demand(sc, p.year, first),
            "existing_modules": existing,
            "sites": sites,
            "hardware": hardware,
            "periods": (),
            "demand_growth": (),
            "name": f"{sc.name} {p.year}",
        }
    )
    out._places.update(sc._places)
    out._inputs.extend(sc._inputs)
    return out


@dataclass
class MultiPeriodData:
    """The planning data of every period and the sets that link them."""

    scenario: Scenario
    periods: list[PeriodInfo]
    data: dict[int, PlanningData]
    #: (s, h, year) where modules of h can be bought at s in that period
    BUILD: list[tuple[str, str, int]] = field(default_factory=list)
    #: life_years per hardware type
    life: dict[str, float] = field(default_factory=dict)
    #: brownfield modules in service per (s, h, year)
    existing: dict[tuple[str, str, int], int] = field(default_factory=dict)
    #: most modules a purchase (s, h, year) can usefully hold: the largest need of a period it serves
    purchase_bound: dict[tuple[str, str, int], int] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return [p.year for p in self.periods]

    def builds_alive(self, s: str, h: str, year: int) -> list[tuple[str, str, int]]:
        """Build decisions whose modules are in service at ``s`` in ``year``."""
        return [
            (s, h, y)
            for y in self.years
            if y <= year and (s, h, y) in self._build_set and alive(self.life[h], y, year)
        ]

    def __post_init__(self) -> None:
        self._build_set = set(self.BUILD)


def prepare_periods(
    sc: Scenario, *, isolated: bool = False, upto: int | None = None
) -> MultiPeriodData:
    """Derive the planning data of every period of ``sc`` (up to year ``upto`` when given).

    Module bounds are made valid across periods (a module bought early may be needed only later,
    when ``h`` can no longer be bought): ``M[s,h,p] = existing[s,h,p] + Σ_q (M¹[s,h,q] −
    existing[s,h,q])`` capped by the power envelope and ``max_modules``, where ``M¹`` is the
    one-period demand bound; each purchase is bounded by ``B[s,h,p]`` (``purchase_bound``).
    """
    periods = period_list(sc)
    if upto is not None:
        periods = [p for p in periods if p.year <= upto]
    data = {p.year: prepare(period_scenario(sc, p, periods), isolated=isolated) for p in periods}
    hw_by = {h.name: h for h in sc.hardware}
    build = []
    for p in periods:
        d = data[p.year]
        for s, h in d.SITE_HW:
            if bought_in(hw_by[h], p.year) and s not in d.pue_closed:
                build.append((s, h, p.year))
    # M[s,h,p]: every purchase in service in p is needed in some period q, where at most
    # bound[q] − existing[q] purchases are needed (the one-period demand bound), so
    # M[s,h,p] = existing[p] + Σ_q (bound[q] − existing[q]), capped by the power envelope and max_modules.
    one_bound = {(s, h, y): d.module_bound[s, h] for y, d in data.items() for s, h in d.SITE_HW}
    extra: dict[tuple[str, str], int] = {}
    for d in data.values():
        for (s, h), v in d.module_bound.items():
            if d.buyable[h]:
                extra[s, h] = extra.get((s, h), 0) + max(0, v - d.existing.get((s, h), 0))
    site_by = {s.name: s for s in sc.sites}
    for d in data.values():
        for s, h in d.SITE_HW:
            if d.buyable[h] and s not in d.pue_closed:
                cap = (
                    [math.floor(1000 * site_by[s].max_it_mw / hw_by[h].kw + 1e-9)]
                    if hw_by[h].kw > 0
                    else []
                )
                most = site_by[s].max_modules
                cap += [most] if most is not None else []
                d.module_bound[s, h] = min([d.existing.get((s, h), 0) + extra[s, h], *cap])
    existing = {(s, h, y): d.existing.get((s, h), 0) for y, d in data.items() for s, h in d.SITE_HW}
    log.info(
        "prepared %d periods of %s: %s",
        len(periods),
        sc.name,
        ", ".join(str(p.year) for p in periods),
    )
    life = {h.name: h.life_years for h in sc.hardware}
    # a purchase in p serves the periods q where it is alive; it is never needed beyond the most
    # that one of them needs: B[s,h,p] = max_q (M¹[s,h,q] − existing[s,h,q])
    purchase_bound = {
        (s, h, y): max(one_bound[s, h, q] - existing[s, h, q] for q in data if alive(life[h], y, q))
        for (s, h, y) in build
    }
    return MultiPeriodData(sc, periods, data, build, life, existing, purchase_bound)
