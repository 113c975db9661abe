"""The corpus of bad, hostile and merely messy upload files (issue 22): what each is and what
it must get. Small files are kept in ``tests/data/bad/`` (``python -m tests.bad_corpus``
writes them); large ones (a 3 MiB line, a problem past the reader's sample, a gzip bomb) are
made at test time. ``tests/test_bad_files.py`` loads every one into a real database and the
README's table is rendered from this list (a test keeps the two equal).

An expectation is one of:
- ``("refused", problem)``: the whole file is refused with that reason; nothing changes;
- ``("rows", "column:problem")``: the file is refused for its rows, that problem among the
  reasons, the rows downloadable; nothing changes;
- ``("loaded", rows, sql, value)``: every row loads (``sql``, when given, reads ``value`` back).
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Case", "CASES", "BAD_DIR", "content_of", "readme_table", "write_small_files"]

BAD_DIR = Path(__file__).resolve().parent / "data" / "bad"
TX = "customer_id,date,amount\n"


@dataclass(frozen=True)
class Case:
    name: str                                   # file name (its extension is part of the test)
    kind: str
    content: bytes | Callable[[], bytes]        # bytes: a kept file; a function: made at test time
    expect: tuple[Any, ...]
    note: str                                   # what the file is, for the README
    options: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


def _u(text: str) -> bytes:
    return text.encode("utf-8")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    import pandas as pd

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as w:
        for name, rows in sheets.items():
            pd.DataFrame(rows[1:], columns=rows[0]).to_excel(w, sheet_name=name, index=False)
    return buf.getvalue()


def _parquet(columns: dict[str, list[Any]]) -> bytes:
    import pandas as pd

    buf = io.BytesIO()
    pd.DataFrame(columns).to_parquet(buf, index=False)
    return buf.getvalue()


def _many(n: int, last: str) -> Callable[[], bytes]:
    """``n`` good transaction rows, then ``last``: a problem past DuckDB's sniffing sample."""
    def make() -> bytes:
        rows = "".join(f"C{1 + i % 9},2026-09-01,{i % 90 + 1}.50\n" for i in range(n))
        return _u(TX + rows + last)
    return make


def _long_line() -> bytes:
    return _u("customer_id,name\nC1," + "x" * (3 << 20) + "\n")


def _late_bad_utf8() -> bytes:
    good = "".join(f"C{1 + i % 9},2026-09-01,{i % 90 + 1}\n" for i in range(70_000))   # past 1 MiB
    return _u(TX + good) + b"C1,2026-09-02,\xff\xfe5\n"


def _bomb() -> bytes:
    return _gz(_u(TX) + b"C1,2026-09-01,1\n" * 200_000)   # ~3 MB unpacked from ~10 KB


def _late_quoted_name() -> bytes:
    rows = "".join(f"N{i},Name {i},Seoul\n" for i in range(30_000))
    return _u("customer_id,name,city\n" + rows + 'C1,"Smith, John",Seoul\n')


def _spaced() -> bytes:
    return _u("00001  19970101  1   11.77\n00002  19970112  1   12.00\n00002  19970112  5   77.00\n")


