"""The reference host adapter: the HTTP call each command makes, and what each answer means for it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import responses

import plugin
from plugin.host import commands
from plugin.host.adapter import Delivery, HostAccount, Outcome
from plugin.host.commands import HostCommand
from plugin.host.reference import ReferenceHost, idempotency_header, parse_retry_after

TOKEN = "tok_live_5f0c2e9a7b1d4c3e"
BASE = "https://desk.example/helpdesk"
ACCOUNT = HostAccount(BASE + "/", TOKEN)
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
PRIORITY = commands.set_priority("T1", "urgent", "outages")
REPORT = commands.post_report("SLA report", "daily", NOW, NOW.replace(day=3), "| a |", {"rows": []})


@pytest.fixture
def host() -> Iterator[ReferenceHost]:
    adapter = ReferenceHost(clock=lambda: NOW)
    yield adapter
    adapter.close()


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def answer(http: responses.RequestsMock, host: ReferenceHost, command: HostCommand = PRIORITY,
           **reply: object) -> Delivery:
    """``command`` delivered to a host that answers its request with ``reply`` (``responses.add``'s keywords)."""
    call = command.request()
    http.add(call.method, BASE + call.path, **reply)
    return host.deliver(ACCOUNT, command)


# -- the request ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("command", "method", "url", "body"), [
    (commands.set_priority("T 1/2", "urgent", "outages"), "PATCH", f"{BASE}/api/v1/tickets/T%201%2F2",
     {"priority": "urgent"}),
    (commands.add_tags("T1", ["sla-breached"], "breach:first_response:0"), "POST", f"{BASE}/api/v1/tickets/T1/tags",
     {"tags": ["sla-breached"]}),
    (commands.remove_tag("T#1", "sla at/risk?", "met:first_response:0"), "DELETE",
     f"{BASE}/api/v1/tickets/T%231/tags/sla%20at%2Frisk%3F", None),
    (commands.post_note("T1", "Breached by 5 minutes.", "breach:first_response:0"), "POST",
     f"{BASE}/api/v1/tickets/T1/notes", {"body": "Breached by 5 minutes.", "internal": True}),
    (REPORT, "POST", f"{BASE}/api/v1/reports", REPORT.payload),
], ids=["set_priority", "add_tags", "remove_tag", "post_note", "post_report"])
def test_each_command_is_one_write_to_its_path_with_its_json_body_and_its_idempotency_key(
        http: responses.RequestsMock, host: ReferenceHost, command: HostCommand, method: str, url: str,
        body: object) -> None:
    delivery = answer(http, host, command, status=204)

    assert delivery == Delivery(Outcome.DONE, 204, "204 No Content")
    [call] = http.calls
    assert (call.request.method, call.request.url) == (method, url)
    assert (json.loads(call.request.body) if call.request.body else None) == body
    assert call.request.headers["Idempotency-Key"] == idempotency_header(command.idempotency_key)
    if body is not None:
        assert call.request.headers["Content-Type"] == "application/json"


def test_every_call_carries_the_bearer_token_and_the_plugins_user_agent(
        http: responses.RequestsMock, host: ReferenceHost) -> None:
    answer(http, host, status=200, json={"id": "T1"})

    headers = http.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["User-Agent"] == f"sla-plugin/{plugin.__version__}"
    assert headers["Accept"] == "application/json"


def test_a_command_delivered_twice_carries_the_same_idempotency_key(
        http: responses.RequestsMock, host: ReferenceHost) -> None:
    http.add("PATCH", f"{BASE}/api/v1/tickets/T1", status=503)
    http.add("PATCH", f"{BASE}/api/v1/tickets/T1", status=200)

    first, second = host.deliver(ACCOUNT, PRIORITY), host.deliver(ACCOUNT, PRIORITY)

    assert (first.outcome, second.outcome) == (Outcome.RETRY, Outcome.DONE)
    keys = [call.request.headers["Idempotency-Key"] for call in http.calls]
    assert keys == [PRIORITY.idempotency_key] * 2 == ["set-priority:T1"] * 2


