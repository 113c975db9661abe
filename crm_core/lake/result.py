"""What a lake build reports: per file and in total, rows read, loaded and set aside."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["BuildResult"]


@dataclass
class BuildResult:
    engine: str
    lake: str
    version: int
    up_to_date: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)   # one per file loaded now
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    customers_created: int = 0
    identical_rows: int = 0
    guest_rows: int = 0
    problems: dict[str, int] = field(default_factory=dict)       # column:problem -> rows, this build
    tables: dict[str, int] = field(default_factory=dict)         # rows per layer, whole lake
    seconds: float = 0.0

    def add(self, file: dict[str, Any]) -> None:
        self.files.append(file)
        for k in ("rows_read", "rows_loaded", "rows_rejected", "customers_created", "identical_rows", "guest_rows"):
            setattr(self, k, getattr(self, k) + int(file.get(k) or 0))

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "lake": self.lake, "version": self.version, "up_to_date": self.up_to_date,
                "files": self.files, "rows_read": self.rows_read, "rows_loaded": self.rows_loaded,
                "rows_rejected": self.rows_rejected, "customers_created": self.customers_created,
                "identical_rows": self.identical_rows, "guest_rows": self.guest_rows,
                "problems": dict(sorted(self.problems.items())), "tables": self.tables, "seconds": round(self.seconds, 3)}
