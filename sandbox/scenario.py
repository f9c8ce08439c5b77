"""A working day at a helpdesk, for the tests, the benchmarks and the live demo.

``working_day(seed, start)`` is deterministic: the same seed and start give the same steps. Its
timeline is in whole minutes from ``start``, so ``play`` can replay it at once (the clock frozen
at each step's instant) or ``rate`` times faster than real time. Every story below happens at
least once a day, whatever the seed; the seed decides when, to whom, and how many routine
tickets (the worked example's urgent Orange email outages, about one in four answered late) fill
the day around them. Its settings document is ``day_settings.SETTINGS``.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from .day_settings import SETTINGS

DAY_MINUTES = 600  # 09:00 to 19:00 in Istanbul when the day starts at 06:00Z
DEFAULT_START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday, 09:00 in Istanbul
@dataclass(frozen=True)
class Step:
    minute: int  # from the scenario's start
    action: str  # "create", "reply", "update" or "delete"
    ticket_id: str
    fields: dict[str, Any]  # create/update: ticket fields; reply: author, body, public, status
    story: str  # which story of the day the ticket tells


@dataclass(frozen=True)
class Scenario:
    seed: int
    start: datetime
    steps: tuple[Step, ...]
    settings: dict[str, Any]

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=DAY_MINUTES)

    def at(self, step: Step) -> datetime:
        return self.start + timedelta(minutes=step.minute)

    def stories(self) -> dict[str, str]:
        """Each ticket's story."""
        return {step.ticket_id: step.story for step in self.steps if step.action == "create"}


class Driver(Protocol):
    """What plays a scenario: ``SandboxHost`` in process, ``SandboxClient`` over HTTP."""

    def set_clock(self, now: datetime | None, rate: float = 0.0) -> Any: ...
    def create_ticket(self, account_id: str, fields: dict[str, Any], send: bool = True) -> Any: ...
    def update_ticket(self, account_id: str, ticket_id: str, fields: dict[str, Any], send: bool = True) -> Any: ...
    def reply(self, account_id: str, ticket_id: str, author: str, body: str = "", public: bool = True,
              status: str | None = None, send: bool = True) -> Any: ...
    def delete_ticket(self, account_id: str, ticket_id: str, send: bool = True) -> Any: ...


def working_day(seed: int, start: datetime = DEFAULT_START) -> Scenario:
    rng = random.Random(seed)
    stories: list[tuple[str, str, list[tuple[int, str, dict[str, Any]]]]] = []  # (story, id prefix, steps)
    for name, write in STORIES.items():
        stories.append((name, _PREFIX[name], write(_Writer(rng))))
    for _ in range(rng.randint(18, 26)):
        stories.append(("routine_outage", "ORG", _routine_outage(_Writer(rng))))
    for _ in range(rng.randint(4, 8)):
        stories.append(("routine_lemon_web", "LEM", _routine_lemon(_Writer(rng))))
    placed = []
    for index, (name, prefix, relative) in enumerate(stories):
        span = relative[-1][0]
        if name == "unanswered_at_close":
            created = DAY_MINUTES - rng.randint(21, 28)  # inside its 10-minute warning window at the day's end
        else:
            created = rng.randint(0, DAY_MINUTES - span - 1)
        placed.append((created, index, name, prefix, relative))
    placed.sort()
    steps: list[tuple[int, int, int, Step]] = []
    numbers: dict[str, int] = {}
    for created, index, name, prefix, relative in placed:
        numbers[prefix] = numbers.get(prefix, 0) + 1
        ticket_id = (f"INC/{start.year}/{numbers[prefix]}" if prefix == "INC"
                     else f"{prefix}-{numbers[prefix]:04d}")
        for order, (offset, action, fields) in enumerate(relative):
            steps.append((created + offset, index, order, Step(created + offset, action, ticket_id, fields, name)))
    steps.sort(key=lambda item: item[:3])
    return Scenario(seed, start.astimezone(UTC), tuple(step for *_, step in steps), copy.deepcopy(SETTINGS))


def play(scenario: Scenario, driver: Driver, account_id: str, rate: float | None = None,
         on_step: Callable[[Step], None] | None = None, sleep: Callable[[float], None] = time.sleep,
         monotonic: Callable[[], float] = time.monotonic) -> None:
    """Every step, in order. Without ``rate`` at once, the clock frozen at each step's instant; with
    it, the clock runs ``rate`` times faster than real time from the start and each step waits for
    its instant."""
    began = monotonic()
    if rate:
        driver.set_clock(scenario.start, rate)
    for step in scenario.steps:
        if rate:
            wait = step.minute * 60 / rate - (monotonic() - began)
            if wait > 0:
                sleep(wait)
        else:
            driver.set_clock(scenario.at(step))
        perform(step, driver, account_id)
        if on_step is not None:
            on_step(step)