@pytest.mark.parametrize(("key", "header"), [
    ("set-priority:T1", "set-priority:T1"),
    ("add-tags:T-1:breach:first_response:0:sla-breached,sla-breached-first-response",
     "add-tags:T-1:breach:first_response:0:sla-breached,sla-breached-first-response"),
    ("remove-tag:T#1:met:first_response:0:sla at/risk?", "remove-tag:T#1:met:first_response:0:sla%20at/risk?"),
    ("post-note:Tí\r\n1:x", "post-note:T%C3%AD%0D%0A1:x"),
    ("post-note:100%:x", "post-note:100%25:x"),
])
def test_a_key_goes_as_it_is_when_it_is_printable_ascii_without_percent_signs(key: str, header: str) -> None:
    assert idempotency_header(key) == header


def test_a_key_that_is_not_printable_ascii_is_percent_encoded_and_stays_distinct(
        http: responses.RequestsMock, host: ReferenceHost) -> None:
    unicode_id = commands.set_priority("Tí 1", "urgent", "r")
    look_alike = commands.set_priority("T%C3%AD%201", "urgent", "r")  # the first one's encoding, spelt out
    http.add("PATCH", f"{BASE}/api/v1/tickets/T%C3%AD%201", status=200)
    http.add("PATCH", f"{BASE}/api/v1/tickets/T%25C3%25AD%25201", status=200)

    assert host.deliver(ACCOUNT, unicode_id).outcome is Outcome.DONE
    assert host.deliver(ACCOUNT, look_alike).outcome is Outcome.DONE

    keys = [call.request.headers["Idempotency-Key"] for call in http.calls]
    assert keys == ["set-priority:T%C3%AD%201", "set-priority:T%25C3%25AD%25201"]


@pytest.mark.parametrize("base", ["https://desk.example/helpdesk", "https://desk.example/helpdesk///"])
def test_the_path_is_appended_to_the_base_url_less_its_trailing_slashes(
        http: responses.RequestsMock, host: ReferenceHost, base: str) -> None:
    http.add("PATCH", "https://desk.example/helpdesk/api/v1/tickets/T1", status=200)

    assert host.deliver(HostAccount(base, TOKEN), PRIORITY).outcome is Outcome.DONE
    assert http.calls[0].request.url == "https://desk.example/helpdesk/api/v1/tickets/T1"


# -- the answer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "outcome", "detail"), [
    (200, Outcome.DONE, "200 OK"),
    (201, Outcome.DONE, "201 Created"),
    (404, Outcome.GONE, "404 Not Found"),
    (410, Outcome.GONE, "410 Gone"),
    (401, Outcome.UNAUTHORIZED, "401 Unauthorized"),
    (403, Outcome.UNAUTHORIZED, "403 Forbidden"),
    (429, Outcome.RETRY, "429 Too Many Requests"),
    (408, Outcome.RETRY, "408 Request Timeout"),
    (500, Outcome.RETRY, "500 Internal Server Error"),
    (502, Outcome.RETRY, "502 Bad Gateway"),
    (503, Outcome.RETRY, "503 Service Unavailable"),
    (504, Outcome.RETRY, "504 Gateway Timeout"),
    (400, Outcome.REFUSED, "400 Bad Request"),
    (409, Outcome.REFUSED, "409 Conflict"),
    (422, Outcome.REFUSED, "422 Unprocessable Entity"),
    (499, Outcome.REFUSED, "499"),
])
def test_each_status_means_one_outcome(http: responses.RequestsMock, host: ReferenceHost, status: int,
                                       outcome: Outcome, detail: str) -> None:
    assert answer(http, host, status=status) == Delivery(outcome, status, detail)


def test_a_404_on_a_report_is_a_dead_letter_not_a_ticket_gone(
        http: responses.RequestsMock, host: ReferenceHost) -> None:
    assert answer(http, host, REPORT, status=404).outcome is Outcome.REFUSED


