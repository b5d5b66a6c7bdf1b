"""The scenario schema: every entity and field of ``docs/model.md`` section 3, with its unit.

Each table row is a pydantic model. Field metadata (``unit``, ``description``) is the single source
of truth for documentation, the JSON schema (``planner schema``) and report headers.
Rows accept an optional free-text ``source`` (where the numbers come from) and ``note``.
Unknown fields are rejected so that a typo is reported, with the closest known field suggested.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PrivateAttr,
    field_validator,
    model_validator,
)

from ..safeio import check_number


def F(default: Any = ..., *, unit: str = "", desc: str = "", **kw: Any) -> Any:
    """A field with a unit and a description recorded in its JSON-schema extra."""
    extra: dict[str, JsonValue] = {"unit": unit} if unit else {}
    return Field(default, description=desc, json_schema_extra=extra or None, **kw)


class Row(BaseModel):
    """Base of every table row: frozen, no unknown fields, optional provenance, finite numbers only.

    Every number (also inside lists and mappings) must be finite and at most
    :data:`planner.safeio.MAX_NUMBER` in size: ``inf``, ``nan`` and ``1e400`` are refused.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False
    )
    source: str | None = F(None, desc="where the numbers of this row come from (free text)")
    note: str | None = F(None, desc="free-text remark")

    @field_validator("*")
    @classmethod
    def _finite(cls, v: Any) -> Any:
        return check_number(v)


def _split_list(v: Any) -> Any:
    """Accept ``"a;b"`` or ``"a, b"`` (CSV cells) as a list of names."""
    if isinstance(v, str):
        parts = [p.strip() for p in v.replace(",", ";").split(";")]
        return [p for p in parts if p]
    return v


def parse_pairs(text: str) -> dict[str, str]:
    """``"h1=0.8; h2=1"`` (or ``h1:0.8, h2:1``) as ``{"h1": "0.8", "h2": "1"}``: how cells write mappings."""
    out: dict[str, str] = {}
    for part in text.replace(",", ";").split(";"):
        if part.strip():
            key, sep, val = part.partition("=")
            if not sep:
                key, sep, val = part.partition(":")
            out[key.strip()] = val.strip()
    return out


def _split_mapping(v: Any) -> Any:
    """Accept ``"h1=0.8; h2=1"`` (CSV cells) as a mapping name -> number."""
    return parse_pairs(v) if isinstance(v, str) else v


class TimeSlice(Row):
    name: str = F(desc="slice name, e.g. 'd1h00'")
    weight: float = F(
        unit="h/yr", desc="hours per year this slice stands for; weights sum to 8760", gt=0
    )
    day: str | None = F(
        None, desc="representative day label; shiftable work is balanced within a day"
    )


class Region(Row):
    name: str = F(desc="region name (a demand origin and network node)")
    lat: float | None = F(None, unit="deg", desc="latitude (WGS-84)", ge=-90, le=90)
    lon: float | None = F(None, unit="deg", desc="longitude (WGS-84)", ge=-180, le=180)
    label_zh: str | None = F(None, desc="Chinese label for reports")
    tags: list[str] = F(
        default_factory=list,
        desc="free tags, e.g. east; hub:京津冀 (the report's hub balance groups regions by their hub: tag)",
    )
    province: str | None = F(
        None,
        desc="province (省级行政区) the region lies in, e.g. 广东省: the report's province balance and map",
    )

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, v: Any) -> Any:
        return _split_list(v) if v is not None else []


