"""Who is calling: the bearer session token, its tenant, and whether it may write.

Every admin API call goes through ``tenant_access``: the token's account names the tenant, and
the routes only ever hand that tenant to the service layer, so one tenant never sees another's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import Response, g, request

from plugin.http_errors import ApiError
from plugin.runtime import Runtime, current_runtime
from plugin.security.framing import frame_origin
from plugin.security.tokens import Identity, TokenError, verify_session_token
from plugin.services.settings_changes import SettingsChange
from plugin.services.unit_of_work import UnitOfWork
from plugin.store.records import TenantRecord

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Access:
    uow: UnitOfWork
    tenant: TenantRecord
    user: str
    now: datetime  # the SLA clock
    wall_now: datetime  # real time (the inbox's lag, delivery)

    def change(self, apply_to: str) -> SettingsChange:
        return SettingsChange(self.user, self.now, apply_to)


@contextmanager
def tenant_access(*, write: bool = False) -> Iterator[Access]:
    """The caller's tenant and a unit of work for the service it calls; ``write`` requires the admin role."""
    runtime = current_runtime()
    identity = g.get("sla_identity") or _session_identity(runtime)
    uow = runtime.uow()
    with uow:
        tenant = uow.tenants.by_account(identity.account_id)
    if tenant is None or tenant.installation != identity.installation:
        raise ApiError(401, "invalid_session", "the account is no longer installed as it was when this session "
                       "began; open the settings page again", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    remember_host_origin(tenant)
    if write and not identity.is_admin:
        raise ApiError(403, "forbidden", "only admins may change the SLA settings; agents may read them")
    yield Access(uow, tenant, identity.user, runtime.now(), runtime.wall_now())


# Endpoints that take a body but change nothing: agents may call them.
READ_ONLY_POSTS = frozenset({"rules.match_rules", "rules.explain_rules", "policies.preview_policy",
                             "calendars.preview_calendar", "what-if.compare"})
OPEN_ENDPOINTS = frozenset({"auth.create_session", "api-docs.openapi_json"})


def authenticate_first() -> None:
    """Who is calling, and whether they may write, is settled before the body is read: an agent
    sending an invalid settings change hears 403, not the body's problems (nor does a caller
    without a session)."""
    if not request.path.startswith(API_PREFIX) or request.endpoint in OPEN_ENDPOINTS or request.endpoint is None:
        return
    identity = g.sla_identity = _session_identity(current_runtime())
    writes = request.method in ("POST", "PUT", "PATCH", "DELETE") and request.endpoint not in READ_ONLY_POSTS
    if writes and not identity.is_admin:
        raise ApiError(403, "forbidden", "only admins may change the SLA settings; agents may read them")


def remember_host_origin(tenant: TenantRecord) -> None:
    g.sla_host_origin = tenant.host_origin


def frame_ancestors(response: Response) -> Response:
    """Only the tenant's host may frame API answers (none when the caller is not known)."""
    if request.path.startswith(API_PREFIX):
        origin = frame_origin(g.get("sla_host_origin")) or "'none'"
        response.headers["Content-Security-Policy"] = f"frame-ancestors {origin}"
    return response


def _session_identity(runtime: Runtime) -> Identity:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "missing_token",
                       "send 'Authorization: Bearer <session token>'; POST /api/v1/auth/session issues one",
                       {"WWW-Authenticate": "Bearer"})
    config = runtime.config
    try:
        return verify_session_token(token.strip(), config.app_id, config.app_secret, runtime.wall_now())
    except TokenError as error:
        raise ApiError(401, "invalid_token", str(error), {"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None
