"""Receiving a webhook (``receive_webhook``): verified, validated and stored in the tenant's inbox,
or refused with nothing stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from plugin.json_bodies import MalformedBody
from plugin.security.secrets import SecretBox
from plugin.security.signatures import SignatureError
from plugin.services import lifecycle
from plugin.services.ingest import InstallationChanged, InvalidEvent, Received, UnknownAccount, receive_webhook
from plugin.services.tenant_credentials import RememberedCredentials
from plugin.store.records import InboxCounts
from tests.support import new_encryption_key, new_webhook_secret, signed_headers
from tests.unit.fakes import FakeInbox, FakeTenants, FakeUnitOfWork, created, message

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BOX = SecretBox(new_encryption_key())
CREATED = created("T-1", "2026-03-02T09:00:00Z")


class Host:
    """The helpdesk of account ``acme``: it installs the plugin and signs each webhook it sends."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.credentials = RememberedCredentials()
        self.install()

    def install(self, secret: str | None = None, account_id: str = "acme") -> None:
        self.secret = secret or new_webhook_secret()
        lifecycle.install(self.uow, BOX, lifecycle.Installation(account_id, "https://host.test/api", "token",
                                                                self.secret, "UTC", "https://host.test"), NOW)

    def send(self, body: dict[str, Any] | str | bytes, *, webhook_id: str | None = None, secret: str | None = None,
             account_id: str = "acme") -> Received:
        raw = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        headers = signed_headers(secret or self.secret, raw, webhook_id=webhook_id)
        return receive_webhook(self.uow, self.credentials, BOX, account_id, raw, headers, NOW)


@pytest.fixture
def host(uow: FakeUnitOfWork) -> Host:
    return Host(uow)


def inbox(uow: FakeUnitOfWork, account_id: str = "acme") -> InboxCounts:
    with uow:
        tenant = uow.tenants.by_account(account_id)
        assert tenant is not None
        return uow.inbox.counts(tenant.id)


def stored_payloads(uow: FakeUnitOfWork) -> list[dict[str, Any]]:
    with uow:
        return [event.payload for event in uow.inbox.claim(100)]


def test_a_signed_event_is_stored_pending_and_accepted(host: Host, uow: FakeUnitOfWork) -> None:
    commits = uow.committed

    received = host.send(CREATED, webhook_id="msg_1")

    assert received == Received("accepted", "msg_1")
    assert inbox(uow) == InboxCounts(1, 0, NOW)
    assert stored_payloads(uow) == [CREATED]
    assert uow.committed == commits + 1


def test_duplicate_webhook_has_no_second_effect(host: Host, uow: FakeUnitOfWork) -> None:
    host.send(CREATED, webhook_id="msg_1")
    commits = uow.committed

    received = host.send(message("T-1", "2026-03-02T09:05:00Z"), webhook_id="msg_1")

    assert received == Received("duplicate", "msg_1")
    assert stored_payloads(uow) == [CREATED]
    assert uow.committed == commits


def test_an_unknown_event_type_is_acknowledged_and_ignored(host: Host, uow: FakeUnitOfWork) -> None:
    merged = {"id": "evt-9", "type": "ticket.merged", "occurred_at": "2026-03-02T09:00:00Z", "data": {}}

    assert host.send(merged, webhook_id="msg_1").status == "ignored"
    assert host.send(merged, webhook_id="msg_1").status == "duplicate"
    assert inbox(uow) == InboxCounts(0, 0, None)  # nothing for the processor


def test_the_same_event_under_another_webhook_id_is_stored_again(host: Host, uow: FakeUnitOfWork) -> None:
    """The inbox dedupes by webhook id; the ticket's history dedupes by event id (processing)."""
    host.send(CREATED, webhook_id="msg_1")

    assert host.send(CREATED, webhook_id="msg_2").status == "accepted"
    assert inbox(uow).pending == 2


def test_a_bad_signature_is_refused_and_nothing_is_stored(host: Host, uow: FakeUnitOfWork) -> None:
    with pytest.raises(SignatureError, match="signature does not verify"):
        host.send(CREATED, secret=new_webhook_secret())
    assert inbox(uow).pending == 0


def test_a_webhook_signed_for_another_body_is_refused(host: Host, uow: FakeUnitOfWork) -> None:
    raw = json.dumps(CREATED).encode()
    headers = signed_headers(host.secret, raw + b" ")
    with pytest.raises(SignatureError):
        receive_webhook(uow, host.credentials, BOX, "acme", raw, headers, NOW)
    assert inbox(uow).pending == 0


def test_missing_signature_headers_are_named(host: Host, uow: FakeUnitOfWork) -> None:
    with pytest.raises(SignatureError, match="webhook-signature"):
        receive_webhook(uow, host.credentials, BOX, "acme", b"{}", {"webhook-id": "msg_1", "webhook-timestamp": "1"},
                        NOW)


def test_a_webhook_signed_with_another_tenants_secret_is_refused(host: Host, uow: FakeUnitOfWork) -> None:
    globex_secret = new_webhook_secret()
    host.install(globex_secret, account_id="globex")
    with pytest.raises(SignatureError):
        host.send(CREATED, secret=globex_secret, account_id="acme")
    assert inbox(uow).pending == 0 and inbox(uow, "globex").pending == 0


def test_an_unknown_account_is_refused(host: Host) -> None:
    with pytest.raises(UnknownAccount, match="'globex'"):
        host.send(CREATED, account_id="globex")


