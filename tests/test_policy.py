"""Policy levers, explained infeasibility and the value of the network, on the tiny scenario.

Hand arithmetic uses the unit costs of tests/test_tiny.py (base optimum 4,061,280 CNY/yr; east 3 and
west 3 modules; energy 7,095.6 MWh/yr; carbon 3,942 t/yr). With ``idle_frac = 0`` the optimum is
3,688,240 (east 3 modules for inference, all training on 4 west modules); there one PFLOPS·h of
training costs 90 CNY of energy in the east and 36 in the west (54 apart).
"""

from __future__ import annotations

import pytest

from planner import InfeasibleError

from .conftest import doc_of, tweak
from .conftest import solve as run

pytestmark = pytest.mark.solve

BASE = 4_061_280.0
NO_IDLE = 3_688_240.0


def policy(sc, **kw):
    return tweak(sc, "policy", **kw)


def row(res, lever, scope=None):
    p = res.policy
    p = p[p["lever"] == lever]
    if scope is not None:
        p = p[p["scope"] == scope]
    assert len(p) == 1, res.policy
    return p.iloc[0]


@pytest.fixture
def green_w(tiny):
    """site_w may buy half its energy green at 10 CNY/MWh above its price (0.5 t/MWh saved: 20 CNY/t)."""
    return tweak(tiny, "sites", "site_w", green_share_max=0.5, green_premium_mwh=10)


def test_carbon_cap_binds_at_its_abatement_cost(green_w):
    """Cap 3,900 t: 42 t to cut; cheapest is 84 MWh of green power at site_w (+840 CNY, 20 CNY/t)."""
    res = run(policy(green_w, carbon_cap=3900))
    assert res.kpi("carbon") == pytest.approx(3900, rel=1e-6)
    assert res.outcome.objective == pytest.approx(BASE + 840, rel=1e-7)
    r = row(res, "carbon_cap")
    assert r["binding"] and r["shadow price CNY/yr per slack unit"] == pytest.approx(20, rel=1e-6)


def test_carbon_cap_slack_is_priced(green_w):
    """Cap 0 t with 100 CNY per t missed: all green bought (20 CNY/t), the rest is slack; costs reconcile."""
    res = run(policy(green_w, carbon_cap=0, policy_slack_cost={"carbon_cap": 100}))
    r = row(res, "carbon_cap")
    assert r["slack used"] == pytest.approx(res.kpi("carbon"), rel=1e-6)
    assert res.costs.set_index("term").loc["policy_slack_cost", "CNY/yr"] == pytest.approx(
        100 * r["slack used"], rel=1e-6
    )
    assert res.costs["CNY/yr"].sum() == pytest.approx(res.outcome.objective, rel=1e-9)


def test_min_green_share_overall_and_by_tag(green_w):
    """10% of 7,095.6 MWh green at 10 CNY/MWh: +7,095.6; by tag west (site_w) 50% of 3,153.6 MWh: +15,768."""
    res = run(policy(green_w, min_green_share=0.1))
    assert res.kpi("green share") == pytest.approx(0.1, rel=1e-6)
    assert res.outcome.objective == pytest.approx(BASE + 7_095.6, rel=1e-7)
    assert row(res, "min_green_share")["shadow price CNY/yr per slack unit"] == pytest.approx(
        10, rel=1e-6
    )
    sc = tweak(green_w, "sites", "site_w", tags=["west"])
    res = run(policy(sc, min_green_share_by_tag={"west": 0.5}))
    assert res.outcome.objective == pytest.approx(BASE + 15_768, rel=1e-7)


def test_pue_cap_by_tag_closes_a_site(tiny):
    """site_w (PUE 1.2) above a west cap of 1.1 cannot open: all training in the east, 5,330,400."""
    sc = tweak(tiny, "sites", "site_w", tags=["west"])
    res = run(policy(sc, pue_max_by_tag={"west": 1.1}))
    assert res.outcome.objective == pytest.approx(5_330_400, rel=1e-9)
    assert not bool(res.sites.set_index("site").loc["site_w", "open"])
    assert row(res, "pue_max", "site_w")["target value"] == 1.1


def test_budget(tiny):
    """New capital 4.5 M CNY unconstrained; at 4.0 M the west (1.5 M + 3 modules) no longer fits: 6 east modules."""
    res = run(policy(tiny, budget=4_000_000))
    assert res.outcome.objective == pytest.approx(5_330_400, rel=1e-9)
    assert row(res, "budget")["achieved"] <= 4_000_000 + 1e-6


