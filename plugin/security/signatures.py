"""Standard Webhooks signatures (webhook-id, webhook-timestamp, webhook-signature), 5-minute tolerance."""

from __future__ import annotations

import binascii
from functools import lru_cache
from typing import Protocol

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class SignatureError(ValueError):
    """The request is not signed by the expected secret, or not recently."""


@lru_cache(maxsize=1024)
def _verifier(secret: str) -> Webhook:
    return Webhook(secret)


class HeaderSource(Protocol):
    """A plain mapping, or Werkzeug's request headers."""

    def get(self, key: str) -> str | None: ...


def verify_signature(secret: str, body: bytes, headers: HeaderSource) -> str:
    """Verify before anything reads the body; returns the webhook id."""
    wanted = {name: headers.get(name) or "" for name in SIGNATURE_HEADERS}
    missing = [name for name, value in wanted.items() if not value]
    if missing:
        raise SignatureError(f"missing header(s): {', '.join(missing)}")
    if not wanted["webhook-timestamp"].strip().isdigit():
        raise SignatureError(f"webhook-timestamp: {wanted['webhook-timestamp'][:40]!r} is not a Unix time in "
                             "seconds")
    try:
        _verifier(secret).verify(body, wanted, json_parse=False)
    except WebhookVerificationError as error:
        raise SignatureError(_reason(str(error))) from None
    except (ValueError, binascii.Error):  # malformed signature lists, bad base64
        raise SignatureError("signature does not verify") from None
    return wanted["webhook-id"]


def _reason(message: str) -> str:
    if "too old" in message:
        return "timestamp is older than 5 minutes"
    if "too new" in message:
        return "timestamp is more than 5 minutes in the future"
    return "signature does not verify"
