"""The helpdesk's own pages that embed the plugin, as a real helpdesk does.

- ``GET /accounts/<account>/admin``: the account's admin page, with the plugin's settings page in an
  800 px frame (``?role=agent`` opens it as an agent, read-only);
- ``GET /accounts/<account>/tickets/<ticket>``: a ticket, with the plugin's sidebar in a 320 px frame,
  opened as an agent.

Each render signs a fresh one-time JWT (``SandboxHost.settings_token``), so a reload opens the frame
again; the pages are never cached, since a spent token cannot open it twice. The plugin answers the
frame only for the install's ``host_origin`` (this sandbox's base URL): the same page reached under
another origin (``localhost`` for ``127.0.0.1``) gets a refused frame, as a look-alike site would.
Account and ticket ids are one percent-encoded path segment each (``INC%2F2026%2F7``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, request

from .paths import segments_after
from .store import NotFound, is_sla_tag

embedding = Blueprint("sandbox_embedding", __name__, template_folder="templates")

ROLES = ("admin", "agent")


def admin_page_path(account_id: str) -> str:
    return f"/accounts/{quote(account_id, safe='')}/admin"


def ticket_page_path(account_id: str, ticket_id: str) -> str:
    return f"/accounts/{quote(account_id, safe='')}/tickets/{quote(ticket_id, safe='')}"


@embedding.get("/accounts/<path:_rest>")
def account_page(_rest: str) -> Response:
    segments = segments_after(request, 2)  # after /accounts/<account_id>
    account_id = segments_after(request, 1)[0]
    if segments == ["admin"]:
        return _admin_page(account_id)
    if len(segments) == 2 and segments[0] == "tickets" and segments[1]:
        return _ticket_page(account_id, segments[1])
    return _missing("No such page", "The sandbox has /accounts/<account>/admin and /accounts/<account>/tickets/<id>.")


def _admin_page(account_id: str) -> Response:
    sandbox = current_app.extensions["sandbox"]
    role = request.args.get("role", "admin")
    if role not in ROLES:
        return _missing("No such role", "role: admin or agent.", status=400)
    try:
        account = sandbox.helpdesk.state()["accounts"][account_id]
    except KeyError:
        return _missing("No such account", f"No account {account_id!r} is installed in this sandbox.")
    frame = _frame_url(sandbox, "settings", account_id, role, "sandbox-admin" if role == "admin" else "sandbox-agent")
    return _page(render_template("sandbox_admin.html", account=account, role=role, frame=frame,
                                 plugin=sandbox.host.plugin))


def _ticket_page(account_id: str, ticket_id: str) -> Response:
    sandbox = current_app.extensions["sandbox"]
    state = sandbox.helpdesk.state()["accounts"].get(account_id)
    ticket = next((ticket for ticket in state["tickets"] if ticket["id"] == ticket_id), None) if state else None
    if ticket is None:
        return _missing("No such ticket", f"Account {account_id!r} has no ticket {ticket_id!r}.")
    frame = _frame_url(sandbox, "sidebar", account_id, "agent", "sandbox-agent", ticket_id)
    return _page(render_template("sandbox_ticket.html", account=state, ticket=ticket, frame=frame,
                                 plugin=sandbox.host.plugin, is_sla_tag=is_sla_tag,
                                 admin_page=admin_page_path(account_id)))


def _frame_url(sandbox: Any, page: str, account_id: str, role: str, user: str,
               ticket_id: str | None = None) -> str | None:
    """The plugin's page with a freshly signed token (None when the sandbox runs without a plugin)."""
    host = sandbox.host
    if host.plugin is None:
        return None
    try:
        token = host.settings_token(account_id, role, user)
    except NotFound:
        return None
    url = f"{host.plugin.url}/{page}?token={token}"
    return url + (f"&ticket_id={quote(ticket_id, safe='')}" if ticket_id is not None else "")


def _page(html: str, status: int = 200) -> Response:
    return Response(html, status, mimetype="text/html", headers={"Cache-Control": "no-store"})


def _missing(title: str, text: str, status: int = 404) -> Response:
    return _page(render_template("sandbox_missing.html", title=title, text=text), status)
