"""The "find the target customers" report: segments, pyramid and 80/20 in one result.

This is what ``python -m crm_core segments --json`` prints; the Segments and Pyramid
pages show the same numbers from the same functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from crm_core.customers.micro import micro_frame
from crm_core.customers.overview import default_as_of, pareto
from crm_core.customers.pyramid import DEFAULT_SHARES, pyramid_summary
from crm_core.customers.rfm import segment_summary
from crm_core.filters import Filters
from crm_core.store.connection import Store

__all__ = ["report"]


def _num(v: Any) -> Any:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return None if f != f else round(f, 6)


def report(store: Store, as_of: date | None = None, filters: Filters = Filters(), *, bins: int = 5,
           period_days: int = 365, metric: str = "revenue",
           shares: Sequence[float] = DEFAULT_SHARES) -> dict[str, Any]:
    """JSON-ready: as_of, customers, segments[], pyramid[], pareto{} (stable keys).

    Segment revenue is lifetime net revenue up to ``as_of``; tier revenue is revenue in
    the ``period_days`` window (which decides who is active); Pareto is over that window.
    """
    as_of = as_of or default_as_of(store)
    frame = micro_frame(store, as_of, filters, period_days=period_days, bins=bins, metric=metric, shares=shares)
    df = frame.customers
    seg = segment_summary(df)
    pyr = pyramid_summary(df)
    par = pareto(store, as_of, filters, period_days, "revenue")  # type: ignore[arg-type]
    return {
        "as_of": as_of.isoformat(),
        "customers": int(len(df)),
        "period_days": period_days,
        "segments": [{"segment": r.segment, "customers": int(r.customers), "revenue": _num(r.revenue),
                      "customer_share": _num(r.customer_share), "revenue_share": _num(r.revenue_share),
                      "action": r.action} for r in seg.itertuples()],
        "pyramid": [{"tier": r.tier, "customers": int(r.customers), "revenue": _num(r.revenue),
                     "revenue_share": _num(r.revenue_share), "gross_profit": _num(r.gross_profit),
                     "profit_share": _num(r.profit_share)} for r in pyr.itertuples()],
        "pareto": {"top20_revenue_share": _num(par.top20_share),
                   "customer_share_for_80pct_revenue": _num(par.customer_share_for_80pct),
                   "active_customers": par.customers},
    }
