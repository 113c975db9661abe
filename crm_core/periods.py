"""Period boundaries: "the last 12 months" is a calendar span, not 365 days.

A period of ``period_days`` ending on ``as_of`` is the days after :func:`period_start` up
to and including ``as_of``. The usual choices are calendar spans: 365 = 12 months, 182 or
183 = 6 months, 90 to 92 = 3 months, 30 or 31 = 1 month, so a leap day never falls out and
"the last 12 months" to 2024-12-31 is the whole of 2024 (366 days). Any other length is
that many days. Months are counted back from ``as_of``; an ``as_of`` on the last day of a
month starts from the last day of the earlier month (to 30 April, one month is from 1
April, not from 31 March), and a day the earlier month lacks is clamped to its end.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

__all__ = ["CALENDAR_MONTHS", "months_back", "period_params", "period_start"]

CALENDAR_MONTHS: dict[int, int] = {365: 12, 366: 12, 182: 6, 183: 6, 90: 3, 91: 3, 92: 3, 30: 1, 31: 1}


def months_back(day: date, months: int) -> date:
    """``day`` moved back ``months`` calendar months (month ends stay month ends)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return date(year, month, last)
    return date(year, month, min(day.day, last))


def period_start(as_of: date, period_days: int, periods: int = 1) -> date:
    """The last day *before* the period (or before ``periods`` consecutive periods)."""
    months = CALENDAR_MONTHS.get(int(period_days))
    if months is not None:
        return months_back(as_of, months * periods)
    return as_of - timedelta(days=int(period_days) * periods)


def period_params(as_of: date, period_days: int) -> dict[str, date]:
    """SQL parameters: ``period_start`` and the starts of the two periods before it
    (``period_start_2``, ``period_start_3``), each the last day before its period."""
    return {"period_start": period_start(as_of, period_days),
            "period_start_2": period_start(as_of, period_days, 2),
            "period_start_3": period_start(as_of, period_days, 3)}
