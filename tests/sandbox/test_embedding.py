"""The helpdesk's own pages embed the plugin's settings page and ticket sidebar, each frame with a freshly
signed one-time token; and a host that refuses a call outright (the ``refused`` fault)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from flask.testing import FlaskClient

from sandbox import create_sandbox_app, sandbox_of
from sandbox.plugin_link import PluginAnswer, PluginLink
from tests.sandbox.conftest import MONDAY_9, auth

APP_SECRET = "whsec_c2FuZGJveC1lbWJlZGRpbmctdGVzdHMtc2VjcmV0"


def accepting(method: str, url: str, body: bytes, headers: dict[str, str]) -> PluginAnswer:
    return PluginAnswer(200, {"status": "accepted"})


@pytest.fixture
def embedding_client() -> FlaskClient:
    """A sandbox with a plugin (that accepts everything), account ``acme`` and its ticket ``INC/7``."""
    app = create_sandbox_app("http://sandbox.test", PluginLink("http://plugin.test", APP_SECRET),
                             transport=accepting)
    sandbox_of(app).clock.set(MONDAY_9)
    sandbox_of(app).host.install("acme", "Europe/Istanbul")
    sandbox_of(app).host.create_ticket("acme", {"id": "INC/7", "subject": "Outage <now>", "product": "Orange"})
    return app.test_client()


def frame_of(html: str, frame_id: str) -> tuple[str, dict[str, Any]]:
    """The frame's src and the claims of the token it carries."""
    match = re.search(rf'<iframe[^>]*id="{frame_id}"[^>]*src="([^"]+)"[^>]*width="(\d+)"', html)
    assert match, html
    src = unescape(match.group(1))
    token = parse_qs(urlsplit(src).query)["token"][0]
    claims = jwt.decode(token, APP_SECRET, algorithms=["HS256"], audience="sla-plugin")
    return src, claims | {"width": int(match.group(2))}


def test_the_admin_page_frames_the_settings_page_with_a_new_admin_token_each_time(
        embedding_client: FlaskClient) -> None:
    first = embedding_client.get("/accounts/acme/admin")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    src, claims = frame_of(first.get_data(as_text=True), "sla-settings")
    assert src.startswith("http://plugin.test/settings?token=")
    assert (claims["account_id"], claims["role"], claims["iss"], claims["width"]) == (
        "acme", "admin", "http://sandbox.test", 800)
    assert claims["exp"] - claims["iat"] == 300
    _src, again = frame_of(embedding_client.get("/accounts/acme/admin").get_data(as_text=True), "sla-settings")
    assert again["jti"] != claims["jti"]
    _src, agent = frame_of(embedding_client.get("/accounts/acme/admin?role=agent").get_data(as_text=True),
                           "sla-settings")
    assert agent["role"] == "agent"
    assert embedding_client.get("/accounts/acme/admin?role=owner").status_code == 400


def test_the_ticket_page_frames_the_sidebar_for_that_ticket_as_an_agent(embedding_client: FlaskClient) -> None:
    page = embedding_client.get("/accounts/acme/tickets/INC%2F7")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Outage &lt;now&gt;" in html
    src, claims = frame_of(html, "sla-sidebar")
    assert src.startswith("http://plugin.test/sidebar?token=") and src.endswith("&ticket_id=INC%2F7")
    assert (claims["role"], claims["width"]) == ("agent", 320)
    assert 'href="/accounts/acme/admin"' in html


def test_the_ticket_list_links_to_the_admin_page_and_each_tickets_page(embedding_client: FlaskClient) -> None:
    html = embedding_client.get("/").get_data(as_text=True)
    assert 'href="/accounts/acme/admin"' in html
    assert 'href="/accounts/acme/tickets/INC%2F7"' in html


@pytest.mark.parametrize("path", ["/accounts/nobody/admin", "/accounts/acme/tickets/nope",
                                  "/accounts/acme/tickets/INC/7", "/accounts/acme/other"])
def test_what_is_not_there_is_a_page_that_says_so(embedding_client: FlaskClient, path: str) -> None:
    assert embedding_client.get(path).status_code == 404


def test_without_a_plugin_the_pages_say_there_is_nothing_to_embed(client: FlaskClient, token: str) -> None:
    html = client.get("/accounts/acme/admin").get_data(as_text=True)
    assert "<iframe" not in html and "runs without a plugin" in html
    assert "<iframe" not in client.get("/accounts/acme/tickets/T1").get_data(as_text=True)


def test_a_refused_call_gets_its_4xx_and_applies_nothing(client: FlaskClient, token: str) -> None:
    assert client.post("/sandbox/faults", json={"mode": "refused", "paths": ["/api/v1/tickets/T1"]}).status_code == 201
    refused = client.patch("/api/v1/tickets/T1", json={"priority": "urgent"}, headers=auth(token, "k1"))
    assert refused.status_code == 422 and refused.get_json()["error"] == "refused"
    assert client.get("/sandbox/effects").get_json()["effects"] == []
    again = client.patch("/api/v1/tickets/T1", json={"priority": "urgent"}, headers=auth(token, "k1"))
    assert again.status_code == 200  # nothing was stored for the key
    assert client.post("/sandbox/faults", json={"mode": "refused", "status": 503}).status_code == 400
    assert client.post("/sandbox/faults", json={"mode": "refused", "status": 400}).status_code == 201
