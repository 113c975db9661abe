"""The Upload page's pieces: keep the uploaded file, preview it, edit the mapping, load it,
and show what happened, every message translated."""

from __future__ import annotations

import atexit
import hashlib
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from crm_core.access import audit
from crm_core.access.auth import Principal
from crm_core.access.export import to_csv_bytes
from crm_core.errors import CrmError, IngestError, InputFileError
from crm_core.ingest import load as ingest
from crm_core.ingest.read import ENCODINGS
from crm_core.ingest.schema import KINDS, NO_ROLLBACK, template_rows

from .auth import principal
from .context import PageContext, plain

__all__ = ["run_load", "saved_file", "file_error", "mapping_editor", "show_result", "history_section", "options",
           "kind_help", "file_id", "forget_file", "uploader_in_language"]

_DIR_LOCK = threading.Lock()
_DIR: Path | None = None


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal (catalogue text only: quotes, backslashes, line
    breaks and ``<`` escaped, so it cannot end the string or the style element)."""
    out = "".join(f"\\{ord(ch):X} " if ch in '"\\<>\n\r' else ch for ch in text)
    return f'"{out}"'


def uploader_in_language(ctx: PageContext) -> None:
    """Streamlit's uploader writes its own button and hint in English ("Upload", "200MB per
    file"): shown in the user's language instead (the limit and the formats are in the
    widget's label). The style carries catalogue text only."""
    t = ctx.tr
    zone = '[data-testid="stFileUploaderDropzone"]'
    st.html(f"""<style>
{zone} button [data-testid="stMarkdownContainer"] p {{ font-size: 0 !important; }}
{zone} button [data-testid="stMarkdownContainer"] p::after {{ content: {_css_string(t.t("upload.browse"))};
  font-size: 0.875rem; }}
{zone} [data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0 !important; }}
{zone} [data-testid="stFileUploaderDropzoneInstructions"] span::after {{
  content: {_css_string(t.t("upload.drop_here"))}; font-size: 0.875rem; }}
</style>""")


def _upload_dir() -> Path:
    """This app instance's own folder for uploads (mode 0700, removed when the process ends):
    never a folder shared by other instances or readable by other users."""
    global _DIR
    with _DIR_LOCK:
        if _DIR is None or not _DIR.is_dir():
            _DIR = Path(tempfile.mkdtemp(prefix="crm-uploads-"))
            atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
        return _DIR
KEEP, DROP = "keep", "drop"   # no canonical column has either name
DEMO_USER = "demo generator"  # who the demo database's load history names (crm_core.demo.generate)
MAX_UPLOAD_OPTION = "server.maxUploadSize"


def saved_file(uploaded: Any) -> Path:
    """The uploaded bytes on disk (named by content, so reruns reuse it)."""
    data = uploaded.getvalue()
    suffix = "".join(Path(uploaded.name).suffixes[-2:])[:12]
    path = _upload_dir() / (hashlib.sha256(data).hexdigest()[:32] + suffix)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    return path


def forget_file(path: Path) -> None:
    """Delete an uploaded file once it is loaded (a rerun saves it again if it is still chosen)."""
    path.unlink(missing_ok=True)


def file_id(uploaded: Any) -> str:
    """Which file this is (Streamlit's upload id, else name and size): results belong to one file."""
    return str(getattr(uploaded, "file_id", None) or f"{uploaded.name}:{uploaded.size}")


def kind_help(ctx: PageContext, kind: str) -> None:
    """The kind's required columns and a template to start from (every column, one example row)."""
    t = ctx.tr
    cols, required, example = template_rows(kind)
    names = ", ".join(t.t(f"upload.col.{c}") for c in required)
    c1, c2 = st.columns([4, 1])
    c1.caption(t.t("upload.required_tx" if kind == "transactions" else "upload.required", columns=names))
    c2.download_button(t.t("upload.template"), to_csv_bytes(pd.DataFrame([example], columns=cols)),
                       f"template-{kind}.csv", "text/csv", key=f"up_template_{kind}", icon=":material/description:",
                       on_click="ignore")