def test_the_hosts_json_error_message_is_kept_to_its_first_200_characters(
        http: responses.RequestsMock, host: ReferenceHost) -> None:
    delivery = answer(http, host, status=422, json={"error": {"message": "priority:\n must be\tone of " + "x" * 500}})

    assert delivery.detail.startswith("422 Unprocessable Entity: priority: must be one of xxx")
    assert len(delivery.detail) == len("422 Unprocessable Entity: ") + 200


def test_a_body_that_is_not_a_json_error_stays_out_of_the_detail(
        http: responses.RequestsMock, host: ReferenceHost) -> None:
    delivery = answer(http, host, status=500, body="<html>Traceback (most recent call last): ...</html>")

    assert delivery.detail == "500 Internal Server Error"


def test_a_429_is_retried_no_sooner_than_its_retry_after(http: responses.RequestsMock, host: ReferenceHost) -> None:
    delivery = answer(http, host, status=429, headers={"Retry-After": "30"}, json={"message": "slow down"})

    assert delivery == Delivery(Outcome.RETRY, 429, "429 Too Many Requests: slow down (Retry-After 30 s)", 30.0)


def test_a_retry_after_date_is_counted_from_the_injected_clock(
        http: responses.RequestsMock, host: ReferenceHost) -> None:
    delivery = answer(http, host, status=503, headers={"Retry-After": "Mon, 02 Mar 2026 10:02:00 GMT"})

    assert (delivery.outcome, delivery.retry_after_seconds) == (Outcome.RETRY, 120.0)


@pytest.mark.parametrize(("value", "seconds"), [
    ("0", 0.0), (" 120 ", 120.0), ("1.5", 1.5),
    ("Mon, 02 Mar 2026 10:00:30 GMT", 30.0), ("Mon, 02 Mar 2026 10:00:30 -0000", 30.0),
    ("Mon, 02 Mar 2026 09:00:00 GMT", 0.0),  # already past: now
    ("-5", None), ("soon", None), ("", None), ("1e3", None), ("Infinity", None), ("NaN", None), ("30 s", None),
    ("Mon, 32 Mar 2026 10:00:00 GMT", None), (None, None),
])
def test_retry_after_is_delta_seconds_or_an_http_date_and_nothing_else(value: str | None,
                                                                      seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_a_garbage_retry_after_leaves_the_wait_to_the_backoff(
        http: responses.RequestsMock, host: ReferenceHost) -> None:
    delivery = answer(http, host, status=429, headers={"Retry-After": "-1"})

    assert delivery == Delivery(Outcome.RETRY, 429, "429 Too Many Requests", None)


def test_a_redirect_is_not_followed_and_names_where_it_pointed_without_its_query(
        http: responses.RequestsMock, host: ReferenceHost) -> None:
    delivery = answer(http, host, status=302, headers={"Location": "https://u:p@login.example/sso?state=abc#x"})

    assert delivery == Delivery(Outcome.REFUSED, 302,
                                "302 Found: redirected to https://login.example/sso, not followed")
    assert len(http.calls) == 1


# -- no answer -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("error", "detail"), [
    (requests.exceptions.ConnectTimeout(), "connect timeout after 3.05 s"),
    (requests.exceptions.ReadTimeout(), "read timeout after 10 s"),
    (requests.ConnectionError(ConnectionRefusedError(111, "Connection refused")), "connection refused"),
    (requests.ConnectionError(ConnectionResetError(104, "Connection reset by peer")), "connection reset"),
    (requests.ConnectionError("something else"), "connection failed"),
    (requests.exceptions.ChunkedEncodingError(), "answer broke off"),
])
def test_a_timeout_or_a_lost_connection_is_retried_without_a_status(
        http: responses.RequestsMock, host: ReferenceHost, error: Exception, detail: str) -> None:
    assert answer(http, host, body=error) == Delivery(Outcome.RETRY, None, detail)


def test_the_timeouts_are_the_adapters_own(http: responses.RequestsMock) -> None:
    host = ReferenceHost(connect_timeout=1, read_timeout=2.5)

    assert answer(http, host, body=requests.exceptions.ReadTimeout()).detail == "read timeout after 2.5 s"


