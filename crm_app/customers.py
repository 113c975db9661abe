"""Settings shared by the Segments, Pyramid and Micro-segments pages.

Values live in persistent session keys (``rfm_bins``, ``rfm_scheme``, ``pyr_metric``,
``pyr_shares``), so a setting made on one page holds on the others.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from crm_core.customers import rfm
from crm_core.customers.pyramid import DEFAULT_SHARES, VALUE_TIERS, check_shares
from crm_core.errors import CrmError

from . import data
from .context import PageContext, persist

__all__ = ["settings", "bins_control", "scheme_editor", "tier_controls", "picked_index", "drill_from_map"]


def settings(ctx: PageContext) -> data.TargetSettings:
    ss = st.session_state
    return data.TargetSettings(as_of=ctx.as_of, filters=ctx.filters, period_days=ctx.period_days,  # type: ignore[arg-type]
                               bins=int(ss.get("rfm_bins", 5)), metric=ss.get("pyr_metric", "revenue"),
                               shares=tuple(ss.get("pyr_shares", DEFAULT_SHARES)),
                               scheme=tuple(ss.get("rfm_scheme", rfm.DEFAULT_SCHEME)))


def picked_index(state: Any) -> int | None:
    """The item index clicked on a single-selection ECharts chart, from its widget state
    (``{"selection": {"selected": [{"data_indices": [i]}]}}``); None when nothing is selected."""
    try:
        selected = state["selection"]["selected"]
        return int(selected[0]["data_indices"][0]) if selected and selected[0]["data_indices"] else None
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def drill_from_map(codes: list[str]) -> None:
    """Treemap click: list the clicked segment's customers (``codes`` in the treemap's data order).
    ECharts numbers a treemap's nodes depth-first with its (invisible) root as 0: tile k is k + 1."""
    i = picked_index(st.session_state.get("seg_treemap"))
    if i is not None and 1 <= i <= len(codes):
        st.session_state["seg_drill_mode"] = "segment"
        st.session_state["seg_pick"] = codes[i - 1]


def bins_control(ctx: PageContext) -> None:
    t = ctx.tr
    st.segmented_control(t.t("segments.bins"), [3, 4, 5], default=int(st.session_state.get("rfm_bins", 5)),
                         key="w_rfm_bins", on_change=persist, args=("rfm_bins",), help=t.t("segments.bins_help"),
                         required=True)


def scheme_editor(ctx: PageContext) -> None:
    """The segment map as an editable table; applied only when it covers every cell once."""
    t = ctx.tr
    current = st.session_state.get("rfm_scheme", rfm.DEFAULT_SCHEME)
    table = pd.DataFrame([{"segment": t.t(f"segment.{r.segment}"), "r_min": r.r_min, "r_max": r.r_max,
                           "f_min": r.f_min, "f_max": r.f_max, "action": t.t(f"action.{rfm.ACTIONS[r.segment]}")}
                          for r in current])
    st.markdown(t.t("segments.scheme_help"))
    bounds = {c: st.column_config.NumberColumn(t.t(f"segments.scheme.{c}"), min_value=1, max_value=5, step=1)
              for c in ("r_min", "r_max", "f_min", "f_max")}
    edited = st.data_editor(table, hide_index=True, disabled=["segment", "action"], key="w_rfm_scheme_table",
                            column_config={"segment": st.column_config.TextColumn(t.t("col.segment")),
                                           "action": st.column_config.TextColumn(t.t("col.action")), **bounds})
    left, right = st.columns(2)
    if left.button(t.t("segments.scheme_apply"), key="w_rfm_scheme_apply"):
        rules = tuple(rfm.SegmentRule(r.segment, int(e.r_min), int(e.r_max), int(e.f_min), int(e.f_max))
                      for r, e in zip(current, edited.itertuples()))
        try:
            rfm.scheme_grid(rules)
        except rfm.SchemeError as err:
            st.error(t.t("segments.scheme_invalid", cell=err.params.get("value", "")), icon=":material/error:")
        else:
            st.session_state.rfm_scheme = rules
            st.rerun()
    if right.button(t.t("segments.scheme_reset"), key="w_rfm_scheme_reset"):
        st.session_state.rfm_scheme = rfm.DEFAULT_SCHEME
        st.session_state.pop("w_rfm_scheme_table", None)
        st.rerun()


def tier_controls(ctx: PageContext) -> None:
    """Ranking metric and the four tier shares (in %), validated together."""
    t, ss = ctx.tr, st.session_state
    st.segmented_control(t.t("pyramid.metric"), ["revenue", "gross_profit"], default=ss.get("pyr_metric", "revenue"),
                         format_func=lambda m: t.t(f"metric.{m}"), key="w_pyr_metric", on_change=persist,
                         args=("pyr_metric",), required=True)
    shares = ss.get("pyr_shares", DEFAULT_SHARES)
    with st.expander(t.t("pyramid.tier_shares"), icon=":material/tune:", key="pyr_shares_open",
                     on_change="rerun") as box:
        if not box.open:   # the form is built only when opened
            return
        with st.form(key="pyr_shares_form", border=False):
            cols = st.columns(4)
            values = [c.number_input(t.t(f"tier.{tier}"), min_value=0.1, max_value=99.9, value=round(s * 100, 2),
                                     step=0.5, format="%.1f", key=f"w_share_{tier}")
                      for c, tier, s in zip(cols, VALUE_TIERS, shares)]
            if st.form_submit_button(t.t("pyramid.apply")):
                try:
                    ss.pyr_shares = check_shares([v / 100 for v in values])
                    st.rerun()
                except CrmError:
                    st.error(t.t("pyramid.shares_invalid", total=t.number(sum(values), 1)), icon=":material/error:")
