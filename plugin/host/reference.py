"""The reference host's REST API (design.md §4) on ``requests``: one attempt per command, its answer as a Delivery.

URLs: the account's ``api_base_url`` with its trailing slashes stripped, then the command's path
(``/api/v1/...``, ticket ids and tags already percent-encoded) appended as it is. A base URL's own
path is kept, so a host mounted under a prefix works: ``https://desk.example/helpdesk/`` and
``/api/v1/tickets/T1`` make ``https://desk.example/helpdesk/api/v1/tickets/T1``. (A base URL with a
query string or a fragment cannot take a path this way.)

Every call carries ``Authorization: Bearer <token>`` and ``User-Agent: sla-plugin/<version>``;
every write (POST, PATCH, PUT, DELETE) also carries ``Idempotency-Key``, the command's own key, so
it is the same on every attempt. Redirects are not followed: a bearer token goes only to the URL
the host installed.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase

from plugin.version import __version__

from .adapter import Delivery, HostAccount, Outcome
from .commands import HostCommand

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
MAX_BODY_BYTES = 16 * 1024  # read of an answer's body: enough for an error message, never a whole dump
MAX_MESSAGE_CHARS = 200  # of the host's error message, in a Delivery's detail
# A header value is printable ASCII; keys embed ticket ids, which may not be. Percent-encoding
# everything else, "%" included, keeps distinct keys distinct and ASCII keys as they are.
_KEY_SAFE = "".join(chr(code) for code in range(0x21, 0x7F) if chr(code) != "%")
_BEARER_TOKEN = re.compile(r"[\x21-\x7e]+")
_DELTA_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def default_user_agent() -> str:
    """``sla-plugin/<version>``."""
    return f"sla-plugin/{__version__}"


class ReferenceHost:
    """The HostAdapter of the reference protocol: one ``requests.Session`` (and its connection pool)
    per instance, reused across calls; meant for one worker thread at a time."""

    def __init__(self, *, connect_timeout: float = 3.05, read_timeout: float = 10.0,
                 clock: Callable[[], datetime] = _utc_now, user_agent: str | None = None) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._clock = clock  # what an HTTP-date in Retry-After is measured from
        self._session = requests.Session()
        self._session.headers["User-Agent"] = user_agent or default_user_agent()
        self._session.headers["Accept"] = "application/json"

    def close(self) -> None:
        self._session.close()

    def deliver(self, account: HostAccount, command: HostCommand) -> Delivery:
        """One attempt; never raises for what the host or the network does."""
        token = account.access_token
        if not _BEARER_TOKEN.fullmatch(token):  # it could not go in a header, and never will
            return Delivery(Outcome.UNAUTHORIZED, None, "the access token is empty or not printable ASCII")
        call = command.request()
        headers = {}
        if call.method in WRITE_METHODS:
            headers["Idempotency-Key"] = idempotency_header(command.idempotency_key)
        try:
            response = self._session.request(
                call.method, account.api_base_url.rstrip("/") + call.path, json=call.json, headers=headers,
                auth=_Bearer(token),  # an auth object also keeps a ~/.netrc entry from replacing the token
                timeout=(self.connect_timeout, self.read_timeout), allow_redirects=False, stream=True,
            )
        except requests.RequestException as error:
            return self._failed(error)
        with response:
            try:
                body = _head_of(response)
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
                # No whole answer came: try again (the Idempotency-Key makes that safe whatever it was).
                problem = _network_problem(error)
                why = "" if problem in ("answer broke off", "connection failed") else f" ({problem})"
                line = _status_line(response.status_code)
                return Delivery(Outcome.RETRY, None, f"answer broke off after {line}{why}")
            except requests.RequestException:  # a body that cannot be decoded: the status still speaks
                body = b""
            return self._answer(response, body, command, token)

    def _answer(self, response: Any, body: bytes, command: HostCommand, token: str) -> Delivery:
        status: int = response.status_code
        line = _status_line(status)
        if 200 <= status < 300:
            return Delivery(Outcome.DONE, status, line)
        if 300 <= status < 400:
            location = response.headers.get("Location")
            where = f"redirected to {_clean(_without_query(location), token)}" if location else "a redirect"
            return Delivery(Outcome.REFUSED, status, f"{line}: {where}, not followed")
        message = _error_message(body, token)
        detail = f"{line}: {message}" if message else line
        if status == 429 or status >= 500 or status == 408:
            wait = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            if wait is not None:
                detail += f" (Retry-After {wait:g} s)"
            return Delivery(Outcome.RETRY, status, detail, wait)
        if status in (401, 403):
            return Delivery(Outcome.UNAUTHORIZED, status, detail)
        # A 404 is the ticket gone; a ticketless command (a report) has no ticket to lose, so its 404
        # says the host lacks the endpoint: a dead letter the admin sees, not a silent drop.
        if status in (404, 410) and command.ticket_id is not None:
            return Delivery(Outcome.GONE, status, detail)
        return Delivery(Outcome.REFUSED, status, detail)

    def _failed(self, error: requests.RequestException) -> Delivery:
        if isinstance(error, requests.exceptions.ConnectTimeout):
            return Delivery(Outcome.RETRY, None, f"connect timeout after {self.connect_timeout:g} s")
        if isinstance(error, requests.exceptions.ReadTimeout):
            return Delivery(Outcome.RETRY, None, f"read timeout after {self.read_timeout:g} s")
        if isinstance(error, requests.Timeout):
            return Delivery(Outcome.RETRY, None, "timeout")
        if isinstance(error, requests.exceptions.ChunkedEncodingError):
            return Delivery(Outcome.RETRY, None, "answer broke off")
        if isinstance(error, requests.ConnectionError):
            return Delivery(Outcome.RETRY, None, _network_problem(error))
        # An invalid URL or header, a body that is not JSON: no attempt will ever go out.
        return Delivery(Outcome.REFUSED, None, f"request not sent: {type(error).__name__}")


class _Bearer(AuthBase):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_Bearer('***')"


def idempotency_header(key: str) -> str:
    """The key as a header value: itself when printable ASCII without ``%``, else percent-encoded."""
    return quote(key, safe=_KEY_SAFE)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` asks for: delta-seconds, or an HTTP-date less ``now`` (0 once it has
    passed); None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC, by RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _head_of(response: Any) -> bytes:
    head = b""
    for chunk in response.iter_content(chunk_size=4096):
        head += chunk
        if len(head) >= MAX_BODY_BYTES:
            break
    return head[:MAX_BODY_BYTES]


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _error_message(body: bytes, token: str) -> str:
    """The host's own short message in a JSON error body, if it has one."""
    try:
        document = json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return ""
    if not isinstance(document, dict):
        return ""
    error = document.get("error")
    candidates = [document.get("message"), error.get("message") if isinstance(error, dict) else error,
                  document.get("detail"), document.get("error_description"), document.get("title")]
    message = next((value for value in candidates if isinstance(value, str) and value.strip()), "")
    return _clean(message, token)


