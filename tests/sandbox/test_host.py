"""The helpdesk's outgoing side: installs signed with the app secret, settings-page JWTs, and
webhooks signed with the account's secret, each telling what changed on the sandbox's ticket."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from standardwebhooks import Webhook

from sandbox.clock import SandboxClock
from sandbox.host import SandboxHost
from sandbox.plugin_link import PluginAnswer, PluginLink, PluginNotConfigured, PluginRefused
from sandbox.store import Helpdesk
from tests.sandbox.conftest import MONDAY_9
from tests.support import new_webhook_secret

APP_SECRET = new_webhook_secret()


@dataclass
class FakePlugin:
    """Records every request; answers each with the next of ``answers`` (then 200 accepted)."""

    answers: list[PluginAnswer] = field(default_factory=list)
    requests: list[tuple[str, str, bytes, dict[str, str]]] = field(default_factory=list)

    def __call__(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> PluginAnswer:
        self.requests.append((method, url, body, headers))
        if self.answers:
            return self.answers.pop(0)
        if url.endswith("/auth/session"):
            return PluginAnswer(200, {"access_token": "session-1", "token_type": "Bearer", "expires_in": 600})
        return PluginAnswer(200, {"status": "accepted"})

    def webhooks(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, url, body, _ in self.requests if "/webhooks/" in url]


@pytest.fixture
def plugin() -> FakePlugin:
    return FakePlugin()


@pytest.fixture
def host(plugin: FakePlugin) -> SandboxHost:
    clock = SandboxClock()
    clock.set(MONDAY_9)
    return SandboxHost(Helpdesk(), "http://sandbox.test", PluginLink("http://plugin.test", APP_SECRET),
                       clock, plugin, sleep=lambda seconds: None)


def verified(secret: str, body: bytes, headers: dict[str, str]) -> Any:
    return Webhook(secret).verify(body.decode(), headers)


def test_install_is_signed_with_the_app_secret_and_carries_every_field(host: SandboxHost,
                                                                       plugin: FakePlugin) -> None:
    installed = host.install("acme", "Europe/Istanbul")
    method, url, body, headers = plugin.requests[0]
    assert (method, url) == ("POST", "http://plugin.test/lifecycle/install")
    document = verified(APP_SECRET, body, headers)
    assert document == {"account_id": "acme", "api_base_url": "http://sandbox.test",
                        "access_token": installed["access_token"], "webhook_secret": installed["webhook_secret"],
                        "timezone": "Europe/Istanbul", "host_origin": "http://sandbox.test"}
    assert host.helpdesk.account_for_token(installed["access_token"]) is not None


def test_an_install_the_plugin_refuses_registers_nothing(host: SandboxHost, plugin: FakePlugin) -> None:
    plugin.answers.append(PluginAnswer(401, {"error": "invalid_signature"}))
    with pytest.raises(PluginRefused, match="401"):
        host.install("acme")
    assert host.helpdesk.accounts == {}


def test_uninstall_is_signed_and_the_token_stops_working(host: SandboxHost, plugin: FakePlugin) -> None:
    token = host.install("acme")["access_token"]
    host.uninstall("acme")
    _, url, body, headers = plugin.requests[-1]
    assert url.endswith("/lifecycle/uninstall") and verified(APP_SECRET, body, headers) == {"account_id": "acme"}
    assert host.helpdesk.account_for_token(token) is None


def test_the_settings_page_jwt_is_hs256_with_the_app_secret_string(host: SandboxHost, plugin: FakePlugin) -> None:
    host.install("acme")
    assert host.admin_session("acme") == "session-1"
    token = json.loads(plugin.requests[-1][2])["token"]
    claims = jwt.decode(token, APP_SECRET.encode(), algorithms=["HS256"], audience="sla-plugin")
    assert {key: claims[key] for key in ("account_id", "role", "sub")} == {
        "account_id": "acme", "role": "admin", "sub": "sandbox-admin"}
    assert claims["exp"] - claims["iat"] == 300 and claims["iss"] and claims["jti"]


def test_webhooks_are_signed_with_the_accounts_secret_and_dated_by_the_sandbox_clock(host: SandboxHost,
                                                                                     plugin: FakePlugin) -> None:
    secret = host.install("acme")["webhook_secret"]
    host.create_ticket("acme", {"id": "T1", "product": "Orange", "channel": "email", "subject": "Outage"})
    _, url, body, headers = plugin.requests[-1]
    assert url == "http://plugin.test/webhooks/acme"
    event = verified(secret, body, headers)
    assert (event["type"], event["occurred_at"], event["account_id"]) == ("ticket.created", "2026-03-02T09:00:00Z",
                                                                          "acme")
    assert event["data"]["ticket"]["created_at"] == "2026-03-02T09:00:00Z"
    assert event["data"]["ticket"]["priority"] is None  # the plugin's rules decide


def test_each_action_sends_its_event_with_a_unique_id(host: SandboxHost, plugin: FakePlugin) -> None:
    host.install("acme")
    host.create_ticket("acme", {"id": "T1", "priority": "high", "status": "new"})
    host.clock.set(MONDAY_9 + timedelta(minutes=5))
    host.reply("acme", "T1", "agent", "Looking into it", status="pending")
    host.update_ticket("acme", "T1", {"status": "pending"})  # nothing changes: no event
    host.clock.set(MONDAY_9 + timedelta(minutes=9))
    host.reply("acme", "T1", "customer", "Here are the logs", status="open")
    host.update_ticket("acme", "T1", {"priority": "urgent", "status": "solved"})
    host.update_ticket("acme", "T1", {"status": "open"})
    host.delete_ticket("acme", "T1")
    events = plugin.webhooks()
    assert [event["type"] for event in events] == [
        "ticket.created", "message.created", "ticket.updated", "message.created", "ticket.updated",
        "ticket.updated", "ticket.updated", "ticket.deleted"]
    assert len({event["id"] for event in events}) == len(events)
    reply = events[1]["data"]
    assert reply["message"] | {"id": None} == {"id": None, "author_type": "agent", "public": True,
                                               "created_at": "2026-03-02T09:05:00Z", "body": "Looking into it"}
    assert events[2]["data"]["changes"] == {"status": ["new", "pending"]}
    assert events[2]["occurred_at"] == "2026-03-02T09:05:00Z"
    assert events[4]["data"]["changes"] == {"status": ["pending", "open"]}
    assert events[5]["data"]["changes"] == {"priority": ["high", "urgent"], "status": ["open", "solved"]}
    assert events[7]["data"] == {"ticket": {"id": "T1"}}
    assert host.helpdesk.accounts["acme"].tickets["T1"].priority_set_by == "agent"


def test_a_webhook_is_retried_on_5xx_with_the_same_webhook_id(host: SandboxHost, plugin: FakePlugin) -> None:
    host.install("acme")
    plugin.answers += [PluginAnswer(503, {"error": "installation_changed"}), PluginAnswer(None, None, "refused")]
    result = host.create_ticket("acme", {"id": "T1"})
    attempts = [headers["webhook-id"] for _, url, _, headers in plugin.requests if "/webhooks/" in url]
    assert len(attempts) == 3 and len(set(attempts)) == 1
    assert result["webhooks"][0]["outcome"] == "accepted"
    assert [attempt["status"] for attempt in result["webhooks"][0]["attempts"]] == [503, None, 200]


def test_a_webhook_the_plugin_refuses_is_not_retried(host: SandboxHost, plugin: FakePlugin) -> None:
    host.install("acme")
    plugin.answers.append(PluginAnswer(400, {"error": "invalid_event"}))
    assert host.create_ticket("acme", {"id": "T1"})["webhooks"][0]["outcome"] == "refused"
    assert sum("/webhooks/" in url for _, url, _, _ in plugin.requests) == 1


def test_a_resent_event_keeps_its_webhook_id_unless_asked_for_a_new_delivery(host: SandboxHost,
                                                                              plugin: FakePlugin) -> None:
    host.install("acme")
    event_id = host.create_ticket("acme", {"id": "T1"})["webhooks"][0]["event_id"]
    host.resend("acme", event_id)
    host.resend("acme", event_id, new_delivery=True)
    deliveries = [(json.loads(body)["id"], headers["webhook-id"]) for _, url, body, headers in plugin.requests
                  if "/webhooks/" in url]
    assert {event for event, _ in deliveries} == {event_id}
    assert deliveries[0][1] == deliveries[1][1] != deliveries[2][1]


def test_without_a_plugin_events_are_recorded_and_not_sent() -> None:
    host = SandboxHost(Helpdesk(), "http://sandbox.test")
    host.install("acme")
    assert host.create_ticket("acme", {"id": "T1"})["webhooks"][0]["outcome"] == "not_sent"
    assert json.loads(host.helpdesk.accounts["acme"].webhooks[0]["body"])["type"] == "ticket.created"
    with pytest.raises(PluginNotConfigured):
        host.admin_session("acme")


def test_an_action_may_change_the_ticket_without_telling_the_plugin(host: SandboxHost, plugin: FakePlugin) -> None:
    host.install("acme")
    result = host.create_ticket("acme", {"id": "T1"}, send=False)
    assert result["webhooks"][0]["outcome"] == "withheld" and plugin.webhooks() == []


def test_ticket_fields_are_checked(host: SandboxHost) -> None:
    host.install("acme")
    with pytest.raises(ValueError, match="priority"):
        host.create_ticket("acme", {"priority": "critical"})
    with pytest.raises(ValueError, match="colour: unknown ticket field"):
        host.create_ticket("acme", {"colour": "red"})
    host.create_ticket("acme", {"id": "T1"})
    with pytest.raises(ValueError, match="exists already"):
        host.create_ticket("acme", {"id": "T1"})


def test_the_clock_can_be_frozen_accelerated_or_real() -> None:
    ticks = iter([0.0, 0.0, 10.0, 10.0])
    clock = SandboxClock(monotonic=lambda: next(ticks))
    clock.set(MONDAY_9, rate=60)
    assert clock.now() == MONDAY_9
    assert clock.now() == MONDAY_9 + timedelta(minutes=10)
    clock.set(None)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
