"""AppTest for the relationship pages (Managers, Service, Campaigns, Cross-selling): figures
from crm_core, the lists behind them, a manager's own view, and all four languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_core.customers import overview
from crm_core.i18n import LANGUAGES, catalogue
from crm_core.relations import affinity as af
from crm_core.relations import campaigns as cp
from crm_core.relations import managers as mg
from crm_core.store.connection import Store

from .test_app import run_app

PAGES = ("managers", "service", "campaigns", "cross_sell", "scorecards")


def _table(at, column: str):
    """The first table with this column (AppTest's dataframes carry no key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _count(at, en) -> list[str]:
    return [c.value for c in at.caption if c.value.endswith(en["list.count"].split("}")[-1])]


def test_campaigns_page_reports_the_library_figures(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    en = catalogue("en")
    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/campaigns.py").run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store(demo_db)
    rep = cp.campaigns(store, overview.default_as_of(store))
    table = _table(at, en["campaigns.col.verdict"])
    assert len(table) == len(rep.campaigns)
    verdicts = list(table[en["campaigns.col.verdict"]])
    assert verdicts == [en[f"campaigns.verdict.{v}"] for v in rep.campaigns["verdict"]]
    rois = list(table[en["campaigns.col.roi"]])
    for roi, v in zip(rois, rep.campaigns["verdict"]):
        assert (roi == "—") == (v not in ("pays", "does_not_pay"))      # no point ROI unless decided
    first = rep.campaigns.iloc[0]
    mine = rep.contacts[(rep.contacts.campaign_id == first.campaign_id) & ~rep.contacts.is_control.astype(bool)]
    n = int((~mine.response.astype(bool)).sum())
    assert _count(at, en)[0].startswith(f"{n:,} ")


def test_managers_page_and_a_managers_own_view(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    en = catalogue("en")
    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/managers.py").run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store(demo_db)
    t = mg.portfolios(store, overview.default_as_of(store))
    table = _table(at, en["managers.col.attainment"])
    assert len(table) == len(t)
    first = t.iloc[0]
    assert at.selectbox(key="mgr_pick").value == first.manager_id
    assert _count(at, en)[0].startswith(f"{int(first.accounts):,} ")
    at.number_input(key="w_mgr_growth").set_value(50.0).run()       # a higher default target lowers attainment
    assert not at.exception
    attain = [m for m in _table(at, en["managers.col.attainment"])[en["managers.col.attainment"]]]
    assert attain != list(table[en["managers.col.attainment"]])


def test_cross_sell_page_lists_candidates(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    en = catalogue("en")
    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/cross_sell.py").run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store(demo_db)
    aff = af.affinity(store, overview.default_as_of(store))
    rules = af.rules(aff)
    at.selectbox(key="af_pair").set_value("Electronics\u2192Software").run()
    assert not at.exception
    n = len(af.candidates(aff, "Electronics", "Software"))
    assert _count(at, en)[0].startswith(f"{n:,} ")
    assert len(_table(at, en["affinity.col.lift"])) == min(30, len(rules))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_pages_speak_every_language(monkeypatch: pytest.MonkeyPatch, demo_db: Path, lang: str) -> None:
    cat = catalogue(lang)
    at = run_app(monkeypatch, demo_db, lang=lang)
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.title[0].value == cat[f"page.{page}"]


def test_scorecards_page_follows_the_chosen_measures(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    from crm_core.relations import scorecards as sc

    en = catalogue("en")
    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/scorecards.py").run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store(demo_db)
    as_of = overview.default_as_of(store)
    card = sc.value_scorecard(store, as_of)
    table = _table(at, en["scorecard.col.value"])
    assert len(table) == len(card.segments)
    assert list(table[en["scorecard.col.value"]]) == [f"{v:.2f}" for v in card.segments["V"]]
    at.selectbox(key="sc_measure_U").set_value("repeat").run()
    assert not at.exception
    again = sc.value_scorecard(store, as_of, choice={"U": "repeat"})
    table = _table(at, en["scorecard.col.value"])
    assert list(table[en["scorecard.col.value"]]) == [f"{v:.2f}" for v in again.segments["V"]]


def test_the_pages_explain_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A database of purchases only (no campaigns, service cases, managers or categories):
    each page says what to load instead of failing."""
    en = catalogue("en")
    store = Store(tmp_path / "bare.duckdb", create=True)
    with store.transaction() as cur:
        cur.execute("INSERT INTO customers (customer_id) SELECT 'C' || i FROM range(50) r(i)")
        cur.execute("""INSERT INTO transactions (transaction_id, customer_id, tx_date, amount)
                       SELECT 'T' || i, 'C' || (i % 50), DATE '2024-01-01' + CAST(i * 3 AS INTEGER), 10 + i % 7
                       FROM range(200) r(i)""")
        Store.refresh_derived(cur)
        Store.bump_data_version(cur)
    at = run_app(monkeypatch, tmp_path / "bare.duckdb")
    infos = {"campaigns": "campaigns.none", "service": "service.none", "cross_sell": "affinity.none"}
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        if page in infos:
            assert [i.value for i in at.info] == [en[infos[page]]], page
    at.switch_page("pages/managers.py").run()
    assert _count(at, en) == []          # no manager: no account list, and no error


def test_campaign_files_load_on_the_upload_page_and_show_on_the_campaigns_page(
        monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    """An analyst's own campaign and its contacts (Korean headers, 예/아니오 control flags)
    through the Upload page; the Campaigns page then lists it with its control group."""
    en = catalogue("en")
    ids = [r[0] for r in Store(demo_db).rows("SELECT customer_id FROM customers ORDER BY customer_id LIMIT 200")]
    campaign = "캠페인코드,캠페인명,시작일,비용\nKX1,Analyst's own test,2026-06-01,300\n".encode("utf-8")
    contacts = ("캠페인코드,고객번호,대조군,반응\n" + "".join(
        f"KX1,{c},{'예' if i % 4 == 0 else '아니오'},{'O' if i % 6 == 0 else 'X'}\n" for i, c in enumerate(ids))).encode()
    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/upload.py").run()
    for kind, name, body in (("campaigns", "c.csv", campaign), ("campaign_contacts", "cc.csv", contacts)):
        at.selectbox(key="up_kind").set_value(kind).run()
        at.file_uploader(key="up_file").set_value((name, body, "text/csv")).run()
        at.button(key="up_load").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert [s.value for s in at.success][0].startswith(en["upload.loaded"].split("{")[0]), kind
    at.switch_page("pages/campaigns.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table = _table(at, en["campaigns.col.verdict"])
    row = table[table[en["campaigns.col.campaign"]] == "Analyst's own test"].iloc[0]
    assert (row[en["campaigns.col.contacted"]], row[en["campaigns.col.control"]]) == ("150", "50")
