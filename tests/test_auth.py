"""Roles, the roles file, the checks in crm_core's write functions, the audit log, masking,
account-manager binding, and injection strings through filters, mappings and file names."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tomllib
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.access import audit, auth, export
from crm_core.access.auth import Principal, Rules, UserRule
from crm_core.customers import overview
from crm_core.errors import AccessDeniedError, IngestError, RolesFileError
from crm_core.filters import Filters
from crm_core.ingest import load as ingest
from crm_core.store.connection import Store

from .conftest import REPO

NOW = datetime(2026, 11, 23, 9, 30)
VIEWER = Principal.of("vic@example.com", "viewer")
ANALYST = Principal.of("ana@example.com", "analyst")
ADMIN = Principal.of("ada@example.com", "admin")
INJECTIONS = ["'; DROP TABLE customers; --", "Korea' OR '1'='1", "<script>alert(1)</script>",
              "<img src=x onerror=alert(1)>", "$regions", "\")); DELETE FROM transactions; --", "=cmd|'/C calc'!A0"]

ROLES = """
[settings]
claim = "groups"
default_role = ""

[claims]
"crm-analysts" = "analyst"
"crm-admins" = "admin"

[domains]
"partner.example" = "viewer"

[users."Kim@Example.com"]
role = "viewer"
manager = "AM01"

