"""Sign-in for the app: Streamlit's OpenID Connect (``st.login``) plus the roles file.

* No ``[auth]`` section in ``.streamlit/secrets.toml``: **local mode**, one local user with
  every right, served on 127.0.0.1 only (any other address is refused unless
  ``CRM_ALLOW_REMOTE_LOCAL=1``) and answering to loopback host names only (``localhost``,
  ``127.0.0.1``, ``[::1]``, plus ``CRM_ALLOWED_HOSTS``: a foreign name resolving here, as in
  DNS rebinding, is refused), and the sidebar says so.
* ``[auth]`` present: fails closed. The identity provider must answer, the roles file
  (``CRM_ROLES``, else ``.streamlit/roles.toml``) must be valid, the user must be signed in
  and listed (by e-mail, claim, domain or the default role); otherwise a clear message
  and nothing else.

:func:`gate` runs in every script run, from the router, after the pages are registered
(hidden) and before anything is drawn; pages then call :func:`require` for their own right,
so a page opened by URL checks again.
"""

from __future__ import annotations

import getpass
import json
import os
import threading
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import streamlit as st

from crm_core.access import audit, auth
from crm_core.access.auth import Principal
from crm_core.errors import AccessDeniedError, CrmError, RolesFileError

from .session import REPO, plain, resolve_db_path, tr

__all__ = ["gate", "principal", "require", "account_box", "roles_path", "auth_config", "now", "allowed_hosts"]

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_KEY = "_principal"
_SIGNED_IN: set[tuple[str, object]] = set()
_LOCK = threading.Lock()
_ADDRESS_OPTION = "server.address"


def now() -> datetime:
    """The server's wall clock (local time), as the upload page and the CLI record it."""
    return datetime.now()


def roles_path() -> Path:
    env = os.environ.get("CRM_ROLES")
    return Path(env).expanduser().resolve() if env else REPO / ".streamlit" / "roles.toml"


def auth_config() -> dict[str, Any] | None:
    """The ``[auth]`` secrets section, or None (local mode)."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets file at all
        return None
    return dict(section) if section else None


@st.cache_data(ttl=15, show_spinner=False)
def _provider_answer(url: str) -> str | None:
    """None if the provider's metadata is reachable and well-formed, else the reason."""
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:  # noqa: S310 (the admin's own configuration)
            doc = json.loads(resp.read(1_000_000))
        return None if "authorization_endpoint" in doc else "no authorization_endpoint"
    except (OSError, ValueError) as exc:
        return str(exc)[:200]


@st.cache_data(show_spinner=False)
def _rules(path: str, mtime: float) -> auth.Rules:
    return auth.load_rules(path)


def _stop_with(message: str, icon: str = ":material/lock:") -> None:
    st.error(message, icon=icon)
    st.stop()


def _request_host() -> str:
    """The host name the browser asked for (the Host header without its port), "" if unknown."""
    try:
        host = str(st.context.headers.get("Host") or "")
    except Exception:  # noqa: BLE001 - no request context (tests, bare script runs)
        return ""
    host = host.strip().lower()
    if host.startswith("["):                       # [::1]:8501
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def allowed_hosts() -> set[str]:
    """Host names local mode answers to: loopback, plus ``CRM_ALLOWED_HOSTS`` (comma-separated)."""
    extra = {h.strip().lower() for h in os.environ.get("CRM_ALLOWED_HOSTS", "").split(",") if h.strip()}
    return _LOOPBACK | extra


def _local() -> Principal:
    address = str(st.get_option(_ADDRESS_OPTION) or "")
    remote_ok = os.environ.get("CRM_ALLOW_REMOTE_LOCAL") == "1"
    if address not in _LOOPBACK and not remote_ok:
        _stop_with(tr().t("auth.local_remote_refused", address=plain(address or "0.0.0.0")))
    host = _request_host()
    # A page served under a foreign name that resolves to this computer (DNS rebinding) must
    # not get a session with every right: local mode answers to loopback names only.
    if host and host not in allowed_hosts() and not remote_ok:
        _stop_with(tr().t("auth.local_host_refused", host=plain(host[:80])))
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "local"
    return Principal.local_user(user)


def _signed_in(cfg: dict[str, Any]) -> Principal:
    t = tr()
    url = str(cfg.get("server_metadata_url") or "")
    problem = _provider_answer(url) if url else "server_metadata_url missing"
    if problem is not None:
        _stop_with(t.t("auth.provider_unreachable", url=plain(url), problem=plain(problem)), ":material/cloud_off:")
    path = roles_path()
    try:
        rules = _rules(str(path), path.stat().st_mtime if path.exists() else 0.0)
    except RolesFileError as exc:
        _stop_with(t.t("auth.roles_invalid", path=plain(path), problem=plain(exc)))
    if not st.user.is_logged_in:
        st.title(t.t("app.title"))
        st.write(t.t("auth.sign_in_prompt"))
        st.button(t.t("auth.sign_in"), icon=":material/login:", type="primary", on_click=st.login, key="auth_login")
        st.stop()
    claims = st.user.to_dict()
    try:
        who = auth.resolve(rules, claims)
    except AccessDeniedError as exc:
        st.error(t.t("auth.not_registered", user=plain(exc.params.get("user") or "?")), icon=":material/block:")
        st.button(t.t("auth.sign_out"), icon=":material/logout:", on_click=st.logout, key="auth_logout_denied")
        st.stop()
    return who


def gate() -> Principal:
    """The user of this run, or a sign-in screen / refusal (and stop)."""
    cfg = auth_config()
    who = _local() if cfg is None else _signed_in(cfg)
    st.session_state[_KEY] = who
    if not who.local:
        claims = st.user.to_dict()
        login = (who.user, claims.get("iat") or claims.get("auth_time") or claims.get("nonce"))
        with _LOCK:
            new = login not in _SIGNED_IN
            _SIGNED_IN.add(login)
        if new:  # once per sign-in, not once per browser tab or reload
            _audit(who, "sign_in", None, {"role": who.role, "manager": who.manager})
    return who


def _audit(who: Principal, action: str, subject: str | None, detail: dict[str, Any]) -> None:
    from crm_core.store.connection import Store
    path, _ = resolve_db_path()
    if not path.exists():
        return
    try:
        audit.log(Store(path, busy_timeout=5), who, action, at=now(), subject=subject, detail=detail)
    except CrmError:
        pass  # a busy or read-only database must not lock people out; uploads/exports audit in-transaction


def principal() -> Principal:
    """The user established by :func:`gate` in this session."""
    who = st.session_state.get(_KEY)
    if who is None:
        who = gate()
    return who


def require(action: str) -> Principal:
    """Stop the page with a translated refusal unless the user may ``action``."""
    who = principal()
    if not who.can(action):
        _audit(who, "denied", action, {"page": action})
        _stop_with(tr().t("auth.page_refused", role=tr().t(f"role.{who.role}")))
    return who


def account_box(who: Principal) -> None:
    """Sidebar: who is signed in with which role, and sign-out; or the local-mode notice."""
    t = tr()
    with st.sidebar:
        if who.local:
            st.caption(t.t("auth.local_mode", user=plain(who.user), address=plain(st.get_option(_ADDRESS_OPTION) or "")),
                       help=t.t("auth.local_mode_help"))
            return
        text = t.t("auth.signed_in_as", user=plain(who.user), role=t.t(f"role.{who.role}"))
        if who.manager:
            text += " · " + t.t("auth.bound_to_manager", manager=plain(who.manager))
        st.caption(text)
        st.button(t.t("auth.sign_out"), icon=":material/logout:", on_click=st.logout, key="auth_logout")
