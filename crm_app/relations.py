"""Cached data of the relationship pages (Managers, Service, Campaigns, Cross-selling), keyed
on the data version. Churn is the Churn page's churn as chosen there (read through
:func:`crm_app.journey.churn_setting`); CLV and cost to serve are the Profitability page's
(its cached value frame with the user's settings), so a figure is the same on every page."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from crm_core.filters import Filters
from crm_core.relations import affinity as aff
from crm_core.relations import campaigns as cp
from crm_core.relations import managers as mg
from crm_core.relations import scorecards as sc
from crm_core.relations import service as sv
from crm_core.relations import upgrade as upg
from crm_core.store.arrow_frames import index_in
from crm_core.store.connection import Store

from . import customers, data, journey, value
from .context import PageContext

__all__ = ["portfolios", "service", "campaigns", "campaign_segments", "affinity", "next_by_segment", "people",
           "value_scorecard", "readiness", "upgrade", "case_types"]


def _value_settings(ctx: PageContext) -> value.ValueSettings:
    """The value pages' settings as the user has them (CLV and cost to serve are theirs)."""
    return value.settings(ctx, value.unit_costs(ctx.store.path, ctx.version))


@st.cache_resource(show_spinner=False, max_entries=8)
def _portfolios(path: str, version: int, as_of: date, filters: Filters, period_days: int, window: int,
                threshold: float | None, s: value.ValueSettings, targets: tuple[tuple[str, float], ...],
                growth: float) -> pd.DataFrame:
    frame = value.value_data(path, version, s).frame
    return mg.portfolios(Store(path), as_of, period_days=period_days, window_days=window,
                         alive=journey.alive(path, version, as_of, filters, threshold), filters=filters,
                         values=frame, targets=dict(targets), growth=growth)


def portfolios(ctx: PageContext, as_of: date, targets: dict[str, float], growth: float) -> pd.DataFrame:
    """Every manager's portfolio with the user's churn, value and target settings (shared)."""
    window, threshold = journey.churn_setting(ctx, as_of)
    s = _value_settings(ctx)
    return _portfolios(ctx.store.path, ctx.version, as_of, ctx.filters, ctx.period_days, window, threshold, s,
                       tuple(sorted(targets.items())), growth)


@st.cache_resource(show_spinner=False, max_entries=8)
def _service(path: str, version: int, as_of: date, filters: Filters, period_days: int, horizon: int, window: int,
             threshold: float | None, speed: str, case_type: str | None) -> sv.ServiceReport:
    return sv.service(Store(path), as_of, period_days=period_days, horizon_days=horizon, window_days=window,
                      alive=journey.alive(path, version, as_of, filters, threshold), speed=speed,
                      case_type=case_type, filters=filters)


def service(ctx: PageContext, as_of: date, horizon: int, speed: str, case_type: str | None) -> sv.ServiceReport:
    window, threshold = journey.churn_setting(ctx, as_of)
    return _service(ctx.store.path, ctx.version, as_of, ctx.filters, ctx.period_days, horizon, window, threshold,
                    speed, case_type)


@st.cache_resource(show_spinner=False, max_entries=8)
def campaigns(path: str, version: int, as_of: date, filters: Filters, window: int) -> cp.CampaignReport:
    return cp.campaigns(Store(path), as_of, window_days=window, filters=filters)


@st.cache_data(show_spinner=False, max_entries=16)
def campaign_segments(path: str, version: int, as_of: date, filters: Filters, window: int, campaign_id: str
                      ) -> pd.DataFrame:
    rep = campaigns(path, version, as_of, filters, window)
    return cp.by_segment(Store(path), rep, campaign_id, filters=filters)


@st.cache_resource(show_spinner=False, max_entries=8)
def affinity(path: str, version: int, as_of: date, filters: Filters, period_days: int) -> aff.Affinity:
    return aff.affinity(Store(path), as_of, period_days=period_days, filters=filters)


def _segments(path: str, version: int, s: data.TargetSettings) -> pd.DataFrame:
    """customer_id and RFM segment as the Segments page has them (its cached, warmed frame,
    with the user's bins and segment map)."""
    return data.frame(path, version, s).customers[["customer_id", "segment"]]


@st.cache_data(show_spinner=False, max_entries=8)
def _next_by_segment(path: str, version: int, s: data.TargetSettings, min_count: int) -> pd.DataFrame:
    a = affinity(path, version, s.as_of, s.filters, s.period_days)
    return aff.next_by_segment(a, _segments(path, version, s), min_count=min_count)


def next_by_segment(ctx: PageContext, min_count: int) -> pd.DataFrame:
    """The category to offer each segment next (segments as on the Segments page)."""
    return _next_by_segment(ctx.store.path, ctx.version, customers.settings(ctx), min_count)


def people(path: str, version: int, filters: Filters, ids: object) -> pd.DataFrame:
    """The customers with these ids (customer_id and attributes), in the given order."""
    who = journey.people(path, version, filters)
    rows = index_in(pd.Series(list(ids), dtype=object), who["customer_id"])
    cols = ["customer_id", "region", "channel", "customer_type", "first_purchase"]
    return who.iloc[rows[rows >= 0]][cols].reset_index(drop=True)


@st.cache_resource(show_spinner=False, max_entries=8)
def _value_scorecard(path: str, version: int, s: data.TargetSettings, choice: tuple[tuple[str, str], ...]
                     ) -> sc.Scorecard:
    return sc.value_scorecard(Store(path), s.as_of, period_days=s.period_days, filters=s.filters, choice=dict(choice),
                              segments=_segments(path, version, s))


def value_scorecard(ctx: PageContext, choice: dict[str, str]) -> sc.Scorecard:
    """The value scorecard with the chosen measures; segments as on the Segments page."""
    return _value_scorecard(ctx.store.path, ctx.version, customers.settings(ctx), tuple(sorted(choice.items())))


@st.cache_data(show_spinner=False, max_entries=8)
def readiness(path: str, version: int, as_of: date) -> dict:
    return sc.readiness_summary(Store(path), as_of)


@st.cache_resource(show_spinner=False, max_entries=8)
def upgrade(path: str, version: int, as_of: date, filters: Filters, period_days: int) -> upg.Upgrade:
    return upg.upgrade(Store(path), as_of, period_days=period_days, filters=filters)


@st.cache_data(show_spinner=False, max_entries=8)
def case_types(path: str, version: int) -> list[str]:
    return sv.case_types(Store(path))
