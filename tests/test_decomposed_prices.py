"""A decomposed plan's price of compute: the same tables as the monolithic plan's (planner.prices).

Both come from the duals of the LP with the plan's integers fixed; on hourly_small (4 days) and
tiny_futures the two methods reach the same investments, so the prices must agree row for row.
"""

from __future__ import annotations

import highspy
import pandas as pd
import pytest

import planner

from .conftest import ROOT

OPTS = {"time_limit": 120, "mip_gap": 1e-4}


def both(sc: planner.Scenario) -> tuple[planner.Results, planner.Results]:
    mono = planner.run(sc, method="monolithic", **OPTS)
    # as in a fresh process (``planner run --method decomposed``): HiGHS's global scheduler not
    # started, so the first solve (the master's, one thread) starts it
    highspy.Highs.resetGlobalScheduler(True)
    dec = planner.run(sc, method="decomposed", workers=0, **OPTS)
    return mono, dec


def same_tables(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) and list(a.columns) == list(b.columns) and len(a) == len(b)
    for c in a.columns:
        if pd.api.types.is_numeric_dtype(a[c]):
            assert a[c].to_numpy() == pytest.approx(b[c].to_numpy(), rel=1e-5, abs=1e-6), c
        else:
            assert list(a[c]) == list(b[c]), c


@pytest.mark.parametrize(
    "scenario, sets",
    [
        ("hourly_small", ["hourly.days=4"]),
        ("tiny_futures", []),
        # two threads for the fixed LP after the one-thread master and subproblems in this
        # process: HiGHS's global scheduler, started with one thread, refused the two-thread
        # solve at once (no duals), what left China by the hour (threads: 2) without prices
        ("hourly_small", ["hourly.days=4", "solver.threads=2"]),
    ],
    ids=["hourly_small", "tiny_futures", "hourly_small-2-threads"],
)
def test_decomposed_prices_are_the_monolithic_ones(scenario: str, sets: list[str]) -> None:
    sc = planner.load_scenario(ROOT / "scenarios" / scenario, sets=sets)
    mono, dec = both(sc)
    assert dec.extras.get("decomposed"), "the decomposed method ran"
    assert dec.total_cost == pytest.approx(mono.total_cost, rel=1e-5)
    assert set(dec.prices) == set(mono.prices) == {"region", "site", "demand"}
    for name in ("region", "site", "demand"):
        same_tables(mono.prices[name], dec.prices[name])
