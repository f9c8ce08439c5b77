"""GET /settings?token=<JWT> and GET /sidebar?token=<JWT>&ticket_id=…: the host's one-time token is
verified and spent here (PyJWT, HS256 pinned, audience, ≤ 5 minutes, jti once), and the page gets a
short-lived session token that its scripts keep in memory and send as ``Authorization: Bearer``.

A token that is missing, expired, reused or forged gets a page saying what went wrong and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, render_template, request

from plugin.runtime import current_runtime
from plugin.security.framing import page_headers
from plugin.security.tokens import TokenError, unverified_account
from plugin.services.sessions import Session, TokenReused, UnknownInstallation, exchange_host_token
from plugin.version import __version__

blueprint = Blueprint("settings_ui", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/ui/static")
MAX_TICKET_ID = 200


@dataclass(frozen=True)
class EntryProblem:
    status: int
    title: str
    explanation: str
    remedy: str


MISSING = EntryProblem(400, "This page opens from your helpdesk",
                       "The link carries no sign-in token.",
                       "Open the SLA plugin from your helpdesk's apps menu (or the ticket's sidebar); the helpdesk "
                       "adds a fresh token each time.")
REUSED = EntryProblem(401, "This link was already used",
                      "Each sign-in link works once, so a copied or reloaded link cannot open the page again.",
                      "Reload the whole helpdesk page (not only this frame), or open the SLA plugin again from "
                      "your helpdesk.")
EXPIRED = EntryProblem(401, "This link has expired",
                       "Sign-in links from your helpdesk last five minutes.",
                       "Open the SLA plugin again from your helpdesk.")
FORGED = EntryProblem(401, "This link could not be verified",
                      "The sign-in token was not issued by your helpdesk for this app ({reason}).",
                      "Open the SLA plugin from your helpdesk. If this keeps happening, ask whoever installed it "
                      "to install it again.")
NOT_INSTALLED = EntryProblem(404, "The SLA plugin is not installed for this account",
                             "Your helpdesk account has no installation of the plugin (it may have been removed).",
                             "Ask an administrator to install the SLA plugin from the helpdesk's marketplace.")
NO_TICKET = EntryProblem(400, "Which ticket?",
                         "The sidebar was opened without a valid ticket_id.",
                         "Open the sidebar from a ticket in your helpdesk.")


@blueprint.get("/settings")
def settings_page() -> Response:
    """The admin settings app (agents see it read-only)."""
    return _enter("settings.html")


@blueprint.get("/sidebar")
def ticket_sidebar() -> Response:
    """The rep's view of one ticket's SLA targets, beside the ticket."""
    ticket_id = request.args.get("ticket_id", "")
    if not ticket_id.strip() or len(ticket_id) > MAX_TICKET_ID or not ticket_id.isprintable():
        return _problem(NO_TICKET, host_origin=None)
    return _enter("sidebar.html", ticket_id=ticket_id)


def _enter(template: str, **context: Any) -> Response:
    token = request.args.get("token", "").strip()
    if not token:
        return _problem(MISSING, host_origin=None)
    runtime = current_runtime()
    try:
        session = exchange_host_token(runtime.uow(), token, runtime.app_identity(), runtime.wall_now())
    except TokenReused:
        return _problem(REUSED, _origin_of_named_account(token))
    except UnknownInstallation:
        return _problem(NOT_INSTALLED, host_origin=None)
    except TokenError as error:
        reason = str(error)
        problem = EXPIRED if reason == "token expired" else FORGED
        return _problem(problem, _origin_of_named_account(token), reason=reason)
    return _page(template, session, **context)


def _page(template: str, session: Session, **context: Any) -> Response:
    identity = session.identity
    html = render_template(template, session_token=session.access_token, expires_in=session.expires_in,
                           role=identity.role, user=identity.user, account_id=identity.account_id,
                           version=__version__, **context)
    return Response(html, 200, headers=page_headers(session.tenant.host_origin), mimetype="text/html")


def _problem(problem: EntryProblem, host_origin: str | None, **details: str) -> Response:
    html = render_template("entry_problem.html", problem=problem,
                           explanation=problem.explanation.format(**details), version=__version__)
    return Response(html, problem.status, headers=page_headers(host_origin), mimetype="text/html")


def _origin_of_named_account(token: str) -> str | None:
    """The host origin of the account an unverified token names, so that the helpdesk of that account
    can show the problem page in its frame. It loosens framing only of a page that holds nothing."""
    account = unverified_account(token)
    if account is None:
        return None
    uow = current_runtime().uow()
    with uow:
        tenant = uow.tenants.by_account(account)
    return tenant.host_origin if tenant else None