class Site(Row):
    name: str = F(desc="site name")
    region: str = F(desc="region the site sits in (its network node)")
    pue: float = F(unit="-", desc="power usage effectiveness, facility energy / IT energy", ge=1.0)
    price_mwh: float | str = F(
        unit="CNY/MWh",
        desc="electricity price: a number, or the name of a profile of per-slice prices",
    )
    grid_tco2_mwh: float | str = F(
        unit="tCO2/MWh", desc="grid emission factor: a number, or the name of a per-slice profile"
    )
    green_share_max: float | str = F(
        0.0,
        unit="-",
        desc="largest share of the site's energy that can be bought as green power (0–1): a number, or the name of a profile of per-slice shares (green-power availability)",
    )
    green_premium_mwh: float = F(
        0.0, unit="CNY/MWh", desc="price of green power above price_mwh", ge=0
    )
    open_cost: float = F(
        0.0,
        unit="CNY",
        desc="one-off cost of opening the site (land, shell, grid connection)",
        ge=0,
    )
    open_life_years: float = F(
        15.0, unit="yr", desc="life over which open_cost is annualised", gt=0
    )
    max_it_mw: float = F(unit="MW", desc="IT power envelope", gt=0)
    max_modules: int | None = F(
        None, unit="modules", desc="largest number of modules (all hardware types)", ge=0
    )
    existing: bool | None = F(
        None, desc="already open (no open_cost); default: true when it has existing modules"
    )
    tags: list[str] = F(default_factory=list, desc="free tags, e.g. hub; west; cluster:庆阳")

    @field_validator("price_mwh", "grid_tco2_mwh", "green_share_max", mode="before")
    @classmethod
    def _number_or_profile(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                return v.strip()
        return check_number(v)  # inf, nan, 1e400: said once, not as "nor a profile name"

    @field_validator("price_mwh", "grid_tco2_mwh")
    @classmethod
    def _non_negative(cls, v: float | str) -> float | str:
        if isinstance(v, float) and v < 0:
            raise ValueError(f"must be ≥ 0 (got {v:g})")
        return v

    @field_validator("green_share_max")
    @classmethod
    def _share(cls, v: float | str) -> float | str:
        if isinstance(v, float) and not 0 <= v <= 1:
            raise ValueError(f"must be in [0, 1] (got {v:g})")
        return v

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, v: Any) -> Any:
        return _split_list(v) if v is not None else []


class Hardware(Row):
    name: str = F(desc="hardware type (an installable module: pod, rack group, server block)")
    pflops: float = F(unit="PFLOPS", desc="FP16 dense compute per module", gt=0)
    kw: float = F(unit="kW", desc="IT power per module at full load", ge=0)
    idle_frac: float = F(
        0.0, unit="-", desc="share of kw drawn when installed but idle", ge=0, le=1
    )
    capex: float = F(unit="CNY", desc="capital cost per module", ge=0)
    life_years: float = F(5.0, unit="yr", desc="life over which capex is annualised", gt=0)
    fixed_om_frac: float = F(0.0, unit="1/yr", desc="fixed O&M per year as a share of capex", ge=0)
    domestic: bool = F(False, desc="domestically produced chips")
    available_from: int | None = F(None, unit="year", desc="first year it can be bought")
    available_to: int | None = F(None, unit="year", desc="last year it can be bought")
    cards: int | None = F(
        None,
        unit="cards",
        desc="accelerator cards (chips) per module, so PFLOPS per card = pflops / cards; needed by a job class that states its job size in cards (job_cards)",
        gt=0,
    )


class ExistingModules(Row):
    site: str = F(desc="site name")
    hardware: str = F(desc="hardware type")
    modules: int = F(
        unit="modules", desc="modules already installed (brownfield, already paid for)", ge=0
    )
    retire_year: int | None = F(
        None,
        unit="year",
        desc="first year these modules are out of service (several periods); empty = in service throughout",
    )


class JobClass(Row):
    name: str = F(desc="job class, e.g. training, online_inference")
    max_latency_ms: float | None = F(
        None, unit="ms", desc="largest one-way latency origin→site; empty = any site", ge=0
    )
    gbps_per_pflops: float = F(
        0.0,
        unit="Gbps/PFLOPS",
        desc="bandwidth one PFLOPS of remote work needs between origin and site",
        ge=0,
    )
    hardware: list[str] | None = F(None, desc="hardware types it may run on; empty = all")
    efficiency: dict[str, float] = F(
        default_factory=dict, desc="effective share of pflops per hardware, e.g. h1=0.8; default 1"
    )
    shiftable: bool = F(
        False, desc="demand met per representative day, not per slice (deferrable work)"
    )
    unserved_cost: float = F(
        unit="CNY/PFLOPS·h", desc="price of leaving one PFLOPS·h of this work undone", ge=0
    )
    domestic_min_share: float | None = F(
        None,
        unit="-",
        desc="least share of this class's work on domestic hardware (policy issue)",
        ge=0,
        le=1,
    )
    single_site: bool = F(
        False, desc="a region's demand of this class runs whole at exactly one site"
    )
    job_pflops: float | None = F(
        None,
        unit="PFLOPS",
        desc="size of one job of this class (effective PFLOPS): work runs in whole jobs, each at one site (integer job counts per site); work that does not fill a whole job, or fits at no site, is unserved",
        gt=0,
    )
    job_cards: int | None = F(
        None,
        unit="cards",
        desc="size of one job in accelerator cards, instead of job_pflops: on hardware h a job is job_cards × pflops[h] / cards[h] × efficiency PFLOPS and runs on one type; each type the class may use needs cards",
        gt=0,
    )
    job_moves: bool = F(
        True,
        desc="with job_pflops or job_cards: a job may move to another site between slices; false: each site runs the same number of the class's jobs in every slice of a representative day",
    )
    job_one_hardware: bool = F(
        False,
        desc="with job_pflops: each job runs on one hardware type at its site (within that type's installed capacity); always so with job_cards",
    )

    @field_validator("hardware", mode="before")
    @classmethod
    def _hw(cls, v: Any) -> Any:
        return _split_list(v) if v not in ("", None) else None

    @field_validator("efficiency", mode="before")
    @classmethod
    def _eff(cls, v: Any) -> Any:
        return _split_mapping(v) if v not in ("", None) else {}

    @field_validator("efficiency")
    @classmethod
    def _eff_range(cls, v: dict[str, float]) -> dict[str, float]:
        for k, e in v.items():
            if not (0 < e <= 1):
                raise ValueError(f"efficiency of '{k}' must be in (0, 1] (got {e})")
        return v


