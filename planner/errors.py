"""Errors for people: one base class, subclasses that mix in builtins, documented exit codes.

The CLI maps each class to an exit code (see ``EXIT_CODES``); the library never prints and never
asserts on user data.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

EXIT_OK = 0
EXIT_INVALID_INPUT = 1
EXIT_INFEASIBLE = 2
EXIT_SOLVER_ERROR = 3


class PlannerError(Exception):
    """Base class of every error planner raises on purpose."""

    exit_code = EXIT_SOLVER_ERROR


@dataclass(frozen=True)
class Problem:
    """One problem in a scenario, with where it is (file › table › row › field)."""

    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message


class ScenarioError(PlannerError, ValueError):
    """The scenario is invalid. Carries every problem found, each with its place."""

    exit_code = EXIT_INVALID_INPUT

    def __init__(self, problems: Iterable[Problem] | str, source: str = "") -> None:
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        self.problems: list[Problem] = list(problems)
        self.source = source
        n = len(self.problems)
        head = f"{source}: " if source else ""
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} found:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class OutputError(PlannerError, OSError):
    """An output cannot be written where asked (not a regular file, an input, unwritable, disk full).

    Nothing is written when it is raised: no part of the target, no temporary file.
    """

    exit_code = EXIT_INVALID_INPUT


class InfeasibleError(PlannerError):
    """The model has no feasible plan (or is unbounded)."""

    exit_code = EXIT_INFEASIBLE


class SolverError(PlannerError, RuntimeError):
    """The solver failed or returned no usable solution for a reason other than infeasibility."""

    exit_code = EXIT_SOLVER_ERROR


#: Most known names :func:`near_miss` compares a name with.
MAX_NEAR_MISS = 2_000


def near_miss(name: str, known: Iterable[str]) -> str:
    """Return ``" — did you mean 'X'?"`` for the closest known name, or ``""``.

    Closeness is difflib's ratio (case-insensitive); ties go to the name with the same first letter.
    Past :data:`MAX_NEAR_MISS` known names no suggestion is made (the search would cost more than
    it helps: a hostile file with tens of thousands of unknown names must still be reported fast).
    """
    name = str(name).strip()
    known = known if isinstance(known, (list, tuple)) else list(known)
    if len(known) > MAX_NEAR_MISS or len(name) > 200:
        return ""
    best, best_score = None, 0.0
    for k in known:
        score = difflib.SequenceMatcher(None, name.lower(), k.lower()).ratio()
        score += 0.01 if name[:1].lower() == k[:1].lower() else 0.0
        if score > best_score:
            best, best_score = k, score
    return f" — did you mean '{best}'?" if best is not None and best_score >= 0.6 else ""
