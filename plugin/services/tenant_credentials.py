"""Tenants' webhook credentials, remembered by each process.

Reading them is a round trip on every webhook, and they change only when a tenant is reinstalled or
uninstalled. A remembered entry is never trusted alone: the webhook's write goes through only while
the tenant's row still holds the same sealed secret (``handle_webhook``), and the caller forgets
the entry and reads it afresh when that fails, or when a signature does not verify with it.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from plugin.store.records import TenantCredentials

from .unit_of_work import UnitOfWork


class RememberedCredentials:
    def __init__(self, limit: int = 4096) -> None:
        self._limit = limit
        self._known: OrderedDict[str, TenantCredentials] = OrderedDict()
        self._lock = Lock()

    def lookup(self, uow: UnitOfWork, account_id: str, *, remembered: bool = True) -> TenantCredentials | None:
        """The account's credentials: remembered ones if allowed and known, else read from the database."""
        if remembered:
            with self._lock:
                known = self._known.get(account_id)
            if known is not None:
                return known
        found = uow.tenants.credentials(account_id)
        with self._lock:
            if found is None:
                self._known.pop(account_id, None)
            else:
                self._known[account_id] = found
                self._known.move_to_end(account_id)
                if len(self._known) > self._limit:
                    self._known.popitem(last=False)
        return found

    def knows(self, account_id: str) -> bool:
        return account_id in self._known

    def forget(self, account_id: str) -> None:
        with self._lock:
            self._known.pop(account_id, None)
