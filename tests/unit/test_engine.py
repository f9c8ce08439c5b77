"""The SLA engine, spelled out by example: one behaviour of design.md §3 per test.

Unless a test says otherwise, a ticket is created on Monday 2026-03-02 at 09:00 UTC with the
host-given priority ``high``, and ``at(n)`` is n minutes after that. Policies count 24/7; the
business-hours examples give local wall-clock times in comments next to the UTC instants.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from plugin.domain.engine import TargetState, TicketOutcome, evaluate_ticket
from plugin.domain.events import Message, TicketEvent, TicketSnapshot
from plugin.domain.policies import Settings
from plugin.settings.loading import load_settings

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
MINUTE = 60


def at(minutes: float = 0, seconds: int = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- building events ------------------------------------------------------------------------------------


class Ticket:
    """A ticket's webhook history, written as a story: ``ticket.reply(at(10)).solve(at(30))``."""

    def __init__(
        self,
        created: datetime = T0,
        *,
        priority: str | None = "high",
        product: str = "Lemon",
        channel: str = "email",
        subject: str = "A question",
        status: str = "new",
        ticket_id: str = "t-1",
    ) -> None:
        self.id = ticket_id
        self.snapshot = TicketSnapshot(
            id=ticket_id,
            product=product,
            channel=channel,
            subject=subject,
            status=status,
            priority=priority,
            created_at=created,
        )
        self.events: list[TicketEvent] = [TicketEvent("ev-000", "ticket.created", created, ticket_id, self.snapshot)]

    def _next_id(self) -> str:
        return f"ev-{len(self.events):03d}"

    def _message(self, when: datetime, author: str, public: bool) -> Ticket:
        event_id = self._next_id()
        message = Message(f"msg-{event_id}", author, public, when)  # type: ignore[arg-type]
        self.events.append(TicketEvent(event_id, "message.created", when, self.id, self.snapshot, message=message))
        return self

    def reply(self, when: datetime) -> Ticket:
        """A public agent reply."""
        return self._message(when, "agent", True)

    def note(self, when: datetime) -> Ticket:
        """An internal agent note (public: false)."""
        return self._message(when, "agent", False)

    def customer(self, when: datetime, *, public: bool = True) -> Ticket:
        return self._message(when, "customer", public)

    def update(self, when: datetime, **changes: Any) -> Ticket:
        old = {name: getattr(self.snapshot, name) for name in changes}
        self.snapshot = TicketSnapshot(**{**_fields(self.snapshot), **changes})
        diff = {name: (old[name], new) for name, new in changes.items()}
        self.events.append(TicketEvent(self._next_id(), "ticket.updated", when, self.id, self.snapshot, diff))
        return self

    def status(self, status: str, when: datetime) -> Ticket:
        return self.update(when, status=status)

    def solve(self, when: datetime) -> Ticket:
        return self.status("solved", when)

    def reopen(self, when: datetime) -> Ticket:
        return self.status("open", when)

    def priority(self, priority: str, when: datetime) -> Ticket:
        return self.update(when, priority=priority)

    def delete(self, when: datetime) -> Ticket:
        self.events.append(TicketEvent(self._next_id(), "ticket.deleted", when, self.id))
        return self


def _fields(snapshot: TicketSnapshot) -> dict[str, Any]:
    return {name: getattr(snapshot, name) for name in TicketSnapshot.__slots__}  # type: ignore[attr-defined]


# -- building settings ----------------------------------------------------------------------------------


def sla(
    policy_id: str,
    priority: str,
    *,
    first_response: int | None = None,
    next_response: int | None = None,
    resolution: int | None = None,
    product: str = "*",
    channel: str = "*",
    calendar: str | None = None,
    pause_statuses: list[str] | None = None,
) -> dict[str, Any]:
    minutes = {"first_response": first_response, "next_response": next_response, "resolution": resolution}
    policy: dict[str, Any] = {
        "id": policy_id,
        "name": policy_id,
        "product": product,
        "channel": channel,
        "priority": priority,
        "calendar": calendar,
        "targets": [
            {"metric": metric, "minutes": value, "success_rate_percent": 90}
            for metric, value in minutes.items()
            if value is not None
        ],
    }
    if pause_statuses is not None:
        policy["pause_statuses"] = pause_statuses
    return policy


OUTAGE_RULE = {
    "id": "outages",
    "product": "*",
    "channel": "*",
    "position": 1,
    "conditions": [{"field": "subject", "op": "contains", "value": "outage"}],
    "priority": "urgent",
}


def tenant(*policies: dict[str, Any], calendars: tuple[dict[str, Any], ...] = ()) -> Settings:
    return load_settings(
        {"calendars": list(calendars), "prioritization_rules": [OUTAGE_RULE], "sla_policies": list(policies)}
    )


def office(
    zone: str = "Europe/Berlin",
    *,
    calendar_id: str = "office",
    hours: dict[str, list[list[str]]] | None = None,
    holidays: tuple[str, ...] = (),
) -> dict[str, Any]:
    weekdays = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    return {"id": calendar_id, "timezone": zone, "hours": hours or weekdays, "holidays": list(holidays)}


def evaluate(ticket: Ticket, settings: Settings, now: datetime) -> TicketOutcome:
    return evaluate_ticket(ticket.id, ticket.events, settings, now)


