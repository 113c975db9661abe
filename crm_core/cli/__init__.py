"""The command line: ``python -m crm_core COMMAND`` (see ``main``)."""
