"""Translation and locale formatting: four languages, one catalogue file each.

``Translator(lang).t(key, **params)`` looks a key up in ``locales/<lang>.json`` and
fills ``{name}`` placeholders. A missing key raises in tests (``strict``) and falls
back to English, then to the key, in production, so a gap never crashes a page.
Numbers, dates, percentages and money go through Babel with the language's locale.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date as _babel_date
from babel.dates import format_skeleton
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "DIMENSION_VALUES", "Translator", "catalogue", "translator"]

#: Language code -> (Babel locale, native name).
LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("en_US", "English"),
    "ko": ("ko_KR", "한국어"),
    "zh_Hans": ("zh_Hans_CN", "简体中文"),
    "zh_Hant": ("zh_Hant_TW", "繁體中文"),
}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).with_name("locales")

# Symbols that read unambiguously in every locale (Babel's zh_Hant_TW writes TWD as "$").
_SYMBOLS = {"TWD": "NT$", "KRW": "₩"}
# Currencies shown without minor units (CLDR cash digits).
_NO_DECIMALS = {"TWD", "KRW", "JPY"}
MISSING = "–"


class _Params(dict):
    """Leaves an unknown ``{placeholder}`` visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """The catalogue for ``lang`` (key -> text)."""
    if lang not in LANGUAGES:
        raise KeyError(lang)
    return json.loads((LOCALE_DIR / f"{lang}.json").read_text("utf-8"))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _no_negative_zero(value: float, digits: int) -> float:
    """A negative value (or -0.0) that rounds to zero at ``digits`` is shown as 0, not "-0.0"."""
    return 0.0 if value <= 0 and round(-value, digits) == 0 else value


@dataclass(frozen=True)
class Translator:
    """Texts and formats for one language. Cheap; cache with :func:`translator`."""

    lang: str = DEFAULT_LANGUAGE
    strict: bool = False

    @property
    def locale(self) -> str:
        return LANGUAGES[self.lang][0]

    def t(self, key: str, **params: Any) -> str:
        text = catalogue(self.lang).get(key)
        if text is None:
            if self.strict:
                raise KeyError(f"missing translation {key!r} for {self.lang}")
            text = catalogue(DEFAULT_LANGUAGE).get(key, key)
        return text.format_map(_Params(params)) if params else text

    __call__ = t

    def value(self, dimension: str, raw: Any) -> str:
        """A dimension value for display: the app's own values (the demo's regions, channels,
        customer types, industries, the ``(none)`` tier) in the user's language; a
        customer's own value (anything else) exactly as stored."""
        text = "" if raw is None else str(raw)
        code = _value_code(text)
        if code == "none":            # the "(none)" placeholder the app puts in for a missing value
            return self.t("value.tier.none")
        if code in DIMENSION_VALUES.get(DIMENSION_ALIASES.get(dimension, dimension), ()):
            return self.t(f"value.{DIMENSION_ALIASES.get(dimension, dimension)}.{code}")
        return text

    # -- formatting -----------------------------------------------------------------
    def number(self, value: float | int | None, digits: int = 0) -> str:
        if _missing(value):
            return MISSING
        fmt = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(_no_negative_zero(value, digits), format=fmt, locale=self.locale)

    def compact(self, value: float | int | None) -> str:
        if _missing(value):
            return MISSING
        if abs(value) < 10_000:
            return self.number(value)
        return format_compact_decimal(value, locale=self.locale, fraction_digits=1)

    def percent(self, value: float | None, digits: int = 1) -> str:
        if _missing(value):
            return MISSING
        return format_decimal(_no_negative_zero(value * 100, digits), format="#,##0." + "0" * digits,
                              locale=self.locale) + "%"

    # Signs are ASCII so that Streamlit's metric cards read the direction of a delta.
    def points(self, value: float | None, digits: int = 1) -> str:
        """A difference of two rates, in percentage points with a sign."""
        if _missing(value):
            return MISSING
        sign = "+" if value > 0 else ("-" if value < 0 else "±")
        return sign + self.t("unit.points", value=format_decimal(abs(value) * 100, format="#,##0." + "0" * digits,
                                                                     locale=self.locale))

    def signed_percent(self, value: float | None) -> str:
        if _missing(value):
            return MISSING
        sign = "+" if value > 0 else ("-" if value < 0 else "±")
        return sign + self.percent(abs(value))

    def money(self, value: float | None, currency: str, compact: bool = False) -> str:
        if _missing(value):
            return MISSING
        # Korean and Chinese count in 10,000s (만/万): below that a whole amount reads best.
        unit = 10_000 if str(self.locale).split("_")[0] in ("ko", "zh") else 1_000
        if compact and unit > abs(value) >= 1_000:
            text = format_currency(round(value), currency, locale=self.locale, format="¤#,##0", currency_digits=False)
        elif compact and abs(value) >= unit:
            # Exactly three significant digits in every language and at every size, so figures
            # side by side read alike ($2.00M next to $4.64M, $3.28K next to $734K; US$140만):
            # a fixed two decimals gave "US$140.44만", too long for a KPI card.
            fine = format_compact_currency(value, currency, locale=self.locale, fraction_digits=2)
            point = get_decimal_symbol(self.locale)
            whole = "".join(ch for ch in fine if ch.isdigit() or ch == point).split(point)[0]
            digits = max(0, 3 - len(whole))   # decimals after 1-3 whole digits
            text = _pad_decimals(format_compact_currency(value, currency, locale=self.locale,
                                                         fraction_digits=digits), point, digits)
        elif compact and currency not in _NO_DECIMALS and get_currency_precision(currency) > 0:
            digits = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0   # $7.35, $73.5, $735
            text = format_currency(round(value, digits), currency, locale=self.locale,
                                   format="¤#,##0" + ("." + "0" * digits if digits else ""), currency_digits=False)
        elif currency in _NO_DECIMALS or get_currency_precision(currency) == 0:
            text = format_currency(round(value), currency, locale=self.locale, format="¤#,##0",
                                   currency_digits=False)
        else:
            text = format_currency(_no_negative_zero(value, get_currency_precision(currency)), currency,
                                   locale=self.locale)
        preferred = _SYMBOLS.get(currency)
        if preferred:
            symbol = get_currency_symbol(currency, self.locale)
            if symbol != preferred:
                text = text.replace(symbol, preferred, 1)
        return text

    def money_many(self, values: Any, currency: str) -> list[str]:
        """:meth:`money` of each value (not compact), the same strings in a fraction of the time:
        the locale's pattern is read once from Babel and filled in for each amount (thousands of
        hover labels on a chart). Falls back to :meth:`money` where the pattern is not plain
        three-digit grouping."""
        values = [float(v) if v is not None else None for v in values]
        fast = _money_template(self, currency)
        if fast is None:
            return [self.money(v, currency) for v in values]
        digits, pos, neg, table = fast
        quantum = Decimal(1).scaleb(-digits)
        out = []
        for v in values:
            if v is None or not math.isfinite(v):
                out.append(MISSING)
                continue
            if digits:
                body = format(abs(Decimal(repr(v))).quantize(quantum, ROUND_HALF_EVEN), ",f")
            else:
                body = f"{abs(round(v)):,}"
            negative = v < 0 and (round(-v, digits) != 0 if digits else round(v) != 0)
            out.append((neg if negative else pos).format(body.translate(table)))
        return out

    def date(self, value: date | None, style: str = "medium") -> str:
        if value is None:
            return MISSING
        return _babel_date(value, style, locale=self.locale)

    def month(self, value: date) -> str:
        return format_skeleton("yMMM", value, locale=self.locale)


