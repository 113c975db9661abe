"""Small shared renderers: KPI cards, definitions, notes. Text goes through the translator."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import pandas as pd
import streamlit as st

from crm_core.access import export
from crm_core.access.auth import Principal
from crm_core.charts.echarts import EChart
from crm_core.customers.overview import KPI_NAMES, Kpis
from crm_core.store.connection import Store

from .auth import now, principal
from .context import PageContext
from .customer360 import link

__all__ = ["kpi_row", "definitions", "customer_list", "chart", "lazy_tabs", "PREVIEW_ROWS"]

PREVIEW_ROWS = 200
# The columns a page is about come first (what the list is for: its segment, tier, quadrant,
# reason, value), then the figures, then contacts and attributes; the ID and name stay pinned
# on the left while the rest scrolls, so nothing that matters hides off to the right.
_PREVIEW_COLUMNS = ("customer_id", "name", "stage_before", "stage", "cohort",
                    "segment", "tier", "next_tier", "gap", "quadrant", "reason", "churn_date",
                    "clv", "p_alive", "value_at_risk", "days_overdue", "annual_revenue", "revenue", "period_revenue",
                    "gross_profit", "cost_to_serve", "net_profit", "expected_purchases", "recency_days", "frequency",
                    "frequency_ratio", "complaints", "open_cases", "email", "phone", "region", "channel",
                    "customer_type", "first_purchase")

_LOWER_IS_BETTER = {"lapse_rate"}


def chart(spec: EChart, key: str, on_select: Callable[[], None] | Literal["rerun"] | None = None) -> Any:
    """Draw an ECharts chart from a chart builder at its own height, full width, with the
    builder's renderer (SVG unless it asks for a canvas: text stays text, selectable,
    searchable, crisp in print), titled for screen readers. With ``on_select``, a selection
    (a click on an item where the builder sets ``selectedMode``, a brushed region where it
    sets ``brush``) calls it, or reruns; the chart's event state is returned."""
    extra: dict[str, Any] = {} if on_select is None else {"on_select": on_select}
    return st.echarts_chart(spec.option, height=spec.height, width="stretch", key=key, renderer=spec.renderer,
                            alt=spec.option.get("title", {}).get("text"), **extra)


def lazy_tabs(ctx: PageContext, label_keys: Sequence[str], key: str) -> Sequence[Any]:
    """Tabs of which only the open one runs (and ships). The widget holds the open tab's
    label, which changes with the language; the label's catalogue key is kept beside it
    (``<key>__open``), so switching the language keeps the same tab open."""
    labels = [ctx.tr.t(k) for k in label_keys]
    ss = st.session_state
    held, opened = ss.get(key), ss.get(f"{key}__open")
    if held is not None and held not in labels and opened in label_keys:
        ss[key] = labels[list(label_keys).index(opened)]
    tabs = st.tabs(labels, key=key, on_change="rerun")
    if ss.get(key) in labels:
        ss[f"{key}__open"] = label_keys[labels.index(ss[key])]
    return tabs


def _fmt(ctx: PageContext, name: str, value: float | None) -> str:
    t = ctx.tr
    if name in ("revenue", "gross_profit", "average_order_value"):
        return ctx.money(value, compact=True)   # cards: compact, three significant digits
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
        helptext = (t.t(f"kpi.{name}.help", previous=_fmt(ctx, name, getattr(k.previous, name))) if k.covered(name)
                    else t.t("kpi.previous_not_covered", first=t.date(k.first_date) if k.first_date else "—"))
        col.metric(t.t(f"kpi.{name}"), _fmt(ctx, name, getattr(k.current, name)), delta,
                   delta_color="inverse" if name in _LOWER_IS_BETTER else "normal", help=helptext, border=True)
    if not all(k.covered(name) for name in KPI_NAMES):
        st.caption(t.t("kpi.previous_not_covered", first=t.date(k.first_date) if k.first_date else "—"))


def definitions(ctx: PageContext, keys: tuple[str, ...]) -> None:
    with st.expander(ctx.tr.t("common.definitions"), icon=":material/help:"):
        for key in keys:
            st.markdown(f"**{ctx.tr.t(f'kpi.{key}')}** — {ctx.tr.t(f'definition.{key}')}")


