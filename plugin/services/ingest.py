"""Receiving a webhook: verify it, validate it, store it in the tenant's inbox. Nothing more.

The body is read by the tenant's host kind (``plugin.host.registry``; its credentials carry it, so
this costs no query). The inbox processor applies it later (``processing``); the host gets its 200
as soon as the event is stored, whatever the SLA work it calls for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from plugin.host.adapter import PayloadError
from plugin.host.registry import host_kind
from plugin.json_bodies import read_json_body
from plugin.security.secrets import SecretBox
from plugin.security.signatures import HeaderSource, SignatureError, verify_signature
from plugin.store.limits import NotStorable
from plugin.store.records import ReceivedWebhook, TenantCredentials

from .tenant_credentials import RememberedCredentials
from .unit_of_work import UnitOfWork

Acknowledgement = Literal["accepted", "duplicate", "ignored"]


class UnknownAccount(LookupError):
    """No installation for the account the webhook's URL names."""


class InvalidEvent(ValueError):
    """The body is JSON but not a valid event; the message names the field."""


class InstallationChanged(RuntimeError):
    """The tenant was reinstalled or uninstalled while the webhook was being stored, twice over."""


@dataclass(frozen=True)
class Received:
    status: Acknowledgement
    webhook_id: str


def receive_webhook(
    uow: UnitOfWork, credentials: RememberedCredentials, box: SecretBox, account_id: str, body: bytes,
    headers: HeaderSource, now: datetime,
) -> Received:
    """Verify the signature before reading the body, validate the event, store it (deduplicated by
    webhook id). Tries the process's remembered credentials first, then fresh ones if those no
    longer verify or no longer hold (the tenant was reinstalled meanwhile).

    Raises UnknownAccount, SignatureError, MalformedBody, InvalidEvent or InstallationChanged.
    """
    for remembered in (True, False) if credentials.knows(account_id) else (False,):
        with uow:
            tenant = credentials.lookup(uow, account_id, remembered=remembered)
            if tenant is None:
                raise UnknownAccount(f"no installation for account {account_id!r}")
            try:
                webhook_id = verify_signature(box.open(tenant.webhook_secret_encrypted), body, headers)
            except SignatureError:
                if remembered:
                    continue
                raise
            webhook = _validated(tenant, webhook_id, body, account_id, now)
            try:
                stored = uow.inbox.add(webhook, tenant.webhook_secret_encrypted)
            except NotStorable as error:
                raise InvalidEvent(str(error)) from None
            if stored:
                uow.commit()
                return Received("accepted" if webhook.ticket_id is not None else "ignored", webhook_id)
            if uow.tenants.holds_secret(tenant.id, tenant.webhook_secret_encrypted):
                return Received("duplicate", webhook_id)
        credentials.forget(account_id)
    raise InstallationChanged("the installation changed while this webhook was stored; send it again")


def _validated(tenant: TenantCredentials, webhook_id: str, body: bytes, account_id: str,
               now: datetime) -> ReceivedWebhook:
    document: Any = read_json_body(body)
    try:
        received = host_kind(tenant.host_kind).read_webhook(document, account_id)
    except PayloadError as error:
        raise InvalidEvent(str(error)) from None
    event = received.event
    return ReceivedWebhook(tenant.id, webhook_id, received.event_type, event.id if event else None,
                           event.ticket_id if event else None, document, now)
