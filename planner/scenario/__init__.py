"""Scenarios: the schema, loading from YAML + CSV, and cross-table checks."""

from .load import load_scenario
from .schema import Scenario

__all__ = ["Scenario", "load_scenario"]
