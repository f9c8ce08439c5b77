"""Tenants' webhook credentials as each process remembers them (``RememberedCredentials``)."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from plugin.security.secrets import SecretBox
from plugin.services.tenant_credentials import (
    RememberedCredentials,
    StoredSecretsUnreadable,
    check_stored_secrets_open,
)
from tests.unit.fakes import FakeUnitOfWork, install_tenant


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    for account_id in ("acme", "globex", "initech"):
        install_tenant(uow, account_id)
    return uow


def test_credentials_are_read_once_then_remembered(uow: FakeUnitOfWork, reads: list[str]) -> None:
    credentials = RememberedCredentials()
    with uow:
        first = credentials.lookup(uow, "acme")
        assert credentials.lookup(uow, "acme") == first is not None
    assert reads == ["acme"] and credentials.knows("acme")


def test_fresh_credentials_can_be_asked_for_and_replace_the_remembered_ones(
    uow: FakeUnitOfWork, reads: list[str]
) -> None:
    credentials = RememberedCredentials()
    with uow:
        credentials.lookup(uow, "acme")
        credentials.lookup(uow, "acme", remembered=False)
    assert reads == ["acme", "acme"]


def test_an_account_not_installed_is_not_remembered(uow: FakeUnitOfWork) -> None:
    credentials = RememberedCredentials()
    with uow:
        assert credentials.lookup(uow, "umbrella") is None
    assert not credentials.knows("umbrella")


def test_forgotten_credentials_are_read_again(uow: FakeUnitOfWork, reads: list[str]) -> None:
    credentials = RememberedCredentials()
    with uow:
        credentials.lookup(uow, "acme")
        credentials.forget("acme")
        credentials.lookup(uow, "acme")
    assert reads == ["acme", "acme"]


def test_the_least_recently_read_account_is_forgotten_past_the_limit(uow: FakeUnitOfWork) -> None:
    credentials = RememberedCredentials(limit=2)
    with uow:
        for account_id in ("acme", "globex", "initech"):
            credentials.lookup(uow, account_id)
    assert [credentials.knows(account_id) for account_id in ("acme", "globex", "initech")] == [False, True, True]


# -- start-up: the configured key must open the secrets already stored ---------------------------------


def test_a_key_that_opens_the_stored_secrets_lets_the_plugin_start() -> None:
    box = SecretBox(Fernet.generate_key().decode())
    uow = FakeUnitOfWork()
    check_stored_secrets_open(uow, box)  # no tenant yet: nothing to open
    install_tenant(uow, "acme", sealed_secret=box.seal("whsec_acme"))
    check_stored_secrets_open(uow, box)


def test_a_key_that_does_not_open_them_is_refused_naming_the_setting_and_an_account() -> None:
    uow = FakeUnitOfWork()
    install_tenant(uow, "acme", sealed_secret=SecretBox(Fernet.generate_key().decode()).seal("whsec_acme"))

    with pytest.raises(StoredSecretsUnreadable, match=r"^SLA_ENCRYPTION_KEY: does not open the secrets stored for "
                                                       r"account 'acme'"):
        check_stored_secrets_open(uow, SecretBox(Fernet.generate_key().decode()))
