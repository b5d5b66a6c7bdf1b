"""Sweeps: many runs of one scenario with different overrides, in parallel on Dask distributed.

A sweep file (YAML) names the scenario and a design::

    scenario: scenario.yaml          # relative to the sweep file
    out: runs/                       # one folder per member [default: runs/ beside the sweep file]
    solver: {time_limit: 60, mip_gap: 0.001}   # applied to every member (threads is always 1)
    base: [some_variant]             # variants applied to every member (optional)
    grid:                            # every combination ...
      policy.carbon_price: [0, 100, 200]
      "sites[*].price_mwh": ["*0.8", "*1.0", "*1.2"]
    # or one_at_a_time: {path: [values], ...}: the base run, then each value of each path alone
    # or variants: [high_growth, [high_growth, carbon_200]]: one member per variant (or list)

Each member runs in a Dask worker process (:func:`run_member`) and writes, in its own folder
``OUT/<member id>/``: ``report.xlsx``, then ``results.json`` (parameters, status, KPIs, timings;
written last and atomically). A member is *done* iff its ``results.json`` is complete and has the
member's parameters, so ``--resume`` redoes only what is missing. A member that fails writes
``error.json`` (the message) instead, and the others go on.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import json
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..atomic import remove_stale_temporaries, save_json
from ..cluster import close, connect
from ..errors import PlannerError, Problem, ScenarioError, near_miss
from ..safeio import load_yaml_file
from ..scenario.load import load_scenario, variant_names
from ..scenario.variants import parse_path
from .compare_runs import write_comparison

log = logging.getLogger(__name__)

RESULTS = "results.json"
ERROR = "error.json"
REPORT = "report.xlsx"
DESIGNS = ("grid", "one_at_a_time", "variants")
SWEEP_KEYS = {"scenario", "out", "solver", "base", *DESIGNS, "name", "description"}


@dataclass(frozen=True)
class Member:
    """One run of a sweep: its id, the variants and the overrides (``path -> value``) it applies."""

    id: str
    parameters: dict[str, Any]
    variants: tuple[str, ...] = ()

    @property
    def sets(self) -> list[str]:
        """The overrides as ``path=value`` texts (values as YAML)."""
        return [f"{p}={_yaml_value(v)}" for p, v in self.parameters.items()]


@dataclass
class Sweep:
    """A sweep read from a file: scenario, output folder, solver options and members."""

    path: Path
    scenario: Path
    out: Path
    solver: dict[str, Any]
    members: list[Member]
    base_variants: tuple[str, ...] = ()
    swept: list[str] = field(default_factory=list)


def _yaml_value(v: Any) -> str:
    return (
        yaml.safe_dump(v, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()
    )


def _short(path: str) -> str:
    """``sites[*].price_mwh`` → ``price_mwh``; ``policy.carbon_price`` → ``carbon_price``."""
    return re.split(r"[.\]]", path)[-1] or path


def member_id(index: int, parameters: Mapping[str, Any], variants: Sequence[str]) -> str:
    """A stable folder name: ``m003-carbon_price=200-price_mwh=x1.2`` (sanitised, with a hash if long)."""
    parts = list(variants) + [f"{_short(p)}={v}" for p, v in parameters.items()]
    label = "-".join(parts).replace("*", "x") or "base"
    label = re.sub(r"[^A-Za-z0-9_.=+-]", "_", label)
    if len(label) > 60:
        digest = hashlib.sha1(
            json.dumps([parameters, list(variants)], sort_keys=True, default=str).encode()
        ).hexdigest()[:8]
        label = f"{label[:50]}-{digest}"
    return f"m{index:03d}-{label}"


def load_sweep(path: str | Path, out: str | Path | None = None) -> Sweep:
    """Read a sweep file; raise :class:`ScenarioError` if it is invalid (the scenario is checked too)."""
    path = Path(path)
    label = path.name
    if not path.is_file():
        raise ScenarioError([Problem(str(path), "sweep file not found")])
    doc = load_yaml_file(path, label)[0] or {}
    problems: list[Problem] = []
    if not isinstance(doc, Mapping):
        raise ScenarioError(
            [Problem(label, "must be a YAML mapping (scenario, grid / one_at_a_time / variants)")]
        )
    for k in doc:
        if k not in SWEEP_KEYS:
            problems.append(
                Problem(f"{label} › {k}", f"unknown key{near_miss(str(k), sorted(SWEEP_KEYS))}")
            )
    if "scenario" not in doc:
        problems.append(Problem(f"{label} › scenario", "is required: the scenario file to sweep"))
    designs = [d for d in DESIGNS if doc.get(d)]
    if len(designs) != 1:
        problems.append(Problem(label, "give exactly one of grid, one_at_a_time or variants"))
    if problems:
        raise ScenarioError(problems, source=str(path))
    scenario = (path.parent / str(doc["scenario"])).resolve()
    defined = variant_names(scenario) if scenario.exists() else []
    base = tuple(doc.get("base") or ())
    design = designs[0]
    spec = doc[design]
    members: list[Member] = []
    swept: list[str] = []

    def check_paths(m: Mapping[str, Any]) -> None:
        if not isinstance(m, Mapping):
            problems.append(
                Problem(f"{label} › {design}", "must map each path to a list of values")
            )
            return
        for p, vals in m.items():
            try:
                parse_path(str(p))
            except ValueError as err:
                problems.append(Problem(f"{label} › {design} › {p}", str(err)))
            if not isinstance(vals, list) or not vals:
                problems.append(
                    Problem(f"{label} › {design} › {p}", "must be a non-empty list of values")
                )

    if design == "grid":
        check_paths(spec)
        if not problems:
            swept = [str(p) for p in spec]
            for i, combo in enumerate(itertools.product(*spec.values())):
                params = dict(zip(swept, combo))
                members.append(Member(member_id(i, params, ()), params, base))
    elif design == "one_at_a_time":
        check_paths(spec)
        if not problems:
            swept = [str(p) for p in spec]
            members.append(Member(member_id(0, {}, ()), {}, base))
            for p, vals in spec.items():
                for v in vals:
                    params = {str(p): v}
                    members.append(Member(member_id(len(members), params, ()), params, base))
    else:
        if not isinstance(spec, list):
            problems.append(
                Problem(
                    f"{label} › variants", "must be a list of variant names (or lists of names)"
                )
            )
        else:
            for i, v in enumerate(spec):
                names = tuple(v) if isinstance(v, list) else (str(v),)
                members.append(Member(member_id(i, {}, names), {}, base + names))
    for m in members:
        for name in m.variants:
            if name not in defined:
                problems.append(
                    Problem(
                        f"{label} › variant {name}",
                        f"unknown variant '{name}'{near_miss(name, defined)}",
                    )
                )
    solver = dict(doc.get("solver") or {})
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)), source=str(path))
    out_dir = Path(out) if out is not None else (path.parent / str(doc.get("out") or "runs"))
    return Sweep(path, scenario, out_dir, solver, members, base, swept)


# ---- one member (runs in a worker process) ---------------------------------------------------------
def run_member(
    scenario: str, member_dir: str, member: dict[str, Any], solver: dict[str, Any]
) -> dict[str, Any]:
    """Run one member: load the scenario with its variants and overrides, solve, write its files.

    Writes ``report.xlsx`` then ``results.json`` (atomically, last); on failure ``error.json``.
    Returns what it wrote. Never raises for a member's own failure.

    Parameters
    ----------
    scenario
        The scenario file.
    member_dir
        The member's folder (created).
    member
        ``{"id", "parameters", "variants"}``.
    solver
        Solver options for :func:`planner.run` (``time_limit``, ``mip_gap``, ``mip_start``, ...).
    """
    from ..pipeline import run

    d = Path(member_dir)
    d.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(d)  # a killed earlier run of this member may have left one
    (d / ERROR).unlink(missing_ok=True)
    m = Member(member["id"], dict(member["parameters"]), tuple(member["variants"]))
    base = {
        "id": m.id,
        "run_id": uuid.uuid4().hex,
        "parameters": m.parameters,
        "variants": list(m.variants),
        "scenario": str(scenario),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        sc = load_scenario(scenario, variants=m.variants, sets=m.sets)
        opts = {
            k: solver[k] for k in ("time_limit", "mip_gap", "relax", "mip_start") if k in solver
        }
        res = run(sc, out=d / REPORT, threads=1, **opts)
        o = res.outcome
        kpis = {
            str(k): (v.item() if hasattr(v, "item") else v)
            for k, v in zip(res.summary["kpi"], res.summary["value"])
        }
        units = dict(zip(res.summary["kpi"], res.summary["unit"]))
        data = {
            **base,
            "status": o.status if o else "optimal",
            "objective": o.objective if o else None,
            "gap": o.gap if o else None,
            "total cost": res.total_cost,
            "kpis": kpis,
            "units": units,
            "input_hash": sc.input_hash,
            "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.process_time() - c0,
            "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "report": REPORT,
        }
        save_json(data, d / RESULTS)
        return data
    except Exception as err:  # a member's failure is reported, not raised
        data = {
            **base,
            "status": "failed",
            "error": str(err),
            "error_type": type(err).__name__,
            "exit_code": err.exit_code if isinstance(err, PlannerError) else 3,
            "seconds": time.perf_counter() - t0,
        }
        save_json(data, d / ERROR)
        return data


def read_done(member_dir: Path, member: Member) -> dict[str, Any] | None:
    """The member's results if its ``results.json`` is complete and for these parameters, else ``None``."""
    p = member_dir / RESULTS
    try:
        data: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        data.get("id") != member.id
        or data.get("parameters") != member.parameters
        or tuple(data.get("variants", ())) != member.variants
    ):
        return None
    return data


