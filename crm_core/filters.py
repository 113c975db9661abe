"""Global customer filters (region, channel, customer type, account manager) as bound SQL parameters.

``account_managers`` is not a sidebar filter: it is how a viewer bound to one account
manager (see :mod:`crm_core.access.auth`) sees only that manager's customers everywhere.
``customers`` is not one either: it narrows every computation to the given customer ids,
e.g. one customer's lifecycle or risk signals on the Customer 360 screen (``Filters.one``).

A filter never becomes SQL text: the SQL files test ``len($regions) = 0 OR
list_contains($regions, region)`` and the values are bound. Filters are frozen and
hashable so they can be cache keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from crm_core.errors import InvalidParameterError

__all__ = ["Filters", "FILTER_DIMENSIONS"]

#: Dimension name -> column of ``stg_customers`` (the allow-list).
FILTER_DIMENSIONS: dict[str, str] = {"regions": "region", "channels": "channel", "customer_types": "customer_type",
                                     "account_managers": "account_manager", "customers": "customer_id"}

_MAX_VALUES = 1000
_MAX_LEN = 200


def _clean(values: Iterable[Any] | None, name: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    out = []
    for v in values:
        if not isinstance(v, str) or len(v) > _MAX_LEN:
            raise InvalidParameterError(f"invalid {name} filter value: {v!r}", name=name, value=str(v)[:50])
        out.append(v)
    if len(out) > _MAX_VALUES:
        raise InvalidParameterError(f"too many {name} filter values", name=name, value=len(out))
    return tuple(sorted(set(out)))


@dataclass(frozen=True)
class Filters:
    """Which customers to include; an empty tuple means "all"."""

    regions: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    customer_types: tuple[str, ...] = ()
    account_managers: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()

    @classmethod
    def of(cls, regions: Iterable[str] | None = None, channels: Iterable[str] | None = None,
           customer_types: Iterable[str] | None = None, account_managers: Iterable[str] | None = None) -> "Filters":
        return cls(_clean(regions, "regions"), _clean(channels, "channels"), _clean(customer_types, "customer_types"),
                   _clean(account_managers, "account_managers"))

    def one(self, customer_id: str) -> "Filters":
        """These filters narrowed to one customer (who may still fall outside them)."""
        return replace(self, customers=_clean([customer_id], "customers"))

    @property
    def active(self) -> bool:
        return bool(self.regions or self.channels or self.customer_types or self.account_managers or self.customers)

    def params(self) -> dict[str, list[str]]:
        """Bound parameters: ``$regions``, ``$channels``, ``$customer_types``, ``$account_managers``, ``$customers``."""
        return {"regions": list(self.regions), "channels": list(self.channels),
                "customer_types": list(self.customer_types), "account_managers": list(self.account_managers),
                "customers": list(self.customers)}
