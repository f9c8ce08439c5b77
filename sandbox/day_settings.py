"""The settings document of the working day (docs/settings.md): an Istanbul office calendar, rules
for Orange email (outages urgent, as in the worked example; key accounts high), Orange chat, Lemon
web and Lemon phone, and policies with first-response, next-response and resolution targets."""

from __future__ import annotations

from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def _rule(rule_id: str, product: str, channel: str, position: int, priority: str,
          conditions: list[dict[str, Any]] | None = None, match: str = "all") -> dict[str, Any]:
    return {"id": rule_id, "name": rule_id.replace("-", " ").capitalize(), "product": product, "channel": channel,
            "position": position, "match": match, "conditions": conditions or [], "priority": priority}


def _policy(policy_id: str, product: str, channel: str, priority: str, calendar: str | None,
            targets: dict[str, tuple[int, float]], **warning: Any) -> dict[str, Any]:
    return {"id": policy_id, "name": policy_id.replace("-", " ").capitalize(), "product": product,
            "channel": channel, "priority": priority, "calendar": calendar,
            "targets": [{"metric": metric, "minutes": minutes, "success_rate_percent": rate}
                        for metric, (minutes, rate) in targets.items()], **warning}


SETTINGS: dict[str, Any] = {
    "timezone": "Europe/Istanbul",
    "calendars": [{
        "id": "istanbul-office", "name": "Istanbul office hours", "timezone": "Europe/Istanbul",
        "hours": {day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in WEEKDAYS},
        "holidays": [],
    }],
    "prioritization_rules": [
        _rule("orange-email-outages", "Orange", "email", 1, "urgent", match="any", conditions=[
            {"field": "subject", "op": "contains", "value": "outage"},
            {"field": "body", "op": "contains", "value": "cannot log in"}]),
        _rule("orange-email-key-accounts", "Orange", "email", 2, "high", conditions=[
            {"field": "requester_domain", "op": "in", "value": ["bigbank.example", "telco.example"]}]),
        _rule("orange-email-other", "Orange", "email", 3, "normal"),
        _rule("orange-chat", "Orange", "chat", 1, "normal"),
        _rule("lemon-web-billing", "Lemon", "web", 1, "high", match="any", conditions=[
            {"field": "subject", "op": "contains", "value": "invoice"},
            {"field": "subject", "op": "contains", "value": "refund"}]),
        _rule("lemon-web-other", "Lemon", "web", 2, "low"),
        _rule("lemon-phone", "Lemon", "phone", 1, "normal"),
    ],
    "sla_policies": [
        _policy("orange-email-urgent", "Orange", "email", "urgent", None,
                {"first_response": (30, 80), "next_response": (60, 80), "resolution": (240, 90)},
                warn_before_minutes=10),
        _policy("orange-email-high", "Orange", "email", "high", "istanbul-office",
                {"first_response": (60, 90), "next_response": (120, 85), "resolution": (480, 90)},
                warn_before_percent=25),
        _policy("orange-email-normal", "Orange", "email", "normal", "istanbul-office",
                {"first_response": (240, 85), "resolution": (960, 90)}, warn_before_percent=20),
        _policy("orange-chat-normal", "Orange", "chat", "normal", None,
                {"first_response": (5, 90), "next_response": (10, 85), "resolution": (60, 80)},
                warn_before_minutes=2),
        _policy("orange-chat-urgent", "Orange", "chat", "urgent", None,
                {"first_response": (2, 95), "next_response": (5, 90), "resolution": (30, 90)},
                warn_before_minutes=1),
        _policy("lemon-web-high", "Lemon", "web", "high", "istanbul-office",
                {"first_response": (120, 85), "resolution": (720, 85)}, warn_before_percent=20),
        _policy("lemon-web-low", "Lemon", "web", "low", "istanbul-office",
                {"first_response": (480, 80), "resolution": (2400, 80)}, warn_before_percent=20),
        _policy("lemon-phone-normal", "Lemon", "phone", "normal", None,
                {"first_response": (15, 90), "resolution": (180, 85)}, warn_before_minutes=5,
                pause_statuses=["pending"]),
    ],
}
