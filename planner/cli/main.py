"""The ``planner`` command group and its core commands: ``run``, ``validate``, ``schema``.

Exit codes: 0 ok, 1 invalid input, 2 infeasible / no plan, 3 solver or internal error.
``--debug`` shows the traceback; otherwise a user's mistake gets one short message.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from . import pareto, sweep, workbook
from .common import _guard, _quiet_dask, _setup_logging, status_text
from .futures import future_lines

log = logging.getLogger("planner")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planner")
def main() -> None:
    """planner — plan AI computing-power networks (sites, hardware, links, placement) with a MILP."""


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="Excel report to write [default: <scenario>-plan.xlsx].",
)
@click.option("--no-report", is_flag=True, help="Solve and print the summary only.")
@click.option("--time-limit", type=float, help="HiGHS time limit, s (overrides the scenario).")
@click.option(
    "--gap", "mip_gap", type=float, help="Relative MIP gap, e.g. 0.01 (overrides the scenario)."
)
@click.option("--threads", type=int, help="HiGHS threads (overrides the scenario).")
@click.option(
    "--relax",
    is_flag=True,
    default=None,
    help="Solve the LP relaxation (a lower bound; fast screening).",
)
@click.option(
    "--no-mip-start", is_flag=True, help="Do not hand HiGHS a start built from the LP relaxation."
)
@click.option("--log-solver", is_flag=True, help="Show HiGHS's log.")
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Report language.",
)
@click.option(
    "--currency",
    type=click.Choice(["CNY", "MCNY", "亿元"]),
    default=None,
    help="Money unit of the report (CNY, million CNY, 亿元 = 100 million CNY) [default: the scenario's report.currency_unit].",
)
@click.option(
    "--compare",
    "compare",
    multiple=True,
    type=click.Choice(["local-first", "isolated", "both"]),
    help="Also solve the local-first plan and/or the isolated baseline (both: the two); report the value of the network "
    "against local-first first.",
)
@click.option(
    "--local-share",
    type=float,
    default=0.5,
    show_default=True,
    help="Share each region hosts itself under local-first.",
)
@click.option(
    "--planning",
    type=click.Choice(["perfect_foresight", "myopic"]),
    help="Several periods: all at once or period by period (overrides the scenario).",
)
@click.option(
    "--variant",
    "variants",
    multiple=True,
    help="Apply a variant the scenario defines (repeatable; in order).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help="Override a field, e.g. policy.carbon_price=200 or 'sites[*].price_mwh=*1.2' (repeatable).",
)
@click.option(
    "--method",
    type=click.Choice(["monolithic", "decomposed", "auto"]),
    help="One MILP, Benders over the days on Dask, or by size (overrides solver.method).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Decomposed: workers of the local Dask cluster [default: the number of cores].",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Decomposed: run the subproblems on an existing Dask scheduler (tcp://host:8786).",
)
@click.option("--verbose", "-v", is_flag=True, help="More log messages.")
@click.option("--quiet", "-q", is_flag=True, help="Warnings and errors only.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def run(
    scenario: Path,
    out: Path | None,
    no_report: bool,
    time_limit: float | None,
    mip_gap: float | None,
    threads: int | None,
    relax: bool | None,
    no_mip_start: bool,
    log_solver: bool,
    lang: str,
    currency: str | None,
    compare: tuple[str, ...],
    local_share: float,
    planning: str | None,
    variants: tuple[str, ...],
    sets: tuple[str, ...],
    method: str | None,
    workers: int | None,
    scheduler: str | None,
    verbose: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Plan SCENARIO (a YAML file or a folder with scenario.yaml) and write its Excel report."""
    _setup_logging(verbose, quiet)
    _quiet_dask(verbose)  # a decomposed run's local cluster: no scheduler and nanny chatter
    from ..pipeline import run as run_plan
    from ..scenario import load_scenario

    sc = _guard(debug, load_scenario, scenario, variants=variants, sets=sets)
    if planning is not None:
        sc = sc.model_copy(update={"planning": planning})
    target = None if no_report else (out or Path(f"{sc.name}-plan.xlsx"))
    res = _guard(
        debug,
        run_plan,
        sc,
        out=target,
        time_limit=time_limit,
        mip_gap=mip_gap,
        threads=threads,
        relax=relax or None,
        mip_start=False if no_mip_start else None,
        log_solver=log_solver,
        lang=lang,
        compare=compare,
        local_share=local_share,
        currency=currency,
        method=method,
        workers=workers,
        scheduler=scheduler,
        on_iteration=None if quiet else _iteration_line,
    )
    if "Futures" in res.extra_tables:
        click.echo(
            "\n".join(
                future_lines(sc.name, res)
                + _decomposed_lines(res)
                + _target_lines(res)
                + ([f"report       {target}"] if target is not None else [])
            )
        )
        return
    if res.periods is not None:
        click.echo(
            "\n".join(
                _period_lines(sc.name, res)
                + ([f"report       {target}"] if target is not None else [])
            )
        )
        return
    o = res.outcome
    gap = f"{100 * o.gap:.2f}%" if o.gap is not None else "n/a"
    lines = [
        f"scenario     {sc.name}",
        f"status       {status_text(o)}{' — LP relaxation' if o.relaxed else ''}",
        f"objective    {o.objective:,.0f}   bound {o.bound:,.0f}   gap {gap}",
        f"total cost   {res.total_cost / 1e6:,.2f} M CNY/yr",
        f"sites open   {res.kpi('sites open')}   PFLOPS built {res.kpi('PFLOPS built (new)'):,.1f}   "
        f"IT {res.kpi('IT MW installed'):,.1f} MW",
        f"energy       {res.kpi('energy'):,.0f} MWh/yr   carbon {res.kpi('carbon'):,.0f} tCO2/yr   "
        f"green {100 * res.kpi('green share'):.1f}%",
        f"unserved     {100 * res.kpi('unserved share'):.2f}% of demand",
        f"time         {o.compile_s + o.mip_start_s + o.handover_s + o.solve_s:.1f}s in the solver stage "
        f"(compile {o.compile_s:.1f}s, LP relaxation + MIP start {o.mip_start_s:.1f}s, HiGHS {o.solve_s:.1f}s)",
        f"termination  {o.termination}",
    ]
    if len(res.policy):
        binding = res.policy[res.policy["binding"] == True]  # noqa: E712 - a pandas mask
        lines.append(
            f"policy       {len(res.policy)} targets, {len(binding)} binding, slack cost "
            f"{res.costs.set_index('term').loc['policy_slack_cost', 'CNY/yr']:,.0f} CNY/yr"
        )
    lines += _decomposed_lines(res)
    lines += _target_lines(res)
    if "resilience cost CNY/yr" in res.extras:
        lines.append(f"resilience   N-1 costs {res.extras['resilience cost CNY/yr']:,.0f} CNY/yr")
    if res.headline:
        lines.append(f"network      {res.headline}")
    lines += [f"WARNING      {w.splitlines()[0]} (see above)" for w in res.warnings]
    if target is not None:
        lines.append(f"report       {target}")
    click.echo("\n".join(lines))


