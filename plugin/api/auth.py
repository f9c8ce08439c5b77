"""POST /api/v1/auth/session: the host's one-time JWT in, a short-lived bearer session token out."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from plugin.runtime import current_runtime
from plugin.security.tokens import issue_session_token
from plugin.services.sessions import open_session

from .access import API_PREFIX, remember_host_origin
from .errors import api_blueprint
from .schemas import SessionAnswer, SessionRequest

blueprint = api_blueprint("auth", f"{API_PREFIX}/auth", "Exchange the settings page's host JWT for a session token")


@blueprint.post("/session")
@blueprint.arguments(SessionRequest)
@blueprint.response(200, SessionAnswer)
@blueprint.doc(security=[])
def create_session(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Verify the host token (HS256, audience, ≤ 5 minutes, jti used once) and issue a session token."""
    runtime = current_runtime()
    config = runtime.config
    identity, tenant = open_session(runtime.uow(), body["token"], config.app_id, config.app_secret,
                                    runtime.wall_now())
    remember_host_origin(tenant)
    session = replace(identity, installation=tenant.installation)
    token = issue_session_token(session, config.app_id, config.app_secret, runtime.wall_now(),
                                config.session_ttl_seconds)
    answer = {"access_token": token, "token_type": "Bearer", "expires_in": config.session_ttl_seconds}
    return answer, 200, {"Cache-Control": "no-store"}
