"""Settings-page sessions (``open_session``): the host's one-time JWT exchanged for the caller's
identity and tenant; its jti is spent, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plugin.security.tokens import Identity, TokenError
from plugin.services.sessions import TokenReused, UnknownInstallation, open_session
from plugin.store.limits import NotStorable
from plugin.store.records import TenantRecord
from tests.support import host_token, new_webhook_secret
from tests.unit.fakes import FakeUnitOfWork, install_tenant

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
APP_ID = "sla-plugin"
APP_SECRET = new_webhook_secret()


@pytest.fixture
def tenant(uow: FakeUnitOfWork) -> TenantRecord:
    return install_tenant(uow)


def token(account_id: str = "acme", **claims: Any) -> str:
    return host_token(APP_SECRET, account_id, now=NOW, **claims)


def test_a_host_token_opens_a_session_for_its_user_and_tenant(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    commits = uow.committed

    identity, found = open_session(uow, token(role="agent", user="bob"), APP_ID, APP_SECRET, NOW)

    assert (identity, found) == (Identity("acme", "bob", "agent"), tenant)
    assert uow.committed == commits + 1  # the jti is spent


def test_a_host_token_is_exchanged_only_once(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    once = token()
    open_session(uow, once, APP_ID, APP_SECRET, NOW)

    with pytest.raises(TokenReused, match="already used"):
        open_session(uow, once, APP_ID, APP_SECRET, NOW + timedelta(minutes=1))


def test_two_tokens_of_one_user_each_open_a_session(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    open_session(uow, token(), APP_ID, APP_SECRET, NOW)
    open_session(uow, token(), APP_ID, APP_SECRET, NOW)


def test_a_token_for_an_account_not_installed_is_refused_and_not_spent(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    early = token("globex")
    with pytest.raises(UnknownInstallation, match="'globex'"):
        open_session(uow, early, APP_ID, APP_SECRET, NOW)

    install_tenant(uow, "globex")
    assert open_session(uow, early, APP_ID, APP_SECRET, NOW)[0].account_id == "globex"


@pytest.mark.parametrize(("claims", "secret", "reason"), [
    ({}, new_webhook_secret(), "token signature does not verify"),
    ({"aud": "another-app"}, APP_SECRET, "token is not meant for this app"),
    ({"jti": None}, APP_SECRET, "token lacks the 'jti' claim"),
    ({"role": "owner"}, APP_SECRET, "token role must be 'admin' or 'agent'"),
])
def test_an_unacceptable_token_is_refused_and_nothing_is_spent(
    uow: FakeUnitOfWork, tenant: TenantRecord, claims: dict[str, Any], secret: str, reason: str
) -> None:
    commits = uow.committed
    with pytest.raises(TokenError, match=reason):
        open_session(uow, host_token(secret, "acme", now=NOW, **claims), APP_ID, APP_SECRET, NOW)
    assert uow.committed == commits


def test_an_expired_token_is_refused(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    with pytest.raises(TokenError, match="token expired"):
        open_session(uow, token(), APP_ID, APP_SECRET, NOW + timedelta(minutes=5))


def test_a_jti_the_store_cannot_hold_is_refused(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    with pytest.raises(NotStorable, match="token jti: must be at most 200 characters"):
        open_session(uow, token(jti="j" * 201), APP_ID, APP_SECRET, NOW)
