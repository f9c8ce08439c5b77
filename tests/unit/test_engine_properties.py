"""The SLA engine against the slow, literal reference in ``tests/engine_reference.py``.

Hypothesis writes random tickets — public and internal messages from agents and customers,
status changes through pending, on_hold, solved, closed and reopens, priority and product
changes, now and then a deletion — and random policies (minutes, pause statuses, a business
calendar in a zone with DST, or 24/7). Tickets are created around DST changes on purpose. For
every target, the engine must agree with the reference on status, policy, start, stop, breach,
business seconds used and, for an active target, its due instant.

Event instants are whole minutes in the main properties (the reference then steps minute by
minute, which is exact); one property uses second precision over a few hours.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.domain.engine import TicketOutcome, evaluate_ticket
from plugin.domain.events import Message, TicketEvent, TicketSnapshot
from plugin.settings.loading import load_settings
from tests.engine_reference import RefTarget, reference_targets
from tests.unit.test_engine import OUTAGE_RULE, Ticket, at, office, sla

ZONE_TRANSITIONS = {  # UTC instants of offset changes in 2026, for tickets created near them
    "Europe/Berlin": ("2026-03-29T01:00", "2026-10-25T01:00"),
    "America/New_York": ("2026-03-08T07:00", "2026-11-01T06:00"),
    "Australia/Lord_Howe": ("2026-04-04T15:00", "2026-10-03T15:30"),  # a 30-minute shift
    "UTC": ("2026-03-06T15:00",),  # a Friday afternoon
}
ZONES = tuple(ZONE_TRANSITIONS)
ANCHORS = tuple(
    datetime.fromisoformat(text).replace(tzinfo=UTC) for texts in ZONE_TRANSITIONS.values() for text in texts
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_TEMPLATES: tuple[list[list[str]], ...] = (
    [],
    [],
    [["09:00", "17:00"]],
    [["00:00", "24:00"]],
    [["01:00", "03:30"]],  # straddles the 02:00–03:00 spring gap and the fall-back repeat
    [["00:30", "02:15"], ["02:45", "06:00"]],
    [["08:00", "12:00"], ["13:00", "18:00"]],
    [["22:00", "24:00"]],
    [["00:00", "01:00"], ["23:00", "24:00"]],
)
PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
PAUSABLE = ("new", "open", "pending", "on_hold")
METRICS = ("first_response", "next_response", "resolution")
ORANGE_RULE = {"id": "orange", "product": "Orange", "channel": "*", "position": 2, "priority": "high"}
# Weights: how often each kind of action is drawn.
ACTIONS = (
    ("agent", True),
    ("agent", True),
    ("agent", True),
    ("agent", False),
    ("customer", True),
    ("customer", True),
    ("customer", True),
    ("customer", False),
    *(("status", status) for status in STATUSES),
    ("status", "open"),
    ("status", "open"),
    ("status", "pending"),
    ("status", "solved"),
    ("status", "solved"),
    ("status", "solved"),
    ("status", "closed"),
    *(("priority", priority) for priority in PRIORITIES),
    ("product", "Orange"),
    ("product", "Lemon"),
    ("product+priority", ("Orange", "urgent")),  # one update changing two routing fields at once
    ("product+priority", ("Lemon", "high")),
    ("channel", "chat"),
    ("channel", "email"),
)


@dataclass
class Scenario:
    document: dict[str, Any]
    events: list[TicketEvent]
    now: datetime

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # how Hypothesis prints a falsifying example
        printer.text(repr(self))

    def __repr__(self) -> str:  # a readable story
        created = self.events[0].occurred_at
        lines = [f"Scenario(now=+{_minutes(self.now - created)}, created={created.isoformat()}"]
        lines.append(f"  snapshot={self.events[0].ticket}")
        for event in self.events[1:]:
            when = _minutes(event.at - created)
            if event.message is not None:
                what = f"{event.message.author_type} {'public' if event.message.public else 'internal'} message"
            elif event.type == "ticket.updated":
                what = f"update {event.changes}"
            else:
                what = event.type
            lines.append(f"  +{when}: {what} [{event.id}]")
        lines.append(f"  policies={self.document['sla_policies']}")
        lines.append(f"  calendars={self.document['calendars']})")
        return "\n".join(lines)


def _minutes(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds % 60 else f"{seconds // 60}m"


# -- strategies ---------------------------------------------------------------------------------------------------


@st.composite
def calendars(draw: st.DrawFn, calendar_id: str) -> dict[str, Any]:
    hours = {day: draw(st.sampled_from(DAY_TEMPLATES)) for day in WEEKDAYS}
    if not any(hours.values()):
        hours["mon"] = [["09:00", "17:00"]]
    holidays = draw(st.lists(st.sampled_from(("2026-03-08", "2026-03-29", "2026-03-30", "2026-10-26",
                                                "2026-11-01", "2026-11-02", "2026-04-05", "2026-03-06")),
                             max_size=2, unique=True))
    return {"id": calendar_id, "timezone": draw(st.sampled_from(ZONES)), "hours": hours, "holidays": holidays}


minutes_budgets = st.one_of(st.sampled_from((1, 5, 15, 30, 60, 90, 120, 240, 480, 1440)), st.integers(1, 900))


@st.composite
def policies(draw: st.DrawFn, calendar_ids: list[str], budgets: st.SearchStrategy[int]) -> list[dict[str, Any]]:
    candidates = [("*", "*", priority) for priority in ("high", "urgent", "normal", "low")]
    candidates += [("Orange", "*", "high"), ("Orange", "*", "urgent")]
    candidates += [("*", "chat", "high"), ("Orange", "chat", "high")]
    chances = (0.9, 0.8, 0.3, 0.3, 0.3, 0.2, 0.2, 0.1)
    keys = [key for key, chance in zip(candidates, chances, strict=True) if draw(st.floats(0, 1)) < chance]
    result = []
    for number, (product, channel, priority) in enumerate(keys):
        metrics = draw(st.lists(st.sampled_from(METRICS), min_size=1, max_size=3, unique=True))
        policy: dict[str, Any] = {
            "id": f"p{number}-{product.strip('*') or 'any'}-{channel.strip('*') or 'any'}-{priority}",
            "name": f"policy {number}",
            "product": product,
            "channel": channel,
            "priority": priority,
            "calendar": draw(st.sampled_from([None, None, *calendar_ids])),
            "targets": [
                {"metric": metric, "minutes": draw(budgets), "success_rate_percent": 90} for metric in metrics
            ],
        }
        pause = draw(st.one_of(st.none(), st.lists(st.sampled_from(PAUSABLE), max_size=3, unique=True)))
        if pause is not None:
            policy["pause_statuses"] = pause
        result.append(policy)
    return result


@st.composite
def documents(draw: st.DrawFn, budgets: st.SearchStrategy[int] = minutes_budgets) -> dict[str, Any]:
    """A tenant's settings document: up to two calendars and the policies that may use them."""
    calendar_list = [draw(calendars(f"cal-{index}")) for index in range(draw(st.integers(0, 2)))]
    return {
        "calendars": calendar_list,
        "prioritization_rules": [OUTAGE_RULE, ORANGE_RULE],
        "sla_policies": draw(policies([item["id"] for item in calendar_list], budgets)),
    }


