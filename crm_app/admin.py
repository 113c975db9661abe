"""The Admin page's pieces: who has which role (the roles file) and the audit log."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import streamlit as st

from crm_core.access import audit, auth
from crm_core.access.auth import Principal, Rules
from crm_core.access.export import to_csv_bytes
from crm_core.errors import CrmError, RolesFileError
from crm_core.value import costs

from .auth import auth_config, now, roles_path
from .context import PageContext, plain

__all__ = ["roles_section", "audit_section", "settings_section"]


def _current_rules() -> tuple[Rules, str | None]:
    path = roles_path()
    if not path.exists():
        return Rules(), None
    try:
        return auth.load_rules(path), None
    except RolesFileError as exc:
        return Rules(), str(exc)


def roles_section(ctx: PageContext, who: Principal) -> None:
    """The people and their roles, editable by admins; written to the roles file on save."""
    t = ctx.tr
    path = roles_path()
    rules, problem = _current_rules()
    st.caption(t.t("admin.roles_file", path=plain(path)))
    if auth_config() is None:
        st.info(t.t("admin.local_note"), icon=":material/info:")
    if problem:
        st.error(t.t("auth.roles_invalid", path=plain(path), problem=plain(problem)), icon=":material/error:")
    table = pd.DataFrame({"email": list(rules.users), "role": [r.role for r in rules.users.values()],
                          "manager": [r.manager or "" for r in rules.users.values()]},
                         columns=["email", "role", "manager"]).astype({"email": str, "role": str, "manager": str})
    edited = st.data_editor(
        table, num_rows="dynamic", hide_index=True, width="stretch", key="adm_users",
        column_config={
            "email": st.column_config.TextColumn(t.t("admin.email"), required=True, max_chars=200),
            "role": st.column_config.SelectboxColumn(t.t("admin.role"), options=list(auth.ROLES), required=True,
                                                     format_func=lambda r: t.t(f"role.{r}")),
            "manager": st.column_config.TextColumn(t.t("admin.manager"), help=t.t("admin.manager_help"), max_chars=64)})
    c = st.columns(2)   # the two toggles stack in the second column: their labels are long in every language
    default = c[0].selectbox(t.t("admin.default_role"), ["", *auth.ROLES], key="adm_default",
                             index=["", *auth.ROLES].index(rules.default_role or ""),
                             format_func=lambda r: t.t(f"role.{r}") if r else t.t("admin.refuse"))
    claim = c[0].text_input(t.t("admin.claim"), value=rules.claim or "", key="adm_claim", max_chars=64)
    see = c[1].toggle(t.t("admin.viewers_see_contacts"), value=rules.viewers_see_contacts, key="adm_see")
    exp = c[1].toggle(t.t("admin.viewers_export_contacts"), value=rules.viewers_export_contacts, key="adm_exp")
    if st.button(t.t("admin.save"), type="primary", key="adm_save", icon=":material/save:"):
        try:
            new = Rules(users=rules.with_users(edited.to_dict("records")).users, claim=claim.strip() or None,
                        claims=rules.claims, domains=rules.domains, default_role=default or None,
                        viewers_see_contacts=see, viewers_export_contacts=exp)
            auth.save_rules(path, new, who)
            audit.log(ctx.store, who, "roles_changed", at=now(), subject=path.name, rows=len(new.users),
                      detail={"default_role": new.default_role, "viewers_see_contacts": see,
                              "viewers_export_contacts": exp})
            st.success(t.t("admin.saved", n=t.number(len(new.users))), icon=":material/check_circle:")
        except RolesFileError as exc:
            st.error(t.t(f"admin.problem.{exc.params.get('problem', 'generic')}",
                         value=plain(exc.params.get("value", ""))), icon=":material/block:")
        except CrmError as exc:
            st.error(t.t(exc.message_key, **{k: plain(v) for k, v in exc.params.items()}), icon=":material/error:")


def audit_section(ctx: PageContext, who: Principal) -> None:
    """The newest audit entries, filterable by action, downloadable."""
    t = ctx.tr
    action = st.selectbox(t.t("admin.audit_action"), ["", *audit.AUDIT_ACTIONS], key="adm_action",
                          format_func=lambda a: t.t(f"audit.{a}") if a else t.t("filter.all"))
    log = audit.entries(ctx.store, who, action=action or None)
    if log.empty:
        st.caption(t.t("admin.audit_empty"))
        return
    shown = pd.DataFrame({
        t.t("admin.audit_when"): [v.strftime("%Y-%m-%d %H:%M:%S") for v in log["logged_at"]],
        t.t("admin.email"): log["actor"].astype(str),
        t.t("admin.role"): log["role"].astype(str),
        t.t("admin.audit_action"): [t.t(f"audit.{a}") for a in log["action"]],
        t.t("admin.audit_subject"): log["subject"].fillna("").astype(str),
        t.t("admin.audit_rows"): [t.number(v) if pd.notna(v) else "" for v in log["rows"]],
        t.t("admin.audit_detail"): [", ".join(f"{k}={v}" for k, v in json.loads(d or "{}").items() if k != "columns" and v is not None)
                                    for d in log["detail"]]})
    st.dataframe(shown, hide_index=True, width="stretch", height=420)
    st.download_button(t.t("admin.audit_download"), to_csv_bytes(log), "audit-log.csv", "text/csv",
                       key="adm_audit_csv", icon=":material/download:")


def settings_section(ctx: PageContext, who: Principal) -> None:
    """Database settings: the assumed margin of sales without a recorded cost (saving it
    recomputes every gross profit and is written to the audit log)."""
    t = ctx.tr
    current = costs.margin_basis(ctx.store, ctx.as_of or date.max)
    value = current.default_margin
    new = st.number_input(t.t("admin.default_margin"), -99.0, 99.0, round(value * 100, 2), 1.0, format="%.1f",
                          key="adm_margin", help=t.t("admin.default_margin_help"))
    if current.source in ("assumed", "mixed"):
        st.caption(t.t("admin.default_margin_used", share=t.percent(1 - (current.cost_share or 0.0))))
    if st.button(t.t("admin.save_settings"), type="primary", key="adm_save_settings", icon=":material/save:"):
        try:
            before = costs.set_default_margin(ctx.store, float(new) / 100)
            audit.log(ctx.store, who, "setting_changed", at=now(), subject="default_margin",
                      detail={"from": before, "to": float(new) / 100})
            st.success(t.t("admin.settings_saved", margin=t.percent(float(new) / 100), before=t.percent(before)),
                       icon=":material/check_circle:")
        except CrmError as exc:
            st.error(t.t(exc.message_key, **{k: plain(v) for k, v in exc.params.items()}), icon=":material/error:")
