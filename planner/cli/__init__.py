"""Command line: a thin click app over the public API (``planner`` = :func:`main`).

- :mod:`.main`: the command group and ``run``, ``validate``, ``schema``;
- :mod:`.workbook`: ``template``; :mod:`.sweep`: ``sweep``, ``compare``; :mod:`.pareto`: ``pareto``;
- :mod:`.common`: logging set-up and the guard that maps errors to exit codes.

Exit codes: 0 ok, 1 invalid input, 2 infeasible / no plan, 3 solver or internal error.
"""

from __future__ import annotations

from .main import main

__all__ = ["main"]
