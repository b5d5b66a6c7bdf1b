"""The cost registry: every cost term is added under a name; the objective is their sum.

The report's cost sheet evaluates the same registry, so the breakdown adds up to the objective
by construction (SWITCH's ``Cost_Components_Per_Period`` idea).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo

#: Terms that price shortfalls rather than resources; kept in every objective (see docs/model.md §6).
PENALTY_TERMS = ("unserved_cost", "policy_slack_cost")


@dataclass
class CostRegistry:
    """Named cost terms (CNY/yr) with a plain-words description of each."""

    terms: dict[str, Any] = field(default_factory=dict)
    docs: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, expr: Any, doc: str) -> None:
        """Register ``expr`` (a Pyomo expression, CNY/yr) as cost term ``name``."""
        if name in self.terms:
            raise ValueError(f"cost term '{name}' registered twice")
        self.terms[name] = expr
        self.docs[name] = doc


def share(var: Any) -> Any:
    """A reference to the variables of an indexed ``var`` (their data are the same objects), as the
    component of another block: demand futures share their investment variables this way."""
    return pyo.Reference({k: v for k, v in var.items()}, ctype=pyo.Var)
