"""Synthetic but realistic helpdesk traffic for the simulator benchmark.

``write_stream`` writes webhook bodies (the reference host protocol, see
``tests/data/desk360_example/events.jsonl``) as JSONL in global time order. Tickets are
generated one at a time in creation order; their future events wait in a heap until the
stream's clock reaches them, so memory stays bounded by the tickets open at once, not by
the length of the stream.

``settings_document`` is a tenant's settings in the export format: prioritization rules and
several policies on a 24/7 clock and on two business-hours calendars.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STREAM_START = int(datetime(2025, 1, 6, tzinfo=UTC).timestamp())  # a Monday
HOUR = 3600
DAY = 86_400

PRODUCTS = ("Orange", "Lemon", "Lime", "Kiwi")
PRODUCT_WEIGHTS = (4, 3, 2, 1)
CHANNELS = ("email", "chat", "phone", "web")
CHANNEL_WEIGHTS = (5, 3, 1, 2)
DOMAINS = ("example.com", "bigcorp.com", "gmail.com", "startup.io", "uni-berlin.de", "mail.fr")
DOMAIN_WEIGHTS = (5, 1, 4, 2, 1, 2)
REGIONS = ("EU-West", "EU-Central", "US-East", "APAC")
VERBS = ("export my data", "change my plan", "add a user", "reset 2FA", "connect Slack", "delete my account")
SUBJECTS = (
    ("Service outage in {region}", 3),
    ("Cannot log in", 6),
    ("Invoice question #{n}", 10),
    ("Bug: export fails in {region}", 8),
    ("Password reset", 10),
    ("How do I {verb}?", 35),
    ("Feature request: {verb}", 10),
    ("Re: your order {n}", 18),
)
BODIES = (
    "Hello, since this morning I cannot log in to the dashboard.",
    "Please see the attached screenshot, the export stops at 80 %.",
    "We were charged twice this month, can you check?",
    "Is there a way to do this through the API?",
    "Thanks for the quick help last time. I have another question.",
    "Nothing loads, every page shows an error 502.",
    "The mobile app crashes when I open the settings.",
    "Can I get a copy of my invoice as PDF?",
    "Our new colleague did not get the invitation e-mail.",
    "The report shows yesterday's numbers only.",
)
TAGS = ((), ("vip",), ("billing",), ("mobile",), ("vip", "billing"), ("beta",))
TAG_WEIGHTS = (70, 6, 12, 8, 1, 3)
AGENT_TEXTS = ("Looking into it.", "Thanks, this is fixed now.", "Could you send us the log file?", "Done!")
CUSTOMER_TEXTS = ("Here is the log file.", "Still broken, sorry.", "Thanks, that worked.", "Any news?")


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def settings_document() -> dict[str, Any]:
    """Rules and policies of a mid-sized tenant (design.md §5 export format)."""
    weekdays = ("mon", "tue", "wed", "thu", "fri")
    return {
        "timezone": "Europe/Berlin",
        "calendars": [
            {
                "id": "berlin-office",
                "name": "Berlin office",
                "timezone": "Europe/Berlin",
                "hours": {day: [["09:00", "17:00"]] for day in weekdays},
                "holidays": [{"date": "2025-12-24", "name": "Christmas Eve"}, "2025-12-31", "2026-12-24"],
                "holiday_preset": {"country": "DE", "subdivision": "BE"},
            },
            {
                "id": "us-support",
                "name": "US support",
                "timezone": "America/New_York",
                "hours": {**{day: [["08:00", "12:00"], ["13:00", "20:00"]] for day in weekdays},
                          "sat": [["10:00", "14:00"]]},
                "holidays": ["2025-07-04", "2025-11-27", "2025-12-25", "2026-01-01", "2026-07-03"],
            },
        ],
        "prioritization_rules": [
            {
                "id": "outage", "name": "Outages", "product": "*", "channel": "*", "match": "any",
                "conditions": [
                    {"field": "subject", "op": "contains", "value": "outage"},
                    {"field": "body", "op": "contains", "value": "cannot log in"},
                ],
                "priority": "urgent", "position": 1,
            },
            {
                "id": "vip", "name": "VIP customers", "product": "*", "channel": "*",
                "conditions": [{"field": "tags", "op": "in", "value": ["vip", "enterprise"]}],
                "priority": "high", "position": 2,
            },
            {
                "id": "bigcorp", "name": "BigCorp on Orange", "product": "Orange", "channel": "*",
                "conditions": [{"field": "requester_domain", "op": "is", "value": "bigcorp.com"}],
                "priority": "high", "position": 3,
            },
            {
                "id": "lemon-phone-bugs", "name": "Lemon bugs by phone", "product": "Lemon", "channel": "phone",
                "conditions": [{"field": "subject", "op": "starts_with", "value": "bug"}],
                "priority": "high", "position": 4,
            },
            {
                "id": "billing", "name": "Billing", "product": "*", "channel": "*", "match": "all",
                "conditions": [
                    {"field": "subject", "op": "contains", "value": "invoice"},
                    {"field": "tags", "op": "in", "value": ["billing"]},
                ],
                "priority": "normal", "position": 5,
            },
            {
                "id": "chat", "name": "Chat is normal", "product": "*", "channel": "chat",
                "conditions": [], "priority": "normal", "position": 6,
            },
            {
                "id": "not-gmail", "name": "Business addresses", "product": "*", "channel": "*",
                "conditions": [{"field": "requester_email", "op": "not_contains", "value": "@gmail."}],
                "priority": "normal", "position": 7,
            },
        ],
        "sla_policies": [
            _policy("urgent-247", "*", "*", "urgent", None, {"first_response": 30, "next_response": 60,
                                                           "resolution": 480}, pause=[], warn_percent=25),
            _policy("high-office", "*", "*", "high", "berlin-office",
                    {"first_response": 120, "next_response": 240, "resolution": 1440}, warn_minutes=30),
            _policy("normal-office", "*", "*", "normal", "berlin-office",
                    {"first_response": 480, "next_response": 480, "resolution": 2400}),
            _policy("low-office", "*", "*", "low", "berlin-office",
                    {"first_response": 960, "resolution": 7200}),
            _policy("orange-chat-urgent", "Orange", "chat", "urgent", None,
                    {"first_response": 5, "next_response": 10, "resolution": 240}, pause=["on_hold"]),
            _policy("lemon-high-us", "Lemon", "*", "high", "us-support",
                    {"first_response": 60, "next_response": 120, "resolution": 960}, warn_percent=20),
            _policy("lime-phone-low", "Lime", "phone", "low", "berlin-office",
                    {"first_response": 1440, "resolution": 9600}, enabled=False),
        ],
    }


def _policy(
    policy_id: str,
    product: str,
    channel: str,
    priority: str,
    calendar: str | None,
    minutes: dict[str, int],
    pause: list[str] | None = None,
    warn_minutes: int | None = None,
    warn_percent: float | None = None,
    enabled: bool = True,
) -> dict[str, Any]:
    rates = {"first_response": 90, "next_response": 85, "resolution": 80}
    return {
        "id": policy_id,
        "name": policy_id.replace("-", " ").title(),
        "product": product,
        "channel": channel,
        "priority": priority,
        "calendar": calendar,
        "targets": [
            {"metric": metric, "minutes": value, "success_rate_percent": rates[metric]}
            for metric, value in minutes.items()
        ],
        "pause_statuses": ["pending", "on_hold"] if pause is None else pause,
        "warn_before_minutes": warn_minutes,
        "warn_before_percent": warn_percent,
        "enabled": enabled,
    }


def _expected_priority(product: str, channel: str, subject: str, body: str, tags: tuple[str, ...], email: str) -> str:
    """What the rules above will decide; the host echoes it in later snapshots and changes."""
    if "outage" in subject.lower() or "cannot log in" in body.lower():
        return "urgent"
    if "vip" in tags or (product == "Orange" and email.endswith("@bigcorp.com")):
        return "high"
    if product == "Lemon" and channel == "phone" and subject.lower().startswith("bug"):
        return "high"
    if ("invoice" in subject.lower() and "billing" in tags) or channel == "chat" or "@gmail." not in email:
        return "normal"
    return "low"


def _is_staffed(ts: int) -> bool:
    """Roughly the Berlin team's hours, read in UTC (1970-01-01 was a Thursday)."""
    weekday = (ts // DAY + 3) % 7
    return weekday < 5 and 7 <= (ts % DAY) // HOUR < 16


def _next_staffed(ts: int) -> int:
    while not _is_staffed(ts):
        ts = (ts // HOUR + 1) * HOUR
    return ts


def _delay(rng: random.Random, median_hours: float, sigma: float = 1.0) -> int:
    """Seconds until someone acts: log-normal, so most are quick and a few take very long."""
    return max(1, int(HOUR * rng.lognormvariate(math.log(median_hours), sigma)))


class _Ticket:
    """One ticket's lifecycle as webhook bodies with their instants."""

    def __init__(self, rng: random.Random, number: int, created: int) -> None:
        self.rng = rng
        self.id = f"T{number:07d}"
        self.events: list[tuple[int, dict[str, Any]]] = []
        self.status = "new"
        product = rng.choices(PRODUCTS, PRODUCT_WEIGHTS)[0]
        channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
        template = rng.choices([s for s, _ in SUBJECTS], [w for _, w in SUBJECTS])[0]
        subject = template.format(region=rng.choice(REGIONS), verb=rng.choice(VERBS), n=rng.randrange(10_000, 99_999))
        body = rng.choice(BODIES)
        tags = rng.choices(TAGS, TAG_WEIGHTS)[0]
        email = f"c{number}@{rng.choices(DOMAINS, DOMAIN_WEIGHTS)[0]}"
        self.priority = _expected_priority(product, channel, subject, body, tags, email)
        self.urgent = self.priority in ("urgent", "high")
        self.fields: dict[str, Any] = {
            "id": self.id,
            "product": product,
            "channel": channel,
            "subject": subject,
            "body": body,
            "requester": {"name": f"Customer {number}", "email": email},
            "tags": list(tags),
            "created_at": iso(created),
        }

    def _emit(self, ts: int, kind: str, data: dict[str, Any]) -> None:
        body = {
            "id": f"evt_{self.id}_{len(self.events):03d}",
            "type": kind,
            "occurred_at": iso(ts),
            "account_id": "acme",
            "data": data,
        }
        self.events.append((ts, body))
        if self.rng.random() < 0.005:  # a webhook retry: the same body delivered twice
            self.events.append((ts + self.rng.randrange(1, 120), body))

    def _snapshot(self, ts: int, priority: str | None) -> dict[str, Any]:
        return {**self.fields, "status": self.status, "priority": priority, "updated_at": iso(ts)}

    def created(self, ts: int) -> None:
        self._emit(ts, "ticket.created", {"ticket": self._snapshot(ts, None)})

    def update(self, ts: int, **changes: str) -> None:
        pairs: dict[str, list[Any]] = {}
        for name, new in changes.items():
            old = self.status if name == "status" else self.priority if name == "priority" else self.fields[name]
            pairs[name] = [old, new]
            if name == "status":
                self.status = new
            elif name == "priority":
                self.priority = new
            else:
                self.fields[name] = new
        self._emit(ts, "ticket.updated", {"ticket": self._snapshot(ts, self.priority), "changes": pairs})

    def message(self, ts: int, author: str, public: bool = True) -> None:
        texts = AGENT_TEXTS if author == "agent" else CUSTOMER_TEXTS
        message = {
            "id": f"M{self.id}_{len(self.events):03d}",
            "author_type": author,
            "public": public,
            "created_at": iso(ts),
            "body": self.rng.choice(texts),
        }
        self._emit(ts, "message.created", {"ticket": {"id": self.id}, "message": message})

    def other(self, ts: int) -> None:
        """An event type the plugin does not handle (it must be read and skipped)."""
        self._emit(ts, "ticket.assigned", {"ticket": {"id": self.id}, "assignee": {"id": "agent-7"}})

    def deleted(self, ts: int) -> None:
        self._emit(ts, "ticket.deleted", {"ticket": {"id": self.id}})

    def agent_time(self, after: int) -> int:
        rng = self.rng
        if self.fields["channel"] == "chat":
            return _next_staffed(after) + _delay(rng, 0.08, 1.2)
        median = 0.3 if self.urgent else 3.0
        return _next_staffed(after) + _delay(rng, median, 1.1)

    def customer_time(self, after: int) -> int:
        return after + _delay(self.rng, 0.5 if self.fields["channel"] == "chat" else 10.0, 1.3)


def ticket_events(rng: random.Random, number: int, created: int) -> list[tuple[int, dict[str, Any]]]:
    """The whole life of one ticket: creation, replies, pauses, re-prioritisation, solve, reopen."""
    t = _Ticket(rng, number, created)
    t.created(created)
    now = created
    if rng.random() < 0.3:  # the customer adds details before anyone answers
        now += _delay(rng, 0.3)
        t.message(now, "customer")
    if rng.random() < 0.05:  # spam or duplicate: solved without a reply
        t.update(t.agent_time(now), status="solved")
        return t.events
    now = t.agent_time(now)
    if rng.random() < 0.15:
        t.message(max(created, now - 60), "agent", public=False)  # internal note
    if rng.random() < 0.03:
        t.other(max(created, now - 30))
    t.message(now, "agent")
    t.update(now, status="open")
    for _ in range(rng.choices((0, 1, 2, 3, 4, 6), (35, 28, 18, 10, 6, 3))[0]):
        now = _conversation_round(t, now)
    _ending(t, now)
    return t.events


def _conversation_round(t: _Ticket, now: int) -> int:
    """The customer writes back (maybe after a pending pause), something may change, an agent answers."""
    rng = t.rng
    if rng.random() < 0.6:  # waiting on the customer: the resolution clock pauses
        t.update(now + 5, status="pending")
        now = t.customer_time(now + 5)
        t.message(now, "customer")
        t.update(now, status="open")
    else:
        now = t.customer_time(now)
        t.message(now, "customer")
    roll = rng.random()
    if roll < 0.05:
        t.update(now + 60, priority=rng.choice([p for p in ("urgent", "high", "normal", "low") if p != t.priority]))
    elif roll < 0.07:
        t.update(now + 60, channel=rng.choice([c for c in CHANNELS if c != t.fields["channel"]]))
    elif roll < 0.08:
        t.update(now + 60, status="on_hold")
        now += _delay(rng, 24.0)
        t.update(now, status="open")
    now = t.agent_time(now)
    t.message(now, "agent")
    return now


def _ending(t: _Ticket, now: int) -> None:
    """Most tickets are solved (a few reopened and solved again); some stay open or are deleted."""
    rng = t.rng
    ending = rng.random()
    if ending < 0.03:
        t.deleted(now + HOUR)
    elif ending >= 0.10:  # otherwise: still open
        now += _delay(rng, 0.2)
        t.update(now, status="solved")
        if rng.random() < 0.08:  # "still broken": the customer reopens it
            now = t.customer_time(now)
            t.message(now, "customer")
            t.update(now, status="open")
            now = t.agent_time(now)
            t.message(now, "agent")
            t.update(now + 120, status="solved")


def _arrival_gap(rng: random.Random, ts: int) -> int:
    weekday, hour = (ts // DAY + 3) % 7, (ts % DAY) // HOUR
    mean = 1200 if weekday >= 5 else 90 if 7 <= hour < 17 else 600
    return max(1, int(rng.expovariate(1 / mean)))


@dataclass(frozen=True)
class StreamInfo:
    events: int
    first: int
    last: int

    @property
    def now(self) -> datetime:
        """Evaluate an hour after the last event, like a report run right after the export."""
        return datetime.fromtimestamp(self.last + HOUR, UTC)


def write_stream(path: Path, events: int, prefix_path: Path, prefix_events: int, seed: int = 1) -> tuple[
    StreamInfo, StreamInfo
]:
    """Write ``events`` webhook bodies to ``path`` (and the first ``prefix_events`` to ``prefix_path``)."""
    rng = random.Random(seed)
    pending: list[tuple[int, int, dict[str, Any]]] = []
    sequence = written = number = 0
    created = STREAM_START
    last = prefix_last = created
    with path.open("w", encoding="utf-8") as out, prefix_path.open("w", encoding="utf-8") as prefix:
        while written < events:
            number += 1
            created += _arrival_gap(rng, created)
            for ts, body in ticket_events(rng, number, created):
                heapq.heappush(pending, (ts, sequence, body))
                sequence += 1
            while pending and pending[0][0] <= created and written < events:
                ts, _, body = heapq.heappop(pending)
                line = json.dumps(body, separators=(", ", ": ")) + "\n"
                out.write(line)
                if written < prefix_events:
                    prefix.write(line)
                    prefix_last = ts
                written += 1
                last = ts
    return StreamInfo(written, STREAM_START, last), StreamInfo(min(written, prefix_events), STREAM_START, prefix_last)
