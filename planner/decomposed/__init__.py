"""A plan decomposed over its days: Benders on Dask (docs/model.md §11).

``solve_decomposed(data)`` runs the loop (:mod:`.driver`), ``solve_decomposed_futures(fd)`` the
same over demand futures (one subproblem per future and day); :func:`assemble` (:func:`assemble_futures`) loads its plan into the
monolithic model of the same data, so the report, the cost breakdown and the policy table are the
ones of any plan; :func:`choose_method` says which method ``solver.method: auto`` picks.
"""

from __future__ import annotations

from .assemble import assemble, assemble_futures, choose_method
from .driver import DecomposedOutcome, Iteration, solve_decomposed, solve_decomposed_futures

__all__ = [
    "assemble",
    "assemble_futures",
    "choose_method",
    "solve_decomposed",
    "solve_decomposed_futures",
    "DecomposedOutcome",
    "Iteration",
]