class Demand(Row):
    job_class: str = F(alias="class", desc="job class")
    region: str = F(desc="region where the work originates")
    pflops: float = F(
        unit="PFLOPS", desc="average compute demanded (times the profile per slice)", ge=0
    )
    profile: str | None = F(
        None, desc="name of a profile of per-slice multipliers; empty = flat 1.0"
    )
    year: int | None = F(
        None,
        unit="year",
        desc="the period this level is for (several periods); empty = the base level of the first period, grown by demand_growth",
    )

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        str_strip_whitespace=True,
        allow_inf_nan=False,
    )


class Period(Row):
    year: int = F(unit="year", desc="first calendar year of the period (investments are made then)")
    years: float | None = F(
        None,
        unit="yr",
        desc="calendar years the period stands for; default: up to the next period (the last: as the one before, or 1)",
        gt=0,
    )


class DemandGrowth(Row):
    job_class: str | None = F(None, alias="class", desc="job class; empty = every class")
    region: str | None = F(None, desc="origin region; empty = every region")
    rate: float = F(
        unit="1/yr",
        desc="growth of the base demand per year (0.4 = +40%/yr); the most specific row wins",
        gt=-1,
    )

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        str_strip_whitespace=True,
        allow_inf_nan=False,
    )


class Future(Row):
    name: str = F(desc="future name, e.g. slow, base, fast")
    probability: float = F(
        unit="-", desc="probability of this future; the futures' probabilities sum to 1", gt=0, le=1
    )
    scale: float = F(
        1.0,
        unit="-",
        desc="multiplies every demand row in this future (before future_demand factors)",
        ge=0,
    )
    label_zh: str | None = F(None, desc="Chinese label for reports")


class FutureDemand(Row):
    future: str = F(desc="the future this row changes")
    job_class: str | None = F(
        None, alias="class", desc="job class; empty = every class (factor and rate rows)"
    )
    region: str | None = F(None, desc="origin region; empty = every region (factor and rate rows)")
    factor: float | None = F(
        None,
        unit="-",
        desc="multiplies the matching demand rows in this future (a regional shock: one region, factor 1.5); the most specific row wins",
        ge=0,
    )
    rate: float | None = F(
        None,
        unit="1/yr",
        desc="growth per year of the matching base demand in this future (several periods); the most specific row wins over demand_growth",
        gt=-1,
    )
    pflops: float | None = F(
        None,
        unit="PFLOPS",
        desc="demand of class and region in this future, replacing the scenario's row (or adding one: a new class of work); taken as given, not scaled",
        ge=0,
    )
    profile: str | None = F(None, desc="profile of a pflops row; empty = flat 1.0")
    year: int | None = F(
        None, unit="year", desc="period of a pflops row (several periods); empty = the base level"
    )

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        str_strip_whitespace=True,
        allow_inf_nan=False,
    )

    @model_validator(mode="after")
    def _kind(self) -> FutureDemand:
        if self.pflops is not None:
            if self.factor is not None or self.rate is not None:
                raise ValueError(
                    "a row gives pflops (demand of its own) or factor/rate (changes to the scenario's demand), not both"
                )
            if self.job_class is None or self.region is None:
                raise ValueError("a pflops row needs class and region")
        elif self.factor is None and self.rate is None:
            raise ValueError("give factor, rate or pflops")
        elif self.profile is not None or self.year is not None:
            raise ValueError("profile and year belong to pflops rows")
        return self


