"""The SQL shipped with the library: named statements and the migrations.

Each package keeps its own statements beside its code, in ``crm_core/<package>/sql/<name>.sql``
(``exits/sql/churn_lapses.sql`` next to ``exits/churn.py``); the schema's migrations live in
``store/sql/migrations/``. A statement is named by its file name alone, which is unique across
the packages (checked when the index is built). Only files of this library can be named (never
user input); ``{part}`` includes other files, ``{customer_filter}`` / ``{key_filter}`` become the
filter semi-join only when filters are active, and values are always bound parameters (see
:mod:`crm_core.store.connection`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["MIGRATIONS_DIR", "Migration", "migrations", "latest_version", "load_sql", "named", "sql_files"]

PACKAGE_DIR = Path(__file__).resolve().parent.parent   # crm_core/
MIGRATIONS_DIR = Path(__file__).with_name("sql") / "migrations"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


@lru_cache(maxsize=1)
def migrations() -> tuple[Migration, ...]:
    """All migrations shipped with this version, ordered by number."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql")):
        found.append(Migration(int(path.name[:3]), path.stem[4:], path.read_text("utf-8")))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, got {versions}")
    return tuple(found)


@lru_cache(maxsize=1)
def sql_files() -> dict[str, Path]:
    """Every named statement of the library: file name (without ``.sql``) -> path, from the
    ``sql/`` folder of each package (migrations excluded)."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE_DIR.glob("*/sql/*.sql")):
        if path.stem in found:
            raise RuntimeError(f"two SQL files are named {path.stem}: {found[path.stem]} and {path}")
        found[path.stem] = path
    return found


def latest_version() -> int:
    return len(migrations())


_INCLUDE = re.compile(r"\{([a-z_]+)\}")
_COMMENT = re.compile(r"--[^\n]*")
#: ``{customer_filter}`` in a query becomes this when filters are active, else nothing,
#: so unfiltered queries skip the semi-join. Values are still bound (see filters.py).
_CUSTOMER_FILTER = "AND customer_id IN (SELECT customer_id FROM fc)"
_KEY_FILTER = "AND customer_key IN (SELECT customer_key FROM fc)"   # the same, by customers.customer_key


@lru_cache(maxsize=None)
def load_sql(name: str, filtered: bool = True, options: frozenset[str] = frozenset()) -> str:
    """The text of ``<package>/sql/<name>.sql``, with ``{other}`` replaced by ``other.sql``.

    An include named ``<option>__<part>`` (e.g. ``{window__join}``) is used only when
    ``option`` is in ``options``, else it becomes nothing: optional columns cost nothing
    when not asked for. Only files shipped in this package can be named (never user
    input); values are always bound parameters, never pasted in.
    """
    path = sql_files().get(name) if re.fullmatch(r"[a-z_]+", name) else None
    if path is None:
        raise KeyError(name)

    def include(m: re.Match[str]) -> str:
        part = m.group(1)
        if part == "customer_filter":
            return _CUSTOMER_FILTER if filtered else ""
        if part == "key_filter":
            return _KEY_FILTER if filtered else ""
        if "__" in part and part.split("__")[0] not in options:
            return ""
        return load_sql(part, filtered, options).rstrip("\n")

    return _INCLUDE.sub(include, path.read_text("utf-8"))


def named(name: str, params: Mapping[str, Any] | None, filtered: bool,
           options: frozenset[str]) -> tuple[str, dict[str, Any] | None]:
    """The named statement and the parameters it uses (only those it names outside comments)."""
    sql = load_sql(name, filtered, options)
    if params is None:
        return sql, None
    code = _COMMENT.sub("", sql)
    return sql, {k: v for k, v in params.items() if f"${k}" in code}
