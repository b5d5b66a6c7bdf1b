"""The Excel report of a plan: :func:`write_excel` lays :class:`~planner.results.Results` out.

Layout only — every number comes from ``Results`` (shown through :func:`planner.report.present.present`:
money in the report's unit, solver dust left out, yes/no words). The sheet plan (:data:`SHEET_PLAN`,
then the added sheets):

========================  ==================================================================
Summary                   title, status (stopped-early plans clearly marked), money unit,
                          objective unit and dust threshold, KPI table in words, the policy
                          scorecard block, charts of PFLOPS by site and cost by term
Scorecard                 ``results.scorecard``: every target of the scenario's targets table
Map                       the plan on a map of China (:mod:`planner.report.map`), a PNG image
Sites                     ``results.sites``; bar chart of PFLOPS installed by site
Hardware mix              ``results.hardware``; stacked bar chart of PFLOPS by site × hardware
Links                     ``results.links``
Placement                 ``results.placement`` (class × region × site)
Hub / Province balance    ``results.balances``; where each hub's work runs (matrix + chart)
Price of compute          ``results.prices``: average and marginal cost per PFLOPS·h
Unserved                  ``results.unserved``
Load profiles             ``results.profiles`` (long); stacked area of load by class + idle capacity
Costs                     ``results.costs`` with a total row; the objective terms and weights
Policy, Network value     active levers; the comparison with local-first / isolated plans
Metadata                  ``results.metadata`` as key/value rows
In_<table>                one sheet per input table of the scenario, echoed as entered
========================  ==================================================================

Sheets without content for a plan (no targets, no hub tags, no provinces, no coordinates, several
periods for the map) are left out. Every header carries its unit, header rows are frozen and
repeated on every printed page, every sheet prints landscape one page wide, data are Excel tables
(filterable), number formats follow the unit, and strings are always written as text (never
formulas). The file is written atomically: to a temporary file in the target folder, then moved
over the target.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from openpyxl import Workbook

from ..atomic import save_workbook
from ..results import Results
from . import sheets
from .extra_sheets import add_extra_sheets
from .i18n import LABELS_ZH
from .policy_sheets import add_policy_sheets
from .present import currency_key, present
from .style import first_sheet, print_setup, sheet_title

#: Solver dust threshold when neither the call nor the scenario gives one (``report.dust``).
DUST_DEFAULT = 1e-6

log = logging.getLogger(__name__)

#: (sheet key, writer in :mod:`planner.report.sheets`), in sheet order. The inputs writer adds
#: its own sheets at the end. Writers are looked up by name when the report is written.
SHEET_PLAN: tuple[tuple[str, str], ...] = (
    ("summary", "write_summary"),
    ("sites", "write_sites"),
    ("hardware", "write_hardware"),
    ("links", "write_links"),
    ("placement", "write_placement"),
    ("unserved", "write_unserved"),
    ("profiles", "write_profiles"),
    ("costs", "write_costs"),
    ("metadata", "write_metadata"),
)
INPUTS_WRITER = "write_inputs"

#: Every label of the report, by language. Column headers are the Results column names.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "sheet.summary": "Summary",
        "sheet.sites": "Sites",
        "sheet.hardware": "Hardware mix",
        "sheet.links": "Links",
        "sheet.placement": "Placement",
        "sheet.unserved": "Unserved",
        "sheet.profiles": "Load profiles",
        "sheet.costs": "Costs",
        "sheet.metadata": "Metadata",
        "sheet.inputs_prefix": "In_",
        "title.report": "planner report — {scenario}",
        "title.objective": "Objective terms (contribution = weight × value)",
        "status.optimal": "Status: optimal — gap {gap}",
        "status.time_limit": "STOPPED AT TIME LIMIT — gap {gap}: best plan found, not proven optimal",
        "status.stopped": "STOPPED EARLY ({termination}) — gap {gap}: best plan found, not proven optimal",
        "status.other": "Status: {status} ({termination})",
        "note.relaxed": "LP RELAXATION: integer decisions were relaxed — not a buildable plan",
        "note.warning": "WARNING: {text}",
        "note.unserved": "Unserved demand: {value} PFLOPS·h/yr ({share} of demand) — see sheet '{sheet}'",
        "note.units": "Money in {money}. Objective in {objective_unit}. Solver dust (placements and unserved work below {dust:g} of their demand, cost terms below {dust:g} of the total cost) is left out of the plan tables and costs.",
        "line.run": "Solver {solver} {version} · planner {planner} · created {created} UTC · input hash {hash}…",
        "total.costs": "total",
        "total.objective": "objective (sum of contributions)",
        "total.solver_objective": "objective reported by the solver",
        "chart.capacity": "PFLOPS installed by site",
        "chart.hardware": "PFLOPS by site and hardware",
        "chart.load": "Load by job class and idle capacity over time slices (PFLOPS installed)",
        "chart.costs": "Cost by term ({money}/yr)",
        "axis.site": "site",
        "axis.slice": "slice",
        "helper.class_column": "{job} load PFLOPS",
        "helper.idle_column": "idle capacity PFLOPS",
        "meta.key": "key",
        "meta.value": "value",
        "none.summary": "none",
        "none.sites": "none — the scenario has no sites",
        "none.hardware": "none — no hardware installed",
        "none.links": "none — the plan has no links",
        "none.placement": "none — no demand placed",
        "none.unserved": "none — all demand is served",
        "none.profiles": "none — no site has capacity",
        "none.costs": "none",
        "none.objective": "none",
        "none.metadata": "none",
        "none.inputs": "none — empty table",
    },
    "zh": LABELS_ZH,
}


def labels(lang: str) -> Mapping[str, str]:
    """The report labels in ``lang``; raises ``ValueError`` for a language not provided."""
    try:
        return LABELS[lang]
    except KeyError:
        raise ValueError(
            f"report language {lang!r} is not available; choose one of: {', '.join(LABELS)}"
        ) from None


def build_workbook(
    results: Results, *, lang: str = "en", currency: str | None = None, dust: float | None = None
) -> Workbook:
    """The report as an in-memory openpyxl workbook (nothing is written to disk).

    ``currency`` (CNY, MCNY or 亿元) and ``dust`` default to the scenario's ``report`` settings
    (``results.settings``); see :mod:`planner.report.present`.
    """
    lab = labels(lang)
    cur = currency_key(currency or results.settings.get("currency") or "CNY")
    delta = float(dust if dust is not None else results.settings.get("dust", DUST_DEFAULT))
    shown = present(results, currency=cur, lang=lang, dust=delta)
    ctx = sheets.Context(results=shown, labels=lab, wb=Workbook(), lang=lang, currency=cur)
    first = first_sheet(ctx.wb)
    for i, (key, _) in enumerate(SHEET_PLAN):
        title = sheet_title(ctx.t(f"sheet.{key}"), ctx.wb.sheetnames if i else ())
        if i == 0:
            first.title = title
            ctx.sheets[key] = first
        else:
            ctx.sheets[key] = ctx.wb.create_sheet(title)
    for key, writer in (*SHEET_PLAN, ("inputs", INPUTS_WRITER)):
        log.debug("report: writing sheet %s", key)
        getattr(sheets, writer)(ctx)
    add_policy_sheets(ctx, lang)
    add_extra_sheets(ctx)
    from .more_sheets import add_more_sheets

    add_more_sheets(ctx)
    print_setup(ctx.wb)
    return ctx.wb


def write_excel(
    results: Results,
    path: str | os.PathLike[str],
    *,
    lang: str = "en",
    currency: str | None = None,
    dust: float | None = None,
) -> Path:
    """Write the Excel report of ``results`` to ``path``, atomically; return the path.

    The workbook is built in memory, saved to a temporary file in the target folder and moved
    over ``path`` in one step: ``path`` is either the complete new report or left as it was, and
    no temporary file remains after an error. Missing parent folders are created.

    Parameters
    ----------
    results
        The results of a solved plan (see :func:`planner.extract`).
    path
        The report file to write (``.xlsx``); an existing file is replaced.
    lang
        Language of the labels: ``"en"`` or ``"zh"`` (sheet names, titles, headers, KPI
        names and units; names of places keep their given spelling).
    currency
        Money unit of every money column and headline: ``"CNY"``, ``"MCNY"`` (million CNY) or
        ``"亿元"`` (10⁸ CNY) [default: the scenario's ``report.currency_unit``].
    dust
        Solver-dust threshold (share of a demand or of the total cost) [default: ``report.dust``].

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ValueError
        ``lang`` is not an available language.

    Examples
    --------
    >>> import planner
    >>> res = planner.run("scenarios/tiny")  # doctest: +SKIP
    >>> planner.write_excel(res, "tiny.xlsx")  # doctest: +SKIP
    PosixPath('tiny.xlsx')
    """
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        log.warning("report %s does not end in .xlsx; Excel may refuse to open it", target)
    wb = build_workbook(results, lang=lang, currency=currency, dust=dust)
    save_workbook(wb, target)
    log.info("report written: %s (%d sheets)", target, len(wb.sheetnames))
    return target