class Announced(Row):
    site: str = F(desc="site where the capacity is announced")
    hardware: str = F(desc="hardware type the announced capacity is counted in")
    pflops: float | None = F(
        None,
        unit="PFLOPS",
        desc="announced PFLOPS (rounded up to whole modules of the hardware type); or give modules",
        ge=0,
    )
    modules: int | None = F(None, unit="modules", desc="announced modules; or give pflops", ge=0)
    year: int | None = F(
        None,
        unit="year",
        desc="year the capacity is announced to be in service; empty = by the planning year (later rows are not in the baseline)",
    )

    @model_validator(mode="after")
    def _amount(self) -> Announced:
        if (self.pflops is None) == (self.modules is None):
            raise ValueError("give pflops or modules (one of them)")
        return self


class BaselineOptions(Row):
    stranded_below: float = F(
        0.3,
        unit="-",
        desc="a module whose expected utilisation (work packed onto the fewest modules in every slice) is below this is stranded",
        ge=0,
        le=1,
    )
    top_up: bool = F(
        False,
        desc="false: the baseline is exactly what was announced (no other site or module); true: the announced modules are a floor and the plan may add sites and modules where work is left over",
    )


class RiskOptions(Row):
    measure: Literal["expected", "cvar", "regret"] = F(
        "expected",
        desc="with futures: minimise the expected cost, CVaR of the cost at `level`, or the largest regret (cost above each future's own optimum)",
    )
    level: float = F(
        0.9,
        unit="-",
        desc="CVaR level α: CVaR is the mean cost of the worst 1 − α of probability",
        ge=0,
        lt=1,
    )
    weight: float = F(
        1.0,
        unit="-",
        desc="objective = (1 − weight) × expected cost + weight × risk measure (measure cvar or regret)",
        ge=0,
        le=1,
    )
    value_of_information: bool = F(
        True,
        desc="also solve the plan for the expected demand and evaluate it on every future: the value of the stochastic solution (VSS)",
    )
    perfect_information: bool = F(
        True,
        desc="also plan each future alone: the expected value of perfect information (EVPI) and each future's regret (measure regret plans them anyway)",
    )


class HourlyOptions(Row):
    file: str = F(
        desc="CSV of hourly profiles: 8760 rows (365 days × 24 h), one column per profile (an optional 'hour' column is ignored)"
    )
    days: int = F(
        12,
        unit="days",
        desc="representative days to keep (the peak-demand day is always one of them)",
        ge=1,
        le=365,
    )
    seed: int = F(
        0, desc="random seed of the reduction: the same input and seed always give the same days"
    )
    method: Literal["hierarchical", "k_means", "k_medoids", "averaging"] = F(
        "hierarchical", desc="tsam clustering method"
    )
    peak_profiles: list[str] = F(
        default_factory=list, desc="profiles whose peak day must be kept; empty = the total demand"
    )

    @field_validator("peak_profiles", mode="before")
    @classmethod
    def _peaks(cls, v: Any) -> Any:
        return _split_list(v) if v is not None else []


class Link(Row):
    from_region: str = F(alias="from", desc="one end (region)")
    to_region: str = F(alias="to", desc="other end (region)")
    distance_km: float | None = F(
        None, unit="km", desc="route length; default great-circle × route_factor", ge=0
    )
    latency_ms: float | None = F(
        None,
        unit="ms",
        desc="one-way latency; default distance_km × latency_ms_per_km + latency_base_ms",
        ge=0,
    )
    unit_gbps: float = F(unit="Gbps", desc="capacity of one unit per direction", gt=0)
    unit_cost: float | None = F(
        None, unit="CNY/yr", desc="annualised cost per new unit (or give unit_cost_per_km)", ge=0
    )
    unit_cost_per_km: float | None = F(
        None, unit="CNY/(km·yr)", desc="annualised cost per new unit per km", ge=0
    )
    fixed_cost: float = F(0.0, unit="CNY/yr", desc="cost per year if any new unit is built", ge=0)
    max_units: int = F(unit="units", desc="most units in service", ge=0)
    existing_units: int = F(0, unit="units", desc="units already in service (paid for)", ge=0)
    usage_cost_tb: float = F(0.0, unit="CNY/TB", desc="cost per TB carried", ge=0)
    kwh_per_tb: float = F(0.0, unit="kWh/TB", desc="network energy per TB carried", ge=0)
    one_way: bool = F(False, desc="capacity only from → to (default full duplex)")

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        str_strip_whitespace=True,
        allow_inf_nan=False,
    )

    @model_validator(mode="after")
    def _units(self) -> Link:
        if self.existing_units > self.max_units:
            raise ValueError(
                f"existing_units ({self.existing_units}) exceeds max_units ({self.max_units})"
            )
        return self