CASES: list[Case] = [
    # -- the whole file refused --------------------------------------------------------------
    Case("empty.csv", "transactions", b"", ("refused", "empty"), "zero bytes"),
    Case("blank.csv", "transactions", b"   \n \t \n\n", ("refused", "empty"), "blank space only"),
    Case("bom_only.csv", "transactions", b"\xef\xbb\xbf\r\n", ("refused", "empty"), "a UTF-8 BOM and a line break"),
    Case("newlines.csv", "customers", b"\n\n\n\n", ("refused", "empty"), "line breaks only"),
    Case("header_only.csv", "transactions", _u(TX), ("refused", "no_rows"), "a header row and no rows"),
    Case("header_only.xlsx", "transactions", lambda: _xlsx({"data": [["customer_id", "date", "amount"]]}),
         ("refused", "no_rows"), "an Excel sheet with headers only"),
    Case("no_rows.parquet", "transactions", lambda: _parquet({"customer_id": [], "date": [], "amount": []}),
         ("refused", "no_rows"), "a Parquet file without rows"),
    Case("binary.csv", "transactions", bytes(range(256)) * 8, ("refused", "binary"), "binary bytes named .csv"),
    Case("image.csv", "customers", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), ("refused", "binary"),
         "a PNG image named .csv"),
    Case("damaged.gz", "transactions", b"\x1f\x8b\x08\x00" + b"not really gzip" * 4, ("refused", "damaged"),
         "gzip magic then junk"),
    Case("damaged.zip", "transactions", b"PK\x03\x04" + b"junk" * 30, ("refused", "damaged"), "zip magic then junk"),
    Case("two_files.zip", "transactions", lambda: _zip({"a.csv": _u(TX + "C1,2026-09-01,1\n"),
                                                        "b.csv": _u(TX + "C2,2026-09-01,2\n")}),
         ("refused", "zip_members"), "a zip holding two data files"),
    Case("empty.zip", "transactions", b"PK\x05\x06" + bytes(18), ("refused", "zip_members"), "an empty zip archive"),
    Case("folder_only.zip", "transactions", lambda: _zip({"export/": b""}), ("refused", "zip_members"),
         "a zip holding only a folder"),
    Case("damaged.xlsx", "transactions", lambda: _zip({"[Content_Types].xml": b"<Types/>", "xl/junk": b"x"}),
         ("refused", "unreadable"), "a workbook whose parts are missing"),
    Case("no_such_sheet.xlsx", "transactions", lambda: _xlsx({"data": [["customer_id", "date", "amount"],
                                                                      ["C1", "2026-09-01", 1]]}),
         ("refused", "sheet"), "a sheet asked for that the workbook does not have", {"sheet": "Sheet9"}),
    Case("damaged.parquet", "transactions", b"PAR1" + b"\x00junk" * 40 + b"PAR1", ("refused", "unreadable"),
         "Parquet magic around junk"),
    Case("missing_amount.csv", "transactions", _u("customer_id,date\nC1,2026-09-01\n"),
         ("refused", "missing_columns"), "no amount column"),
    Case("one_column.csv", "transactions", _u("C1\nC2\nC3\n"), ("refused", "missing_columns"),
         "a single column of ids"),
    Case("html.csv", "transactions", _u("<html><body><table><tr><td>C1</td></tr></table></body></html>\n"),
         ("refused", "missing_columns"), "a web page saved as .csv"),
    Case("json.csv", "transactions", _u('[{"customer_id": "C1", "date": "2026-09-01", "amount": 1}]\n'),
         ("refused", "missing_columns"), "JSON named .csv"),
    Case("churn_as_service.csv", "service_interactions",
         _u("customer_id,date,reason\nC1,2026-09-01,price\n"), ("refused", "wrong_kind"),
         "a churn file offered as service contacts"),
    Case("customers_as_tx.csv", "transactions", _u("customer_id,name,email,region\nC1,Kim,k@x.kr,Korea\n"),
         ("refused", "wrong_kind"), "a customers file offered as transactions"),
    Case("repeated_header.csv", "transactions", _u("customer_id,date,amount,amount\nC1,2026-09-01,1,100\n"),
         ("refused", "repeated_header"), "the header names amount twice"),
    Case("long_header.csv", "transactions", _u("x" * 100_000 + ",y\n1,2\n"), ("refused", "long_header"),
         "a 100,000-character column name"),
    Case("ragged_early.csv", "customers", _u("customer_id,name,region\nC1,Kim\nC2,Lee,Seoul,x\n"
                                             + "".join(f"C{i},Park,Busan\n" for i in range(3, 30))),
         ("refused", "ragged"), "rows 2 and 3 with too few and too many fields"),
    Case("long_line.csv", "customers", _long_line, ("refused", "line_too_long"), "a 3 MiB cell (made at test time)"),
    Case("late_open_quote.csv", "transactions", _many(30_000, 'C1,2026-09-02,"5\n'),
         ("refused", "open_quote"), "an unterminated quote at row 30,001 (made at test time)"),
    Case("late_ragged.csv", "transactions", _many(30_001, "C1,2026-09-02,5,extra,fields\n"),
         ("refused", "ragged"), "a row with extra fields at line 30,003 (made at test time)"),
    Case("late_bad_utf8.csv", "transactions", _late_bad_utf8, ("refused", "encoding_line"),
         "an invalid UTF-8 byte after the first MiB (made at test time)"),
    Case("ambiguous_dates.csv", "transactions", _u(TX + "C1,03/05/2026,1\nC2,04/06/2026,2\n"),
         ("refused", "ambiguous_dates"), "dates that read either day-first or month-first"),
    Case("mixed_day_month.csv", "transactions", _u(TX + "C1,13/09/2026,1\nC2,09/14/2026,2\n"),
         ("refused", "mixed_dates"), "one day-first and one month-first date"),
    Case("mixed_decimals.csv", "transactions", _u(TX + 'C1,2026-09-01,"10,50"\nC2,2026-09-02,12.75\n'),
         ("refused", "mixed_decimals"), "a decimal comma and a decimal point in one column"),
    Case("forced_utf8.csv", "customers", "customer_id,name\nC1,김민수\n".encode("cp949"), ("refused", "encoding_line"),
         "CP949 bytes with UTF-8 chosen", {"encoding": "utf-8"}),
    Case("bomb.csv.gz", "transactions", _bomb, ("refused", "too_large_unpacked"),
         "a gzip that unpacks past the limit (1 MB here; made at test time)", env={"CRM_UNPACKED_MAX_MB": "1"}),
    # -- refused for its rows: every problem named, rows downloadable --------------------------
    Case("amount_text.csv", "transactions", _u(TX + "C1,2026-09-01,12abc\n"), ("rows", "amount:invalid"),
         "an amount with letters"),
    Case("amount_exponent.csv", "transactions", _u(TX + "C1,2026-09-01,1e308\n"), ("rows", "amount:invalid"),
         "1e308 (not stored as 1308)"),
    Case("amount_nan.csv", "transactions", _u(TX + "C1,2026-09-01,NaN\n"), ("rows", "amount:invalid"), "NaN"),
    Case("amount_double_minus.csv", "transactions", _u(TX + "C1,2026-09-01,--5\n"), ("rows", "amount:invalid"),
         "--5"),
    Case("amount_commas.csv", "transactions", _u(TX + 'C1,2026-09-01,"1,2,3x"\n'), ("rows", "amount:invalid"),
         "1,2,3x"),
    Case("amount_huge.csv", "transactions", _u(TX + "C1,2026-09-01,2000000000000\n"), ("rows", "amount:too_big"),
         "two trillion (more than one trillion)"),
    Case("amount_empty.csv", "transactions", _u(TX + "C1,2026-09-01,\n"), ("rows", "amount:missing"),
         "an empty amount"),
    Case("date_feb30.csv", "transactions", _u(TX + "C1,2026-02-30,1\n"), ("rows", "date:invalid"), "30 February"),
    Case("date_31_31.csv", "transactions", _u(TX + "C1,31/31/2020,1\nC2,25/03/2020,1\n"), ("rows", "date:invalid"),
         "31/31/2020"),
    Case("date_words.csv", "transactions", _u(TX + "C1,yesterday,1\n"), ("rows", "date:invalid"), "a date in words"),
    Case("date_future.csv", "transactions", _u(TX + "C1,2099-01-01,1\n"), ("rows", "date:future_date"),
         "a date in 2099"),
    Case("date_1969.csv", "transactions", _u(TX + "C1,1969-12-31,1\n"), ("rows", "date:before_1970"),
         "a date before 1970"),
    Case("date_unknown_zone.csv", "transactions", _u(TX + "C1,2026-03-01 01:00 KST,1\n"), ("rows", "date:invalid"),
         "a time zone abbreviation that names no single zone (KST)"),
    Case("date_empty.csv", "transactions", _u(TX + "C1,,1\n"), ("rows", "date:missing"), "an empty date"),
    Case("tx_id_twice.csv", "transactions", _u("transaction_id," + TX + "T9,C1,2026-09-01,1\nT9,C2,2026-09-01,2\n"),
         ("rows", "row:duplicate_in_file"), "one transaction id twice in the file"),
    Case("tx_id_stored.csv", "transactions", _u("transaction_id," + TX + "T1,C1,2026-09-01,1\n"),
         ("rows", "row:duplicate_stored"), "a transaction id already stored"),
    Case("unknown_customer.csv", "transactions", _u(TX + "Z99,2026-09-01,1\n"), ("rows", "customer_id:unknown_reference"),
         "a customer not on file, with known customers only", {"known_customers_only": True}),
    Case("identical_as_duplicates.csv", "transactions", _u(TX + "C1,2026-09-01,1\nC1,2026-09-01,1\n"),
         ("rows", "row:duplicate_in_file"), "identical rows, told to treat them as duplicates",
         {"identical_rows": "duplicates"}),
    Case("quantity_fraction.csv", "transactions", _u("customer_id,date,quantity,unit_price\nC1,2026-09-01,3.5,2\n"),
         ("rows", "quantity:invalid"), "a quantity of 3.5"),
    Case("quantity_text.csv", "transactions", _u("customer_id,date,amount,quantity\nC1,2026-09-01,1,two\n"),
         ("rows", "quantity:invalid"), "a quantity in words"),
    Case("customer_nul.csv", "customers", b"customer_id,name\nC1,Kim\x00Lee\n", ("rows", "name:invalid"),
         "a NUL byte inside a name"),
    Case("customer_id_nul.csv", "customers", b"customer_id,name\nC\x001,Kim\n", ("rows", "customer_id:invalid"),
         "a NUL byte inside an id"),
    Case("customer_twice.csv", "customers", _u("customer_id,name\nC1,Kim\nC1,Lee\n"),
         ("rows", "row:duplicate_in_file"), "one customer twice with different names"),
    Case("signup_invalid.csv", "customers", _u("customer_id,signup_date\nC1,2026-13-01\n"),
         ("rows", "signup_date:invalid"), "month 13"),
    Case("customer_empty_id.csv", "customers", _u("customer_id,name\n,Kim\n"), ("rows", "customer_id:missing"),
         "a customer without an id"),
    Case("satisfaction_half.csv", "service_interactions",
         _u("customer_id,opened_at,satisfaction\nC1,2026-09-01 10:00,3.5\n"), ("rows", "satisfaction:invalid"),
         "satisfaction 3.5 (not rounded to 4)"),
    Case("satisfaction_range.csv", "service_interactions",
         _u("customer_id,opened_at,satisfaction\nC1,2026-09-01 10:00,9\n"), ("rows", "satisfaction:out_of_range"),
         "satisfaction 9 on a 1-5 scale"),
    Case("resolved_first.csv", "service_interactions",
         _u("customer_id,opened_at,resolved_at\nC1,2026-09-01 10:00,2026-09-01 09:00\n"),
         ("rows", "resolved_at:before_start"), "resolved before it was opened"),
    Case("service_unknown_customer.csv", "service_interactions",
         _u("customer_id,opened_at\nZ99,2026-09-01 10:00\n"), ("rows", "customer_id:unknown_reference"),
         "a service contact of an unknown customer"),
    Case("left_first.csv", "loyalty_members", _u("customer_id,program_id,enrolled_at,left_at\nC1,P1,2026-05-01,2026-04-01\n"),
         ("rows", "left_at:before_start"), "left a program before joining it"),
    Case("member_unknown_program.csv", "loyalty_members", _u("customer_id,program_id,enrolled_at\nC1,P9,2026-05-01\n"),
         ("rows", "program_id:unknown_reference"), "a member of a program not on file"),
    Case("member_unknown_customer.csv", "loyalty_members",
         _u("customer_id,program_id,enrolled_at\nZ99,P1,2026-05-01\n"), ("rows", "customer_id:unknown_reference"),
         "a member who is not a customer"),
    Case("member_negative_fee.csv", "loyalty_members",
         _u("customer_id,program_id,enrolled_at,fee_paid\nC1,P1,2026-05-01,-10\n"), ("rows", "fee_paid:negative"),
         "a negative fee paid"),
    Case("cost_negative.csv", "loyalty_costs", _u("program_id,date,amount\nP1,2026-05-01,-100\n"),
         ("rows", "amount:negative"), "a negative program cost"),
    Case("cost_bad_type.csv", "loyalty_costs", _u("program_id,date,amount,cost_type\nP1,2026-05-01,100,bribes\n"),
         ("rows", "cost_type:invalid"), "a cost type outside the list"),
    Case("program_bad_kind.csv", "loyalty_programs", _u("program_id,name,kind\nP7,Gold,pyramid scheme\n"),
         ("rows", "kind:invalid"), "a program kind outside the list"),
    Case("program_negative_fee.csv", "loyalty_programs", _u("program_id,name,kind,annual_fee\nP7,Gold,club,-5\n"),
         ("rows", "annual_fee:negative"), "a negative annual fee"),
    Case("program_ends_first.csv", "loyalty_programs",
         _u("program_id,name,kind,start_date,end_date\nP7,Gold,club,2026-05-01,2026-01-01\n"),
         ("rows", "end_date:before_start"), "a program that ends before it starts"),
    Case("churn_no_reason.csv", "churn_events", _u("customer_id,churn_date,reason\nC1,2026-08-01,\n"),
         ("rows", "reason:missing"), "a churn without a reason"),
    Case("churn_bad_date.csv", "churn_events", _u("customer_id,churn_date,reason\nC1,someday,price\n"),
         ("rows", "churn_date:invalid"), "a churn date in words"),
    # -- messy but valid: loaded, and read right -----------------------------------------------
    Case("decimal_comma.csv", "transactions", _u("customer_id;date;amount\nC1;2026-09-01;10,50\nC2;2026-09-02;7\n"),
         ("loaded", 2, "SELECT sum(amount) FROM transactions WHERE tx_date >= '2026-09-01'", 17.5),
         "semicolons and a decimal comma (10,50 is 10.50, not 1050)"),
    Case("euro.csv", "transactions", _u("customer_id;date;amount\nC1;2026-09-01;€3,50\n"),
         ("loaded", 1, "SELECT amount FROM transactions WHERE tx_date = '2026-09-01'", 3.5), "€3,50"),
    Case("european_thousands.csv", "transactions", _u("customer_id;date;amount\nC1;2026-09-01;1.234,56\n"),
         ("loaded", 1, "SELECT amount FROM transactions WHERE tx_date = '2026-09-01'", 1234.56), "1.234,56"),
    Case("won.csv", "transactions", _u(TX + 'C1,2026-09-01,"₩1,500,000"\n'),
         ("loaded", 1, "SELECT amount FROM transactions WHERE tx_date = '2026-09-01'", 1_500_000), "₩1,500,000"),
    Case("parenthesised.csv", "transactions", _u(TX + "C1,2026-09-01,(12.50)\n"),
         ("loaded", 1, "SELECT amount FROM transactions WHERE tx_date = '2026-09-01'", -12.5),
         "(12.50), an accountant's negative"),
    Case("full_width.csv", "transactions", _u(TX + "C1,２０２６-０９-０１,３４５６\n"),
         ("loaded", 1, "SELECT amount FROM transactions WHERE tx_date = '2026-09-01'", 3456),
         "full-width digits"),
    Case("korean_dates.csv", "transactions", _u(TX + "C1,2026년 9월 1일,5\n"),
         ("loaded", 1, "SELECT count(*) FROM transactions WHERE tx_date = '2026-09-01'", 1), "2026년 9월 1일"),
    Case("chinese_dates.csv", "transactions", _u(TX + "C1,2026年9月1日,5\n"),
         ("loaded", 1, "SELECT count(*) FROM transactions WHERE tx_date = '2026-09-01'", 1), "2026年9月1日"),
    Case("compact_dates.csv", "transactions", _u(TX + "C1,20260901,5\n"),
         ("loaded", 1, "SELECT count(*) FROM transactions WHERE tx_date = '2026-09-01'", 1), "20260901"),
    Case("excel_serial.csv", "transactions", _u(TX + "C1,46266,5\n"),
         ("loaded", 1, "SELECT count(*) FROM transactions WHERE tx_date = '2026-09-01'", 1),
         "an Excel day number (46266 is 1 September 2026)"),
    Case("offsets.csv", "transactions", _u(TX + "C1,2026-09-01 01:00:00+09:00,5\n"),
         ("loaded", 1, "SELECT strftime(tx_ts, '%Y-%m-%d %H:%M') FROM transactions WHERE customer_id = 'C1' "
                       "AND tx_ts IS NOT NULL", "2026-08-31 16:00"),
         "a time with +09:00 (converted to the business zone, UTC here)"),
    Case("crlf.csv", "transactions", _u(TX.replace("\n", "\r\n") + "C1,2026-09-01,5\r\nC2,2026-09-02,6\r\n"),
         ("loaded", 2, None, None), "Windows line endings"),
    Case("tabs.tsv", "transactions", _u("customer_id\tdate\tamount\nC1\t2026-09-01\t5\n"), ("loaded", 1, None, None),
         "tab-separated"),
    Case("pipes.txt", "transactions", _u("customer_id|date|amount\nC1|2026-09-01|5\n"), ("loaded", 1, None, None),
         "pipe-separated"),
    Case("cp949.csv", "customers", "customer_id,name,region\nC1,김민수,서울\n".encode("cp949"),
         ("loaded", 1, "SELECT name FROM customers WHERE customer_id = 'C1'", "김민수"), "Korean in CP949"),
    Case("gb18030.csv", "customers", "customer_id,name,region\nC1,王芳,广州\n".encode("gb18030"),
         ("loaded", 1, "SELECT name FROM customers WHERE customer_id = 'C1'", "王芳"),
         "a short GB18030 file (statistics alone say CP949)"),
    Case("big5.csv", "customers", "customer_id,name,city\nC1,陳淑芬,臺北\n".encode("big5"),
         ("loaded", 1, "SELECT name FROM customers WHERE customer_id = 'C1'", "陳淑芬"),
         "a short Big5 file (statistics alone say CP1252)"),
    Case("cp1252.csv", "customers", "customer_id,name,city\nC1,José Müller,Zürich\n".encode("cp1252"),
         ("loaded", 1, "SELECT name FROM customers WHERE customer_id = 'C1'", "José Müller"), "Latin text in CP1252"),
    Case("utf16.csv", "customers", "customer_id,name\nC1,이영희\n".encode("utf-16"),
         ("loaded", 1, "SELECT name FROM customers WHERE customer_id = 'C1'", "이영희"), "UTF-16 with its BOM"),
    Case("utf8_bom.csv", "customers", "customer_id,name\nC1,李娜\n".encode("utf-8-sig"),
         ("loaded", 1, "SELECT name FROM customers WHERE customer_id = 'C1'", "李娜"),
         "UTF-8 with a BOM (the first header is still customer_id)"),
    Case("wrapped.csv.gz", "transactions", lambda: _gz(_u(TX + "C1,2026-09-01,5\n")), ("loaded", 1, None, None),
         "gzip-compressed"),
    Case("mac_zip.zip", "transactions", lambda: _zip({"export/tx.csv": _u(TX + "C1,2026-09-01,5\n"),
                                                      "__MACOSX/export/._tx.csv": b"\x00\x05\x16\x07"}),
         ("loaded", 1, None, None), "a zip made on a Mac (its __MACOSX folder ignored)"),
    Case("second_sheet.xlsx", "transactions",
         lambda: _xlsx({"readme": [["note"], ["see next sheet"]],
                        "data": [["customer_id", "date", "amount"], ["C1", "2026-09-01", 5]]}),
         ("loaded", 1, None, None), "the data on a workbook's second sheet", {"sheet": "data"}),
    Case("typed.parquet", "transactions",
         lambda: _parquet({"customer_id": ["C1"], "date": ["2026-09-01"], "amount": [2.675]}),
         ("loaded", 1, "SELECT amount FROM transactions WHERE tx_date = '2026-09-01'", 2.68),
         "a Parquet double 2.675 (2.68 as written)"),
    Case("no_header_spaces.txt", "transactions", _spaced(), ("loaded", 3, None, None),
         "no header, columns lined up with spaces (the CDNOW layout)"),
    Case("formula_text.csv", "customers", _u('customer_id,name\nC1,"=HYPERLINK(""http://x"",""y"")"\n'),
         ("loaded", 1, "SELECT name FROM customers WHERE customer_id = 'C1'", '=HYPERLINK("http://x","y")'),
         "a spreadsheet formula as a name (stored as text; exports neutralise it)"),
    Case("script_text.csv", "customers", _u("customer_id,name\nC1,<script>alert(1)</script>\n"),
         ("loaded", 1, "SELECT name FROM customers WHERE customer_id = 'C1'", "<script>alert(1)</script>"),
         "markup as a name (stored as text, shown as text)"),
    Case("late_quoted_name.csv", "customers", _late_quoted_name,
         ("loaded", 30_001, "SELECT count(*) FROM customers WHERE name = 'Smith, John'", 1),
         'a quoted "Smith, John" at row 30,001 (made at test time)'),
    Case("order_lines.csv", "transactions",
         _u("invoice,customer_id,date,quantity,unit_price\n536365,C1,2026-09-01,6,2.55\nC536379,C1,2026-09-02,-1,2.55\n"),
         ("loaded", 2, "SELECT sum(amount) FROM transactions WHERE tx_date >= '2026-09-01'", 12.75),
         "order lines: quantity x unit price, a C-prefixed cancellation a return"),
    Case("identical_rows.csv", "transactions", _u(TX + "C1,2026-09-01,5\nC1,2026-09-01,5\n"),
         ("loaded", 2, None, None), "two identical rows without a transaction id: two purchases"),
    Case("guest_rows.csv", "transactions", _u(TX + "C1,2026-09-01,5\n,2026-09-01,6\n"), ("loaded", 1, None, None),
         "a guest checkout (no customer): set aside, the rest loads"),
    Case("new_customers.csv", "transactions", _u(TX + "N1,2026-09-01,5\n"),
         ("loaded", 1, "SELECT count(*) FROM customers WHERE customer_id = 'N1'", 1),
         "a customer not on file: created"),
    Case("blank_lines.csv", "transactions", _u(TX + "C1,2026-09-01,5\n\n\nC2,2026-09-01,6\n\n"),
         ("loaded", 2, None, None), "blank lines between and after rows"),
    Case("odd_headers.csv", "transactions", _u(" Customer ID , Order Date ,AMOUNT\nC1,2026-09-01,5\n"),
         ("loaded", 1, None, None), "headers with spaces and capitals"),
    Case("korean_headers.csv", "transactions", _u("고객번호,거래일자,금액\nC1,2026-09-01,5\n"),
         ("loaded", 1, None, None), "Korean headers"),
    Case("float_ids.csv", "transactions", _u(TX + "17850.0,2026-09-01,5\n"),
         ("loaded", 1, "SELECT count(*) FROM customers WHERE customer_id = '17850'", 1),
         "an id a spreadsheet wrote as 17850.0"),
    Case("star*name.csv", "transactions", _u(TX + "C1,2026-09-01,5\n"), ("loaded", 1, None, None),
         "a * in the file name (never read as a pattern)"),
    Case("quoted_newline.csv", "customers", _u('customer_id,name,address\nC1,Kim,"1 Main St\nSeoul"\n'),
         ("loaded", 1, "SELECT address FROM customers WHERE customer_id = 'C1'", "1 Main St\nSeoul"),
         "a line break inside a quoted address"),
    Case("service_ok.csv", "service_interactions",
         _u("customer_id,opened_at,resolved_at,satisfaction\nC1,2026-09-01 10:00,2026-09-01 11:30,4\n"),
         ("loaded", 1, None, None), "a service contact answered in 90 minutes"),
]


