"""Changing a tenant's settings: every change a new version of the whole document, validated whole,
saved with who made it and when, and applied to the open tickets unless it is for new tickets only."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest

from plugin.domain.engine import TargetState
from plugin.host.commands import CommandKind
from plugin.services.processing import process_inbox_batch
from plugin.services.settings_changes import (
    DuplicateId,
    ItemInUse,
    ItemNotFound,
    SettingsChange,
    SettingsChanged,
    StaleSettings,
    create_item,
    delete_item,
    reorder_rules,
    replace_item,
    replace_settings,
)
from plugin.services.settings_versions import settings_in_force
from plugin.settings.loading import SettingsError
from plugin.store.errors import Conflict
from plugin.store.records import TenantRecord, TicketRecord, VersionEntry
from tests.unit.fakes import (
    FakeSettingsVersions,
    FakeUnitOfWork,
    as_read,
    created,
    deliver,
    example_settings,
    install_tenant,
    message,
    without_tag_state,
)

NOW = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
CHANGE = SettingsChange("ada", NOW)
POLICY = "orange-email-urgent"
RULES, POLICIES, CALENDARS = "prioritization_rules", "sla_policies", "calendars"
CALENDAR = {"id": "office", "name": "Office", "timezone": "Europe/Istanbul", "hours": {"mon": [["09:00", "18:00"]]}}
VIP_RULE = {"id": "vip", "product": "Orange", "channel": "email", "priority": "high",
            "conditions": [{"field": "tags", "op": "in", "value": ["vip"]}]}


@pytest.fixture
def tenant(uow: FakeUnitOfWork) -> TenantRecord:
    """A tenant on the worked example's settings (version 1): urgent Orange email, 30 minutes."""
    tenant = install_tenant(uow)
    replace_settings(uow, tenant, example_settings(), CHANGE)
    return tenant


def in_force(uow: FakeUnitOfWork, tenant: TenantRecord) -> tuple[int, dict[str, Any]]:
    with uow:
        version, document, _settings = settings_in_force(uow, tenant)
    return version, document


def with_minutes(minutes: int) -> dict[str, Any]:
    document = example_settings()
    document[POLICIES][0]["targets"][0]["minutes"] = minutes
    return document


def open_ticket(uow: FakeUnitOfWork, tenant: TenantRecord, ticket_id: str = "T-1", at: str = "2026-03-02T09:00:00Z",
                **described: Any) -> None:
    deliver(uow, tenant, created(ticket_id, at, **described), received_at=NOW)
    process_inbox_batch(uow, lambda: NOW)


def targets_of(uow: FakeUnitOfWork, tenant: TenantRecord, ticket_id: str = "T-1") -> list[TargetState]:
    with uow:
        return uow.targets.of_ticket(tenant.id, ticket_id)


def ticket_of(uow: FakeUnitOfWork, tenant: TenantRecord, ticket_id: str = "T-1") -> TicketRecord | None:
    with uow:
        return uow.tickets.get(tenant.id, ticket_id)


def due(uow: FakeUnitOfWork, tenant: TenantRecord, ticket_id: str = "T-1") -> list[str]:
    return [f"{target.due_at:%H:%M}" for target in targets_of(uow, tenant, ticket_id)]


# -- the whole document ---------------------------------------------------------------------------------