def _decomposed_lines(res: Any) -> list[str]:
    """One line for a decomposed plan: subproblems, workers, iterations (none otherwise)."""
    if "decomposed" not in res.extras:
        return []
    dx = res.extras["decomposed"]
    return [
        f"decomposed   {dx['subproblems']} subproblems on {dx['workers']} workers, {dx['iterations']} iterations"
        f"{', ' + str(dx['rebuilt']) + ' rebuilt after a lost worker' if dx['rebuilt'] else ''} (sheet Iterations)"
    ]


def _iteration_line(it: Any) -> None:
    """The progress display of a decomposed solve: one line per iteration (stderr)."""
    best = f"{it.best_plan:,.0f}" if it.best_plan is not None else "-"
    gap = f"{100 * it.gap:.2f}%" if it.gap is not None else "-"
    click.echo(
        f"iteration {it.iteration:>3} {it.phase:<10} bound {it.lower_bound:,.0f}   best {best}   gap {gap}   "
        f"{it.seconds:.1f}s",
        err=True,
    )


def _target_lines(res: Any) -> list[str]:
    """One line: the national targets of the scorecard met and missed (per future when there are futures)."""
    card = res.scorecard
    if card is None or not len(card):
        return []
    judged = card[card["met"].notna()]
    where = judged["future"].astype(str) + ": " if "future" in judged.columns else ""
    names = (where + judged["target"].astype(str)) if len(judged) else judged["target"]
    missed = [str(t) for t, m in zip(names, judged["met"]) if not m]
    return [
        f"targets      {len(judged) - len(missed)} of {len(judged)} national targets met"
        + (f"; missed: {', '.join(missed)}" if missed else "")
        + " (Scorecard sheet)"
    ]


