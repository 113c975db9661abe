"""The router: page config, navigation, sidebar, then the chosen page.

``app.py`` calls :func:`main`. A page opened by its own URL on a fresh session can be
started by Streamlit *without* ``app.py`` (the ``pages/`` folder is also Streamlit's
legacy multipage folder); each page therefore starts with :func:`ensure_router`, which
runs the router itself in that case, so every URL gets the same sidebar and navigation.
"""

from __future__ import annotations

import threading
from pathlib import Path

import streamlit as st

from .context import page_context, render_sidebar, tr

__all__ = ["main", "ensure_router"]

REPO = Path(__file__).resolve().parent.parent
_STATE = threading.local()  # each session's script runs in its own thread


def _pages() -> dict[str, list]:
    t = tr()
    return {
        t.t("nav.section.customers"): [
            st.Page(str(REPO / "pages/overview.py"), title=t.t("page.overview"), icon=":material/dashboard:",
                    url_path="overview", default=True),
            st.Page(str(REPO / "pages/segments.py"), title=t.t("page.segments"), icon=":material/donut_small:",
                    url_path="segments"),
            st.Page(str(REPO / "pages/pyramid.py"), title=t.t("page.pyramid"), icon=":material/change_history:",
                    url_path="pyramid"),
            st.Page(str(REPO / "pages/micro.py"), title=t.t("page.micro"), icon=":material/grid_view:",
                    url_path="micro"),
        ],
        t.t("nav.section.value"): [
            st.Page(str(REPO / "pages/clv.py"), title=t.t("page.clv"), icon=":material/trending_up:",
                    url_path="clv"),
            st.Page(str(REPO / "pages/quadrants.py"), title=t.t("page.quadrants"), icon=":material/scatter_plot:",
                    url_path="quadrants"),
        ],
        t.t("nav.section.exit"): [
            st.Page(str(REPO / "pages/churn.py"), title=t.t("page.churn"), icon=":material/logout:",
                    url_path="churn"),
            st.Page(str(REPO / "pages/loyalty.py"), title=t.t("page.loyalty"), icon=":material/loyalty:",
                    url_path="loyalty"),
        ],
        t.t("nav.section.data"): [
            st.Page(str(REPO / "pages/upload.py"), title=t.t("page.upload"), icon=":material/upload_file:",
                    url_path="upload"),
            st.Page(str(REPO / "pages/data_status.py"), title=t.t("page.data"), icon=":material/database:",
                    url_path="data"),
        ],
    }


def main() -> None:
    """Build the navigation before the database is touched, then the sidebar, then the page."""
    st.set_page_config(page_title=tr().t("app.title"), page_icon="📊", layout="wide")
    nav = st.navigation(_pages())
    st.logo(str(REPO / "data" / "logo.svg"), size="large")
    render_sidebar(page_context())
    _STATE.active = True
    try:
        nav.run()
    finally:
        _STATE.active = False


def ensure_router() -> None:
    """Call first in every page: if the router is not running this page, run it (and stop)."""
    if getattr(_STATE, "active", False):
        return
    main()
    st.stop()
