"""Settings-page sessions: the host's one-time JWT exchanged for the caller's identity."""

from __future__ import annotations

from datetime import datetime

from plugin.security.tokens import Identity, verify_host_token
from plugin.store.records import TenantRecord

from .unit_of_work import UnitOfWork


class UnknownInstallation(LookupError):
    """No installation for the account a token names."""


class TokenReused(ValueError):
    """A host token's jti was exchanged before."""


def open_session(uow: UnitOfWork, token: str, app_id: str, app_secret: str,
                 now: datetime) -> tuple[Identity, TenantRecord]:
    """Verify a host token and spend its jti; the account must be installed."""
    identity, jti, expires = verify_host_token(token, app_id, app_secret, now)
    with uow:
        tenant = uow.tenants.by_account(identity.account_id)
        if tenant is None:
            raise UnknownInstallation(f"no installation for account {identity.account_id!r}")
        if not uow.token_ids.use_once(jti, expires, now):
            raise TokenReused("this token was already used; open the settings page again for a new one")
        uow.commit()
    return identity, tenant