def _two_hardware(tiny):
    doc = doc_of(tiny)
    doc["hardware"][0]["domestic"] = False
    doc["hardware"].append(
        {**doc["hardware"][0], "name": "dom", "domestic": True, "capex": 600_000}
    )
    return type(tiny).model_validate(doc)


def test_domestic_share_installed_and_per_class(tiny):
    """A domestic twin of acc costing 20 k CNY/yr more per module. 50% of installed PFLOPS: 3 of 6
    modules domestic, +60,000. Training 100% domestic: the 3 west and 2 of the east modules, +100,000."""
    sc = _two_hardware(tiny)
    assert run(sc).outcome.objective == pytest.approx(BASE, rel=1e-9)
    res = run(policy(sc, domestic_min_share=0.5))
    assert res.outcome.objective == pytest.approx(BASE + 60_000, rel=1e-9)
    assert row(res, "domestic_min_share")["achieved"] == pytest.approx(0.5)
    res = run(tweak(sc, "job_classes", "training", domestic_min_share=1.0))
    assert res.outcome.objective == pytest.approx(BASE + 100_000, rel=1e-9)


def test_min_utilisation(tiny):
    """No idle power: site_e runs at 2/3 on average; 70% needs 876 more PFLOPS·h of training there (54 CNY each)."""
    sc = tweak(tiny, "hardware", "acc", idle_frac=0.0)
    res = run(policy(sc, min_utilisation=0.7))
    assert res.outcome.objective == pytest.approx(NO_IDLE + 876 * 54, rel=1e-9)
    r = row(res, "min_utilisation", "site_e")
    assert r["achieved"] == pytest.approx(0.7, rel=1e-6) and r["binding"]
    assert r["shadow price CNY/yr per slack unit"] == pytest.approx(54, rel=1e-6)


def test_remote_and_local_shares(tiny):
    """No idle power: the east sends 35,040 of its 52,560 PFLOPS·h west (2/3). At most 60% remote, or at
    least 40% local: 3,504 PFLOPS·h come back to the east's night spare, 54 CNY each."""
    sc = tweak(tiny, "hardware", "acc", idle_frac=0.0)
    for lever in ({"max_remote_share": 0.6}, {"min_local_share": 0.4}):
        res = run(policy(sc, **lever))
        assert res.outcome.objective == pytest.approx(NO_IDLE + 3_504 * 54, rel=1e-9), lever


def test_min_hub_share(tiny):
    """site_e is the hub; 60% of new PFLOPS there: east 4, west 2 (the power-envelope plan), 4,534,320."""
    sc = tweak(tiny, "sites", "site_e", tags=["hub"])
    res = run(policy(sc, min_hub_share=0.6))
    assert res.outcome.objective == pytest.approx(4_534_320, rel=1e-9)
    assert row(res, "min_hub_share")["achieved"] >= 0.6 - 1e-9


def test_resilience_survives_each_site_outage(tiny):
    """Inference allowed at 20 ms (no bandwidth): with N-1 over sites, removing either site leaves enough
    installed capacity at the other for all inference in every slice; the cost of resilience is reported."""
    sc = tweak(tiny, "job_classes", "inference", max_latency_ms=20)
    sc = tweak(
        sc, "sites", "site_w", max_it_mw=0.2
    )  # west holds at most 2 modules: not enough alone
    with pytest.raises(InfeasibleError, match="resilience"):
        run(policy(sc, resilience="sites"))
    sc = tweak(sc, "sites", "site_w", max_it_mw=10)
    res = run(policy(sc, resilience="sites"))
    cap = res.sites.set_index("site")["PFLOPS"]
    peak_inference = 3.0
    for out in ("site_e", "site_w"):
        assert cap.drop(out).sum() >= peak_inference - 1e-9
    assert res.extras["resilience cost CNY/yr"] >= -1e-6


def test_infeasibility_is_explained(tiny, green_w):
    with pytest.raises(InfeasibleError) as info:  # inference can only run at site_e
        run(policy(tiny, resilience="sites"))
    assert (
        "class 'inference' of region 'east' has no site within its latency limit once site 'site_e' is out of "
        "service (it can only be served at site 'site_e')"
    ) in str(info.value)
    # idle power of 3 existing east modules alone emits 3 × 394.2 t: a 100 t cap cannot hold even with
    # every job left undone (a cap that unserved work can meet is a plan with unserved demand instead)
    doc = doc_of(green_w)
    doc["existing_modules"] = [{"site": "site_e", "hardware": "acc", "modules": 3}]
    with pytest.raises(InfeasibleError) as info:
        run(policy(type(green_w).model_validate(doc), carbon_cap=100))
    msg = str(info.value)
    assert "closest plan reaches 1,183 tCO2/yr" in msg
    assert (
        "carbon ≤ 100 tCO2/yr: out of reach; the closest plan reaches" in msg and "short by" in msg
    )
    with pytest.raises(InfeasibleError, match="no domestic hardware"):
        run(policy(tweak(tiny, "hardware", "acc", domestic=False), domestic_min_share=0.5))


