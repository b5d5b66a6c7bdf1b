"""Build the planning MILP (docs/model.md §5–6): one block per concern, costs through a registry."""

from __future__ import annotations

import logging
import time

import pyomo.environ as pyo

from ..data import PlanningData
from .cuts import add_cuts
from .energy import add_energy
from .job_leftover import add_job_leftover
from .jobs import add_jobs
from .network import add_network
from .objective import add_objective
from .placement import add_placement
from .policy import add_policy
from .registry import CostRegistry
from .sizing import Carry, add_capacity, add_sizing

log = logging.getLogger(__name__)

__all__ = ["build_model", "populate", "Carry", "CostRegistry"]


def build_model(data: PlanningData) -> pyo.ConcreteModel:
    """Build the Pyomo model of ``data``.

    Blocks: ``sizing`` (open, modules), ``placement`` (x, unserved, assign, load), ``network``
    (units, built, flow), ``energy`` (energy, green, carbon). ``m.cost_term[name]`` holds each
    registered cost term (CNY/yr); ``m.objective`` minimises the scenario's objective.

    Examples
    --------
    >>> from planner import load_scenario, prepare, build_model
    >>> m = build_model(prepare(load_scenario("scenarios/tiny")))  # doctest: +SKIP
    >>> sorted(m.COST_TERMS)[:2]  # doctest: +SKIP
    ['capex_hardware', 'capex_sites']
    """
    t0 = time.perf_counter()
    m = pyo.ConcreteModel(name=data.scenario.name)
    populate(m, data)
    log.info("built model %s in %.2fs", data.scenario.name, time.perf_counter() - t0)
    return m


def populate(
    m: pyo.Block, data: PlanningData, carry: Carry | None = None, shared: pyo.Block | None = None
) -> None:
    """Add every block of the one-period model of ``data`` to ``m`` (a model or a period block).

    With ``carry`` (several periods), installed modules are expressions over build decisions that
    live outside ``m`` (see :mod:`planner.model.multi_period`). With ``shared`` (demand futures), the
    investment variables are those of block ``shared`` (see :mod:`planner.model.futures`).
    """
    costs = CostRegistry()
    add_sizing(m, data, costs, carry, shared)
    add_placement(m, data, costs)
    if data.job_pflops or data.job_card_size:
        add_jobs(m, data)
        add_job_leftover(m, data)
    add_capacity(m, data)
    add_network(m, data, costs, shared)
    add_cuts(m, data)
    add_energy(m, data, costs)
    add_policy(m, data, costs)
    add_objective(m, costs, data.scenario.objective_weights)
    m._planner_cost_docs = dict(costs.docs)
