"""AppTest smoke tests: the real scripts, headless, no browser.

Streamlit 1.67's AppTest runs ``app.py`` only on the first ``run()`` when pages live in
``pages/`` (see ../shared/ENVIRONMENT.md); later runs execute the page alone. Pages are
built for that (they compute their own context), and the browser tests cover routing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from crm_core.customers import overview
from crm_core.filters import Filters
from crm_core.i18n import catalogue
from crm_core.store.connection import Store

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")


def run_app(monkeypatch: pytest.MonkeyPatch, db: Path | None, **state) -> AppTest:
    if db is None:
        monkeypatch.delenv("CRM_DB", raising=False)
    else:
        monkeypatch.setenv("CRM_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric_labels(at: AppTest) -> list[str]:
    return [m.label for m in at.metric]


def test_overview_shows_the_kpis_and_two_charts(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = run_app(monkeypatch, demo_db)
    en = catalogue("en")
    assert metric_labels(at) == [en[f"kpi.{k}"] for k in overview.KPI_NAMES]
    assert len(at.get("echarts_chart")) == 2
    k = overview.kpis(Store(demo_db), overview.default_as_of(Store(demo_db)))
    assert at.metric[0].value == f"{k.current.customers:,}"


@pytest.mark.parametrize("lang", ["ko", "zh_Hans", "zh_Hant"])
def test_language_switch_translates_labels(monkeypatch: pytest.MonkeyPatch, demo_db: Path, lang: str) -> None:
    at = run_app(monkeypatch, demo_db, lang=lang)
    assert metric_labels(at)[5] == catalogue(lang)["kpi.lapse_rate"]
    assert at.title[0].value == catalogue(lang)["page.overview"]


def test_filters_change_the_figures(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = run_app(monkeypatch, demo_db, regions=["Korea"])
    store = Store(demo_db)
    k = overview.kpis(store, overview.default_as_of(store), Filters.of(regions=["Korea"]))
    assert at.metric[0].value == f"{k.current.customers:,}"


def test_empty_database_says_what_to_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    Store(db, create=True).schema_version()
    at = run_app(monkeypatch, db)
    assert not at.error and "customer_id, date, amount" in at.info[0].value


def test_corrupt_database_gives_a_message_not_a_traceback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db = tmp_path / "corrupt.duckdb"
    db.write_bytes(b"not a database" * 100)
    at = run_app(monkeypatch, db, lang="ko")
    assert at.error and "읽을 수 있는 데이터베이스 파일이 아닙니다" in at.error[0].value
    assert db.read_bytes() == b"not a database" * 100


def test_newer_database_is_refused_with_versions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db = tmp_path / "newer.duckdb"
    Store(db, create=True).schema_version()
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (77, 'future', now())")
    con.close()
    at = run_app(monkeypatch, db, lang="zh_Hans")
    assert at.error and "77" in at.error[0].value and "升级" in at.error[0].value


def test_missing_configured_database_is_not_created(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db = tmp_path / "typo.duckdb"
    at = run_app(monkeypatch, db)
    assert at.error and "does not exist" in at.error[0].value
    assert not db.exists()


def test_first_start_without_configuration_creates_the_demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import crm_app.session as session

    target = tmp_path / "data" / "demo.duckdb"
    monkeypatch.setattr(session, "DEFAULT_DB", target)
    at = run_app(monkeypatch, None)
    assert target.exists() and Store(target).table_counts()["customers"] > 0
    assert len(at.metric) == len(overview.KPI_NAMES)


def test_database_page(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/data_status.py").run()
    assert not at.exception
    assert at.title[0].value == catalogue("en")["page.data"]
    assert at.metric[0].value == "demo.duckdb"
    assert len(at.dataframe) == 2  # table counts and load history


@pytest.mark.parametrize(("page", "title_key", "charts", "downloads"), [
    ("pages/segments.py", "page.segments", 2, 2), ("pages/pyramid.py", "page.pyramid", 3, 0),
    ("pages/micro.py", "page.micro", 2, 0), ("pages/clv.py", "page.clv", 1, 2), ("pages/quadrants.py", "page.quadrants", 1, 2),
    ("pages/churn.py", "page.churn", 6, 2)])
def test_target_pages_render_without_errors(monkeypatch: pytest.MonkeyPatch, demo_db: Path, page: str,
                                            title_key: str, charts: int, downloads: int) -> None:
    at = run_app(monkeypatch, demo_db, lang="ko")
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == catalogue("ko")[title_key]
    assert len(at.get("plotly_chart")) + len(at.get("echarts_chart")) == charts
    assert len(at.get("download_button")) >= downloads


def test_pyramid_tabs_run_only_when_opened(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    """Pyramid: the tiers tab opens; the upgrade and what-if tabs, the tier-share form and the
    lists are built when opened, with crm_core's numbers."""
    from crm_core.customers import micro, pyramid
    from crm_core.i18n import Translator

    en, tr = catalogue("en"), Translator("en")
    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/pyramid.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [c.key for c in at.get("echarts_chart")] == ["pyr_chart", "pyr_pareto_revenue", "pyr_pareto_gross_profit"]
    assert not at.metric and not at.number_input and not at.get("download_button")
    at.session_state["pyr_shares_open"] = True
    at.run()
    assert len(at.number_input) == 4
    frame = micro.customer_frame(Store(demo_db), overview.default_as_of(Store(demo_db)))
    at.session_state["pyr_tab"] = en["pyramid.tab_upgrade"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    cands = pyramid.upgrade_candidates(frame, "revenue", pyramid.DEFAULT_CLOSENESS / 100)
    expected = {en["pyramid.close_to"].format(tier=en[f"tier.{t}"]): tr.number(int((cands["tier"] == t).sum()))
                for t in ("big", "medium", "small", "inactive")}
    assert {m.label: m.value for m in at.metric} == expected
    assert len(at.get("download_button")) == 2 and not at.get("echarts_chart")
    at.session_state["pyr_tab"] = en["pyramid.tab_whatif"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    w = pyramid.what_if(frame, pyramid.DEFAULT_WHATIF_PERCENT)
    assert [c.key for c in at.get("echarts_chart")] == ["pyr_whatif_chart"]
    assert at.metric[0].value == tr.number(int(w.by_tier["moved"].sum()))


def test_closed_tabs_and_lists_run_only_when_opened(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    """Micro-segments: the Compare tab and the customer list are built when opened, not before."""
    en = catalogue("en")
    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/micro.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [c.key for c in at.get("echarts_chart")] == ["micro_bar", "micro_mix"] and not at.get("download_button")
    at.session_state["micro_list_open"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("download_button")) == 2          # the list of the cut, CSV and Excel
    at.session_state["micro_tab"] = en["micro.tab_compare"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [c.key for c in at.get("echarts_chart")] == ["micro_cmp_mix"]
    assert len(at.get("download_button")) == 4          # groups A and B
    table = at.dataframe[0].value
    customers = table[table[en["micro.measure"]] == en["micro.m.customers"]]
    everyone = f"{len(Store(demo_db).df('SELECT customer_id FROM customers')):,}"
    assert list(customers[en["micro.group_a"]]) == [everyone]   # no condition: every customer
    at.selectbox(key="w_lang").set_value("ko").run()           # another language: the same tab stays open
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["micro_tab"] == catalogue("ko")["micro.tab_compare"]
    assert [c.key for c in at.get("echarts_chart")] == ["micro_cmp_mix"]


def test_segment_scheme_and_bins_settings_reach_the_numbers(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    from crm_core.customers import rfm

    everyone_lost = (rfm.SegmentRule("lost", 1, 5, 1, 5),)
    at = run_app(monkeypatch, demo_db, rfm_scheme=everyone_lost, rfm_bins=3)
    at.switch_page("pages/segments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    en = catalogue("en")
    counts = dict(zip(table[en["col.segment"]] if en["col.segment"] in table else table["segment"],
                      table[en["col.customers"]] if en["col.customers"] in table else table["customers"]))
    lost = counts[en["segment.lost"]]
    assert lost != "0" and all(v == "0" for k, v in counts.items() if k != en["segment.lost"])


def test_quadrant_box_selection_lists_every_customer_inside(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    from crm_core.customers.overview import default_as_of
    from crm_core.store.connection import Store
    from crm_core.value import quadrants

    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/quadrants.py").run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store(demo_db)
    frame = quadrants.quadrant_frame(store, default_as_of(store), 365)
    # A box drawn on the (signed-log) chart: cost to serve 0..100, gross profit 10..1,000.
    box = {"x": [float(quadrants.slog(0)), float(quadrants.slog(100))],
           "y": [float(quadrants.slog(10)), float(quadrants.slog(1000))]}
    area = {"brush_index": 0, "brush_type": "rect", "coord_range": [box["x"], box["y"]]}
    at.session_state["quad_scatter_a_log_USD"] = {"selection": {"selected": [], "areas": [area]}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    inside = frame[(frame["cost_to_serve"] <= 100) & (frame["gross_profit"] >= 10) & (frame["gross_profit"] <= 1000)]
    assert 0 < len(inside) < len(frame)
    assert catalogue("en")["quad.selected"] in [h.value for h in at.subheader]
    assert any(f"{len(inside):,} customers" in c.value for c in at.caption), [c.value for c in at.caption]


def test_clv_page_explains_a_model_that_cannot_be_fitted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tests.conftest import make_store

    rows = [{"transaction_id": f"T{i}", "customer_id": f"C{i}", "tx_date": "2024-06-30", "amount": 10 + i}
            for i in range(40)]
    db = tmp_path / "oneday.duckdb"
    make_store(db, transactions=rows)
    at = run_app(monkeypatch, db, lang="zh_Hans")
    at.switch_page("pages/clv.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == [catalogue("zh_Hans")["clv.fit_error.no_repeaters"]]
    assert len(at.get("plotly_chart")) + len(at.get("echarts_chart")) == 0


@pytest.mark.parametrize(("section", "charts"), [("model", ["clv_matrix", "clv_calibration"]),
                                                 ("check", ["clv_holdout_chart"])])
def test_clv_model_and_holdout_sections(monkeypatch: pytest.MonkeyPatch, demo_db: Path, section: str,
                                        charts: list[str]) -> None:
    at = run_app(monkeypatch, demo_db, lang="ko")
    at.session_state["clv_section"] = section
    at.switch_page("pages/clv.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [c.key for c in at.get("echarts_chart")] == charts and not at.get("plotly_chart")
    assert not at.warning, [w.value for w in at.warning]
    if section == "check":
        labels = [m.label for m in at.metric]
        assert catalogue("ko")["clv.check.mae"] in labels


def test_loyalty_page_cards_charts_and_what_if(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    """One card per program with crm_core's figures; the four charts; the what-if moves
    the ROI as the money module says."""
    from crm_core.i18n import Translator
    from crm_core.loyalty import report as loyalty_report
    from crm_core.loyalty.roi import what_if

    at = run_app(monkeypatch, demo_db, lang="zh_Hant")
    at.switch_page("pages/loyalty.py").run()
    assert not at.exception, [e.value for e in at.exception]
    cat, tr = catalogue("zh_Hant"), Translator("zh_Hant")
    assert at.title[0].value == cat["page.loyalty"]
    rep = loyalty_report.analyse(Store(demo_db), overview.default_as_of(Store(demo_db)))
    first = rep.programs[0]
    keys = ["loy_waterfall"] + (["loy_roi"] if first.verdict.trusted else []) + ["loy_event", "loy_balance"]
    assert [c.key for c in at.get("echarts_chart")] == keys
    members = [m.value for m in at.metric if m.label == cat["loyalty.members"]]
    assert members == [tr.number(p.money.members) for p in rep.programs]
    lifts = [m.value for m in at.metric if m.label == cat["loyalty.lift"]]
    assert lifts == [tr.signed_percent(p.verdict.effect.lift) for p in rep.programs if p.verdict.effect]
    rois = [m.value for m in at.metric if m.label == cat["loyalty.roi"]]
    said = [m.value for m in at.markdown]
    for p, shown in zip(rep.programs, rois):      # a point ROI only when the interval is on one side of 0
        if p.verdict.trusted is None:
            assert shown == "—" and f"**{cat['loyalty.not_credible']}**" in said
        elif p.money.pays is None:
            assert shown == "—" and f"**{cat['loyalty.not_shown_to_pay']}**" in said
        else:
            assert shown == tr.signed_percent(p.money.roi)
    assert any(p.verdict.trusted is None for p in rep.programs) and any(p.verdict.trusted for p in rep.programs)
    table = at.dataframe[0].value       # both designs with their placebo, the trusted one ticked
    assert len(table) == 2 and table[cat["loyalty.col.design"]].str.endswith(" ✓").sum() == (
        1 if first.verdict.trusted else 0)
    trusted = next(p for p in rep.programs if p.verdict.trusted)
    at.session_state["loy_program"] = trusted.program_id
    at.run()
    at.slider(key=f"loy_share_{trusted.program_id}").set_value(200).run()
    roi = [m.value for m in at.metric if m.label == cat["loyalty.roi"]][-1]
    res = what_if(trusted.money, participation=2.0)
    assert roi == (tr.signed_percent(res.roi) if res.pays is not None else "—")
    untrusted = next(p for p in rep.programs if p.verdict.trusted is None)
    at.session_state["loy_program"] = untrusted.program_id
    at.run()
    assert [m.value for m in at.metric if m.label == cat["loyalty.roi"]][-1] == "—"
    assert f"**{cat['loyalty.not_credible']}**" in [m.value for m in at.markdown]
    assert not at.exception


def test_loyalty_page_without_programs_says_what_to_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tests.conftest import make_store

    db = tmp_path / "noprog.duckdb"
    make_store(db, transactions=[{"transaction_id": "T1", "customer_id": "A", "tx_date": "2024-06-30", "amount": 10}])
    at = run_app(monkeypatch, db, lang="ko")
    at.switch_page("pages/loyalty.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [i.value for i in at.info] == [catalogue("ko")["loyalty.empty"]]


def test_upload_page_previews_maps_loads_and_refuses(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    """A Korean CP949 file: preview, proposed mapping, load; the new rows are stored and in
    the history. A header-only file is refused in the user's language; nothing changes."""
    files = REPO / "tests" / "data" / "ingest"
    cat = catalogue("ko")
    at = run_app(monkeypatch, demo_db, lang="ko")
    at.switch_page("pages/upload.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == cat["page.upload"]
    before = Store(demo_db).table_counts()["transactions"]
    at.file_uploader(key="up_file").set_value(("tx.csv", (files / "tx_ko_cp949.csv").read_bytes(), "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.dataframe) >= 1   # the preview
    at.button(key="up_load").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success][0].startswith(cat["upload.loaded"].split("{")[0])
    assert Store(demo_db).table_counts()["transactions"] == before + 3
    at.file_uploader(key="up_file").set_value(("h.csv", (files / "header_only.csv").read_bytes(), "text/csv")).run()
    at.button(key="up_load").click().run()
    assert any(cat["upload.problem.no_rows"] in e.value for e in at.error), [e.value for e in at.error]
    assert Store(demo_db).table_counts()["transactions"] == before + 3


def test_admin_settings_set_the_assumed_margin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Admin -> Settings: the assumed margin of cost-less sales, saved, recomputes gross profit
    and is in the audit log; the CLV page's caption then names the new value."""
    from crm_core.access import audit, auth
    from crm_core.customers import overview
    from tests.conftest import make_store

    db = tmp_path / "nocost.duckdb"
    make_store(db, transactions=[{"transaction_id": f"T{i}", "customer_id": f"C{i % 7}",
                                  "tx_date": f"2024-{1 + i % 12:02d}-{1 + i % 27:02d}", "amount": 100 + i}
                                 for i in range(80)])
    en = catalogue("en")
    at = run_app(monkeypatch, db)
    at.switch_page("pages/admin.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="adm_margin").value == pytest.approx(30.0)
    at.number_input(key="adm_margin").set_value(42.0).run()
    at.button(key="adm_save_settings").click().run()
    assert not at.exception, [e.value for e in at.exception]
    tr = __import__("crm_core.i18n", fromlist=["Translator"]).Translator("en")
    assert [s.value for s in at.success] == [en["admin.settings_saved"].format(margin=tr.percent(0.42),
                                                                                before=tr.percent(0.30))]
    store = Store(db)
    k = overview.kpis(store, overview.default_as_of(store), period_days=3650)
    assert k.current.gross_profit == pytest.approx(0.42 * k.current.revenue)
    entries = audit.entries(store, auth.Principal.local_user("x"), action="setting_changed")
    assert len(entries) == 1 and entries["subject"].iloc[0] == "default_margin"


def test_local_mode_admin_page_saves_roles_and_shows_the_audit_log(monkeypatch: pytest.MonkeyPatch, demo_db: Path,
                                                                   tmp_path: Path) -> None:
    """No identity provider: one local user with every right, said in the sidebar; the Admin
    page writes the roles file (validated) and the change is in the audit log."""
    from crm_core.access import audit, auth
    roles = tmp_path / "roles.toml"
    monkeypatch.setenv("CRM_ROLES", str(roles))
    en = catalogue("en")
    at = run_app(monkeypatch, demo_db)
    local_note = en["auth.local_mode"].split("{")[0]
    assert any(c.value.startswith(local_note) for c in at.caption), ([c.value for c in at.caption], [e.value for e in at.error])
    at.switch_page("pages/admin.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == en["page.admin"]
    assert any(en["admin.local_note"] in i.value for i in at.info)
    # the users table is a data editor: AppTest sets its edits through its session-state key
    at.session_state["adm_users"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"email": "kim@example.com", "role": "viewer", "manager": "AM01"},
        {"email": "lee@example.com", "role": "analyst", "manager": ""}]}
    at.button(key="adm_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.success] == [en["admin.saved"].format(n=2)], [e.value for e in at.error]
    saved = auth.load_rules(roles)
    assert dict(saved.users) == {"kim@example.com": auth.UserRule("viewer", "AM01"),
                                 "lee@example.com": auth.UserRule("analyst", None)}
    at.run()  # the editor now shows the saved users (a new table, so a new editor state)
    at.session_state["adm_users"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"email": "not-an-address", "role": "viewer", "manager": ""}]}
    at.button(key="adm_save").click().run()
    assert any(en["admin.problem.email"].split("{")[0] in e.value for e in at.error), [e.value for e in at.error]
    assert auth.load_rules(roles) == saved   # the refused edit changed nothing
    log = audit.entries(Store(demo_db), auth.Principal.local_user("t"))
    assert log["action"].tolist() == ["roles_changed"] and log["rows"].tolist() == [2]


def test_local_mode_refuses_a_non_loopback_address(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    """Local mode gives full rights, so it is for this computer only: served on 0.0.0.0 it refuses
    (unless CRM_ALLOW_REMOTE_LOCAL=1) and shows nothing else."""
    from streamlit import config

    monkeypatch.setenv("CRM_DB", str(demo_db))
    old = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert not at.exception
        assert [e.value for e in at.error] == [catalogue("en")["auth.local_remote_refused"].format(address="0\\.0\\.0\\.0")]
        assert len(at.metric) == 0
        monkeypatch.setenv("CRM_ALLOW_REMOTE_LOCAL", "1")
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert not at.error and len(at.metric) == len(overview.KPI_NAMES)
    finally:
        config.set_option("server.address", old)


def test_churn_page_switches_to_probability_alive(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    """Choosing "probability alive" re-judges customers without events by the BG/NBD model: the
    churned count is the core's for that threshold, and the page says which definition it used."""
    from crm_core.exits import churn
    from crm_core.exits.alive import AliveRule
    from crm_core.value import clv

    en = catalogue("en")
    at = run_app(monkeypatch, demo_db, churn_definition="p_alive", churn_threshold=0.3)
    at.switch_page("pages/churn.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(c.value.startswith(en["churn.caption_alive"].split("{")[0]) for c in at.caption)
    store = Store(demo_db)
    as_of = overview.default_as_of(store)
    model = clv.fit_models(clv.clv_summary(store, as_of, time_unit="week"), time_unit="week", calibration_end=as_of)
    d = churn.churn_data(store, as_of, window_days=churn.default_window(store, as_of),
                         alive=AliveRule(model.bgnbd.params, 7.0, 0.3))
    churned = [m for m in at.metric if m.label == en["churn.kpi.churned"]][0]
    assert churned.value == f"{d.churned:,}"


def test_churn_page_values_lost_profit_by_clv_at_churn(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    from crm_core.exits import churn
    from crm_core.value import clv

    en = catalogue("en")
    at = run_app(monkeypatch, demo_db, churn_lost_method="clv")
    at.switch_page("pages/churn.py").run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store(demo_db)
    as_of = overview.default_as_of(store)
    model = clv.fit_models(clv.clv_summary(store, as_of, time_unit="week"), time_unit="week", calibration_end=as_of)
    d = churn.churn_data(store, as_of, window_days=churn.default_window(store, as_of), clv_model=model)
    card = [m for m in at.metric if m.label == en["churn.kpi.lost_profit"]][0]
    assert card.help == en["churn.kpi.lost_profit_clv_help"]
    assert d.lost_profit_method == "clv" and d.lost_profit > 0
    from crm_core.i18n import translator
    assert card.value == translator("en").money(d.lost_profit, "USD", True)
    years = churn.churn_data(store, as_of, window_days=churn.default_window(store, as_of))
    assert card.value != translator("en").money(years.lost_profit, "USD", True)


def test_picked_index_reads_a_chart_click_and_ignores_anything_else() -> None:
    """The treemap click reaches the drill-down through this (the browser test clicks a tile)."""
    from crm_app.customers import picked_index

    assert picked_index({"selection": {"selected": [{"series_index": 0, "data_indices": [3]}], "areas": []}}) == 3
    assert picked_index({"selection": {"selected": [], "areas": []}}) is None
    assert picked_index({"selection": {"selected": [{"data_indices": []}]}}) is None
    assert picked_index(None) is None and picked_index({}) is None and picked_index("junk") is None


def test_clv_page_says_the_margin_is_assumed_without_costs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A purchase log without costs (CDNOW): the caption says the margin is assumed, not from the data."""
    from tests.clv_data import cdnow_store

    db = tmp_path / "cdnow.duckdb"
    cdnow_store(db, costs=False)
    at = run_app(monkeypatch, db)
    at.switch_page("pages/clv.py").run()
    assert not at.exception, [e.value for e in at.exception]
    en = catalogue("en")
    captions = " ".join(c.value for c in at.caption)
    assert en["clv.margin_assumed"].split("{margin}")[0] in captions and en["clv.margin_from_data"] not in captions


def test_period_and_lifetime_money_are_labelled_apart(monkeypatch: pytest.MonkeyPatch, demo_db: Path) -> None:
    """The Pyramid's tiers (cut on the period's revenue) say "in period"; the Micro-segments'
    cells (lifetime) say "lifetime": the same word no longer means two numbers."""
    en = catalogue("en")
    at = run_app(monkeypatch, demo_db)
    at.switch_page("pages/pyramid.py").run()
    assert not at.exception, [e.value for e in at.exception]
    configs = " ".join(str(d.proto.columns) for d in at.dataframe)
    assert en["col.period_revenue"] in configs and en["col.period_revenue_share"] in configs
    at.switch_page("pages/micro.py").run()
    assert not at.exception, [e.value for e in at.exception]
    headers = [c for d in at.dataframe for c in d.value.columns]
    assert en["micro.m.revenue"] in headers and en["col.revenue"] not in headers
