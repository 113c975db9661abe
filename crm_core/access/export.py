"""Customer lists out of the app: with contact fields, as CSV or Excel, safe to open.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (CSV injection, OWASP). Every such text cell (and column name)
is prefixed with a single quote, as is a formula character right after a line break inside
a cell; every text cell is quoted in CSV. Numbers stay numbers. CSV is UTF-8 with a BOM so Excel shows
Korean and Chinese names correctly.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd

from crm_core.access import audit
from crm_core.access.auth import Principal, mask_contacts
from crm_core.store.connection import Store

__all__ = ["CONTACT_COLUMNS", "EXPORT_COLUMNS", "with_contacts", "neutralise", "to_csv_bytes", "to_xlsx_bytes",
           "customer_file", "contact_preview"]

CONTACT_COLUMNS: tuple[str, ...] = ("name", "email", "phone", "city", "country")
#: Columns of a customer list export, in order (those present in the frame are kept).
EXPORT_COLUMNS: tuple[str, ...] = (
    "customer_id", *CONTACT_COLUMNS, "region", "channel", "customer_type", "industry", "account_manager",
    "stage_before", "stage", "cohort", "segment", "tier", "next_tier", "r_score", "f_score", "m_score", "recency_days", "frequency", "orders",
    "revenue", "gross_profit", "period_revenue", "period_gross_profit", "average_order_value",
    "first_purchase", "last_purchase", "loyalty_program", "gap",
    "quadrant", "purchases", "cost_to_serve", "net_profit", "p_alive", "expected_purchases", "expected_value", "clv",
    "churn_date", "reason", "reason_detail", "method", "return_date", "tenure_days", "annual_revenue", "annual_profit",
    "value_at_risk", "days_overdue", "frequency_ratio", "complaints", "open_cases",
)
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def with_contacts(store: Store, customers: pd.DataFrame, include_contacts: bool = True) -> pd.DataFrame:
    """The export columns of ``customers``, with name, e-mail, phone, city, country joined."""
    out = customers.copy()
    if include_contacts and len(out):
        ids = out["customer_id"].astype(str).tolist()
        contacts = store.df(
            "SELECT customer_id, name, email, phone, city, country FROM customers "
            "WHERE customer_id IN (SELECT unnest(CAST($ids AS VARCHAR[])))", {"ids": ids})
        out = out.drop(columns=[c for c in CONTACT_COLUMNS if c in out.columns]).merge(
            contacts, on="customer_id", how="left")
    cols = [c for c in EXPORT_COLUMNS if c in out.columns and (include_contacts or c not in CONTACT_COLUMNS)]
    out = out[cols]
    for col in ("segment", "tier"):
        if col in out.columns:
            out[col] = out[col].astype(object)
    return out


def _safe_text(value: str) -> str:
    """A text cell that cannot start a formula: a leading formula character gets a quote, and
    so does one right after a line break inside the cell (a spreadsheet may start a new row
    there: ``Bob\r=1+2``)."""
    text = "'" + value if value.startswith(_DANGEROUS) else value
    if "\r" in text or "\n" in text:
        text = re.sub(r"([\r\n])([=+\-@\t])", r"\1'\2", text)
    return text


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy where no text cell, and no column name, can run as a spreadsheet formula."""
    out = df.copy()
    out.columns = [_safe_text(c) if isinstance(c, str) else c for c in out.columns]
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        values = s.astype(object).to_numpy()
        text = np.array([isinstance(v, str) and (v.startswith(_DANGEROUS) or "\r" in v or "\n" in v)
                         for v in values], dtype=bool)
        if text.any():
            values = values.copy()
            values[text] = [_safe_text(v) for v in values[text]]
            out[col] = values
    return out


def to_csv_bytes(df: pd.DataFrame, columns: Sequence[str] | None = None) -> bytes:
    """CSV (UTF-8 with BOM), formula-safe; dates as ISO ``YYYY-MM-DD``."""
    frame = neutralise(df if columns is None else df[list(columns)])
    # Every text cell quoted: a line break inside one stays inside it, whatever the reader.
    return frame.to_csv(index=False, date_format="%Y-%m-%d", quoting=csv.QUOTE_NONNUMERIC).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "customers") -> bytes:
    """An Excel workbook with one sheet, formula-safe (openpyxl also writes text as text)."""
    frame = neutralise(df)
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].dt.date
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buf.getvalue()


def _own_accounts(store: Store, customers: pd.DataFrame, actor: Principal) -> pd.DataFrame:
    """Only the customers of the actor's account manager when they are bound to one."""
    if actor.manager is None or not len(customers):
        return customers
    ids = customers["customer_id"].astype(str).tolist()
    mine = {r[0] for r in store.rows(
        "SELECT customer_id FROM customers WHERE account_manager = $m "
        "AND customer_id IN (SELECT unnest(CAST($ids AS VARCHAR[])))", {"m": actor.manager, "ids": ids})}
    return customers[customers["customer_id"].astype(str).isin(mine)]


def customer_file(store: Store, customers: pd.DataFrame, actor: Principal, fmt: Literal["csv", "xlsx"], *,
                  subject: str, at: datetime) -> bytes:
    """A customer list as a file for ``actor``: only their accounts if bound to a manager, contact
    fields only if they may export them, formula-safe, and recorded in the audit log."""
    actor.require("export")
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"unknown export format {fmt!r}")
    rows = _own_accounts(store, customers, actor)
    contacts = actor.can("export_contacts")
    frame = with_contacts(store, rows, include_contacts=contacts)
    data = to_csv_bytes(frame) if fmt == "csv" else to_xlsx_bytes(frame)
    audit.log(store, actor, "export", at=at, subject=subject, rows=len(frame),
              detail={"format": fmt, "contacts": contacts, "columns": list(frame.columns)})
    return data


def contact_preview(store: Store, customers: pd.DataFrame, actor: Principal) -> pd.DataFrame:
    """``customers`` with name, e-mail and phone joined, masked unless ``actor`` may see them."""
    frame = _own_accounts(store, customers, actor)
    if not len(frame):
        return frame
    ids = frame["customer_id"].astype(str).tolist()
    # a preview is a few hundred ids: a list lookup per row beats a join here (10 vs 32 ms on 500k customers)
    contacts = store.df("SELECT customer_id, name, email, phone FROM customers "
                        "WHERE list_contains(CAST($ids AS VARCHAR[]), customer_id)", {"ids": ids})
    out = frame.drop(columns=[c for c in ("name", "email", "phone") if c in frame.columns]).merge(
        contacts, on="customer_id", how="left")
    return mask_contacts(out, actor)
