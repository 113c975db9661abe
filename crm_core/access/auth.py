"""Who may do what: roles, the roles file, and the checks every write function makes.

Three roles, each with the rights of the one before: ``viewer`` (dashboards and exports),
``analyst`` (+ uploads, rollbacks, customers' contact fields), ``admin`` (+ users and the
audit log). A :class:`Principal` is the signed-in user with their role; functions that
change data take one and call :meth:`Principal.require`, so calling them directly
refuses just as the app's menu does.

The roles file (TOML, ``CRM_ROLES`` or ``.streamlit/roles.toml``) maps people to roles::

    [settings]
    claim = "groups"                 # identity-provider claim with group/role names (optional)
    default_role = ""                # role of signed-in users not listed; "" refuses them
    viewers_see_contacts = false     # viewers see names, e-mails, phones unmasked
    viewers_export_contacts = false  # viewers' exports carry contact fields

    [claims]                         # claim value -> role (the highest wins)
    "crm-admins" = "admin"

    [domains]                        # e-mail domain -> role
    "example.com" = "viewer"

    [users."kim@example.com"]        # one person (wins over claims and domains)
    role = "viewer"
    manager = "AM03"                 # a viewer bound to one account manager's customers

Order: the user's own entry, else the claim, else the domain, else ``default_role``,
else refused. An e-mail the identity provider marks unverified is not used for matching.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crm_core.errors import AccessDeniedError, RolesFileError
from crm_core.filters import Filters

__all__ = ["ROLES", "ACTIONS", "Principal", "Rules", "UserRule", "load_rules", "save_rules", "rules_to_toml",
           "resolve", "mask_name", "mask_email", "mask_phone", "mask_contacts"]

ROLES: tuple[str, ...] = ("viewer", "analyst", "admin")
#: Action -> the least role allowed it (before the viewer settings in the roles file).
ACTIONS: dict[str, str] = {
    "view": "viewer",
    "export": "viewer",
    "see_contacts": "analyst",
    "export_contacts": "analyst",
    "upload": "analyst",
    "manage_data": "analyst",
    "read_audit": "admin",
    "manage_users": "admin",
}
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
_MANAGER = re.compile(r"^[\w.\- ]{1,64}$")


def _rank(role: str) -> int:
    return ROLES.index(role)


@dataclass(frozen=True)
class Principal:
    """A user and what they may do. ``manager`` binds a viewer to one account manager's customers."""

    user: str
    role: str
    grants: frozenset[str]
    manager: str | None = None
    local: bool = False
    name: str | None = None

    @classmethod
    def of(cls, user: str, role: str, *, manager: str | None = None, viewers_see_contacts: bool = False,
           viewers_export_contacts: bool = False, name: str | None = None) -> "Principal":
        if role not in ROLES:
            raise RolesFileError(f"unknown role {role!r} (one of {', '.join(ROLES)})", problem="role", value=role)
        grants = {a for a, least in ACTIONS.items() if _rank(role) >= _rank(least)}
        if role == "viewer" and viewers_see_contacts:
            grants.add("see_contacts")
        if role == "viewer" and viewers_export_contacts:
            grants.add("export_contacts")
        return cls(user, role, frozenset(grants), manager, False, name)

    @classmethod
    def local_user(cls, user: str) -> "Principal":
        """Local mode (no identity provider): one user on this computer with every right."""
        return cls(user, "admin", frozenset(ACTIONS), None, True, user)

    def can(self, action: str) -> bool:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        return action in self.grants

    def require(self, action: str) -> None:
        """Raise :class:`AccessDeniedError` unless this user may ``action``."""
        if not self.can(action):
            raise AccessDeniedError(f"{self.user} ({self.role}) may not {action}", action=action, role=self.role,
                                    user=self.user)

    def scope(self, filters: Filters) -> Filters:
        """The filters with this user's account-manager binding added (nothing else changes)."""
        if self.manager is None:
            return filters
        return replace(filters, account_managers=(self.manager,))


@dataclass(frozen=True)
class UserRule:
    role: str
    manager: str | None = None