def test_network_value(tiny):
    """Isolated: no link, all training in the east (5,330,400); the network saves 1,269,120 CNY/yr.
    Local-first at 50%: the east already hosts exactly half its work, so it costs nothing."""
    res = run(tiny, compare=("isolated", "local-first"), local_share=0.5)
    t = res.comparison.set_index("metric")
    assert t.loc["total cost", "networked"] == pytest.approx(BASE)
    assert t.loc["total cost", "isolated"] == pytest.approx(5_330_400)
    assert t.loc["total cost", "isolated − networked"] == pytest.approx(1_269_120)
    assert t.loc["total cost", "local-first"] == pytest.approx(BASE)
    assert "saves 1.27 M CNY a year" in res.headline and "31.2% more" in res.headline


def test_policy_and_network_sheets_read_back(tiny, green_w, tmp_path):
    import openpyxl
    import pandas as pd

    out = tmp_path / "p.xlsx"
    run(policy(green_w, carbon_cap=3900), compare=("isolated",), out=out)
    wb = openpyxl.load_workbook(out)
    names = wb.sheetnames
    assert names.index("Policy") == names.index("Costs") + 1 and "Network value" in names
    pol = pd.read_excel(out, sheet_name="Policy", nrows=1)
    assert pol.loc[0, "lever"] == "carbon_cap" and pol.loc[
        0, "shadow price CNY/yr per slack unit"
    ] == pytest.approx(20)
    nv = wb["Network value"]
    # the carbon cap leaves work unserved: against the isolated plan, like with like per PFLOPS·h served
    assert (
        nv["A2"].value.startswith("Against every region serving itself, which leaves")
        and "per PFLOPS·h served" in nv["A2"].value
    )
    assert nv._charts
    assert nv["A2"].value in [wb["Summary"].cell(r, 1).value for r in range(2, 9)]


