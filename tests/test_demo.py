"""The demo generator: deterministic, covers every table, and its planted truths are recoverable."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_core.customers import overview
from crm_core.demo import generate as demo
from crm_core.errors import DatabaseExistsError, InvalidParameterError
from crm_core.store.connection import DATA_TABLES, Store

FINGERPRINT = """SELECT count(*), sum(amount), sum(hash(transaction_id || customer_id || CAST(tx_date AS VARCHAR)))
                 FROM transactions"""


def test_every_table_is_filled_and_kinds_are_present(demo_db_master: Path) -> None:
    store = Store(demo_db_master)
    counts = store.table_counts()
    assert all(counts[t] > 0 for t in DATA_TABLES), counts
    assert counts["customers"] == demo.DEFAULT_CUSTOMERS
    types = dict(store.rows("SELECT customer_type, count(*) FROM customers GROUP BY 1"))
    assert {"consumer", "small business", "enterprise"} <= set(types) and types["consumer"] > types["enterprise"]
    assert store.scalar("SELECT count(DISTINCT region) FROM customers") >= 5
    assert set(r[0] for r in store.rows("SELECT kind FROM loyalty_programs")) == {"points", "club", "vip"}
    assert store.scalar("SELECT count(*) FROM transactions WHERE amount < 0") > 0  # returns exist
    assert store.scalar("SELECT min(tx_date) FROM transactions").year <= 2022
    assert store.scalar("SELECT count(*) FROM customers WHERE account_manager IS NOT NULL") > 0
    # Korean and Chinese names, so rendering of CJK text is exercised everywhere.
    assert store.scalar("SELECT count(*) FROM customers WHERE regexp_matches(name, '[가-힣]')") > 0
    assert store.scalar("SELECT count(*) FROM customers WHERE regexp_matches(name, '[\\x{4e00}-\\x{9fff}]')") > 0
    # The store's invariant: every transaction's customer exists.
    assert store.scalar("SELECT count(*) FROM transactions WHERE customer_id NOT IN (SELECT customer_id FROM customers)") == 0


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path, demo_db_master: Path) -> None:
    again = demo.generate(tmp_path / "again.duckdb", seed=demo.DEFAULT_SEED)
    other = demo.generate(tmp_path / "other.duckdb", seed=demo.DEFAULT_SEED + 1)
    fp = Store(demo_db_master).rows(FINGERPRINT)
    assert Store(again.path).rows(FINGERPRINT) == fp
    assert Store(other.path).rows(FINGERPRINT) != fp


def test_planted_churn_reason_shares_are_exact(demo_db_master: Path) -> None:
    store = Store(demo_db_master)
    counts = dict(store.rows("SELECT reason, count(*) FROM churn_events GROUP BY 1"))
    total = sum(counts.values())
    assert set(counts) == set(demo.PLANTED_CHURN_REASON_SHARES)
    for reason, share in demo.PLANTED_CHURN_REASON_SHARES.items():
        assert abs(counts[reason] - share * total) < 1, reason
    # Churned customers stop buying: no purchase after their exit.
    assert store.scalar("""SELECT count(*) FROM churn_events e JOIN transactions t USING (customer_id)
                           WHERE t.tx_date > e.churn_date AND t.amount > 0""") == 0


def test_planted_service_story(demo_db_master: Path) -> None:
    """Everyone who left over service had a complaint answered slowly (> 72 h) before leaving."""
    store = Store(demo_db_master)
    missing = store.scalar("""
        SELECT count(*) FROM churn_events e WHERE reason = 'service' AND NOT EXISTS (
            SELECT 1 FROM service_interactions s WHERE s.customer_id = e.customer_id AND s.type = 'complaint'
              AND s.opened_at <= e.churn_date AND date_diff('hour', s.opened_at, s.resolved_at) > 72)""")
    assert missing == 0


def test_overview_recovers_the_80_20_shape_and_the_q4_peak(demo_db_master: Path) -> None:
    store = Store(demo_db_master)
    as_of = overview.default_as_of(store)
    res = overview.pareto(store, as_of, period_days=365)
    assert 0.10 <= res.customer_share_for_80pct <= 0.30 and 0.70 <= res.top20_share <= 0.90
    trend = overview.trend(store, as_of, months=36)
    full = trend[~trend.partial]
    by_month = full.groupby(full.month.dt.month).revenue.mean()
    assert by_month.loc[[11, 12]].mean() > 1.2 * by_month.loc[[1, 2, 6, 7]].mean()


def test_self_selection_is_planted(demo_db_master: Path) -> None:
    """Members of the points program bought more often in the 180 days before joining than
    non-members did in the 180 days before the same dates: the bias loyalty analysis must
    remove (and the naive member vs non-member gap shows)."""
    store = Store(demo_db_master)
    member, other = store.rows("""
        WITH m AS (SELECT customer_id, min(enrolled_at) AS since FROM loyalty_members WHERE program_id = 'PTS' GROUP BY 1),
        dates AS (SELECT DISTINCT since FROM m),
        member_buys AS (SELECT avg(n) AS v FROM (
            SELECT m.customer_id, count(t.tx_date) AS n FROM m LEFT JOIN transactions t
              ON t.customer_id = m.customer_id AND t.tx_date < m.since AND t.tx_date >= m.since - 180 GROUP BY 1)),
        others AS (SELECT customer_id FROM customers WHERE customer_id NOT IN (SELECT customer_id FROM m)),
        other_buys AS (SELECT avg(n) AS v FROM (
            SELECT d.since, o.customer_id, count(t.tx_date) AS n
            FROM (SELECT since FROM dates USING SAMPLE 40 ROWS (reservoir, 1)) d, others o
            JOIN customers c USING (customer_id)
            LEFT JOIN transactions t ON t.customer_id = o.customer_id AND t.tx_date < d.since AND t.tx_date >= d.since - 180
            WHERE c.first_purchase < d.since GROUP BY 1, 2))
        SELECT (SELECT v FROM member_buys), (SELECT v FROM other_buys)""")[0]
    assert member > 1.5 * other


def test_refuses_to_overwrite_and_replaces_when_forced(tmp_path: Path) -> None:
    path = tmp_path / "d.duckdb"
    path.write_bytes(b"precious")
    with pytest.raises(DatabaseExistsError):
        demo.generate(path, customers=50)
    assert path.read_bytes() == b"precious"
    res = demo.generate(path, customers=50, force=True)
    assert Store(res.path).table_counts()["customers"] == 50
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.duckdb"]  # no temporary files left


def test_bad_sizes_are_refused(tmp_path: Path) -> None:
    for n in (0, -5, demo.MAX_CUSTOMERS + 1):
        with pytest.raises(InvalidParameterError):
            demo.generate(tmp_path / "x.duckdb", customers=n)
    assert not (tmp_path / "x.duckdb").exists()


def test_tiny_demo_still_works(tmp_path: Path) -> None:
    res = demo.generate(tmp_path / "one.duckdb", customers=1, seed=3)
    assert Store(res.path).table_counts()["customers"] == 1
