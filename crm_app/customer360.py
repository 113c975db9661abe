"""Cached data of the Customer 360 page, and the link every customer list uses to open it.

Scores come from the same cached population frames the Segments, Pyramid, value and Churn
pages use with the user's current settings there, so a customer's segment, tier, CLV,
quadrant and risk here are the numbers those pages show.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

import pandas as pd
import streamlit as st

from crm_core.access import export
from crm_core.access.auth import Principal
from crm_core.errors import NoDataError
from crm_core.exits import risk
from crm_core.filters import Filters
from crm_core.i18n import DEFAULT_LANGUAGE
from crm_core.journey import customer as c360
from crm_core.journey.lifecycle import LifecycleRule
from crm_core.store.connection import Store

from . import customers, data, journey, value
from .context import PageContext

__all__ = ["link", "search", "record", "scores"]


def link(customer_id: str) -> str:
    """The Customer 360 URL of a customer (relative, in the user's language)."""
    lang = st.session_state.get("lang", DEFAULT_LANGUAGE)
    return f"customer?id={quote(str(customer_id), safe='')}" + (f"&lang={lang}" if lang != DEFAULT_LANGUAGE else "")


@st.cache_data(show_spinner=False, max_entries=64)
def search(path: str, version: int, text: str, filters: Filters, who: Principal) -> pd.DataFrame:
    """Matches for ``text`` (contact fields searched only for users who may see them), with
    name, e-mail and phone masked as everywhere for this user."""
    found = c360.search(Store(path), text, filters, contacts=who.can("see_contacts"))
    if found.empty:
        return found
    return export.contact_preview(Store(path), found.drop(columns=["name", "email", "phone"]), who)


@st.cache_resource(show_spinner=False, max_entries=16)
def record(path: str, version: int, customer_id: str, as_of: date, filters: Filters, window: int,
           rule: LifecycleRule, threshold: float | None) -> c360.Customer360 | None:
    """The customer's 360 record, or None when no such customer passes ``filters``."""
    try:
        return c360.record(Store(path), customer_id, as_of, filters, window_days=window, rule=rule,
                           alive=journey.alive(path, version, as_of, filters, threshold))
    except NoDataError:
        return None


def scores(ctx: PageContext, customer_id: str, stage: str | None) -> dict[str, Any]:
    """The customer's scores from the other pages' cached frames (their current settings)."""
    path, version, as_of = ctx.store.path, ctx.version, ctx.as_of
    targets = data.frame(path, version, customers.settings(ctx)).customers
    vs = value.settings(ctx, value.unit_costs(path, version))
    vd = value.value_data(path, version, vs)
    clv_scores = vd.result.scores if vd.result is not None else None
    signals = _signals(path, version, as_of, ctx.filters.one(customer_id))
    return c360.scores(customer_id, targets=targets, values=vd.frame, clv_scores=clv_scores, signals=signals,
                       time_unit=vs.time_unit, churned=stage == "churned")


@st.cache_data(show_spinner=False, max_entries=32)
def _signals(path: str, version: int, as_of: date, filters: Filters) -> pd.DataFrame:
    return risk.signals(Store(path), as_of, filters)