#: Dimension values the app itself defines (the demo generator's, the tier placeholder),
#: translated by :meth:`Translator.value`; customers' own values are shown as stored.
DIMENSION_VALUES: dict[str, tuple[str, ...]] = {
    "region": ("korea", "mainland_china", "taiwan", "japan", "hong_kong", "singapore", "united_states"),
    "channel": ("online", "store", "mobile_app", "partner", "referral", "direct_sales"),
    "customer_type": ("consumer", "small_business", "enterprise", "public_sector", "education"),
    "industry": ("retail", "manufacturing", "finance", "healthcare", "information_technology", "logistics",
                 "hospitality"),
    "tier": ("none",),
    "case_type": ("complaint", "inquiry", "return", "technical_support"),
    "contact_channel": ("phone", "email", "chat", "store"),
}
#: The same dimension under the names pages and tables use for it.
DIMENSION_ALIASES: dict[str, str] = {"regions": "region", "channels": "channel", "customer_types": "customer_type",
                                     "acquisition_channel": "channel"}


def _value_code(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


@lru_cache(maxsize=64)
def _money_template(tr: Translator, currency: str) -> tuple[int, str, str, dict[int, str]] | None:
    """(digits, positive and negative templates, symbol table) for :meth:`Translator.money_many`,
    or None when a probe amount formatted that way differs from :meth:`Translator.money`."""
    digits = 0 if currency in _NO_DECIMALS or get_currency_precision(currency) == 0 else \
        get_currency_precision(currency)
    table = str.maketrans({",": get_group_symbol(tr.locale), ".": get_decimal_symbol(tr.locale)})
    probe = 1234567.25 if digits else 1234567.0
    body = f"{probe:,.{digits}f}".translate(table)
    templates = []
    for value in (probe, -probe):
        text = tr.money(value, currency)
        if text.count(body) != 1 or "{" in text or "}" in text:
            return None
        templates.append(text.replace(body, "{}"))
    return digits, templates[0], templates[1], table


def _pad_decimals(text: str, point: str, digits: int) -> str:
    """``$2M`` -> ``$2.00M``: the compact formatter drops trailing zeros; three significant
    digits keep them, so every compact figure has the same precision."""
    if digits <= 0:
        return text
    m = re.search(r"\d[\d" + re.escape(point) + r"]*", text)
    if m is None:
        return text
    number = m.group(0)
    whole, _, frac = number.partition(point)
    frac = (frac + "0" * digits)[:digits]
    return text[:m.start()] + whole + point + frac + text[m.end():]


@lru_cache(maxsize=None)
def translator(lang: str) -> Translator:
    return Translator(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
