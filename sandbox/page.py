"""``GET /``: the helpdesk as an agent would glance at it, refreshed every few seconds."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from .embedding import admin_page_path, ticket_page_path
from .markdown import render_markdown
from .store import is_sla_tag

page = Blueprint("sandbox_page", __name__, template_folder="templates")

RECENT_CALLS = 25


@page.get("/")
def ticket_list() -> str:
    sandbox = current_app.extensions["sandbox"]
    state = sandbox.helpdesk.state()
    accounts = sorted(state["accounts"].values(), key=lambda account: account["account_id"])
    for account in accounts:
        account["tickets"].sort(key=lambda ticket: (ticket["created_at"], ticket["id"]))
        for report in account["reports"]:
            report["html"] = render_markdown(report["body_markdown"])
    return render_template("sandbox_page.html", accounts=accounts, calls=state["calls"][-RECENT_CALLS:][::-1],
                           clock=sandbox.clock.describe(), faults=sandbox.faults.describe(),
                           is_sla_tag=is_sla_tag, plugin=sandbox.host.plugin,
                           admin_page=admin_page_path, ticket_page=ticket_page_path)