def test_every_change_is_a_new_version_saved_with_its_author_and_time(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    assert replace_settings(uow, tenant, with_minutes(60), SettingsChange("bob", LATER, "new_tickets")) == 2

    assert in_force(uow, tenant) == (2, as_read(with_minutes(60)))
    with uow:
        assert uow.settings_versions.history(tenant.id) == [VersionEntry(1, NOW, "ada", "open_tickets"),
                                                            VersionEntry(2, LATER, "bob", "new_tickets")]
        assert uow.settings_versions.document(tenant.id, 1) == as_read(example_settings())


def test_an_invalid_document_changes_nothing_and_every_problem_is_named(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    document = with_minutes(0)
    document[POLICIES][0]["calendar"] = "nowhere"
    document[RULES][0]["priority"] = "asap"
    commits = uow.committed

    with pytest.raises(SettingsError) as refused:
        replace_settings(uow, tenant, document, CHANGE)

    assert refused.value.problems == [  # the cross-references wait until every field is valid
        "prioritization_rules[0].priority: Must be one of: urgent, high, normal, low.",
        "sla_policies[0].targets[0].minutes: Must be greater than or equal to 1 and less than or equal to 527040.",
    ]
    assert in_force(uow, tenant) == (1, as_read(example_settings()))
    assert uow.committed == commits


@pytest.mark.parametrize(("document", "problem"), [
    ([], "settings: must be a JSON object"),
    ({**example_settings(), "timezone": "Mars/Olympus"}, "timezone: unknown IANA time zone 'Mars/Olympus'"),
    ({**example_settings(), "extra": 1}, "extra: Unknown field."),
    ({**example_settings(), "timezone": "UTC\x00"}, "timezone: must not contain NUL characters"),
])
def test_a_document_that_is_not_valid_settings_is_refused_naming_the_problem(
    uow: FakeUnitOfWork, tenant: TenantRecord, document: Any, problem: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        replace_settings(uow, tenant, document, CHANGE)
    assert problem in refused.value.problems
    assert in_force(uow, tenant)[0] == 1


def test_cross_references_are_checked_on_the_whole_document(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    document = example_settings()
    document[POLICIES][0]["calendar"] = "office"
    document[RULES][0]["product"] = "Lemon"

    with pytest.raises(SettingsError) as refused:
        replace_settings(uow, tenant, document, CHANGE)

    assert refused.value.problems == [
        "sla_policies[0].calendar: no calendar has id 'office'",
        "sla_policies[0]: an SLA for product 'Orange' and channel 'email' needs a prioritization rule for that "
        "product and channel first",
    ]


def test_a_target_on_a_calendar_that_never_opens_is_refused(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    mondays = [date.fromordinal(date(2026, 3, 2).toordinal() + 7 * week).isoformat() for week in range(52 * 8)]
    document = example_settings()
    document[CALENDARS] = [{**CALENDAR, "holidays": mondays}]  # open on Mondays, every one a holiday
    document[POLICIES][0]["calendar"] = "office"

    with pytest.raises(SettingsError, match=r"sla_policies\[0\]\.targets\[0\]\.minutes: the calendar is closed"):
        replace_settings(uow, tenant, document, CHANGE)
    assert in_force(uow, tenant)[0] == 1


def test_a_target_beyond_five_years_of_its_calendar_is_refused(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    document = with_minutes(400_000)
    document["calendars"] = [{"id": "rare", "name": "Rare", "timezone": "UTC", "hours": {"mon": [["09:00", "09:01"]]}}]
    document["sla_policies"][0]["calendar"] = "rare"
    with pytest.raises(SettingsError, match=r"sla_policies\[0\]\.targets\[0\]\.minutes: 400000 minutes of business "
                                            "time take more than 5 years of this calendar"):
        replace_settings(uow, tenant, document, CHANGE)


def test_a_target_that_would_be_due_after_the_year_9999_is_refused(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    with pytest.raises(SettingsError, match=r"sla_policies\[0\]\.targets\[0\]\.minutes: .* after the year 9999"):
        replace_settings(uow, tenant, with_minutes(366 * 24 * 60),
                         SettingsChange("ada", datetime(9999, 6, 1, tzinfo=UTC)))


def test_a_change_recomputes_the_open_tickets_under_the_new_version(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    open_ticket(uow, tenant)
    assert due(uow, tenant) == ["09:30"]

    replace_settings(uow, tenant, with_minutes(60), CHANGE)

    assert due(uow, tenant) == ["10:00"]
    assert without_tag_state(ticket_of(uow, tenant)) == TicketRecord("T-1", "urgent", POLICY, 2, False, open=True)


def test_a_change_for_new_tickets_only_leaves_open_tickets_as_they_were(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    open_ticket(uow, tenant)

    replace_settings(uow, tenant, with_minutes(60), SettingsChange("ada", NOW, "new_tickets"))
    deliver(uow, tenant, message("T-1", "2026-03-02T09:01:00Z", author="customer"), received_at=NOW)
    open_ticket(uow, tenant, "T-2", "2026-03-02T09:02:00Z")

    assert due(uow, tenant) == ["09:30"]
    assert without_tag_state(ticket_of(uow, tenant)) == TicketRecord("T-1", "urgent", POLICY, 1, False, open=True)
    assert due(uow, tenant, "T-2") == ["10:02"]


def test_a_later_change_for_open_tickets_applies_to_tickets_kept_on_an_older_version(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    open_ticket(uow, tenant)
    replace_settings(uow, tenant, with_minutes(60), SettingsChange("ada", NOW, "new_tickets"))

    replace_settings(uow, tenant, with_minutes(45), CHANGE)

    assert due(uow, tenant) == ["09:45"]
    assert without_tag_state(ticket_of(uow, tenant)) == TicketRecord("T-1", "urgent", POLICY, 3, False, open=True)


def test_a_change_for_open_tickets_gives_the_policy_that_now_matches_to_open_tickets_without_targets(
    uow: FakeUnitOfWork,
) -> None:
    tenant = install_tenant(uow)
    open_ticket(uow, tenant)  # no settings yet: no policy, no targets
    assert targets_of(uow, tenant) == []

    replace_settings(uow, tenant, example_settings(), CHANGE)

    assert due(uow, tenant) == ["09:30"]


def test_a_ticket_opened_before_any_settings_stays_without_sla_when_settings_are_saved_for_new_tickets_only(
    uow: FakeUnitOfWork,
) -> None:
    tenant = install_tenant(uow)
    open_ticket(uow, tenant)
    replace_settings(uow, tenant, example_settings(), SettingsChange("ada", NOW, "new_tickets"))

    deliver(uow, tenant, message("T-1", "2026-03-02T09:01:00Z", author="customer"), received_at=NOW)
    process_inbox_batch(uow, lambda: NOW)

    assert targets_of(uow, tenant) == []
    assert without_tag_state(ticket_of(uow, tenant)) == TicketRecord("T-1", "low", None, 0, False, open=True)
    with uow:
        # the rules of a later version did not decide its priority
        assert not [command for command in uow.outbox.of_tenant(tenant.id) if command.kind is CommandKind.SET_PRIORITY]


def test_a_policy_id_the_store_cannot_hold_is_refused_when_the_settings_are_saved(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    document = example_settings()
    document[POLICIES][0]["id"] = "p" * 201

    with pytest.raises(SettingsError, match=r"sla_policies\[0\]\.id"):
        replace_settings(uow, tenant, document, CHANGE)


def test_a_document_without_a_time_zone_keeps_the_installations(uow: FakeUnitOfWork) -> None:
    tenant = install_tenant(uow, "istanbul", timezone="Europe/Istanbul")
    document = {key: value for key, value in example_settings().items() if key != "timezone"}

    replace_settings(uow, tenant, document, CHANGE)

    assert in_force(uow, tenant)[1]["timezone"] == "Europe/Istanbul"


def test_saving_over_the_version_read_succeeds_and_over_another_is_stale(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    assert replace_settings(uow, tenant, with_minutes(60), CHANGE, expected_version=1) == 2

    with pytest.raises(StaleSettings, match="at version 2, not 1"):
        replace_settings(uow, tenant, with_minutes(45), CHANGE, expected_version=1)
    assert in_force(uow, tenant) == (2, as_read(with_minutes(60)))


def test_a_new_tenant_saves_over_version_zero(uow: FakeUnitOfWork) -> None:
    tenant = install_tenant(uow, "globex")
    assert replace_settings(uow, tenant, example_settings(), CHANGE, expected_version=0) == 1


def test_a_change_that_loses_the_race_for_its_version_number_is_refused(
    uow: FakeUnitOfWork, tenant: TenantRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_ticket(uow, tenant)

    def raced(*_: Any) -> Any:
        raise Conflict("settings version 2 was saved by another change")

    monkeypatch.setattr(FakeSettingsVersions, "add", raced)
    commits = uow.committed

    with pytest.raises(SettingsChanged, match="reload the settings and retry"):
        replace_settings(uow, tenant, with_minutes(60), CHANGE)
    assert uow.committed == commits and due(uow, tenant) == ["09:30"]


# -- items ----------------------------------------------------------------------------------------------


def test_an_item_is_added_in_a_new_version(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    stored = CALENDAR | {"holidays": [], "holiday_preset": None}  # as read: defaults filled in
    assert create_item(uow, tenant, CALENDARS, CALENDAR, CHANGE) == (2, stored)
    assert in_force(uow, tenant)[1][CALENDARS] == [stored]


def test_a_new_rule_goes_last_unless_it_has_a_position(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    _version, added = create_item(uow, tenant, RULES, VIP_RULE, CHANGE)
    _version, placed = create_item(uow, tenant, RULES, {**VIP_RULE, "id": "first", "position": 0}, CHANGE)

    assert (added["position"], placed["position"]) == (2, 0)
    assert [rule["id"] for rule in in_force(uow, tenant)[1][RULES]] == [POLICY, "vip", "first"]


def test_an_item_whose_id_is_taken_is_a_duplicate_and_nothing_is_saved(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    with pytest.raises(DuplicateId, match="a rule with id 'orange-email-urgent' already exists"):
        create_item(uow, tenant, RULES, {**VIP_RULE, "id": POLICY}, CHANGE)
    assert in_force(uow, tenant)[0] == 1


def test_an_item_that_makes_the_document_invalid_is_refused(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    policy = {**example_settings()[POLICIES][0], "id": "twin"}
    with pytest.raises(SettingsError, match="policy 'orange-email-urgent' already covers product 'Orange'"):
        create_item(uow, tenant, POLICIES, policy, CHANGE)
    assert in_force(uow, tenant)[0] == 1


def test_an_item_is_replaced_whole_and_a_rule_keeps_its_place(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    create_item(uow, tenant, RULES, VIP_RULE, CHANGE)
    replacement = {key: value for key, value in VIP_RULE.items() if key != "conditions"} | {"priority": "normal"}

    stored = as_read({RULES: [{**replacement, "position": 2}]})[RULES][0]
    assert stored["conditions"] == [] and stored["match"] == "all"
    assert replace_item(uow, tenant, RULES, "vip", replacement, CHANGE) == (3, stored)
    assert in_force(uow, tenant)[1][RULES][1] == stored


def test_replacing_must_keep_the_id_of_the_url(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    with pytest.raises(SettingsError, match=r"id: 'vip' does not match the id in the URL \('orange-email-urgent'\)"):
        replace_item(uow, tenant, RULES, POLICY, VIP_RULE, CHANGE)


@pytest.mark.parametrize(("section", "noun"), [(RULES, "rule"), (POLICIES, "policy"), (CALENDARS, "calendar")])
def test_replacing_or_deleting_an_unknown_item_is_not_found(
    uow: FakeUnitOfWork, tenant: TenantRecord, section: str, noun: str
) -> None:
    with pytest.raises(ItemNotFound, match=f"no {noun} has id 'nope'"):
        replace_item(uow, tenant, section, "nope", {"id": "nope"}, CHANGE)
    with pytest.raises(ItemNotFound, match=f"no {noun} has id 'nope'"):
        delete_item(uow, tenant, section, "nope", CHANGE)
    assert in_force(uow, tenant)[0] == 1


def test_a_deleted_item_is_gone_from_the_new_version(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    create_item(uow, tenant, CALENDARS, CALENDAR, CHANGE)

    assert delete_item(uow, tenant, CALENDARS, "office", CHANGE) == 3
    assert in_force(uow, tenant)[1][CALENDARS] == []


def test_the_only_rule_a_policy_needs_cannot_be_deleted_and_the_answer_names_both(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    with pytest.raises(ItemInUse) as refused:
        delete_item(uow, tenant, RULES, POLICY, CHANGE)

    assert str(refused.value) == (
        "rule 'orange-email-urgent' is the only prioritization rule for product 'Orange' and channel 'email', "
        "which policy 'orange-email-urgent' needs; add another rule for them or delete the policy first")
    assert in_force(uow, tenant) == (1, as_read(example_settings()))


def test_a_rule_with_a_sibling_for_its_product_and_channel_can_be_deleted(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    create_item(uow, tenant, RULES, {**VIP_RULE, "product": " orange", "channel": "EMAIL"}, CHANGE)
    assert delete_item(uow, tenant, RULES, POLICY, CHANGE) == 3


def test_a_calendar_a_policy_uses_cannot_be_deleted_and_the_answer_names_the_policies(
    uow: FakeUnitOfWork, tenant: TenantRecord
) -> None:
    create_item(uow, tenant, CALENDARS, CALENDAR, CHANGE)
    create_item(uow, tenant, RULES, {**VIP_RULE, "id": "chat", "channel": "chat"}, CHANGE)
    policy = example_settings()[POLICIES][0]
    replace_item(uow, tenant, POLICIES, POLICY, {**policy, "calendar": "office"}, CHANGE)

    with pytest.raises(ItemInUse, match=r"^calendar 'office' is used by policy 'orange-email-urgent'; change or "
                                        r"delete them first$"):
        delete_item(uow, tenant, CALENDARS, "office", CHANGE)
    create_item(uow, tenant, POLICIES, {**policy, "id": "chat", "channel": "chat", "calendar": "office"}, CHANGE)
    with pytest.raises(ItemInUse, match=r"^calendar 'office' is used by policies 'orange-email-urgent', 'chat';"):
        delete_item(uow, tenant, CALENDARS, "office", CHANGE)
    assert [calendar["id"] for calendar in in_force(uow, tenant)[1][CALENDARS]] == ["office"]


def test_an_item_is_told_its_problems_in_its_own_terms(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    policy = example_settings()[POLICIES][0]
    with pytest.raises(SettingsError) as unknown_calendar:
        replace_item(uow, tenant, POLICIES, POLICY, {**policy, "calendar": "office"}, CHANGE)
    with pytest.raises(SettingsError) as without_rule:
        create_item(uow, tenant, POLICIES, {**policy, "id": "chat", "channel": "chat"}, CHANGE)

    assert unknown_calendar.value.problems == ["calendar: no calendar has id 'office'"]
    assert without_rule.value.problems == [
        "policy 'chat': an SLA for product 'Orange' and channel 'chat' needs a prioritization rule for that "
        "product and channel first"]


def test_another_item_a_change_breaks_is_named_by_its_id(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    create_item(uow, tenant, CALENDARS, CALENDAR, CHANGE)
    policy = example_settings()[POLICIES][0]
    one_minute_a_week = CALENDAR | {"hours": {"mon": [["09:00", "09:01"]]}}
    long_target = {**policy, "calendar": "office", "targets": [{"metric": "resolution", "minutes": 10_000,
                                                                  "success_rate_percent": 90}]}
    replace_item(uow, tenant, POLICIES, POLICY, long_target, CHANGE)

    with pytest.raises(SettingsError) as refused:
        replace_item(uow, tenant, CALENDARS, "office", one_minute_a_week, CHANGE)

    [problem] = refused.value.problems
    assert problem.startswith("policy 'orange-email-urgent' targets[0].minutes: ")


def test_reordering_numbers_the_rules_one_to_n_in_the_order_given(uow: FakeUnitOfWork, tenant: TenantRecord) -> None:
    create_item(uow, tenant, RULES, VIP_RULE, CHANGE)

    version, rules = reorder_rules(uow, tenant, ["vip", POLICY], CHANGE)

    assert version == 3
    assert [(rule["id"], rule["position"]) for rule in rules] == [("vip", 1), (POLICY, 2)]
    assert in_force(uow, tenant)[1][RULES] == rules


@pytest.mark.parametrize(("ids", "problems"), [
    (["vip"], ["ids: rule 'orange-email-urgent' is missing"]),
    (["vip", POLICY, "vip"], ["ids: 'vip' is listed more than once"]),
    (["vip", POLICY, "ghost"], ["ids: no rule has id 'ghost'"]),
    ([], ["ids: rule 'orange-email-urgent' is missing", "ids: rule 'vip' is missing"]),
])
def test_reordering_must_name_every_rule_once(
    uow: FakeUnitOfWork, tenant: TenantRecord, ids: list[str], problems: list[str]
) -> None:
    create_item(uow, tenant, RULES, VIP_RULE, CHANGE)
    before = copy.deepcopy(in_force(uow, tenant))

    with pytest.raises(SettingsError) as refused:
        reorder_rules(uow, tenant, ids, CHANGE)

    assert refused.value.problems == problems
    assert in_force(uow, tenant) == before
