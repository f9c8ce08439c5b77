"""Fixtures of the service unit tests: an empty in-memory unit of work (``tests/unit/fakes.py``)."""

from __future__ import annotations

import pytest

from tests.unit.fakes import FakeUnitOfWork


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()
