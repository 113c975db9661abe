"""Admin: the people and their roles (the roles file), and the audit log. Admins only."""

from __future__ import annotations

import streamlit as st

from crm_app import admin
from crm_app.context import page_context
from crm_app.router import ensure_router

who = ensure_router("read_audit")
ctx = page_context()
t = ctx.tr
st.title(t.t("page.admin"))
st.caption(t.t("admin.caption"))
roles_tab, audit_tab, settings_tab = st.tabs([t.t("admin.roles"), t.t("admin.audit"), t.t("admin.settings")])
with roles_tab:
    admin.roles_section(ctx, who)
with audit_tab:
    admin.audit_section(ctx, who)
with settings_tab:
    admin.settings_section(ctx, who)
