"""The ticket list page: every user-written text escaped, SLA tags marked, report summaries readable."""

from __future__ import annotations

from flask.testing import FlaskClient

from sandbox.app import Sandbox
from sandbox.markdown import render_markdown
from tests.sandbox.conftest import auth

SUMMARY = """# Daily SLA summary <b>2026-03-02</b>

| policy | metric | achieved | target | missed |
|---|---|---:|---:|---:|
| orange-email-urgent | first_response | **70.0 %** | 80 % | 10 |

- breaches: 30
"""


def test_the_page_escapes_html_in_subjects_notes_and_reports(client: FlaskClient, sandbox: Sandbox,
                                                              token: str) -> None:
    sandbox.host.create_ticket("acme", {"id": "X<1>", "subject": "<script>alert('x')</script> outage",
                                        "requester": {"name": "<img src=x onerror=alert(1)>", "email": None}})
    client.post("/api/v1/tickets/T1/notes", json={"body": "<iframe src=evil>", "internal": True},
                headers=auth(token, "k1"))
    client.post("/api/v1/reports", headers=auth(token, "k2"), json={
        "title": "<marquee>Daily</marquee>", "period_start": "2026-03-01T21:00:00Z",
        "period_end": "2026-03-02T21:00:00Z", "body_markdown": SUMMARY + "\n<script>bad()</script>", "data": {}})
    page = client.get("/").get_data(as_text=True)
    for raw in ("<script>", "<img src=x", "<iframe", "<marquee>", "<b>2026"):
        assert raw not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; outage" in page
    assert "X&lt;1&gt;" in page and "&lt;iframe src=evil&gt;" in page


def test_the_page_shows_tickets_with_sla_tags_marked_and_who_set_the_priority(client: FlaskClient,
                                                                             sandbox: Sandbox, token: str) -> None:
    client.patch("/api/v1/tickets/T1", json={"priority": "urgent"}, headers=auth(token, "k1"))
    client.post("/api/v1/tickets/T1/tags", json={"tags": ["sla-breached-first-response", "vip"]},
                headers=auth(token, "k2"))
    page = client.get("/").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page
    assert "urgent <span class=\"by\">by plugin</span>" in page
    assert 'class="tag sla breached" title="added by plugin">sla-breached-first-response<' in page
    assert 'class="tag" title="added by plugin">vip<' in page


def test_report_markdown_becomes_a_table() -> None:
    html = str(render_markdown(SUMMARY))
    assert "<h3>Daily SLA summary &lt;b&gt;2026-03-02&lt;/b&gt;</h3>" in html
    assert "<th>policy</th><th>metric</th>" in html
    assert "<td><strong>70.0 %</strong></td>" in html
    assert "---" not in html
    assert "<ul><li>breaches: 30</li></ul>" in html
