"""Path segments as the client sent them, each percent-decoded on its own.

Ticket ids may hold ``/`` and arrive as ``INC%2F2026%2F7``; the server decodes ``%2F`` before
routing, so splitting the decoded path would misread them. The raw request target (``RAW_URI``,
set by werkzeug, gunicorn and the Flask test client) keeps the escapes, so an id is exactly one
segment, and a plugin that forgets to escape a ``/`` gets a 404 here as it would on a real host.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Request


def raw_path(request: Request) -> str:
    raw = str(request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or "")
    if not raw:
        return request.path  # already decoded: ids holding '/' cannot be told apart here
    text = raw.encode("latin-1").decode("utf-8", "replace")  # undo the WSGI encoding of the bytes sent
    return urlsplit(text).path


def segments_after(request: Request, prefix_length: int) -> list[str]:
    """The decoded segments that follow the first ``prefix_length`` segments of the path."""
    parts = raw_path(request).split("/")[1:]
    return [unquote(part) for part in parts[prefix_length:]]
