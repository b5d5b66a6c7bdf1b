"""Workbook commands of the command line: ``planner template OUT [--from SCENARIO]``.

``planner run`` and ``planner validate`` read a workbook directly (``planner run inputs.xlsx``);
this module adds the command that writes one. Same error style and exit codes as
:mod:`planner.cli` (1 on invalid input, no traceback without ``--debug``).
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import Problem, ScenarioError
from .common import _guard, _setup_logging


def register(main: click.Group) -> None:
    """Add the workbook commands to the ``planner`` command group."""
    main.add_command(template)


def _write(out: Path, source: Path | None) -> tuple[Path, str]:
    from ..scenario import load_scenario
    from ..workbook import write_template

    if out.suffix.lower() != ".xlsx":
        raise ScenarioError([Problem(str(out), "the workbook must end in .xlsx")])
    from ..atomic import check_target

    sc = load_scenario(source) if source is not None else None
    check_target(out, sc._inputs if sc is not None else (), what="workbook")
    path = write_template(out, sc)
    return path, (
        f"scenario '{sc.name}'" if sc is not None else "a blank template with example rows"
    )


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    help="Fill the workbook with this scenario (YAML, folder or workbook) instead of examples.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def template(out: Path, source: Path | None, debug: bool) -> None:
    """Write an input workbook OUT (.xlsx), generated from the scenario schema.

    One sheet per table with units, descriptions and drop-downs, a 'scenario' sheet of single
    values and a README sheet. Fill it in, then: planner validate OUT; planner run OUT.
    """

    _setup_logging(False, True)
    path, what = _guard(debug, _write, out, source)
    click.echo(f"wrote {path} ({what}); check it with: planner validate {path}")