def targets(ticket: Ticket, settings: Settings, now: datetime) -> dict[tuple[str, int], TargetState]:
    return {(target.metric, target.cycle): target for target in evaluate(ticket, settings, now).targets}


def target(ticket: Ticket, settings: Settings, now: datetime, metric: str, cycle: int = 0) -> TargetState:
    found = targets(ticket, settings, now)
    assert (metric, cycle) in found, f"no {metric} #{cycle} target among {sorted(found)}"
    return found[(metric, cycle)]


FIRST_RESPONSE_HOUR = tenant(sla("high", "high", first_response=60))
RESOLUTION_4H = tenant(sla("high", "high", resolution=240))
RESOLUTION_1H = tenant(sla("high", "high", resolution=60))
NEXT_RESPONSE_30M = tenant(sla("high", "high", first_response=60, next_response=30))


# -- first response --------------------------------------------------------------------------------------


def test_first_public_agent_reply_meets_first_response() -> None:
    ticket = Ticket().reply(at(20))

    state = target(ticket, FIRST_RESPONSE_HOUR, at(120), "first_response")

    assert (state.status, state.started_at, state.stopped_at) == ("met", T0, at(20))
    assert state.due_at == at(60)
    assert state.breached_at is None
    assert state.business_seconds == 20 * MINUTE


def test_unanswered_first_response_is_active_until_its_due() -> None:
    state = target(Ticket(), FIRST_RESPONSE_HOUR, at(30), "first_response")

    assert (state.status, state.due_at, state.stopped_at, state.breached_at) == ("active", at(60), None, None)
    assert state.business_seconds == 30 * MINUTE


def test_unanswered_first_response_is_breached_at_its_due_instant() -> None:
    state = target(Ticket(), FIRST_RESPONSE_HOUR, at(90), "first_response")

    assert (state.status, state.breached_at, state.stopped_at) == ("breached", at(60), None)


def test_reply_exactly_at_due_instant_is_met() -> None:
    state = target(Ticket().reply(at(60)), FIRST_RESPONSE_HOUR, at(120), "first_response")

    assert (state.status, state.stopped_at, state.breached_at) == ("met", at(60), None)
    assert state.business_seconds == 60 * MINUTE


def test_reply_one_second_after_due_is_breached_at_the_due_instant() -> None:
    state = target(Ticket().reply(at(60, seconds=1)), FIRST_RESPONSE_HOUR, at(120), "first_response")

    assert (state.status, state.breached_at, state.stopped_at) == ("breached", at(60), at(60, seconds=1))


def test_target_still_running_when_now_is_its_due_instant_is_breached() -> None:
    state = target(Ticket(), FIRST_RESPONSE_HOUR, at(60), "first_response")

    assert (state.status, state.breached_at) == ("breached", at(60))


def test_breach_is_final_even_after_reply() -> None:
    state = target(Ticket().reply(at(90)), FIRST_RESPONSE_HOUR, at(120), "first_response")

    assert (state.status, state.breached_at, state.stopped_at) == ("breached", at(60), at(90))


def test_internal_note_is_not_a_reply() -> None:
    ticket = Ticket().note(at(10)).reply(at(40))

    state = target(ticket, FIRST_RESPONSE_HOUR, at(120), "first_response")

    assert (state.status, state.stopped_at) == ("met", at(40))


def test_internal_note_alone_leaves_first_response_running_into_breach() -> None:
    state = target(Ticket().note(at(10)), FIRST_RESPONSE_HOUR, at(120), "first_response")

    assert (state.status, state.breached_at) == ("breached", at(60))


def test_customer_message_is_not_a_reply() -> None:
    state = target(Ticket().customer(at(10)), FIRST_RESPONSE_HOUR, at(30), "first_response")

    assert (state.status, state.stopped_at) == ("active", None)


def test_solve_before_any_reply_meets_first_response() -> None:
    state = target(Ticket().solve(at(15)), FIRST_RESPONSE_HOUR, at(120), "first_response")

    assert (state.status, state.stopped_at) == ("met", at(15))


def test_close_before_any_reply_meets_first_response() -> None:
    state = target(Ticket().status("closed", at(15)), FIRST_RESPONSE_HOUR, at(120), "first_response")

    assert (state.status, state.stopped_at) == ("met", at(15))


def test_ticket_created_already_solved_meets_first_response_at_creation() -> None:
    # Solved before any reply (at the creation itself): met then, as its resolution is.
    found = targets(Ticket(status="solved"), FIRST_RESPONSE_HOUR, at(120))

    assert (found[("first_response", 0)].status, found[("first_response", 0)].stopped_at) == ("met", T0)


def test_first_response_does_not_pause_while_pending() -> None:
    ticket = Ticket().status("pending", at(10))

    state = target(ticket, FIRST_RESPONSE_HOUR, at(120), "first_response")

    assert (state.status, state.breached_at) == ("breached", at(60))


# -- resolution -------------------------------------------------------------------------------------------


def test_solve_meets_resolution() -> None:
    state = target(Ticket().solve(at(100)), RESOLUTION_4H, at(300), "resolution")

    assert (state.status, state.stopped_at, state.business_seconds) == ("met", at(100), 100 * MINUTE)


