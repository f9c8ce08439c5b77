"""Install and uninstall: the marketplace's calls that create and remove a tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plugin.security.secrets import SecretBox
from plugin.store.records import InstallValues

from .unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Installation:
    account_id: str
    api_base_url: str
    access_token: str
    webhook_secret: str
    timezone: str
    host_origin: str


def install(uow: UnitOfWork, box: SecretBox, installation: Installation, now: datetime) -> bool:
    """Create the tenant, or refresh its credentials on re-install (settings and history are kept).
    True for a new tenant. Every install seals the secrets anew."""
    values = InstallValues(
        account_id=installation.account_id,
        api_base_url=installation.api_base_url,
        access_token_encrypted=box.seal(installation.access_token),
        webhook_secret_encrypted=box.seal(installation.webhook_secret),
        timezone=installation.timezone,
        host_origin=installation.host_origin,
    )
    with uow:
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
