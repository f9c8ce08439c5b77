"""Install and uninstall: the marketplace's calls that create and remove a tenant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plugin.security.secrets import SecretBox
from plugin.store.models import Tenant

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

    Returns True for a new tenant.
    """
    tenant = uow.tenants.by_account(installation.account_id)
    created = tenant is None
    if tenant is None:
        tenant = Tenant(account_id=installation.account_id, installed_at=now, status="active")
    tenant.api_base_url = installation.api_base_url
    tenant.access_token_encrypted = box.seal(installation.access_token)
    tenant.webhook_secret_encrypted = box.seal(installation.webhook_secret)
    tenant.timezone = installation.timezone
    tenant.host_origin = installation.host_origin
    tenant.status = "active"
    tenant.updated_at = now
    uow.tenants.add(tenant)
    uow.commit()
    return created


def uninstall(uow: UnitOfWork, account_id: str) -> bool:
    """Delete the tenant's secrets and data; False if there was nothing installed."""
    tenant = uow.tenants.by_account(account_id)
    if tenant is None:
        return False
    uow.tenants.delete(tenant)
    uow.commit()
    return True
