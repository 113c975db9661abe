"""Cached data and controls of the Loyalty page (keyed on the data version, never on time)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from crm_core.errors import CrmError, DatabaseBusyError
from crm_core.filters import Filters
from crm_core.loyalty import report as loyalty_report
from crm_core.loyalty.estimate import Design
from crm_core.loyalty.report import LoyaltyReport, ProgramReport
from crm_core.loyalty.roi import WhatIf
from crm_core.store.connection import Store

from .context import PageContext, persist
from .warm_cache import warmable

__all__ = ["report", "design_controls", "program_card", "designs_table", "what_if_roi"]


@st.cache_resource(show_spinner=False, max_entries=4)
@warmable(keep=True)
def report(path: str, version: int, as_of: date, filters: Filters, design: Design) -> LoyaltyReport | tuple:
    """Every program's analysis, or (message key, params) when there is nothing to analyse.
    Shared, never copied: callers must not modify it."""
    try:
        return loyalty_report.analyse(Store(path), as_of, design, filters)
    except DatabaseBusyError:   # a passing state, never cached: the page run waits and retries
        raise
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


def _ci_text(ctx: PageContext, ci: tuple[float, float] | None, fmt: Callable[[float], str]) -> str:
    return "—" if ci is None else ctx.tr.t("loyalty.range", lo=fmt(ci[0]), hi=fmt(ci[1]))


def _roi_value(ctx: PageContext, p: ProgramReport) -> tuple[str, str]:
    """The ROI card's value and help: a point ROI only when its whole 95% interval is on one
    side of break-even; "not shown to pay" when it spans it; "not credible" when no design
    passed its placebo test."""
    t, m = ctx.tr, p.money
    if p.verdict.trusted is None:
        return t.t("loyalty.not_credible"), t.t(f"loyalty.reason.{p.verdict.reason}")
    span = _ci_text(ctx, m.roi_ci, t.signed_percent)
    if m.pays is None:
        return t.t("loyalty.not_shown_to_pay"), t.t("loyalty.roi_spans", ci=span)
    if m.roi is None:
        return "—", t.t("loyalty.roi_help", ci=span)
    return t.signed_percent(m.roi), t.t("loyalty.roi_help", ci=span)


def what_if_roi(ctx: PageContext, p: ProgramReport, res: WhatIf) -> tuple[str, str | None]:
    """The what-if ROI's value and delta, under the card's rules (no point ROI when its
    interval spans break-even; nothing when no design is credible)."""
    t = ctx.tr
    if p.verdict.trusted is None:
        return t.t("loyalty.not_credible"), None
    if res.roi is None:
        return "—", None
    value = t.signed_percent(res.roi) if res.pays is not None else t.t("loyalty.not_shown_to_pay")
    now = p.money.roi if p.money.pays is not None else None
    return value, None if now is None else t.t("loyalty.vs_now", value=t.signed_percent(now))


def program_card(ctx: PageContext, p: ProgramReport) -> None:
    """One bordered card: kind, members, the trusted design's lift with its interval, naive
    lift, money, ROI (or why none is shown)."""
    t, e, m, v = ctx.tr, p.estimate, p.money, p.verdict
    eff = v.effect
    with st.container(border=True):
        st.markdown(f"**{_plain(p.name)}** · {t.t(f'loyalty.kind.{p.kind}')}")
        a, b = st.columns(2)
        a.metric(t.t("loyalty.members"), t.number(m.members))
        roi, roi_help = _roi_value(ctx, p)
        if roi in (t.t("loyalty.not_credible"), t.t("loyalty.not_shown_to_pay")):
            # a sentence, not a figure: under the card title in full, where a card value would cut it
            b.metric(t.t("loyalty.roi"), "—", help=roi_help)
            b.markdown(f"**{_plain(roi)}**")
        else:
            b.metric(t.t("loyalty.roi"), roi, help=roi_help)
        if eff is None:
            st.caption(t.t(f"loyalty.reason.{v.reason}"))
        else:
            a.metric(t.t("loyalty.lift"), _lift_text(ctx, eff.lift),
                     help=t.t("loyalty.lift_help", design=t.t(f"loyalty.design.{v.trusted}"),
                              lo=t.signed_percent(eff.lift_ci[0]), hi=t.signed_percent(eff.lift_ci[1])))
            key = "loyalty.ci_includes_zero" if eff.lift_ci[0] <= 0 <= eff.lift_ci[1] else "loyalty.ci"
            st.caption(t.t(key, lo=t.signed_percent(eff.lift_ci[0]), hi=t.signed_percent(eff.lift_ci[1])))
        if e is not None:
            b.metric(t.t("loyalty.naive_lift"), _lift_text(ctx, e.naive_lift), help=t.t("loyalty.naive_help"))
        payback = "—" if m.payback_months is None else t.number(m.payback_months)
        lines = [(t.t("loyalty.incremental_revenue"), ctx.money(m.incremental_revenue, compact=True)),
                 (t.t("loyalty.costs"), ctx.money(m.total_costs, compact=True)),
                 (t.t("loyalty.fees"), ctx.money(m.fees, compact=True)),
                 (t.t("loyalty.payback"), payback if m.pays else "—")]
        st.markdown("  \n".join(f"{_plain(label)}: **{_plain(value)}**" for label, value in lines),
                    help=t.t("loyalty.payback_help"))


def designs_table(ctx: PageContext, p: ProgramReport) -> pd.DataFrame:
    """Both designs side by side: members, lift and interval, placebo and its interval, state."""
    t = ctx.tr
    rows = []
    for name, checked in p.verdict.designs.items():
        d, pl = checked.effect, checked.placebo
        rows.append({
            t.t("loyalty.col.design"): t.t(f"loyalty.design.{name}")
            + (" ✓" if name == p.verdict.trusted else ""),
            t.t("loyalty.col.analysed"): t.number(d.members_analysed) if d else "—",
            t.t("loyalty.col.lift"): t.signed_percent(d.lift) if d else "—",
            t.t("loyalty.col.interval"): _ci_text(ctx, d.lift_ci if d else None, t.signed_percent),
            t.t("loyalty.col.placebo"): t.signed_percent(pl.lift) if pl else "—",
            t.t("loyalty.col.placebo_interval"): _ci_text(ctx, pl.lift_ci if pl else None, t.signed_percent),
            t.t("loyalty.col.state"): t.t(f"loyalty.state.{checked.state}"),
        })
    return pd.DataFrame(rows)


def _plain(text: Any) -> str:
    """Customer-supplied text for st.markdown: markdown/HTML control characters escaped."""
    out = str(text)
    for ch in "\\`*_{}[]()#+-.!|<>~$":
        out = out.replace(ch, "\\" + ch)
    return out
