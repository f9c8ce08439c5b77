"""Which settings version is in force: for the tenant now (``settings_in_force``), and for each of
its tickets (``version_for_ticket``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plugin.services.settings_changes import SettingsChange, replace_settings
from plugin.services.settings_versions import empty_document, settings_in_force, version_for_ticket
from plugin.store.records import VersionMeta
from tests.unit.fakes import FakeUnitOfWork, as_read, example_settings, install_tenant

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def meta(version: int, apply_to: str = "open_tickets") -> VersionMeta:
    return VersionMeta(100 + version, version, apply_to, NOW)


def test_a_tenant_without_settings_is_at_version_zero_with_the_empty_document_in_its_zone() -> None:
    uow = FakeUnitOfWork()
    tenant = install_tenant(uow, timezone="Europe/Istanbul")

    with uow:
        version, document, settings = settings_in_force(uow, tenant)

    assert (version, document) == (0, empty_document("Europe/Istanbul"))
    assert document == {"timezone": "Europe/Istanbul", "calendars": [], "prioritization_rules": [],
                        "sla_policies": []}
    assert (settings.timezone, settings.rules, settings.policies) == ("Europe/Istanbul", (), ())


def test_the_newest_version_is_in_force_whatever_it_applies_to() -> None:
    uow = FakeUnitOfWork()
    tenant = install_tenant(uow)
    replace_settings(uow, tenant, example_settings(), SettingsChange("ada", NOW))
    newer = example_settings() | {"timezone": "Europe/Berlin"}
    replace_settings(uow, tenant, newer, SettingsChange("ada", NOW, "new_tickets"))

    with uow:
        version, document, settings = settings_in_force(uow, tenant)

    assert (version, document, settings.timezone) == (2, as_read(newer), "Europe/Berlin")


def test_a_tenant_sees_only_its_own_versions() -> None:
    uow = FakeUnitOfWork()
    acme, globex = install_tenant(uow, "acme"), install_tenant(uow, "globex")
    replace_settings(uow, acme, example_settings(), SettingsChange("ada", NOW))

    with uow:
        assert settings_in_force(uow, globex)[0] == 0


@pytest.mark.parametrize(("candidates", "pinned", "governing"), [
    ([], None, None),
    ([], 3, None),
    ([meta(1)], None, 1),  # a new ticket: the newest
    ([meta(1), meta(2, "new_tickets")], None, 2),
    ([meta(1), meta(2, "new_tickets")], 1, 1),  # kept on its version: the newer one is for new tickets only
    ([meta(1), meta(3), meta(4, "new_tickets")], 1, 3),  # a newer one for open tickets too moves it
    ([meta(2), meta(3, "new_tickets"), meta(4, "new_tickets")], 3, 3),  # on a version newer than the last for open
    ([meta(2), meta(3)], 3, 3),
    ([meta(2, "new_tickets")], 2, 2),
])
def test_the_version_that_governs_a_ticket(candidates: list[VersionMeta], pinned: int | None,
                                           governing: int | None) -> None:
    found = version_for_ticket(candidates, pinned)
    assert (found.version if found else None) == governing


def test_a_ticket_evaluated_with_no_settings_is_not_moved_by_a_version_for_new_tickets_only() -> None:
    assert version_for_ticket([meta(1, "new_tickets")], 0) is None
