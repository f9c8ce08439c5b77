"""POST /api/v1/auth/session: the host's one-time JWT in, a short-lived bearer session token out."""

from __future__ import annotations

from typing import Any

from plugin.runtime import current_runtime
from plugin.services.sessions import exchange_host_token

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
    session = exchange_host_token(runtime.uow(), body["token"], runtime.app_identity(), runtime.wall_now())
    remember_host_origin(session.tenant)
    answer = {"access_token": session.access_token, "token_type": "Bearer", "expires_in": session.expires_in}
    return answer, 200, {"Cache-Control": "no-store"}