[users."boss@example.com"]
role = "admin"
"""


def rules(text: str = ROLES) -> Rules:
    return Rules.from_dict(tomllib.loads(text))


# --- roles and rights -------------------------------------------------------------------------

def test_each_role_has_the_rights_of_the_one_before() -> None:
    assert sorted(VIEWER.grants) == ["export", "view"]
    assert sorted(ANALYST.grants) == ["export", "export_contacts", "manage_data", "see_contacts", "upload", "view"]
    assert ADMIN.grants == frozenset(auth.ACTIONS)
    with pytest.raises(AccessDeniedError) as err:
        VIEWER.require("upload")
    assert err.value.params == {"action": "upload", "role": "viewer", "user": "vic@example.com"}
    with pytest.raises(ValueError):
        VIEWER.can("fly")


def test_settings_can_let_viewers_see_and_export_contacts() -> None:
    r = rules(ROLES.replace('default_role = ""', 'default_role = ""\nviewers_see_contacts = true'))
    p = auth.resolve(r, {"email": "x@partner.example"})
    assert p.can("see_contacts") and not p.can("export_contacts") and not p.can("upload")


def test_resolution_order_user_then_claim_then_domain_then_default() -> None:
    r = rules()
    kim = auth.resolve(r, {"email": "KIM@example.com", "groups": ["crm-admins"]})   # own entry wins over a claim
    assert (kim.role, kim.manager, kim.user) == ("viewer", "AM01", "kim@example.com")
    assert auth.resolve(r, {"email": "a@corp.example", "groups": ["x", "crm-analysts", "crm-admins"]}).role == "admin"
    assert auth.resolve(r, {"email": "a@corp.example", "groups": "crm-analysts other"}).role == "analyst"
    assert auth.resolve(r, {"email": "p@partner.example"}).role == "viewer"
    with pytest.raises(AccessDeniedError) as err:
        auth.resolve(r, {"email": "stranger@else.example"})
    assert err.value.params["action"] == "sign_in" and err.value.params["user"] == "stranger@else.example"
    anyone = rules(ROLES.replace('default_role = ""', 'default_role = "viewer"'))
    assert auth.resolve(anyone, {"email": "stranger@else.example"}).role == "viewer"


def test_an_unverified_email_is_not_trusted() -> None:
    r = rules()
    with pytest.raises(AccessDeniedError):
        auth.resolve(r, {"sub": "123", "email": "boss@example.com", "email_verified": False})
    assert auth.resolve(r, {"sub": "123", "email": "boss@example.com", "email_verified": True}).role == "admin"
    assert auth.resolve(r, {"sub": "123", "email": "boss@example.com", "email_verified": False,
                            "groups": ["crm-analysts"]}).role == "analyst"


@pytest.mark.parametrize("text, problem", [
    ('[users."a@b.c"]\nrole = "owner"', "role"),
    ('[users."not-an-email"]\nrole = "viewer"', "email"),
    ('[users."a@b.c"]\nrole = "analyst"\nmanager = "AM01"', "manager_role"),
    ('[users."a@b.c"]\nrole = "viewer"\nmanager = "AM01\'; DROP TABLE x"', "manager"),
    ('[users."a@b.c"]\nrole = "viewer"\ncolour = "red"', "setting"),
    ('[settings]\nviewers_see_contacts = "yes"', "setting"),
    ('[settings]\nadmins = 1', "setting"),
    ('[groups]\nx = 1', "section"),
    ('[claims]\n"g" = "superuser"', "role"),
])
def test_an_impossible_roles_file_is_refused_with_its_reason(text: str, problem: str) -> None:
    with pytest.raises(RolesFileError) as err:
        rules(text)
    assert err.value.params["problem"] == problem


def test_load_rules_reports_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(RolesFileError) as err:
        auth.load_rules(tmp_path / "none.toml")
    assert err.value.params["problem"] == "missing"
    bad = tmp_path / "bad.toml"
    bad.write_text("[users\nrole=", encoding="utf-8")
    with pytest.raises(RolesFileError) as err:
        auth.load_rules(bad)
    assert err.value.params["problem"] == "syntax"


def test_duplicate_users_in_an_edited_table_are_refused() -> None:
    with pytest.raises(RolesFileError) as err:
        rules().with_users([{"email": "a@b.c", "role": "viewer"}, {"email": "A@B.C", "role": "admin"}])
    assert err.value.params["problem"] == "duplicate"
    edited = rules().with_users([{"email": " z@b.c ", "role": "viewer", "manager": "AM02"}, {"email": "", "role": None}])
    assert dict(edited.users) == {"z@b.c": UserRule("viewer", "AM02")}


_emails = st.from_regex(r"[a-z0-9._%+\-가-힣]{1,12}@[a-z0-9\-]{1,10}\.[a-z]{2,4}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(users=st.dictionaries(_emails, st.tuples(st.sampled_from(auth.ROLES), st.one_of(
    st.none(), st.from_regex(r"[A-Za-z0-9_.\- ]{1,10}", fullmatch=True)))), see=st.booleans(),
       default=st.sampled_from([None, *auth.ROLES]), claim=st.one_of(st.none(), st.text(min_size=1, max_size=12)))
def test_written_roles_read_back_equal(users: dict, see: bool, default: str | None, claim: str | None) -> None:
    entries = {e: UserRule(r, m if r == "viewer" and m and m.strip() == m and m.strip() else None)
               for e, (r, m) in users.items()}
    r = Rules(users=entries, claim=claim, claims={'"quoted" \\ grp': "admin"}, domains={"예시.kr": "viewer"},
              default_role=default, viewers_see_contacts=see)
    back = Rules.from_dict(tomllib.loads(auth.rules_to_toml(r)))
    assert back == r


def test_only_admins_save_the_roles_file_and_it_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "roles.toml"
    r = rules()
    for who in (VIEWER, ANALYST):
        with pytest.raises(AccessDeniedError):
            auth.save_rules(path, r, who)
    assert not path.exists()
    auth.save_rules(path, r, ADMIN)
    assert auth.load_rules(path) == r
    assert [p.name for p in tmp_path.iterdir()] == ["roles.toml"]


# --- write functions check the role again ---------------------------------------------------

def _tx_file(tmp: Path, name: str = "tx.csv", header: tuple[str, ...] = ("customer_id", "date", "amount")) -> Path:
    path = tmp / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerow(["C1", "2026-01-05", "10.5"])
        w.writerow(["C2", "2026-02-06", "20"])
    return path


def test_viewers_cannot_upload_or_roll_back_and_nothing_is_written(store_factory, tmp_path: Path) -> None:
    store = store_factory(customers=[{"customer_id": "C1"}, {"customer_id": "C2"}])
    before = store.table_counts()
    with pytest.raises(AccessDeniedError):
        ingest.load_file(store, _tx_file(tmp_path), "transactions", now=NOW, actor=VIEWER)
    assert store.table_counts() == before and store.scalar("SELECT count(*) FROM audit_log") == 0
    res = ingest.load_file(store, _tx_file(tmp_path), "transactions", now=NOW, actor=ANALYST)
    assert res.status == "loaded" and res.rows_loaded == 2
    with pytest.raises(AccessDeniedError):
        ingest.rollback(store, res.ingest_id, actor=VIEWER, at=NOW)
    assert store.scalar("SELECT count(*) FROM transactions") == 2
    assert ingest.rollback(store, res.ingest_id, actor=ANALYST, at=NOW) == 2
    log = audit.entries(store, ADMIN)
    assert log[["actor", "role", "action", "subject", "rows"]].values.tolist() == [
        ["ana@example.com", "analyst", "rollback", str(res.ingest_id), 2],
        ["ana@example.com", "analyst", "upload", "tx.csv", 2]]
    assert json.loads(log["detail"].iloc[1]) == {"kind": "transactions", "ingest_id": res.ingest_id,
                                                 "status": "loaded", "rows_read": 2, "rows_rejected": 0,
                                                 "customers_created": 0}
    assert log["logged_at"].iloc[0] == pd.Timestamp(NOW)


def test_only_admins_read_the_audit_log(store_factory) -> None:
    store = store_factory()
    for who in (VIEWER, ANALYST):
        with pytest.raises(AccessDeniedError):
            audit.entries(store, who)
    audit.log(store, VIEWER, "sign_in", at=NOW, detail={"role": "viewer"})
    assert audit.entries(store, ADMIN, action="sign_in")["actor"].tolist() == ["vic@example.com"]
    assert audit.entries(store, ADMIN, action="export").empty
    with pytest.raises(ValueError):
        audit.log(store, VIEWER, "delete_everything", at=NOW)


# --- exports, masking and the account-manager binding ----------------------------------------

@pytest.fixture()
def people(store_factory) -> Store:
    return store_factory(customers=[
        {"customer_id": "C1", "name": "김민준", "email": "minjun.kim@example.kr", "phone": "010-1234-5678",
         "account_manager": "AM01", "region": "Korea"},
        {"customer_id": "C2", "name": "Jane Doe", "email": "jane@example.com", "phone": "+1 (555) 010-9999",
         "account_manager": "AM02", "region": "USA"},
        {"customer_id": "C3", "name": "王芳", "email": "=HYPERLINK(\"x\")", "phone": None, "account_manager": "AM01",
         "region": "China"}],
        transactions=[{"transaction_id": f"T{d}", "customer_id": c, "tx_date": date(2026, 3, d),
                       "amount": 100.0 * d, "cost": 40.0 * d} for c, d in (("C1", 1), ("C2", 2), ("C3", 3), ("C1", 9))])


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_exports_carry_contacts_only_when_allowed_and_are_audited(people: Store) -> None:
    frame = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "revenue": [1.0, 2.0, 3.0]})
    viewer_rows = _rows(export.customer_file(people, frame, VIEWER, "csv", subject="segment-champions", at=NOW))
    assert [r["customer_id"] for r in viewer_rows] == ["C1", "C2", "C3"]
    assert not {"name", "email", "phone"} & set(viewer_rows[0])
    analyst_rows = _rows(export.customer_file(people, frame, ANALYST, "csv", subject="segment-champions", at=NOW))
    assert analyst_rows[0]["email"] == "minjun.kim@example.kr" and analyst_rows[2]["email"] == "'=HYPERLINK(\"x\")"
    allowed = Principal.of("v@x.io", "viewer", viewers_export_contacts=True)
    assert "phone" in _rows(export.customer_file(people, frame, allowed, "csv", subject="s", at=NOW))[0]
    xlsx = export.customer_file(people, frame, VIEWER, "xlsx", subject="tier-top", at=NOW)
    assert xlsx[:2] == b"PK"
    log = audit.entries(people, ADMIN, action="export")
    assert log["actor"].tolist() == ["vic@example.com", "v@x.io", "ana@example.com", "vic@example.com"]
    assert log["rows"].tolist() == [3, 3, 3, 3] and log["subject"].iloc[0] == "tier-top"
    assert [json.loads(d)["contacts"] for d in log["detail"]] == [False, True, True, False]


def test_a_viewer_bound_to_a_manager_sees_and_exports_only_their_accounts(people: Store) -> None:
    kim = Principal.of("kim@example.com", "viewer", manager="AM01")
    frame = pd.DataFrame({"customer_id": ["C1", "C2", "C3"]})
    rows = _rows(export.customer_file(people, frame, kim, "csv", subject="all", at=NOW))
    assert [r["customer_id"] for r in rows] == ["C1", "C3"]
    scoped = kim.scope(Filters.of(regions=["Korea", "USA"]))
    assert scoped == Filters(regions=("Korea", "USA"), account_managers=("AM01",)) and scoped.active
    k = overview.kpis(people, date(2026, 3, 31), kim.scope(Filters()), 365).current
    assert (k.customers, k.revenue) == (2, 100 + 300 + 900)
    assert overview.kpis(people, date(2026, 3, 31), Filters(), 365).current.customers == 3
    assert ANALYST.scope(Filters()) == Filters()


def test_contacts_are_masked_for_viewers_in_previews(people: Store) -> None:
    frame = pd.DataFrame({"customer_id": ["C1", "C2"]})
    masked = export.contact_preview(people, frame, VIEWER).set_index("customer_id")
    assert masked.loc["C1", "name"] == "김**" and masked.loc["C2", "name"] == "J*** D**"
    assert masked.loc["C1", "email"] == "m***@example.kr" and masked.loc["C1", "phone"] == "***-****-5678"
    assert masked.loc["C2", "phone"] == "+* (***) ***-9999"
    clear = export.contact_preview(people, frame, ANALYST).set_index("customer_id")
    assert clear.loc["C1", "name"] == "김민준" and clear.loc["C2", "email"] == "jane@example.com"


# --- injection strings through every input -----------------------------------------------------

@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_strings_in_every_filter_are_plain_values(people: Store, evil: str) -> None:
    for dim in ("regions", "channels", "customer_types", "account_managers"):
        k = overview.kpis(people, date(2026, 3, 31), Filters.of(**{dim: [evil]}), 365).current
        assert k.customers == 0
    assert people.table_counts()["customers"] == 3 and people.table_counts()["transactions"] == 4


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_strings_as_headers_mappings_and_file_names_are_data(people: Store, tmp_path: Path,
                                                                       evil: str) -> None:
    path = tmp_path / "upload.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:  # the evil string as a header and as a value
        w = csv.writer(fh)
        w.writerow(["customer_id", "date", "amount", evil])
        w.writerow(["C1", "2026-01-05", "10.5", evil])
        w.writerow(["C2", "2026-02-06", "20", evil])
    res = ingest.load_file(people, path, "transactions", now=NOW, actor=ANALYST, file_name=evil + ".csv",
                           mapping={evil: ""})
    assert res.status == "loaded" and res.rows_loaded == 2
    hist = ingest.history(people)
    assert hist["file_name"].iloc[0] == evil + ".csv"
    assert audit.entries(people, ADMIN)["subject"].iloc[0] == evil + ".csv"
    extra = people.rows("SELECT data FROM ingest_extra WHERE ingest_id = ?", [res.ingest_id])
    assert [json.loads(d) for (d,) in extra] == [[evil], [evil]]
    with pytest.raises(IngestError) as err:  # a mapping *target* must be a canonical column
        ingest.load_file(people, _tx_file(tmp_path, "two.csv"), "transactions", now=NOW, actor=ANALYST,
                         mapping={"amount": evil})
    assert err.value.params["problem"] == "unknown_target"
    assert people.table_counts()["transactions"] == 6 and people.table_counts()["customers"] == 3


# --- the command line -------------------------------------------------------------------------

def test_cli_checks_a_roles_file_and_prints_the_audit_log(people: Store, tmp_path: Path) -> None:
    roles = tmp_path / "roles.toml"
    roles.write_text(ROLES, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "crm_core", "roles-check", str(roles), "--email", "x@corp.example",
                          "--claim", "groups=crm-analysts"], capture_output=True, text=True, cwd=REPO, check=True)
    doc = json.loads(out.stdout)
    assert doc["role"] == "analyst" and "upload" in doc["rights"] and doc["users"] == 2
    bad = tmp_path / "bad.toml"
    bad.write_text('[users."a@b.c"]\nrole = "owner"\n', encoding="utf-8")
    fail = subprocess.run([sys.executable, "-m", "crm_core", "roles-check", str(bad)], capture_output=True, text=True,
                          cwd=REPO)
    assert fail.returncode != 0 and "owner" in fail.stderr
    audit.log(people, ANALYST, "export", at=NOW, subject="list", rows=3)
    out = subprocess.run([sys.executable, "-m", "crm_core", "audit", "--db", str(people.path), "--json"],
                         capture_output=True, text=True, cwd=REPO, check=True)
    assert [(e["actor"], e["action"], e["rows"]) for e in json.loads(out.stdout)] == [("ana@example.com", "export", 3)]
