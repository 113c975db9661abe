"""The lake build (issue 26): the same layers from DuckDB and from PySpark in local mode.

Inputs are made from the demo: a customers file that leaves some customers out (the
transactions create them), typed Parquet transaction files, and a CSV export with text
dates and amounts and rows that break the rules. The lake is built twice by each engine
(first the early files, then with the later ones added: an update, not a rebuild) and
once in full by DuckDB. Every table must be identical row for row, and so must what the
pages show (summary, segments, churn, CLV parameters) read through ``--lake``, which must
also equal the same files loaded into a database with ``ingest``.
"""

from __future__ import annotations

import json
import math
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from crm_core.access.auth import Principal
from crm_core.cli.main import main as cli
from crm_core.customers import overview
from crm_core.customers import report as segments
from crm_core.demo import generate as demo
from crm_core.exits import churn
from crm_core.ingest.load import load_file
from crm_core.journey import customer as c360
from crm_core.lake import spark_engine
from crm_core.lake.build import build
from crm_core.lake.catalog import attach
from crm_core.lake.layout import BUCKET_CUSTOMERS, LakeError, not_null_columns, read_manifest
from crm_core.relations import affinity
from crm_core.store.connection import Store
from crm_core.value import clv

NOW = datetime(2026, 12, 1)
AS_OF = date(2026, 9, 30)
TX_COLS = ("transaction_id, order_id, customer_id, tx_date AS date, amount, cost, quantity, product_id, "
           "product_category, channel, discount")
