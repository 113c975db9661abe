"""CRM analytics library: store, metrics, models. Never imports streamlit."""
__version__ = "0.1.0"
