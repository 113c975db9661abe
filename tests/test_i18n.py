"""Translations: complete in every language, every key used, formats right for each locale."""

from __future__ import annotations

import ast
import re
import string
from datetime import date
from pathlib import Path

import pytest

from crm_core import errors
from crm_core.i18n import LANGUAGES, Translator, catalogue

REPO = Path(__file__).resolve().parent.parent
SOURCES = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py")), *sorted((REPO / "crm_app").glob("*.py")),
           *sorted((REPO / "crm_core").rglob("*.py"))]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _literals_and_patterns() -> tuple[set[str], list[re.Pattern[str]]]:
    """Every string literal in the code, and every f-string as a regex (holes match a key part)."""
    literals: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    for path in SOURCES:
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, (str, int)):
                literals.add(str(node.value))
            elif isinstance(node, ast.JoinedStr):
                parts = [re.escape(v.value) if isinstance(v, ast.Constant) else "(?P<h%d>[A-Za-z0-9_]+)" % i
                         for i, v in enumerate(node.values)]
                patterns.append(re.compile("".join(parts) + "$"))
    return literals, patterns


def test_every_language_has_exactly_the_same_keys_and_placeholders() -> None:
    en = catalogue("en")
    for lang in LANGUAGES:
        cat = catalogue(lang)
        assert set(cat) == set(en), (lang, sorted(set(cat) ^ set(en)))
        for key, text in en.items():
            assert _fields(cat[key]) == _fields(text), (lang, key)
            assert cat[key].strip(), (lang, key)


def test_every_key_is_used_and_every_literal_key_exists() -> None:
    literals, patterns = _literals_and_patterns()
    en = catalogue("en")
    unused = []
    for key in en:
        if key in literals:
            continue
        if any((m := p.match(key)) and all(h in literals for h in m.groupdict().values()) for p in patterns):
            continue
        unused.append(key)
    assert unused == [], f"keys in no code path: {unused}"
    # Every literal passed to .t(...) exists.
    missing = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "t"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                if node.args[0].value not in en:
                    missing.append(f"{path.name}: {node.args[0].value}")
    assert missing == []


def test_every_error_class_has_a_message() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        for lang in LANGUAGES:
            assert cls.message_key in catalogue(lang), (name, lang)


def test_pages_never_pass_hard_coded_text_to_streamlit() -> None:
    """``st.title("Overview")`` would bypass the translation layer: forbid literal text in st.* calls."""
    offenders = []
    for path in [REPO / "app.py", *(REPO / "pages").glob("*.py"), *(REPO / "crm_app").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
                if owner_name in ("st", "col", "left", "right", "c1", "c2", "c3", "c4", "bar", "notice"):
                    for arg in node.args[:1]:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and re.search(r"[A-Za-z가-힣一-龥]{3}", arg.value) \
                                and not arg.value.startswith(("pages/", "python -m", ":material/")):
                            offenders.append(f"{path.name}:{node.lineno} {arg.value!r}")
    assert offenders == []


@pytest.mark.parametrize(("lang", "value", "currency", "expected"), [
    ("ko", 1234567, "KRW", "₩1,234,567"),
    ("zh_Hans", 1234.5, "CNY", "¥1,234.50"),
    ("zh_Hant", 1234, "TWD", "NT$1,234"),
    ("en", 1234.5, "USD", "$1,234.50"),
    ("ko", 1234.5, "USD", "US$1,234.50"),
    ("en", -12.5, "USD", "-$12.50"),
])
def test_money_is_formatted_for_the_locale(lang: str, value: float, currency: str, expected: str) -> None:
    assert Translator(lang).money(value, currency) == expected


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["$12.3K", "$873K", "$1.40M", "$988M", "-$2.35M", "$790K"]),
    ("ko", ["US$1.23만", "US$87.3만", "US$140만", "US$9.88억", "-US$235만", "US$79.0만"]),
    ("zh_Hans", ["US$1.23万", "US$87.3万", "US$140万", "US$9.88亿", "-US$235万", "US$79.0万"]),
    ("zh_Hant", ["US$1.23萬", "US$87.3萬", "US$140萬", "US$9.88億", "-US$235萬", "US$79.0萬"]),
])
def test_compact_money_keeps_three_significant_digits(lang: str, expected: list[str]) -> None:
    """Exactly three significant digits, zeros kept ($1.40M beside $2.35M, never $1.4M),
    short enough for a KPI card in every language (two fixed decimals gave "US$140.44만")."""
    tr = Translator(lang)
    values = (12_345, 873_490, 1_404_400, 987_654_321, -2_345_678, 790_100)
    assert [tr.money(v, "USD", compact=True) for v in values] == expected


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["$2.00M", "$4.64M", "$3.28K", "$734K", "$73.5", "$7.35"]),
    ("ko", ["US$200만", "US$464만", "US$3,282", "US$73.4만", "US$73.5", "US$7.35"]),
    ("zh_Hant", ["US$200萬", "US$464萬", "US$3,282", "US$73.4萬", "US$73.5", "US$7.35"]),
])
def test_one_compact_rule_at_every_size(lang: str, expected: list[str]) -> None:
    """Cards side by side read alike: $2.00M next to $4.64M (not $2M), $3.28K next to $734K
    (not $3,281.68); below 만/万 Korean and Chinese show the whole amount."""
    tr = Translator(lang)
    assert [tr.money(v, "USD", compact=True) for v in (2_000_000, 4_640_000, 3281.68, 734_000, 73.456, 7.3456)] \
        == expected