CSV_BAD = [  # (what, line): rows of the CSV export that must be set aside
    ("bad date", "X-BAD-1,,C0000003,2025/13/45,\"$10.00\",,1,,Books,web,"),
    ("guest", "X-BAD-2,,,2025/03/05,\"$11.00\",,1,,Books,web,"),
    ("repeat in file", "X-DUP,,C0000004,2025/03/06,\"$12.00\",,1,,Books,web,"),
    ("repeat in file", "X-DUP,,C0000004,2025/03/07,\"$13.00\",,1,,Books,web,"),
    ("stored id", "T0000000001,,C0000005,2025/03/08,\"$14.00\",,1,,Books,web,"),
    ("future", "X-BAD-3,,C0000006,2027/01/01,\"$15.00\",,1,,Books,web,"),
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lake-inputs")
    db = root / "demo.duckdb"
    demo.generate(str(db), customers=900)
    (root / "tx").mkdir()
    (root / "later").mkdir()
    con = duckdb.connect(str(db), read_only=True)
    try:
        def copy(where: str, target: Path) -> None:
            con.execute(f"COPY (SELECT {TX_COLS} FROM transactions WHERE {where} ORDER BY tx_date, transaction_id) "
                        f"TO '{target}' (FORMAT parquet)")
        copy("tx_date < DATE '2024-01-01'", root / "tx" / "a_2022_2023.parquet")
        copy("tx_date >= DATE '2024-01-01' AND tx_date < DATE '2025-01-01'", root / "tx" / "b_2024.parquet")
        copy("tx_date >= DATE '2026-01-01'", root / "later" / "d_2026.parquet")
        rows = con.execute(f"SELECT {TX_COLS} FROM transactions WHERE tx_date >= DATE '2025-01-01' "
                           "AND tx_date < DATE '2026-01-01' ORDER BY tx_date, transaction_id").fetchall()
        con.execute("COPY (SELECT customer_id, name, email, phone, region, country, customer_type, acquisition_channel, "
                    "signup_date, account_manager FROM customers WHERE customer_id < 'C0000800' ORDER BY customer_id) "
                    f"TO '{root / 'customers.parquet'}' (FORMAT parquet)")
    finally:
        con.close()

    def cell(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, date):
            return v.strftime("%Y/%m/%d")
        return str(v)

    lines = ["transaction_id,order_id,customer_id,date,amount,cost,quantity,product_id,product_category,channel,discount"]
    for r in rows:   # amounts as an export prints them: "$1,234.50"
        vals = [cell(v) for v in r]
        vals[4] = '"' + f"${float(r[4]):,.2f}".replace("$-", "-$") + '"'
        lines.append(",".join(vals))
    lines += [line for _what, line in CSV_BAD]
    (root / "later" / "c_2025.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return root


@pytest.fixture(scope="module")
def spark():
    session = spark_engine.local_session(2)
    yield session
    session.stop()


def _both_ways(a: Path, b: Path) -> dict[str, tuple[int, int, int]]:
    """Per table: (rows only in a, rows only in b, rows) over the two lakes' files."""
    ma, mb = read_manifest(a), read_manifest(b)
    assert set(ma["files"]) == set(mb["files"])
    con = duckdb.connect()
    out = {}
    for t in sorted(ma["files"]):
        fa, fb = [str(a / f) for f in ma["files"][t]], [str(b / f) for f in mb["files"][t]]
        if not fa and not fb:
            out[t] = (0, 0, 0)
            continue
        ra, rb = f"read_parquet({fa})", f"read_parquet({fb})"
        only_a = con.execute(f"SELECT count(*) FROM (SELECT * FROM {ra} EXCEPT ALL SELECT * FROM {rb})").fetchone()[0]
        only_b = con.execute(f"SELECT count(*) FROM (SELECT * FROM {rb} EXCEPT ALL SELECT * FROM {ra})").fetchone()[0]
        out[t] = (only_a, only_b, con.execute(f"SELECT count(*) FROM {ra}").fetchone()[0])
    return out


def _counts(res) -> dict:
    doc = res.to_json()
    return {k: doc[k] for k in ("rows_read", "rows_loaded", "rows_rejected", "customers_created", "guest_rows",
                                "identical_rows", "problems", "tables")}


@pytest.fixture(scope="module")
def lakes(inputs: Path, spark, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Each engine: a first build of the early files, then an update with the later ones;
    DuckDB also builds everything at once."""
    root = tmp_path_factory.mktemp("lakes")
    tx = root / "tx"
    shutil.copytree(inputs / "tx", tx)
    out: dict[str, object] = {}
    for engine in ("duckdb", "spark"):
        out[f"{engine}_first"] = build(engine, transactions=tx, customers=inputs / "customers.parquet",
                                       out=root / engine, now=NOW, spark=spark)
        shutil.copytree(root / engine, root / f"{engine}_v1", ignore=shutil.ignore_patterns("_work", "_catalog"))
    for f in (inputs / "later").iterdir():
        shutil.copy(f, tx / f.name)
    for engine in ("duckdb", "spark"):
        out[f"{engine}_update"] = build(engine, transactions=tx, customers=inputs / "customers.parquet",
                                        out=root / engine, now=NOW, spark=spark)
    out["duckdb_full"] = build("duckdb", transactions=tx, customers=inputs / "customers.parquet",
                               out=root / "full", now=NOW)
    out["root"] = root
    return out


def test_first_build_identical(lakes) -> None:
    root = lakes["root"]
    diff = _both_ways(root / "duckdb_v1", root / "spark_v1")
    assert all(a == 0 and b == 0 for a, b, _n in diff.values()), diff
    assert diff["transactions"][2] > 3000 and diff["customer_days"][2] > 2000 and diff["customers"][2] > 700
    assert diff["category_days"][2] > 1000      # (one row per day and category bought)
    assert _counts(lakes["duckdb_first"]) == _counts(lakes["spark_first"])
    assert lakes["spark_first"].customers_created > 0   # customers the customers file left out


def test_files_hold_money_to_the_millionth_uncompressed(lakes) -> None:
    """Money sums are DOUBLE rounded to the millionth (both engines write the same value),
    the files are uncompressed, and transactions come in small row groups (a customer's
    lines are found by their statistics)."""
    for engine in ("duckdb", "spark"):
        lake = lakes["root"] / engine
        files = [str(lake / f) for f in read_manifest(lake)["files"]["customer_days"]]
        types = dict(duckdb.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet({files}))")
                     .fetchall())
        assert types["revenue"] == types["gross_profit"] == "DOUBLE", (engine, types)
        off = duckdb.execute(f"SELECT count(*) FROM read_parquet({files}) "
                             "WHERE round(revenue * 1e6) / 1e6 <> revenue").fetchone()[0]   # (rounding is idempotent)
        assert off == 0
        tx = [str(lake / f) for f in read_manifest(lake)["files"]["transactions"]]
        meta = duckdb.execute(f"SELECT DISTINCT compression FROM parquet_metadata({files + tx})").fetchall()
        assert meta == [("UNCOMPRESSED",)], (engine, meta)
        assert duckdb.execute(f"SELECT max(row_group_num_rows) FROM parquet_metadata({tx})").fetchone()[0] <= 2 * 16_384
        # each file in its layer's order (a Spark write partitioned by a column re-sorts by it alone
        # unless the frame is sorted by it first): row-group statistics then skip what a page does not need
        for name, order in (("transactions", "customer_id, tx_date, transaction_id"), ("customer_days", "next_day"),
                            ("customer_months", "month, customer_key")):
            for f in read_manifest(lake)["files"][name]:
                unsorted = duckdb.execute(
                    f"SELECT count(*) FROM (SELECT file_row_number AS n, row_number() OVER (ORDER BY {order}, "
                    f"file_row_number) - 1 AS k FROM read_parquet('{lake / f}', file_row_number = true)) WHERE n <> k"
                ).fetchone()[0]
                assert unsorted == 0, (engine, f)
        # the columns the store declares NOT NULL are REQUIRED fields (no definition levels to decode),
        # in the Spark build's files as in DuckDB's
        for name in ("customer_days", "customer_months", "customers", "transactions"):
            f = str(lake / read_manifest(lake)["files"][name][0])
            fields = dict(duckdb.execute(f"SELECT name, repetition_type FROM parquet_schema('{f}') "
                                         "WHERE num_children IS NULL").fetchall())
            required = {c for c, r in fields.items() if r == "REQUIRED"}
            assert set(not_null_columns(name)) & set(fields) <= required, (engine, name, fields)
        # customer_days in ranges of customer keys, not hashes: a file's keys are its bucket's own,
        # so a query for one customer reads one file (its statistics rule out every other)
        for f in read_manifest(lake)["files"]["customer_days"]:
            bucket = int(Path(f).parent.name.removeprefix("p_bucket="))
            lo, hi = duckdb.execute(f"SELECT min(customer_key), max(customer_key) FROM read_parquet('{lake / f}')").fetchone()
            assert bucket * BUCKET_CUSTOMERS <= lo <= hi < (bucket + 1) * BUCKET_CUSTOMERS, (engine, f, lo, hi)


def test_update_identical_to_full_build(lakes) -> None:
    root = lakes["root"]
    for a, b in (("duckdb", "spark"), ("duckdb", "full"), ("spark", "full")):
        diff = _both_ways(root / a, root / b)
        assert all(x == 0 and y == 0 for x, y, _n in diff.values()), (a, b, diff)
    assert _counts(lakes["duckdb_update"]) == _counts(lakes["spark_update"])
    upd, full = lakes["spark_update"], lakes["duckdb_full"]
    assert [f["file"] for f in upd.files] == sorted(str(p) for p in (root / "tx").iterdir()
                                                    if p.name.startswith(("c_", "d_")))   # only the new files
    assert upd.tables == full.tables
    assert read_manifest(root / "spark")["version"] == 2


def test_rows_set_aside_with_reasons(lakes) -> None:
    res = lakes["spark_update"]
    assert res.rows_rejected == len(CSV_BAD) - 1   # the first of the two repeats loads
    assert res.problems == {"date:invalid": 1, "customer_id:guest": 1, "row:duplicate_in_file": 1,
                            "row:duplicate_stored": 1, "date:future_date": 1}
    root = lakes["root"]
    files = read_manifest(root / "spark")["files"]["rejected"]
    rows = duckdb.execute(f"SELECT file, row, problems, data FROM read_parquet({[str(root / 'spark' / f) for f in files]}) "
                          "ORDER BY row").fetchall()
    assert len(rows) == len(CSV_BAD) - 1 and all(r[0].endswith("c_2025.csv") for r in rows)
    assert json.loads(rows[0][3])[0] == "X-BAD-1"     # the row as it was read, to download and fix
    assert json.loads(rows[-1][2]) == ["date:future_date"]


def test_a_build_with_nothing_new_is_up_to_date(lakes, inputs: Path, spark) -> None:
    root = lakes["root"]
    res = build("spark", transactions=root / "tx", customers=inputs / "customers.parquet", out=root / "spark",
                now=NOW, spark=spark)
    assert res.up_to_date and res.version == 2 and res.files == []


def _figures(db: str) -> dict[str, object]:
    store = Store(db)
    summary = overview.summary(store, AS_OF)
    rep = segments.report(store, AS_OF)
    ch = churn.summary(store, AS_OF)
    model = clv.fit_models(clv.clv_summary(store, AS_OF, time_unit="week"), time_unit="week", calibration_end=AS_OF)
    b, g = model.bgnbd.params, model.gamma_gamma.params
    aff = affinity.affinity(store, AS_OF, period_days=365)      # raw lines: categories, baskets, histories
    rules = {level: affinity.rules(aff, level, min_count=1)[["antecedent", "consequent", "both", "units"]]
             .to_dict("list") for level in ("basket", "customer")}
    one = c360.record(store, "C0000042", AS_OF)                  # one customer: a bucket of customer_days, lines
    return {"summary": summary, "segments": rep["segments"], "pyramid": rep["pyramid"],
            "churn": {k: v for k, v in ch.items() if not isinstance(v, (list, dict))},
            "bgnbd": [b.r, b.alpha, b.a, b.b], "gamma_gamma": [g.p, g.q, g.v],
            "affinity": {"categories": list(aff.categories), **rules},
            "customer360": {"stages": one.stages["stage"].tolist(), "lines": len(one.lines),
                            "revenue": [float(x) for x in one.monthly["revenue"]]}}


def _close(a: object, b: object, rel: float) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_close(a[k], b[k], rel) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_close(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return a == b


def test_pages_read_the_same_figures_from_either_lake_and_from_a_database(lakes, inputs: Path, tmp_path: Path) -> None:
    root = lakes["root"]
    on_duckdb, on_spark = _figures(attach(root / "duckdb")), _figures(attach(root / "spark"))
    assert _close(on_duckdb, on_spark, 1e-9), (on_duckdb, on_spark)
    assert on_spark["summary"]["customers"] > 800 and on_spark["bgnbd"][0] > 0
    assert len(on_spark["affinity"]["basket"]["both"]) > 10 and on_spark["customer360"]["lines"] > 0
    # the same files loaded the usual way (ingest into a database file): the same figures
    store = Store(str(tmp_path / "plain.duckdb"), create=True)
    files = [inputs / "customers.parquet"] + sorted((root / "tx").iterdir())
    for f in files:
        load_file(store, f, "customers" if f.name == "customers.parquet" else "transactions", now=NOW,
                  accept_rejects=True, actor=Principal.local_user("test"))
    plain = _figures(store.path)
    # A lake's catalog keeps Parquet footers once read (its files never change); a database
    # file keeps DuckDB's default (an uploaded file is read afresh).
    setting = "SELECT current_setting('parquet_metadata_cache')"
    assert Store(attach(root / "spark")).rows(setting) == [(True,)] and store.rows(setting) == [(False,)]
    fitted = ("bgnbd", "gamma_gamma")
    assert _close({k: v for k, v in plain.items() if k not in fitted}, {k: v for k, v in on_spark.items() if k not in fitted},
                  1e-9), list(_diff(plain, on_spark, 1e-9))
    # what the models are fitted to agrees to 1e-9 (the lake keeps money to the millionth, the
    # database its double sums; on this small sample the Gamma-Gamma likelihood is flat enough
    # that such a difference moves its optimum, so the fitted values are compared between lakes)
    a = clv.clv_summary(Store(store.path), AS_OF, time_unit="week").sort_values("customer_id").reset_index(drop=True)
    b = clv.clv_summary(Store(attach(root / "spark")), AS_OF, time_unit="week").sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-9)


def test_cli_reads_a_lake_as_a_database(lakes, capsys: pytest.CaptureFixture[str]) -> None:
    root = lakes["root"]
    assert cli(["summary", "--lake", str(root / "spark"), "--as-of", AS_OF.isoformat(), "--json"]) == 0
    from_lake = json.loads(capsys.readouterr().out)
    assert cli(["summary", "--db", attach(root / "duckdb"), "--as-of", AS_OF.isoformat(), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == from_lake
    assert cli(["segments", "--lake", str(root / "spark"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["segments"]


def test_a_catalog_of_an_older_schema_is_not_migrated_but_made_again(lakes, monkeypatch: pytest.MonkeyPatch) -> None:
    """A catalog made by software with an older schema holds the layers as views, which a
    migration that changes a table cannot touch: the current software makes its own catalog
    beside it (named by the schema version) and reads the lake through that."""
    from crm_core.lake import catalog
    from crm_core.store import sql_text

    lake = lakes["root"] / "duckdb"
    older = sql_text.latest_version() - 1
    with monkeypatch.context() as m:   # the software before the last migration
        m.setattr(catalog, "latest_version", lambda: older)
        old = catalog.attach(lake)
    assert duckdb.connect(old, read_only=True).execute("SELECT max(version) FROM schema_version").fetchone()[0] == older
    new = catalog.attach(lake)
    assert new != old and Path(new).name.endswith(f"-s{sql_text.latest_version()}.duckdb")
    store = Store(new)
    assert store.schema_version() == sql_text.latest_version()
    assert store.scalar("SELECT count(*) FROM customer_days") == read_manifest(lake)["tables"]["customer_days"] > 0


def test_cli_build_and_lake_errors(inputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lake"
    assert cli(["build", "--transactions", str(inputs / "tx"), "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["engine"] == "duckdb" and doc["rows_rejected"] == 0 and doc["customers_created"] > 400
    assert doc["customers_created"] == doc["tables"]["customers"]   # no customers file: all created
    assert doc["tables"]["transactions"] == doc["rows_loaded"]
    # a lake built by one engine is not updated by the other
    with pytest.raises(LakeError, match="built by duckdb"):
        build("spark", transactions=inputs / "tx", out=out, now=NOW)
    # --lake on a folder that is not a lake: one line, exit 1
    assert cli(["summary", "--lake", str(tmp_path), "--json"]) == 1
    assert "not a lake folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli(["summary", "--lake", str(out), "--db", str(tmp_path / "x.duckdb")])
    # a lake built again into the same folder (its catalog folder left behind) gets a new catalog
    first = attach(out)
    rows_first = Store(first).scalar("SELECT count(*) FROM transactions")
    for p in out.iterdir():
        if p.name != "_catalog":
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    capsys.readouterr()
    one = sorted(p for p in (inputs / "tx").iterdir() if p.suffix == ".parquet")[0]
    assert cli(["build", "--transactions", str(one), "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    second = attach(out)
    assert second != first and Path(first).exists()
    assert Store(second).scalar("SELECT count(*) FROM transactions") == doc["tables"]["transactions"] < rows_first


def _diff(a, b, rel, path=""):
    if isinstance(a, dict):
        for k in a:
            yield from _diff(a[k], b.get(k), rel, f"{path}.{k}")
    elif isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _diff(x, y, rel, f"{path}[{i}]")
    elif not _close(a, b, rel):
        yield (path, a, b)


def test_pages_render_on_a_spark_built_lake(lakes, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard on the Spark-built lake (``serve --lake``): the Overview shows the lake's
    customers, every page family renders, and the Upload page says files go through build."""
    from streamlit.testing.v1 import AppTest

    from crm_core.i18n import catalogue

    catalog = attach(lakes["root"] / "spark")
    monkeypatch.setenv("CRM_DB", catalog)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    k = overview.kpis(Store(catalog), overview.default_as_of(Store(catalog)))
    assert at.metric[0].value == f"{k.current.customers:,}"
    lake_caption = catalogue("en")["sidebar.lake_caption"].format(name="spark", schema="", version="").split(" · ")[0]
    assert any(c.value.startswith(lake_caption) for c in at.sidebar.caption)   # the lake, not its catalog file
    for page in ("segments", "pyramid", "clv", "quadrants", "churn", "lifecycle", "cohorts", "cross_sell", "loyalty"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.title[0].value == catalogue("en")[f"page.{page}"]
    at.switch_page("pages/upload.py").run()
    assert not at.exception
    assert any(str(lakes["root"] / "spark") in i.value for i in at.info)
