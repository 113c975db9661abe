"""Cached data and controls of the Loyalty page (keyed on the data version, never on time)."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from crm_core.errors import CrmError
from crm_core.filters import Filters
from crm_core.loyalty import report as loyalty_report
from crm_core.loyalty.estimate import Design
from crm_core.loyalty.report import LoyaltyReport, ProgramReport
from crm_core.store.connection import Store

from .context import PageContext, persist
from .warm_cache import warmable

__all__ = ["report", "design_controls", "program_card"]


@st.cache_resource(show_spinner=False, max_entries=4)
@warmable
def report(path: str, version: int, as_of: date, filters: Filters, design: Design) -> LoyaltyReport | tuple:
    """Every program's analysis, or (message key, params) when there is nothing to analyse.
    Shared, never copied: callers must not modify it."""
    try:
        return loyalty_report.analyse(Store(path), as_of, design, filters)
    except CrmError as exc:
        return exc.message_key, {k: v for k, v in exc.params.items() if isinstance(v, (str, int, float))}


def design_controls(ctx: PageContext) -> Design:
    """Pre/post windows, controls per member and caliper (persistent keys ``loy_*``)."""
    t, ss = ctx.tr, st.session_state
    with st.expander(t.t("loyalty.settings"), icon=":material/tune:"):
        c = st.columns(4)
        pre = c[0].number_input(t.t("loyalty.pre_months"), 1, 36, int(ss.get("loy_pre", 6)), key="w_loy_pre",
                                on_change=persist, args=("loy_pre",), help=t.t("loyalty.pre_months_help"))
        post = c[1].number_input(t.t("loyalty.post_months"), 1, 36, int(ss.get("loy_post", 6)), key="w_loy_post",
                                 on_change=persist, args=("loy_post",), help=t.t("loyalty.post_months_help"))
        k = c[2].number_input(t.t("loyalty.neighbours"), 1, 20, int(ss.get("loy_k", 1)), key="w_loy_k",
                              on_change=persist, args=("loy_k",), help=t.t("loyalty.neighbours_help"))
        cal = c[3].number_input(t.t("loyalty.caliper"), 0.01, 5.0, float(ss.get("loy_caliper", 0.2)), 0.05,
                                key="w_loy_caliper", on_change=persist, args=("loy_caliper",),
                                help=t.t("loyalty.caliper_help"))
    return Design(pre_months=int(pre), post_months=int(post), neighbours=int(k), caliper=float(cal),
                  lapse_months=min(Design.lapse_months, int(post)))


def _lift_text(ctx: PageContext, value: float | None) -> str:
    """+12.3% for a lift; beyond +1000% (self-selection can make naive gaps that big) as a
    multiple of the comparison group, so the card stays readable."""
    if value is None:
        return "—"
    return ctx.tr.t("loyalty.times", x=ctx.tr.number(1 + value, 1)) if value >= 10 else ctx.tr.signed_percent(value)


def program_card(ctx: PageContext, p: ProgramReport) -> None:
    """One bordered card: kind, members, matched lift with its interval, naive lift, money, ROI."""
    t, e, m = ctx.tr, p.estimate, p.money
    with st.container(border=True):
        st.markdown(f"**{_plain(p.name)}** · {t.t(f'loyalty.kind.{p.kind}')}")
        a, b = st.columns(2)
        a.metric(t.t("loyalty.members"), t.number(m.members))
        b.metric(t.t("loyalty.roi"), "—" if m.roi is None else t.signed_percent(m.roi))
        if e is None:
            st.caption(t.t("loyalty.no_estimate", n=t.number(0 if m.members is None else m.members)))
        else:
            a.metric(t.t("loyalty.lift"), _lift_text(ctx, e.lift),
                     help=t.t("loyalty.lift_help", lo=t.signed_percent(e.lift_ci[0]), hi=t.signed_percent(e.lift_ci[1])))
            b.metric(t.t("loyalty.naive_lift"), _lift_text(ctx, e.naive_lift), help=t.t("loyalty.naive_help"))
            key = "loyalty.ci_includes_zero" if e.lift_ci[0] <= 0 <= e.lift_ci[1] else "loyalty.ci"
            st.caption(t.t(key, lo=t.signed_percent(e.lift_ci[0]), hi=t.signed_percent(e.lift_ci[1])))
        lines = [(t.t("loyalty.incremental_revenue"), ctx.money(m.incremental_revenue, compact=True)),
                 (t.t("loyalty.costs"), ctx.money(m.total_costs, compact=True)),
                 (t.t("loyalty.fees"), ctx.money(m.fees, compact=True)),
                 (t.t("loyalty.payback"), "—" if m.payback_months is None else t.number(m.payback_months))]
        st.markdown("  \n".join(f"{_plain(label)}: **{_plain(value)}**" for label, value in lines),
                    help=t.t("loyalty.payback_help"))


def _plain(text: Any) -> str:
    """Customer-supplied text for st.markdown: markdown/HTML control characters escaped."""
    out = str(text)
    for ch in "\\`*_{}[]()#+-.!|<>~$":
        out = out.replace(ch, "\\" + ch)
    return out