def file_error(ctx: PageContext, exc: CrmError) -> None:
    """A refused file: the specific reason in the user's language; nothing was written."""
    t = ctx.tr
    problem = str(exc.params.get("problem", "generic"))
    params = {k: plain(v) if isinstance(v, str) and k not in ("kind", "detected") else v
              for k, v in exc.params.items() if k != "problem"}   # sheet names, headers: the file's own text
    if "kind" in params:
        params["kind"] = t.t(f"upload.kind.{params['kind']}")
    if "detected" in params:
        params["detected"] = t.t(f"upload.kind.{params['detected']}")
    if isinstance(exc, (IngestError, InputFileError)):
        st.error(t.t(f"upload.problem.{problem}", **params) + " " + t.t("upload.nothing_changed"), icon=":material/block:")
    else:
        st.error(t.t(exc.message_key, **params), icon=":material/error:")


def options(ctx: PageContext, preview: ingest.Preview | None, kind: str = "") -> dict[str, Any]:
    """Encoding, sheet, day/month order, rejected rows; for transactions, unknown customers
    and identical rows."""
    t = ctx.tr
    c = st.columns([1, 1, 1, 1.6])
    enc = c[0].selectbox(t.t("upload.encoding"), ["auto", *ENCODINGS], key="up_encoding",
                         format_func=lambda e: t.t("upload.auto") if e == "auto" else e)
    sheet = None
    if preview is not None and preview.sheets:
        sheet = c[1].selectbox(t.t("upload.sheet"), preview.sheets, key="up_sheet")
    order = c[2].selectbox(t.t("upload.date_order"), ["auto", "day", "month"], key="up_order",
                           format_func=lambda o: t.t(f"upload.date_order.{o}"))
    accept = c[3].toggle(t.t("upload.accept_rejects"), key="up_accept", help=t.t("upload.accept_rejects_help"))
    decimal = st.selectbox(t.t("upload.decimal"), ["auto", "comma", "point"], key="up_decimal",
                           format_func=lambda v: t.t(f"upload.decimal.{v}"))
    known, identical = False, "purchases"
    if kind == "transactions":
        d = st.columns([1.6, 2])
        known = d[0].toggle(t.t("upload.known_only"), key="up_known_only", help=t.t("upload.known_only_help"))
        identical = d[1].selectbox(t.t("upload.identical_rows"), list(ingest.IDENTICAL_ROWS), key="up_identical",
                                   format_func=lambda v: t.t(f"upload.identical.{v}"),
                                   help=t.t("upload.identical_help"))
    return {"encoding": None if enc == "auto" else enc, "sheet": sheet, "accept_rejects": accept,
            "day_first": {"auto": None, "day": True, "month": False}[order], "known_only": known,
            "decimal_comma": {"auto": None, "comma": True, "point": False}[decimal],
            "identical": identical}


def mapping_editor(ctx: PageContext, kind: str, preview: ingest.Preview) -> tuple[dict[str, str], bool]:
    """Each file column and what it becomes (a canonical column, kept aside, or dropped)."""
    t = ctx.tr
    spec = KINDS[kind]
    choices = [c.name for c in spec.columns] + [KEEP, DROP]

    def label(v: str) -> str:
        if v in (KEEP, DROP):
            return t.t(f"upload.map.{v}")
        col = spec.column(v)
        return t.t(f"upload.col.{v}") + (" *" if col.required else "")

    table = pd.DataFrame({"file_column": preview.headers,
                          "maps_to": [preview.mapping.get(h) or KEEP for h in preview.headers]})
    edited = st.data_editor(
        table, hide_index=True, width="stretch", key=f"up_map_{kind}_{'-'.join(preview.headers)[:60]}",
        disabled=["file_column"],
        column_config={"file_column": st.column_config.TextColumn(t.t("upload.file_column")),
                       "maps_to": st.column_config.SelectboxColumn(t.t("upload.maps_to"), options=choices,
                                                                   required=True, format_func=label)})
    mapping: dict[str, str] = {}
    drop = False
    for h, target in zip(edited["file_column"], edited["maps_to"]):
        if target == DROP:
            drop = True
        mapping[str(h)] = "" if target in (KEEP, DROP) else str(target)
    return mapping, drop


