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

from crm_core.access.auth import Principal
from crm_core.errors import CrmError, DatabaseBusyError
from crm_core.i18n import DEFAULT_LANGUAGE

from .auth import account_box, gate, require
from .context import page_context, render_sidebar, tr
from .data import retry_run, run_done, show_error

__all__ = ["main", "ensure_router"]

REPO = Path(__file__).resolve().parent.parent
_STATE = threading.local()  # each session's script runs in its own thread


#: Page url_path -> the right it needs (every other page needs "view"). Pages check it again.
PAGE_RIGHTS: dict[str, str] = {"upload": "upload", "admin": "read_audit"}


def _pages() -> dict[str, list]:
    t = tr()
    sections = {
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
        t.t("nav.section.journey"): [
            st.Page(str(REPO / "pages/lifecycle.py"), title=t.t("page.lifecycle"), icon=":material/timeline:",
                    url_path="lifecycle"),
            st.Page(str(REPO / "pages/cohorts.py"), title=t.t("page.cohorts"), icon=":material/calendar_view_month:",
                    url_path="cohorts"),
            st.Page(str(REPO / "pages/funnel.py"), title=t.t("page.funnel"), icon=":material/filter_alt:",
                    url_path="funnel"),
            st.Page(str(REPO / "pages/customer.py"), title=t.t("page.customer"), icon=":material/person_search:",
                    url_path="customer"),
        ],
        t.t("nav.section.relations"): [
            st.Page(str(REPO / "pages/managers.py"), title=t.t("page.managers"), icon=":material/badge:",
                    url_path="managers"),
            st.Page(str(REPO / "pages/service.py"), title=t.t("page.service"), icon=":material/support_agent:",
                    url_path="service"),
            st.Page(str(REPO / "pages/campaigns.py"), title=t.t("page.campaigns"), icon=":material/campaign:",
                    url_path="campaigns"),
            st.Page(str(REPO / "pages/cross_sell.py"), title=t.t("page.cross_sell"), icon=":material/shopping_basket:",
                    url_path="cross_sell"),
            st.Page(str(REPO / "pages/scorecards.py"), title=t.t("page.scorecards"), icon=":material/fact_check:",
                    url_path="scorecards"),
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
            st.Page(str(REPO / "pages/admin.py"), title=t.t("page.admin"), icon=":material/admin_panel_settings:",
                    url_path="admin"),
        ],
    }
    return sections


def _menu(sections: dict[str, list], who: Principal) -> None:
    """The sidebar menu: only the pages this user may open. Every page stays registered with
    ``st.navigation`` (hidden), so a forbidden page opened by URL runs its own guard and says,
    translated, why it refuses, instead of Streamlit's untranslated "page not found"."""
    # The chosen language travels in the links, so a reload of the next page keeps it.
    lang = {"lang": st.session_state.lang} if st.session_state.lang != DEFAULT_LANGUAGE else None
    with st.sidebar.container(key="crm_menu"):
        for name, pages in sections.items():
            allowed = [p for p in pages if who.can(PAGE_RIGHTS.get(p.url_path, "view"))]
            if not allowed:
                continue
            st.caption(name)
            for p in allowed:
                st.page_link(p, label=p.title, icon=p.icon, query_params=lang)
        st.divider()


#: Card labels wrap onto a second line and card values shrink with the window instead of
#: being cut with an ellipsis ("Deal-seekers among me…", "+95.…" at 1280x720 in three-card rows).
_READABLE_CSS = """<style>
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; height: auto !important;
}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {
  font-size: clamp(1.15rem, 2.1vw, 2.1rem) !important; overflow: visible !important; text-overflow: clip !important;
  white-space: nowrap !important;
}
</style>"""


def main() -> None:
    """Build the navigation before the database is touched, then the sidebar, then the page."""
    st.set_page_config(page_title=tr().t("app.title"), page_icon="📊", layout="wide")
    sections = _pages()
    nav = st.navigation(sections, position="hidden")  # every URL is known; the menu is drawn below
    who = gate()  # sign-in next: nothing is drawn for someone not allowed in
    st.logo(str(REPO / "data" / "logo.svg"), size="large")
    st.html(_READABLE_CSS)   # static style only: never any customer text
    ctx = page_context()
    # One database connection for the whole page run: every cached function the page calls
    # reuses it (and DuckDB's buffer cache) instead of reopening the file per query.
    try:
        with ctx.store.session():
            # The settings every page reads (language, as-of date, period, filters) come first, so
            # they are on screen at 1440x900 without scrolling; the menu and the account follow.
            render_sidebar(ctx)
            _menu(sections, who)
            account_box(who)
            _STATE.active = True
            try:
                nav.run()
            finally:
                _STATE.active = False
    except DatabaseBusyError as err:   # a call outside data.call met the lock: the whole run waits
        retry_run(err)
    except CrmError as err:            # any other of ours: the message in the user's language
        run_done()
        show_error(err)
    else:
        run_done()


def ensure_router(right: str = "view") -> Principal:
    """Call first in every page: if the router is not running this page, run it (and stop);
    then check the page's own ``right`` again (a page opened by URL refuses just as the menu)."""
    if not getattr(_STATE, "active", False):
        main()
        st.stop()
    return require(right)
