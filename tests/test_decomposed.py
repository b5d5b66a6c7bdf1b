"""The decomposed solve (planner.decomposed): Benders over representative days, on real Dask workers.

Each decomposed plan is checked against the monolithic MILP of the same data, solved by HiGHS:
its objective must be within the asked gap of the monolithic one, its bound must not exceed the
monolithic optimum (a valid lower bound), and its plan must not beat the monolithic bound (it is a
real plan). Sizes: hourly_small with 4 days (4 subproblems of ≈ 230 columns) and China with 4 days
at a 10% gap, so that the time limits are never what decides.
"""

from __future__ import annotations

import os
import signal
import threading

import openpyxl
import pyomo.environ as pyo
import pytest

import planner
from planner.data import prepare
from planner.decomposed import assemble, choose_method, solve_decomposed
from planner.decomposed.split import Splitter
from planner.model import build_model
from planner.solve import solve as solve_model

from .conftest import CHINA, ROOT

HOURLY = ROOT / "scenarios" / "hourly_small"
#: Gap asked of both methods on hourly_small; generous limits (each solve needs < 5 s here).
GAP = 1e-4
LIMIT = 300.0
#: Relative tolerance on "bound ≤ optimum" (HiGHS's own tolerances on a 7e8 CNY objective).
TOL = 1e-6


def hourly(days: int = 4, sets: list[str] | None = None) -> planner.Scenario:
    return planner.load_scenario(HOURLY, sets=[f"hourly.days={days}", *(sets or [])])


def monolithic(data: planner.PlanningData, gap: float = GAP) -> tuple[float, float, dict]:
    m = build_model(data)
    out = solve_model(m, time_limit=LIMIT, mip_gap=gap)
    assert out.status == "optimal", out.termination
    kpi = {
        "carbon": float(pyo.value(m.energy.carbon)),
        "green": float(
            sum(pyo.value(m.energy.green[k]) * data.weight[k[1]] for k in m.energy.green)
        ),
        "energy": float(pyo.value(m.energy.total_mwh)),
    }
    return float(out.objective), float(out.bound), kpi


def check(dec_obj: float, dec_bound: float, mono_obj: float, mono_bound: float, gap: float) -> None:
    """The decomposed plan is within the gap of the monolithic one and its bound is valid."""
    assert abs(dec_obj - mono_obj) <= gap * max(dec_obj, mono_obj) * (1 + TOL)
    assert dec_bound <= mono_obj * (1 + TOL)  # a valid lower bound
    assert dec_obj >= mono_bound * (1 - TOL)  # a real plan cannot beat the monolithic bound
    assert dec_bound <= dec_obj * (1 + TOL)


@pytest.fixture(scope="module")
def small() -> tuple[planner.PlanningData, tuple[float, float, dict]]:
    data = prepare(hourly())
    return data, monolithic(data)


def test_splitter_partitions_the_year(small):
    data, _ = small
    sp = Splitter(data)
    assert len(sp) == len(data.DAYS) == 4
    parts = [sp.data_of(i) for i in range(len(sp))]
    assert sorted(t for p in parts for t in p.SLICES) == sorted(data.SLICES)
    assert sum(len(p.X) for p in parts) == len(data.X)
    assert sum(len(p.Y) for p in parts) == len(data.Y)
    assert sum(len(p.UNSERVED) for p in parts) == len(data.UNSERVED)
    assert abs(sum(sum(p.weight.values()) for p in parts) - 8760) < 1e-6
    assert all(
        p.module_bound == data.module_bound for p in parts
    )  # the year's bounds, not the day's


