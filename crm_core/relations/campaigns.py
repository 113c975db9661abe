"""Campaigns judged against their held-out control group: response, incremental response and
revenue with 95% intervals, cost and ROI, per campaign and per segment.

Definitions (also on the Campaigns page and in the README):

- **Contacted** / **control**: the customers a campaign reached, and those drawn for it but
  held out (``campaign_contacts.is_control``), who pass the filters.
- **Response window**: the ``window_days`` days from each customer's contact day on (the
  campaign's start when no contact day is recorded). A campaign whose windows have not all
  ended by the as-of date is ``running``: figures so far, no verdict.
- **Response**: the recorded ``responded`` flag; for a campaign that records no response at
  all, a purchase in the response window (``response_basis`` says which).
- **Uplift** = response rate of the contacted - that of the control, with Newcombe's 95%
  interval; **incremental responses** = uplift x contacted.
- **Incremental revenue (profit)** = (mean revenue (gross profit) per contacted customer in
  the window - the same per control customer) x contacted, with a 95% interval (pooled
  variance: see :mod:`crm_core.relations.intervals` for why not Welch's).
- **Cost**: the campaign's cost; with filters, the share of its contacted customers who pass
  them. **ROI** = (incremental profit - cost) / cost, its interval from the profit's.
- **Verdict**: ``pays`` when the whole ROI interval is above 0, ``does_not_pay`` when wholly
  below, else ``not_shown`` ("not shown to pay"); ``no_control`` (no held-out group: no
  uplift is reported, only response), ``too_few`` (fewer than :data:`MIN_GROUP` on either
  side), ``not_comparable`` (the control bought differently *before* the campaign: the 99%
  interval of the pre-window revenue difference excludes 0, so the hold-out was not random
  and no uplift is trusted), ``running``, ``no_cost`` (uplift shown, no ROI).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from crm_core.customers.rfm import rfm
from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.filters import Filters
from crm_core.relations.intervals import mean_diff, newcombe, wilson
from crm_core.store.connection import Store

__all__ = ["VERDICTS", "MIN_GROUP", "DEFAULT_WINDOW", "CampaignReport", "contacts", "compare", "campaigns",
           "by_segment", "summary"]

VERDICTS: tuple[str, ...] = ("pays", "does_not_pay", "not_shown", "no_control", "too_few", "not_comparable",
                             "running", "no_cost")
MIN_GROUP = 30
DEFAULT_WINDOW = 30
BALANCE_LEVEL = 0.99


@dataclass(frozen=True)
class CampaignReport:
    """Every campaign started by ``as_of``: ``campaigns`` (one row each, see :func:`compare`
    for the columns, plus name, kind, channel, dates, response_basis) and ``contacts`` (one
    row per contacted or control customer: what they did in the window and before it)."""

    as_of: date
    window_days: int
    campaigns: pd.DataFrame
    contacts: pd.DataFrame


def _check_window(window_days: int) -> None:
    if not isinstance(window_days, (int, np.integer)) or not 1 <= window_days <= 730:
        raise InvalidParameterError("window_days must be 1..730", name="window_days", value=window_days)


def contacts(store: Store, as_of: date, *, window_days: int = DEFAULT_WINDOW,
             filters: Filters = Filters()) -> pd.DataFrame:
    """One row per campaign and customer (contacted or control), with ``response``: the
    recorded flag, or a purchase in the window for campaigns that record none."""
    _check_window(window_days)
    df = store.query("campaign_contacts_outcome", {"as_of": as_of, "window_days": window_days, **filters.params()},
                     filtered=filters.active)
    recorded = df.groupby("campaign_id", sort=False)["responded"].transform(lambda s: s.notna().any())
    bought = df["purchase_days_after"].to_numpy() > 0
    flag = df["responded"].astype("boolean").fillna(False).to_numpy(bool)
    df["response"] = np.where(recorded.to_numpy(bool), flag, bought)
    df["response_basis"] = np.where(recorded.to_numpy(bool), "recorded", "purchase")
    return df


def _moments(df: pd.DataFrame, keys: list[str], control: bool) -> pd.DataFrame:
    part = df[df["is_control"].to_numpy(bool) == control]
    g = part.groupby(keys, sort=True, observed=True)
    out = pd.DataFrame({"n": g.size(), "responses": g["response"].sum(),
                        "rev_mean": g["revenue_after"].mean(), "rev_var": g["revenue_after"].var(),
                        "profit_mean": g["profit_after"].mean(), "profit_var": g["profit_after"].var(),
                        "pre_mean": g["revenue_before"].mean(), "pre_var": g["revenue_before"].var(),
                        "complete": g["complete"].all()})
    return out


def compare(df: pd.DataFrame, keys: list[str], cost: pd.Series) -> pd.DataFrame:
    """Contacted against control per group of ``keys`` (``cost``: each group's cost, indexed
    like the groups). Columns: contacted, control, responses, control_responses,
    response_rate (+ _lo/_hi), control_response_rate, uplift (+ uplift_lo/uplift_hi),
    incremental_responses, revenue_per_contacted, revenue_per_control, incremental_revenue
    (+ _lo/_hi), incremental_profit (+ _lo/_hi), cost, roi (+ roi_lo/roi_hi),
    balance_diff (+ _lo/_hi: pre-window revenue per customer, contacted - control), verdict."""
    t, c = _moments(df, keys, False), _moments(df, keys, True)
    idx = t.index.union(c.index)
    t, c = t.reindex(idx), c.reindex(idx)
    n1, n0 = t["n"].fillna(0).to_numpy(float), c["n"].fillna(0).to_numpy(float)
    k1, k0 = t["responses"].fillna(0).to_numpy(float), c["responses"].fillna(0).to_numpy(float)
    out = pd.DataFrame(index=idx)
    out["contacted"], out["control"] = n1.astype(np.int64), n0.astype(np.int64)
    out["responses"], out["control_responses"] = k1.astype(np.int64), k0.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["response_rate"] = np.where(n1 > 0, k1 / n1, np.nan)
        out["control_response_rate"] = np.where(n0 > 0, k0 / n0, np.nan)
    out["response_rate_lo"], out["response_rate_hi"] = wilson(k1, n1)
    out["uplift"], out["uplift_lo"], out["uplift_hi"] = newcombe(k1, n1, k0, n0)
    out["incremental_responses"] = out["uplift"] * n1
    out["revenue_per_contacted"], out["revenue_per_control"] = t["rev_mean"].to_numpy(), c["rev_mean"].to_numpy()
    for name, m, v in (("incremental_revenue", "rev_mean", "rev_var"), ("incremental_profit", "profit_mean", "profit_var")):
        d, lo, hi = mean_diff(t[m], t[v], n1, c[m], c[v], n0)
        out[name], out[f"{name}_lo"], out[f"{name}_hi"] = d * n1, lo * n1, hi * n1
    out["balance_diff"], out["balance_lo"], out["balance_hi"] = mean_diff(
        t["pre_mean"], t["pre_var"], n1, c["pre_mean"], c["pre_var"], n0, level=BALANCE_LEVEL)
    cost = cost.reindex(idx).to_numpy(float)
    out["cost"] = cost
    with np.errstate(divide="ignore", invalid="ignore"):
        for suffix in ("", "_lo", "_hi"):
            out[f"roi{suffix}"] = np.where(cost > 0, (out[f"incremental_profit{suffix}"] - cost) / cost, np.nan)
    complete = (t["complete"].fillna(True) & c["complete"].fillna(True)).to_numpy(bool)
    out["complete"] = complete
    out["verdict"] = _verdicts(out, complete)
    no_uplift = out["verdict"].isin(["no_control"]).to_numpy()
    cols = [c for c in out.columns if c.startswith(("uplift", "incremental_", "roi", "balance"))]
    out.loc[no_uplift, cols] = np.nan
    return out


def _verdicts(out: pd.DataFrame, complete: np.ndarray) -> np.ndarray:
    n1, n0 = out["contacted"].to_numpy(), out["control"].to_numpy()
    unbalanced = (out["balance_lo"].to_numpy() > 0) | (out["balance_hi"].to_numpy() < 0)
    cost = out["cost"].to_numpy()
    return np.select(
        [n0 == 0, (n0 < MIN_GROUP) | (n1 < MIN_GROUP), unbalanced, ~complete, ~(cost > 0),
         out["roi_lo"].to_numpy() > 0, out["roi_hi"].to_numpy() < 0],
        ["no_control", "too_few", "not_comparable", "running", "no_cost", "pays", "does_not_pay"],
        "not_shown").astype(object)


def campaigns(store: Store, as_of: date, *, window_days: int = DEFAULT_WINDOW,
              filters: Filters = Filters()) -> CampaignReport:
    """Every campaign started by ``as_of``, judged against its control group."""
    with store.cursor():
        listed = store.query("campaign_list", {"as_of": as_of}, filtered=False)
        if listed.empty:
            raise NoDataError("no campaign is on file", kind="campaigns")
        df = contacts(store, as_of, window_days=window_days, filters=filters)
    listed = listed.set_index("campaign_id")
    treated = df[~df["is_control"].to_numpy(bool)].groupby("campaign_id").size()
    share = (treated.reindex(listed.index).fillna(0) / listed["contacted_all"].where(listed["contacted_all"] > 0)).fillna(0)
    cost = listed["cost"] * share
    table = compare(df, ["campaign_id"], cost).reindex(listed.index)
    table["cost"] = cost
    basis = df.groupby("campaign_id")["response_basis"].first()
    table = listed.drop(columns=["cost", "contacted_all"]).join(table).assign(response_basis=basis)
    none = table["contacted"].isna()
    table.loc[none, ["contacted", "control", "responses", "control_responses"]] = 0
    table.loc[none, "verdict"] = "no_control"
    for col in ("contacted", "control", "responses", "control_responses"):
        table[col] = table[col].astype(np.int64)
    return CampaignReport(as_of, window_days, table.reset_index(), df)


def segments_at(store: Store, day: date, filters: Filters = Filters()) -> pd.DataFrame:
    """customer_id -> RFM segment on ``day`` (the eve of a campaign: what it knew when choosing)."""
    base = rfm(store, day, filters)
    return pd.DataFrame({"customer_id": base["customer_id"].astype(str),
                         "segment": base["segment"].astype(object).where(base["segment"].notna(), "no_purchase")})


def by_segment(store: Store, report: CampaignReport, campaign_id: str, *, filters: Filters = Filters()) -> pd.DataFrame:
    """One campaign's comparison per RFM segment on the eve of its start (a segment after the
    campaign would be shaped by the campaign itself). Cost is shared by contacted customers."""
    row = report.campaigns.set_index("campaign_id")
    if campaign_id not in row.index:
        raise InvalidParameterError("unknown campaign", name="campaign_id", value=campaign_id)
    part = report.contacts[report.contacts["campaign_id"] == campaign_id]
    if part.empty:
        raise NoDataError("the campaign has no contacts among these customers", kind="campaign_contacts")
    start = row.at[campaign_id, "start_date"]
    day = (pd.Timestamp(start).date() if pd.notna(start) else pd.Timestamp(part["day"].min()).date()) - timedelta(days=1)
    seg = segments_at(store, day, filters)
    part = part.merge(seg, on="customer_id", how="left").fillna({"segment": "no_purchase"})
    treated = part[~part["is_control"].to_numpy(bool)].groupby("segment").size()
    total = row.at[campaign_id, "cost"]
    cost = treated / max(int(treated.sum()), 1) * (0.0 if pd.isna(total) else float(total))
    return compare(part, ["segment"], cost).reset_index()


def _num(v: object) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def summary(store: Store, as_of: date, *, window_days: int = DEFAULT_WINDOW, filters: Filters = Filters()) -> dict:
    """The CLI's ``campaigns --json`` document."""
    rep = campaigns(store, as_of, window_days=window_days, filters=filters)
    rows = []
    for r in rep.campaigns.to_dict("records"):
        rows.append({
            "campaign_id": r["campaign_id"], "name": r["name"], "kind": r["kind"], "channel": r["channel"],
            "start_date": None if pd.isna(r["start_date"]) else pd.Timestamp(r["start_date"]).date().isoformat(),
            "contacted": int(r["contacted"]), "control": int(r["control"]), "response_basis": r["response_basis"]
            if isinstance(r["response_basis"], str) else None,
            "response_rate": _num(r["response_rate"]), "control_response_rate": _num(r["control_response_rate"]),
            "uplift": _num(r["uplift"]), "uplift_ci": [_num(r["uplift_lo"]), _num(r["uplift_hi"])],
            "incremental_responses": _num(r["incremental_responses"]),
            "incremental_revenue": _num(r["incremental_revenue"]),
            "incremental_revenue_ci": [_num(r["incremental_revenue_lo"]), _num(r["incremental_revenue_hi"])],
            "incremental_profit": _num(r["incremental_profit"]),
            "incremental_profit_ci": [_num(r["incremental_profit_lo"]), _num(r["incremental_profit_hi"])],
            "cost": _num(r["cost"]),
            "roi": _num(r["roi"]) if r["verdict"] in ("pays", "does_not_pay") else None,
            "roi_ci": [_num(r["roi_lo"]), _num(r["roi_hi"])],
            "verdict": r["verdict"]})
    return {"as_of": as_of.isoformat(), "window_days": window_days, "min_group": MIN_GROUP, "campaigns": rows}
