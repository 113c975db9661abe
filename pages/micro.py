"""Micro-segments: cut customers by up to three attributes, and compare two groups."""

from __future__ import annotations

import streamlit as st

from crm_app import data
from crm_app.context import page_context, require_data
from crm_app.customers import settings
from crm_app.router import ensure_router
from crm_app.widgets import chart, customer_list, lazy_tabs
from crm_core.charts.targets import cell_label, micro_bar_figure, mix_figure
from crm_core.customers import micro
from crm_core.customers.rfm import SEGMENTS

ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.micro"))
as_of = require_data(ctx)
st.caption(t.t("micro.caption", period=t.t(f"period.{ctx.period_days}"), as_of=t.date(as_of)))
s = settings(ctx)
frame = data.call(data.micro_frame, ctx.store.path, ctx.version, s)
if frame.customers.empty:
    st.info(t.t("empty.no_customers_match"), icon=":material/filter_alt_off:")
    st.stop()


def values_of(dim: str) -> list[str]:
    if dim == "category":
        return list(frame.categories)
    if dim == "tier":
        return [x for x in ("top", "big", "medium", "small", "inactive", "prospect")]
    if dim == "segment":
        return list(SEGMENTS)
    return sorted(str(v) for v in frame.customers[dim].astype(object).dropna().unique())


def label(dim: str, value: str) -> str:
    return cell_label(t, [dim], [value])


def conditions(prefix: str) -> dict[str, list[str]]:
    """Widgets for 'where' conditions: pick dimensions, then their allowed values."""
    dims = st.multiselect(t.t("micro.where"), list(micro.DIMENSIONS), key=f"{prefix}_where_dims",
                          format_func=lambda d: t.t(f"dim.{d}"), placeholder=t.t("filter.all"))
    out: dict[str, list[str]] = {}
    for dim in dims:
        out[dim] = st.multiselect(t.t(f"dim.{dim}"), values_of(dim), key=f"{prefix}_where_{dim}",
                                  format_func=lambda v, d=dim: label(d, v), placeholder=t.t("filter.all"))
    return out


def freeze(where: dict[str, list[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((k, tuple(sorted(v))) for k, v in where.items() if v))


cut_tab, compare_tab = lazy_tabs(ctx, ["micro.tab_cut", "micro.tab_compare"], "micro_tab")  # only the open one runs
with cut_tab:
    if cut_tab.open:
        dims = st.multiselect(t.t("micro.dims"), list(micro.DIMENSIONS), default=list(micro.DEFAULT_DIMS), max_selections=3,
                              key="micro_dims", format_func=lambda d: t.t(f"dim.{d}"), help=t.t("micro.dims_help"))
        where = conditions("micro")
        cells = data.call(data.micro_cut, ctx.store.path, ctx.version, s, tuple(dims), freeze(where))
        if "category" in dims:
            st.caption(t.t("micro.category_overlap"))
        if cells.empty:
            st.info(t.t("micro.empty"), icon=":material/filter_alt_off:")
        else:
            chart(micro_bar_figure(cells, dims, t, ctx.currency, ctx.rate), "micro_bar")
            shown = cells.head(200)
            table = shown[dims].copy()
            for d in dims:
                table[d] = [label(d, v) for v in table[d]]
            table[t.t("col.customers")] = [t.number(v) for v in shown["customers"]]
            table[t.t("micro.m.revenue")] = [ctx.money(v) for v in shown["revenue"]]   # lifetime
            table[t.t("col.revenue_share")] = [t.percent(v) for v in shown["revenue_share"]]
            table[t.t("micro.col.margin")] = [t.percent(v) for v in shown["margin"]]
            table[t.t("micro.col.revenue_per_customer")] = [ctx.money(v) for v in shown["revenue_per_customer"]]
            for seg in ("champions", "loyal", "at_risk", "lost"):
                table[t.t(f"segment.{seg}")] = [t.percent(v) for v in shown[f"mix_{seg}"]]
            table.columns = [t.t(f"dim.{c}") if c in dims else c for c in table.columns]
            st.dataframe(table, hide_index=True, width="stretch", key="micro_table")
            st.caption(t.t("micro.cells", n=t.number(len(cells)), shown=t.number(len(shown))))
            chart(mix_figure({cell_label(t, dims, row) or t.t("micro.all"):
                              {seg: getattr(r, f"mix_{seg}") for seg in SEGMENTS}
                              for row, r in zip(shown[dims].head(12).itertuples(index=False),
                                                shown.head(12).itertuples())}, t), "micro_mix")
        with st.expander(t.t("micro.list"), icon=":material/group:", key="micro_list_open", on_change="rerun") as box:
            if box.open:   # built (and shipped) only when opened
                customer_list(ctx, micro.select(frame, where), f"micro-{as_of.isoformat()}", "micro_list")

with compare_tab:
    if compare_tab.open:
        a_col, b_col = st.columns(2)
        with a_col:
            st.markdown(f"**{t.t('micro.group_a')}**")
            where_a = conditions("cmp_a")
        with b_col:
            st.markdown(f"**{t.t('micro.group_b')}**")
            where_b = conditions("cmp_b")
        cmp = data.call(data.micro_compare, ctx.store.path, ctx.version, s, freeze(where_a), freeze(where_b))
        rows = cmp[~cmp["measure"].str.startswith("mix_")]
        money = {"revenue", "gross_profit", "revenue_per_customer", "average_order_value"}
        fmt = {m: (ctx.money if m in money else t.percent if m == "margin" else
                   (lambda v: t.number(v, 1)) if m in ("frequency", "recency_days") else t.number) for m in rows["measure"]}
        table = {t.t("micro.measure"): [t.t(f"micro.m.{m}") for m in rows["measure"]],
                 t.t("micro.group_a"): [fmt[m](v) for m, v in zip(rows["measure"], rows["a"])],
                 t.t("micro.group_b"): [fmt[m](v) for m, v in zip(rows["measure"], rows["b"])]}
        st.dataframe(table, hide_index=True, width="stretch", key="micro_cmp_table")
        mix = cmp[cmp["measure"].str.startswith("mix_")]
        chart(mix_figure({t.t("micro.group_a"): dict(zip(mix["measure"].str[4:], mix["a"])),
                          t.t("micro.group_b"): dict(zip(mix["measure"].str[4:], mix["b"]))}, t), "micro_cmp_mix")
        la, lb = st.columns(2)
        with la:
            customer_list(ctx, micro.select(frame, where_a), f"group-a-{as_of.isoformat()}", "micro_a_list")
        with lb:
            customer_list(ctx, micro.select(frame, where_b), f"group-b-{as_of.isoformat()}", "micro_b_list")