def show_result(ctx: PageContext, res: ingest.IngestResult) -> None:
    t = ctx.tr
    if res.status == "duplicate":
        st.info(t.t("upload.duplicate"), icon=":material/content_copy:")
        return
    k = st.columns(4 if res.kind == "transactions" else 3)
    k[0].metric(t.t("upload.rows_read"), t.number(res.rows_read))
    k[1].metric(t.t("upload.rows_loaded"), t.number(res.rows_loaded))
    k[2].metric(t.t("upload.rows_rejected"), t.number(res.rows_rejected))
    if res.kind == "transactions":
        k[3].metric(t.t("upload.customers_created"), t.number(res.customers_created),
                    help=t.t("upload.customers_created_help"))
    if res.status == "loaded":
        st.success(t.t("upload.loaded", n=t.number(res.rows_loaded), id=res.ingest_id), icon=":material/check_circle:")
    elif res.reason == "no_rows_loaded":
        st.error(t.t("upload.nothing_loaded", n=t.number(res.rows_rejected)), icon=":material/block:")
    else:
        st.error(t.t("upload.rejected", n=t.number(res.rows_rejected)), icon=":material/block:")
    notes = []
    if res.identical_rows:
        notes.append(t.t("upload.identical_count", n=t.number(res.identical_rows)))
    if res.guest_rows:
        notes.append(t.t("upload.guest_count", n=t.number(res.guest_rows)))
    if res.zoned_values:
        notes.append(t.t("upload.zoned_count", n=t.number(res.zoned_values), zone=res.time_zone or "UTC"))
    if notes:
        st.info(" ".join(notes), icon=":material/info:")
    if res.errors:
        st.dataframe(pd.DataFrame({
            t.t("upload.err.row"): [t.number(e["row"]) for e in res.errors],
            t.t("upload.err.column"): [t.t(f"upload.col.{e['column']}") if e["column"] != "row" else "—"
                                       for e in res.errors],
            t.t("upload.err.problem"): [t.t(f"upload.problem.{e['problem']}") for e in res.errors]}),
            hide_index=True, width="stretch")
        if res.errors_total > len(res.errors):
            st.caption(t.t("upload.more_errors", n=t.number(res.errors_total - len(res.errors))))
        st.download_button(t.t("upload.download_rejected"), lambda: _rejected_csv(ctx, res.ingest_id),
                           f"rejected-{res.ingest_id}.csv", "text/csv", key=f"up_rej_{res.ingest_id}", on_click="ignore")


def _rejected_csv(ctx: PageContext, ingest_id: int) -> bytes:
    """The rows a load set aside, as CSV (built when clicked, and recorded in the audit log)."""
    rows = ingest.quarantine(ctx.store, ingest_id)
    audit.log(ctx.store, principal(), "export", at=now(), subject=f"rejected-{ingest_id}", rows=len(rows),
              detail={"format": "csv", "kind": "rejected_rows"})
    return to_csv_bytes(rows)