def _snapshot(ticket_id: str, state: dict[str, Any]) -> TicketSnapshot:
    return TicketSnapshot(id=ticket_id, **state)


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    unit: int = 60,
    gaps: st.SearchStrategy[int] | None = None,
    budgets: st.SearchStrategy[int] = minutes_budgets,
    max_span: int = 3 * 86_400,
    document: dict[str, Any] | None = None,
) -> Scenario:
    """A ticket's story. ``unit`` is the grain of instants in seconds (60: whole minutes)."""
    if document is None:
        document = draw(documents(budgets))
    anchor = draw(st.sampled_from(ANCHORS))
    created = anchor + timedelta(seconds=unit * draw(st.integers(-2 * 86_400 // unit, 6 * 3600 // unit)))
    ticket_id = "t-1"
    state: dict[str, Any] = {
        "product": draw(st.sampled_from(("Orange", "Lemon"))),
        "channel": "email",
        "subject": draw(st.sampled_from(("Login outage", "A question"))),
        "status": draw(st.sampled_from(("new", "new", "new", "open", "pending", "solved"))),
        "priority": draw(st.sampled_from((None, *PRIORITIES))),
        "created_at": created,
    }
    events = [TicketEvent("e000", "ticket.created", created, ticket_id, _snapshot(ticket_id, state))]
    # Gaps as long as a target's budget make ties (a reply or a pause exactly at a due instant) common.
    budgets_here = sorted({target["minutes"] for policy in document["sla_policies"] for target in policy["targets"]})
    gap_strategy = gaps if gaps is not None else st.one_of(
        st.sampled_from((0, 1, 2, 5, 10, 15, 30, 60, 120)).map(lambda minutes: minutes * 60),
        st.integers(0, 1440).map(lambda minutes: minutes * 60),
        st.sampled_from(budgets_here or [60]).map(lambda minutes: minutes * 60),
    )
    offset = 0
    for index in range(1, draw(st.integers(0, 14)) + 1):
        offset += draw(gap_strategy) // unit * unit
        if offset > max_span:
            break
        when = created + timedelta(seconds=offset)
        event_id = f"e{index:03d}"
        kind, value = draw(st.sampled_from(ACTIONS))
        if kind in ("agent", "customer"):
            message = Message(f"m{index:03d}", kind, value, when)  # type: ignore[arg-type]
            events.append(
                TicketEvent(event_id, "message.created", when, ticket_id, _snapshot(ticket_id, state), message=message)
            )
        else:
            names, values = kind.split("+"), value if "+" in kind else (value,)
            changes = {name: (state[name], new) for name, new in zip(names, values, strict=True)}
            state.update({name: new for name, (_old, new) in changes.items()})
            snapshot = _snapshot(ticket_id, state)
            events.append(TicketEvent(event_id, "ticket.updated", when, ticket_id, snapshot, changes))
    if draw(st.integers(0, 9)) == 0:
        offset += draw(gap_strategy) // unit * unit
        events.append(TicketEvent("e999", "ticket.deleted", created + timedelta(seconds=offset), ticket_id))
    last = events[-1].at
    now_strategy = st.one_of(
        st.integers(0, 3 * 3600 // unit).map(lambda n: last + timedelta(seconds=n * unit)),
        st.integers(0, int((last - created).total_seconds()) // unit).map(
            lambda n: created + timedelta(seconds=n * unit)
        ),
    )
    return Scenario(document, events, draw(now_strategy))


@st.composite
def reopen_scenarios(draw: st.DrawFn) -> Scenario:
    """A ticket's story that ends solved, then a public customer message and a reopen in either order
    (at one instant, a minute or an hour apart), or the message on a ticket that stays solved; an
    agent may reply in between, and the story may go on."""
    base = draw(scenarios())
    events = [event for event in base.events if event.type != "ticket.deleted"]
    snapshot = events[-1].ticket
    assert snapshot is not None
    when = max(event.at for event in events) + timedelta(minutes=draw(st.sampled_from((0, 1, 30))))
    story: list[TicketEvent] = []

    def status(new: str) -> None:
        nonlocal snapshot
        assert snapshot is not None
        changes = {"status": (snapshot.status, new)}
        snapshot = replace(snapshot, status=new)
        story.append(TicketEvent(f"r{len(story):02d}", "ticket.updated", when, "t-1", snapshot, changes))

    def message(author: str) -> None:
        text = Message(f"rm{len(story):02d}", author, True, when)  # type: ignore[arg-type]
        story.append(TicketEvent(f"r{len(story):02d}", "message.created", when, "t-1", snapshot, message=text))

    if snapshot.status not in ("solved", "closed"):
        status("solved")
    gap = timedelta(minutes=draw(st.sampled_from((0, 1, 1, 2, 60))))
    order = draw(st.sampled_from(("message first", "reopen first", "stays solved")))
    steps = {"message first": ("customer", "reopen"), "reopen first": ("reopen", "customer"),
             "stays solved": ("customer",)}[order]
    for number, step in enumerate(steps):
        when += gap if number else timedelta(minutes=1)
        if draw(st.integers(0, 5)) == 0:
            message("agent")
        status("open") if step == "reopen" else message("customer")
    for _ in range(draw(st.integers(0, 2))):
        when += timedelta(minutes=draw(st.sampled_from((1, 10, 45))))
        kind = draw(st.sampled_from(("agent", "customer", "solve")))
        status("solved") if kind == "solve" else message(kind)
    now = when + timedelta(minutes=draw(st.sampled_from((0, 5, 60, 600))))
    return Scenario(base.document, events + story, now)


# -- comparison ------------------------------------------------------------------------------------------------------


FIELDS = ("status", "policy_id", "started_at", "stopped_at", "breached_at", "business_seconds", "due_at")


def _engine_view(outcome: TicketOutcome) -> dict[tuple[str, int], dict[str, Any]]:
    view = {}
    for state in outcome.targets:
        row = {name: getattr(state, name) for name in FIELDS}
        if state.status == "met":
            del row["due_at"]  # for a met target the due instant is informative only
        view[(state.metric, state.cycle)] = row
    return view


def _reference_view(
    expected: dict[tuple[str, int], RefTarget], engine: dict[tuple[str, int], dict[str, Any]]
) -> dict[tuple[str, int], dict[str, Any]]:
    view = {}
    for key, ref in expected.items():
        row = {name: getattr(ref, name) for name in FIELDS}
        if ref.status == "breached":
            row["due_at"] = ref.breached_at
        elif ref.status == "met":
            del row["due_at"]
        elif ref.status == "active" and ref.due_at is None:  # due beyond the reference's horizon
            row["due_at"] = engine.get(key, {}).get("due_at")
        view[key] = row
    return view


def _differences(engine: dict[Any, dict[str, Any]], reference: dict[Any, dict[str, Any]]) -> list[str]:
    lines = []
    for key in sorted(set(engine) | set(reference)):
        if key not in engine or key not in reference:
            lines.append(f"{key}: engine {engine.get(key)} / reference {reference.get(key)}")
            continue
        mine, theirs = engine[key], reference[key]
        compared = ("status", "policy_id", "started_at") if theirs["status"] == "cancelled" else tuple(theirs)
        for name in compared:
            if mine.get(name) != theirs.get(name):
                lines.append(f"{key} {name}: engine {mine.get(name)} / reference {theirs.get(name)}")
    return lines


def check_against_reference(scenario: Scenario) -> None:
    settings_ = load_settings(scenario.document)
    outcome = evaluate_ticket("t-1", scenario.events, settings_, scenario.now)
    expected = reference_targets(scenario.events, scenario.document, scenario.now)
    engine = _engine_view(outcome)
    differences = _differences(engine, _reference_view(expected, engine))
    assert not differences, "engine and reference disagree:\n" + "\n".join(differences)


# -- the reference itself, on examples worked out by hand --------------------------------------------------------


def _document(*policies: dict[str, Any], calendars: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {"calendars": list(calendars), "prioritization_rules": [OUTAGE_RULE], "sla_policies": list(policies)}


def test_reference_friday_afternoon_with_two_business_hours_is_due_monday_at_ten() -> None:
    document = _document(sla("p", "high", first_response=120, calendar="office"), calendars=(office(),))
    friday_4pm_berlin = datetime(2026, 3, 6, 15, tzinfo=UTC)

    found = reference_targets(Ticket(friday_4pm_berlin).events, document, datetime(2026, 3, 7, tzinfo=UTC))

    assert found[("first_response", 0)].due_at == datetime(2026, 3, 9, 9, tzinfo=UTC)
    assert found[("first_response", 0)].business_seconds == 3600


def test_reference_breaches_a_target_paused_at_its_due_when_it_runs_again() -> None:
    ticket = Ticket().status("pending", at(60)).status("open", at(120))

    found = reference_targets(ticket.events, _document(sla("p", "high", resolution=60)), at(180))

    assert (found[("resolution", 0)].status, found[("resolution", 0)].breached_at) == ("breached", at(120))


def test_reference_stops_resolution_at_the_solve_not_at_the_later_close() -> None:
    ticket = Ticket().solve(at(100)).status("closed", at(300))

    found = reference_targets(ticket.events, _document(sla("p", "high", resolution=240)), at(400))

    assert (found[("resolution", 0)].status, found[("resolution", 0)].stopped_at) == ("met", at(100))


def test_reference_counts_a_spring_forward_window_as_an_hour_shorter() -> None:
    calendar = office(hours={"sun": [["01:00", "05:00"]], "mon": [["09:00", "17:00"]]})
    document = _document(sla("p", "high", first_response=240, calendar="office"), calendars=(calendar,))
    created = datetime(2026, 3, 29, 0, tzinfo=UTC)  # Sunday 01:00 CET in Berlin

    found = reference_targets(Ticket(created).events, document, datetime(2026, 3, 29, 12, tzinfo=UTC))

    assert found[("first_response", 0)].business_seconds == 3 * 3600
    assert found[("first_response", 0)].due_at == datetime(2026, 3, 30, 8, tzinfo=UTC)  # Monday 10:00 CEST


def test_reference_answers_to_the_second() -> None:
    ticket = Ticket().reply(at(60, seconds=1))

    found = reference_targets(ticket.events, _document(sla("p", "high", first_response=60)), at(90))

    assert (found[("first_response", 0)].status, found[("first_response", 0)].breached_at) == ("breached", at(60))


# -- properties ----------------------------------------------------------------------------------------------------


@settings(deadline=None, max_examples=3500, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_engine_agrees_with_the_reference(scenario: Scenario) -> None:
    check_against_reference(scenario)


@settings(deadline=None, max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    scenarios(
        unit=1,
        gaps=st.integers(0, 1200),
        budgets=st.integers(1, 45),
        max_span=3 * 3600,
    )
)
def test_engine_agrees_with_the_reference_to_the_second(scenario: Scenario) -> None:
    check_against_reference(scenario)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reopen_scenarios())
def test_engine_agrees_with_the_reference_when_a_solved_ticket_is_written_to(scenario: Scenario) -> None:
    """A customer message on a solved ticket and its reopen, in either order, or no reopen at all."""
    check_against_reference(scenario)


@settings(deadline=None, max_examples=400)
@given(scenarios(), st.randoms(use_true_random=False), st.integers(0, 6))
def test_shuffled_and_duplicated_events_give_the_same_outcome(
    scenario: Scenario, shuffler: random.Random, copies: int
) -> None:
    settings_ = load_settings(scenario.document)
    ordered = evaluate_ticket("t-1", scenario.events, settings_, scenario.now)
    delivered = scenario.events + [shuffler.choice(scenario.events) for _ in range(copies)]
    shuffler.shuffle(delivered)

    assert evaluate_ticket("t-1", delivered, settings_, scenario.now) == ordered


@settings(deadline=None, max_examples=300)
@given(
    documents().flatmap(
        lambda document: st.lists(scenarios(document=document), min_size=2, max_size=4).map(
            lambda stories: (document, stories)
        )
    )
)
def test_outcome_does_not_depend_on_the_tickets_evaluated_before(case: tuple[dict[str, Any], list[Scenario]]) -> None:
    """One tenant's settings serve every ticket: whatever was evaluated before must not matter."""
    document, stories = case
    shared = load_settings(document)
    for story in stories:
        alone = evaluate_ticket("t-1", story.events, load_settings(document), story.now)

        assert evaluate_ticket("t-1", story.events, shared, story.now) == alone