def test_closing_an_open_ticket_meets_resolution() -> None:
    state = target(Ticket().status("closed", at(100)), RESOLUTION_4H, at(300), "resolution")

    assert (state.status, state.stopped_at) == ("met", at(100))


def test_closing_a_solved_ticket_keeps_the_resolution_stop_at_the_solve() -> None:
    # The clock stopped when the ticket became solved; solved -> closed is no reopen and no new stop.
    ticket = Ticket().solve(at(100)).status("closed", at(300))

    state = target(ticket, RESOLUTION_4H, at(400), "resolution")

    assert (state.status, state.stopped_at, state.business_seconds) == ("met", at(100), 100 * MINUTE)


def test_pending_time_is_not_counted_against_resolution() -> None:
    ticket = Ticket().status("pending", at(60)).status("open", at(180))

    state = target(ticket, RESOLUTION_4H, at(240), "resolution")

    assert state.status == "active"
    assert state.business_seconds == (60 + 60) * MINUTE
    assert state.due_at == at(180 + 180)  # the 180 minutes left, from the resume


def test_on_hold_time_is_not_counted_against_resolution() -> None:
    ticket = Ticket().status("on_hold", at(60)).status("open", at(180))

    state = target(ticket, RESOLUTION_4H, at(240), "resolution")

    assert (state.status, state.business_seconds, state.due_at) == ("active", 120 * MINUTE, at(360))


def test_resolution_paused_now_is_paused_without_a_due_instant() -> None:
    state = target(Ticket().status("pending", at(60)), RESOLUTION_4H, at(120), "resolution")

    assert (state.status, state.due_at, state.breached_at) == ("paused", None, None)
    assert state.business_seconds == 60 * MINUTE


def test_policy_pause_statuses_replace_the_default() -> None:
    settings = tenant(sla("high", "high", resolution=240, pause_statuses=["on_hold"]))
    ticket = Ticket().status("pending", at(60)).status("on_hold", at(100)).status("open", at(160))

    state = target(ticket, settings, at(200), "resolution")

    # pending counts, on_hold does not: 100 + 40 minutes used.
    assert (state.status, state.business_seconds, state.due_at) == ("active", 140 * MINUTE, at(160 + 140))


def test_policy_without_pause_statuses_never_pauses_resolution() -> None:
    settings = tenant(sla("high", "high", resolution=60, pause_statuses=[]))

    state = target(Ticket().status("pending", at(10)), settings, at(120), "resolution")

    assert (state.status, state.breached_at) == ("breached", at(60))


def test_reopen_resumes_resolution_without_counting_solved_time() -> None:
    ticket = Ticket().solve(at(60)).reopen(at(120))

    state = target(ticket, RESOLUTION_4H, at(150), "resolution")

    assert (state.status, state.stopped_at) == ("active", None)
    assert state.business_seconds == (60 + 30) * MINUTE
    assert state.due_at == at(120 + 180)


def test_reopened_ticket_solved_in_time_again_is_met_at_the_last_solve() -> None:
    ticket = Ticket().solve(at(60)).reopen(at(120)).solve(at(200))

    state = target(ticket, RESOLUTION_4H, at(300), "resolution")

    assert (state.status, state.stopped_at, state.business_seconds) == ("met", at(200), 140 * MINUTE)


def test_outcome_of_a_reopened_ticket_is_decided_by_the_last_solve() -> None:
    # Solved in time at first; after the reopen the remaining 180 minutes run out at 120 + 180.
    ticket = Ticket().solve(at(60)).reopen(at(120)).solve(at(400))

    state = target(ticket, RESOLUTION_4H, at(500), "resolution")

    assert (state.status, state.breached_at, state.stopped_at) == ("breached", at(300), at(400))


def test_reopen_into_a_pause_status_keeps_resolution_paused() -> None:
    ticket = Ticket().solve(at(60)).status("pending", at(120))

    state = target(ticket, RESOLUTION_4H, at(300), "resolution")

    assert (state.status, state.business_seconds) == ("paused", 60 * MINUTE)


def test_target_paused_exactly_at_due_instant_is_not_breached_then() -> None:
    state = target(Ticket().status("pending", at(60)), RESOLUTION_1H, at(120), "resolution")

    assert (state.status, state.breached_at) == ("paused", None)


def test_target_paused_at_due_instant_breaches_the_moment_it_runs_again() -> None:
    ticket = Ticket().status("pending", at(60)).status("open", at(120))

    state = target(ticket, RESOLUTION_1H, at(180), "resolution")

    assert (state.status, state.breached_at) == ("breached", at(120))


def test_target_paused_at_due_instant_and_solved_while_paused_is_met() -> None:
    ticket = Ticket().status("pending", at(60)).solve(at(120))

    state = target(ticket, RESOLUTION_1H, at(180), "resolution")

    assert (state.status, state.stopped_at, state.breached_at) == ("met", at(120), None)
    assert state.business_seconds == 60 * MINUTE


def test_breach_is_final_even_after_solve() -> None:
    state = target(Ticket().solve(at(90)), RESOLUTION_1H, at(120), "resolution")

    assert (state.status, state.breached_at, state.stopped_at) == ("breached", at(60), at(90))


