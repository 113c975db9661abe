"""Command line for relationships: ``campaigns``, ``managers``, ``service``, ``affinity``,
``value-scorecard``, ``readiness`` (see README.md)."""

from __future__ import annotations

import argparse

from crm_core.customers import overview
from crm_core.filters import Filters
from crm_core.relations import affinity, campaigns, managers, scorecards, service, upgrade
from crm_core.store.connection import Store

from .common import _date, _filter_args, _positive, _print, _print_with_rows

__all__ = ["COMMANDS", "add_parsers", "run"]

COMMANDS: tuple[str, ...] = ("campaigns", "managers", "service", "affinity", "value-scorecard", "readiness")


def _measure(text: str) -> tuple[str, str]:
    term, sep, measure = text.partition("=")
    if not sep or term not in scorecards.MEASURES or measure not in scorecards.MEASURES[term]:
        choices = "; ".join(f"{t}: {', '.join(m)}" for t, m in scorecards.MEASURES.items())
        raise argparse.ArgumentTypeError(f"use TERM=MEASURE ({choices}): {text!r}")
    return term, measure


def _target(text: str) -> tuple[str, float]:
    manager, sep, value = text.partition("=")
    try:
        if not sep or not manager:
            raise ValueError
        return manager, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"use MANAGER_ID=AMOUNT: {text!r}") from None


def _common(sub: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=text)
    p.add_argument("--db", required=True)
    p.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: latest transaction date)")
    return p


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = _common(sub, "campaigns", "campaigns against their control groups: uplift, incremental revenue, ROI")
    p.add_argument("--window-days", type=_positive, default=campaigns.DEFAULT_WINDOW,
                   help=f"response window after each contact (default {campaigns.DEFAULT_WINDOW})")
    _filter_args(p)

    p = _common(sub, "managers", "account managers' portfolios ranked against their revenue targets")
    p.add_argument("--period-days", type=_positive, default=365, help="period (default 365)")
    p.add_argument("--window-days", type=_positive, help="inactivity window of churn (default: the Churn page's)")
    p.add_argument("--target", type=_target, action="append", default=[], help="MANAGER_ID=AMOUNT; repeatable")
    p.add_argument("--growth", type=float, default=0.05,
                   help="default target: last period's revenue x (1 + growth) (default 0.05)")
    _filter_args(p)

    p = _common(sub, "service", "service cases: volumes, speeds, and churn after complaints by response time")
    p.add_argument("--period-days", type=_positive, default=365, help="period (default 365)")
    p.add_argument("--horizon-days", type=_positive, default=180, help="what customers did in the days after (default 180)")
    p.add_argument("--window-days", type=_positive, help="inactivity window of churn (default: the Churn page's)")
    p.add_argument("--speed", choices=list(service.SPEEDS), default="resolution", help="band cases by (default resolution)")
    p.add_argument("--case-type", default="complaint", help="cases followed up (default complaint; 'all' for every type)")
    _filter_args(p)

    p = _common(sub, "affinity", "product-category affinity: support, confidence, lift; next category per segment")
    p.add_argument("--level", choices=list(affinity.LEVELS), default="basket", help="baskets or customers' histories")
    p.add_argument("--period-days", type=_positive, default=365, help="baskets of this period (default 365)")
    p.add_argument("--min-count", type=_positive, default=affinity.MIN_COUNT,
                   help=f"least units holding both categories (default {affinity.MIN_COUNT})")
    p.add_argument("--top", type=_positive, default=50, help="rules to list (default 50)")
    _filter_args(p)

    p = _common(sub, "value-scorecard", "the value customers receive (V = U + B + R - C - T) per RFM segment")
    p.add_argument("--period-days", type=_positive, default=365, help="period (default 365)")
    p.add_argument("--measure", type=_measure, action="append", default=[],
                   help="TERM=MEASURE, e.g. U=repeat; repeatable (defaults: "
                        + ", ".join(f"{t}={m}" for t, m in scorecards.DEFAULTS.items()) + ")")
    _filter_args(p)

    p = _common(sub, "readiness", "CRM readiness from the data: identify, differentiate, interact, customise")
    p.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    store = Store(args.db, busy_timeout=10)
    as_of = args.as_of or overview.default_as_of(store)
    filters = (Filters.of(args.region, args.channel, args.customer_type) if hasattr(args, "region") else Filters())
    if args.command == "campaigns":
        doc = campaigns.summary(store, as_of, window_days=args.window_days, filters=filters)
        rows, keys = "campaigns", ("campaign_id", "contacted", "control", "uplift", "uplift_ci", "verdict")
    elif args.command == "managers":
        doc = managers.summary(store, as_of, period_days=args.period_days, window_days=args.window_days,
                               filters=filters, targets=dict(args.target), growth=args.growth)
        rows, keys = "managers", ("rank", "manager_id", "accounts", "revenue", "target", "attainment", "churn_rate")
    elif args.command == "service":
        doc = service.summary(store, as_of, period_days=args.period_days, horizon_days=args.horizon_days,
                              window_days=args.window_days, speed=args.speed, filters=filters,
                              case_type=None if args.case_type == "all" else args.case_type)
        rows, keys = "bands", ("band", "customers", "churn_rate_after", "churn_rate_after_ci", "repeat_rate_after")
    elif args.command == "value-scorecard":
        doc = scorecards.value_summary(store, as_of, period_days=args.period_days, filters=filters,
                                       choice=dict(args.measure))
        rows, keys = "segments", ("segment", "customers", "V", "improve")
    elif args.command == "readiness":
        doc = scorecards.readiness_summary(store, as_of)
        rows, keys = "dimensions", ("dimension", "score")
    else:
        doc = affinity.summary(store, as_of, level=args.level, period_days=args.period_days,
                               min_count=args.min_count, filters=filters, top=args.top)
        table = upgrade.summary_table(upgrade.upgrade(store, as_of, period_days=args.period_days, filters=filters))
        doc["upgrade"] = [{"category": r.category, "buyers": int(r.buyers), "regular_buyers": int(r.regular_buyers),
                           "candidates": int(r.candidates), "lower_third": float(r.lower_third),
                           "upper_third": float(r.upper_third),
                           "median_gap": None if r.median_gap != r.median_gap else float(r.median_gap)}
                          for r in table.itertuples()]
        rows, keys = "pairs", ("antecedent", "consequent", "support", "confidence", "lift", "candidates")
    if args.json:
        _print(doc, True)
    else:
        short = {k: v for k, v in doc.items() if not isinstance(v, list) or k == rows}
        _print_with_rows({**short, rows: [{k: r.get(k) for k in keys} for r in doc[rows]]}, rows, False)
    return 0