def _period_lines(name: str, res: Any) -> list[str]:
    """The printed summary of a several-period plan: the whole plan, then one line per period."""
    o = res.outcome
    gap = f"{100 * o.gap:.2f}%" if o.gap is not None else "n/a"
    lines = [
        f"scenario     {name}",
        f"planning     {res.kpi('planning')}",
        f"status       {status_text(o)}",
        f"objective    {o.objective:,.0f}   bound {o.bound:,.0f}   gap {gap}",
        f"total cost   {res.total_cost / 1e6:,.2f} M CNY, discounted to {res.periods['period'].iloc[0]}",
    ]
    for p in res.periods.to_dict("records"):
        lines.append(
            f"{p['period']:<12} {p['years']:g} yr: {p['cost CNY/yr'] / 1e6:,.2f} M CNY/yr   "
            f"PFLOPS {p['PFLOPS in service']:,.1f} (bought {p['PFLOPS bought']:,.1f}, retired {p['PFLOPS retired']:,.1f})   "
            f"sites {p['sites open']}   unserved {100 * p['unserved share']:.2f}%"
        )
    lines.append(f"time         {res.metadata.get('plan time s', 0):.1f}s to plan")
    lines += [f"WARNING      {w.splitlines()[0]}" for w in res.warnings]
    return lines


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def validate(scenario: Path, debug: bool) -> None:
    """Check SCENARIO and report every problem (exit 1 if any)."""
    _setup_logging(False, True)
    from ..data import prepare
    from ..scenario import load_scenario

    sc = _guard(debug, load_scenario, scenario)
    data = _guard(debug, prepare, sc)
    s = data.size
    periods = ""
    if sc.periods:
        from ..horizon.periods import prepare_periods

        md = _guard(debug, prepare_periods, sc)
        periods = f"; {len(md.periods)} periods ({', '.join(str(y) for y in md.years)}), planning {sc.planning}"
    click.echo(
        f"{scenario}: valid — {s['regions']} regions, {s['sites']} sites, {s['hardware']} hardware types, "
        f"{s['classes']} job classes, {s['slices']} time slices, {len(sc.links)} links; "
        f"{s['eligible']} eligible placements{periods}"
    )


@main.command()
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="Write the JSON schema here instead of printing it.",
)
def schema(out: Path | None) -> None:
    """Print the JSON schema of a scenario file (for editors and checkers)."""
    from ..scenario.schema import Scenario

    text = json.dumps(Scenario.model_json_schema(by_alias=True), indent=2, ensure_ascii=False)
    if out:
        from ..atomic import save_text

        _guard(False, save_text, text + "\n", out, "schema")
        click.echo(f"wrote {out}")
    else:
        click.echo(text)


for _module in (workbook, sweep, pareto):
    _module.register(main)

if __name__ == "__main__":  # pragma: no cover
    main()