def test_an_account_uninstalled_since_its_credentials_were_remembered_is_unknown(
    host: Host, uow: FakeUnitOfWork
) -> None:
    host.send(CREATED)
    assert host.credentials.knows("acme")
    lifecycle.uninstall(uow, "acme")

    with pytest.raises(UnknownAccount):
        host.send(CREATED)
    assert not host.credentials.knows("acme")


def test_remembered_credentials_that_no_longer_verify_are_read_afresh_once(
    host: Host, uow: FakeUnitOfWork, reads: list[str]
) -> None:
    host.send(CREATED, webhook_id="msg_1")  # the credentials are remembered from now on
    host.install()  # a reinstall with a new webhook secret
    reads.clear()

    assert host.send(CREATED, webhook_id="msg_2").status == "accepted"
    assert host.send(CREATED, webhook_id="msg_3").status == "accepted"
    assert reads == ["acme"]  # once for msg_2; msg_3 verified with what msg_2 read
    assert inbox(uow).pending == 3


def test_a_reinstall_with_the_same_secret_is_noticed_by_its_new_seal(host: Host, uow: FakeUnitOfWork) -> None:
    """Every install seals the secret anew: the remembered seal no longer holds, so the write goes
    through with the credentials read afresh."""
    host.send(CREATED, webhook_id="msg_1")
    with uow:
        remembered = host.credentials.lookup(uow, "acme")
    host.install(host.secret)

    assert host.send(CREATED, webhook_id="msg_2").status == "accepted"
    with uow:
        assert host.credentials.lookup(uow, "acme") != remembered
    assert inbox(uow).pending == 2


def test_a_reinstall_retires_the_old_secret_at_once(host: Host, uow: FakeUnitOfWork) -> None:
    old_secret = host.secret
    host.send(CREATED, webhook_id="msg_1")
    host.install()

    with pytest.raises(SignatureError):
        host.send(CREATED, webhook_id="msg_2", secret=old_secret)
    assert inbox(uow).pending == 1


def test_an_installation_that_changes_under_every_try_asks_for_the_webhook_again(
    host: Host, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    host.send(CREATED, webhook_id="msg_1")
    monkeypatch.setattr(FakeInbox, "add", lambda *_: False)
    monkeypatch.setattr(FakeTenants, "holds_secret", lambda *_: False)

    with pytest.raises(InstallationChanged):
        host.send(CREATED, webhook_id="msg_2")
    assert not host.credentials.knows("acme")


@pytest.mark.parametrize(("raw", "problem"), [
    (b"", "the body is empty"), (b"  ", "the body is empty"), (b'{"broken"', "body is not valid JSON"),
    (b"[" * 100_000, "body is nested too deeply"),
])
def test_a_body_that_is_not_json_is_malformed(host: Host, uow: FakeUnitOfWork, raw: bytes, problem: str) -> None:
    with pytest.raises(MalformedBody, match=problem):
        host.send(raw)
    assert inbox(uow).pending == 0


def put(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``body`` with the field at ``path`` (dotted) set to ``value``, or removed for None."""
    changed = json.loads(json.dumps(body))
    *parents, last = path.split(".")
    node = changed
    for key in parents:
        node = node[key]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return changed


@pytest.mark.parametrize(("path", "value", "problem"), [
    ("id", None, "id: missing"),
    ("type", 7, "type: must be a non-empty string"),
    ("occurred_at", "yesterday", "occurred_at: 'yesterday' is not an ISO 8601 instant"),
    ("occurred_at", "2026-03-02T09:00:00", "occurred_at: '2026-03-02T09:00:00' has no time zone offset"),
    ("data", "ticket", "data: must be a JSON object"),
    ("data.ticket.id", None, "data.ticket.id: missing"),
    ("data.ticket.tags", "vip", "data.ticket.tags: must be a list of strings"),
    ("account_id", "globex", "account_id: does not match the URL"),
])
def test_a_body_with_a_wrong_field_is_an_invalid_event_naming_it(
    host: Host, uow: FakeUnitOfWork, path: str, value: Any, problem: str
) -> None:
    with pytest.raises(InvalidEvent) as refused:
        host.send(put(CREATED, path, value))
    assert str(refused.value).startswith(problem)
    assert inbox(uow).pending == 0


def test_a_body_that_is_not_an_object_is_an_invalid_event(host: Host) -> None:
    with pytest.raises(InvalidEvent, match="body: must be a JSON object"):
        host.send("[1, 2]")


def test_a_body_without_account_id_is_taken_for_the_urls_account(host: Host, uow: FakeUnitOfWork) -> None:
    assert host.send(put(CREATED, "account_id", None)).status == "accepted"


def test_a_ticket_id_over_200_characters_is_refused_before_anything_is_stored(
    host: Host, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(InvalidEvent, match=r"data\.ticket\.id: must be at most 200 characters"):
        host.send(created("T" * 201, "2026-03-02T09:00:00Z"))
    assert inbox(uow).pending == 0


def test_a_webhook_id_over_200_characters_is_refused(host: Host, uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidEvent, match="webhook-id: must be at most 200 characters"):
        host.send(CREATED, webhook_id="m" * 201)
    assert inbox(uow).pending == 0


def test_an_event_id_over_200_characters_is_refused_before_anything_is_stored(
    host: Host, uow: FakeUnitOfWork
) -> None:
    with pytest.raises(InvalidEvent, match=r"^id: must be at most 200 characters"):
        host.send(created("T-1", "2026-03-02T09:00:00Z", event_id="e" * 201))
    assert inbox(uow).pending == 0
