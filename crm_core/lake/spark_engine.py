"""The lake build on Apache Spark (PySpark): the same loads and layers as the DuckDB build.

- **Reading**: Spark reads the input files (Parquet at any Spark-readable path; CSV with a
  header), numbering each file's rows as ``ingest`` does (Parquet: the row's index in its
  file; CSV: files are read whole, in order).
- **Row rules**: each file's rows go, as one Arrow table, to a Spark task that runs
  :func:`crm_core.ingest.check.check_rows` in an in-process DuckDB: the very code the Upload
  page runs, so a row is set aside here exactly when ``ingest`` would set it aside.
- **Across files** (Spark SQL): a key already loaded by an earlier file (or an earlier
  build) is a stored duplicate; customers named by a file and not on file are created by
  the first file naming them (country from their latest row); customer keys are given
  load by load with the store's own script.
- **Layers**: the store's refresh scripts run on Spark through :mod:`crm_core.lake.spark_sql`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crm_core.ingest import load as ingest
from crm_core.ingest.schema import KINDS
from crm_core.ingest.statements import duplicate_key, has_key
from crm_core.lake.layout import (
    COMPRESSION,
    DERIVED_CUSTOMER_COLUMNS,
    LAYERS,
    export_columns,
    money_sql,
    not_null_columns,
    partition_expr,
    staging_view_sql,
    table_schemas,
)
from crm_core.lake.spark_sql import SparkTables, spark_type
from crm_core.store.refresh import ALL_KEYS
from crm_core.store.sql_text import load_sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from crm_core.lake.result import BuildResult

__all__ = ["local_session", "build"]

_ROW_GROUP_BYTES = 8 * 2**20
_TX_ROW_GROUP_BYTES = 2**20
_DAYS_ROW_GROUP_BYTES = 2**20    # about CUSTOMER_DAYS_ROW_GROUP rows (~31 bytes a row as Spark buffers them)
#: customer_months (~16 bytes a row as Spark buffers them): about 130k rows a group, DuckDB's
#: default, not the ~520k of 8 MB; the Overview's trend reads 23 months of the layer and skips
#: the groups of other months by their statistics (filtered Overview on the benchmark's lake,
#: cold, best of nine: 0.176 -> 0.169 s).
_MONTHS_ROW_GROUP_BYTES = 2**21
_STATE = ("transactions", "customers", "customer_days", "customer_months", "day_totals", "category_days", "meta")


def local_session(cores: int | None = None) -> SparkSession:
    """The Spark session of a build: the one ``spark-submit`` configured (a cluster's master
    set), else a local one on this machine's cores; in both UTC and zone-less Parquet times."""
    from pyspark.sql import SparkSession

    n = cores or os.cpu_count() or 2
    builder = SparkSession.builder.appName("crm-lake-build")
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ   # started by spark-submit: its JVM, its master
    if cores is not None or not submitted:
        builder = (builder.master(f"local[{n}]")
                   .config("spark.driver.memory", os.environ.get("CRM_SPARK_DRIVER_MEMORY", "4g"))
                   .config("spark.sql.shuffle.partitions", str(max(4, 2 * n)))
                   .config("spark.ui.enabled", "false"))
    spark = (builder.config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _read(spark: SparkSession, files: list[Path]) -> DataFrame:
    """The files' rows with ``_file`` (as given) and ``_row`` (1 = the file's first row)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    local = {str(Path(f).resolve()): str(f) for f in files}
    mapping = spark.createDataFrame(list(local.items()), "uri STRING, _file STRING")
    path = F.expr("url_decode(regexp_replace(_metadata.file_path, '^file:(//)?', ''))")
    parquet = [f for f in files if f.suffix.lower() == ".parquet"]
    if parquet and len(parquet) == len(files):
        df = spark.read.parquet(*[str(f) for f in parquet]).select(
            "*", path.alias("uri"), (F.col("_metadata.row_index") + 1).alias("_row"))
    elif not parquet:   # read whole (multiLine: a file is never split), so its rows keep their order
        df = (spark.read.csv([str(f) for f in files], header=True, multiLine=True, inferSchema=False, quote='"',
                             escape='"', encoding="UTF-8")
              .select("*", path.alias("uri"), F.monotonically_increasing_id().alias("_seq")))
        df = df.withColumn("_row", F.row_number().over(Window.partitionBy("uri").orderBy("_seq"))).drop("_seq")
    else:
        raise ValueError("an input mixes Parquet and text files: give them as separate folders")
    return df.join(F.broadcast(mapping), "uri").drop("uri")


def _shape(f: Path) -> tuple[str, ...]:
    """What a file's columns are (names and types for Parquet, the header line for text):
    files of one shape are read together, as Spark needs one schema per read."""
    if f.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return tuple(f"{x.name}:{x.type}" for x in pq.read_schema(f))
    with open(f, "rb") as fh:
        return ("text", fh.readline().decode("utf-8", "replace").strip())


def _check_all(spark: SparkSession, kind: str, files: list[Path], ids: dict[str, int], options: dict[str, Any]
               ) -> tuple[DataFrame, set[str]]:
    """:func:`_check` over files of every shape (grouped by shape), and the mapped columns
    (those every group maps: the cross-file key uses them)."""
    groups: dict[tuple[str, ...], list[Path]] = {}
    for f in files:
        groups.setdefault(_shape(f), []).append(f)
    out, mapped = None, None
    for group in groups.values():
        chk, cols = _check(spark, kind, group, ids, options)
        out = chk if out is None else out.unionByName(chk)
        mapped = cols if mapped is None else mapped & cols
    assert out is not None and mapped is not None
    return out, mapped


def _check(spark: SparkSession, kind: str, files: list[Path], ids: dict[str, int], options: dict[str, Any]
           ) -> tuple[DataFrame, set[str]]:
    """Every row of ``files`` typed and checked by :func:`check_rows`, one task per file:
    the store's columns of ``kind`` plus ``_row``, ``_file``, ``_problems``, ``_data``
    (the row as read, JSON) and, for transactions, ``_country`` and ``_date``."""
    spec = KINDS[kind]
    raw = _read(spark, files)
    headers = tuple(c for c in raw.columns if c not in ("_file", "_row"))
    sample = None
    if kind == "transactions" and ingest.generated_headers(headers):   # pragma: no cover (CSV without header)
        sample = [tuple(r) for r in raw.select(*headers).limit(1000).collect()]
    _proposed, cols = ingest.resolve_mapping(spec, headers, None, False, sample)
    table = spec.table
    store_cols = [(c, t) for c, t in table_schemas()[table] if c not in DERIVED_CUSTOMER_COLUMNS]
    out_ddl = ", ".join([f"`{c}` {spark_type(t)}" for c, t in store_cols] +
                        ["_row BIGINT", "_file STRING", "_problems ARRAY<STRING>", "_data STRING",
                         "_country STRING", "_date TIMESTAMP_NTZ", "_identical BIGINT"])
    positional = {h: f"c{i}" for i, h in enumerate(headers, start=1)}

    def check_file(batch: Any) -> Any:   # runs in a Spark task: one file's rows
        import duckdb

        from crm_core.ingest.check import check_rows
        from crm_core.ingest.statements import target_select_sql

        con = duckdb.connect()
        try:
            file = batch.column("_file")[0].as_py()
            con.register("_arrow", batch)
            cols_sql = ", ".join(f'"{h}" AS {positional[h]}' for h in headers)
            con.execute(f"CREATE TEMP TABLE _raw AS SELECT _row, {cols_sql} FROM _arrow ORDER BY _row")
            checked = check_rows(con, spec, cols, now=options["now"], zone=options["time_zone"],
                                 day_first=options["day_first"], decimal_comma=options["decimal_comma"],
                                 create_customers=True, identical_rows=options["identical_rows"], stored=False)
            identical = int(checked.identical_rows)
            select = target_select_sql(spec, set(checked.mapped))
            typed = {c for c in checked.mapped}
            country = "t.country" if "country" in typed else "NULL"
            date = "t.date" if "date" in typed else "NULL"
            values = ", ".join(f"CAST(r.{positional[h]} AS VARCHAR)" for h in headers)
            extra = (f", t._row AS _row, $file AS _file, t.problems AS _problems, to_json([{values}]) AS _data, "
                     f"{country} AS _country, CAST({date} AS TIMESTAMP) AS _date FROM _typed t JOIN _raw r USING (_row)")
            select = select.replace(" FROM _typed t", extra)
            cast = ", ".join([f'CAST("{c}" AS {t}) AS "{c}"' for c, t in store_cols] +
                             ["CAST(_row AS BIGINT) AS _row", "CAST(_file AS VARCHAR) AS _file",
                              "CAST(_problems AS VARCHAR[]) AS _problems", "CAST(_data AS VARCHAR) AS _data",
                              "CAST(_country AS VARCHAR) AS _country", "CAST(_date AS TIMESTAMP) AS _date",
                              f"CAST({identical} AS BIGINT) AS _identical"])
            return con.execute(f"SELECT {cast} FROM ({select})", {"ingest_id": ids[file], "file": file}).to_arrow_table()
        finally:
            con.close()

    mapped = {c for c in cols if not c.startswith("_extra:")}
    return raw.groupBy("_file").applyInArrow(check_file, out_ddl), mapped


def _stored_duplicates(checked: DataFrame, kind: str, mapped: set[str], earlier: DataFrame | None) -> DataFrame:
    """Mark rows whose key an earlier load stored (``row:duplicate_stored``), as the
    checks of ``ingest`` against stored rows do."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spec = KINDS[kind]
    if kind != "transactions":
        return checked
    if has_key(spec, mapped):
        key = ["transaction_id"]
    else:
        key = ["tx_date" if c == "date" else c for c in duplicate_key(spec, mapped) if c not in ("unit_price", "country")]
    ok = F.when(F.size("_problems") == 0, F.col("ingest_id"))
    rows = checked.select("*", ok.alias("_ok"))
    if earlier is not None:
        rows = rows.unionByName(earlier.select(*key, F.col("ingest_id").alias("_ok"), "ingest_id"),
                                allowMissingColumns=True).withColumn("_old", F.col("_row").isNull())
    else:
        rows = rows.withColumn("_old", F.lit(False))
    first = F.min("_ok").over(Window.partitionBy(*key))
    marked = rows.withColumn("_problems", F.when(first < F.col("ingest_id"), F.concat(
        "_problems", F.array(F.lit("row:duplicate_stored")))).otherwise(F.col("_problems")))
    return marked.where(~F.col("_old")).drop("_ok", "_old")


def build(lake: Path, target: Path, todo: list[tuple[str, Path]], first_id: int, manifest: dict[str, Any] | None,
          res: BuildResult, options: dict[str, Any], *, spark: SparkSession | None = None) -> dict[str, tuple[int, list[str]]]:
    """Load ``todo`` (after what ``manifest`` holds) and write the lake version ``target``."""
    import sqlglot
    from pyspark.sql import functions as F

    spark = spark or local_session()
    tables = SparkTables(spark, {t: s for t, s in table_schemas().items() if t in _STATE})
    for name in _STATE:
        files = (manifest or {}).get("files", {}).get(name)
        if files:
            tables.put(name, spark.read.parquet(*[str(lake / f) for f in files]))
        elif name == "meta":
            tables.put("meta", spark.createDataFrame([("default_margin", "0.30"), ("base_currency", "USD")],
                                                     "key STRING, value STRING"))
        else:
            tables.empty(name)
    ids = {str(f): first_id + i for i, (_k, f) in enumerate(todo)}
    loads: list[tuple[str, list[Path]]] = []
    for kind in ("customers", "transactions"):
        files = [f for k, f in todo if k == kind]
        if files:
            loads.append((kind, files))
    customers_new, tx_new, rejected = None, None, []
    for kind, files in loads:
        chk, mapped = _check_all(spark, kind, files, ids, options)
        old_tx = tables.tables["transactions"] if kind == "transactions" else None
        chk = _stored_duplicates(chk, kind, mapped, old_tx)
        chk = chk.localCheckpoint(eager=True)
        rejected.append(chk.where(F.size("_problems") > 0).select(
            F.lit(kind).alias("kind"), F.col("_file").alias("file"), F.col("_row").alias("row"),
            F.to_json("_problems").alias("problems"), F.col("_data").alias("data")))
        if kind == "customers":
            customers_new = chk.where(F.size("_problems") == 0)
        else:
            tx_new = chk.where(F.size("_problems") == 0)
        _count(res, kind, chk, ids, files)
    # Customers: a customers file's rows update stored ones column by column (what the file
    # leaves empty stays), new ones are added; then those the transactions name.
    cust_cols = [c for c, _t in table_schemas()["customers"]]
    current = tables.tables["customers"].withColumn("_load", F.lit(0))
    if customers_new is not None:
        new = customers_new.select(*[c for c in cust_cols if c not in DERIVED_CUSTOMER_COLUMNS], F.col("ingest_id").alias("_load"))
        def pick(c: str) -> Any:
            if c in DERIVED_CUSTOMER_COLUMNS:
                return F.col(f"o.{c}").alias(c)
            if c == "ingest_id":   # a stored customer keeps the load that created it
                return F.coalesce(F.col(f"o.{c}"), F.col(f"n.{c}")).alias(c)
            return F.coalesce(F.col(f"n.{c}"), F.col(f"o.{c}")).alias(c)

        merged = current.alias("o").join(new.alias("n"), "customer_id", "full_outer").select(
            "customer_id", *[pick(c) for c in cust_cols if c != "customer_id"],
            F.coalesce(F.col("o._load"), F.col("n._load")).alias("_load"))
        current = merged
    if tx_new is not None:
        first = (tx_new.groupBy("customer_id").agg(F.min("ingest_id").alias("_load")))
        latest = (tx_new.join(first.withColumnRenamed("_load", "ingest_id"), ["customer_id", "ingest_id"])
                  .groupBy("customer_id", "ingest_id").agg(F.max_by("_country", "_date").alias("country")))
        created = latest.join(current.select("customer_id"), "customer_id", "left_anti").select(
            "customer_id", "country", "ingest_id", F.col("ingest_id").alias("_load"))
        created = created.localCheckpoint(eager=True)
        per_load = {r["ingest_id"]: int(r["count"]) for r in created.groupBy("ingest_id").count().collect()}
        res.customers_created = sum(per_load.values())
        for f in res.files:
            f["customers_created"] = per_load.get(ids[f["file"]], 0) if f["kind"] == "transactions" else 0
        current = current.unionByName(created, allowMissingColumns=True)
    current = current.localCheckpoint(eager=True)
    keys = load_sql("refresh_customer_keys")
    for load in sorted({r[0] for r in current.select("_load").distinct().collect()}):
        tables.put("customers", current.where(F.col("_load") <= load).drop("_load")
                   .join(tables.tables["customers"].select("customer_id", F.col("customer_key").alias("_k")), "customer_id", "left")
                   .withColumn("customer_key", F.coalesce("customer_key", "_k")).drop("_k"), cache=True)
        tables.run_script(keys)
    if tx_new is not None:
        tables.put("transactions", tables.tables["transactions"].unionByName(
            tx_new.select(*[c for c, _t in table_schemas()["transactions"]]), allowMissingColumns=True), cache=True)
        start = tx_new.agg(F.min("tx_date")).collect()[0][0]
        if start is not None:
            view = sqlglot.parse_one(staging_view_sql(), read="duckdb")
            tables.put("stg_transactions", tables.query(view.expression, {}))
            order_ids = tables.tables["transactions"].where(F.col("order_id").isNotNull()).limit(1).count() > 0
            script = load_sql("refresh_customer_days", options=frozenset({"order_ids"}) if order_ids else frozenset())
            lo, hi = ALL_KEYS   # (one range of keys: Spark partitions the window itself)
            tables.run_script(script, {"start": start.replace(day=1), "lo": lo, "hi": hi})
    out: dict[str, tuple[int, list[str]]] = {}
    for layer in LAYERS:
        frame = tables.tables[layer.name]
        folder = target / layer.name
        if layer.name == "transactions":
            if tx_new is None:
                out["transactions"] = (0, [])
                continue
            frame = tx_new.select(*[c for c, _t in table_schemas()["transactions"]]).withColumn("p_load", F.col("ingest_id"))
            folder = lake / "transactions"
        out[layer.name] = _write(frame, layer, folder, lake)
    rej = rejected[0]
    for r in rejected[1:]:
        rej = rej.unionByName(r)
    if manifest and manifest.get("files", {}).get("rejected"):
        rej = spark.read.parquet(*[str(lake / f) for f in manifest["files"]["rejected"]]).unionByName(rej)
    out["rejected"] = _write(rej, None, target / "rejected", lake)
    return out


def _count(res: BuildResult, kind: str, chk: DataFrame, ids: dict[str, int], files: list[Path]) -> None:
    from pyspark.sql import functions as F

    per_file = {r["_file"]: r for r in chk.groupBy("_file").agg(
        F.count(F.lit(1)).alias("read"), F.sum(F.when(F.size("_problems") > 0, 1).otherwise(0)).alias("rejected"),
        F.sum(F.when(F.array_contains("_problems", "customer_id:guest"), 1).otherwise(0)).alias("guests"),
        F.max("_identical").alias("identical")).collect()}
    for f in files:
        r = per_file.get(str(f))
        read, rej = (int(r["read"]), int(r["rejected"])) if r else (0, 0)
        res.add({"kind": kind, "file": str(f), "status": "loaded" if read > rej else "rejected", "rows_read": read,
                 "rows_loaded": read - rej, "rows_rejected": rej, "customers_created": 0,
                 "identical_rows": int(r["identical"]) if r else 0,
                 "guest_rows": int(r["guests"]) if r else 0})
    for p, n in chk.select(F.explode("_problems").alias("p")).groupBy("p").count().collect():
        res.problems[p] = res.problems.get(p, 0) + int(n)



def _required(col: Any, name: str, duck_type: str, required: bool) -> Any:
    """``col`` as written: for a column the store declares NOT NULL, declared non-nullable, so
    the Parquet field is REQUIRED as in the DuckDB build's files (a reader then decodes no
    definition levels; with the key written plain, the benchmark's as-of scans of
    ``customer_days`` ran 9-13% faster, 5-10% behind the DuckDB build's files instead of 18-23%). A
    NULL there stops the build with an error naming the column; the literal after it is
    never reached, it only tells Spark that the expression cannot be NULL."""
    if not required:
        return col
    from pyspark.sql import functions as F

    t = duck_type.upper()
    zero = ("1970-01-01" if t == "DATE" else "1970-01-01 00:00:00" if t.startswith("TIMESTAMP")
            else "false" if t == "BOOLEAN" else "" if t == "VARCHAR" else "0")
    stop = F.raise_error(F.lit(f"{name} is NULL, which the store does not allow"))
    return F.coalesce(F.when(col.isNull(), stop).otherwise(col), F.lit(zero).cast(spark_type(duck_type)))


def _write(frame: DataFrame, layer: Any, folder: Path, lake: Path) -> tuple[int, list[str]]:
    """Write ``frame`` as the layer's Parquet (money rounded to the millionth, one file per partition)."""
    from pyspark.sql import functions as F

    before = set(folder.rglob("*.parquet")) if folder.exists() else set()
    if layer is not None:
        required = not_null_columns(layer.name)
        cols = [_required(F.expr(money_sql(c, "spark")) if t == "DOUBLE" else F.col(c).cast(spark_type(t)),
                          f"{layer.name}.{c}", t, c in required).alias(c)
                for c, t in export_columns(layer.name)]
        where = F.col("key").isin("default_margin", "base_currency") if layer.name == "meta" else F.lit(True)
        extra = ["p_load"] if layer.name == "transactions" else []
        frame = frame.where(where).select(*cols, *extra)
        parts = extra + ([layer.partition[0]] if layer.partition else [])
        if layer.partition:
            frame = frame.withColumn(layer.partition[0], F.expr(partition_expr(layer, "spark")))
        # Sorted by the partition columns first: the write requires that order, and Spark
        # re-sorts by them alone (losing the layer's order) when the frame's order lacks them.
        frame = (frame.repartition(*parts) if parts else frame.coalesce(1)).sortWithinPartitions(*parts, *layer.order)
        # Row groups of about DuckDB's size (~120k rows of a layer) rather than Spark's 128 MB:
        # a reader skips row groups by their statistics (a period, a customer), not whole files.
        # Transactions (by customer within a month) in smaller ones, as the DuckDB build
        # writes them (TRANSACTION_ROW_GROUP rows): a customer's lines are a row group a month.
        size = {"transactions": _TX_ROW_GROUP_BYTES, "customer_days": _DAYS_ROW_GROUP_BYTES,
                "customer_months": _MONTHS_ROW_GROUP_BYTES}.get(layer.name, _ROW_GROUP_BYTES)
        writer = (frame.write.mode("append").option("parquet.block.size", str(size)).option("compression", COMPRESSION)
                  # (a key is near unique within a row group: its dictionary is as large as the values
                  # and costs every reader a lookup a row; DuckDB writes it plain too)
                  .option("parquet.enable.dictionary#customer_key", "false"))
        writer = writer.partitionBy(*parts) if parts else writer
    else:
        writer = (frame.coalesce(1).sortWithinPartitions("kind", "file", "row").write.mode("append")
                  .option("compression", COMPRESSION))
    writer.parquet(str(folder))
    files = sorted(p for p in set(folder.rglob("*.parquet")) - before)
    n = 0
    if files:
        import pyarrow.parquet as pq

        n = sum(pq.ParquetFile(p).metadata.num_rows for p in files)
    rel = lake if folder.parent == lake else folder.parent.parent
    return n, [str(p.relative_to(rel)) for p in files]
