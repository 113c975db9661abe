"""Regenerate the upload test files: python tests/data/ingest/make_files.py (deterministic)."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
KO = "고객번호,거래일자,금액,상품분류\nC0000001,2026년 9월 1일,\"￦12,000\",가전\nC0000002,2026.09.02,(1500),식품\nC0000003,20260903,３４５６,의류\n"
ZH_HANS = "客户编号,交易日期,金额,品类\nC0000001,2026年9月1日,\"¥1,200.50\",家电\nC0000002,2026/9/2,300,食品\n"
ZH_HANT = "客戶編號,訂單日期,金額,類別\nC0000001,2026年9月1日,\"NT$1,200\",家電\nC0000002,2026/9/2,300,食品\n"


def main() -> None:
    (HERE / "tx_ko_cp949.csv").write_bytes(KO.encode("cp949"))
    (HERE / "tx_ko_utf8_bom.csv").write_bytes(KO.encode("utf-8-sig"))
    (HERE / "tx_ko_utf16.csv").write_bytes(KO.encode("utf-16"))
    (HERE / "tx_zh_gb18030.csv").write_bytes(ZH_HANS.encode("gb18030"))
    (HERE / "tx_zh_big5.csv").write_bytes(ZH_HANT.encode("big5"))
    (HERE / "tx_semicolon.txt").write_text(KO.replace(",", ";").replace("\"￦12;000\"", "12000"), encoding="utf-8")
    (HERE / "tx_tab.tsv").write_text(KO.replace(",", "\t").replace("\"￦12\t000\"", "12000"), encoding="utf-8")
    with gzip.open(HERE / "tx_ko.csv.gz", "wb") as f:
        f.write(KO.encode("utf-8"))
    with zipfile.ZipFile(HERE / "tx_ko.zip", "w") as z:
        z.writestr("export/tx.csv", KO.encode("cp949"))
    frame = pd.DataFrame({"customer_id": ["C0000001", "C0000002"], "date": pd.to_datetime(["2026-09-01", "2026-09-02"]),
                          "amount": [10.5, 20.0]})
    frame.to_parquet(HERE / "tx.parquet", index=False)
    with pd.ExcelWriter(HERE / "tx.xlsx") as w:
        pd.DataFrame({"note": ["first sheet is not data"]}).to_excel(w, sheet_name="readme", index=False)
        frame.assign(serial=[46266, 46267]).to_excel(w, sheet_name="data", index=False)
    (HERE / "mixed_dates.csv").write_text("customer_id,date,amount\nC0000001,2026-09-01,1\nC0000002,13/09/2026,2\n"
                                          "C0000003,09/14/2026,3\n", encoding="utf-8")
    (HERE / "ambiguous_dates.csv").write_text("customer_id,date,amount\nC0000001,03/05/2026,1\nC0000002,04/06/2026,2\n",
                                              encoding="utf-8")
    (HERE / "header_only.csv").write_text("customer_id,date,amount\n", encoding="utf-8")
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "junk.csv").write_bytes(bytes(range(256)) * 8)
    (HERE / "customers.csv").write_text("customer_id,name,email,phone,region\nC1,=HYPERLINK(\"http://x\"),a@b.c,+82-10-1,"
                                        "Korea\nC2,<script>alert(1)</script>,,@foo,Japan\n", encoding="utf-8")
    (HERE / "missing_amount.csv").write_text("customer_id,date\nC0000001,2026-09-01\n", encoding="utf-8")
    (HERE / "churn_reasons.csv").write_text("고객번호,해지일,해지사유\nC0000001,2026-08-01,가격\nC0000002,2026-08-02,服务\n"
                                            "C0000003,2026-08-03,價格\nC0000004,2026-08-04,무엇\n", encoding="utf-8")


if __name__ == "__main__":
    main()
