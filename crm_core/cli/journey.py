"""Command line for the customer over time: ``lifecycle``, ``cohorts``, ``funnel``, ``customer`` (see README.md)."""

from __future__ import annotations

import argparse

from crm_core.customers import overview
from crm_core.filters import Filters
from crm_core.journey import cohorts, funnel, lifecycle
from crm_core.journey import customer as c360
from crm_core.store.connection import Store

from .common import _date, _filter_args, _positive, _print, _print_with_rows

__all__ = ["COMMANDS", "add_parsers", "run"]

COMMANDS: tuple[str, ...] = ("lifecycle", "cohorts", "funnel", "customer")


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

    d = funnel.FunnelRule()
    p = sub.add_parser("funnel", help="contacts -> prospects -> first-time, repeat, loyal and lifetime customers")
    p.add_argument("--db", required=True)
    p.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: latest transaction date)")
    p.add_argument("--by", choices=list(funnel.BY), default="all", help="one funnel, or one per channel / region")
    p.add_argument("--loyal-purchases", type=_positive, default=d.loyal_purchases,
                   help=f"loyal: at least this many purchase days (default {d.loyal_purchases})")
    p.add_argument("--lifetime-days", type=_positive, default=d.lifetime_days,
                   help=f"lifetime: loyal, a customer this many days, not churned (default {d.lifetime_days})")
    p.add_argument("--window-days", type=_positive, help="inactivity window of churn (default: the Churn page's)")
    p.add_argument("--known-after", type=_date, help="only contacts who became known after this date")
    _filter_args(p)
    _customer_parser(sub)


def _customer_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("customer", help="one customer: profile, stage history, purchases, contacts and every score")
    p.add_argument("--db", required=True)
    p.add_argument("customer_id", help="the customer's ID")
    p.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: latest transaction date)")
    p.add_argument("--period-days", type=_positive, default=365, help="window of the scores (default 365)")
    p.add_argument("--lines", type=_positive, default=50, help="transaction lines to print (default 50)")
    p.add_argument("--json", action="store_true")


def _customer(store: Store, args: argparse.Namespace, as_of) -> dict:
    """The 360 record with the scores computed as the pages compute them (default settings)."""
    from crm_core.customers import micro
    from crm_core.exits import churn, risk
    from crm_core.value import quadrants

    everyone = Filters()
    window = churn.default_window(store, as_of)
    rec = c360.record(store, args.customer_id, as_of, everyone, window_days=window)
    targets = micro.customer_frame(store, as_of, everyone, period_days=args.period_days)
    vf = quadrants.value_frame(store, as_of, args.period_days, everyone)
    sc = c360.scores(args.customer_id, targets=targets, values=vf.frame,
                     clv_scores=None if vf.result is None else vf.result.scores,
                     signals=risk.signals(store, as_of, everyone.one(args.customer_id)), churned=rec.stage == "churned")
    return c360.to_json(rec, sc, lines=args.lines)


def run(args: argparse.Namespace) -> int:
    store = Store(args.db, busy_timeout=10)
    as_of = args.as_of or overview.default_as_of(store)
    if args.command == "customer":
        doc = _customer(store, args, as_of)
        _print(doc, True) if args.json else _print_with_rows({k: v for k, v in doc.items()
                                                             if k not in ("stage_history", "memberships")}, "lines", False)
        return 0
    filters = Filters.of(args.region, args.channel, args.customer_type)
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
    elif args.command == "funnel":
        rule = funnel.FunnelRule(loyal_purchases=args.loyal_purchases, lifetime_days=args.lifetime_days)
        doc = funnel.summary(store, as_of, filters=filters, rule=rule, by=args.by, window_days=args.window_days,
                             known_after=args.known_after)
        if args.json:
            _print(doc, True)
        else:
            _print_with_rows({k: v for k, v in doc.items() if k not in ("touches", "groups")}, "steps", False)
    return 0
