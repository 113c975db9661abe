"""CRM analytics dashboard: the router. Run with ``streamlit run app.py``.

The navigation is built before the database is touched, so the sidebar is right even
while the database is busy or being created.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from crm_app.context import page_context, render_sidebar, tr

st.set_page_config(page_title=tr().t("app.title"), page_icon="📊", layout="wide")

t = tr()
pages = {
    t.t("nav.section.customers"): [
        st.Page("pages/overview.py", title=t.t("page.overview"), icon=":material/dashboard:", url_path="overview",
                default=True),
    ],
    t.t("nav.section.data"): [
        st.Page("pages/data_status.py", title=t.t("page.data"), icon=":material/database:", url_path="data"),
    ],
}
nav = st.navigation(pages)
st.logo(str(Path(__file__).parent / "data" / "logo.svg"), size="large")
render_sidebar(page_context())
nav.run()