def perform(step: Step, driver: Driver, account_id: str) -> Any:
    if step.action == "create":
        return driver.create_ticket(account_id, {"id": step.ticket_id, **step.fields})
    if step.action == "update":
        return driver.update_ticket(account_id, step.ticket_id, step.fields)
    if step.action == "reply":
        return driver.reply(account_id, step.ticket_id, **step.fields)
    return driver.delete_ticket(account_id, step.ticket_id)


# The stories. Each writes one ticket's steps in minutes from its creation.

CITIES = ("Istanbul", "Ankara", "Izmir", "Bursa", "Antalya", "Konya", "Adana", "Trabzon")
NAMES = ("Ayşe Yılmaz", "Mehmet Demir", "Elif Kaya", "Can Öztürk", "Zeynep Arslan", "Burak Şahin",
         "Deniz Aydın", "Ece Çelik", "Emre Koç", "Selin Kurt")
DOMAINS = ("mail.example", "post.example", "inbox.example")


class _Writer:
    """One ticket's steps, built in order, with the day's random choices."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.steps: list[tuple[int, str, dict[str, Any]]] = []
        self.minute = 0

    def after(self, low: int, high: int) -> _Writer:
        self.minute += self.rng.randint(low, high)
        return self

    def create(self, product: str, channel: str, subject: str, body: str, priority: str | None = None,
               domain: str | None = None) -> _Writer:
        name = self.rng.choice(NAMES)
        email = f"{name.split()[0].lower().replace('ş', 's').replace('ç', 'c')}@{domain or self.rng.choice(DOMAINS)}"
        self.steps.append((self.minute, "create", {
            "product": product, "channel": channel, "subject": subject, "body": body, "status": "new",
            "priority": priority, "requester": {"name": name, "email": email}, "tags": []}))
        return self

    def reply(self, author: str, body: str, status: str | None = None, public: bool = True) -> _Writer:
        fields: dict[str, Any] = {"author": author, "body": body, "public": public}
        if status is not None:
            fields["status"] = status
        self.steps.append((self.minute, "reply", fields))
        return self

    def update(self, **fields: Any) -> _Writer:
        self.steps.append((self.minute, "update", fields))
        return self

    def delete(self) -> _Writer:
        self.steps.append((self.minute, "delete", {}))
        return self

    def outage(self) -> _Writer:
        city = self.rng.choice(CITIES)
        subject = self.rng.choice((f"Service outage in {city}", f"Outage: no signal in {city}",
                                   f"Internet outage since this morning ({city})"))
        return self.create("Orange", "email", subject, "Nothing loads, at home and at work.")


def _answered(low: int, high: int) -> Callable[[_Writer], list[tuple[int, str, dict[str, Any]]]]:
    def write(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
        ticket.outage().after(low, high).reply("agent", "We are on it: a line card failed.", "open")
        return ticket.after(40, 150).reply("agent", "Fixed; please tell us if it happens again.", "solved").steps
    return write


def _routine_outage(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    late = ticket.rng.random() < 0.25
    return _answered(31, 90)(ticket) if late else _answered(3, 29)(ticket)


def _routine_lemon(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.create("Lemon", "web", ticket.rng.choice(("How do I export my data?", "Dark mode request",
                                                      "Password reset mail not arriving")), "Thanks!")
    ticket.after(30, 200).reply("agent", "Here is how.", "solved")
    return ticket.steps


def _next_response_late(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.outage().after(5, 15).reply("agent", "Looking into it.", "open")
    ticket.after(20, 40).reply("customer", "Any news? Still down.")
    ticket.after(61, 100).reply("agent", "Sorry for the wait: fixed now.")
    return ticket.after(10, 30).update(status="solved").steps


def _resolved_late(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.outage().after(5, 20).reply("agent", "A technician is on the way.", "open")
    return ticket.after(250, 300).reply("agent", "The cable is replaced.", "solved").steps  # past 240 minutes


def _pending_then_customer(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.outage().after(5, 20).reply("agent", "Which modem model do you have?", "pending")
    ticket.after(30, 90).reply("customer", "It is the X200.", "open")
    ticket.after(10, 40).reply("agent", "A firmware update fixes it; done remotely.", "solved")
    return ticket.steps


def _on_hold_third_party(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.create("Orange", "email", "Leased line contract renewal", "Our line contract ends next month.",
                  domain="bigbank.example")
    ticket.after(20, 50).reply("agent", "We asked the carrier for a quote.", "on_hold")
    ticket.after(60, 120).update(status="open")
    return ticket.after(10, 30).reply("agent", "Here is the carrier's quote.", "solved").steps


def _reopened(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.create("Orange", "chat", "Roaming does not work", "I am in Berlin and have no data.")
    ticket.after(1, 4).reply("agent", "Roaming is now enabled on your line.")
    ticket.after(5, 15).update(status="solved")
    ticket.after(20, 60).reply("customer", "Still no data here.")
    ticket.after(0, 1).update(status="open")
    ticket.after(3, 8).reply("agent", "Please restart the phone; the profile was resent.")
    return ticket.after(5, 15).update(status="solved").steps


def _host_priority(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.create("Orange", "email", "Question about roaming prices", "What does a day in Germany cost?",
                  priority="high")
    ticket.after(20, 50).reply("agent", "It is in the price list, page 3.", "solved")
    return ticket.steps


def _agent_raises_priority(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.create("Orange", "chat", "Shop system cannot take payments", "Our card terminal is offline.")
    ticket.after(1, 3).update(priority="urgent")
    ticket.after(1, 3).reply("agent", "Escalated to the payments team.")
    return ticket.after(10, 25).update(status="solved").steps


def _moved_product(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.create("Lemon", "web", "Outage on my Orange line", "Filed on the wrong form, sorry.")
    ticket.after(10, 20).update(product="Orange", channel="email", priority="urgent")
    ticket.after(5, 15).reply("agent", "Moved to Orange support; a technician is on the way.")
    return ticket.after(30, 90).update(status="solved").steps


def _deleted_spam(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.create("Lemon", "web", "You won a prize!!!", "Click here.")
    return ticket.after(2, 10).delete().steps


def _unanswered_at_close(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    return ticket.outage().steps


def _slash_id(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.create("Lemon", "phone", "Call back about my order", "Customer called about order 1187.")
    ticket.after(5, 14).reply("agent", "Called back; the order ships tomorrow.", "pending")
    ticket.after(20, 60).reply("customer", "Thanks, got the tracking number.", "open")
    return ticket.after(1, 5).update(status="solved").steps


def _solved_without_reply(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.create("Lemon", "web", "Refund for a double charge", "I was charged twice this month.")
    return ticket.after(10, 40).update(status="solved").steps


def _private_note_first(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.outage().after(3, 8).reply("agent", "Checking the cell tower logs.", public=False)
    ticket.after(28, 37).reply("agent", "The tower is back up.", "solved")  # 31-45 minutes: too late
    return ticket.steps


def _cannot_log_in(ticket: _Writer) -> list[tuple[int, str, dict[str, Any]]]:
    ticket.create("Orange", "email", "Help", "I cannot log in to my account since this morning.")
    return ticket.after(5, 25).reply("agent", "Your password has been reset.", "solved").steps


STORIES: dict[str, Callable[[_Writer], list[tuple[int, str, dict[str, Any]]]]] = {
    "outage_answered_in_time": _answered(5, 18),
    "outage_answered_late": _answered(35, 80),
    "outage_answered_in_warning_window": _answered(21, 29),
    "next_response_late": _next_response_late,
    "resolved_late": _resolved_late,
    "pending_then_customer": _pending_then_customer,
    "on_hold_third_party": _on_hold_third_party,
    "reopened": _reopened,
    "host_set_priority": _host_priority,
    "agent_raises_priority": _agent_raises_priority,
    "moved_to_another_product": _moved_product,
    "deleted_spam": _deleted_spam,
    "unanswered_at_close": _unanswered_at_close,
    "id_with_a_slash": _slash_id,
    "solved_without_reply": _solved_without_reply,
    "private_note_is_no_answer": _private_note_first,
    "body_says_cannot_log_in": _cannot_log_in,
}
_PREFIX = {name: "ORG" for name in STORIES} | {
    "moved_to_another_product": "LEM", "deleted_spam": "LEM", "solved_without_reply": "LEM", "id_with_a_slash": "INC"}
