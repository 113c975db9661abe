"""The session's first needs, below everything else in the app: the repository and database
paths, the language (and its translator) and making outside text inert for Markdown.
Both :mod:`crm_app.auth` and :mod:`crm_app.context` build on it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

from crm_core.i18n import DEFAULT_LANGUAGE, LANGUAGES, Translator, translator

__all__ = ["REPO", "DEFAULT_DB", "plain", "resolve_db_path", "tr"]

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DB = REPO / "data" / "demo.duckdb"


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:=@"})


def plain(text: object) -> str:
    """Text from outside (a user name, a file name) made inert for ``st.markdown``/``caption``:
    every Markdown/Streamlit directive character is escaped, so it shows as typed."""
    return str(text).translate(_MD_SPECIAL)


def resolve_db_path() -> tuple[Path, bool]:
    """The database file: ``-- --db PATH`` script argument, else ``CRM_DB``, else the demo."""
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == "--db" and i + 1 < len(argv):
            return Path(argv[i + 1]).expanduser().resolve(), False
        if arg.startswith("--db="):
            return Path(arg[5:]).expanduser().resolve(), False
    env = os.environ.get("CRM_DB")
    if env:
        return Path(env).expanduser().resolve(), False
    return DEFAULT_DB, True


def _init_session() -> None:
    ss = st.session_state
    if "lang" not in ss:
        requested = st.query_params.get("lang", DEFAULT_LANGUAGE)
        ss.lang = requested if requested in LANGUAGES else DEFAULT_LANGUAGE
    ss.setdefault("period_days", 365)
    for key in ("regions", "channels", "customer_types"):
        ss.setdefault(key, [])


def tr() -> Translator:
    _init_session()
    return translator(st.session_state.lang)