@pytest.mark.parametrize(
    "relaxation,groups",
    [(True, None), (True, 2), (False, None)],
    ids=["partial", "partial-grouped", "cuts-only"],
)
def test_hourly_small_equals_monolithic(small, relaxation, groups):
    """``groups=2``: the three days not kept share two relaxation blocks (one of two days)."""
    data, (mono_obj, mono_bound, _) = small
    out = solve_decomposed(
        data,
        time_limit=LIMIT,
        mip_gap=GAP,
        workers=0,
        relaxation=relaxation,
        relax_groups=groups,
    )
    assert out.status == "optimal"
    check(out.objective, out.bound, mono_obj, mono_bound, GAP)
    phases = [it.phase for it in out.iterations]
    assert phases[0] == "LP" and "first plan" in phases and phases[-1] == "final"
    lbs = [it.lower_bound for it in out.iterations]
    assert all(b2 >= b1 - 1e-6 * abs(b1) for b1, b2 in zip(lbs, lbs[1:]))  # the bound never falls
    # the plan loads into the monolithic model and costs what the decomposition says
    m, outcome = assemble(data, out)
    assert abs(outcome.objective - out.objective) <= 1e-6 * out.objective
    assert outcome.cpu_s == out.cpu_s > 0  # the Summary's CPU time (was 0 for decomposed plans)


def test_policy_targets_stay_exact(small):
    """A carbon cap and a green share, both binding, shared out over the days by budget variables."""
    data, (_obj, _bound, kpi) = small
    cap = 0.9 * kpi["carbon"]
    share = min(0.95, 1.2 * kpi["green"] / kpi["energy"])
    sc = hourly(sets=[f"policy.carbon_cap={cap}", f"policy.min_green_share={share}"])
    d2 = prepare(sc)
    mono_obj, mono_bound, kpi2 = monolithic(d2)
    assert mono_obj > _obj * (1 + 1e-4)  # the targets bind: the plan costs more
    assert kpi2["carbon"] <= cap * (1 + 1e-6)
    out = solve_decomposed(d2, time_limit=LIMIT, mip_gap=GAP, workers=0)
    check(out.objective, out.bound, mono_obj, mono_bound, GAP)
    assert not out.elastic  # no target missed: the budgets share them out exactly
    m, outcome = assemble(d2, out)
    assert pyo.value(m.energy.carbon) <= cap * (1 + 1e-6)
    green = sum(pyo.value(m.energy.green[k]) * d2.weight[k[1]] for k in m.energy.green)
    assert green >= share * pyo.value(m.energy.total_mwh) * (1 - 1e-6)


def test_priced_target_matches_monolithic_slack():
    """A priced carbon cap: the days' elastic slacks add up to the monolithic slack's cost."""
    sc = hourly(sets=["policy.carbon_cap=1000", "policy.policy_slack_cost.carbon_cap=300"])
    data = prepare(sc)
    mono_obj, mono_bound, _ = monolithic(data)
    out = solve_decomposed(data, time_limit=LIMIT, mip_gap=GAP, workers=0)
    check(out.objective, out.bound, mono_obj, mono_bound, GAP)
    assert sum(out.elastic.values()) > 0  # the cap is out of reach, priced: the slack is used


@pytest.mark.slow
def test_china_four_days_equals_monolithic():
    """China with 4 days at a 10% gap: what both methods reach well inside the limit on a loaded machine.

    (At 1% the monolithic MILP needs ≈ 300 s here and the decomposition's bound closes more
    slowly still: benchmarks/decomposed.md.)
    """
    sc = planner.load_scenario(CHINA / "hourly.yaml", sets=["hourly.days=4"])
    data = prepare(sc)
    gap = 0.10
    mono_obj, mono_bound, _ = monolithic(data, gap)
    out = solve_decomposed(
        data, time_limit=3 * LIMIT, mip_gap=gap, workers=0
    )  # measured 45 CPU-s, 2.2% in 10 iterations (cuts only: 100 CPU-s, 8.9%), 2026-12-04
    assert out.status == "optimal", out.termination
    check(out.objective, out.bound, mono_obj, mono_bound, gap)