def test_numbers_dates_and_missing_values() -> None:
    assert Translator("en").date(date(2026, 3, 5)) == "Mar 5, 2026"
    assert Translator("zh_Hans").date(date(2026, 3, 5)) == "2026年3月5日"
    assert Translator("ko").date(date(2026, 3, 5)).startswith("2026. 3. 5")
    assert Translator("ko").compact(1_234_567) == "123.5만"
    assert Translator("en").percent(0.1234) == "12.3%"
    # A tiny negative that rounds to zero reads as zero (returns-only tiers), a real negative keeps its sign.
    assert Translator("en").percent(-0.00001) == "0.0%" and Translator("en").percent(-0.5) == "-50.0%"
    assert Translator("en").number(-0.3) == "0" and Translator("en").number(-0.6) == "-1"
    assert Translator("en").money(-0.001, "USD") == "$0.00" and Translator("en").money(-0.01, "USD") == "-$0.01"
    assert Translator("en").money(-0.0, "USD") == "$0.00" and Translator("en").number(-0.0) == "0"
    assert Translator("en").points(-0.031) == "-3.1 pts" and Translator("ko").points(0.018) == "+1.8%p"
    for tr in map(Translator, LANGUAGES):
        assert tr.money(None, "USD") == tr.percent(float("nan")) == tr.number(None) == "–"


def test_unknown_placeholder_or_key_never_crashes() -> None:
    tr = Translator("ko")
    assert tr.t("error.db_not_found") == catalogue("ko")["error.db_not_found"]
    assert "{path}" in tr.t("error.db_not_found", other="x")
    assert tr.t("no.such.key") == "no.such.key"
    with pytest.raises(KeyError):
        Translator("ko", strict=True).t("no.such.key")


def test_no_text_starts_like_a_markdown_list() -> None:
    """Korean dates read "2026. 9. 30.": a caption starting with one would render as a
    numbered list item. No message may start with a number followed by ". " or ") "."""
    import string as _string

    for lang in LANGUAGES:
        tr = Translator(lang)
        sample = tr.date(date(2026, 9, 30))
        for key, text in catalogue(lang).items():
            names = {n for _, n, _, _ in _string.Formatter().parse(text) if n}
            filled = text.format(**{n: sample if n in ("as_of", "start", "end", "date", "through") else 7 for n in names})
            assert not re.match(r"^\d+[.)]\s", filled), (lang, key, filled[:40])


