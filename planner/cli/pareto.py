"""``planner pareto``: the cost–carbon or cost–energy frontier (ε-constraint, solved in parallel)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import _guard, _quiet_dask, _setup_logging


def register(main: click.Group) -> None:
    """Add the ``pareto`` command to ``main``."""

    @main.command()
    @click.argument("scenario", type=click.Path(path_type=Path))
    @click.option(
        "--objectives",
        default="cost,carbon",
        show_default=True,
        type=click.Choice(["cost,carbon", "cost,energy"]),
        help="Cost against carbon or against energy.",
    )
    @click.option(
        "--points",
        type=click.IntRange(min=2),
        default=8,
        show_default=True,
        help="Plans on the frontier, both extremes included.",
    )
    @click.option(
        "--out",
        "-o",
        type=click.Path(path_type=Path),
        help="Frontier workbook to write [default: <scenario>-frontier.xlsx].",
    )
    @click.option("--no-report", is_flag=True, help="Solve and print the frontier only.")
    @click.option(
        "--workers",
        type=click.IntRange(min=1),
        help="Worker processes of the local Dask cluster [default: min(points, CPUs)]; 1 solves in this process.",
    )
    @click.option(
        "--scheduler", help="Address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786."
    )
    @click.option(
        "--time-limit", type=float, help="HiGHS time limit per plan, s (overrides the scenario)."
    )
    @click.option(
        "--gap", "mip_gap", type=float, help="Relative MIP gap per plan (overrides the scenario)."
    )
    @click.option("--verbose", "-v", is_flag=True, help="More log messages.")
    @click.option("--quiet", "-q", is_flag=True, help="Warnings and errors only.")
    @click.option("--debug", is_flag=True, help="Show tracebacks.")
    def pareto(
        scenario: Path,
        objectives: str,
        points: int,
        out: Path | None,
        no_report: bool,
        workers: int | None,
        scheduler: str | None,
        time_limit: float | None,
        mip_gap: float | None,
        verbose: bool,
        quiet: bool,
        debug: bool,
    ) -> None:
        """Frontier of SCENARIO's cost against carbon (or energy): the two extreme plans and evenly
        spaced caps between them, each plan solved in parallel; write the frontier workbook."""
        import pandas as pd

        from ..scenario import load_scenario
        from ..studies.pareto import pareto as run_pareto

        _setup_logging(verbose, quiet)
        _quiet_dask(verbose)
        sc = _guard(debug, load_scenario, scenario)
        target = None if no_report else (out or Path(f"{sc.name}-frontier.xlsx"))
        front = _guard(
            debug,
            run_pareto,
            sc,
            objectives=objectives,
            points=points,
            time_limit=time_limit,
            mip_gap=mip_gap,
            workers=workers,
            scheduler=scheduler,
            out=target,
        )
        col = front.second_column
        lines = [
            f"scenario     {sc.name}: cost vs {front.second}, {len(front.table)} plans on {front.workers}, "
            f"{front.seconds:.1f} s",
            f"{'point':>5}  {'plan':<13} {'cost M CNY/yr':>14} {col:>16}  {'status':<9} {'gap':>7}  dominated",
        ]
        for d in front.table.to_dict("records"):
            cost, sec, gap = d["cost CNY/yr"], d[col], d["MIP gap"]
            cost_s = "-" if pd.isna(cost) else f"{cost / 1e6:,.3f}"
            sec_s = "-" if pd.isna(sec) else f"{sec:,.1f}"
            gap_s = "n/a" if pd.isna(gap) else f"{100 * gap:.2f}%"
            lines.append(
                f"{d['point']:>5}  {d['plan']:<13} {cost_s:>14} {sec_s:>16}  {d['status']:<9} {gap_s:>7}  {d['dominated']}"
            )
        if target is not None:
            lines.append(f"report       {target}")
        click.echo("\n".join(lines))