def content_of(case: Case) -> bytes:
    """The file's bytes: the kept file, or made now (the large ones)."""
    return case.content() if made_at_test_time(case) else (BAD_DIR / case.name).read_bytes()


def made_at_test_time(case: Case) -> bool:
    return callable(case.content) and "made at test time" in case.note


def write_small_files() -> None:
    """Write every kept file to ``tests/data/bad/`` (deterministic bytes)."""
    BAD_DIR.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        if not made_at_test_time(case):
            data = case.content() if callable(case.content) else case.content
            (BAD_DIR / case.name).write_bytes(data)


def _outcome(case: Case) -> str:
    what = case.expect[0]
    if what == "refused":
        return f"refused: `{case.expect[1]}`"
    if what == "rows":
        return f"rows set aside: `{case.expect[1]}`"
    rows, _sql, value = case.expect[1:]
    shown = "" if value is None else f"; reads back {value!r}".replace("|", "\\|")
    return f"loaded, {rows:,} rows{shown}"


def readme_table() -> str:
    """The README's table of the corpus (``python -m tests.bad_corpus --table`` prints it)."""
    lines = ["| file | kind | what it is | what it gets |", "|---|---|---|---|"]
    for case in CASES:
        note = case.note.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{case.name}` | {case.kind} | {note} | {_outcome(case).replace(chr(10), ' ')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    if "--table" in sys.argv:
        print(readme_table())
    else:
        write_small_files()
