"""Typed errors. Each carries the context a user needs and a translation key for the UI.

The CLI prints ``str(err)`` (English, one line); the app renders ``err.message_key``
with ``err.params`` through the translation layer, so the same failure reads well in
every language.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CrmError",
    "RollbackRefusedError",
    "DatabaseError",
    "DatabaseNotFoundError",
    "DatabaseBusyError",
    "MemoryLimitError",
    "DatabaseCorruptError",
    "NotACrmDatabaseError",
    "SchemaVersionError",
    "ReadOnlyDatabaseError",
    "DatabaseExistsError",
    "InvalidParameterError",
    "NoDataError",
    "ModelFitError",
    "InputFileError",
    "IngestError",
    "AccessDeniedError",
    "RolesFileError",
]


class CrmError(Exception):
    """Base class. ``message_key`` names the catalogue entry; ``params`` fill it."""

    message_key = "error.generic"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.params: dict[str, Any] = params


class DatabaseError(CrmError):
    """Something is wrong with the database file itself."""

    message_key = "error.db_generic"


class DatabaseNotFoundError(DatabaseError, FileNotFoundError):
    message_key = "error.db_not_found"


class DatabaseBusyError(DatabaseError):
    """Another process holds the file's write lock; retrying later usually succeeds."""

    message_key = "error.db_busy"


class MemoryLimitError(DatabaseError):
    """A query needs more memory than DuckDB may use even when spilling to disk; the
    message names the setting (``CRM_MEMORY_LIMIT``) and its value."""

    message_key = "error.memory_limit"


class DatabaseCorruptError(DatabaseError):
    message_key = "error.db_corrupt"


class NotACrmDatabaseError(DatabaseCorruptError):
    """A valid DuckDB file, but not one this software created."""

    message_key = "error.db_not_crm"


class SchemaVersionError(DatabaseError):
    """The file was written by a newer version of this software."""

    message_key = "error.db_newer"


class ReadOnlyDatabaseError(DatabaseError, PermissionError):
    message_key = "error.db_read_only"


class DatabaseExistsError(DatabaseError, FileExistsError):
    """Refusing to overwrite an existing file without being asked."""

    message_key = "error.db_exists"


class InvalidParameterError(CrmError, ValueError):
    """A caller passed a value outside the allowed set (filters, sizes, dates)."""

    message_key = "error.invalid_parameter"


class NoDataError(CrmError, LookupError):
    """The database holds no data of the kind a computation needs."""

    message_key = "error.no_data"


class ModelFitError(CrmError, ValueError):
    """A model cannot be fitted to these data (too few customers, nobody repeats...).

    ``reason`` is a short code (``no_customers``, ``no_repeaters``, ``too_few``...) that the
    app turns into a specific, translated message.
    """

    message_key = "error.model_fit"


class InputFileError(CrmError, ValueError):
    """An uploaded file cannot be read (empty, binary, damaged, unknown encoding, ...).

    ``problem`` is a short code (``empty``, ``binary``, ``encoding``...) the app turns into
    a specific, translated message.
    """

    message_key = "error.input_file"


class IngestError(CrmError, ValueError):
    """A readable file that cannot be loaded as asked: wrong kind, missing required
    columns, ambiguous dates, a bad mapping. ``problem`` names which."""

    message_key = "error.ingest"


class AccessDeniedError(CrmError, PermissionError):
    """The signed-in user's role does not allow this action (``action``, ``role``, ``user``).

    Raised by every write function in ``crm_core`` and by the app's page guards, so a page
    reached by its URL or a function called directly refuses just as the menu does."""

    message_key = "error.access_denied"


class RolesFileError(CrmError, ValueError):
    """The roles file cannot be read or says something impossible (an unknown role...).

    With sign-in configured the app then refuses everyone (fails closed)."""

    message_key = "error.roles_file"


class RollbackRefusedError(CrmError, ValueError):
    """A load cannot be undone exactly (``problem``: why; ``id``: the load; ``n``: how many
    customers are in the way): the database stays as it is."""

    message_key = "error.rollback_refused"
