"""The Streamlit layer: session context, sidebar, cached data access, shared widgets."""