def test_breach_is_final_even_if_the_ticket_is_paused_afterwards() -> None:
    ticket = Ticket().status("pending", at(90))

    state = target(ticket, RESOLUTION_1H, at(120), "resolution")

    assert (state.status, state.breached_at) == ("breached", at(60))


# -- next response ----------------------------------------------------------------------------------------


def test_customer_message_after_first_response_starts_a_next_response_cycle() -> None:
    ticket = Ticket().reply(at(10)).customer(at(20)).reply(at(35))

    state = target(ticket, NEXT_RESPONSE_30M, at(60), "next_response", 1)

    assert (state.status, state.started_at, state.stopped_at) == ("met", at(20), at(35))
    assert (state.due_at, state.business_seconds) == (at(50), 15 * MINUTE)


def test_customer_message_before_first_response_starts_no_cycle() -> None:
    ticket = Ticket().customer(at(5)).reply(at(10))

    assert set(targets(ticket, NEXT_RESPONSE_30M, at(60))) == {("first_response", 0)}


def test_customer_message_while_a_cycle_is_open_starts_no_new_cycle() -> None:
    ticket = Ticket().reply(at(10)).customer(at(20)).customer(at(25)).reply(at(40))

    found = targets(ticket, NEXT_RESPONSE_30M, at(60))

    assert [key for key in found if key[0] == "next_response"] == [("next_response", 1)]
    assert (found[("next_response", 1)].started_at, found[("next_response", 1)].stopped_at) == (at(20), at(40))


def test_each_answered_customer_message_starts_its_own_cycle() -> None:
    ticket = Ticket().reply(at(10)).customer(at(20)).reply(at(30)).customer(at(40)).reply(at(100))

    first = target(ticket, NEXT_RESPONSE_30M, at(120), "next_response", 1)
    second = target(ticket, NEXT_RESPONSE_30M, at(120), "next_response", 2)

    assert (first.status, first.stopped_at) == ("met", at(30))
    assert (second.status, second.started_at, second.breached_at, second.stopped_at) == (
        "breached",
        at(40),
        at(70),
        at(100),
    )


def test_open_next_response_cycle_is_active_with_its_own_due() -> None:
    ticket = Ticket().reply(at(10)).customer(at(20))

    state = target(ticket, NEXT_RESPONSE_30M, at(30), "next_response", 1)

    assert (state.status, state.due_at, state.business_seconds) == ("active", at(50), 10 * MINUTE)


def test_internal_customer_message_starts_no_cycle() -> None:
    ticket = Ticket().reply(at(10)).customer(at(20), public=False)

    assert ("next_response", 1) not in targets(ticket, NEXT_RESPONSE_30M, at(120))


def test_internal_note_does_not_answer_an_open_cycle() -> None:
    ticket = Ticket().reply(at(10)).customer(at(20)).note(at(30))

    state = target(ticket, NEXT_RESPONSE_30M, at(120), "next_response", 1)

    assert (state.status, state.breached_at, state.stopped_at) == ("breached", at(50), None)


def test_solve_meets_an_open_next_response_cycle() -> None:
    ticket = Ticket().reply(at(10)).customer(at(20)).solve(at(30))

    state = target(ticket, NEXT_RESPONSE_30M, at(120), "next_response", 1)

    assert (state.status, state.stopped_at) == ("met", at(30))


def test_customer_message_on_a_ticket_that_stays_solved_starts_no_cycle() -> None:
    # A "thanks!" on a solved ticket is no SLA.
    ticket = Ticket().reply(at(10)).solve(at(20)).customer(at(30))

    assert ("next_response", 1) not in targets(ticket, NEXT_RESPONSE_30M, at(120))


def test_customer_message_on_a_solved_ticket_starts_a_cycle_at_the_message_when_it_is_reopened_later() -> None:
    # The host reopens the ticket a minute after the customer wrote: the customer waits since writing.
    ticket = Ticket().reply(at(10)).solve(at(20)).customer(at(30)).reopen(at(31))

    state = target(ticket, NEXT_RESPONSE_30M, at(40), "next_response", 1)

    assert (state.status, state.started_at, state.due_at) == ("active", at(30), at(60))


def test_a_reopened_tickets_cycle_from_a_message_while_solved_breaches_from_the_message() -> None:
    ticket = Ticket().reply(at(10)).solve(at(20)).customer(at(30)).reopen(at(55))

    state = target(ticket, NEXT_RESPONSE_30M, at(120), "next_response", 1)

    assert (state.status, state.started_at, state.breached_at) == ("breached", at(30), at(60))


def test_only_the_first_customer_message_while_solved_counts() -> None:
    ticket = Ticket().reply(at(10)).solve(at(20)).customer(at(30)).customer(at(35)).reopen(at(36))

    found = targets(ticket, NEXT_RESPONSE_30M, at(40))

    assert found[("next_response", 1)].started_at == at(30) and ("next_response", 2) not in found


def test_an_agent_reply_while_solved_answers_the_customer_before_a_reopen() -> None:
    ticket = Ticket().reply(at(10)).solve(at(20)).customer(at(30)).reply(at(32)).reopen(at(40))

    assert ("next_response", 1) not in targets(ticket, NEXT_RESPONSE_30M, at(120))


