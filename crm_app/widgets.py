"""Small shared renderers: KPI cards, definitions, notes. Text goes through the translator."""

from __future__ import annotations

import streamlit as st

from crm_core.overview import KPI_NAMES, Kpis

from .context import PageContext

__all__ = ["kpi_row", "definitions"]

_LOWER_IS_BETTER = {"churn_rate"}


def _fmt(ctx: PageContext, name: str, value: float | None) -> str:
    t = ctx.tr
    if name in ("revenue", "gross_profit", "average_order_value"):
        return ctx.money(value, compact=name != "average_order_value")
    if name.endswith("_rate"):
        return t.percent(value)
    return t.number(value)


def kpi_row(ctx: PageContext, k: Kpis) -> None:
    """One card per KPI with its change against the previous period."""
    t = ctx.tr
    cols = st.columns(4) + st.columns(4)
    for col, name in zip(cols, KPI_NAMES):
        change = k.change(name)
        delta = None
        if change is not None:
            delta = t.points(change) if name.endswith("_rate") else t.signed_percent(change)
        col.metric(t.t(f"kpi.{name}"), _fmt(ctx, name, getattr(k.current, name)), delta,
                   delta_color="inverse" if name in _LOWER_IS_BETTER else "normal",
                   help=t.t(f"kpi.{name}.help", previous=_fmt(ctx, name, getattr(k.previous, name))), border=True)


def definitions(ctx: PageContext, keys: tuple[str, ...]) -> None:
    with st.expander(ctx.tr.t("common.definitions"), icon=":material/help:"):
        for key in keys:
            st.markdown(f"**{ctx.tr.t(f'kpi.{key}')}** — {ctx.tr.t(f'definition.{key}')}")
