"""Run the store's own SQL scripts on Apache Spark: one definition of each derived layer.

The derived layers (customer keys, ``customer_days`` running totals, ``customer_months``,
``day_totals``, ``category_days``, first purchase) are defined once, as the DuckDB SQL the store runs after
every load (``store/sql/refresh_customer_keys.sql``, ``refresh_customer_days.sql``) and
the staging view of the migrations. :class:`SparkTables` executes those same scripts on
Spark: SQLGlot (a maintained SQL parser and transpiler) parses each DuckDB statement and
writes its queries in Spark SQL; the data-changing statements, which Spark's Parquet
tables do not support in place, become the equivalent query over the current table:

- ``CREATE TEMP TABLE x AS q``  -> ``x`` := q (cached: read more than once)
- ``DELETE FROM t WHERE c``     -> ``t`` := ``SELECT * FROM t WHERE NOT coalesce(c, FALSE)``
- ``INSERT INTO t (cols) q``    -> ``t`` := t ∪ q (cast to ``t``'s column types)
- ``UPDATE t AS a SET col = e FROM s AS b WHERE c`` -> ``t`` := t left-joined to s on c,
  ``col`` = e where a row of s matched (the scripts' updates match at most one row)
- ``DROP TABLE x``              -> ``x`` forgotten

So a change to the SQL changes both engines; nothing is kept twice. Tables are Spark
DataFrames registered as temporary views under the store's table names.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

if TYPE_CHECKING:   # pyspark is an optional extra (requirements-spark.txt)
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkTables", "to_spark_sql", "spark_type"]

_MATCHED = "__crm_matched"


def to_spark_sql(node: exp.Expression) -> str:
    """A parsed DuckDB query written in Spark SQL (``$name`` parameters become ``:name``)."""
    return node.sql(dialect="spark", comments=False)


def spark_type(duck_type: str) -> str:
    """The Spark SQL type that holds a DuckDB column type exactly (TIMESTAMP is a local,
    zone-less time in both: Spark's TIMESTAMP_NTZ)."""
    t = duck_type.upper()
    if t.startswith("DECIMAL"):
        return t
    return {"VARCHAR": "STRING", "DATE": "DATE", "TIMESTAMP": "TIMESTAMP_NTZ", "INTEGER": "INT", "BIGINT": "BIGINT",
            "DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN", "SMALLINT": "SMALLINT", "FLOAT": "FLOAT",
            "HUGEINT": "DECIMAL(38, 0)", "TIMESTAMP WITH TIME ZONE": "TIMESTAMP"}[t]


class SparkTables:
    """Named tables (DataFrames) and the statements that change them; see the module docstring."""

    def __init__(self, spark: SparkSession, schemas: dict[str, list[tuple[str, str]]]) -> None:
        self.spark = spark
        self.schemas = schemas            # table -> [(column, DuckDB type)], the store's own
        self.tables: dict[str, DataFrame] = {}

    def put(self, name: str, frame: DataFrame, *, cache: bool = False) -> DataFrame:
        """Register ``frame`` as table ``name`` (cast to the store's column types when the
        table is one of the store's)."""
        if name in self.schemas:
            frame = frame.selectExpr(*[f"CAST(`{c}` AS {spark_type(t)}) AS `{c}`" for c, t in self.schemas[name]])
        if cache:
            frame = frame.localCheckpoint(eager=True)   # computed once; the plan below it is cut
        old = self.tables.get(name)
        self.tables[name] = frame
        frame.createOrReplaceTempView(name)
        if old is not None and old is not frame:
            old.unpersist()
        return frame

    def empty(self, name: str) -> DataFrame:
        """An empty table with the store's columns."""
        ddl = ", ".join(f"`{c}` {spark_type(t)}" for c, t in self.schemas[name])
        return self.put(name, self.spark.createDataFrame([], ddl))

    def query(self, node: exp.Expression, params: dict[str, Any]) -> DataFrame:
        dates = {k for k, v in params.items() if isinstance(v, date) and not isinstance(v, datetime)}

        def typed(n: exp.Expression) -> exp.Expression:   # a date is bound as text, cast in SQL
            if isinstance(n, (exp.Parameter, exp.Placeholder)) and n.name in dates:
                return exp.cast(n.copy(), "date")
            return n

        sql = to_spark_sql(node.copy().transform(typed) if dates else node)
        args = {k: (v.isoformat() if k in dates else v) for k, v in params.items() if f":{k}" in sql}
        return self.spark.sql(sql, args=args or None)

    def run_script(self, script: str, params: dict[str, Any] | None = None) -> None:
        """Execute a DuckDB script (statements separated by ``;``) on these tables."""
        params = params or {}
        for node in sqlglot.parse(script, read="duckdb"):
            if node is None or isinstance(node, exp.Semicolon):
                continue
            self.run(node, params)

    def run(self, node: exp.Expression, params: dict[str, Any]) -> None:
        if isinstance(node, exp.Create):
            name = node.this.name
            self.put(name, self.query(node.expression, params), cache=True)
        elif isinstance(node, exp.Delete):
            table = node.this
            cond = node.args["where"].this
            keep = exp.select("*").from_(exp.to_table(table.name)).where(
                exp.not_(exp.func("coalesce", exp.paren(cond.copy()), exp.false())))
            self.put(table.name, self.query(keep, params), cache=True)
        elif isinstance(node, exp.Insert):
            target = node.this
            name, cols = target.this.name, [c.name for c in target.expressions]
            added = self.query(node.expression, params).toDF(*cols)
            current = self.tables[name]
            self.put(name, current.unionByName(added, allowMissingColumns=True), cache=True)
        elif isinstance(node, exp.Update):
            self.put(node.this.name, self.query(self._update_as_select(node), params), cache=True)
        elif isinstance(node, exp.Drop):
            for table in node.args.get("tables") or [node.this]:
                frame = self.tables.pop(table.name, None)
                self.spark.catalog.dropTempView(table.name)
                if frame is not None:
                    frame.unpersist()
        else:
            raise NotImplementedError(f"no Spark form for {type(node).__name__}: {node.sql()[:80]}")

    def _update_as_select(self, node: exp.Update) -> exp.Expression:
        """``UPDATE t AS a SET col = e, ... FROM s AS b WHERE c`` as ``SELECT`` of every
        column of ``t``, the set ones from ``e`` where a row of ``s`` matched ``c``."""
        table = node.this
        name, alias = table.name, table.alias_or_name
        source = node.args.get("from") or node.args.get("from_")
        src = source.this
        src_alias = src.alias_or_name
        inner = src.this if isinstance(src, exp.Subquery) else exp.to_table(src.name)
        marked = exp.select("*", exp.alias_(exp.true(), _MATCHED)).from_(
            exp.Subquery(this=inner.copy(), alias=exp.TableAlias(this=exp.to_identifier("__crm_src")))
            if isinstance(inner, exp.Query) else inner.copy())
        sets = {e.this.name: e.expression for e in node.expressions}
        columns = []
        for col, _type in self.schemas[name]:
            own = exp.column(col, table=alias)
            if col in sets:
                columns.append(exp.alias_(exp.Case().when(exp.column(_MATCHED, table=src_alias), sets[col].copy())
                                          .else_(own), col))
            else:
                columns.append(exp.alias_(own, col))
        return (exp.select(*columns)
                .from_(exp.alias_(exp.to_table(name), alias, table=True))
                .join(exp.Subquery(this=marked, alias=exp.TableAlias(this=exp.to_identifier(src_alias))),
                      on=node.args["where"].this.copy(), join_type="left"))