@dataclass(frozen=True)
class Rules:
    """The roles file, validated."""

    users: Mapping[str, UserRule] = field(default_factory=dict)
    claim: str | None = None
    claims: Mapping[str, str] = field(default_factory=dict)
    domains: Mapping[str, str] = field(default_factory=dict)
    default_role: str | None = None
    viewers_see_contacts: bool = False
    viewers_export_contacts: bool = False

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> "Rules":
        unknown = set(doc) - {"settings", "claims", "domains", "users"}
        if unknown:
            raise RolesFileError(f"unknown section(s) {sorted(unknown)}", problem="section", value=sorted(unknown)[0])
        settings = dict(doc.get("settings", {}))
        bad = set(settings) - {"claim", "default_role", "viewers_see_contacts", "viewers_export_contacts"}
        if bad:
            raise RolesFileError(f"unknown setting(s) {sorted(bad)}", problem="setting", value=sorted(bad)[0])
        for key in ("viewers_see_contacts", "viewers_export_contacts"):
            if not isinstance(settings.get(key, False), bool):
                raise RolesFileError(f"{key} must be true or false", problem="setting", value=key)
        default = settings.get("default_role") or None
        claims = {str(k): _role(v, f"claims.{k}") for k, v in dict(doc.get("claims", {})).items()}
        domains = {str(k).lower().lstrip("@"): _role(v, f"domains.{k}") for k, v in dict(doc.get("domains", {})).items()}
        return cls(users=_users(doc.get("users", {}).items()), claim=settings.get("claim") or None, claims=claims,
                   domains=domains, default_role=None if default is None else _role(default, "default_role"),
                   viewers_see_contacts=settings.get("viewers_see_contacts", False),
                   viewers_export_contacts=settings.get("viewers_export_contacts", False))

    def with_users(self, rows: Iterable[Mapping[str, Any]]) -> "Rules":
        """These rules with the user entries replaced by ``rows`` (``email``, ``role``, ``manager``)."""
        entries = []
        for i, row in enumerate(rows, start=1):
            email = str(row.get("email") or "").strip()
            if not email:
                continue
            manager = row.get("manager")
            manager = str(manager).strip() if manager is not None and str(manager).strip() not in ("", "nan", "None") else None
            entries.append((email, {"role": row.get("role"), **({"manager": manager} if manager else {}), "_row": i}))
        return replace(self, users=_users(entries))

    def principal(self, user: str, role: str, manager: str | None = None, name: str | None = None) -> Principal:
        return Principal.of(user, role, manager=manager, viewers_see_contacts=self.viewers_see_contacts,
                            viewers_export_contacts=self.viewers_export_contacts, name=name)


def _role(value: Any, where: str) -> str:
    if value not in ROLES:
        raise RolesFileError(f"{where}: unknown role {value!r} (one of {', '.join(ROLES)})", problem="role",
                             value=str(value)[:50], where=where)
    return str(value)


def _users(items: Iterable[tuple[str, Any]]) -> dict[str, UserRule]:
    out: dict[str, UserRule] = {}
    for email, entry in items:
        key = str(email).strip().lower()
        where = f"users.{email}"
        if not _EMAIL.match(key):
            raise RolesFileError(f"{where}: not an e-mail address", problem="email", value=str(email)[:50], where=where)
        if key in out:
            raise RolesFileError(f"{where}: listed twice", problem="duplicate", value=key, where=where)
        if not isinstance(entry, Mapping):
            raise RolesFileError(f"{where}: expected role = ...", problem="entry", value=key, where=where)
        bad = set(entry) - {"role", "manager", "_row"}
        if bad:
            raise RolesFileError(f"{where}: unknown key(s) {sorted(bad)}", problem="setting", value=sorted(bad)[0],
                                 where=where)
        role = _role(entry.get("role"), where)
        manager = entry.get("manager")
        if manager is not None:
            if role != "viewer":
                raise RolesFileError(f"{where}: only a viewer can be bound to an account manager", problem="manager_role",
                                     value=key, where=where)
            if not isinstance(manager, str) or not _MANAGER.match(manager):
                raise RolesFileError(f"{where}: invalid account manager {manager!r}", problem="manager",
                                     value=str(manager)[:50], where=where)
        out[key] = UserRule(role, manager)
    return out


