"""Session state, database resolution and the sidebar: what every page needs first.

Pages call :func:`page_context`, which works whether or not ``app.py`` ran in the same
script run (Streamlit's AppTest runs page scripts alone after the first run). Sidebar
widgets write to persistent, non-widget session keys, so a value survives a run in
which its widget is not drawn.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import streamlit as st
from streamlit.elements.widgets.multiselect import MultiSelectSerde
from streamlit.elements.widgets.selectbox import SelectboxSerde
from streamlit.runtime.state.session_state_proxy import get_session_state

from crm_core.customers.overview import PERIOD_CHOICES
from crm_core.demo import generate as demo
from crm_core.filters import Filters
from crm_core.i18n import LANGUAGES, Translator
from crm_core.store.connection import Store

from . import data
from .auth import principal
from .session import plain, resolve_db_path, tr

__all__ = ["plain", "PageContext", "page_context", "persist", "render_sidebar", "require_data", "resolve_db_path", "tr"]

_DEMO_LOCK = threading.Lock()


@dataclass(frozen=True)
class PageContext:
    tr: Translator
    store: Store
    version: int
    as_of: date | None
    first_date: date | None
    filters: Filters
    period_days: int
    currency: str
    rate: float

    def money(self, value: float | None, compact: bool = False) -> str:
        return self.tr.money(None if value is None else value * self.rate, self.currency, compact)


def _ensure_demo(path: Path) -> None:
    """Create the demo database on first start, with a progress bar (once per process)."""
    with _DEMO_LOCK:
        if path.exists():
            return
        t = tr()
        bar = st.progress(0.0, text=t.t("demo.creating"))
        demo.generate(path, progress=lambda f, key: bar.progress(min(f, 1.0), text=t.t(key)))
        bar.empty()


def _open_store() -> Store:
    path, is_default = resolve_db_path()
    if is_default and not path.exists():
        data.call(_ensure_demo, path)
    return data.call(Store, path)


def page_context() -> PageContext:
    """Everything a page needs, computed once per run and shared via session state."""
    t = tr()
    store = _open_store()
    version = data.call(data.data_version, store.path)
    info = data.call(data.db_info, store.path, version)
    ss = st.session_state
    first, last = info["first_date"], info["last_date"]
    if last is not None and (ss.get("as_of") is None or ss.get("_as_of_default") != last):
        ss.as_of, ss._as_of_default = last, last
    if ss.get("currency") not in info["fx"]:
        ss.currency = info["base_currency"]
    return PageContext(
        tr=t, store=store, version=version, as_of=ss.get("as_of") if last is not None else None, first_date=first,
        filters=principal().scope(Filters.of(ss.regions, ss.channels, ss.customer_types)),
        period_days=int(ss.period_days),
        currency=ss.currency, rate=info["fx"][ss.currency] / info["fx"][info["base_currency"]],
    )


def persist(key: str) -> None:
    """Copy widget ``w_<key>`` to the persistent session key ``<key>`` (an on_change callback)."""
    st.session_state[key] = st.session_state[f"w_{key}"]
    if key == "lang":
        st.query_params["lang"] = st.session_state.lang
        _relabel_widgets()


def _relabel_widgets() -> None:
    """After a language change, hand every select box's and multiselect's value back to it
    through the Session State API.

    Streamlit 1.67 keeps these widgets' values in the browser as the options' *labels*; once the
    labels are translated, the browser would send back a label that no longer names an option, and
    the widget would return that text instead of its code (the period's "Last 12 months" then
    reached ``int()``). A value set through the Session State API is sent to the browser with the
    new labels on the next run, so the browser's copy is relabelled before it is sent back. Only
    these two kinds are touched (found by their serialiser; segmented controls and pills resolve
    stale labels themselves, and other widgets hold no labels or refuse to be set)."""
    state = get_session_state()._state
    widgets = state._new_widget_state.widget_metadata
    ss = st.session_state
    for key, widget_id in list(state._key_id_mapper._key_id_mapping.items()):
        meta = widgets.get(widget_id)
        serde = getattr(getattr(meta, "deserializer", None), "__self__", None)
        if key == "w_lang" or not isinstance(serde, (SelectboxSerde, MultiSelectSerde)) or key not in ss:
            continue
        ss[key] = ss[key]


#: Enter in a date field applies the date. Streamlit's date field takes a typed date only when it
#: loses focus (1.67 handles no Enter there), so a manager who types the as-of date and presses
#: Enter saw nothing happen. This constant script (our own code, no data in it) blurs the field on
#: Enter, which is what makes Streamlit commit the value. Installed once per browser page.
_ENTER_APPLIES_DATES = st.components.v2.component("crm_enter_applies_dates", js="""
export default function () {
  if (window.__crmEnterAppliesDates) return;
  window.__crmEnterAppliesDates = true;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing || !(event.target instanceof Element)) return;
    if (!event.target.closest('[data-testid="stDateInputField"]')) return;
    // The calendar opens on focus and keeps a typed date pending while open: close it the way
    // a click outside does, then leave the field, which commits.
    for (const type of ["pointerdown", "mousedown", "pointerup", "mouseup", "click"]) {
      document.body.dispatchEvent(new MouseEvent(type, { bubbles: true, cancelable: true, view: window }));
    }
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
  }, true);
}
""")


def render_sidebar(ctx: PageContext) -> None:
    """Language, currency, as-of date, period and the global customer filters."""
    t, ss = ctx.tr, st.session_state
    with st.sidebar:
        langs = list(LANGUAGES)
        st.selectbox(t.t("sidebar.language"), langs, index=langs.index(ss.lang), format_func=lambda c: LANGUAGES[c][1],
                     key="w_lang", on_change=persist, args=("lang",))
        info = data.call(data.db_info, ctx.store.path, ctx.version)
        currencies = list(info["fx"])
        st.selectbox(t.t("sidebar.currency"), currencies, index=currencies.index(ctx.currency), key="w_currency",
                     on_change=persist, args=("currency",), help=t.t("sidebar.currency_help", base=info["base_currency"]))
        if ctx.as_of is not None:
            st.date_input(t.t("sidebar.as_of"), value=ctx.as_of, min_value=ctx.first_date, max_value=info["last_date"],
                          key="w_as_of", on_change=persist, args=("as_of",), help=t.t("sidebar.as_of_help"),
                          format="YYYY-MM-DD")
        st.selectbox(t.t("sidebar.period"), PERIOD_CHOICES, index=PERIOD_CHOICES.index(ctx.period_days),
                     format_func=lambda d: t.t(f"period.{d}"), key="w_period_days", on_change=persist,
                     args=("period_days",))
        st.subheader(t.t("sidebar.filters"))
        options = data.call(data.filter_options, ctx.store.path, ctx.version)
        for key in ("regions", "channels", "customer_types"):
            st.multiselect(t.t(f"filter.{key}"), options[key], default=[v for v in ss[key] if v in options[key]],
                           key=f"w_{key}", on_change=persist, args=(key,), placeholder=t.t("filter.all"),
                           format_func=lambda v, dim=key: t.value(dim, v))
        lake = info.get("lake")   # a lake read through its catalog: name the lake, not the catalog file
        st.caption(t.t("sidebar.lake_caption" if lake else "sidebar.db_caption",
                       name=Path(lake).name if lake else Path(ctx.store.path).name, schema=info["schema_version"],
                       version=ctx.version))
        _ENTER_APPLIES_DATES(key="crm_enter_applies_dates")


def require_data(ctx: PageContext) -> date:
    """The as-of date, or an empty state that says what to load (then stop the page)."""
    if ctx.as_of is None:
        st.info(ctx.tr.t("empty.no_transactions", db=Path(ctx.store.path).name), icon=":material/upload_file:")
        st.code("python -m crm_core demo --db data/demo.duckdb", language="bash")
        st.stop()
    return ctx.as_of  # type: ignore[return-value]