def test_same_plan_on_one_and_two_workers(small):
    data, _ = small
    one = solve_decomposed(data, time_limit=LIMIT, mip_gap=GAP, workers=1)
    two = solve_decomposed(data, time_limit=LIMIT, mip_gap=GAP, workers=2)
    assert one.workers == 1 and two.workers == 2
    assert one.x == two.x
    assert one.objective == pytest.approx(two.objective, rel=1e-9)
    assert [it.lower_bound for it in one.iterations] == pytest.approx(
        [it.lower_bound for it in two.iterations], rel=1e-9
    )
    # CPU time: the driver's, plus the subproblems' solve seconds on the workers (never 0)
    for out in (one, two):
        on_workers = sum(it.subproblem_cpu_s for it in out.iterations)
        assert on_workers > 0 and out.cpu_s >= on_workers


def test_killing_a_worker_does_not_lose_the_run(small):
    """A real local cluster; one worker process is killed (SIGKILL) after the first iteration."""
    from dask.distributed import Client, LocalCluster

    data, (mono_obj, mono_bound, _) = small
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = Client(cluster)
    killed: list[int] = []
    try:
        pids = client.run(os.getpid)

        def kill(it):
            if it.iteration == 2 and not killed:
                pid = pids[sorted(pids)[-1]]
                killed.append(pid)
                threading.Thread(target=os.kill, args=(pid, signal.SIGKILL)).start()

        out = solve_decomposed(
            data,
            time_limit=LIMIT,
            mip_gap=GAP,
            scheduler=cluster.scheduler_address,
            on_iteration=kill,
        )
    finally:
        client.close()
        cluster.close()
    assert killed
    assert out.rebuilt >= 1  # the killed worker's subproblems were built again elsewhere
    check(out.objective, out.bound, mono_obj, mono_bound, GAP)


def test_run_writes_the_iterations_sheet(tmp_path):
    out = tmp_path / "plan.xlsx"
    res = planner.run(
        hourly(), out=out, method="decomposed", workers=0, mip_gap=GAP, time_limit=LIMIT
    )
    assert res.outcome.status == "optimal"
    assert res.outcome.options["method"] == "decomposed"
    wb = openpyxl.load_workbook(out, read_only=True)
    assert "Iterations" in wb.sheetnames
    rows = list(wb["Iterations"].iter_rows(values_only=True))
    assert rows[0][:4] == ("iteration", "phase", "lower bound", "best plan")
    assert len(rows) - 1 == res.extras["decomposed"]["iterations"]
    assert rows[-1][1] == "final"
    # the cost sheet adds up to the objective, as for any plan
    assert abs(res.total_cost - res.outcome.objective) <= 1e-6 * res.outcome.objective


def test_choose_method():
    sc = hourly()
    assert choose_method(sc, "decomposed") == ("decomposed", "asked")
    assert choose_method(sc, "monolithic") == ("monolithic", "asked")
    assert choose_method(sc, "auto")[0] == "monolithic"  # 96 slices
    big = hourly(days=31)
    assert choose_method(big, "auto") == ("decomposed", "auto: 744 slices > 720")
    periods = planner.load_scenario(ROOT / "scenarios" / "tiny_periods")
    assert choose_method(periods, "decomposed")[0] == "monolithic"


