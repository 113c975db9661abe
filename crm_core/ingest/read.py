"""Read an upload into DuckDB as text columns, whatever its format and encoding.

Formats by content, not by name: gzip and zip wrappers are opened, Excel (.xlsx, a
sheet chosen or the first), Parquet, and delimited text (comma, tab, semicolon, pipe:
DuckDB's sniffer decides). Text encodings: a BOM decides (UTF-8, UTF-16); else strict
UTF-8; else the best of CP949 (EUC-KR), GB18030 (GBK) and Big5 by ``charset_normalizer``;
a caller may force one. Non-UTF-8 text is re-encoded to a UTF-8 temporary file in
chunks (memory stays flat), then read by DuckDB's CSV reader with every column as text
(or, for a load, its money columns as numbers where they all are: :func:`typed_sql`).
UTF-8 files are read in place: the fast path for big files.
"""

from __future__ import annotations

import codecs
import errno
import gzip
import hashlib
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import duckdb

from crm_core.errors import InputFileError
from crm_core.ingest.encodings import CHUNK, ENCODINGS, SAMPLE, detect_encoding, to_utf8
from crm_core.ingest.shape import first_row_is_data, raw_error, refuse_long_headers, refuse_ragged, whitespace_fields

__all__ = ["Source", "fingerprint", "open_source", "sniffed_types", "typed_sql", "CSV_TYPES", "ENCODINGS", "raw_error",
           "max_unpacked_bytes"]



@dataclass(frozen=True)
class Source:
    """What was read: format, encoding, sheet, and the DuckDB relation SQL over it."""

    format: str              # csv, xlsx, parquet
    encoding: str | None
    sheet: str | None
    sql: str                 # SELECT over the file with every column as the file has it
    headers: tuple[str, ...]
    # SELECT of the 1-based row number followed by the columns of ``sql`` ("_row, *"), where
    # the format gives row numbers itself (Parquet: the file's own row index, 0.4 s less than
    # numbering 10M rows with a window); None: number the rows in reading order.
    numbered_sql: str | None = None
    # The delimited file ``sql`` reads with a header row, as an SQL string literal: it can be
    # read again with some columns typed (:func:`typed_sql`). None for other formats and shapes.
    csv_file: str | None = None


#: The options every read of a delimited file with a header row uses (the dialect is sniffed;
#: quotes are the standard double quote whatever the sniffer saw in its sample).
_CSV_OPTIONS = "header = true, auto_detect = true, sample_size = 20480, encoding = 'utf-8', quote = '\"', escape = '\"'"
#: What a column of a delimited file may be read as besides text (:func:`typed_sql`).
CSV_TYPES: tuple[str, ...] = ("VARCHAR", "DECIMAL(18, 2)")


def sniffed_types(cur: duckdb.DuckDBPyConnection, source: Source) -> tuple[str, ...] | None:
    """The type DuckDB's sniffer gives each column of ``source`` on its sample; None when
    ``source`` is no CSV read with a header row, or when the sniffer, looking at types too,
    sees other columns than the text read did (then only the text read is used)."""
    if source.csv_file is None:
        return None
    rel = cur.sql(f"SELECT * FROM read_csv({source.csv_file}, {_CSV_OPTIONS}) LIMIT 0")
    return tuple(str(t) for t in rel.types) if tuple(rel.columns) == source.headers else None


def typed_sql(source: Source, types: tuple[str, ...]) -> str:
    """``source.sql`` with column i read as ``types[i]`` (one of :data:`CSV_TYPES`) instead of
    text: DuckDB's reader parses the numbers as it reads (no text copy to parse later), and
    stops with an error at the first cell that is not one."""
    if source.csv_file is None or len(types) != len(source.headers) or not set(types) <= set(CSV_TYPES):
        raise ValueError(f"no typed read of this source with {types!r}")
    listed = ", ".join(f"'{t}'" for t in types)
    return f"SELECT * FROM read_csv({source.csv_file}, all_varchar = false, types = [{listed}], {_CSV_OPTIONS})"


