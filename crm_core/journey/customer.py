"""Customer 360: find a customer, then everything known about them on one screen.

:func:`search` finds customers by id (exact, then prefix) and, for users who may see contact
fields, by name, e-mail or phone (substring; a phone by its digits). :func:`record` gathers
one customer's profile, account manager, lifecycle stage at each month end, purchases
(monthly and line by line, returns included), service cases, campaign contacts and loyalty
memberships; :func:`scores` picks their row out of the population-wide results the other
pages compute (RFM segment, pyramid tier, P(alive), expected purchases, CLV, both quadrants,
churn risk and its signals), so each score is the very number those pages show. Everything
is read through the caller's filters: a viewer bound to an account manager finds and opens
only that manager's customers.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from crm_core.errors import InvalidParameterError, NoDataError
from crm_core.exits import risk
from crm_core.exits.alive import AliveRule
from crm_core.filters import Filters
from crm_core.journey.lifecycle import STAGES, LifecycleRule, lifecycle, month_ends
from crm_core.store.connection import Store
from crm_core.value import quadrants

__all__ = ["NEXT_ACTIONS", "LINE_COLUMNS", "CONTACT_COLUMNS", "MEMBERSHIP_COLUMNS", "Customer360", "search", "record", "scores", "next_action", "to_json"]

#: The suggested next step for a customer in each lifecycle stage (a catalogue key each).
NEXT_ACTIONS: dict[str, str] = {
    "prospect": "first_purchase_offer", "new": "onboard", "active": "grow", "loyal": "reward",
    "at_risk": "retention_contact", "churned": "win_back", "won_back": "nurture_return",
}
_MAX_QUERY = 100
#: The columns of the record's tables, in order (see sql/customer_lines.sql, customer_contacts.sql,
#: customer_memberships.sql).
LINE_COLUMNS = ("date", "transaction_id", "order_id", "amount", "quantity", "product_id", "category", "channel",
                "discount")
CONTACT_COLUMNS = ("kind", "date", "subject", "channel", "hours_to_resolve", "satisfaction", "control", "responded",
                   "response_date")
MEMBERSHIP_COLUMNS = ("program_id", "program", "kind", "tier", "enrolled_at", "left_at", "fee_paid")


@dataclass(frozen=True)
class Customer360:
    """One customer as of a date (see :func:`record`)."""

    as_of: date
    profile: dict[str, Any]
    stages: pd.DataFrame        # month (last day), stage: the stage at each month end (None: not yet known)
    monthly: pd.DataFrame       # month, revenue, purchase_days (months with a transaction)
    lines: pd.DataFrame         # every transaction line, newest first (returns: amount < 0)
    contacts: pd.DataFrame      # service cases and campaign contacts, newest first
    memberships: pd.DataFrame   # loyalty memberships and tier moves

    @property
    def stage(self) -> str | None:
        return self.stages["stage"].iloc[-1] if len(self.stages) else None


def search(store: Store, text: str, filters: Filters = Filters(), *, contacts: bool = True,
           limit: int = 50) -> pd.DataFrame:
    """Customers matching ``text`` (see the module docstring), best first. ``contacts``:
    whether name, e-mail and phone may be searched (users who may see contact fields)."""
    q = (text or "").strip()
    if not q:
        return pd.DataFrame(columns=["customer_id", "name", "email", "phone", "region", "channel", "customer_type",
                                     "first_purchase"])
    if len(q) > _MAX_QUERY or not 1 <= limit <= 1000:
        raise InvalidParameterError("search text too long", name="q", value=q[:20])
    # a phone is searched by its digits only when the text looks like a phone number (not "K-001")
    digits = re.sub(r"\D", "", q) if re.fullmatch(r"[\d\s+\-().]+", q) else ""
    # typed in the national form (010-...) it also matches the number stored internationally (+82 10-...)
    national = digits[1:] if digits.startswith("0") else digits
    return store.query("customer_search", {"q": q, "digits": digits, "national": national, "contacts": bool(contacts),
                                           "limit": limit, **filters.params()})


def record(store: Store, customer_id: str, as_of: date, filters: Filters = Filters(), *, months: int = 24,
           window_days: int | None = None, rule: LifecycleRule = LifecycleRule(),
           alive: AliveRule | None = None) -> Customer360:
    """Everything known about ``customer_id`` as of ``as_of``; NoDataError when no such customer
    passes ``filters``. The stage history uses the population's churn window (``window_days``,
    default: the Churn page's) and the Lifecycle page's rule."""
    one = filters.one(customer_id)
    params = {"customer_id": customer_id, "as_of": as_of, **one.params()}
    with store.cursor():
        key = store.rows("SELECT customer_key FROM customers WHERE customer_id = ?", [customer_id])
        prof = store.query("customer_profile", {**params, "customer_key": key[0][0] if key else -1})
        if prof.empty:
            raise NoDataError("no such customer", kind="customer")
        span = {k: None if pd.isna(v) else pd.Timestamp(v).date() for k, v in prof[["first_day", "last_day"]].iloc[0].items()}
        params.update(span)
        # the lines (the one query that scans transactions) beside the stage history: one core each
        with ThreadPoolExecutor(max_workers=1) as pool:
            side = pool.submit(lambda: (store.query("customer_lines", params)[list(LINE_COLUMNS)],
                                        store.query("customer_contacts", params)[list(CONTACT_COLUMNS)],
                                        store.query("customer_memberships", params)[list(MEMBERSHIP_COLUMNS)]))
            if window_days is None:
                from crm_core.exits.churn import default_window
                window_days = default_window(store, as_of)
            life = lifecycle(store, month_ends(as_of, months), filters=one, window_days=window_days, rule=rule,
                             grid=True, alive=alive)
            lines, contacts, memberships = side.result()
    codes = life.stage[0] if len(life.keys) else np.full(months, -1)
    stages = pd.DataFrame({"month": pd.to_datetime(list(life.dates)),
                           "stage": pd.Series([None if c < 0 else STAGES[c] for c in codes], dtype=object)})
    bought = lines[lines["amount"] >= 0]
    monthly = (lines.assign(month=pd.to_datetime(lines["date"]).dt.to_period("M").dt.start_time)
               .groupby("month").agg(revenue=("amount", "sum")).reset_index())
    days = bought.assign(month=pd.to_datetime(bought["date"]).dt.to_period("M").dt.start_time) \
        .groupby("month")["date"].nunique().rename("purchase_days")
    monthly = monthly.merge(days, on="month", how="left").fillna({"purchase_days": 0})
    monthly["purchase_days"] = monthly["purchase_days"].astype(np.int64)
    profile = {k: (None if v is pd.NaT or (isinstance(v, float) and np.isnan(v)) else v)
               for k, v in prof.drop(columns=["first_day", "last_day"]).iloc[0].to_dict().items()}
    return Customer360(as_of=as_of, profile=profile, stages=stages, monthly=monthly, lines=lines,
                       contacts=contacts, memberships=memberships)


def _row(frame: pd.DataFrame | None, customer_id: str) -> pd.Series | None:
    if frame is None or frame.empty:
        return None
    hit = frame.index[frame["customer_id"].astype(str).to_numpy() == customer_id]
    return frame.loc[hit[0]] if len(hit) else None


def scores(customer_id: str, *, targets: pd.DataFrame | None = None, values: pd.DataFrame | None = None,
           clv_scores: pd.DataFrame | None = None, signals: pd.DataFrame | None = None,
           time_unit: str = "week", churned: bool = False) -> dict[str, Any]:
    """This customer's scores from the population frames the other pages use: ``targets``
    (the target pages' customer frame: RFM scores, segment, tier), ``values`` (the value
    pages' frame: CLV, P(alive), profit and cost to serve; the quadrants are split at the
    population's medians, as those pages first show them), ``clv_scores`` (expected purchases,
    and x / t_x / T for the risk signals) and ``signals`` (:func:`crm_core.exits.risk.signals`).
    Missing inputs leave their scores None."""
    out: dict[str, Any] = dict.fromkeys(("segment", "r_score", "f_score", "m_score", "tier", "p_alive",
                                         "expected_purchases", "clv", "quadrant", "quadrant_future", "value_at_risk",
                                         "days_overdue", "frequency_ratio", "complaints", "open_cases"))
    t = _row(targets, customer_id)
    if t is not None:
        for k in ("segment", "tier"):
            out[k] = None if pd.isna(t[k]) else str(t[k])
        for k in ("r_score", "f_score", "m_score"):
            out[k] = None if pd.isna(t[k]) else int(t[k])
    if values is not None and not values.empty:
        v = _row(values, customer_id)
        if v is not None:
            qa, _, _ = quadrants.classify(values, "a")
            out["quadrant"] = str(qa.loc[v.name])
            if "clv" in values and values["clv"].notna().any():
                qb, _, _ = quadrants.classify(values, "b")
                out["quadrant_future"] = str(qb.loc[v.name])
            for k in ("clv", "p_alive"):
                out[k] = None if pd.isna(v.get(k)) else float(v[k])
    s = _row(clv_scores, customer_id)
    if s is not None:
        out["expected_purchases"] = float(s["expected_purchases"])
        for k in ("clv", "p_alive"):   # customers without a purchase in the value pages' window
            if out[k] is None and k in s and not pd.isna(s[k]):
                out[k] = float(s[k])
        if signals is not None and not churned:
            one = clv_scores[clv_scores["customer_id"].astype(str) == customer_id]
            sig = signals[signals["customer_id"].astype(str) == customer_id]
            ranked = risk.at_risk(one, sig, time_unit=time_unit)
            if len(ranked):
                r = ranked.iloc[0]
                for k in ("value_at_risk", "days_overdue", "frequency_ratio"):
                    out[k] = None if pd.isna(r[k]) else float(r[k])
                out["complaints"], out["open_cases"] = int(r["complaints"]), int(r["open_cases"])
    return out


def next_action(stage: str | None) -> str | None:
    """The catalogue key (``next_action.<key>``) of what to do next for a customer in ``stage``."""
    return NEXT_ACTIONS.get(stage) if stage else None


def to_json(rec: Customer360, sc: dict[str, Any], lines: int = 50) -> dict[str, Any]:
    """The CLI's ``customer --json`` document."""
    p = rec.profile
    iso = lambda v: None if v is None or pd.isna(v) else pd.Timestamp(v).date().isoformat()  # noqa: E731
    doc: dict[str, Any] = {
        "customer_id": p["customer_id"], "as_of": rec.as_of.isoformat(), "name": p.get("name"),
        "email": p.get("email"), "phone": p.get("phone"), "region": p.get("region"), "channel": p.get("channel"),
        "customer_type": p.get("customer_type"), "account_manager": p.get("account_manager"),
        "manager_name": p.get("manager_name"), "signup_date": iso(p.get("signup_date")),
        "first_purchase": iso(p.get("first_purchase")), "last_purchase": iso(p.get("last_purchase")),
        "purchases": int(p["purchase_days"]), "orders": int(p["orders"]), "revenue": float(p["revenue"]),
        "gross_profit": float(p["gross_profit"]), "returns": float(p["returns"]),
        "stage": rec.stage, "next_action": next_action(rec.stage),
        "stage_history": [{"month": m.strftime("%Y-%m"), "stage": s} for m, s in zip(rec.stages["month"],
                                                                                   rec.stages["stage"])],
        **sc,
        "lines": [{"date": iso(r.date), "transaction_id": r.transaction_id, "amount": float(r.amount),
                   "category": None if pd.isna(r.category) else r.category} for r in rec.lines.head(lines).itertuples()],
        "service_cases": int((rec.contacts["kind"] == "service").sum()),
        "campaign_contacts": int((rec.contacts["kind"] == "campaign").sum()),
        "memberships": [{"program_id": r.program_id, "tier": r.tier, "enrolled_at": iso(r.enrolled_at),
                         "left_at": iso(r.left_at)} for r in rec.memberships.itertuples()],
    }
    return doc
