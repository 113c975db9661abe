"""Command line for the customer over time: ``lifecycle``, ``cohorts`` (see README.md for the keys)."""

from __future__ import annotations

import argparse

from crm_core.customers import overview
from crm_core.filters import Filters
from crm_core.journey import cohorts, lifecycle
from crm_core.store.connection import Store

from .common import _date, _filter_args, _positive, _print, _print_with_rows

__all__ = ["COMMANDS", "add_parsers", "run"]

COMMANDS: tuple[str, ...] = ("lifecycle", "cohorts")


def _rule_args(p: argparse.ArgumentParser) -> None:
    d = lifecycle.LifecycleRule()
    p.add_argument("--window-days", type=_positive, help="inactivity window of churn (default: the Churn page's)")
    p.add_argument("--new-days", type=_positive, default=d.new_days,
                   help=f"new / won back: first purchase / return within this many days (default {d.new_days})")
    p.add_argument("--loyal-purchases", type=_positive, default=d.loyal_purchases,
                   help=f"loyal: at least this many purchase days (default {d.loyal_purchases})")
    p.add_argument("--risk-factor", type=float, default=d.risk_factor,
                   help=f"at risk: days since the last purchase above this times the usual gap (default {d.risk_factor})")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lifecycle", help="lifecycle stages at the as-of date and at each month end before it")
    p.add_argument("--db", required=True)
    p.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: latest transaction date)")
    p.add_argument("--months", type=_positive, default=24, help="month ends to report (default 24)")
    _rule_args(p)
    _filter_args(p)

    p = sub.add_parser("cohorts", help="cohorts by first purchase (or attribute): retention and revenue per period")
    p.add_argument("--db", required=True)
    p.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: latest transaction date)")
    p.add_argument("--by", choices=list(cohorts.BY), default="month", help="cohort by (default month)")
    p.add_argument("--periods", type=_positive, default=36, help="periods after the first purchase (default 36)")
    _filter_args(p)


def run(args: argparse.Namespace) -> int:
    store = Store(args.db, busy_timeout=10)
    filters = Filters.of(args.region, args.channel, args.customer_type)
    as_of = args.as_of or overview.default_as_of(store)
    if args.command == "lifecycle":
        rule = lifecycle.LifecycleRule(new_days=args.new_days, loyal_purchases=args.loyal_purchases,
                                       risk_factor=args.risk_factor)
        doc = lifecycle.summary(store, as_of, months=args.months, filters=filters, window_days=args.window_days,
                                rule=rule)
        if args.json:
            _print(doc, True)
        else:
            _print_with_rows({k: v for k, v in doc.items() if k != "months"}, "stages", False)
    elif args.command == "cohorts":
        doc = cohorts.summary(store, as_of, by=args.by, periods=args.periods, filters=filters)
        if args.json:
            _print(doc, True)
        else:
            rows = [{"cohort": c["cohort"], "customers": c["customers"],
                     "retention": " ".join(f"{v:.0%}" for v in c["retention"][:13])} for c in doc["cohorts"]]
            _print_with_rows({**{k: v for k, v in doc.items() if k != "cohorts"}, "cohorts": rows}, "cohorts", False)
    return 0
