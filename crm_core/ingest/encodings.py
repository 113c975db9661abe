"""Which text encoding an upload is in, and its re-encoding to UTF-8.

A BOM decides (UTF-8, UTF-16); else strict UTF-8; else ``charset_normalizer``'s guess among
CP949, GB18030, Big5 and CP1252, checked by what the text reads as: the same bytes are Hangul
in CP949 and Hanzi in GB18030 or Big5, and on a short file statistics guess wrong, so the
reading made of characters the standards list as common wins (:func:`detect_encoding`).
"""

from __future__ import annotations

import codecs
from pathlib import Path

from crm_core.errors import InputFileError

__all__ = ["ENCODINGS", "SAMPLE", "CHUNK", "detect_encoding", "to_utf8"]

ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "utf-16", "cp949", "euc-kr", "gb18030", "gbk", "big5", "cp1252",
                               "latin-1")
SAMPLE = 1 << 20
CHUNK = 8 << 20


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3 and len(sample) >= SAMPLE:   # a character cut by the sample's end
            return "utf-8"
    if b"\x00" in sample[:4096]:
        raise InputFileError("binary content, not a text, Excel or Parquet file", problem="binary")
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=["cp949", "gb18030", "big5", "cp1252"]).best()
    if best is None:
        raise InputFileError("cannot tell the text encoding; choose one", problem="encoding")
    found = {"cp949": "cp949", "gb18030": "gb18030", "big5": "big5", "cp1252": "cp1252",
             "windows-1252": "cp1252"}.get(best.encoding, best.encoding)
    if found in ("cp949", "gb18030", "big5", "cp1252"):   # (CP1252 reads any bytes: mojibake of CJK too)
        # The same bytes are Hangul in CP949 and Hanzi in GB18030 or Big5, and statistics guess
        # wrong on a short file: read it each way and keep the reading made of the characters
        # each standard lists as common (KS X 1001 Hangul, GB2312 level 1, Big5's frequent
        # Hanzi); Korean bytes always read as common Hanzi too, so all-common Hangul wins.
        scores = {enc: _common_share(sample, enc) for enc in ("cp949", "gb18030", "big5")}
        if scores["cp949"] >= 0.98:
            return "cp949"
        best_cjk = max(("gb18030", "big5", "cp949"), key=lambda e: scores[e])   # ties: the order here
        return best_cjk if found != "cp1252" or scores[best_cjk] >= 0.95 else found
    return found


def _common_share(sample: bytes, encoding: str) -> float:
    """The share of the non-ASCII letters (not symbols, not full-width forms) of ``sample``
    read as ``encoding`` that are common in that script (-1 when the bytes do not decode)."""
    cut = sample[:1 << 16]
    try:
        text = cut.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(cut) - 3 or len(cut) == len(sample):   # not just a character cut at the end
            return -1.0
        text = cut[:exc.start].decode(encoding)
    wide = [ch for ch in text if ord(ch) > 0x7F and ch.isalpha() and not "\uff00" <= ch <= "\uffef"]   # letters
    return sum(_common(ch, encoding) for ch in wide) / len(wide) if wide else 0.0


def _common(ch: str, encoding: str) -> bool:
    try:
        if encoding == "cp949":
            return "\uac00" <= ch <= "\ud7a3" and len(ch.encode("euc-kr")) == 2
        if encoding == "gb18030":
            b = ch.encode("gb2312")
            return len(b) == 2 and 0xB0 <= b[0] <= 0xD7
        b = ch.encode("big5")
        return len(b) == 2 and (0xA4 <= b[0] < 0xC6 or (b[0] == 0xC6 and b[1] <= 0x7E))
    except UnicodeEncodeError:
        return False


def to_utf8(path: Path, encoding: str, out: Path) -> None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(CHUNK):
                dst.write(decoder.decode(chunk))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise InputFileError(f"the file is not valid {encoding} text (byte {exc.start} of a chunk)",
                             problem="encoding", encoding=encoding) from None