def test_cli_method_option(tmp_path):
    from click.testing import CliRunner

    from planner.cli import main

    r = CliRunner().invoke(
        main,
        [
            "run",
            str(HOURLY),
            "--set",
            "hourly.days=2",
            "--method",
            "decomposed",
            "--workers",
            "0",
            "--no-report",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "decomposed   2 subproblems" in r.output
    assert "iteration   1 LP" in r.output  # the progress display (stderr, mixed in by CliRunner)
    bad = CliRunner().invoke(main, ["run", str(HOURLY), "--method", "split"])
    assert bad.exit_code == 2 and "split" in bad.output


@pytest.mark.parametrize("grouped", [False, True], ids=["per-day", "grouped"])
@pytest.mark.parametrize("allow_unserved", [True, False])
def test_master_rows_bound_every_day_from_below(allow_unserved, grouped):
    """The rows that strengthen the master (a kept day, every other day's pooled relaxation) never
    exceed a subproblem's cost: at plans from none to twice the optimum's modules, the least
    ``θ_d`` the master allows with ``x`` fixed and no cut is at most ``z_d(x)``.

    With unserved work priced (``allow_unserved``) the rows price it as the subproblems do; without,
    they forbid it, and the plans that cannot serve all work are infeasible in the master (every
    plan of the monolithic model serves it all).

    ``grouped``: the days not kept share one relaxation (``Σ_{d ∈ G} θ_d ≥ R_G(x)``, the rows
    summed hour by hour), and the least ``Σ_{d ∈ G} θ_d`` is at most ``Σ_{d ∈ G} z_d(x)``."""
    import numpy as np

    from planner.decomposed.driver import _peak_subproblems, _peaks
    from planner.decomposed.master import Master
    from planner.decomposed.subproblem import Spec, Subproblem

    data = prepare(hourly(sets=[f"policy.allow_unserved={str(allow_unserved).lower()}"]))
    mono = build_model(data)
    out = solve_model(mono, time_limit=LIMIT, mip_gap=GAP)
    assert out.status == "optimal"
    sp = Splitter(data)
    n = len(sp)
    kept = _peak_subproblems(_peaks([data], [sp], [(0, g) for g in range(n)]), 1)
    assert len(kept) == 1
    others = [i for i in range(n) if i not in kept]
    master = Master(
        data,
        n,
        {},
        {},
        [0.0] * n,
        None,
        [sp.data_of(i) for i in range(n)],
        {i: sp.data_of(i) for i in kept},
        [others] if grouped else None,
    )
    assert master.relax_rows > 0 and master.retained == kept
    assert master.relax_blocks == (1 if grouped else len(others))
    subs = [Subproblem(Spec(i, sp.data_of(i), {}, not allow_unserved)) for i in range(n)]
    best = {
        v.name: float(round(v.value))
        for v in mono.component_data_objects(pyo.Var)
        if (v.is_integer() or v.is_binary()) and v.name in master.x_cols
    }
    checked = 0
    for scale in (0.0, 0.5, 0.9, 1.0, 2.0):
        x = {
            k: min(master.upper[k], float(round(scale * v))) if "modules" in k else v
            for k, v in best.items()
        }
        z = np.array([s.solve({k: x[k] for k in s.x_cols}, {}).cost for s in subs])
        try:
            theta = master.budgets_for(x, LIMIT).theta  # the master's LP with x fixed
        except planner.SolverError:
            assert not allow_unserved, scale  # only a plan that must leave work undone is excluded
            assert sum(s.solve(x, {}).unserved_hard for s in subs) > 1e-6
            continue
        if grouped:
            for part in (kept, others):
                assert theta[part].sum() <= z[part].sum() * (1 + 1e-7) + 1e-3, (scale, theta, z)
            assert theta[others].sum() > 0  # the group's row bounds the sum (θ ≥ 0 alone)
        else:
            assert np.all(theta <= z * (1 + 1e-7) + 1e-3), (scale, theta, z)
        checked += 1
    assert checked >= (5 if allow_unserved else 2)


def test_cli_decomposed_on_dask_prints_no_dask_chatter():
    """``planner run --method decomposed`` on a real local cluster: planner's progress lines on
    stderr, none of distributed's own (scheduler, nanny, worker registration) without ``-v``."""
    import subprocess
    import sys

    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "run",
            str(HOURLY),
            "--set",
            "hourly.days=2",
            "--method",
            "decomposed",
            "--workers",
            "1",
            "--no-report",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    assert "iteration" in p.stderr and "decomposed: 1 Dask workers" in p.stderr
    chatter = [ln for ln in p.stderr.splitlines() if "distributed." in ln]
    assert not chatter, chatter[:5]


def test_master_milp_stops_once_its_bound_proves_the_gap():
    """``Master.solve(stop_at=…)``: HiGHS's MIP is interrupted as soon as its dual bound reaches
    the bound that proves the best plan within the gap, and that bound is still a valid one (at
    most the master MILP's optimum); a target above the optimum is never reached, and the solve
    is then the plain one (same optimum)."""
    from planner.decomposed.driver import _proving_bound
    from planner.decomposed.master import Master

    data = prepare(hourly())
    sp = Splitter(data)
    n = len(sp)
    master = Master(data, n, {}, {}, [0.0] * n, None, None, {i: sp.data_of(i) for i in range(n)})
    lp = master.solve(integer=False, time_limit=LIMIT, gap=0.0)
    full = master.solve(integer=True, time_limit=LIMIT, gap=0.0)
    assert full.status == "Optimal" and full.bound > lp.bound * (1 + 1e-6)  # integers matter here
    target = lp.bound  # the MIP's root reaches the LP's bound at once: it stops there
    early = master.solve(integer=True, time_limit=LIMIT, gap=0.0, stop_at=target)
    assert early.status == "bound reached"
    assert target <= early.bound <= full.bound * (1 + TOL)
    never = master.solve(integer=True, time_limit=LIMIT, gap=0.0, stop_at=2 * full.bound)
    assert never.status == "Optimal" and never.bound == pytest.approx(full.bound, rel=1e-9)
    # the least bound that proves a plan within the gap, as the driver's gap reads it
    best, gap = 1.0e9, 0.01
    lb = _proving_bound(best, gap)
    assert (best - lb) / best <= gap and (best - lb) / best > gap * (1 - 1e-9)


def test_level_set_steps_give_way_after_failures(small, monkeypatch, caplog):
    """With a level-set LP that can never be solved within its simplex limit (1 iteration), the
    LP phase tries it ``PROJECT_FAILURES`` times in a row (here 1), then takes the master's own
    points (Kelley's method) and still reaches the monolithic optimum (hourly_small, cuts only,
    gap 1e-9: an LP phase of three steps)."""
    import logging

    from planner.decomposed import driver

    data, (mono_obj, mono_bound, _) = small
    monkeypatch.setattr(driver, "PROJECT_ITERATIONS", 1)
    monkeypatch.setattr(driver, "PROJECT_FAILURES", 1)
    with caplog.at_level(logging.DEBUG, logger="planner.decomposed"):
        out = solve_decomposed(data, time_limit=LIMIT, mip_gap=1e-9, workers=0, relaxation=False)
    steps = [r for r in caplog.records if r.getMessage().startswith("level-set step: HiGHS")]
    assert len(steps) == 1 and "Optimal" not in steps[0].getMessage()
    assert any("the master's own points from here on" in r.getMessage() for r in caplog.records)
    assert sum(it.phase == "LP" for it in out.iterations) >= len(driver.START_SCALES) + 2
    check(out.objective, out.bound, mono_obj, mono_bound, GAP)


@pytest.mark.parametrize("relaxation", [True, False], ids=["partial", "cuts-only"])
def test_a_gap_of_zero_is_proven(small, relaxation):
    """``mip_gap`` 0: the LP phase stops at ``LP_GAP_FLOOR`` and the integer phase proves the
    optimum (before, the LP phase of cuts only never closed, used up 200 iterations and left a
    plan 5.6% from its bound)."""
    data, (mono_obj, mono_bound, _) = small
    out = solve_decomposed(data, time_limit=LIMIT, mip_gap=0.0, workers=0, relaxation=relaxation)
    assert out.status == "optimal" and out.gap <= 1e-9
    check(out.objective, out.bound, mono_obj, mono_bound, GAP)