def test_a_refused_connection_is_retried(host: ReferenceHost) -> None:
    with socket.socket() as unlistened:  # bound, not listening: the kernel refuses connections to it
        unlistened.bind(("127.0.0.1", 0))
        account = HostAccount(f"http://127.0.0.1:{unlistened.getsockname()[1]}", TOKEN)
        delivery = host.deliver(account, PRIORITY)

    assert delivery == Delivery(Outcome.RETRY, None, "connection refused")


@pytest.mark.parametrize(("reply", "details"), [
    # The server closes as soon as it has written: the kernel may report it as a reset instead.
    (b"", ("connection closed without an answer", "connection reset")),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{", ("answer broke off after 200 OK",)),
])
def test_an_answer_cut_short_is_retried(host: ReferenceHost, reply: bytes, details: tuple[str, ...]) -> None:
    with raw_server(lambda connection: connection.sendall(reply)) as url:
        delivery = host.deliver(HostAccount(url, TOKEN), PRIORITY)

    assert (delivery.outcome, delivery.status) == (Outcome.RETRY, None)
    assert delivery.detail.startswith(details), delivery.detail


def test_a_silent_host_is_a_read_timeout() -> None:
    host = ReferenceHost(read_timeout=0.2)
    release = threading.Event()
    with raw_server(lambda connection: release.wait(5)) as url:
        delivery = host.deliver(HostAccount(url, TOKEN), PRIORITY)
        release.set()

    assert delivery == Delivery(Outcome.RETRY, None, "read timeout after 0.2 s")


def test_one_connection_serves_the_adapters_calls() -> None:
    peers: list[tuple[str, int]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_PATCH(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            peers.append(self.client_address)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = ReferenceHost()
    try:
        account = HostAccount(f"http://127.0.0.1:{server.server_address[1]}", TOKEN)
        outcomes = [host.deliver(account, PRIORITY).outcome for _ in range(3)]
    finally:
        host.close()
        server.shutdown()
        server.server_close()

    assert outcomes == [Outcome.DONE] * 3
    assert len(peers) == 3 and len(set(peers)) == 1


def test_a_request_that_cannot_be_made_is_refused_without_raising(host: ReferenceHost) -> None:
    delivery = host.deliver(HostAccount("desk.example/api", TOKEN), PRIORITY)

    assert delivery == Delivery(Outcome.REFUSED, None, "request not sent: MissingSchema")


# -- the token -----------------------------------------------------------------------------------


def test_a_token_that_cannot_go_in_a_header_pauses_the_tenant_without_a_call(
        http: responses.RequestsMock, host: ReferenceHost) -> None:
    delivery = host.deliver(HostAccount(BASE, "tok\r\nX-Injected: 1"), PRIORITY)

    assert (delivery.outcome, delivery.status) == (Outcome.UNAUTHORIZED, None)
    assert "tok" not in delivery.detail.replace("token", "")
    assert len(http.calls) == 0


@pytest.mark.parametrize("reply", [
    {"status": 401, "json": {"message": f"token {TOKEN} was revoked"}},
    {"status": 400, "json": {"error": f"bad header: Bearer {TOKEN[:-1]}\x00{TOKEN[-1]}"}},
    {"status": 422, "json": {"detail": "x" * 190 + TOKEN}},  # cut at 200 characters, inside the token
    {"status": 301, "headers": {"Location": f"https://desk.example/{TOKEN}/api"}},
    {"body": requests.ConnectionError(f"Authorization: Bearer {TOKEN}")},
])
def test_the_token_never_appears_in_a_detail(http: responses.RequestsMock, host: ReferenceHost,
                                             reply: dict[str, object]) -> None:
    detail = answer(http, host, **reply).detail

    assert TOKEN not in detail
    assert TOKEN[:8] not in detail


def test_an_accounts_repr_hides_its_token() -> None:
    assert TOKEN not in repr(ACCOUNT)
    assert TOKEN not in str(ACCOUNT)


@contextmanager
def raw_server(then: Callable[[socket.socket], object]) -> Iterator[str]:
    """A one-connection TCP server on localhost that reads the request, then does ``then(connection)``."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            then(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        thread.join(5)
        listener.close()