def _flanking(text: str, i: int, n: int) -> tuple[bool, bool]:
    """CommonMark's rule for a delimiter run text[i:i+n]: (left-flanking, right-flanking)."""
    import unicodedata

    def space(c: str) -> bool:
        return c == "" or c.isspace()

    def punct(c: str) -> bool:
        return c != "" and unicodedata.category(c)[0] in "PS"

    before = text[i - 1] if i > 0 else ""
    after = text[i + n] if i + n < len(text) else ""
    left = not space(after) and (not punct(after) or space(before) or punct(before))
    right = not space(before) and (not punct(before) or space(after) or punct(after))
    return left, right


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_bold_markup_renders_in_every_language(lang: str) -> None:
    """Every ``**`` pair in a catalogue string opens and closes as CommonMark reads it once the
    placeholders hold real values (a closing ``**`` between "%" and a Korean particle, as in
    ``**18.6%**가``, stays literal on screen)."""
    import re

    broken = []
    for key, value in catalogue(lang).items():
        if "**" not in value:
            continue
        text = re.sub(r"\{[a-z_0-9]+\}", "18.6%", value)
        runs = [m.start() for m in re.finditer(r"\*\*", text)]
        for k, pos in enumerate(runs):
            left, right = _flanking(text, pos, 2)
            if (k % 2 == 0 and not left) or (k % 2 == 1 and not right):
                broken.append(f"{key}: {value}")
                break
    assert broken == []


def test_the_apps_own_values_are_translated_customers_values_are_not() -> None:
    """The demo's regions, channels, customer types and the "(none)" placeholder appear in the
    user's language; a value a customer file brought stays exactly as stored."""
    from crm_core.demo import people
    from crm_core.i18n import DIMENSION_VALUES

    for lang in ("ko", "zh_Hans", "zh_Hant"):
        tr = Translator(lang)
        for region in people.REGIONS:
            assert tr.value("region", region) != region, (lang, region)
        for ctype in people.CUSTOMER_TYPES:
            assert tr.value("customer_types", ctype) != ctype
        for channel in people.CHANNELS:
            assert tr.value("channel", channel) != channel
        assert tr.value("tier", "(none)") != "(none)"
        assert tr.value("region", "Gyeonggi-do") == "Gyeonggi-do"       # a customer's own value
    assert Translator("ko").value("region", "Korea") == "한국"
    assert set(DIMENSION_VALUES["region"]) == {v.lower().replace(" ", "_") for v in people.REGIONS}


_AMOUNTS = [0.0, -0.0, 0.005, -0.005, -0.004, 2.675, -2.675, 0.125, 999.995, -999.995, 0.5, 1.5, 2.5, -0.5,
            1e12, -1e-9, 1234567.891, float("nan"), float("inf"), None]


@pytest.mark.parametrize("lang", list(LANGUAGES))
@pytest.mark.parametrize("currency", ["USD", "KRW", "CNY", "TWD", "EUR", "JPY", "BHD", "XXX"])
def test_money_many_is_money_of_each(lang: str, currency: str) -> None:
    """The bulk formatter (chart hover labels) gives exactly :meth:`money`'s strings: rounding
    halves, negative zero, no-decimal currencies, three-decimal ones, missing values."""
    import numpy as np
    from hypothesis import given, settings
    from hypothesis import strategies as hs

    tr = Translator(lang)
    one = lambda v: "–" if v is None else tr.money(v, currency)  # noqa: E731
    assert tr.money_many(_AMOUNTS, currency) == [one(v) for v in _AMOUNTS]
    assert tr.money_many(np.array([1.005, -7.125]), currency) == [one(1.005), one(-7.125)]

    @settings(max_examples=150, deadline=None)
    @given(hs.lists(hs.floats(min_value=-1e13, max_value=1e13) | hs.decimals(places=3, min_value=-10**6,
                                                                              max_value=10**6).map(float)))
    def same(values: list[float]) -> None:
        assert tr.money_many(values, currency) == [one(v) for v in values]
    same()
