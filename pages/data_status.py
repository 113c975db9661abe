"""Data: which database is open, its schema and data version, row counts, load history."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from crm_app import data
from crm_app.context import page_context
from crm_app.router import ensure_router
from crm_core.access.auth import mask_email
from crm_core.ingest.load import STATUSES
from crm_core.ingest.schema import KINDS

who = ensure_router()
ctx = page_context()
t = ctx.tr
st.title(t.t("page.data"))
info = data.call(data.db_info, ctx.store.path, ctx.version)

c1, c2, c3, c4 = st.columns(4)
c1.metric(t.t("data.file"), Path(ctx.store.path).name, help=ctx.store.path, border=True)
c2.metric(t.t("data.schema_version"), t.number(info["schema_version"]), border=True)
c3.metric(t.t("data.data_version"), t.number(ctx.version), border=True)
c4.metric(t.t("data.base_currency"), info["base_currency"], border=True)
if info["first_date"] is not None:
    st.caption(t.t("data.date_range", first=t.date(info["first_date"]), last=t.date(info["last_date"])))

st.subheader(t.t("data.tables"))
counts = pd.DataFrame({
    t.t("data.col.table"): [t.t(f"table.{name}") for name in info["tables"]],
    t.t("data.col.rows"): [t.number(rows) for rows in info["tables"].values()],
})
st.dataframe(counts, hide_index=True, width="content", height="content")   # every table, none hidden below a fold
if info["tables"]["transactions"] == 0:
    st.info(t.t("empty.no_transactions", db=Path(ctx.store.path).name), icon=":material/upload_file:")

st.subheader(t.t("data.history"))
log = info["ingests"]
if log.empty:
    st.caption(t.t("data.history_empty"))
else:
    view = pd.DataFrame({
        t.t("data.col.when"): [t.date(ts.date()) if pd.notna(ts) else "" for ts in log["started_at"]],
        t.t("data.col.kind"): [t.t(f"upload.kind.{k}") if k in KINDS else k for k in log["kind"]],
        t.t("data.col.file"): log["file_name"],
        t.t("data.col.user"): [u if who.can("see_contacts") else mask_email(u) for u in log["user_name"]],
        t.t("data.col.status"): [t.t(f"upload.status.{s}") if s in STATUSES else s for s in log["status"]],
        t.t("data.col.rows_loaded"): [t.number(v) for v in log["rows_loaded"]],
        t.t("data.col.rows_rejected"): [t.number(v) for v in log["rows_rejected"]],
    })
    st.dataframe(view, hide_index=True, width="stretch")
