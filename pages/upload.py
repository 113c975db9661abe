"""Upload: load an analyst's file (transactions, customers, churn, loyalty, service) safely."""

from __future__ import annotations

import streamlit as st

from crm_app import upload as up
from crm_app.context import page_context
from crm_app.router import ensure_router
from crm_core.errors import CrmError
from crm_core.ingest import load as ingest
from crm_core.ingest.schema import KINDS

who = ensure_router("upload")
ctx = page_context()
t = ctx.tr
st.title(t.t("page.upload"))
if ctx.store.meta("lake"):   # a lake is read through views: files reach it through `build`, not here
    st.info(t.t("upload.lake", lake=ctx.store.meta("lake")), icon=":material/database:")
    st.stop()
st.caption(t.t("upload.caption"))

kind = st.selectbox(t.t("upload.kind"), list(KINDS), key="up_kind", format_func=lambda k: t.t(f"upload.kind.{k}"))
up.kind_help(ctx, kind)
limit_mb = min(ingest.max_upload_bytes() // 2**20, int(st.get_option(up.MAX_UPLOAD_OPTION)))
up.uploader_in_language(ctx)
uploaded = st.file_uploader(t.t("upload.file", mb=t.number(limit_mb)), key="up_file",
                            type=["csv", "tsv", "txt", "xlsx", "parquet", "gz", "zip"])
if uploaded is not None:
    if uploaded.size > limit_mb * 2**20:
        st.error(t.t("upload.problem.too_large", limit_mb=t.number(limit_mb)) + " " + t.t("upload.nothing_changed"))
    else:
        path = up.saved_file(uploaded)
        opts: dict = {"encoding": st.session_state.get("up_encoding") if st.session_state.get("up_encoding") != "auto"
                      else None, "sheet": st.session_state.get("up_sheet")}
        try:
            prev = ingest.preview(path, kind, encoding=opts["encoding"], sheet=opts["sheet"])
        except CrmError as exc:
            prev = None
            up.file_error(ctx, exc)
        opts = up.options(ctx, prev, kind)
        file_key = f"{kind}:{up.file_id(uploaded)}"
        if st.session_state.get("up_result_for") != file_key:   # a new file (or kind): the old result goes
            st.session_state.pop("up_result", None)
            st.session_state.pop("up_refused", None)
        if prev is not None:
            st.caption(t.t("upload.detected", format=prev.format, encoding=prev.encoding or "—",
                           rows=t.number(len(prev.rows))))
            st.dataframe(prev.rows, hide_index=True, width="stretch")
            st.subheader(t.t("upload.mapping"))
            mapping, drop = up.mapping_editor(ctx, kind, prev)
            if st.button(t.t("upload.load"), type="primary", key="up_load"):
                with st.status(t.t("upload.loading"), expanded=True) as status:
                    try:
                        res = up.run_load(ctx, lambda progress: ingest.load_file(
                            ctx.store, path, kind, now=up.now(), mapping=mapping, drop_extra=drop,
                            encoding=opts["encoding"], sheet=opts["sheet"], day_first=opts["day_first"],
                            accept_rejects=opts["accept_rejects"], actor=who, file_name=uploaded.name,
                            known_customers_only=opts["known_only"], identical_rows=opts["identical"],
                            decimal_comma=opts["decimal_comma"],
                            progress=progress))
                        ok = res.status in ("loaded", "duplicate")
                        status.update(label=t.t("upload.done" if res.status == "loaded" else
                                                "upload.done_duplicate" if res.status == "duplicate" else
                                                "upload.failed"), state="complete" if ok else "error")
                        st.session_state["up_result"], st.session_state["up_result_for"] = res, file_key
                        up.forget_file(path)
                    except CrmError as exc:   # the reason goes under the box, in full, and stays
                        status.update(label=t.t("upload.failed"), state="error", expanded=False)
                        st.session_state.pop("up_result", None)
                        st.session_state["up_refused"], st.session_state["up_result_for"] = exc, file_key
                    else:
                        st.session_state.pop("up_refused", None)
            if st.session_state.get("up_refused") is not None:
                up.file_error(ctx, st.session_state["up_refused"])
            if st.session_state.get("up_result") is not None:
                up.show_result(ctx, st.session_state["up_result"])

st.subheader(t.t("upload.history"))
up.history_section(ctx, who)
