"""A mapping for a transactions file without a header row, proposed from its values.

Only for files whose columns the reader had to name ``column1..`` itself. The proposal is
shown like any other (the Upload page's mapping table, the CLI's ``mapping``) and an
explicit mapping always wins. Rules, on up to 1,000 rows:

- date: the first column whose values are all dates (``YYYYMMDD`` between 1970 and 2100,
  or ISO ``YYYY-MM-DD``);
- amount: the last column of decimal numbers (a ``.`` with one or two decimals);
- quantity: a column of whole numbers without leading zeros, at most 10,000;
- customer_id: the first remaining column (ids, often with leading zeros).

Anything else stays unmapped (kept aside). Other kinds get no guess: their columns are too
alike to tell apart by value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["generated_headers", "guess_transactions"]

_DATE = re.compile(r"(19[7-9][0-9]|20[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])"
                   r"|(19[7-9][0-9]|20[0-9]{2})-[0-9]{1,2}-[0-9]{1,2}([ T][0-9:]+)?")
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]{1,2}")
_MONEY_OR_INT = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")
_COUNT = re.compile(r"-?[1-9][0-9]*|0")


def generated_headers(headers: Sequence[str]) -> bool:
    """Whether the reader named the columns itself (the file has no header row)."""
    return bool(headers) and all(h == f"column{i}" for i, h in enumerate(headers, start=1))


def guess_transactions(headers: Sequence[str], rows: Sequence[Sequence[str | None]]) -> dict[str, str | None]:
    """Source header -> canonical column (None: kept aside), from the values of ``rows``."""
    n = len(headers)
    cols = [[str(r[i]).strip() for r in rows if i < len(r) and r[i] is not None and str(r[i]).strip()]
            for i in range(n)]
    out: dict[str, str | None] = {h: None for h in headers}
    used: set[int] = set()

    def every(i: int, pattern: re.Pattern[str]) -> bool:
        return bool(cols[i]) and all(pattern.fullmatch(v) for v in cols[i])

    date = next((i for i in range(n) if every(i, _DATE)), None)
    if date is not None:
        out[headers[date]] = "date"
        used.add(date)
    amounts = [i for i in range(n) if i not in used and every(i, _MONEY_OR_INT)
               and any(_DECIMAL.fullmatch(v) for v in cols[i])]
    if amounts:
        out[headers[amounts[-1]]] = "amount"
        used.add(amounts[-1])
    quantity = next((i for i in range(n) if i not in used and every(i, _COUNT)
                     and max(abs(int(v)) for v in cols[i]) <= 10_000), None)
    if quantity is not None:
        out[headers[quantity]] = "quantity"
        used.add(quantity)
    customer = next((i for i in range(n) if i not in used and cols[i]), None)
    if customer is not None:
        out[headers[customer]] = "customer_id"
    return out
