"""CRM analytics dashboard: the router. Run with ``streamlit run app.py``.

The navigation is built before the database is touched, so the sidebar is right even
while the database is busy or being created (see crm_app/router.py).
"""

from __future__ import annotations

from crm_app.router import main

main()
