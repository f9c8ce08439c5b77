"""FakeDesk: a second helpdesk's adapter, both halves, that tests register in the plugin's registry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from plugin.domain.events import TicketEvent
from plugin.host.adapter import Delivery, HostAccount, Outcome, PayloadError, WebhookEvent
from plugin.host.commands import HostCommand
from plugin.host.payloads import parse_event
from plugin.host.registry import REGISTRY, HostKind


@dataclass
class FakeDesk:
    """Its webhooks wrap the event as ``{"kind": …, "account": …, "event": {…}}`` (a reference body
    inside, to keep tests short); its adapter records what it is asked and answers 200."""

    parsed: list[Any] = field(default_factory=list)
    delivered: list[tuple[str, str, str]] = field(default_factory=list)  # (base url, token, idempotency key)
    adapters_made: int = 0
    closed: int = 0

    def read_webhook(self, body: Any, account_id: str) -> WebhookEvent:
        if not isinstance(body, dict) or "event" not in body:
            raise PayloadError("event: missing")
        if body.get("account") != account_id:
            raise PayloadError("account: not the URL's")
        return WebhookEvent(f"fakedesk:{body.get('kind')}", self.parse_event(body))

    def parse_event(self, body: Any) -> TicketEvent | None:
        self.parsed.append(body)
        return parse_event(body["event"])

    def new_adapter(self) -> FakeDesk:
        self.adapters_made += 1
        return self

    def deliver(self, account: HostAccount, command: HostCommand) -> Delivery:
        self.delivered.append((account.api_base_url, account.access_token, command.idempotency_key))
        return Delivery(Outcome.DONE, 200, "200 OK")

    def close(self) -> None:
        self.closed += 1

    @staticmethod
    def body(reference_body: dict[str, Any], account_id: str) -> dict[str, Any]:
        """A reference protocol's body as FakeDesk sends it."""
        return {"kind": reference_body["type"], "account": account_id, "event": reference_body}


@contextmanager
def registered_fake_desk(name: str = "fakedesk") -> Iterator[FakeDesk]:
    """FakeDesk in the plugin's own registry under ``name``, for the block only."""
    desk = FakeDesk()
    REGISTRY.register(HostKind(name, desk.read_webhook, desk.parse_event, desk.new_adapter))
    try:
        yield desk
    finally:
        REGISTRY.unregister(name)