def test_a_solve_again_before_the_reopen_keeps_the_first_waiting_message() -> None:
    # solved -> closed is no reopen: the message still waits for one.
    ticket = Ticket().reply(at(10)).solve(at(20)).customer(at(30)).status("closed", at(33)).reopen(at(34))

    assert targets(ticket, NEXT_RESPONSE_30M, at(40))[("next_response", 1)].started_at == at(30)


def test_customer_message_arriving_with_a_reopen_starts_a_cycle() -> None:
    # At one instant, the status change is in force before the message that came with it.
    ticket = Ticket().reply(at(10)).solve(at(20)).reopen(at(30)).customer(at(30))

    state = target(ticket, NEXT_RESPONSE_30M, at(40), "next_response", 1)

    assert (state.status, state.started_at) == ("active", at(30))


def test_next_response_does_not_pause_while_pending() -> None:
    ticket = Ticket().reply(at(10)).customer(at(20)).status("pending", at(25))

    state = target(ticket, NEXT_RESPONSE_30M, at(120), "next_response", 1)

    assert (state.status, state.breached_at) == ("breached", at(50))


def test_next_response_reply_exactly_at_due_instant_is_met() -> None:
    ticket = Ticket().reply(at(10)).customer(at(20)).reply(at(50))

    state = target(ticket, NEXT_RESPONSE_30M, at(120), "next_response", 1)

    assert (state.status, state.stopped_at) == ("met", at(50))


# -- re-matching the policy -----------------------------------------------------------------------------------

TWO_PRIORITIES = tenant(
    sla("high", "high", first_response=60, resolution=240),
    sla("urgent", "urgent", first_response=30, resolution=120),
    sla("low", "low", first_response=120),
)


def test_priority_change_recomputes_running_target_from_original_start() -> None:
    ticket = Ticket().priority("urgent", at(20))

    state = target(ticket, TWO_PRIORITIES, at(25), "first_response")

    assert (state.status, state.policy_id, state.started_at, state.due_at) == ("active", "urgent", T0, at(30))


def test_priority_change_breaches_at_the_new_due_instant_when_it_has_passed() -> None:
    ticket = Ticket().priority("urgent", at(45))

    state = target(ticket, TWO_PRIORITIES, at(50), "first_response")

    assert (state.status, state.policy_id, state.breached_at) == ("breached", "urgent", at(30))


def test_priority_change_to_a_longer_target_moves_the_due_from_the_original_start() -> None:
    ticket = Ticket().priority("low", at(50))

    state = target(ticket, TWO_PRIORITIES, at(100), "first_response")

    assert (state.status, state.policy_id, state.due_at) == ("active", "low", at(120))


def test_reply_after_priority_change_is_judged_by_the_new_policy() -> None:
    ticket = Ticket().priority("urgent", at(20)).reply(at(40))

    state = target(ticket, TWO_PRIORITIES, at(60), "first_response")

    assert (state.status, state.policy_id, state.breached_at, state.stopped_at) == (
        "breached",
        "urgent",
        at(30),
        at(40),
    )


def test_target_met_before_priority_change_keeps_its_outcome_and_policy() -> None:
    # Met at 40 under "high"; "urgent" (30 minutes) would have breached it.
    ticket = Ticket().reply(at(40)).priority("urgent", at(50))

    state = target(ticket, TWO_PRIORITIES, at(60), "first_response")

    assert (state.status, state.policy_id, state.stopped_at) == ("met", "high", at(40))


def test_target_met_at_the_instant_of_a_priority_change_keeps_its_policy() -> None:
    ticket = Ticket().reply(at(40)).priority("urgent", at(40))

    state = target(ticket, TWO_PRIORITIES, at(60), "first_response")

    assert (state.status, state.policy_id, state.stopped_at) == ("met", "high", at(40))


def test_target_breached_before_priority_change_keeps_its_breach_and_policy() -> None:
    # Breached at 60 under "high"; "low" (120 minutes) would still be running at 90.
    ticket = Ticket().priority("low", at(90))

    state = target(ticket, TWO_PRIORITIES, at(100), "first_response")

    assert (state.status, state.policy_id, state.breached_at) == ("breached", "high", at(60))


def test_metric_missing_from_new_policy_is_cancelled() -> None:
    ticket = Ticket().priority("low", at(30))

    state = target(ticket, TWO_PRIORITIES, at(60), "resolution")

    assert state.status == "cancelled"


def test_metric_only_in_new_policy_starts_from_original_start() -> None:
    ticket = Ticket(priority="low").priority("urgent", at(60))

    state = target(ticket, TWO_PRIORITIES, at(90), "resolution")

    assert (state.status, state.policy_id, state.started_at, state.due_at) == ("active", "urgent", T0, at(120))
    assert state.business_seconds == 90 * MINUTE


def test_change_to_a_priority_without_policy_cancels_running_targets() -> None:
    ticket = Ticket().priority("normal", at(30))

    found = targets(ticket, TWO_PRIORITIES, at(60))

    assert {key: state.status for key, state in found.items()} == {
        ("first_response", 0): "cancelled",
        ("resolution", 0): "cancelled",
    }


