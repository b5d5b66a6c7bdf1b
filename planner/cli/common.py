"""What every command shares: logging set-up and the guard that turns errors into exit codes."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from ..errors import EXIT_SOLVER_ERROR, PlannerError


def _setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else (logging.WARNING if quiet else logging.INFO)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("pyomo").setLevel(logging.WARNING)


#: Loggers of Dask and the libraries under it, quiet unless ``--verbose``.
DASK_LOGGERS = ("distributed", "tornado", "asyncio", "bokeh")


def _quiet_dask(verbose: bool) -> None:
    """Dask distributed's own log lines (scheduler, nanny, "Worker process … was killed by signal 9"
    as a cluster shuts down) only with ``--verbose``; its errors always.

    distributed sets its loggers' levels from its config when it is imported, in this process and in
    every worker process, so the level goes into that config through the environment (which the
    workers inherit) before distributed is imported; a level the user set there is kept.
    """
    if verbose:
        return
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    for name in DASK_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def _guard(debug: bool, fn: Any, *args: Any, **kw: Any) -> Any:
    """Run ``fn``; map planner errors to their exit codes with a short message."""
    try:
        return fn(*args, **kw)
    except PlannerError as err:
        if debug:
            raise
        click.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as err:  # an internal error, not the user's
        if debug:
            raise
        click.echo(
            f"internal error: {type(err).__name__}: {err}\n(run again with --debug for the traceback)",
            err=True,
        )
        sys.exit(EXIT_SOLVER_ERROR)


def status_text(o: Any) -> str:
    """The status line's text: a plan that stopped short of its gap says where it stopped."""
    if o.status != "feasible":
        return str(o.status)
    term = str(o.termination or "")
    where = "the iteration limit" if "iteration limit" in term.lower() else "the time limit"
    return f"feasible (stopped at {where} with a feasible plan)"