class ServingCost(Row):
    region: str = F(desc="origin region")
    site: str = F(desc="serving site")
    cost: float = F(unit="CNY/PFLOPS·h", desc="cost of serving the region's work at the site", ge=0)


class LatencyEntry(Row):
    region: str = F(desc="origin region")
    site: str = F(desc="serving site")
    ms: float = F(unit="ms", desc="one-way latency; wins over the latency derived from links", ge=0)


class NetworkOptions(Row):
    route_factor: float = F(1.3, unit="-", desc="route length / great-circle distance", ge=1.0)
    latency_ms_per_km: float = F(0.005, unit="ms/km", desc="latency per km of route", ge=0)
    latency_base_ms: float = F(0.5, unit="ms", desc="latency added per link (equipment)", ge=0)
    energy_price_mwh: float = F(0.0, unit="CNY/MWh", desc="price of network energy", ge=0)
    grid_tco2_mwh: float = F(0.0, unit="tCO2/MWh", desc="emission factor of network energy", ge=0)
    routing: Literal["path", "flow"] = F(
        "path",
        desc="remote traffic of classes with a latency limit: path = over each (region, site) pair's least-latency path (lean; the path its latency is measured on), flow = routed flows per destination over any links (exact multi-commodity routing, larger)",
    )
    transport: bool = F(
        True,
        desc="classes without a latency limit as a transport problem (work flows between regions; exact and lean). Off: per (region, site) pairs like the classes with a limit. Pairs are used anyway where the scenario needs origins: serving costs, remote/local shares, single-site classes, the isolated baseline",
    )
    signed_shipments: bool = F(
        True,
        desc="when a single class without a latency limit ships work between regions, one signed shipment column per two-way link and slice (as PyPSA's bidirectional links) instead of one per direction; exact, used only on links that carry nothing else and cost nothing per TB carried. Off: one column per direction",
    )


#: Policy targets that may carry a penalised slack, and the unit of one unit of slack.
SLACK_UNITS = {
    "carbon_cap": "tCO2/yr",
    "min_green_share": "MWh/yr",
    "budget": "CNY",
    "domestic_min_share": "PFLOPS",
    "class_domestic_min_share": "PFLOPS·h/yr",
    "min_utilisation": "PFLOPS·h/yr",
    "max_remote_share": "PFLOPS·h/yr",
    "min_local_share": "PFLOPS·h/yr",
    "min_hub_share": "PFLOPS",
    "resilience": "PFLOPS·h/yr",
}


