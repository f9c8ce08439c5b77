"""Fixtures of the service unit tests: an empty in-memory unit of work (``tests/unit/fakes.py``)."""

from __future__ import annotations

import pytest

from plugin.store.records import TenantCredentials
from tests.unit.fakes import FakeTenants, FakeUnitOfWork


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The accounts whose credentials were read from the store, in order."""
    reads: list[str] = []
    read = FakeTenants.credentials

    def counted(tenants: FakeTenants, account_id: str) -> TenantCredentials | None:
        reads.append(account_id)
        return read(tenants, account_id)

    monkeypatch.setattr(FakeTenants, "credentials", counted)
    return reads
