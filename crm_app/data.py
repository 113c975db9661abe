"""Cached access to ``crm_core``, keyed on the database's data version (never on time).

Every cached function takes the database path and its data version as the first two
arguments, so a load through any process invalidates exactly the stale entries.
:func:`call` retries while another process holds the database's write lock and
shows a "database busy, retrying" notice meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import streamlit as st

from crm_core.customers import base as customers
from crm_core.customers import micro, overview, pyramid, rfm
from crm_core.errors import CrmError, DatabaseBusyError
from crm_core.filters import Filters
from crm_core.i18n import translator
from crm_core.store.connection import Store

from .warm_cache import warmable

__all__ = ["call", "retry_run", "run_done", "show_error", "data_version", "db_info", "filter_options", "headline", "trend", "BUSY_RETRY_SECONDS",
           "TargetSettings", "frame", "members", "micro_frame", "targets", "micro_cut", "micro_compare", "what_if", "base_currency",
           "target_summaries", "attributes"]

T = TypeVar("T")
BUSY_RETRY_SECONDS = 30.0


def show_error(err: CrmError) -> None:
    """The error in the user's language; never a traceback."""
    tr = translator(st.session_state.get("lang", "en"))
    st.error(tr.t(err.message_key, **err.params), icon=":material/error:")


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn``; while the database is busy, say so and retry with back-off.

    Any other :class:`CrmError` (missing, corrupt, newer file...) is shown as a
    translated message and the page stops there.
    """
    deadline = time.monotonic() + BUSY_RETRY_SECONDS
    delay, notice = 0.1, None
    while True:
        try:
            result = fn(*args, **kwargs)
            if notice is not None:
                notice.empty()
            return result
        except DatabaseBusyError as err:
            if time.monotonic() > deadline:
                if notice is not None:
                    notice.empty()
                show_error(err)
                st.stop()
            if notice is None:
                notice = st.empty()
                lang = st.session_state.get("lang", "en")
                notice.warning(translator(lang).t("status.db_busy_retrying"), icon=":material/hourglass_top:")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        except CrmError as err:
            if notice is not None:
                notice.empty()
            show_error(err)
            st.stop()


def retry_run(err: DatabaseBusyError) -> None:
    """The page run met the database lock outside :func:`call` (a page's own cached call):
    say so, wait and run the page again, for up to :data:`BUSY_RETRY_SECONDS` in all; then
    the translated error. Never a traceback."""
    since = st.session_state.setdefault("_busy_since", time.monotonic())
    if time.monotonic() - since > BUSY_RETRY_SECONDS:
        st.session_state.pop("_busy_since", None)
        show_error(err)
        return
    st.warning(translator(st.session_state.get("lang", "en")).t("status.db_busy_retrying"),
               icon=":material/hourglass_top:")
    time.sleep(0.3)
    st.rerun()


def run_done() -> None:
    """A page run finished: the next busy spell starts its own wait."""
    st.session_state.pop("_busy_since", None)


def data_version(path: str) -> int:
    """Not cached by Streamlit: the store re-reads it only when the file changed."""
    return Store(path).data_version()


@st.cache_data(show_spinner=False, max_entries=16)
@warmable
def db_info(path: str, version: int) -> dict[str, Any]:
    store = Store(path)
    first, last = store.date_range()
    fx = {cur: float(rate) for cur, rate in store.rows("SELECT currency, per_base FROM fx_rates ORDER BY currency")}
    base = store.meta("base_currency", "USD") or "USD"
    fx = {base: fx.get(base, 1.0), **{k: v for k, v in fx.items() if k != base}}
    return {"first_date": first, "last_date": last, "fx": fx, "base_currency": base,
            "schema_version": store.schema_version(), "tables": store.table_counts(), "lake": store.meta("lake"),
            "ingests": store.df("SELECT * FROM ingest_log ORDER BY ingest_id DESC LIMIT 50")}


@st.cache_data(show_spinner=False, max_entries=16)
@warmable
def filter_options(path: str, version: int) -> dict[str, list[str]]:
    return customers.filter_options(Store(path))


@st.cache_data(show_spinner=False, max_entries=64)
@warmable
def headline(path: str, version: int, as_of: date, filters: Filters, period_days: int) -> overview.Headline:
    """The Overview's KPIs and both Pareto curves (one query; the metric switch picks a curve)."""
    return overview.headline(Store(path), as_of, filters, period_days)


@st.cache_data(show_spinner=False, max_entries=64)
@warmable
def trend(path: str, version: int, as_of: date, filters: Filters, months: int = 24):  # -> pd.DataFrame
    return overview.trend(Store(path), as_of, filters, months)


@dataclass(frozen=True)
class TargetSettings:
    """Everything the target-customer pages' numbers depend on (hashable: a cache key)."""

    as_of: date
    filters: Filters
    period_days: int = 365
    bins: int = 5
    metric: str = "revenue"
    shares: tuple[float, ...] = pyramid.DEFAULT_SHARES
    scheme: tuple[rfm.SegmentRule, ...] = rfm.DEFAULT_SCHEME


@st.cache_resource(show_spinner=False, max_entries=4)
@warmable(keep=True)
def frame(path: str, version: int, s: TargetSettings) -> micro.MicroFrame:
    """One row per customer with segment and tier. Shared, never copied: callers must not
    modify it (select/cut return new frames). No categories: see :func:`micro_frame`."""
    df = micro.customer_frame(Store(path), s.as_of, s.filters, period_days=s.period_days, bins=s.bins,
                              metric=s.metric, shares=s.shares, scheme=s.scheme)
    return micro.MicroFrame(df, ())


@st.cache_resource(show_spinner=False, max_entries=32)
def members(path: str, version: int, s: TargetSettings, where: tuple[tuple[str, tuple[Any, ...]], ...]):  # -> DataFrame
    """The customers of :func:`frame` matching ``where`` (``((dimension, values), ...)``), by
    revenue, highest first: a customer list's rows, picked and sorted once per data version
    and choice (on 500k customers, 0.05-0.1 s a page run otherwise). Shared: read-only."""
    chosen = micro.select(frame(path, version, s), {dim: list(values) for dim, values in where})
    return chosen.sort_values("revenue", ascending=False, kind="stable")


@st.cache_resource(show_spinner=False, max_entries=4)
@warmable(keep=True)
def micro_frame(path: str, version: int, s: TargetSettings) -> micro.MicroFrame:
    """:func:`frame` plus product categories bought and loyalty membership (Micro-segments)."""
    return attributes(path, frame(path, version, s), s)


def attributes(path: str, base: micro.MicroFrame, s: TargetSettings) -> micro.MicroFrame:
    return micro.with_attributes(Store(path), base.customers, s.as_of, s.filters, period_days=s.period_days)


@st.cache_data(show_spinner=False, max_entries=32)
@warmable(keep=True)
def targets(path: str, version: int, s: TargetSettings) -> dict[str, Any]:
    """The small aggregates of the Segments and Pyramid pages (see :func:`target_summaries`)."""
    return target_summaries(frame(path, version, s).customers, s)


def target_summaries(df: Any, s: TargetSettings) -> dict[str, Any]:
    """Segment table, R x F grid, pyramid, and both Pareto curves (from the same frame:
    buyers in the window)."""
    active = df["period_frequency"].to_numpy() > 0
    return {"segments": rfm.segment_summary(df), "grid": rfm.rf_grid(df, s.bins, s.scheme),
            "pyramid": pyramid.pyramid_summary(df),
            "pareto_revenue": overview.pareto_from_values(df["period_revenue"].to_numpy()[active], "revenue"),
            "pareto_gross_profit": overview.pareto_from_values(df["period_gross_profit"].to_numpy()[active],
                                                               "gross_profit"),
            "customers": len(df), "buyers": int(df["segment"].notna().sum())}


@st.cache_data(show_spinner=False, max_entries=64)
@warmable
def micro_cut(path: str, version: int, s: TargetSettings, dims: tuple[str, ...],
              where: tuple[tuple[str, tuple[str, ...]], ...]):  # -> pd.DataFrame
    return micro.cut(micro_frame(path, version, s), list(dims), dict(where))


@st.cache_data(show_spinner=False, max_entries=64)
@warmable
def micro_compare(path: str, version: int, s: TargetSettings, a: tuple[tuple[str, tuple[str, ...]], ...],
                  b: tuple[tuple[str, tuple[str, ...]], ...]):  # -> pd.DataFrame
    """Two micro-segments side by side (conditions frozen as sorted tuples)."""
    return micro.compare(micro_frame(path, version, s), dict(a), dict(b))


@st.cache_data(show_spinner=False, max_entries=64)
@warmable
def what_if(path: str, version: int, s: TargetSettings, percent: float) -> pyramid.WhatIf:
    return pyramid.what_if(frame(path, version, s).customers, percent, s.metric)


@st.cache_resource(show_spinner=False, max_entries=8)
@warmable
def upgrade(path: str, version: int, s: TargetSettings, closeness: int) -> dict[str, Any]:
    """Upgrade candidates at ``closeness`` percent of the next tier's floor, by tier, each
    sorted by the value still missing. Shared, never copied: callers must not modify it."""
    cands = pyramid.upgrade_candidates(frame(path, version, s).customers, s.metric, closeness / 100)
    return {tier: cands[cands["tier"] == tier].sort_values("gap", kind="stable")
            for tier in ("big", "medium", "small", "inactive")}


def base_currency(ctx: Any) -> str:
    """The database's base currency (the one stored amounts and cost settings are in)."""
    return str(call(db_info, ctx.store.path, ctx.version)["base_currency"])