@st.cache_data(show_spinner=False, max_entries=128)
def _contacts(path: str, version: int, ids: tuple[str, ...], who: Principal) -> pd.DataFrame:
    """Name, e-mail, phone of a previewed list (masked unless ``who`` may see them; only their
    accounts if bound to a manager): one query per list and data version, not per rerun."""
    frame = export.contact_preview(Store(path), pd.DataFrame({"customer_id": list(ids)}), who)
    return frame[[c for c in ("customer_id", "name", "email", "phone") if c in frame.columns]]


def customer_list(ctx: PageContext, customers: pd.DataFrame, name: str, key: str) -> None:
    """A customer list: count, a preview of the first rows (name, e-mail, phone masked unless the
    user may see them), and CSV / Excel downloads of all of it, built only when clicked, with
    contact fields only for those allowed, and recorded in the audit log."""
    t = ctx.tr
    who = principal()
    n = len(customers)
    st.caption(t.t("list.count", n=t.number(n), shown=t.number(min(n, PREVIEW_ROWS))))
    if n == 0:
        return
    head = customers.head(PREVIEW_ROWS)
    ids = tuple(head["customer_id"].astype(str))
    contacts = _contacts(ctx.store.path, ctx.version, ids, who)
    preview = head.drop(columns=[c for c in ("name", "email", "phone") if c in head.columns]) \
        .assign(customer_id=list(ids)).merge(contacts, on="customer_id", how="inner")
    cols = [c for c in _PREVIEW_COLUMNS if c in preview.columns]
    preview = preview[cols].copy()
    for col in ("segment", "tier", "next_tier"):
        if col in preview.columns:
            prefix = "segment" if col == "segment" else "tier"
            preview[col] = [t.t(f"{prefix}.{v}") if isinstance(v, str) else "" for v in preview[col].astype(object)]
    for col in {"stage", "stage_before"} & set(cols):
        preview[col] = [t.t(f"stage.{v}") if isinstance(v, str) else "" for v in preview[col].astype(object)]
    if "reason" in preview.columns:
        preview["reason"] = [t.t(f"reason.{v}") if isinstance(v, str) else "" for v in preview["reason"].astype(object)]
    for col in {"churn_date", "first_purchase"} & set(cols):
        preview[col] = [t.date(pd.Timestamp(v).date()) if pd.notna(v) else "" for v in preview[col]]
    if "quadrant" in preview.columns:
        preview["quadrant"] = [t.t(f"quad.{v}") if isinstance(v, str) else "" for v in preview["quadrant"]]
    money = {"revenue", "period_revenue", "gross_profit", "gap", "cost_to_serve", "net_profit", "clv", "annual_revenue",
             "value_at_risk"}
    for col in {"region", "channel", "customer_type"} & set(cols):
        preview[col] = [t.value(col, v) if isinstance(v, str) else "" for v in preview[col].astype(object)]
    for col in money & set(cols):
        preview[col] = [ctx.money(v) for v in preview[col]]
    for col in {"p_alive"} & set(cols):
        preview[col] = [t.percent(v) for v in preview[col]]
    for col in {"days_overdue"} & set(cols):
        preview[col] = [t.number(v) for v in preview[col]]
    for col in {"expected_purchases", "frequency_ratio"} & set(cols):
        preview[col] = [t.number(v, 2) for v in preview[col]]
    config = {c: st.column_config.Column(t.t(f"col.{c}"), pinned=c in ("customer_id", "name")) for c in cols}
    # Each row opens the customer's 360 screen (a new tab keeps the list where it was).
    preview.insert(0, "open", [link(i) for i in preview["customer_id"].astype(str)])
    config["open"] = st.column_config.LinkColumn(t.t("col.open"), display_text=t.t("list.open"), pinned=True,
                                                 width="small")
    st.dataframe(preview, hide_index=True, column_config=config, height=280, key=f"{key}_preview")
    store = ctx.store
    buttons = st.container(horizontal=True)   # CSV and Excel side by side, not half a page apart
    left = right = buttons
    left.download_button(t.t("list.download_csv"), icon=":material/download:", mime="text/csv",
                         data=lambda: export.customer_file(store, customers, who, "csv", subject=name, at=now()),
                         file_name=f"{name}.csv", on_click="ignore", key=f"{key}_csv")
    right.download_button(t.t("list.download_xlsx"), icon=":material/table:", file_name=f"{name}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          data=lambda: export.customer_file(store, customers, who, "xlsx", subject=name, at=now()),
                          on_click="ignore", key=f"{key}_xlsx")
