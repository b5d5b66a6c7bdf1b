"""OR-Library capacitated facility location instances as planner scenarios (docs/model.md §9).

The instances live in the shared benchmark folder beside the project root
(``<root>/../shared/benchmarks/orlib-cap``, see its README for the file formats and optima).

Mapping of a CFLP instance (sites i, customers j, capacity s_i, fixed cost f_i, demand d_j,
cost c_ij of serving *all* of j's demand from i) onto a scenario:

* one time slice of weight 8760 h, ``discount_rate 0``;
* customer j -> region ``c{j}`` with demand ``d_j`` PFLOPS of class ``serve``;
* site i -> site ``f{i}`` in its own region ``w{i}``: no energy cost (``pue 1``, price 0, no
  carbon), ``open_cost f_i`` over ``open_life_years 1`` (crf(0, 1) = 1, so the annual cost is
  f_i), ``max_modules s_i``;
* one hardware type of 1 PFLOPS per module, 0 kW and 0 capex: installed capacity is free but
  ``Σ_j x_ij ≤ modules_i ≤ min(s_i, Σ d) × open_i``, i.e. the CFLP capacity row;
* serving cost ``c_ij / d_j / 8760`` CNY per PFLOPS·h, so that x_ij PFLOPS for 8760 h cost
  ``c_ij × x_ij / d_j`` (the fraction of j served from i times c_ij);
* an explicit latency table (1 ms for every pair) makes every site eligible without links;
* ``policy.allow_unserved: false``: every customer is served in full, as the CFLP demands (so the
  open-capacity cut ``Σ s_i y_i ≥ Σ d_j`` of docs/model.md §10 applies); ``unserved_cost`` is
  also set so large that leaving work undone would never pay (see :func:`unserved_cost`), which
  keeps the optimum the same when a caller switches ``allow_unserved`` back on;
* for the single-source variant the class is ``single_site``: each customer picks one site.

With that, the planner objective is ``Σ f_i y_i + Σ c_ij x_ij / d_j`` over the CFLP
feasible set: the published optima must be reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from planner import Scenario

#: The shared benchmark folder (``shared/`` is the project root's sibling).
ORLIB_CAP = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "orlib-cap"
HOURS = 8760.0


@dataclass(frozen=True)
class CapInstance:
    """One CFLP instance: ``m`` sites, ``n`` customers; ``cost[i][j]`` serves all of j from i."""

    m: int
    n: int
    capacity: tuple[float, ...]
    fixed: tuple[float, ...]
    demand: tuple[float, ...]
    cost: tuple[tuple[float, ...], ...]

    def __post_init__(self) -> None:
        assert len(self.capacity) == len(self.fixed) == self.m
        assert len(self.demand) == self.n
        assert len(self.cost) == self.m and all(len(row) == self.n for row in self.cost)


@dataclass(frozen=True)
class Optimum:
    """One row of ``optima.txt``."""

    instance: str
    kind: str  # multi-source | single-source
    file: str
    optimum: float

    @property
    def path(self) -> Path:
        return ORLIB_CAP / self.file

    @property
    def single_source(self) -> bool:
        return self.kind == "single-source"


def _numbers(path: Path) -> list[float]:
    # numbers may end in '.', e.g. '7500.': float() reads that
    return [float(tok) for tok in Path(path).read_text().split()]


def parse_multi_source(path: str | Path) -> CapInstance:
    """Read an OR-Library ``capNN.txt`` file (whitespace separated; line breaks not significant).

    Layout: ``m n``, then m pairs ``s_i f_i``, then per customer j: ``d_j`` followed by
    ``c_1j … c_mj``.
    """
    v = _numbers(Path(path))
    m, n = int(v[0]), int(v[1])
    k = 2
    capacity, fixed = [], []
    for _ in range(m):
        capacity.append(v[k])
        fixed.append(v[k + 1])
        k += 2
    demand = []
    cols = []
    for _ in range(n):
        demand.append(v[k])
        cols.append(v[k + 1 : k + 1 + m])
        k += 1 + m
    if k != len(v):
        raise ValueError(f"{path}: expected {k} numbers for m={m}, n={n}, found {len(v)}")
    cost = tuple(tuple(cols[j][i] for j in range(n)) for i in range(m))
    return CapInstance(m, n, tuple(capacity), tuple(fixed), tuple(demand), cost)


def parse_single_source(path: str | Path) -> CapInstance:
    """Read a single-source file (``pK``): ``m n``, m pairs ``s_i f_i``, n demands, m rows of n costs."""
    v = _numbers(Path(path))
    m, n = int(v[0]), int(v[1])
    k = 2
    capacity = tuple(v[k : k + 2 * m : 2])
    fixed = tuple(v[k + 1 : k + 2 * m : 2])
    k += 2 * m
    demand = tuple(v[k : k + n])
    k += n
    cost = tuple(tuple(v[k + i * n : k + (i + 1) * n]) for i in range(m))
    k += m * n
    if k != len(v):
        raise ValueError(f"{path}: expected {k} numbers for m={m}, n={n}, found {len(v)}")
    return CapInstance(m, n, capacity, fixed, demand, cost)


def read_optima() -> list[Optimum]:
    """The rows of ``optima.txt`` (tab separated, ``#`` comments)."""
    out = []
    for line in (ORLIB_CAP / "optima.txt").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, kind, file, opt = line.split("\t")
        out.append(Optimum(name.strip(), kind.strip(), file.strip(), float(opt)))
    return out


def load(opt: Optimum) -> CapInstance:
    """Parse the file of one ``optima.txt`` row with the parser of its kind."""
    return parse_single_source(opt.path) if opt.single_source else parse_multi_source(opt.path)


def unserved_cost(inst: CapInstance) -> float:
    """An ``unserved_cost`` (CNY per PFLOPS·h) at which leaving any work undone never pays.

    ``UB = Σ_i f_i + Σ_j max_i c_ij`` bounds the cost of every full-service plan, the optimum
    included. For fixed open sites (and single-source assignments) the placement LP has integer
    data (demands and capacities are integers), so it has an integral optimal vertex: any
    unserved amount is then ≥ 1 PFLOPS, costing ≥ 8760 × unserved_cost per year. With
    ``unserved_cost = 10 UB / 8760`` that alone is 10 × UB, so the optimum serves everything.
    """
    assert all(float(d).is_integer() for d in inst.demand), "the bound needs integer demands"
    assert all(float(s).is_integer() for s in inst.capacity), "the bound needs integer capacities"
    ub = sum(inst.fixed) + sum(max(inst.cost[i][j] for i in range(inst.m)) for j in range(inst.n))
    return 10 * ub / HOURS


def to_scenario(inst: CapInstance, *, single_source: bool, name: str) -> Scenario:
    """The planner scenario whose optimum is the instance's CFLP (or SSCFLP) optimum.

    Customers with zero demand would be dropped by the planner (no eligible placement) while the
    CFLP still charges them a serving cost; they are rejected here (none in the shipped files).
    """
    if any(d <= 0 for d in inst.demand):
        raise ValueError(f"{name}: customers with zero demand are not supported by this mapping")
    regions = [{"name": f"c{j}"} for j in range(inst.n)] + [
        {"name": f"w{i}"} for i in range(inst.m)
    ]
    sites = [
        {
            "name": f"f{i}",
            "region": f"w{i}",
            "pue": 1.0,
            "price_mwh": 0.0,
            "grid_tco2_mwh": 0.0,
            "open_cost": inst.fixed[i],
            "open_life_years": 1.0,
            "max_it_mw": 1e6,
            "max_modules": int(inst.capacity[i]),
        }
        for i in range(inst.m)
    ]
    serving = [
        {"region": f"c{j}", "site": f"f{i}", "cost": inst.cost[i][j] / inst.demand[j] / HOURS}
        for j in range(inst.n)
        for i in range(inst.m)
    ]
    latency = [
        {"region": f"c{j}", "site": f"f{i}", "ms": 1.0}
        for j in range(inst.n)
        for i in range(inst.m)
    ]
    return Scenario.model_validate(
        {
            "name": name,
            "description": f"OR-Library CFLP {name} ({'single' if single_source else 'multi'}-source), "
            f"{inst.m} sites x {inst.n} customers",
            "discount_rate": 0.0,
            "objective": "cost",
            "time_slices": [{"name": "t", "weight": HOURS}],
            "regions": regions,
            "sites": sites,
            "hardware": [{"name": "unit", "pflops": 1.0, "kw": 0.0, "capex": 0.0}],
            "job_classes": [
                {
                    "name": "serve",
                    "max_latency_ms": None,
                    "gbps_per_pflops": 0.0,
                    "unserved_cost": unserved_cost(inst),
                    "single_site": single_source,
                }
            ],
            "demand": [
                {"class": "serve", "region": f"c{j}", "pflops": inst.demand[j]}
                for j in range(inst.n)
            ],
            "serving_costs": serving,
            "latency": latency,
            "policy": {"allow_unserved": False},
        }
    )
