"""What an upload's lines look like, before any value is read: a header row or data, columns
lined up with spaces, header names too long to be headers, rows with another number of fields
than the header, and the reader's own errors turned into messages that name the line."""

from __future__ import annotations

import codecs
import re

from crm_core.errors import InputFileError
from crm_core.ingest.encodings import SAMPLE

__all__ = ["first_row_is_data", "whitespace_fields", "refuse_long_headers", "refuse_ragged", "raw_error",
           "looks_like_value"]

_NUMBER_OR_DATE = re.compile(r"[-+]?[0-9][0-9.,:/ -]*")


def looks_like_value(text: str) -> bool:
    """A cell that reads as a number or a date: a header row has none of these only."""
    return bool(_NUMBER_OR_DATE.fullmatch(str(text).strip()))


def _shape(text: str | None) -> str:
    t = "" if text is None else str(text).strip()
    if not t:
        return "empty"
    if looks_like_value(t):
        return "value"
    return "id" if any(ch.isdigit() for ch in t) else "word"


def first_row_is_data(headers: tuple[str, ...], row: tuple[str | None, ...] | None) -> bool:
    """Whether what the reader took for a header row is data: no column has a word above
    a non-word (``amount`` above ``12.5``, ``customer`` above ``C17``), and some column holds a
    number or a date both times."""
    if row is None or len(row) != len(headers):
        return all(looks_like_value(h) for h in headers)
    pairs = [(_shape(h), _shape(v)) for h, v in zip(headers, row)]
    if any(a == "word" and b not in ("word", "empty") for a, b in pairs):
        return False
    if any(a == "word" for a, _ in pairs) and all(b == "word" for a, b in pairs if a == "word") and not any(
            a == b == "value" for a, b in pairs):
        return False
    return any(a == b == "value" for a, b in pairs)


def whitespace_fields(sample: bytes) -> tuple[tuple[str, ...], bool] | None:
    """(header fields, whether the first line is a header) of a file whose columns are
    separated by runs of spaces or tabs (every non-empty line of the sample splits into the
    same number, at least 2); generated names ``column1..`` when its first line is data;
    None for any other file."""
    lines = [ln for ln in sample.decode("utf-8", errors="replace").splitlines()[:200] if ln.strip()]
    if len(lines) > 1 and len(sample) >= SAMPLE:
        lines = lines[:-1]                       # the sample may cut the last line
    if len(lines) < 2:
        return None
    split = [ln.split() for ln in lines]
    n = len(split[0])
    if n < 2 or any(len(f) != n for f in split):
        return None
    first = split[0]
    if all(looks_like_value(f) for f in first):
        return tuple(f"column{i}" for i in range(1, n + 1)), False
    return tuple(first), True


_LONGEST_HEADER = 256


def refuse_long_headers(headers: tuple[str, ...]) -> None:
    """A column name longer than a header ever is: the first row is not a header (a 1 MB
    "name" would be echoed in every message and mapping)."""
    longest = max((len(h) for h in headers), default=0)
    if longest > _LONGEST_HEADER:
        raise InputFileError(f"a column name in the first row is {longest:,} characters long (at most "
                             f"{_LONGEST_HEADER}): the first row is not a header row", problem="long_header",
                             length=longest, limit=_LONGEST_HEADER)


def refuse_ragged(head: bytes, headers: tuple[str, ...]) -> None:
    """Rows with another number of fields than the header row make DuckDB's sniffer give up on
    the delimiter or take a later line for the header (then: "customer_id not found"). When
    the reader's header is not the file's first line, the first line is delimited, and the
    other lines agree with it at least as often as with any other count, name the first line
    that does not."""
    import csv
    import io
    from collections import Counter

    text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")
    if len(head) >= SAMPLE:
        text = text[:text.rfind("\n") + 1]    # the sample may cut its last line
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delim = max(",;\t|", key=first.count)
    if not first.count(delim):
        return
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    rows = [(reader.line_num, row) for row in reader if row and any(cell.strip() for cell in row)]
    expected = len(rows[0][1])
    if tuple(h.strip() for h in headers) == tuple(c.strip() for c in rows[0][1]):
        return                                  # the reader took the first line for the header: fine
    counts = Counter(len(row) for _, row in rows[1:])
    if not counts or counts[expected] < max(counts.values()):
        return                                  # a title line above the header, not ragged rows
    for number, row in rows[1:]:
        if len(row) != expected:
            raise InputFileError(f"line {number} has {len(row)} fields where the header has {expected}",
                                 problem="ragged", line=number, found=len(row), expected=expected)


def raw_error(exc: Exception) -> InputFileError:
    """A reader error met past the sniffing sample, as a message naming the line."""
    text = str(exc)
    size = re.search(r"Maximum line size of ([0-9]+) bytes exceeded\. Actual Size:\s*([0-9]+)", text)
    line = re.search(r"[Ll]ine:?\s*([0-9]+)", text)
    if size:
        at = int(line.group(1)) if line else 0
        return InputFileError(f"line {at} is {int(size.group(2)) / 2**20:,.1f} MB long; a line may be at most "
                              f"{int(size.group(1)) / 2**20:,.1f} MB", problem="line_too_long", line=at,
                              size_mb=round(int(size.group(2)) / 2**20, 1),
                              limit_mb=round(int(size.group(1)) / 2**20, 1))
    at = int(line.group(1)) if line else 0
    where = f"line {at}" if line else "a line past the first ones"
    columns = re.search(r"Expected Number of Columns:\s*([0-9]+)\s*Found:\s*([0-9]+)", text)
    if columns:
        return InputFileError(f"{where} has {columns.group(2)} fields where the header has {columns.group(1)}",
                              problem="ragged", line=at, found=int(columns.group(2)), expected=int(columns.group(1)))
    if "unterminated quote" in text.lower():
        return InputFileError(f"{where} opens a quote that is never closed", problem="open_quote", line=at)
    if "invalid unicode" in text.lower() or "not utf-8 encoded" in text.lower():
        return InputFileError(f"{where} is not valid UTF-8 text: choose the file's encoding", problem="encoding_line",
                              line=at)
    detail = next((ln.strip() for ln in text.splitlines()[1:] if ln.strip() and not ln.startswith(("Original", "Possible"))),
                  "")[:160]
    return InputFileError(f"the file cannot be read at {where}" + (f" ({detail})" if detail else ""),
                          problem="unreadable_line", line=at)
