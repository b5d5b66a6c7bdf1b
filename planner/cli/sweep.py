"""``planner sweep`` and ``planner compare``.

``planner sweep SWEEP`` exit codes: 0 every member done · 1 invalid sweep or scenario · 3 one or
more members failed (each listed with its error; the others are still run and written).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import EXIT_SOLVER_ERROR, OutputError
from .common import _guard, _quiet_dask, _setup_logging


def register(main: click.Group) -> None:
    """Add ``sweep`` and ``compare`` to the ``planner`` command group."""
    main.add_command(sweep)
    main.add_command(compare)


@click.command()
@click.argument("sweep_file", metavar="SWEEP", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="Folder of the members' runs [default: the sweep's out, runs/].",
)
@click.option(
    "--workers",
    "-w",
    type=int,
    help="Worker processes of the local Dask cluster [default: number of cores].",
)
@click.option(
    "--scheduler", help="Address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786."
)
@click.option("--resume", is_flag=True, help="Skip members whose results.json is already complete.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--verbose", "-v", is_flag=True, help="More log messages.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def sweep(
    sweep_file: Path,
    out: Path | None,
    workers: int | None,
    scheduler: str | None,
    resume: bool,
    no_progress: bool,
    verbose: bool,
    debug: bool,
) -> None:
    """Run every member of SWEEP (a sweep YAML file) in parallel on Dask distributed."""
    from ..studies.sweep import load_sweep, run_sweep

    _setup_logging(verbose, not verbose)
    _quiet_dask(verbose)
    sw = _guard(debug, load_sweep, sweep_file, out)
    from ..scenario.load import load_scenario

    _guard(
        debug, load_scenario, sw.scenario
    )  # the base scenario must be valid before anything runs
    click.echo(f"sweep {sweep_file}: {len(sw.members)} members → {sw.out}", err=True)
    res = _guard(
        debug,
        run_sweep,
        sw,
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        progress=not no_progress,
    )
    if res.skipped:
        click.echo(f"skipped {len(res.skipped)} members already done (--resume)")
    click.echo(f"ran {len(res.ran)} members in {res.seconds:.1f}s; {len(res.failed)} failed")
    for mid, err in res.failed.items():
        click.echo(f"failed: {mid}: {err}", err=True)
    if res.summary:
        click.echo(f"summary {res.summary}")
    if res.failed:
        sys.exit(EXIT_SOLVER_ERROR)


@click.command()
@click.argument(
    "run_dirs", metavar="RUN_DIRS...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=Path("comparison.xlsx"),
    show_default=True,
    help="Comparison workbook to write.",
)
@click.option("--base", help="Run id the differences are taken to [default: the first run].")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def compare(run_dirs: tuple[Path, ...], out: Path, base: str | None, debug: bool) -> None:
    """Compare runs (folders with results.json, or a sweep's output folder) in one workbook."""
    from ..studies.compare_runs import write_comparison

    try:
        path = write_comparison(run_dirs, out, base=base)
    except (OutputError, ValueError) as err:
        if debug:
            raise
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"wrote {path}")
