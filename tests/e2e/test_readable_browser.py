"""Every key label readable in every language, at 1440x900 and at 1280x720: no card label,
card value, tab, button or sidebar label is cut (its text wider than a box that hides the rest,
with an ellipsis or without),
and the sidebar's date, period and filters are on screen without scrolling."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from crm_core.i18n import catalogue

from .conftest import Server, screenshot, wait_ready

LANGS = ("en", "ko", "zh_Hans", "zh_Hant")
VIEWPORTS = ((1440, 900), (1280, 720))
#: (url path, a catalogue key whose text shows once the page is drawn)
PAGES = (("", "kpi.lapse_rate"), ("segments", "page.segments"), ("pyramid", "page.pyramid"), ("clv", "page.clv"),
         ("churn", "page.churn"), ("loyalty", "page.loyalty"), ("quadrants", "page.quadrants"))
#: Pages checked at 1440x900 only (suite time): the data pages and micro-segments.
PAGES_1440 = (("micro", "page.micro"), ("data", "page.data"), ("admin", "page.admin"), ("upload", "page.upload"))
#: Elements whose text must show whole: card labels and values, tabs, buttons, widget labels.
SELECTORS = ('[data-testid="stMetricLabel"]', '[data-testid="stMetricValue"]', 'button[role="tab"]',
             '[data-testid="stWidgetLabel"]', '[data-testid="stBaseButton-secondary"]',
             '[data-testid="stBaseButton-primary"]')

_CUT = """(selectors) => {
  const out = [];
  for (const sel of selectors) {
    for (const el of document.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;              // not shown
      const boxes = [el, ...el.querySelectorAll('*')];
      for (const b of boxes) {
        const style = getComputedStyle(b);
        const hides = style.textOverflow === 'ellipsis' || ['hidden', 'clip'].includes(style.overflowX);
        if (!hides || !b.textContent.trim()) continue;
        const range = document.createRange();               // the text's laid-out width: an ellipsis
        range.selectNodeContents(b);                          // box may report a scrollWidth of its own
        if (b.scrollWidth > b.clientWidth + 1 || range.getBoundingClientRect().width > b.clientWidth + 0.5) {
          out.push(b.textContent.trim().slice(0, 80));
          break;
        }
      }
    }
  }
  return out;
}"""


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", VIEWPORTS, ids=[f"{w}x{h}" for w, h in VIEWPORTS])
def test_no_key_label_is_cut(page: Page, server: Server, lang: str, size: tuple[int, int]) -> None:
    cat = catalogue(lang)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    cut: dict[str, list[str]] = {}
    for path, ready in PAGES + (PAGES_1440 if size == (1440, 900) else ()):
        page.goto(f"{server.url}/{path}?lang={lang}")
        wait_ready(page, cat[ready])
        page.wait_for_timeout(600)                 # fonts and cards settle
        found = page.evaluate(_CUT, list(SELECTORS))
        if found:
            cut[path or "overview"] = found
        if size == (1440, 900):
            screenshot(page, f"readable-{path or 'overview'}-{lang}")
    assert cut == {}, cut


@pytest.mark.parametrize("lang", LANGS)
def test_sidebar_settings_are_on_screen_at_1440x900(page: Page, server: Server, lang: str) -> None:
    """The as-of date, period and filters are visible without scrolling the sidebar."""
    cat = catalogue(lang)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{server.url}/?lang={lang}")
    wait_ready(page, cat["kpi.lapse_rate"])
    sidebar = page.get_by_test_id("stSidebar")
    for key in ("sidebar.as_of", "sidebar.period", "filter.regions"):
        label = sidebar.get_by_text(cat[key], exact=True).first
        box = label.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 900, (key, box)
