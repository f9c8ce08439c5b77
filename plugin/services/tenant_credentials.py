"""Tenants' webhook credentials, remembered by each process.

Reading them is a round trip on every webhook, and they change only when a tenant is reinstalled or
uninstalled. A remembered entry is never trusted alone: the webhook's write goes through only while
the tenant's row still holds the same sealed secret (``handle_webhook``), and the caller forgets
the entry and reads it afresh when that fails, or when a signature does not verify with it.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from plugin.security.secrets import SecretBox, SecretUnreadable
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


class StoredSecretsUnreadable(RuntimeError):
    """The configured encryption key does not open the secrets already stored."""


def check_stored_secrets_open(uow: UnitOfWork, box: SecretBox) -> None:
    """Refuse to start with an encryption key that is not the one the stored secrets were sealed
    with: every webhook of every tenant would fail to verify."""
    with uow:
        newest = uow.tenants.newest_sealed_secret()
    if newest is None:
        return
    account_id, sealed = newest
    try:
        box.open(sealed)
    except SecretUnreadable:
        raise StoredSecretsUnreadable(
            f"SLA_ENCRYPTION_KEY: does not open the secrets stored for account {account_id!r} (and the others "
            "sealed with the same key); start with the key they were sealed with") from None