class Policy(Row):
    carbon_price: float = F(0.0, unit="CNY/tCO2", desc="price on emitted carbon", ge=0)
    intra_region_latency_ms: float = F(
        1.0, unit="ms", desc="latency between a region and a site in the same region", ge=0
    )
    carbon_cap: float | None = F(
        None, unit="tCO2/yr", desc="most carbon emitted per year (facility and network)", ge=0
    )
    min_green_share: float | None = F(
        None, unit="-", desc="least share of all energy bought as green power", ge=0, le=1
    )
    min_green_share_by_tag: dict[str, float] = F(
        default_factory=dict,
        desc="least green share of the energy of the sites with each tag, e.g. hub=0.8",
    )
    pue_max: float | None = F(
        None,
        unit="-",
        desc="largest PUE of a site that may open (existing sites are reported, not closed)",
        ge=1,
    )
    pue_max_by_tag: dict[str, float] = F(
        default_factory=dict, desc="largest PUE per site tag, e.g. east=1.25; west=1.2"
    )
    budget: float | None = F(
        None,
        unit="CNY",
        desc="most new capital spending: capex of new modules + open_cost of new sites",
        ge=0,
    )
    domestic_min_share: float | None = F(
        None, unit="-", desc="least share of installed PFLOPS on domestic hardware", ge=0, le=1
    )
    min_utilisation: float | None = F(
        None,
        unit="-",
        desc="least average utilisation of each site's installed PFLOPS over the year (policy figure 0.65)",
        ge=0,
        le=1,
    )
    min_utilisation_by_tag: dict[str, float] = F(
        default_factory=dict,
        desc="least average utilisation of the installed PFLOPS of the sites with each tag",
    )
    max_remote_share: float | None = F(
        None,
        unit="-",
        desc="largest share of a region's demand served outside it (regions with a site of their own)",
        ge=0,
        le=1,
    )
    min_local_share: float | None = F(
        None,
        unit="-",
        desc="least share of a region's demand served inside it (local-first; regions with a site of their own)",
        ge=0,
        le=1,
    )
    min_hub_share: float | None = F(
        None, unit="-", desc="least share of new PFLOPS built at sites tagged hub_tag", ge=0, le=1
    )
    hub_tag: str = F("hub", desc="the site tag that marks hub sites")
    resilience: Literal["none", "sites", "links", "sites+links"] = F(
        "none",
        desc="N-1: all latency-sensitive demand still served when any one site (and/or link) is out of service",
    )
    policy_slack_cost: dict[str, float] = F(
        default_factory=dict,
        desc="price of missing a target by one unit (see docs: unit per lever); a target without one is hard",
    )
    allow_unserved: bool = F(
        True,
        desc="demand may be left unserved at its unserved_cost; false makes serving all demand a hard target (a class in whole jobs: every whole job served, only the remainder no whole job can do left)",
    )

    @field_validator(
        "min_green_share_by_tag",
        "pue_max_by_tag",
        "min_utilisation_by_tag",
        "policy_slack_cost",
        mode="before",
    )
    @classmethod
    def _mapping(cls, v: Any) -> Any:
        return _split_mapping(v) if v not in ("", None) else {}

    @field_validator("min_green_share_by_tag", "min_utilisation_by_tag")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if not 0 <= x <= 1:
                raise ValueError(f"share for tag '{k}' must be in [0, 1] (got {x})")
        return v

    @field_validator("pue_max_by_tag")
    @classmethod
    def _pues(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if x < 1:
                raise ValueError(f"PUE cap for tag '{k}' must be ≥ 1 (got {x})")
        return v

    @field_validator("policy_slack_cost")
    @classmethod
    def _slack(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if k not in SLACK_UNITS:
                raise ValueError(
                    f"unknown target '{k}' in policy_slack_cost; known: {', '.join(SLACK_UNITS)}"
                )
            if x < 0:
                raise ValueError(f"slack price of '{k}' must be ≥ 0 (got {x})")
        return v


#: What a policy target measures (docs/model.md §12, the policy scorecard): indicator → (unit, meaning).
TARGET_INDICATORS: dict[str, tuple[str, str]] = {
    "green_share": (
        "-",
        "green MWh / all MWh of the open sites with tag `scope` (all sites if blank); `new_only` counts only sites that are not existing",
    ),
    "hub_share_new": (
        "-",
        "share of the new PFLOPS built at sites with tag `scope` (default policy.hub_tag)",
    ),
    "utilisation": (
        "-",
        "served PFLOPS·h / (8760 h × installed PFLOPS) over the sites with tag `scope` that have capacity",
    ),
    "pue_max": ("-", "the largest PUE among the open sites with tag `scope`"),
    "served_within_ms": (
        "-",
        "share of the served work of class `job_class` (all classes if blank) run at a site within `ms` of its origin",
    ),
    "coverage_within_ms": (
        "-",
        "share of demand whose origin region has an open site with tag `scope` within `ms`",
    ),
    "domestic_share": (
        "-",
        "share of the new PFLOPS (installed PFLOPS when `new_only` is false) on domestic hardware",
    ),
}


class Target(Row):
    """A national (or local) policy target, evaluated on every plan whether or not it is imposed."""

    name: str = F(desc="short name of the target, e.g. hub_green_share")
    indicator: Literal[
        "green_share",
        "hub_share_new",
        "utilisation",
        "pue_max",
        "served_within_ms",
        "coverage_within_ms",
        "domestic_share",
    ] = F(desc="what the target measures (see the indicators in the reference)")
    sense: Literal[">=", "<="] = F(">=", desc="achieved ≥ value or achieved ≤ value")
    value: float | None = F(
        None,
        unit="-",
        desc="the target value (a share 0–1, or a PUE); empty = no public figure (achieved value reported only)",
    )
    scope: str = F(
        "",
        desc="site tag the target applies to (e.g. hub, cluster, west), or tags joined by + (sites with all of them, e.g. cluster+east); blank = all sites",
    )
    job_class: str = F("", desc="served_within_ms: the job class (blank = all classes)")
    ms: float | None = F(
        None, unit="ms", desc="served_within_ms and coverage_within_ms: the latency circle", ge=0
    )
    new_only: bool = F(
        False, desc="green_share: only new (not existing) sites; domestic_share: new PFLOPS only"
    )
    label_zh: str = F("", desc="the target's name in Chinese (report in zh)")
    label: str = F("", desc="the target's name in words (report in en; default: name)")


class ReportOptions(Row):
    currency_unit: Literal["CNY", "MCNY", "亿元"] = F(
        "CNY",
        desc="money unit of the report's money columns and headlines: CNY, MCNY (million CNY) or 亿元 (100 million CNY); `--currency` overrides",
    )
    dust: float = F(
        1e-6,
        unit="-",
        desc="solver dust: placements and unserved work below this share of their demand, and cost terms below this share of the total cost, are left out of the plan tables and costs (stated on the Summary)",
        ge=0,
        lt=0.01,
    )


class SolverOptions(Row):
    time_limit: float = F(600.0, unit="s", desc="HiGHS time limit", gt=0)
    mip_gap: float = F(0.01, unit="-", desc="relative MIP gap at which to stop", ge=0)
    threads: int = F(1, desc="HiGHS threads (HiGHS searches mostly on one)", ge=1)
    relax: bool = F(False, desc="solve the LP relaxation (integrality dropped)")
    presolve: Literal["on", "off", "choose"] = F("choose", desc="HiGHS presolve")
    mip_start: bool = F(True, desc="hand HiGHS a feasible plan found from the LP relaxation")
    lp_solver: Literal["auto", "simplex", "ipm"] = F(
        "auto",
        desc="LP method for relax and the MIP start: auto = interior point above 5,000 columns (measured: benchmarks/lp_methods.md)",
    )
    valid_inequalities: bool = F(
        True,
        desc="add the valid inequalities of docs/model.md §10 (open capacity covers the peak; strong linking rows for links with a fixed cost): same optimum, tighter LP relaxation",
    )
    max_plan_gap: float = F(
        0.10,
        unit="-",
        desc="a plan further than this from its bound (e.g. stopped at the time limit) is reported as failed, not as a plan",
        gt=0,
    )
    method: Literal["monolithic", "decomposed", "auto"] = F(
        "monolithic",
        desc="monolithic: one MILP; decomposed: Benders over the representative days on Dask (docs/model.md §11); auto: decomposed above 720 slices, and the log says which",
    )
    subproblem_days: int = F(1, desc="decomposed: representative days per subproblem", ge=1)


ObjectiveName = Literal["cost", "energy", "carbon"]


class Scenario(BaseModel):
    """A validated scenario (one period). Tables are tuples of frozen rows."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = F(desc="scenario name")
    description: str = F("", desc="what this scenario is")
    year: int = F(
        2025,
        unit="year",
        desc="the planning year (hardware availability is checked against it); with periods, the first period's year",
    )
    currency: Literal["CNY"] = F("CNY", desc="currency of every money field")
    discount_rate: float = F(
        0.0,
        unit="1/yr",
        desc="discount rate for annuities and for discounting later periods to the first year",
        ge=0,
        lt=1,
    )
    objective: ObjectiveName | dict[ObjectiveName, float] = F(
        "cost", desc="cost, energy or carbon, or weights such as {cost: 1, carbon: 200}"
    )
    solver: SolverOptions = F(default_factory=SolverOptions, desc="solver settings")
    network: NetworkOptions = F(default_factory=NetworkOptions, desc="network defaults")
    policy: Policy = F(default_factory=Policy, desc="policy levers")
    periods: tuple[Period, ...] = F(
        (), desc="planning periods (several periods); empty = one period, the scenario's year"
    )
    planning: Literal["perfect_foresight", "myopic"] = F(
        "perfect_foresight",
        desc="several periods: plan all at once (perfect foresight) or period by period, carrying forward what was built (myopic)",
    )
    demand_growth: tuple[DemandGrowth, ...] = F(
        (), desc="growth per year of the base demand over the periods"
    )
    futures: tuple[Future, ...] = F(
        (),
        desc="demand futures: build once, operate in each (investments shared, operation per future)",
    )
    future_demand: tuple[FutureDemand, ...] = F(
        (), desc="how each future's demand differs: factors, growth rates, rows of its own"
    )
    risk: RiskOptions = F(
        default_factory=RiskOptions, desc="with futures: the risk measure of the objective"
    )
    announced: tuple[Announced, ...] = F(
        (),
        desc="capacity that cities and clusters have announced: fixed as a baseline and planned against the coordinated network",
    )
    baseline: BaselineOptions = F(
        default_factory=BaselineOptions, desc="how the announced baseline is compared"
    )
    hourly: HourlyOptions | None = F(
        None, desc="hourly profiles reduced to representative days (replaces time_slices)"
    )
    time_slices: tuple[TimeSlice, ...] = F((), desc="representative hours (or give hourly)")
    regions: tuple[Region, ...] = F(desc="regions")
    sites: tuple[Site, ...] = F(desc="candidate and existing sites")
    hardware: tuple[Hardware, ...] = F(desc="hardware types")
    existing_modules: tuple[ExistingModules, ...] = F((), desc="brownfield modules")
    job_classes: tuple[JobClass, ...] = F(desc="job classes")
    demand: tuple[Demand, ...] = F(desc="demand levels")
    profiles: dict[str, dict[str, float]] = F(
        default_factory=dict, desc="named per-slice profiles: profile → slice → value"
    )
    links: tuple[Link, ...] = F((), desc="candidate and existing links")
    serving_costs: tuple[ServingCost, ...] = F((), desc="serving cost per region and site")
    latency: tuple[LatencyEntry, ...] = F((), desc="explicit latency per region and site")
    targets: tuple[Target, ...] = F(
        (), desc="policy targets evaluated on every plan (the report's policy scorecard)"
    )
    report: ReportOptions = F(default_factory=ReportOptions, desc="report settings")
    source_path: str | None = F(None, desc="file the scenario was loaded from (set by the loader)")
    input_hash: str | None = F(
        None, desc="SHA-256 of the scenario file and every table it reads (set by the loader)"
    )
    _places: dict[tuple[str, int], str] = PrivateAttr(default_factory=dict)
    #: tables describing how hourly profiles were reduced (set by the loader; written to the report)
    _reduction: dict[str, Any] = PrivateAttr(default_factory=dict)
    #: every file the scenario was read from, resolved (set by the loader; an output may never be one)
    _inputs: list[str] = PrivateAttr(default_factory=list)

    def place(self, table: str, index: int) -> str:
        """Where row ``index`` of ``table`` came from, e.g. ``sites.csv › sites › row 7``."""
        return self._places.get((table, index), f"{table} › row {index + 1}")

    @field_validator("discount_rate", "objective", "profiles", "year")
    @classmethod
    def _finite(cls, v: Any) -> Any:
        return check_number(v)

    @field_validator("objective")
    @classmethod
    def _objective(cls, v: Any) -> Any:
        if isinstance(v, dict):
            if not v:
                raise ValueError("objective weights must not be empty")
            if any(w < 0 for w in v.values()):
                raise ValueError("objective weights must be ≥ 0")
            if all(w == 0 for w in v.values()):
                raise ValueError("at least one objective weight must be > 0")
        return v

    @property
    def objective_weights(self) -> dict[str, float]:
        """The objective as weights over ``cost``, ``energy`` and ``carbon``."""
        if isinstance(self.objective, str):
            return {self.objective: 1.0}
        return {k: float(v) for k, v in self.objective.items() if v}


#: Tables of a scenario and the row model of each (``profiles`` has its own shape).
TABLES: dict[str, type[Row]] = {
    "time_slices": TimeSlice,
    "regions": Region,
    "sites": Site,
    "hardware": Hardware,
    "existing_modules": ExistingModules,
    "job_classes": JobClass,
    "demand": Demand,
    "periods": Period,
    "demand_growth": DemandGrowth,
    "futures": Future,
    "future_demand": FutureDemand,
    "announced": Announced,
    "links": Link,
    "serving_costs": ServingCost,
    "latency": LatencyEntry,
    "targets": Target,
}
#: Option blocks of a scenario and their models.
BLOCKS: dict[str, type[Row]] = {
    "solver": SolverOptions,
    "network": NetworkOptions,
    "policy": Policy,
    "report": ReportOptions,
    "risk": RiskOptions,
    "baseline": BaselineOptions,
}
REQUIRED_TABLES = ("regions", "sites", "hardware", "job_classes", "demand")
#: The scenario's own top-level fields (besides its tables, blocks, profiles, variants and hourly).
TOP_LEVEL_FIELDS = (
    "name",
    "description",
    "year",
    "currency",
    "discount_rate",
    "objective",
    "planning",
)