def history_section(ctx: PageContext, who: Principal) -> None:
    """Every load; download what one set aside; roll one back."""
    t = ctx.tr
    hist = ingest.history(ctx.store)
    if hist.empty:
        return
    st.dataframe(pd.DataFrame({
        t.t("upload.h.id"): hist["ingest_id"], t.t("upload.h.kind"): [t.t(f"upload.kind.{k}") if k in KINDS else k
                                                                     for k in hist["kind"]],
        t.t("upload.h.file"): hist["file_name"].astype(str),
        t.t("upload.h.user"): [t.t("upload.demo_user") if u == DEMO_USER else str(u) for u in hist["user_name"]],
        t.t("upload.h.when"): [t.date(v.date()) if pd.notna(v) else "" for v in hist["started_at"]],
        t.t("upload.h.status"): [t.t(f"upload.status.{s}") for s in hist["status"]],
        t.t("upload.h.read"): [t.number(v) for v in hist["rows_read"].fillna(0)],
        t.t("upload.h.loaded"): [t.number(v) for v in hist["rows_loaded"].fillna(0)],
        t.t("upload.h.rejected"): [t.number(v) for v in hist["rows_rejected"].fillna(0)]}),
        hide_index=True, width="stretch")
    loaded = hist[(hist["status"] == "loaded") & hist["kind"].isin([k for k in KINDS if k not in NO_ROLLBACK])]
    if loaded.empty:
        return
    c1, c2 = st.columns([3, 1])
    chosen = c1.selectbox(t.t("upload.rollback_pick"), loaded["ingest_id"].tolist(), key="up_rollback_id",
                          format_func=lambda i: f"#{i} · {loaded.set_index('ingest_id').loc[i, 'file_name']}")
    if c2.button(t.t("upload.rollback"), key="up_rollback", type="secondary"):
        try:
            removed = ingest.rollback(ctx.store, int(chosen), actor=who, at=now())
            st.success(t.t("upload.rolled_back", id=chosen, n=t.number(removed)))
        except CrmError as exc:
            file_error(ctx, exc)


def now() -> datetime:
    """The wall clock at the app's edge (crm_core never reads it itself)."""
    return datetime.now()


#: Where each stage starts on the progress bar: its share of a 10M-row load in the benchmark
#: (Parquet / CSV: reading 6 / 12%, parsing 10 / 14%, checking 8 / 6%, writing 16 / 15%,
#: updating the customer summaries 60 / 52%).
_STAGE_START = {"reading": 0.0, "parsing": 0.09, "checking": 0.21, "writing": 0.28, "refreshing": 0.44, "done": 1.0}


def run_load(ctx: PageContext, load: Callable[[ingest.Progress], ingest.IngestResult]) -> ingest.IngestResult:
    """Run ``load`` (a ``load_file`` call taking ``progress``) in a worker thread while a progress
    bar shows the stage, the rows being processed and the seconds so far; errors re-raise here."""
    t = ctx.tr
    state: dict[str, Any] = {"stage": "reading", "rows": None, "since": time.monotonic()}
    box: dict[str, Any] = {}

    def report(stage: str, rows: int | None) -> None:
        state.update(stage=stage, rows=rows, since=time.monotonic())

    def work() -> None:
        try:
            box["result"] = load(report)
        except BaseException as exc:  # noqa: BLE001 - handed to the page's thread
            box["error"] = exc

    worker = threading.Thread(target=work, name="crm-ingest", daemon=True)
    t0 = time.monotonic()
    bar = st.progress(0.0, text=t.t("upload.stage.reading", secs=t.number(0)))
    worker.start()
    while worker.is_alive():
        worker.join(0.25)
        stage, rows = state["stage"], state["rows"]
        start = _STAGE_START[stage]
        following = [v for v in _STAGE_START.values() if v > start]
        end = following[0] if following else 1.0
        # within a stage the bar creeps towards the next stage's start, never reaching it
        frac = start + (end - start) * (1 - math.exp(-(time.monotonic() - state["since"]) / 8))
        bar.progress(min(frac, 1.0), text=t.t(f"upload.stage.{stage}", rows=t.number(rows or 0),
                                              secs=t.number(time.monotonic() - t0)))
    bar.empty()
    if "error" in box:
        raise box["error"]
    return box["result"]