def load_rules(path: str | os.PathLike[str]) -> Rules:
    """Read and validate the roles file; any problem is a :class:`RolesFileError`."""
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RolesFileError(f"no roles file at {p}", problem="missing", value=str(p)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RolesFileError(f"{p}: {exc}", problem="syntax", value=str(exc)[:120]) from None
    return Rules.from_dict(doc)


def _toml_str(value: str) -> str:
    """A TOML basic string: quotes and backslashes escaped, control characters as ``\\uXXXX``."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def rules_to_toml(rules: Rules) -> str:
    """The roles file for ``rules`` (what :func:`load_rules` reads back as equal rules)."""
    lines = ["# Roles for the CRM dashboard (see crm_core/access/auth.py). Written by the Admin page.", "", "[settings]"]
    if rules.claim:
        lines.append(f"claim = {_toml_str(rules.claim)}")
    lines.append(f"default_role = {_toml_str(rules.default_role or '')}")
    lines.append(f"viewers_see_contacts = {str(rules.viewers_see_contacts).lower()}")
    lines.append(f"viewers_export_contacts = {str(rules.viewers_export_contacts).lower()}")
    for section, table in (("claims", rules.claims), ("domains", rules.domains)):
        lines += ["", f"[{section}]", *(f"{_toml_str(k)} = {_toml_str(v)}" for k, v in sorted(table.items()))]
    for email, rule in sorted(rules.users.items()):
        lines += ["", f"[users.{_toml_str(email)}]", f"role = {_toml_str(rule.role)}"]
        if rule.manager:
            lines.append(f"manager = {_toml_str(rule.manager)}")
    return "\n".join(lines) + "\n"


def save_rules(path: str | os.PathLike[str], rules: Rules, actor: Principal) -> None:
    """Write the roles file (admins only), atomically: a reader sees the old or the new file."""
    actor.require("manage_users")
    text = rules_to_toml(rules)
    if Rules.from_dict(tomllib.loads(text)) != rules:  # never write a file that reads back differently
        raise RolesFileError("the roles would not read back as written", problem="roundtrip", value=str(path))
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, p)


def _claim_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v for v in re.split(r"[,\s]+", value) if v]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return []


def resolve(rules: Rules, claims: Mapping[str, Any]) -> Principal:
    """The principal for an identity provider's claims (``email``, ``sub``, the role claim)."""
    email = str(claims.get("email") or "").strip().lower()
    if claims.get("email_verified") is False:
        email = ""
    user = email or str(claims.get("sub") or "")
    if not user:
        raise AccessDeniedError("the identity provider sent neither e-mail nor subject", action="sign_in", role="",
                                user="")
    name = str(claims.get("name") or user)
    if email and email in rules.users:
        rule = rules.users[email]
        return rules.principal(user, rule.role, rule.manager, name)
    role: str | None = None
    if rules.claim:
        matched = [rules.claims[v] for v in _claim_values(claims.get(rules.claim)) if v in rules.claims]
        if matched:
            role = max(matched, key=_rank)
    if role is None and email:
        role = rules.domains.get(email.rsplit("@", 1)[-1])
    role = role or rules.default_role
    if role is None:
        raise AccessDeniedError(f"{user} is not in the roles file", action="sign_in", role="", user=user)
    return rules.principal(user, role, None, name)


def mask_name(value: Any) -> Any:
    """``김민준`` -> ``김**``, ``Jane Doe`` -> ``J*** D**``: enough to recognise, not to contact."""
    if not isinstance(value, str) or not value:
        return value
    return " ".join(w[:1] + "*" * max(len(w) - 1, 1) for w in value.split())


def mask_email(value: Any) -> Any:
    """``jane.doe@example.com`` -> ``j***@example.com``."""
    if not isinstance(value, str) or "@" not in value:
        return mask_name(value)
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(value: Any) -> Any:
    """Every digit but the last four becomes ``*``."""
    if not isinstance(value, str):
        return value
    digits = sum(ch.isdigit() for ch in value)
    seen, out = 0, []
    for ch in value:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > digits - 4 else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_contacts(df: Any, principal: Principal) -> Any:
    """A copy of a customer frame with name, e-mail and phone masked unless ``principal`` may see them."""
    if principal.can("see_contacts"):
        return df
    out = df.copy()
    for col, fn in (("name", mask_name), ("email", mask_email), ("phone", mask_phone)):
        if col in out.columns:
            out[col] = [fn(v) for v in out[col].astype(object)]
    return out
