"""Install and uninstall: the marketplace's calls that create and remove a tenant; and what the
operator sets of a tenant (its host's request rate)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from plugin.config import MAX_REQUESTS_PER_SECOND, MIN_REQUESTS_PER_SECOND
from plugin.host.registry import REGISTRY, HostKinds
from plugin.security.secrets import SecretBox
from plugin.store.records import InstallValues, TenantOverview

from .unit_of_work import UnitOfWork


class HostKindChanged(ValueError):
    """A re-install names another host kind than the account's: its stored webhooks could no longer be read."""


class AccountNotInstalled(LookupError):
    """No installed account has that id."""


@dataclass(frozen=True)
class Installation:
    account_id: str
    api_base_url: str
    access_token: str
    webhook_secret: str
    timezone: str
    host_origin: str
    host_kind: str | None = None  # None: a new account speaks the reference protocol, a re-install keeps its kind
    requests_per_second: float | None = None  # the host's limit for this account; None: kept (new: the default)


def install(uow: UnitOfWork, box: SecretBox, installation: Installation, now: datetime,
            kinds: HostKinds = REGISTRY) -> bool:
    """Create the tenant, or refresh its credentials on re-install (settings and history are kept).
    True for a new tenant. Every install seals the secrets anew.

    Raises UnknownHostKind for a host kind no adapter is registered for, HostKindChanged for a
    re-install under another kind, ValueError for a request rate that is not a positive number.
    """
    if installation.host_kind is not None:
        kinds.get(installation.host_kind)
    if installation.requests_per_second is not None:
        checked_rate(installation.requests_per_second)
    values = InstallValues(
        account_id=installation.account_id,
        api_base_url=installation.api_base_url,
        access_token_encrypted=box.seal(installation.access_token),
        webhook_secret_encrypted=box.seal(installation.webhook_secret),
        timezone=installation.timezone,
        host_origin=installation.host_origin,
        host_kind=installation.host_kind,
        requests_per_second=installation.requests_per_second,
    )
    with uow:
        existing = uow.tenants.by_account(installation.account_id)
        if existing is not None and installation.host_kind not in (None, existing.host_kind):
            raise HostKindChanged(
                f"host_kind: account {installation.account_id!r} is installed with host kind "
                f"{existing.host_kind!r}, not {installation.host_kind!r}; uninstall it first to change it")
        _tenant, created = uow.tenants.install(values, now)
        uow.commit()
    return created


def uninstall(uow: UnitOfWork, account_id: str) -> bool:
    """Delete the tenant's secrets, then all of its data; False if nothing was installed."""
    with uow:
        tenant = uow.tenants.by_account(account_id)
        if tenant is None:
            return False
        uow.tenants.uninstall(tenant.id)
        uow.commit()
    return True


def checked_rate(requests_per_second: float) -> float:
    """A request rate: a number from ``MIN_REQUESTS_PER_SECOND`` to ``MAX_REQUESTS_PER_SECOND``."""
    if not (math.isfinite(requests_per_second)
            and MIN_REQUESTS_PER_SECOND <= requests_per_second <= MAX_REQUESTS_PER_SECOND):
        raise ValueError(f"requests_per_second: must be a number from {MIN_REQUESTS_PER_SECOND:g} to "
                         f"{MAX_REQUESTS_PER_SECOND:g}, not {requests_per_second!r}")
    return float(requests_per_second)


def set_request_rate(uow: UnitOfWork, account_id: str, requests_per_second: float | None) -> None:
    """How fast the plugin may call the account's host (each worker, per second); None: the plugin's
    default (``SLA_HOST_REQUESTS_PER_SECOND``). Workers apply it from their next delivery round."""
    rate = None if requests_per_second is None else checked_rate(requests_per_second)
    with uow:
        tenant = uow.tenants.by_account(account_id)
        if tenant is None:
            raise AccountNotInstalled(f"no installed account has id {account_id!r}")
        uow.tenants.set_requests_per_second(tenant.id, rate)
        uow.commit()


def tenants_overview(uow: UnitOfWork) -> list[TenantOverview]:
    """Every installed tenant, by account id: its host kind, request rate and whether delivery is paused."""
    with uow:
        return uow.tenants.overview()
