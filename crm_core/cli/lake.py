"""``build`` (the derived layers as a Parquet lake, by DuckDB or Spark) and ``--lake DIR``,
which every read command takes in place of ``--db PATH``."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from crm_core.ingest.load import IDENTICAL_ROWS
from crm_core.lake import build as lake_build
from crm_core.lake.catalog import attach

from .common import _print

__all__ = ["COMMANDS", "WRITERS", "add_parsers", "allow_lake", "resolve", "run"]

COMMANDS = ("build",)
#: Commands that write to a database or do not read one: no ``--lake``.
WRITERS = ("init", "demo", "ingest", "ingest-history", "ingest-rollback", "settings", "audit", "roles-check", "build")


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("build", help="build or update a Parquet lake of the derived layers (DuckDB or Spark)")
    p.add_argument("--engine", choices=lake_build.ENGINES, default="duckdb",
                   help="duckdb (one machine, default) or spark (PySpark: requirements-spark.txt and Java)")
    p.add_argument("--transactions", required=True, metavar="PATH",
                   help="a transactions file or a folder of them (Parquet, CSV, ...), read in name order")
    p.add_argument("--customers", metavar="PATH", help="a customers file or folder (optional: loaded first)")
    p.add_argument("--out", required=True, metavar="DIR", help="the lake folder (made if missing; updated if it exists)")
    order = p.add_mutually_exclusive_group()
    order.add_argument("--day-first", dest="day_first", action="store_const", const=True)
    order.add_argument("--month-first", dest="day_first", action="store_const", const=False)
    dec = p.add_mutually_exclusive_group()
    dec.add_argument("--decimal-comma", dest="decimal_comma", action="store_const", const=True)
    dec.add_argument("--decimal-point", dest="decimal_comma", action="store_const", const=False)
    p.add_argument("--identical-rows", choices=list(IDENTICAL_ROWS), default="purchases")
    p.add_argument("--time-zone", default=None, help="as for ingest (default: CRM_TIME_ZONE, else UTC)")
    p.add_argument("--json", action="store_true")


def allow_lake(sub: Any) -> None:
    """Give every read command ``--lake DIR`` beside ``--db PATH`` (one of them required)."""
    for name, p in sub.choices.items():
        if name in WRITERS:
            continue
        for action in p._actions:
            if "--db" in action.option_strings:
                action.required = False
                action.help = "database file (or --lake)"
        p.add_argument("--lake", metavar="DIR", help="a lake folder made by build, in place of --db")


def resolve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """With ``--lake``: point ``args.db`` at the lake's catalog (:func:`attach`)."""
    if args.command in WRITERS or not hasattr(args, "lake"):
        return
    if args.lake and args.db:
        parser.error("give --db or --lake, not both")
    if not args.lake and not args.db:
        parser.error(f"{args.command}: one of --db or --lake is required")
    if args.lake:
        args.db = attach(args.lake)


def run(args: argparse.Namespace) -> int:
    res = lake_build.build(args.engine, transactions=args.transactions, customers=args.customers, out=args.out,
                           now=datetime.now(), day_first=args.day_first, decimal_comma=args.decimal_comma,
                           identical_rows=args.identical_rows, time_zone=args.time_zone)
    doc = res.to_json()
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, default=str))
    else:
        _print({k: v for k, v in doc.items() if k not in ("files", "problems", "tables")}, False)
        print("tables: " + ", ".join(f"{k}={v}" for k, v in res.tables.items()))
        for k, v in sorted(res.problems.items()):
            print(f"  set aside: {k} x{v}")
    return 0
