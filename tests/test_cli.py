"""The command line, run as a user runs it: a subprocess, exit codes, one-line errors, stable JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from crm_core.store.connection import Store

SUMMARY_KEYS = ["as_of", "period_days", "customers", "active_customers", "revenue", "gross_profit", "repeat_rate",
                "lapse_rate", "average_order_value", "previous"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crm_core", *args], capture_output=True, text=True, timeout=120)


def one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in out.stderr, out.stderr
    return lines[0]


def test_help_lists_the_commands() -> None:
    out = cli("--help")
    assert out.returncode == 0
    for command in ("init", "demo", "info", "summary", "segments", "clv", "quadrants", "churn", "loyalty"):
        assert command in out.stdout


def test_summary_json_has_the_documented_keys(demo_db: Path) -> None:
    out = cli("summary", "--db", str(demo_db), "--as-of", "2026-06-30", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data) == SUMMARY_KEYS and data["as_of"] == "2026-06-30"
    assert data["customers"] > data["active_customers"] > 0 and 0 <= data["lapse_rate"] <= 1
    assert list(data["previous"]) == ["as_of"] + SUMMARY_KEYS[2:-1] + ["covered"]
    filtered = json.loads(cli("summary", "--db", str(demo_db), "--as-of", "2026-06-30", "--json",
                              "--region", "Korea").stdout)
    assert 0 < filtered["customers"] < data["customers"]


def test_init_creates_then_upgrades_and_demo_refuses_to_overwrite(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    assert cli("init", "--db", str(db)).returncode == 0
    assert Store(db).table_counts()["customers"] == 0
    out = cli("demo", "--db", str(db), "--customers", "100")
    assert out.returncode == 1 and "--force" in one_line_error(out)
    assert cli("demo", "--db", str(db), "--customers", "100", "--force").returncode == 0
    info = json.loads(cli("info", "--db", str(db), "--json").stdout)
    assert info["tables"]["customers"] == 100 and info["schema_version"] >= 2


def test_bad_databases_give_one_clear_line(tmp_path: Path) -> None:
    missing = cli("summary", "--db", str(tmp_path / "missing.duckdb"))
    assert missing.returncode == 1 and "not found" in one_line_error(missing)
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(b"\x00garbage" * 1000)
    out = cli("summary", "--db", str(corrupt))
    assert out.returncode == 1 and "not a readable database" in one_line_error(out)
    assert corrupt.read_bytes() == b"\x00garbage" * 1000
    newer = tmp_path / "newer.duckdb"
    Store(newer, create=True).schema_version()
    con = duckdb.connect(str(newer))
    con.execute("INSERT INTO schema_version VALUES (42, 'future', now())")
    con.close()
    out = cli("info", "--db", str(newer))
    assert out.returncode == 1 and "newer" in one_line_error(out)
    empty = tmp_path / "empty.duckdb"
    cli("init", "--db", str(empty))
    out = cli("summary", "--db", str(empty))
    assert out.returncode == 1 and "no transactions" in one_line_error(out)


def test_usage_errors_exit_2() -> None:
    assert cli("summary").returncode == 2
    assert cli("summary", "--db", "x.duckdb", "--as-of", "2026-02-30").returncode == 2
    assert cli("demo", "--db", "x.duckdb", "--customers", "0").returncode == 2
    assert cli("nonsense").returncode == 2


def test_segments_json_has_the_documented_keys_and_adds_up(demo_db: Path) -> None:
    out = cli("segments", "--db", str(demo_db), "--as-of", "2026-06-30", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data) == ["as_of", "customers", "period_days", "segments", "pyramid", "pareto"]
    assert [s["segment"] for s in data["segments"]][:2] == ["champions", "loyal"] and len(data["segments"]) == 11
    assert {"segment", "customers", "revenue"} <= set(data["segments"][0])
    assert [p["tier"] for p in data["pyramid"]] == ["top", "big", "medium", "small", "inactive", "prospect"]
    assert {"tier", "customers", "revenue", "revenue_share"} <= set(data["pyramid"][0])
    assert sum(p["customers"] for p in data["pyramid"]) == data["customers"]
    assert abs(sum(p["revenue_share"] for p in data["pyramid"]) - 1) < 1e-5
    assert {"top20_revenue_share", "customer_share_for_80pct_revenue"} <= set(data["pareto"])
    # The demo's planted 80/20 shape: a minority of buyers makes 80% of revenue.
    assert 0.1 < data["pareto"]["customer_share_for_80pct_revenue"] < 0.5
    assert 0.5 < data["pareto"]["top20_revenue_share"] < 0.9


def test_segments_refuses_bad_tier_shares(demo_db: Path) -> None:
    out = cli("segments", "--db", str(demo_db), "--tiers", "0.5,0.5,0.1,0.1")
    assert out.returncode == 2 and "adding up to 1" in out.stderr


def test_clv_json_reproduces_the_published_cdnow_fit(tmp_path: Path) -> None:
    from tests.clv_data import FHL_2005, cdnow_store

    db = tmp_path / "cdnow.duckdb"
    cdnow_store(db)
    out = cli("clv", "--db", str(db), "--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30",
              "--time-unit", "week", "--horizon", "39", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["customers"] == 2357 and doc["time_unit"] == "week"
    assert {k: round(doc["bgnbd"][k], 3) for k in ("r", "alpha", "a", "b")} == {
        k: FHL_2005[k] for k in ("r", "alpha", "a", "b")}
    assert set(doc["gamma_gamma"]) >= {"p", "q", "v"} and doc["holdout"]["customers"] == 2357
    days = json.loads(cli("clv", "--db", str(db), "--calibration-end", "1997-09-30", "--time-unit", "day",
                          "--json").stdout)
    assert abs(days["bgnbd"]["alpha"] / (doc["bgnbd"]["alpha"] * 7) - 1) < 1e-3
    assert days["holdout"] is None
    early = cli("clv", "--db", str(db), "--calibration-end", "1997-01-01")
    assert early.returncode == 1 and "customers" in one_line_error(early)


def test_clv_total_is_the_pages_net_clv(demo_db: Path) -> None:
    """One name, one number: the CLI's ``clv_total`` is the Lifetime value page's "Total CLV
    (net)" (the page's own data function, at its default settings); the gross total and the
    expected cost to serve have names of their own and add up to it."""
    import warnings

    from crm_app import value
    from crm_core.customers.overview import default_as_of
    from crm_core.filters import Filters
    from crm_core.value.costs import CostAssumptions, default_unit_costs

    store = Store(demo_db)
    as_of = default_as_of(store)
    out = cli("clv", "--db", str(demo_db), "--calibration-end", as_of.isoformat(), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        page = value.value_data(store.path, store.data_version(),
                                value.ValueSettings(as_of=as_of, filters=Filters(),
                                                    costs=CostAssumptions(unit_costs=default_unit_costs(store))))
    assert page.result is not None
    scores = page.result.scores
    assert doc["customers"] == len(scores)
    assert doc["clv_total"] == pytest.approx(float(scores["clv"].sum()), rel=1e-9)
    assert doc["clv_gross_total"] == pytest.approx(float(scores["clv_gross"].sum()), rel=1e-9)
    assert doc["expected_cost_total"] > 0
    assert doc["clv_gross_total"] - doc["expected_cost_total"] == pytest.approx(doc["clv_total"], rel=1e-9)
    # A higher handling cost per order lowers the net total only.
    dear = json.loads(cli("clv", "--db", str(demo_db), "--calibration-end", as_of.isoformat(), "--order-cost", "5",
                          "--json").stdout)
    assert dear["clv_gross_total"] == pytest.approx(doc["clv_gross_total"], rel=1e-12)
    assert dear["clv_total"] < doc["clv_total"]


def test_quadrants_json(demo_db: Path) -> None:
    out = cli("quadrants", "--db", str(demo_db), "--as-of", "2026-06-30", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["as_of"] == "2026-06-30" and doc["customers"] > 0
    for chart in ("a", "b"):
        rows = doc[chart]["quadrants"]
        assert len(rows) == 4 and sum(r["customers"] for r in rows) == doc["customers"]


def test_churn_json(demo_db: Path) -> None:
    out = cli("churn", "--db", str(demo_db), "--as-of", "2026-06-30", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert {"as_of", "active", "churned", "churn_rate", "reasons", "lost_profit", "retention_break_even"} <= set(doc)
    assert doc["as_of"] == "2026-06-30" and 0 < doc["churned"] <= doc["active"]
    assert doc["churn_rate"] == doc["churned"] / doc["active"]
    assert [r["reason"] for r in doc["reasons"]] == ["price", "product", "service", "market", "technology", "social",
                                                    "other", "unknown"]
    assert abs(sum(r["share"] for r in doc["reasons"]) - 1) < 1e-9
    assert set(doc["reasons"][0]) == {"reason", "customers", "share", "won_back", "lost_revenue"}
    # one population: the churned are the reasons' customers; the won back are part of them
    assert sum(r["customers"] for r in doc["reasons"]) == doc["churned"]
    assert sum(r["won_back"] for r in doc["reasons"]) == doc["won_back"] == doc["churned"] - doc["lost_customers"]
    assert doc["lost_profit_per_customer"] * doc["lost_customers"] == pytest.approx(doc["lost_profit"])
    bad = cli("churn", "--db", str(demo_db), "--window-days", "3")
    assert bad.returncode == 1 and "window" in one_line_error(bad)
    alive = json.loads(cli("churn", "--db", str(demo_db), "--as-of", "2026-06-30", "--json", "--definition", "p_alive",
                           "--threshold", "0.3").stdout)
    assert (doc["definition"], alive["definition"], alive["threshold"]) == ("inactivity", "p_alive", 0.3)
    assert alive["active"] > 0 and alive["churned"] != doc["churned"]


def test_loyalty_json(demo_db: Path) -> None:
    """Every demo program, with the documented keys; the naive gap above the matched
    lift's interval (self-selection is planted); the same figures as crm_core computes."""
    out = cli("loyalty", "--db", str(demo_db), "--as-of", "2026-09-30", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["as_of"] == "2026-09-30" and [p["program_id"] for p in doc["programs"]] == ["CLUB", "PTS", "VIP"]
    keys = {"program_id", "kind", "members", "lift", "lift_ci", "naive_lift", "incremental_revenue",
            "incremental_profit", "fees", "costs", "roi", "roi_ci", "incremental_profit_ci", "pays", "design",
            "placebo_lift", "designs"}
    for p in doc["programs"]:
        assert keys <= set(p)
        for d in p["designs"].values():     # both designs always reported, with their placebo
            assert d["lift_ci"][0] <= d["lift"] <= d["lift_ci"][1] and d["placebo_lift"] is not None
        if p["design"] is None:             # nothing trusted: no lift, no ROI, no verdict on paying
            assert p["lift"] is None and p["roi"] is None and p["pays"] is None and p["roi_ci"] is None
        else:
            assert p["lift"] == p["designs"][p["design"]]["lift"] and p["designs"][p["design"]]["state"] == "credible"
            assert p["roi_ci"][0] <= p["roi"] <= p["roi_ci"][1]
            assert p["pays"] is (True if p["roi_ci"][0] > 0 else False if p["roi_ci"][1] < 0 else None)
    big = {p["program_id"]: p for p in doc["programs"]}
    assert big["PTS"]["design"] is None     # sign-up at checkout after a busy spell: not credible
    assert big["PTS"]["naive_lift"] > big["PTS"]["designs"]["matched"]["lift_ci"][1]
    from datetime import date

    from crm_core.loyalty import report as loyalty_report
    direct = loyalty_report.to_json(loyalty_report.analyse(Store(demo_db), date(2026, 9, 30)))
    assert direct == doc
    bad = cli("loyalty", "--db", str(demo_db), "--caliper", "9")
    assert bad.returncode == 1 and "caliper" in one_line_error(bad)
    usage = cli("loyalty", "--db", str(demo_db), "--pre-months", "zero")
    assert usage.returncode == 2


def test_settings_default_margin_recomputes_gross_profit_and_is_audited(tmp_path: Path) -> None:
    """A file without costs: gross profit rests on the assumed margin. Setting it to 45%
    recomputes gross profit (the data version moves), the audit log records who and what,
    and a value outside -0.99..0.99 is refused with one line, leaving everything as it was."""
    from tests.conftest import make_store
    db = tmp_path / "m.duckdb"
    make_store(db, transactions=[{"transaction_id": "T1", "customer_id": "A", "tx_date": "2024-06-01", "amount": 200},
                                 {"transaction_id": "T2", "customer_id": "B", "tx_date": "2024-06-02", "amount": 100,
                                  "cost": 80}])
    summary = lambda: json.loads(cli("summary", "--db", str(db), "--as-of", "2024-06-30", "--json").stdout)  # noqa: E731
    assert summary()["gross_profit"] == pytest.approx(200 * 0.30 + 20)
    version = Store(db).data_version()
    out = cli("settings", "--db", str(db), "--default-margin", "0.45", "--user", "kim", "--json")
    assert out.returncode == 0, out.stderr and json.loads(out.stdout) == {"default_margin": 0.45}
    assert summary()["gross_profit"] == pytest.approx(200 * 0.45 + 20)
    assert Store(db).data_version() > version
    log = json.loads(cli("audit", "--db", str(db), "--action", "setting_changed", "--json").stdout)
    assert log[0]["actor"] == "kim" and log[0]["subject"] == "default_margin"
    bad = cli("settings", "--db", str(db), "--default-margin", "1.5")
    assert bad.returncode == 1 and "default margin" in one_line_error(bad)
    assert summary()["gross_profit"] == pytest.approx(200 * 0.45 + 20)
    shown = cli("settings", "--db", str(db), "--json")
    assert json.loads(shown.stdout) == {"default_margin": 0.45}
