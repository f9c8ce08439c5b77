"""Settings-page identity: the host's one-time JWT in, a short-lived session token out.

Both are HS256 JWTs. The host's is signed with the app secret (UTF-8 bytes of the whole
``whsec_…`` string, design.md §4); ours with a key derived from it for this purpose only, so
a session token can never pass for a host token or the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt

MAX_HOST_TOKEN_LIFETIME = timedelta(minutes=5)
SESSION_AUDIENCE_SUFFIX = ":session"
HOST_CLAIMS = ("iss", "aud", "sub", "account_id", "role", "iat", "exp", "jti")
Role = Literal["admin", "agent"]


class TokenError(ValueError):
    """The token is not acceptable; the message says why (never echoing the token)."""


@dataclass(frozen=True)
class Identity:
    account_id: str
    user: str
    role: Role
    installation: str | None = None  # a session's: the installation it was opened on

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def verify_host_token(token: str, app_id: str, app_secret: str, now: datetime) -> tuple[Identity, str, datetime]:
    """Check a host JWT: HS256 only, audience, issued-at and expiry (≤ 5 min) against ``now``.

    Returns the identity, the token id (jti) and its expiry; single use of the jti is the caller's
    to enforce (it needs the database).
    """
    claims = _decode(token, app_secret.encode(), app_id, HOST_CLAIMS)
    issued = _instant(claims, "iat")
    expires = _instant(claims, "exp")
    if expires - issued > MAX_HOST_TOKEN_LIFETIME:
        raise TokenError("token lifetime exceeds 5 minutes")
    if issued > now + timedelta(seconds=30):
        raise TokenError("token issued in the future")
    if expires <= now:
        raise TokenError("token expired")
    return _identity(claims), str(claims["jti"]), expires


def unverified_account(token: str) -> str | None:
    """The ``account_id`` a token claims, read without verifying it: only to choose which helpdesk may
    frame the page that tells its user the token was refused. Never a basis for access."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    account = claims.get("account_id")
    return account if isinstance(account, str) and account else None


def issue_session_token(identity: Identity, app_id: str, app_secret: str, now: datetime, ttl: int) -> str:
    claims = {
        "aud": app_id + SESSION_AUDIENCE_SUFFIX,
        "sub": identity.user,
        "account_id": identity.account_id,
        "role": identity.role,
        "installation": identity.installation,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, _session_key(app_secret), algorithm="HS256")


def verify_session_token(token: str, app_id: str, app_secret: str, now: datetime) -> Identity:
    claims = _decode(token, _session_key(app_secret), app_id + SESSION_AUDIENCE_SUFFIX,
                     ("aud", "sub", "account_id", "role", "exp"))
    if _instant(claims, "exp") <= now:
        raise TokenError("session expired")
    installation = claims.get("installation")
    return replace(_identity(claims), installation=installation if isinstance(installation, str) else None)


def _decode(token: str, key: bytes, audience: str, required: tuple[str, ...]) -> dict[str, Any]:
    try:
        # Expiry is checked against the injected clock by the callers, not the wall clock.
        return jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            audience=audience,
            options={"require": list(required), "verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidAudienceError:
        raise TokenError("token is not meant for this app") from None
    except jwt.MissingRequiredClaimError as error:
        raise TokenError(f"token lacks the {error.claim!r} claim") from None
    except jwt.InvalidSignatureError:
        raise TokenError("token signature does not verify") from None
    except jwt.InvalidAlgorithmError:
        raise TokenError("token must be signed with HS256") from None
    except jwt.PyJWTError:
        raise TokenError("token is malformed") from None


def _instant(claims: dict[str, Any], name: str) -> datetime:
    value = claims.get(name)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TokenError(f"token claim {name!r} must be a number of seconds")
    return datetime.fromtimestamp(value, UTC)


def _identity(claims: dict[str, Any]) -> Identity:
    role = claims.get("role")
    if role not in ("admin", "agent"):
        raise TokenError("token role must be 'admin' or 'agent'")
    account, user = claims.get("account_id"), claims.get("sub")
    if not isinstance(account, str) or not account or not isinstance(user, str) or not user:
        raise TokenError("token account_id and sub must be non-empty strings")
    return Identity(account, user, role)


def _session_key(app_secret: str) -> bytes:
    return hmac.new(app_secret.encode(), b"sla-plugin session tokens", hashlib.sha256).digest()
