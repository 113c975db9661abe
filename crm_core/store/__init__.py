"""The store: the one access point to the DuckDB file.

- ``connection``: :class:`~crm_core.store.connection.Store` (opening, locking, migrations,
  transactions, named queries with bound parameters, the derived-data refresh);
- ``sql_text``: the named SQL statements of every package and the migrations;
- ``arrow_frames``: Arrow query results to pandas;
- ``sql/``: the statements the store runs itself (the filter semi-join, the derived-data
  refresh) and ``sql/migrations/``, the schema.
"""
