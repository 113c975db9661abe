"""Command line: ``python -m crm_core COMMAND``. Everything a page shows can be computed here.

Exit codes: 0 success, 1 a data or database problem (one line on stderr), 2 usage.
``--json`` output keys are stable and documented in README.md.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from crm_core import __version__, apply_process_settings
from crm_core.access import audit, auth
from crm_core.customers import overview, pyramid
from crm_core.customers import report as segments
from crm_core.demo import generate as demo
from crm_core.errors import CrmError, IngestError, InputFileError
from crm_core.exits import churn
from crm_core.exits.alive import AliveRule
from crm_core.filters import Filters
from crm_core.ingest import load as ingest
from crm_core.ingest.schema import KINDS
from crm_core.loyalty import report as loyalty_report
from crm_core.loyalty.estimate import Design
from crm_core.store.connection import Store, latest_version
from crm_core.value import clv, costs, quadrants

from . import journey, lake, relations
from .common import _date, _filter_args, _positive, _print, _print_frame, _print_with_rows

__all__ = ["build_parser", "main"]


def _os_user() -> str:
    """The login running the command (the local user: full rights, like the app's local mode)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _cost_args(p: argparse.ArgumentParser) -> None:
    """The cost-to-serve assumptions the value pages start from (contact types at their average
    recorded cost)."""
    p.add_argument("--return-cost", type=float, default=10.0, help="handling cost per returned line")
    p.add_argument("--order-cost", type=float, default=0.0, help="handling cost per order (purchase day); default 0")
    p.add_argument("--loyalty-operating", action="store_true",
                   help="charge loyalty programs' operating costs (operations, marketing, other) to members too")


def _assumptions(store: Store, args: argparse.Namespace) -> costs.CostAssumptions:
    return costs.CostAssumptions(unit_costs=costs.default_unit_costs(store), return_cost=args.return_cost,
                                 order_cost=args.order_cost, loyalty_operating=args.loyalty_operating)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crm_core", description="CRM analytics over a DuckDB file.")
    parser.add_argument("--version", action="version", version=f"crm_core {__version__} (schema {latest_version()})")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="create an empty CRM database, or upgrade an older one in place")
    p.add_argument("--db", required=True, help="database file")

    p = sub.add_parser("demo", help="generate the demo database (deterministic)")
    p.add_argument("--db", required=True, help="database file to write")
    p.add_argument("--customers", type=_positive, default=demo.DEFAULT_CUSTOMERS, help="number of customers")
    p.add_argument("--seed", type=int, default=demo.DEFAULT_SEED, help="random seed")
    p.add_argument("--force", action="store_true", help="replace the file if it exists")

    p = sub.add_parser("info", help="schema version, data version, row counts, date range")
    p.add_argument("--db", required=True)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("summary", help="the Overview KPIs")
    p.add_argument("--db", required=True)
    p.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: latest transaction date)")
    p.add_argument("--period-days", type=_positive, default=365, help="length of the period (default 365)")
    _filter_args(p)

    p = sub.add_parser("segments", help="RFM segments, the customer pyramid and the 80/20 figures")
    p.add_argument("--db", required=True)
    p.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: latest transaction date)")
    p.add_argument("--period-days", type=_positive, default=365, help="active window in days (default 365)")
    p.add_argument("--bins", type=int, choices=(3, 4, 5), default=5, help="RFM score bins (default 5)")
    p.add_argument("--metric", choices=("revenue", "gross_profit"), default="revenue", help="pyramid ranking value")
    p.add_argument("--tiers", type=_shares, default=pyramid.DEFAULT_SHARES,
                   help="customer shares of Top,Big,Medium,Small (default 0.01,0.04,0.15,0.80)")
    _filter_args(p)

    p = sub.add_parser("clv", help="fit BG/NBD + Gamma-Gamma, score customers, check a holdout")
    p.add_argument("--db", required=True)
    p.add_argument("--calibration-end", type=_date, required=True, help="fit on purchases up to this date")
    p.add_argument("--holdout-end", type=_date, help="compare predictions with purchases up to this date")
    p.add_argument("--time-unit", choices=("day", "week"), default="week", help="unit of recency, T and rates")
    p.add_argument("--horizon", type=float, help="prediction horizon in time units (default: one year)")
    p.add_argument("--discount", type=float, default=0.10, help="annual discount rate (default 0.10)")
    p.add_argument("--margin", type=float, help="margin on revenue (default: gross profit / revenue)")
    p.add_argument("--period-days", type=_positive, default=365,
                   help="window up to the calibration end whose cost to serve per purchase net CLV charges "
                        "(default 365, as the Lifetime value page's period)")
    _cost_args(p)
    _filter_args(p)

    p = sub.add_parser("churn", help="churn rate, reasons, profit lost and the retention break-even")
    p.add_argument("--db", required=True)
    p.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: latest transaction date)")
    p.add_argument("--period-days", type=_positive, default=365, help="period for rate and reasons (default 365)")
    p.add_argument("--window-days", type=_positive, help="inactivity window (default: from the data)")
    p.add_argument("--reduction", type=float, default=0.01, help="churn cut for the break-even (0.01 = 1 point)")
    p.add_argument("--definition", choices=("inactivity", "p_alive"), default="inactivity",
                   help="customers without churn events: churned after the window, or when P(alive) is low")
    p.add_argument("--threshold", type=float, default=0.5, help="P(alive) below which a customer is churned (0.5)")
    p.add_argument("--lost-profit", choices=("years", "clv"), default="years",
                   help="value a churned customer by annual profit x remaining years, or by their CLV at churn")
    _filter_args(p)

    p = sub.add_parser("loyalty", help="loyalty programs: matched lift, naive lift, costs, fees, ROI")
    p.add_argument("--db", required=True)
    p.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: latest transaction date)")
    p.add_argument("--pre-months", type=_positive, default=6, help="months before enrolment (default 6)")
    p.add_argument("--post-months", type=_positive, default=6, help="months after enrolment (default 6)")
    p.add_argument("--neighbours", type=_positive, default=1, help="matched controls per member (default 1)")
    p.add_argument("--caliper", type=float, default=0.2, help="max distance in SD of the logit score (default 0.2)")
    p.add_argument("--seed", type=int, help=argparse.SUPPRESS)   # accepted, ignored: nothing is drawn at random
    _filter_args(p)

    p = sub.add_parser("ingest", help="load a file (CSV/TSV/Excel/Parquet, gz/zip) of one kind, all or nothing")
    p.add_argument("--db", required=True)
    p.add_argument("--kind", required=True, choices=list(KINDS), help="what the file holds")
    p.add_argument("file", help="the file to load")
    p.add_argument("--map", action="append", default=[], metavar="SOURCE=column",
                   help="map a source header to a canonical column (repeatable; SOURCE= drops nothing, keeps it aside)")
    p.add_argument("--encoding", help="text encoding (default: detected)")
    p.add_argument("--sheet", help="Excel sheet (default: the first)")
    order = p.add_mutually_exclusive_group()
    order.add_argument("--day-first", dest="day_first", action="store_const", const=True, help="dates like 05/03/2024 are 5 March")
    order.add_argument("--month-first", dest="day_first", action="store_const", const=False, help="... are May 3")
    p.add_argument("--accept-rejects", action="store_true", help="load the good rows and set the rejected ones aside")
    p.add_argument("--drop-extra", action="store_true", help="drop columns the kind does not know (default: keep aside)")
    dec = p.add_mutually_exclusive_group()
    dec.add_argument("--decimal-comma", dest="decimal_comma", action="store_const", const=True,
                     help="amounts use a decimal comma (10,50); default: decided per column from its values")
    dec.add_argument("--decimal-point", dest="decimal_comma", action="store_const", const=False,
                     help="amounts use a decimal point (10.50; a comma separates thousands)")
    p.add_argument("--time-zone", default=None,
                   help="times with a zone or offset (+09:00, Z) are converted to this zone (IANA name); "
                        "default: CRM_TIME_ZONE, else UTC")
    p.add_argument("--known-customers-only", action="store_true",
                   help="transactions: refuse rows of customers not on file (default: create them, id only)")
    p.add_argument("--identical-rows", choices=list(ingest.IDENTICAL_ROWS), default="purchases",
                   help="transactions without a transaction id: identical rows are separate purchases (default) "
                        "or duplicates (errors)")
    p.add_argument("--user", default=_os_user(), help="recorded in the load history and audit log (default: your login)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("ingest-history", help="every load: who, when, file, hash, rows read / loaded / rejected")
    p.add_argument("--db", required=True)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("ingest-rollback", help="remove the rows a load added")
    p.add_argument("--db", required=True)
    p.add_argument("ingest_id", type=_positive)
    p.add_argument("--user", default=_os_user(), help="recorded in the audit log (default: your login)")

    p = sub.add_parser("settings", help="show the database's settings; --default-margin sets the assumed margin")
    p.add_argument("--db", required=True)
    p.add_argument("--default-margin", type=float, metavar="SHARE",
                   help="assumed margin of sales without a recorded cost (0.30 = 30%%); recomputes gross profit")
    p.add_argument("--user", default=_os_user(), help="recorded in the audit log (default: your login)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("audit", help="the audit log: uploads, rollbacks, exports, sign-ins (newest first)")
    p.add_argument("--db", required=True)
    p.add_argument("--action", choices=list(audit.AUDIT_ACTIONS))
    p.add_argument("--limit", type=_positive, default=100)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("roles-check", help="validate a roles file; with --email, show the role it gives that person")
    p.add_argument("roles", help="the roles file (TOML)")
    p.add_argument("--email", help="an e-mail address to resolve")
    p.add_argument("--claim", action="append", default=[], metavar="NAME=VALUE",
                   help="an identity-provider claim to resolve with (repeatable)")

    p = sub.add_parser("quadrants", help="profitability quadrants: profit vs cost to serve, profit vs CLV")
    p.add_argument("--db", required=True)
    p.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: latest transaction date)")
    p.add_argument("--period-days", type=_positive, default=365, help="window for profit and costs (default 365)")
    p.add_argument("--time-unit", choices=("day", "week"), default="week")
    _cost_args(p)
    _filter_args(p)
    journey.add_parsers(sub)
    relations.add_parsers(sub)
    lake.add_parsers(sub)
    lake.allow_lake(sub)
    return parser


def _shares(text: str) -> tuple[float, ...]:
    try:
        return pyramid.check_shares([float(x) for x in text.split(",")])
    except (ValueError, CrmError) as exc:
        raise argparse.ArgumentTypeError("four shares like 0.01,0.04,0.15,0.80 adding up to 1") from exc


def _run(args: argparse.Namespace) -> int:
    if args.command == "init":
        store = Store(args.db, create=True, busy_timeout=10)
        print(f"{store.path}: schema version {store.schema_version()}")
    elif args.command == "demo":
        res = demo.generate(args.db, customers=args.customers, seed=args.seed, force=args.force,
                            progress=lambda f, _k: print(f"\r{f:4.0%}", end="", file=sys.stderr, flush=True))
        print(file=sys.stderr)
        print(f"{res.path}: {res.customers} customers, {res.transactions} transactions in {res.seconds:.1f} s")
    elif args.command == "info":
        store = Store(args.db, busy_timeout=10)
        first, last = store.date_range()
        _print({"path": store.path, "schema_version": store.schema_version(), "data_version": store.data_version(),
                "base_currency": store.meta("base_currency"), "first_transaction": first, "last_transaction": last,
                "tables": store.table_counts()}, args.json)
    elif args.command == "summary":
        store = Store(args.db, busy_timeout=10)
        filters = Filters.of(args.region, args.channel, args.customer_type)
        _print(overview.summary(store, args.as_of, filters, args.period_days), args.json)
    elif args.command == "segments":
        store = Store(args.db, busy_timeout=10)
        filters = Filters.of(args.region, args.channel, args.customer_type)
        rep = segments.report(store, args.as_of, filters, bins=args.bins, period_days=args.period_days,
                              metric=args.metric, shares=args.tiers)
        if args.json:
            _print(rep, True)
        else:
            _print({k: v for k, v in rep.items() if not isinstance(v, list)}, False)
            for key in ("segments", "pyramid"):
                print(f"{key}:")
                for row in rep[key]:
                    print("  " + "  ".join(f"{k}={v}" for k, v in row.items()))
    elif args.command == "clv":
        store = Store(args.db, busy_timeout=10)
        filters = Filters.of(args.region, args.channel, args.customer_type)
        # Net of cost to serve as on the page: each customer's cost per purchase in the window.
        window = quadrants.quadrant_frame(store, args.calibration_end, args.period_days, filters,
                                          _assumptions(store, args))
        res = clv.run_clv(store, args.calibration_end, holdout_end=args.holdout_end, filters=filters,
                          time_unit=args.time_unit, horizon=args.horizon, annual_discount=args.discount,
                          margin=args.margin, cost_per_purchase=quadrants.window_cost_per_purchase(window))
        doc = clv.to_json(res)
        _print(doc if args.json else {k: v for k, v in doc.items() if k != "holdout"}, args.json)
        if not args.json and doc["holdout"]:
            _print({"holdout": {k: v for k, v in doc["holdout"].items() if k != "by_frequency"}}, False)
    elif args.command == "churn":
        store = Store(args.db, busy_timeout=10)
        filters = Filters.of(args.region, args.channel, args.customer_type)
        as_of = args.as_of or overview.default_as_of(store)
        alive, model = None, None
        if args.definition == "p_alive" or args.lost_profit == "clv":  # the Lifetime value page's model (weeks)
            model = clv.fit_models(clv.clv_summary(store, as_of, filters=filters, time_unit="week"),
                                   time_unit="week", calibration_end=as_of)
        if args.definition == "p_alive":
            alive = AliveRule(model.bgnbd.params, 7.0, args.threshold)
        doc = churn.summary(store, as_of, period_days=args.period_days, window_days=args.window_days,
                            filters=filters, reduction_points=args.reduction, alive=alive,
                            clv_model=model if args.lost_profit == "clv" else None)
        _print_with_rows(doc, "reasons", args.json)
    elif args.command == "loyalty":
        store = Store(args.db, busy_timeout=10)
        filters = Filters.of(args.region, args.channel, args.customer_type)
        as_of = args.as_of or overview.default_as_of(store)
        design = Design(pre_months=args.pre_months, post_months=args.post_months, neighbours=args.neighbours,
                        caliper=args.caliper,
                        lapse_months=min(Design.lapse_months, args.post_months))
        doc = loyalty_report.to_json(loyalty_report.analyse(store, as_of, design, filters))
        _print_with_rows(doc, "programs", args.json)
    elif args.command in journey.COMMANDS:
        return journey.run(args)
    elif args.command in relations.COMMANDS:
        return relations.run(args)
    elif args.command in lake.COMMANDS:
        return lake.run(args)
    elif args.command == "ingest":
        return _ingest(args)
    elif args.command == "ingest-history":
        _print_frame(ingest.history(Store(args.db, busy_timeout=10)), args.json)
    elif args.command == "ingest-rollback":
        removed = ingest.rollback(Store(args.db, busy_timeout=10), args.ingest_id,
                                  actor=auth.Principal.local_user(args.user), at=datetime.now())
        print(f"load {args.ingest_id} rolled back: {removed} rows removed")
    elif args.command == "settings":
        store = Store(args.db, busy_timeout=10)
        if args.default_margin is not None:
            before = costs.set_default_margin(store, args.default_margin)
            audit.log(store, auth.Principal.local_user(args.user), "setting_changed", at=datetime.now(),
                      subject="default_margin", detail={"from": before, "to": args.default_margin})
        doc = {"default_margin": costs.margin_basis(store, date.max).default_margin}
        _print(doc, args.json)
    elif args.command == "audit":
        _print_frame(audit.entries(Store(args.db, busy_timeout=10), auth.Principal.local_user(_os_user()),
                                   limit=args.limit, action=args.action), args.json)
    elif args.command == "roles-check":
        rules = auth.load_rules(args.roles)
        doc: dict[str, Any] = {"users": len(rules.users), "claim": rules.claim, "default_role": rules.default_role}
        if args.email or args.claim:
            claims: dict[str, Any] = {"email": args.email, "sub": args.email}
            for item in args.claim:
                key, _, value = item.partition("=")
                if key in ("email", "sub"):
                    raise SystemExit(f"error: give {key} with --email, not --claim")
                claims.setdefault(key, []).append(value)
            p = auth.resolve(rules, claims)
            doc.update(user=p.user, role=p.role, manager=p.manager, rights=sorted(p.grants))
        print(json.dumps(doc, ensure_ascii=False))
    elif args.command == "quadrants":
        store = Store(args.db, busy_timeout=10)
        filters = Filters.of(args.region, args.channel, args.customer_type)
        as_of = args.as_of or overview.default_as_of(store)
        rep = quadrants.report(store, as_of, args.period_days, filters, _assumptions(store, args),
                               time_unit=args.time_unit)
        _print(rep, args.json)
    return 0


def _ingest(args: argparse.Namespace) -> int:
    """Exit 0 loaded or duplicate, 1 rejected (the reasons on stdout with --json)."""
    mapping = {}
    for item in args.map:
        source, sep, target = item.partition("=")
        if not sep:
            raise SystemExit(f"error: --map needs SOURCE=column, got {item!r}")
        mapping[source] = target
    store = Store(args.db, busy_timeout=10, create=True)   # a first load creates the database
    try:
        res = ingest.load_file(store, args.file, args.kind, now=datetime.now(), mapping=mapping, drop_extra=args.drop_extra,
                               encoding=args.encoding, sheet=args.sheet, day_first=args.day_first,
                               accept_rejects=args.accept_rejects,
                               known_customers_only=args.known_customers_only, identical_rows=args.identical_rows,
                               decimal_comma=args.decimal_comma, time_zone=args.time_zone,
                               actor=auth.Principal.local_user(args.user))
    except (IngestError, InputFileError) as exc:
        if not args.json:
            raise
        print(json.dumps({"status": "rejected", "kind": args.kind, "file": args.file, "rows_read": 0, "rows_loaded": 0,
                          "rows_rejected": 0, "errors": [{"row": None, "column": exc.params.get("column"),
                                                          "problem": exc.params.get("problem")}],
                          "message": str(exc)}, ensure_ascii=False))
        return 1
    doc = res.to_json()
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, default=str))
    else:
        _print({k: v for k, v in doc.items() if k not in ("errors", "mapping")}, False)
        print("mapping: " + ", ".join(f"{k} -> {v or '(kept aside)'}" for k, v in res.mapping.items()))
        for e in res.errors[:20]:
            print(f"  row {e['row']}: {e['column']} {e['problem']}")
    return 1 if res.status == "rejected" else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        apply_process_settings()
        lake.resolve(parser, args)
        return _run(args)
    except CrmError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": "), file=sys.stderr)
        return 1
