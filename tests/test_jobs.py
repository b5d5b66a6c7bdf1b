"""Work in whole jobs (docs/model.md §10, "Jobs"), on a scenario small enough to solve by hand.

One region, one slice (8760 h), sites A and B in the region, each holding at most 2 modules
(``max_modules``); modules of 1 PFLOPS at 100,000 CNY/yr (capex 500,000 over 5 years), no energy
cost; a class with no latency limit, unserved work at 20 CNY/PFLOPS·h (175,200 per PFLOPS-year).

- Demand 3 PFLOPS, no job size: 3 modules (2 + 1 or 1 + 2), 300,000 CNY/yr.
- Jobs of 1.5 PFLOPS: 2 jobs, one per site (a site holds 2 PFLOPS: one job); each needs 2 whole
  modules: 4 modules, 400,000 CNY/yr — the job is never split over A and B.
- Jobs of 3 PFLOPS: no site can hold one (2 PFLOPS at most), so the demand is unserved with that
  reason, 3 × 175,200 = 525,600 CNY/yr, nothing built.
- ``job_one_hardware``: site A has one brownfield module of each of two types (free) and
  ``max_modules: 2``; B is closed (max_modules 0). A job of 2 PFLOPS fits A only across the two
  types: allowed, it is served (0 CNY/yr); on one type it cannot run: 2 × 175,200 = 350,400 CNY/yr.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import planner
from planner.errors import ScenarioError
from planner.scenario.schema import Scenario

from .conftest import CHINA, SOLVE

U = 20 * 8760.0


def scenario(demand: float, job: float | None = None, **cls: object) -> dict:
    return {
        "name": "jobs",
        "year": 2025,
        "discount_rate": 0.0,
        "solver": {"time_limit": 60, "mip_gap": 1e-6},
        "time_slices": [{"name": "all", "weight": 8760, "day": "d1"}],
        "regions": [{"name": "r", "lat": 30.0, "lon": 110.0}],
        "sites": [
            {
                "name": n,
                "region": "r",
                "pue": 1.0,
                "price_mwh": 0,
                "grid_tco2_mwh": 0.5,
                "max_it_mw": 10,
                "max_modules": 2,
            }
            for n in ("A", "B")
        ],
        "hardware": [{"name": "acc", "pflops": 1.0, "kw": 0, "capex": 500000, "life_years": 5}],
        "job_classes": [
            {"name": "training", "unserved_cost": 20, **({"job_pflops": job} if job else {}), **cls}
        ],
        "demand": [{"class": "training", "region": "r", "pflops": demand}],
    }


def run(doc: dict) -> planner.Results:
    return planner.run(Scenario.model_validate(doc), **SOLVE)


def test_without_jobs_the_work_splits() -> None:
    res = run(scenario(3.0))
    assert res.total_cost == pytest.approx(300_000)


def test_jobs_run_whole_at_one_site() -> None:
    res = run(scenario(3.0, 1.5))
    assert res.total_cost == pytest.approx(400_000)
    assert float(res.kpi("PFLOPS installed")) == 4.0
    assert float(res.kpi("unserved demand")) == pytest.approx(0.0, abs=1e-6)
    by_site = res.placement.set_index("site")["PFLOPS·h/yr"]
    assert by_site["A"] == pytest.approx(1.5 * 8760) and by_site["B"] == pytest.approx(1.5 * 8760)


def test_a_job_that_fits_nowhere_is_unserved_with_the_reason() -> None:
    res = run(scenario(3.0, 3.0))
    assert res.total_cost == pytest.approx(3 * U)
    assert float(res.kpi("PFLOPS installed")) == 0.0
    assert res.placement.empty
    (why,) = set(res.unserved["reason"])
    assert "a job of 3 PFLOPS fits at no site" in why and "2.0 PFLOPS" in why
    assert any("fits at no site" in w for w in res.warnings)


def test_one_hardware_type_per_job() -> None:
    doc = scenario(2.0, 2.0)
    doc["hardware"] = [
        {"name": "h1", "pflops": 1.0, "kw": 0, "capex": 500000, "life_years": 5},
        {"name": "h2", "pflops": 1.0, "kw": 0, "capex": 500000, "life_years": 5},
    ]
    doc["existing_modules"] = [
        {"site": "A", "hardware": "h1", "modules": 1},
        {"site": "A", "hardware": "h2", "modules": 1},
    ]
    doc["sites"][1]["max_modules"] = 0
    assert run(doc).total_cost == pytest.approx(0.0, abs=1e-6)
    doc["job_classes"][0]["job_one_hardware"] = True
    res = run(doc)
    assert res.total_cost == pytest.approx(2 * U)


def test_jobs_that_stay_put_over_the_day() -> None:
    """Two slices of 4,380 h (day 1.5×, night 0.5× of 2 PFLOPS of work that cannot shift), jobs of
    1 PFLOPS at one site of up to 4 modules, unserved work at 40 CNY/PFLOPS·h (175,200 per PFLOPS
    of the day slice, above a module's 100,000). Moving jobs: 3 jobs by day, 1 at night; 3 modules,
    300,000. Jobs that stay put run the same count in both slices: k ≤ 1 (night demand 1), so 1 job
    all day and the 2 PFLOPS short by day are unserved: 100,000 + 2 × 175,200 = 450,400."""
    doc = scenario(2.0, 1.0)
    doc["time_slices"] = [
        {"name": "d", "weight": 4380, "day": "d1"},
        {"name": "n", "weight": 4380, "day": "d1"},
    ]
    doc["profiles"] = {"p": {"d": 1.5, "n": 0.5}}
    doc["demand"][0]["profile"] = "p"
    doc["sites"] = doc["sites"][:1]
    doc["sites"][0]["max_modules"] = 4
    doc["job_classes"][0]["unserved_cost"] = 40
    assert run(doc).total_cost == pytest.approx(300_000)
    doc["job_classes"][0]["job_moves"] = False
    assert run(doc).total_cost == pytest.approx(100_000 + 2 * 4380 * 40)


def remainder_case() -> dict:
    """Shiftable training of 1.75 PFLOPS over a day of two 4,380-h slices, jobs of 1 PFLOPS, one
    site of up to 4 modules (100,000 CNY/yr each), unserved work at 50 CNY/PFLOPS·h.

    The day's work is 3.5 job-slices (1.75 × 8760 / 4380): at most 3 whole ones run. The optimum:
    2 jobs in one slice and 1 in the other, 2 modules, the half job-slice unserved: 200,000 + 0.5 ×
    4380 × 50 = 309,500 (1 module: 100,000 + 1.5 × 219,000 = 428,500; none: 3.5 × 219,000 =
    766,500). The relaxation without the cut serves everything on 1.75 modules (175,000); with the
    cut ``k_a + k_b ≤ ⌊3.5⌋ = 3`` it serves 3 job-slices on 1.5 modules: 150,000 + 109,500 = 259,500.
    With the room cover (MIR) cut too, ``R + V/(8760 × 0.5) ≥ ⌈13,140/8,760⌉ = 2`` (``R`` the site's
    room in jobs, ``V`` unserved work beyond the 2,190 PFLOPS·h no whole job can do), a room of 1.5
    costs 2,190 PFLOPS·h more of unserved work (109,500) against 50,000 of modules, so the
    relaxation takes ``R = 2``: 200,000 + 109,500 = 309,500, the optimum.
    The old start rounded each slice's 1.75 jobs down (1 + 1) and was 428,500 after trimming.
    """
    doc = scenario(1.75, 1.0, shiftable=True)
    doc["job_classes"][0]["unserved_cost"] = 50
    doc["time_slices"] = [
        {"name": "a", "weight": 4380, "day": "d1"},
        {"name": "b", "weight": 4380, "day": "d1"},
    ]
    doc["sites"] = doc["sites"][:1]
    doc["sites"][0]["max_modules"] = 4
    return doc


def test_the_relaxation_cannot_serve_a_fraction_of_a_job() -> None:
    res = planner.run(Scenario.model_validate(remainder_case()), relax=True, **SOLVE)
    assert res.total_cost == pytest.approx(309_500)  # 259,500 without the room cover cut


def test_whole_jobs_start_is_the_optimum_without_branch_and_bound() -> None:
    sc = Scenario.model_validate(remainder_case())
    m = planner.build_model(planner.prepare(sc))
    # the start alone is within 20% of the LP bound (259,500): accepted without branch and bound
    out = planner.solve(m, time_limit=60, mip_gap=0.2, max_plan_gap=0.2)
    assert out.status == "optimal"
    assert out.mip_start_objective == pytest.approx(309_500)
    assert out.objective == pytest.approx(309_500) and out.solve_s == 0.0  # no branch and bound
    assert sorted(round(v.value) for v in m.placement.jobs.values()) == [1, 2]
    assert sum(round(v.value) for v in m.sizing.modules.values()) == 2
    assert run(remainder_case()).total_cost == pytest.approx(309_500)


@pytest.mark.slow
def test_china_training_in_whole_jobs_plans_within_its_gap() -> None:
    """China ``--variant one_future --variant training_jobs``: every whole job-hour is served,
    only the fraction of a job each origin's daily work leaves is unserved, nothing is split.

    Daily training work per origin (PFLOPS × 24 h) over 3,200-PFLOPS job-hours: Beijing 43.44,
    Chengdu 10.5, Hangzhou 13.5, Shanghai 31.5, Shenzhen 27, Wuhan 9.6, Xi'an 3.36; what is left
    over is 1,408 + 1,600 × 3 + 0 + 1,920 + 1,152 = 9,280 PFLOPS·h a day, × 365 = 3,387,200
    PFLOPS·h/yr (16.94 bn CNY/yr at 5,000 CNY/PFLOPS·h)."""
    sc = planner.load_scenario(CHINA, variants=["one_future", "training_jobs"])
    res = planner.run(sc, time_limit=240, mip_gap=0.01, threads=1)
    assert res.outcome.ok and res.outcome.gap is not None and res.outcome.gap <= 0.01
    training = res.unserved[res.unserved["class"] == "training"]
    assert training["PFLOPS·h/yr"].sum() == pytest.approx(3_387_200, rel=1e-6)
    placed = res.placement[res.placement["class"] == "training"]
    jobs = placed["PFLOPS·h/yr"] / (3200 * 365)  # job-hours a day per (origin, site): whole
    assert (jobs - jobs.round()).abs().max() < 1e-6


def cards_case(demand: float) -> dict:
    """Jobs of 8 cards on two types of 8-card modules: ``small`` 1 PFLOPS (0.125 per card, 100,000
    CNY/yr) and ``big`` 2 PFLOPS (0.25 per card, 150,000 CNY/yr). A job is 1 PFLOPS on small, 2 on
    big. Demand 2: one job on one big module, 150,000 (two small: 200,000). Demand 1.5: a big job
    would do more than the demand, so one small job and 0.5 PFLOPS unserved: 100,000 + 0.5 × 175,200
    = 187,600 (nothing: 1.5 × 175,200 = 262,800)."""
    doc = scenario(demand)
    doc["hardware"] = [
        {"name": "small", "pflops": 1.0, "cards": 8, "kw": 0, "capex": 500000, "life_years": 5},
        {"name": "big", "pflops": 2.0, "cards": 8, "kw": 0, "capex": 750000, "life_years": 5},
    ]
    doc["job_classes"][0]["job_cards"] = 8
    return doc


def test_job_size_in_cards_depends_on_the_hardware() -> None:
    sc = Scenario.model_validate(cards_case(2.0))
    assert planner.prepare(sc).job_card_size == {
        ("training", "small"): 1.0,
        ("training", "big"): 2.0,
    }
    res = run(cards_case(2.0))
    assert res.total_cost == pytest.approx(150_000)
    assert {h: n for h, n in res.hardware.groupby("hardware")["modules"].sum().items() if n} == {
        "big": 1
    }
    res = run(cards_case(1.5))
    assert res.total_cost == pytest.approx(100_000 + 0.5 * U)
    assert {h: n for h, n in res.hardware.groupby("hardware")["modules"].sum().items() if n} == {
        "small": 1
    }


def test_a_job_in_cards_that_fits_nowhere_is_unserved_with_the_reason() -> None:
    doc = cards_case(2.0)
    doc["job_classes"][0]["job_cards"] = 24  # a site holds 2 modules: 16 cards
    res = run(doc)
    assert res.total_cost == pytest.approx(2 * U)
    (why,) = set(res.unserved["reason"])
    assert "a job of 24 cards fits at no site" in why and "16.0 cards" in why


@pytest.mark.parametrize(
    "change, place, words",
    [
        (
            ("job_classes", "job_pflops", 3.0),
            "scenario.yaml › job_classes › row 2 › job_cards",
            "give the job size once: job_pflops (3) or job_cards (16), not both",
        ),
        (
            ("hardware", "cards", None),
            "scenario.yaml › hardware › row 1 › cards",
            "unknown: job class 'training' states its job size in cards (job_cards 16)",
        ),
        (
            ("job_classes", "job_cards", 0),
            "scenario.yaml › job_classes › row 2 › job_cards",
            "must be > 0",
        ),
        (
            ("hardware", "cards", -8),
            "scenario.yaml › hardware › row 1 › cards",
            "must be > 0",
        ),
    ],
)
def test_job_cards_mistakes_are_placed(
    tiny_copy: Path, change: tuple[str, str, object], place: str, words: str
) -> None:
    path = tiny_copy / "scenario.yaml"
    text = path.read_text()
    text = text.replace("domestic: true}", "domestic: true, cards: 8}")
    text = text.replace(
        "shiftable: true, unserved_cost: 10000}",
        "shiftable: true, unserved_cost: 10000, job_cards: 16}",
    )
    table, field, value = change
    if table == "hardware" and value is None:
        text = text.replace(", cards: 8}", "}")
    elif table == "hardware":
        text = text.replace("cards: 8}", f"cards: {value}}}")
    elif field == "job_pflops":
        text = text.replace("job_cards: 16}", f"job_cards: 16, job_pflops: {value}}}")
    else:
        text = text.replace("job_cards: 16}", f"job_cards: {value}}}")
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        planner.load_scenario(tiny_copy)
    assert f"{place}: {words}" in str(info.value), str(info.value)
    assert len(info.value.problems) == 1, str(info.value)


def futures_case() -> dict:
    """:func:`remainder_case` over two futures of probability 0.5: ``high`` its demand (3.5
    job-slices a day, 3 whole), ``low`` 4/7 of it (1 PFLOPS: 2 job-slices, both whole). The site's
    modules are shared. 2 modules: high runs 2 + 1 jobs (2,190 PFLOPS·h unserved, 109,500), low
    1 + 1: 200,000 + 0.5 × 109,500 = 254,750; 1 module: 100,000 + 0.5 × 1.5 × 219,000 = 264,250;
    3 modules: 300,000 + 54,750. The optimum is 254,750. Without the room cover cut the relaxation
    buys 1.5 modules, which high's 1.5 jobs per slice need: 150,000 + 54,750 = 204,750. With it,
    high's rooms ``R ≥ 2`` (``f = 0.5``: a half room would cost 2,190 PFLOPS·h more, 109,500 ×
    0.5, against 50,000 of modules) and ``S R ≤`` the shared modules: the relaxation is 254,750."""
    doc = remainder_case()
    doc["futures"] = [
        {"name": "high", "probability": 0.5, "scale": 1.0},
        {"name": "low", "probability": 0.5, "scale": 4 / 7},
    ]
    return doc


def test_whole_jobs_over_futures_start_is_the_optimum_without_branch_and_bound() -> None:
    from planner.horizon.futures import prepare_futures
    from planner.model.futures import build_futures_model

    fd = prepare_futures(Scenario.model_validate(futures_case()))
    relaxed = planner.solve(build_futures_model(fd), relax=True, time_limit=60)
    assert relaxed.objective == pytest.approx(254_750)  # 204,750 without the room cover cut
    m = build_futures_model(fd)
    out = planner.solve(m, time_limit=60, mip_gap=1e-6)
    assert out.status == "optimal" and out.solve_s == 0.0  # the start alone, no branch and bound
    assert out.objective == pytest.approx(254_750)
    assert sum(round(v.value) for v in m.future["high"].sizing.modules.values()) == 2
    high = sorted(round(v.value) for v in m.future["high"].placement.jobs.values())
    assert high == [1, 2] and sorted(
        round(v.value) for v in m.future["low"].placement.jobs.values()
    ) == [1, 1]


def test_jobs_in_cards_of_two_sizes_mix_to_fill_the_demand() -> None:
    """:func:`cards_case` with demand 3 PFLOPS: jobs of 1 PFLOPS on ``small``, 2 on ``big``. Whole
    jobs that fill 3 without exceeding it: one big and one small (250,000), or three small
    (300,000); one big and 1 PFLOPS unserved is 150,000 + 175,200 = 325,200. The optimum:
    250,000. The old cut (the smallest job as unit, ``k_small + 2 k_big ≤ 3``) let the relaxation
    run 1.5 big jobs on 1.5 big modules (225,000), and the old start rounded that down to one big
    job (325,200). With the row of the big size, ``k_big ≤ ⌊3/2⌋ = 1``, the relaxation is the
    optimum, and the start (one big, one small: the mix that fills the demand) is accepted
    without branch and bound."""
    sc = Scenario.model_validate(cards_case(3.0))
    relaxed = planner.run(sc, relax=True, **SOLVE)
    assert relaxed.total_cost == pytest.approx(250_000)  # 225,000 with the old cut
    m = planner.build_model(planner.prepare(sc))
    out = planner.solve(m, time_limit=60, mip_gap=1e-6)
    assert out.status == "optimal" and out.solve_s == 0.0
    assert out.mip_start_objective == pytest.approx(250_000)  # 325,200 from the old start
    by_type: dict[str, int] = {}
    for (_j, _r, _s, h, _t), v in m.placement.card_jobs.items():
        by_type[h] = by_type.get(h, 0) + round(v.value)
    assert by_type == {"small": 1, "big": 1}


def mixed_sizes_case() -> dict:
    """Jobs of 8 cards on ``small`` (3 PFLOPS per 8-card module, 100,000 CNY/yr) and ``big`` (5
    PFLOPS, 120,000 CNY/yr): a job is 3 PFLOPS on small, 5 on big; demand 7 PFLOPS. Whole jobs
    that fit within 7: two small (6, one module each: 200,000 + 1 PFLOPS unserved 175,200 =
    375,200), one big (5: 120,000 + 2 × 175,200 = 470,400), one small (100,000 + 4 × 175,200).
    The optimum is 375,200. The rows of each size (``m_s + m_b ≤ 2``, ``m_b ≤ 1``) and the
    best-fill row (``3 m_s + 5 m_b ≤ 6``) let the relaxation run one big job and a third of a
    small one (6 PFLOPS, the big job's work being cheaper): 120,000 + 33,333 + 175,200 = 328,533.
    The hull of the fills ``{3 m_s + 5 m_b ≤ 7}`` has the vertices (0, 0), (2, 0) and (0, 1), so
    its facet ``m_s + 2 m_b ≤ 2`` keeps the relaxation to mixes of those: 375,200, the optimum."""
    doc = scenario(7.0)
    doc["hardware"] = [
        {"name": "small", "pflops": 3.0, "cards": 8, "kw": 0, "capex": 500000, "life_years": 5},
        {"name": "big", "pflops": 5.0, "cards": 8, "kw": 0, "capex": 600000, "life_years": 5},
    ]
    doc["job_classes"][0]["job_cards"] = 8
    return doc


def test_the_hull_of_the_fills_keeps_the_relaxation_to_whole_job_mixes() -> None:
    from planner.model.jobs import _fill_hull

    assert _fill_hull([3.0, 5.0], 7.0) == [((1, 2), 2)]
    # China, Chengdu: 33,600 PFLOPS·h a day of 1,480- and 3,200-PFLOPS job-hours: whole jobs do
    # 33,480 (1 and 10) or 33,520 (14 and 4); the facet through both is 6 m_1480 + 13 m_3200 ≤ 136
    assert ((6, 13), 136) in (_fill_hull([1480.0, 3200.0], 33600.0) or [])
    sc = Scenario.model_validate(mixed_sizes_case())
    assert planner.run(sc, relax=True, **SOLVE).total_cost == pytest.approx(375_200)  # 328,533
    res = run(mixed_sizes_case())
    assert res.total_cost == pytest.approx(375_200)
    assert {h: n for h, n in res.hardware.groupby("hardware")["modules"].sum().items() if n} == {
        "small": 2
    }


def test_a_type_that_can_hold_no_job_is_no_size_of_the_rows() -> None:
    """:func:`mixed_sizes_case` with two more types, ``old1`` and ``old2``: 4-card modules of 0.5
    and 1 PFLOPS (a job of 8 cards is 1 and 2 PFLOPS on them), one brownfield module of each at a
    site of their own (``max_modules`` 2), no more to buy: neither can ever hold a job of 8 cards
    (as the old 910 pods of China, 124 in all against the 157 of a job). Counted as sizes, their
    jobs made every fill of 7 possible (``7 = 1 + 3 + 3``), so there was no best-fill row, and with
    four sizes no hull: the relaxation ran a big job and two thirds of a small one, 186,667. Their
    columns can only be 0, so the rows leave them out: two sizes, the hull's facet, and the
    relaxation is the optimum, 375,200."""
    doc = mixed_sizes_case()
    for name, pf in (("old1", 0.5), ("old2", 1.0)):
        doc["hardware"].append(
            {
                "name": name,
                "pflops": pf,
                "cards": 4,
                "kw": 0,
                "capex": 100000,
                "life_years": 5,
                "available_to": 2020,
            }
        )
    doc["sites"].append({**doc["sites"][0], "name": "C", "max_modules": 2})
    doc["existing_modules"] = [
        {"site": "C", "hardware": "old1", "modules": 1},
        {"site": "C", "hardware": "old2", "modules": 1},
    ]
    sc = Scenario.model_validate(doc)
    assert planner.prepare(sc).job_card_size[("training", "old2")] == 2.0
    assert planner.run(sc, relax=True, **SOLVE).total_cost == pytest.approx(375_200)  # 186,667
    assert run(doc).total_cost == pytest.approx(375_200)


def whole_room_case() -> dict:
    """:func:`mixed_sizes_case`'s types (jobs of 3 PFLOPS on ``small``, 5 on ``big``, one module
    each, 100,000 and 120,000 CNY/yr) over a day of two 4,380-h slices, shiftable training of 5.5
    PFLOPS (11 job-slots' worth of 1 PFLOPS: 5 + 3 + 3), one site of up to 4 modules, unserved work
    at 20 CNY/PFLOPS·h (87,600 per PFLOPS in a slice). Whole plans: one big module running a job in
    both slots (10 of the 11) and 1 unserved: 120,000 + 87,600 = 207,600, the optimum; one big and
    one small module for the exact fill (two small jobs and one big): 220,000; small modules only
    (9 of 11 on two modules): 200,000 + 175,200. The relaxation runs the exact fill with half a big
    job in each slot: 100,000 + 60,000 = 160,000."""
    doc = mixed_sizes_case()
    doc["demand"][0]["pflops"] = 5.5
    doc["job_classes"][0].update(shiftable=True, job_moves=True)
    doc["time_slices"] = [
        {"name": "a", "weight": 4380, "day": "d1"},
        {"name": "b", "weight": 4380, "day": "d1"},
    ]
    doc["sites"] = doc["sites"][:1]
    doc["sites"][0]["max_modules"] = 4
    return doc


def test_the_room_dive_buys_a_whole_room_and_fills_it() -> None:
    """The relaxation's half room of ``big`` is a whole module in any plan. The room dive
    (``planner.solve._room_dive``) re-solves the relaxation with the big rooms fixed at 0 and at 1:
    with none, 9 of the 11 job-slots on 1.5 small modules (150,000 + 175,200); with one, the
    relaxation fills it (a big job in both slots, 207,600): that room is kept, and the start is
    the optimum. The packing alone (the earlier start) rounded the relaxation's mix, one big job
    and two small ones, into one room of each: 220,000."""
    sc = Scenario.model_validate(whole_room_case())
    assert planner.run(sc, relax=True, **SOLVE).total_cost == pytest.approx(160_000)
    m = planner.build_model(planner.prepare(sc))
    out = planner.solve(m, time_limit=60, mip_gap=1e-6)
    assert out.mip_start_objective == pytest.approx(207_600)  # 220,000 from the packing alone
    assert out.status == "optimal" and out.objective == pytest.approx(207_600)
    by_type: dict[str, int] = {}
    for (_j, _r, _s, h, _t), v in m.placement.card_jobs.items():
        by_type[h] = by_type.get(h, 0) + round(v.value)
    assert by_type == {"small": 0, "big": 2}