def test_rematch_applies_the_new_pause_statuses_over_the_whole_history() -> None:
    settings = tenant(
        sla("high", "high", resolution=240),
        sla("urgent", "urgent", resolution=120, pause_statuses=[]),
    )
    ticket = Ticket().status("pending", at(30)).status("open", at(90)).priority("urgent", at(100))

    state = target(ticket, settings, at(110), "resolution")

    # Under "urgent" pending counts: running since 09:00, due at 120 minutes.
    assert (state.status, state.policy_id, state.business_seconds, state.due_at) == (
        "active",
        "urgent",
        110 * MINUTE,
        at(120),
    )


def test_rematch_applies_the_new_calendar_from_the_original_start() -> None:
    settings = tenant(
        sla("high", "high", first_response=60),
        sla("urgent", "urgent", first_response=120, calendar="office"),
        calendars=(office(),),
    )
    friday = utc(2026, 3, 6, 15)  # Friday 16:00 in Berlin
    ticket = Ticket(friday).priority("urgent", friday + timedelta(minutes=30))

    state = target(ticket, settings, utc(2026, 3, 7, 12), "first_response")

    # One business hour on Friday, one on Monday: due Monday 10:00 Berlin.
    assert (state.status, state.policy_id, state.due_at) == ("active", "urgent", utc(2026, 3, 9, 9))
    assert state.business_seconds == 3600


def test_product_change_rematches_to_the_more_specific_policy() -> None:
    settings = tenant(
        sla("any-product", "high", first_response=60),
        sla("orange", "high", first_response=30, product="Orange"),
    )
    ticket = Ticket(product="Lemon").update(at(20), product="Orange")

    state = target(ticket, settings, at(25), "first_response")

    assert (state.policy_id, state.due_at) == ("orange", at(30))


def test_channel_change_rematches_the_policy() -> None:
    settings = tenant(
        sla("any-channel", "high", first_response=60),
        sla("chat", "high", first_response=10, channel="chat"),
    )
    ticket = Ticket(channel="email").update(at(20), channel="chat")

    state = target(ticket, settings, at(25), "first_response")

    assert (state.status, state.policy_id, state.breached_at) == ("breached", "chat", at(10))


def test_change_that_matches_the_same_policy_changes_nothing() -> None:
    ticket = Ticket(channel="email").update(at(20), channel="chat")

    assert evaluate(ticket, TWO_PRIORITIES, at(45)).targets == evaluate(Ticket(), TWO_PRIORITIES, at(45)).targets


def test_solved_target_keeps_its_policy_when_the_ticket_is_closed_after_a_priority_change() -> None:
    # Met at the solve (130 minutes, within "high"'s 240) before the change to "urgent" (120): that
    # outcome stands. Closing the solved ticket later is no new stop and must not re-open the question.
    ticket = Ticket().solve(at(130)).priority("urgent", at(140)).status("closed", at(200))

    state = target(ticket, TWO_PRIORITIES, at(300), "resolution")

    assert (state.status, state.policy_id, state.stopped_at) == ("met", "high", at(130))


def test_one_update_changing_product_and_priority_rematches_once_with_both_changes() -> None:
    # Lemon/urgent -> Orange/high in a single ticket.updated. Orange/urgent (resolution in 1 minute)
    # never governed the ticket, whatever the order of the fields in ``changes``.
    settings = tenant(
        sla("lemon-urgent", "urgent", first_response=1),
        sla("orange-urgent", "urgent", resolution=1, product="Orange"),
        sla("orange-high", "high", first_response=60, product="Orange"),
        sla("any-high", "high", first_response=60),
    )
    ticket = Ticket(priority="urgent", product="Lemon").reply(at(0)).update(at(1), product="Orange", priority="high")

    found = targets(ticket, settings, at(2))

    assert {key: (state.status, state.policy_id) for key, state in found.items()} == {
        ("first_response", 0): ("met", "lemon-urgent")
    }


def test_order_of_fields_in_one_update_does_not_matter() -> None:
    settings = tenant(
        sla("lemon-urgent", "urgent", first_response=1),
        sla("orange-urgent", "urgent", resolution=1, product="Orange"),
        sla("orange-high", "high", first_response=60, product="Orange"),
    )
    one_way = Ticket(priority="urgent").reply(at(0)).update(at(1), product="Orange", priority="high")
    other_way = Ticket(priority="urgent").reply(at(0)).update(at(1), priority="high", product="Orange")

    assert evaluate(one_way, settings, at(2)) == evaluate(other_way, settings, at(2))


def test_next_response_cycle_started_after_a_change_uses_the_new_policy() -> None:
    settings = tenant(
        sla("high", "high", first_response=60, next_response=60),
        sla("urgent", "urgent", first_response=60, next_response=15),
    )
    ticket = Ticket().reply(at(5)).priority("urgent", at(10)).customer(at(20))

    state = target(ticket, settings, at(30), "next_response", 1)

    assert (state.policy_id, state.due_at) == ("urgent", at(35))


# -- prioritization rules --------------------------------------------------------------------------------------


def test_rules_decide_priority_when_the_ticket_is_created_without_one() -> None:
    ticket = Ticket(priority=None, subject="Login outage")

    outcome = evaluate(ticket, TWO_PRIORITIES, at(10))

    assert (outcome.priority, outcome.priority_source, outcome.rule_id, outcome.policy_id) == (
        "urgent",
        "rules",
        "outages",
        "urgent",
    )