def _clean(text: str, token: str) -> str:
    """One printable line, the token masked (before cutting, so no part of it survives), at most 200 chars."""
    line = " ".join("".join(char for char in text if char.isprintable() or char.isspace()).split())
    line = line.replace(token, "***")
    return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 1] + "…"


def _without_query(url: str) -> str:
    """A URL without its user info, query and fragment, which may carry secrets."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _network_problem(error: BaseException) -> str:
    """What went wrong on the wire, in a few fixed words (an exception's text may quote a header)."""
    causes = list(_causes(error))
    problems: tuple[tuple[type[BaseException], str], ...] = (
        (ConnectionRefusedError, "connection refused"),
        (http.client.RemoteDisconnected, "connection closed without an answer"),
        (ConnectionResetError, "connection reset"),
        (socket.gaierror, "host name not resolved"),
        (requests.exceptions.ProxyError, "proxy error"),
        (requests.exceptions.SSLError, "TLS error"),
        (ssl.SSLError, "TLS error"),
        (TimeoutError, "timeout"),
        (requests.exceptions.ChunkedEncodingError, "answer broke off"),
    )
    for kind, words in problems:
        if any(isinstance(cause, kind) for cause in causes):
            return words
    return "connection failed"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and every exception it wraps: causes, contexts, urllib3's ``reason``s and arguments."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = (current.__cause__, current.__context__, getattr(current, "reason", None), *current.args)
        pending.extend(item for item in linked if isinstance(item, BaseException))