def fingerprint(path: Path) -> tuple[str, int]:
    """SHA-256 of the file's bytes and its size (recognises the same file uploaded twice)."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def max_unpacked_bytes() -> int:
    """The most a compressed upload may unpack to: ``CRM_UNPACKED_MAX_MB`` (default 8192 MB)."""
    try:
        return int(float(os.environ.get("CRM_UNPACKED_MAX_MB", "8192")) * 1024 * 1024)
    except ValueError:
        return 8192 * 1024 * 1024


def _unpack(src: Any, dst_path: Path, limit: int) -> None:
    """Copy a decompressing stream to ``dst_path``, refusing past ``limit`` bytes (a small
    archive can unpack to gigabytes) and saying so plainly when the disk is full."""
    written = 0
    try:
        with open(dst_path, "wb") as dst:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise InputFileError(f"the compressed file unpacks to more than {limit / 2**20:,.0f} MB "
                                         "(CRM_UNPACKED_MAX_MB)", problem="too_large_unpacked",
                                         limit_mb=round(limit / 2**20))
                dst.write(chunk)
    except OSError as exc:
        dst_path.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise InputFileError("no space left on the disk to unpack the file", problem="disk_full") from None
        raise
    except InputFileError:
        dst_path.unlink(missing_ok=True)
        raise


def _kind_of(head: bytes) -> str:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):   # an archive, or an empty one
        return "zip"
    if head.startswith(b"PAR1"):
        return "parquet"
    return "text"


def _quote(text: str) -> str:
    """A file path as an SQL string literal (paths are ours: temp files or the caller's)."""
    return "'" + text.replace("'", "''") + "'"


@contextmanager
def open_source(path: Path, *, encoding: str | None = None, sheet: str | None = None,
                cur: duckdb.DuckDBPyConnection) -> Iterator[Source]:
    """Yield a :class:`Source` whose ``sql`` reads ``path`` (valid while the context is open)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"file not found: {path}", problem="not_found")
    if path.stat().st_size == 0:
        raise InputFileError("the file is empty", problem="empty")
    if encoding is not None and encoding.lower() not in ENCODINGS:
        raise InputFileError(f"unsupported encoding {encoding!r}", problem="encoding", encoding=encoding)
    tmp = Path(tempfile.mkdtemp(prefix="crm-ingest-"))
    try:
        target = path
        if any(ch in str(path) for ch in "*?[]{}"):   # DuckDB reads a path as a pattern: never expand one
            target = tmp / ("input" + "".join(path.suffixes[-2:])[:12].replace("*", "").replace("?", ""))
            try:
                os.symlink(path.resolve(), target)
            except OSError:
                shutil.copyfile(path, target)
        with open(path, "rb") as f:
            head = f.read(8)
        kind = _kind_of(head)
        if kind == "gzip":
            target = tmp / "unzipped"
            try:
                with gzip.open(path, "rb") as src:
                    _unpack(src, target, max_unpacked_bytes())
            except InputFileError:
                raise
            except (OSError, EOFError, zlib.error) as exc:
                raise InputFileError(f"damaged gzip file: {exc}", problem="damaged") from None
        elif kind == "zip":
            try:
                with zipfile.ZipFile(path) as z:
                    names = [n for n in z.namelist() if not n.endswith("/")]
                    if "[Content_Types].xml" in names:
                        kind = "xlsx"
                    else:
                        inner = [n for n in names if not n.startswith("__MACOSX")]
                        if len(inner) != 1:
                            raise InputFileError("a zip file must hold exactly one data file", problem="zip_members",
                                                 count=len(inner))
                        target = tmp / Path(inner[0]).name
                        with z.open(inner[0]) as src:
                            _unpack(src, target, max_unpacked_bytes())
            except zipfile.BadZipFile:
                raise InputFileError("damaged zip file", problem="damaged") from None
        if kind != "xlsx":
            with open(target, "rb") as f:
                head = f.read(8)
            kind = "parquet" if head.startswith(b"PAR1") else ("xlsx" if head.startswith(b"PK\x03\x04") else kind)
            if kind == "gzip" or kind == "zip":
                kind = "text" if kind == "gzip" else kind
        if kind == "xlsx":
            yield _excel(target, sheet, cur)
        elif kind == "parquet":
            sql = f"SELECT * FROM read_parquet({_quote(str(target))})"   # (one file: the path is ours or linked)
            try:
                headers = _headers(cur, sql)
            except duckdb.Error as exc:
                raise InputFileError(f"not a readable Parquet file: {str(exc).splitlines()[0][:160]}",
                                     problem="unreadable") from None
            if "file_row_number" in headers:   # a data column of that name: number the rows ourselves
                yield Source("parquet", None, None, sql, headers)
            else:
                numbered = (f"SELECT file_row_number + 1 AS _row, * EXCLUDE (file_row_number) "
                            f"FROM read_parquet({_quote(str(target))}, file_row_number = true)")
                yield Source("parquet", None, None, sql, headers, numbered)
        else:
            with open(target, "rb") as f:
                sample = f.read(SAMPLE)
            enc = (encoding or detect_encoding(sample)).lower()
            if enc not in ("utf-8", "utf8"):
                utf8 = tmp / "utf8.csv"
                to_utf8(target, "utf-8-sig" if enc == "utf-8-sig" else enc, utf8)
                target = utf8
            # Quotes are the standard double quote whatever the sniffer saw in its sample: a
            # quoted cell after the sample is read as a quoted cell, not stored with its quotes.
            with open(target, "rb") as f:
                text_head = f.read(SAMPLE)
            if not text_head.removeprefix(codecs.BOM_UTF8).strip() and len(text_head) < SAMPLE:
                raise InputFileError("the file holds only blank space", problem="empty")
            sql = f"SELECT * FROM read_csv({_quote(str(target))}, all_varchar = true, {_CSV_OPTIONS})"
            try:
                headers = _headers(cur, sql)
            except duckdb.Error as exc:
                raise raw_error(exc) if re.search(r"[Ll]ine:?\s*[0-9]", str(exc)) else InputFileError(
                    f"not a readable delimited text file: {str(exc).splitlines()[0][:200]}", problem="unreadable") from None
            refuse_long_headers(headers)
            refuse_ragged(text_head, headers)
            _refuse_repeated_headers(cur, target, headers)
            spaced = whitespace_fields(sample) if len(headers) == 1 else None
            if spaced:   # columns lined up with runs of spaces (fixed-width style exports)
                yield _whitespace(target, enc, *spaced, cur)
            elif first_row_is_data(headers, _first_row(cur, sql)):   # no header row: the first row is data
                plain = (f"SELECT * FROM read_csv({_quote(str(target))}, all_varchar = true, header = false, "
                         f"auto_detect = true, sample_size = 20480, encoding = 'utf-8')")
                named = _headers(cur, plain)
                cols = ", ".join(f"#{i} AS f{i}" for i in range(1, len(named) + 1))
                generated = tuple(f"column{i}" for i in range(1, len(named) + 1))
                yield Source("csv", enc, None, f"SELECT {cols} FROM ({plain})", generated)
            else:
                yield Source("csv", enc, None, sql, headers, csv_file=_quote(str(target)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _first_row(cur: duckdb.DuckDBPyConnection, sql: str) -> tuple[str | None, ...] | None:
    got = cur.sql(f"SELECT * FROM ({sql}) LIMIT 1").fetchall()
    return tuple(got[0]) if got else None


def _whitespace(target: Path, enc: str, fields: tuple[str, ...], header: bool,
                cur: duckdb.DuckDBPyConnection) -> Source:
    """Read a space-aligned file line by line and split each line on runs of whitespace."""
    lines = (f"SELECT line, row_number() OVER () AS _ln FROM read_csv({_quote(str(target))}, header = false, "
             f"columns = {{'line': 'VARCHAR'}}, delim = '\x1f', quote = '', escape = '', auto_detect = false, "
             f"encoding = 'utf-8')")
    parts = f"SELECT string_split_regex(trim(line), '\\s+') AS p FROM ({lines}) WHERE trim(line) <> ''" + (
        " AND _ln > 1" if header else "")
    cols = ", ".join(f"p[{i}] AS f{i}" for i in range(1, len(fields) + 1))
    return Source("text", enc, None, f"SELECT {cols} FROM ({parts})", fields)


def _refuse_repeated_headers(cur: duckdb.DuckDBPyConnection, target: Path, headers: tuple[str, ...]) -> None:
    """A header row naming one column twice (``amount`` twice) is refused: the reader would
    rename the second (``amount_1``) and one of them would silently be the amount."""
    if not any(re.fullmatch(r".+_[0-9]+", h) for h in headers):
        return
    first = cur.sql(f"SELECT * FROM read_csv({_quote(str(target))}, all_varchar = true, header = false, "
                    f"auto_detect = true, sample_size = 20480, encoding = 'utf-8', quote = '\"', escape = '\"') "
                    "LIMIT 1").fetchall()
    names = [str(v).strip() for v in first[0]] if first else []
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputFileError(f"the header names column {name!r} twice", problem="repeated_header",
                                 column=name[:60])
        seen.add(name)


def _headers(cur: duckdb.DuckDBPyConnection, sql: str) -> tuple[str, ...]:
    rel = cur.sql(f"SELECT * FROM ({sql}) LIMIT 0")
    return tuple(rel.columns)


def _excel(path: Path, sheet: str | None, cur: duckdb.DuckDBPyConnection) -> Source:
    import pandas as pd

    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad workbook
        raise InputFileError(f"not a readable Excel workbook: {exc}", problem="unreadable") from None
    names = [str(n) for n in book.sheet_names]
    chosen = sheet if sheet is not None else names[0]
    if chosen not in names:
        raise InputFileError(f"no sheet named {chosen!r}; sheets: {', '.join(names)}", problem="sheet",
                             sheet=chosen, sheets=", ".join(names))
    frame = pd.read_excel(book, sheet_name=chosen, dtype=object)
    frame = frame.map(_excel_text)
    frame.columns = [str(c) for c in frame.columns]
    name = f"_xlsx_{os.getpid()}_{id(frame)}"
    cur.register(name, frame.astype("string"))
    return Source("xlsx", None, chosen, f"SELECT * FROM {name}", tuple(frame.columns))


def _excel_text(value: Any) -> Any:
    """Excel cells as text: dates in ISO, whole numbers without ``.0``, blanks as None."""
    import datetime as dt

    import pandas as pd

    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
