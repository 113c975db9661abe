"""The Streamlit layer: session context, sidebar, cached data access, shared widgets."""

from crm_core.store.settings import apply_process_settings

apply_process_settings()   # numpy without huge pages, here and in what the server starts (see there)
