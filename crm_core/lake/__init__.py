"""Beyond one machine: the derived layers as a Parquet lake, built by DuckDB or Apache Spark.

- ``build``: ``python -m crm_core build``: loads with the rules of ``ingest``, writes the lake.
- ``spark_engine``: the same build on PySpark (row rules in tasks, layers in Spark SQL).
- ``spark_sql``: the store's own SQL scripts run on Spark, translated by SQLGlot.
- ``layout``: the lake's tables, partitions and manifest.
- ``catalog``: a lake read as a CRM database (``--lake DIR``): DuckDB views over its files.

PySpark and SQLGlot are an optional extra (``requirements-spark.txt``); only the Spark
engine imports them.
"""

__all__: list[str] = []