def test_cli_compare_and_infeasible_exit_2(tiny_copy):
    import subprocess
    import sys

    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner.cli",
            "run",
            str(tiny_copy),
            "--no-report",
            "-q",
            "--compare",
            "isolated",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert (
        "network      Against every region serving itself, the network saves 1.27 M CNY" in p.stdout
    )
    y = tiny_copy / "scenario.yaml"
    y.write_text(
        y.read_text().replace("objective: cost", "objective: cost\npolicy: {resilience: sites}")
    )
    p = subprocess.run(
        [sys.executable, "-m", "planner.cli", "run", str(tiny_copy), "--no-report", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (
        p.returncode == 2
        and "can only be served at site 'site_e'" in p.stderr
        and "Traceback" not in p.stderr
    )


def test_link_resilience_pays_for_a_detour(tiny):
    """site_e holds 2 modules, so 1 PFLOPS of daytime inference (20 ms, 1 Gbps per PFLOPS) must cross to
    the west. Links: east–west direct (50 k per unit) and a detour east–mid–west (30 k + 30 k). The plan
    uses the direct link; N-1 over links adds one unit on each detour link, so resilience costs 60,000."""
    doc = doc_of(tiny)
    doc["regions"].append({"name": "mid", "lat": 34.0, "lon": 113.0})
    doc["links"] += [
        {
            "from": "east",
            "to": "mid",
            "latency_ms": 5,
            "unit_gbps": 100,
            "unit_cost": 30_000,
            "max_units": 4,
        },
        {
            "from": "mid",
            "to": "west",
            "latency_ms": 5,
            "unit_gbps": 100,
            "unit_cost": 30_000,
            "max_units": 4,
        },
    ]
    for j in doc["job_classes"]:
        if j["name"] == "inference":
            j.update(max_latency_ms=20, gbps_per_pflops=1)
    sc = tweak(type(tiny).model_validate(doc), "sites", "site_e", max_it_mw=0.2)
    base = run(sc)
    assert list(base.links["units"]) == [1, 0, 0]
    res = run(policy(sc, resilience="links"))
    assert list(res.links["units"]) == [1, 1, 1]
    assert res.extras["resilience cost CNY/yr"] == pytest.approx(60_000, rel=1e-9)
    assert res.outcome.objective == pytest.approx(base.outcome.objective + 60_000, rel=1e-9)
    # with only the direct link, losing it leaves the east short: explained, exit code 2 in the CLI
    doc["links"] = doc["links"][:1]
    sc = tweak(type(tiny).model_validate(doc), "sites", "site_e", max_it_mw=0.2)
    with pytest.raises(
        InfeasibleError,
        match=r"without link east-west, class inference of east in slice day is served",
    ):
        run(policy(sc, resilience="links"))


def test_unservable_demand_names_region_class_slice_and_limit(tiny):
    """All demand must be served: with site_e capped at 2 modules, 1 PFLOPS of daytime inference cannot be;
    with inference allowed west over a link too small for it, the saturated link is named too."""
    sc = policy(tweak(tiny, "sites", "site_e", max_it_mw=0.2), allow_unserved=False)
    with pytest.raises(InfeasibleError) as info:
        run(sc)
    assert (
        "class inference of region east in slice day: 1 PFLOPS cannot be served — site_e: power envelope full (0.2 MW)"
        in str(info.value)
    )
    sc = tweak(
        tweak(sc, "job_classes", "inference", max_latency_ms=20, gbps_per_pflops=200),
        "links",
        None,
        max_units=1,
    )
    with pytest.raises(InfeasibleError) as info:
        run(sc)
    assert "links at their most units in day: east-west" in str(info.value)
    assert (
        run(policy(sc, allow_unserved=True)).kpi("unserved demand") > 0
    )  # priced slack again: a plan


def _slack_cases(tiny):
    green = tweak(tiny, "sites", "site_w", green_share_max=0.5, green_premium_mwh=10)
    no_idle = tweak(tiny, "hardware", "acc", idle_frac=0.0)
    hub = tweak(tiny, "sites", "site_e", tags=["hub"])
    two = _two_hardware(tiny)
    doc = doc_of(tiny)
    for j in doc["job_classes"]:
        if j["name"] == "inference":
            j.update(max_latency_ms=20, gbps_per_pflops=1)
    one_link = tweak(type(tiny).model_validate(doc), "sites", "site_e", max_it_mw=0.2)
    return {
        "carbon_cap": (green, {"carbon_cap": 0}),
        "min_green_share": (green, {"min_green_share": 1.0}),
        "budget": (tiny, {"budget": 0}),
        "domestic_min_share": (two, {"domestic_min_share": 1.0}),
        "class_domestic_min_share": (
            tweak(two, "job_classes", "training", domestic_min_share=1.0),
            {},
        ),
        "min_utilisation": (no_idle, {"min_utilisation": 1.0}),
        "max_remote_share": (no_idle, {"max_remote_share": 0.0}),
        "min_local_share": (no_idle, {"min_local_share": 1.0}),
        "min_hub_share": (hub, {"min_hub_share": 1.0}),
        "resilience": (one_link, {"resilience": "links"}),
    }


@pytest.mark.parametrize(
    "lever",
    [
        "carbon_cap",
        "min_green_share",
        "budget",
        "domestic_min_share",
        "class_domestic_min_share",
        "min_utilisation",
        "max_remote_share",
        "min_local_share",
        "min_hub_share",
        "resilience",
    ],
)
def test_every_slack_is_priced(tiny, lever):
    """A target out of reach (or dearer than its slack) with a low slack price: a plan, the slack used,
    its cost = price × slack, and the cost terms still add up to the objective."""
    sc, kw = _slack_cases(tiny)[lever]
    price = 0.5
    res = run(policy(sc, policy_slack_cost={lever: price}, **kw))
    rows = res.policy[res.policy["lever"] == lever]
    assert rows["slack used"].sum() > 1e-6
    for _, r in rows.iterrows():
        assert r["slack cost CNY/yr"] == pytest.approx(price * r["slack used"], rel=1e-9, abs=1e-9)
    term = res.costs.set_index("term").loc["policy_slack_cost", "CNY/yr"]
    assert term == pytest.approx(res.policy["slack cost CNY/yr"].sum(), rel=1e-6)
    assert res.costs["CNY/yr"].sum() == pytest.approx(res.outcome.objective, rel=1e-9)


def test_policy_and_network_sheets_in_chinese(green_w, tmp_path):
    import openpyxl

    out = tmp_path / "zh.xlsx"
    run(policy(green_w, carbon_cap=3900), compare=("isolated",), out=out, lang="zh")
    wb = openpyxl.load_workbook(out)
    assert "政策" in wb.sheetnames and "网络价值" in wb.sheetnames
    assert (
        wb["政策"]["A1"].value == "政策杠杆" and wb["政策"]["L1"].value == "影子价格 元/年/松弛单位"
    )
    assert [c.value for c in wb["网络价值"][5]][:4] == ["指标", "单位", "联网方案", "孤立方案"]
