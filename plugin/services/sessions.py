"""Settings-page sessions: the host's one-time JWT exchanged for the caller's identity, and the
short-lived session token the page's scripts (or any API client) then send as a bearer token."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from plugin.security.tokens import Identity, issue_session_token, verify_host_token
from plugin.store.records import TenantRecord

from .unit_of_work import UnitOfWork


class UnknownInstallation(LookupError):
    """No installation for the account a token names."""


class TokenReused(ValueError):
    """A host token's jti was exchanged before."""


@dataclass(frozen=True)
class AppIdentity:
    """What the plugin signs and checks tokens with (design.md §4: the app id and the app secret)."""

    app_id: str
    app_secret: str
    session_ttl_seconds: int


@dataclass(frozen=True)
class Session:
    access_token: str
    expires_in: int  # seconds
    identity: Identity  # with the installation the session is tied to
    tenant: TenantRecord


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


def exchange_host_token(uow: UnitOfWork, token: str, app: AppIdentity, now: datetime) -> Session:
    """The host's one-time JWT for a session token tied to the account's current installation."""
    identity, tenant = open_session(uow, token, app.app_id, app.app_secret, now)
    identity = replace(identity, installation=tenant.installation)
    access_token = issue_session_token(identity, app.app_id, app.app_secret, now, app.session_ttl_seconds)
    return Session(access_token, app.session_ttl_seconds, identity, tenant)