def test_ticket_created_without_priority_and_matching_no_rule_is_low() -> None:
    outcome = evaluate(Ticket(priority=None, subject="A question"), TWO_PRIORITIES, at(10))

    assert (outcome.priority, outcome.policy_id) == ("low", "low")


def test_host_given_priority_is_kept_even_when_a_rule_matches() -> None:
    outcome = evaluate(Ticket(priority="high", subject="Login outage"), TWO_PRIORITIES, at(10))

    assert (outcome.priority, outcome.priority_source, outcome.policy_id) == ("high", "host", "high")


def test_agent_priority_change_is_kept_over_the_rules() -> None:
    ticket = Ticket(priority=None, subject="Login outage").priority("high", at(5))

    outcome = evaluate(ticket, TWO_PRIORITIES, at(10))

    assert (outcome.priority, outcome.policy_id) == ("high", "high")


def test_ticket_matching_no_policy_has_no_targets() -> None:
    assert evaluate(Ticket(priority="normal"), TWO_PRIORITIES, at(10)).targets == ()


# -- delivery: order, duplicates, now ----------------------------------------------------------------------------


def test_duplicate_and_shuffled_events_give_the_same_result() -> None:
    settings = tenant(sla("high", "high", first_response=30, next_response=20, resolution=240))
    ticket = (
        Ticket()
        .note(at(5))
        .reply(at(20))
        .customer(at(30))
        .status("pending", at(40))
        .reply(at(70))
        .status("open", at(90))
        .customer(at(95))
        .solve(at(130))
        .reopen(at(200))
        .solve(at(260))
    )
    expected = evaluate(ticket, settings, at(300))
    delivered = ticket.events + random.Random(7).sample(ticket.events, 5)
    random.Random(11).shuffle(delivered)

    assert evaluate_ticket(ticket.id, delivered, settings, at(300)) == expected


def test_events_after_now_are_ignored() -> None:
    ticket = Ticket().reply(at(90))

    state = target(ticket, FIRST_RESPONSE_HOUR, at(30), "first_response")

    assert (state.status, state.stopped_at, state.due_at) == ("active", None, at(60))


def test_evaluating_at_an_earlier_now_sees_the_history_up_to_then() -> None:
    ticket = Ticket().reply(at(10)).customer(at(20)).reply(at(35))

    assert targets(ticket, NEXT_RESPONSE_30M, at(25))[("next_response", 1)].status == "active"
    assert targets(ticket, NEXT_RESPONSE_30M, at(40))[("next_response", 1)].status == "met"


def test_ticket_created_after_now_has_no_targets() -> None:
    assert evaluate(Ticket(at(60)), FIRST_RESPONSE_HOUR, at(30)).targets == ()


# -- deletion ------------------------------------------------------------------------------------------------------


def test_deleted_ticket_cancels_its_undecided_targets() -> None:
    settings = tenant(sla("high", "high", first_response=60, resolution=240))
    ticket = Ticket().delete(at(30))

    outcome = evaluate(ticket, settings, at(300))

    assert outcome.deleted
    assert [(state.metric, state.status) for state in outcome.targets] == [
        ("first_response", "cancelled"),
        ("resolution", "cancelled"),
    ]


def test_deleted_ticket_keeps_its_decided_outcomes() -> None:
    settings = tenant(sla("high", "high", first_response=60, resolution=30))
    ticket = Ticket().reply(at(20)).delete(at(45))

    found = targets(ticket, settings, at(300))

    assert (found[("first_response", 0)].status, found[("first_response", 0)].stopped_at) == ("met", at(20))
    assert (found[("resolution", 0)].status, found[("resolution", 0)].breached_at) == ("breached", at(30))


def test_events_after_deletion_are_ignored() -> None:
    ticket = Ticket().delete(at(30)).reply(at(40))

    assert target(ticket, FIRST_RESPONSE_HOUR, at(300), "first_response").status == "cancelled"


def test_deletion_exactly_at_the_due_instant_cancels_the_running_target() -> None:
    # The contract is silent here; read like a pause at the due instant: not breached, so cancelled.
    ticket = Ticket().delete(at(60))

    assert target(ticket, FIRST_RESPONSE_HOUR, at(300), "first_response").status == "cancelled"


# -- business hours --------------------------------------------------------------------------------------------------

FRIDAY_4PM_BERLIN = utc(2026, 3, 6, 15)


def berlin_office() -> Settings:
    """Weekdays 09:00–17:00 in Berlin; loaded afresh for every test (a calendar keeps caches)."""
    return tenant(sla("high", "high", first_response=120, resolution=480, calendar="office"), calendars=(office(),))


def test_friday_afternoon_ticket_with_two_business_hours_is_due_monday_at_ten() -> None:
    state = target(Ticket(FRIDAY_4PM_BERLIN), berlin_office(), utc(2026, 3, 7, 12), "first_response")

    # Friday 16:00–17:00 and Monday 09:00–10:00 Berlin.
    assert (state.status, state.due_at) == ("active", utc(2026, 3, 9, 9))
    assert state.business_seconds == 3600


