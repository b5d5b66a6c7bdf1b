"""A plan decomposed over its days: Benders on Dask (docs/model.md §11).

``solve_decomposed(data)`` runs the loop (:mod:`.driver`); :func:`assemble` loads its plan into the
monolithic model of the same data, so the report, the cost breakdown and the policy table are the
ones of any plan; :func:`choose_method` says which method ``solver.method: auto`` picks.
"""

from __future__ import annotations

from .assemble import assemble, choose_method
from .driver import DecomposedOutcome, Iteration, solve_decomposed

__all__ = ["assemble", "choose_method", "solve_decomposed", "DecomposedOutcome", "Iteration"]
