"""Customer-list exports: contact fields joined, CJK intact, no cell can run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pandas as pd
import pytest

from crm_core.access import export

EVIL = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://x\")"]


def test_every_dangerous_prefix_is_neutralised_and_numbers_stay_numbers() -> None:
    df = pd.DataFrame({"name": EVIL + ["김민준", "normal"], "revenue": [-5.0] * 7 + [1.5, 2.0]})
    out = export.neutralise(df)
    assert out["name"].tolist()[:7] == ["'" + v for v in EVIL]
    assert out["name"].tolist()[7:] == ["김민준", "normal"]
    assert out["revenue"].tolist() == df["revenue"].tolist()  # negative numbers are not text


def test_csv_has_a_bom_and_round_trips(store_factory) -> None:
    store = store_factory(customers=[
        {"customer_id": "C1", "name": "=HYPERLINK(\"evil\")", "email": "a@example.com", "phone": "+82-10-1234-5678",
         "city": "서울", "country": "KR"},
        {"customer_id": "C2", "name": "王芳", "email": "b@example.com", "phone": None, "city": "臺北", "country": "TW"},
        {"customer_id": "C3", "name": "not exported"}])
    listing = pd.DataFrame({"customer_id": ["C2", "C1"], "segment": pd.Categorical(["loyal", "lost"]),
                            "revenue": [10.5, -3.0], "last_purchase": pd.to_datetime(["2024-01-02", "2023-05-06"])})
    full = export.with_contacts(store, listing)
    assert full["customer_id"].tolist() == ["C2", "C1"] and full["name"].tolist() == ["王芳", "=HYPERLINK(\"evil\")"]
    body = export.to_csv_bytes(full)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1]["name"] == "'=HYPERLINK(\"evil\")" and rows[1]["phone"] == "'+82-10-1234-5678"
    assert rows[0]["city"] == "臺北" and rows[0]["last_purchase"] == "2024-01-02" and rows[1]["revenue"] == "-3.0"
    without = export.with_contacts(store, listing, include_contacts=False)
    assert not set(export.CONTACT_COLUMNS) & set(without.columns)


def test_excel_cells_are_text_not_formulas(tmp_path) -> None:
    df = pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["=1+1", "이서연"], "revenue": [1.0, 2.0],
                       "first_purchase": pd.to_datetime(["2024-01-01", "2024-02-01"])})
    path = tmp_path / "x.xlsx"
    path.write_bytes(export.to_xlsx_bytes(df))
    ws = openpyxl.load_workbook(path).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0] == ["customer_id", "name", "revenue", "first_purchase"]
    assert values[1][1] == "'=1+1" and ws.cell(2, 2).data_type == "s"
    assert values[2][1] == "이서연" and values[2][2] == 2.0
    assert values[1][3].date() == date(2024, 1, 1)


@pytest.mark.parametrize("evil", ["'; DROP TABLE customers; --", "C1' OR '1'='1"])
def test_ids_reach_sql_as_values(store_factory, evil: str) -> None:
    store = store_factory(customers=[{"customer_id": "C1", "name": "x"}])
    out = export.with_contacts(store, pd.DataFrame({"customer_id": [evil]}))
    assert out["name"].isna().all()
    assert store.scalar("SELECT count(*) FROM customers") == 1


def test_a_line_break_inside_a_cell_cannot_start_a_formula_row() -> None:
    """``Bob\\r=1+2``: a spreadsheet splitting the cell at the carriage return would start a
    row with ``=1+2``; the cell is quoted and the formula character neutralised; a formula
    in a column name (the rejected-rows CSV keeps the file's own headers) is too."""
    import csv
    import io

    from crm_core.access.export import to_csv_bytes
    df = pd.DataFrame({"name": ["Bob\r=1+2", "Ann\n@SUM(A1)", "Kim"], "=HYPERLINK(\"x\")": ["a", "b", "c"],
                       "n": [1, 2, 3]})
    text = to_csv_bytes(df).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["name", "'=HYPERLINK(\"x\")", "n"]
    assert rows[1][0] == "Bob\r'=1+2" and rows[2][0] == "Ann\n'@SUM(A1)" and len(rows) == 4
    for line in text.replace("\r", "\n").split("\n"):     # whatever splits the lines, none starts a formula
        assert not line.startswith(("=", "+", "-", "@"))


def test_grids_offer_no_download_of_their_own() -> None:
    """Streamlit's table toolbar download (no formula escaping, no audit) is off: every
    download goes through the app's export."""
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["client"]["disableDataExport"] is True