def test_weekend_does_not_count_as_business_time() -> None:
    ticket = Ticket(FRIDAY_4PM_BERLIN).reply(utc(2026, 3, 9, 8, 30))  # Monday 09:30 Berlin

    state = target(ticket, berlin_office(), utc(2026, 3, 9, 12), "first_response")

    assert (state.status, state.business_seconds) == ("met", 90 * MINUTE)


def test_business_hours_target_is_breached_at_its_due_instant_after_the_weekend() -> None:
    state = target(Ticket(FRIDAY_4PM_BERLIN), berlin_office(), utc(2026, 3, 9, 12), "first_response")

    assert (state.status, state.breached_at) == ("breached", utc(2026, 3, 9, 9))


def test_due_that_lands_at_closing_time_is_the_close() -> None:
    created = utc(2026, 3, 4, 14)  # Wednesday 15:00 Berlin

    state = target(Ticket(created), berlin_office(), utc(2026, 3, 5, 12), "first_response")

    assert (state.status, state.breached_at) == ("breached", utc(2026, 3, 4, 16))  # 17:00 Berlin


def test_holiday_is_not_business_time() -> None:
    settings = tenant(
        sla("high", "high", first_response=120, calendar="office"), calendars=(office(holidays=("2026-03-09",)),)
    )

    state = target(Ticket(FRIDAY_4PM_BERLIN), settings, utc(2026, 3, 7, 12), "first_response")

    assert state.due_at == utc(2026, 3, 10, 9)  # Tuesday 10:00 Berlin


def test_pause_is_measured_in_business_time() -> None:
    monday_9am = utc(2026, 3, 2, 8)
    ticket = (
        Ticket(monday_9am)
        .status("pending", utc(2026, 3, 2, 12))  # Monday 13:00 Berlin: 4 business hours used
        .status("open", utc(2026, 3, 3, 14))  # Tuesday 15:00 Berlin
    )

    state = target(ticket, berlin_office(), utc(2026, 3, 3, 15), "resolution")

    # 4 hours left: Tuesday 15:00–17:00 and Wednesday 09:00–11:00 Berlin.
    assert (state.status, state.business_seconds, state.due_at) == ("active", 5 * 3600, utc(2026, 3, 4, 10))


def test_spring_forward_makes_a_window_an_hour_shorter() -> None:
    # Berlin, Sunday 2026-03-29: clocks jump from 02:00 to 03:00, so 01:00–05:00 is three real hours.
    calendar = office(hours={"sun": [["01:00", "05:00"]], "mon": [["09:00", "17:00"]]})
    settings = tenant(sla("high", "high", first_response=240, calendar="office"), calendars=(calendar,))
    created = utc(2026, 3, 29, 0)  # 01:00 CET

    state = target(Ticket(created), settings, utc(2026, 3, 29, 12), "first_response")

    # Three hours on Sunday, the fourth on Monday 09:00–10:00 CEST (07:00–08:00 UTC).
    assert (state.business_seconds, state.due_at) == (3 * 3600, utc(2026, 3, 30, 8))


def test_fall_back_makes_a_window_an_hour_longer() -> None:
    # New York, Sunday 2026-11-01: clocks go back from 02:00 to 01:00, so 00:00–04:00 is five real hours.
    calendar = office("America/New_York", hours={"sun": [["00:00", "04:00"]]})
    settings = tenant(sla("high", "high", first_response=300, calendar="office"), calendars=(calendar,))
    created = utc(2026, 11, 1, 4)  # 00:00 EDT

    state = target(Ticket(created).reply(utc(2026, 11, 1, 9)), settings, utc(2026, 11, 1, 12), "first_response")

    assert (state.status, state.stopped_at, state.business_seconds) == ("met", utc(2026, 11, 1, 9), 5 * 3600)
    assert state.due_at == utc(2026, 11, 1, 9)  # 04:00 EST, the close


def test_outcome_does_not_depend_on_tickets_evaluated_before_with_the_same_settings() -> None:
    # One tenant's settings serve all its tickets; a later-dated ticket evaluated first must not
    # change the answer for an earlier one.
    settings = berlin_office()
    evaluate(Ticket(FRIDAY_4PM_BERLIN, ticket_id="t-later"), settings, utc(2026, 3, 7, 12))
    earlier = Ticket(utc(2026, 3, 2, 8))  # Monday 09:00 Berlin, that same week

    state = target(earlier, settings, utc(2026, 3, 2, 9), "first_response")

    assert (state.status, state.business_seconds, state.due_at) == ("active", 3600, utc(2026, 3, 2, 10))


def test_rules_priority_is_written_back_only_while_it_stands() -> None:
    settings = tenant(sla("urgent", "urgent", first_response=60))
    created = Ticket(priority=None, subject="Total outage")
    decided = evaluate_ticket("t-1", created.events, settings, at(10))
    assert (decided.rules_priority, decided.priority_to_write_back) == ("urgent", "urgent")

    changed_by_agent = evaluate_ticket("t-1", created.priority("high", at(5)).events, settings, at(10))
    assert (changed_by_agent.priority, changed_by_agent.priority_to_write_back) == ("high", None)

    given_by_host = evaluate_ticket("t-1", Ticket(priority="urgent").events, settings, at(10))
    assert given_by_host.priority_to_write_back is None