# ---- the sweep ------------------------------------------------------------------------------------
@dataclass
class SweepOutcome:
    """What a sweep did: members run now, skipped (done before), failed (with errors)."""

    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    summary: Path | None = None


def run_sweep(
    sweep: Sweep,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
    on_done: Callable[[dict[str, Any]], None] | None = None,
    summary: bool = True,
) -> SweepOutcome:
    """Run every member of ``sweep`` on Dask distributed; return what happened.

    Parameters
    ----------
    sweep
        From :func:`load_sweep`.
    workers
        Worker processes of the local cluster [default: the number of cores]; ignored with ``scheduler``.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``); its workers must see the files.
    resume
        Skip members whose ``results.json`` is complete; without it, every member runs again.
    progress
        Show a progress bar (stderr): done, running, failed, time left.
    on_done
        Called with each member's record as it finishes.
    summary
        Write the comparison workbook ``OUT/summary.xlsx`` at the end.
    """
    from dask.distributed import as_completed

    t0 = time.perf_counter()
    outcome = SweepOutcome()
    sweep.out.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(sweep.out)  # of the summary workbook, from a killed run
    todo: list[Member] = []
    for m in sweep.members:
        if resume and read_done(sweep.out / m.id, m) is not None:
            remove_stale_temporaries(sweep.out / m.id)
            outcome.skipped.append(m.id)
        else:
            todo.append(m)
    if outcome.skipped:
        log.info(
            "resume: %d of %d members already done, skipped",
            len(outcome.skipped),
            len(sweep.members),
        )
    cluster = None
    if todo:
        client, cluster = connect(scheduler, min(workers or os.cpu_count() or 1, len(todo)))
        try:
            info = client.scheduler_info().get("workers", {})
            nworkers = max(1, len(info))
            if any(w.get("nthreads", 1) > 1 for w in info.values()):
                log.warning(
                    "some Dask workers have more than 1 thread: members then share a process; "
                    "start workers with --nthreads 1 so that each member has its own"
                )
            futures = {
                client.submit(
                    run_member,
                    str(sweep.scenario),
                    str(sweep.out / m.id),
                    {"id": m.id, "parameters": m.parameters, "variants": list(m.variants)},
                    sweep.solver,
                    pure=False,
                    key=f"member-{m.id}-{uuid.uuid4().hex[:6]}",
                ): m
                for m in todo
            }
            bar = _progress(len(todo), progress, len(outcome.skipped))
            for fut in as_completed(futures):
                m = futures[fut]
                try:
                    rec = fut.result()
                except Exception as err:  # the worker died or the task could not run
                    rec = {"id": m.id, "status": "failed", "error": f"{type(err).__name__}: {err}"}
                    (sweep.out / m.id).mkdir(parents=True, exist_ok=True)
                    save_json(rec, sweep.out / m.id / ERROR)
                if rec.get("status") == "failed":
                    outcome.failed[m.id] = rec.get("error", "")
                    log.error("member %s failed: %s", m.id, rec.get("error"))
                else:
                    outcome.ran.append(m.id)
                if on_done:
                    on_done(rec)
                left = len(todo) - len(outcome.ran) - len(outcome.failed)
                bar.update(1, running=min(nworkers, left), failed=len(outcome.failed))
            bar.close()
        finally:
            close(client, cluster)
    outcome.seconds = time.perf_counter() - t0
    if summary:
        dirs = [
            sweep.out / m.id
            for m in sweep.members
            if any((sweep.out / m.id / f).is_file() for f in (RESULTS, ERROR))
        ]
        if any(
            (d / RESULTS).is_file() for d in dirs
        ):  # failed members are listed with their errors
            outcome.summary = write_comparison(dirs, sweep.out / "summary.xlsx", swept=sweep.swept)
    return outcome


class _progress:
    """A tqdm bar (stderr) with done / running / failed and time left, or nothing."""

    def __init__(self, total: int, show: bool, skipped: int) -> None:
        self.bar = None
        if show:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                desc=f"sweep ({skipped} skipped)" if skipped else "sweep",
                unit="run",
                bar_format="{desc}: {n_fmt}/{total_fmt} done |{bar}| {postfix} [{elapsed}, {remaining} left]",
            )
            self.bar.set_postfix_str("running ?, failed 0")

    def update(self, n: int, *, running: int, failed: int) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"running {running}, failed {failed}", refresh=False)
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
