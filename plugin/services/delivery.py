"""Delivering the outbox: each host command carried out once, in order per ticket, urgent ones first.

One round claims the commands that are due (a lease, ``SLA_DELIVERY_LEASE_SECONDS``, so several
workers never send one command at the same moment), then makes one attempt for each through the
adapter of the tenant's host kind (``plugin.host.registry``), settling each command in its own
short transaction as soon as the host has answered:

- done (2xx) or gone (404: the ticket no longer exists): finished;
- retry (429, 5xx, a timeout, a dropped connection): the next attempt after an exponential
  backoff with full jitter, never sooner than the host's ``Retry-After``; after the last attempt,
  a dead letter, listed for the admin, who may send it again;
- refused (another 4xx): a dead letter at once;
- unauthorized (401/403): the tenant's delivery pauses, with the reason shown to its admin, until
  the account is installed again; the command waits, its attempts untouched.

The per-tenant rate limit is checked before each call (the tenant's own ``requests_per_second``
when it has one, else the worker's default): a command over the limit goes back to the queue for
the moment the limit allows, without counting as an attempt. A worker that dies mid-call
leaves its lease to expire; the command is then sent again with the same idempotency key, which the
host answers with its first answer and no second effect.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from plugin.host.adapter import Delivery, HostAccount, HostAdapters, Outcome
from plugin.host.backoff import MAX_ATTEMPTS, retry_delay
from plugin.host.rate_limit import RateLimiter
from plugin.security.secrets import SecretBox
from plugin.store.records import DeadLetter, HostEndpoint, LeasedCommand, TenantRecord

from .unit_of_work import UnitOfWork

log = logging.getLogger("sla.delivery")
# Longer than any one call may take (the reference adapter's connect and read timeouts, about 13 s).
DEFAULT_LEASE = timedelta(seconds=60)


@dataclass
class DeliveryRound:
    """What one round did: commands claimed, and how each attempt ended."""

    claimed: int = 0
    # done, gone, retry, dead, paused, throttled, returned (unsent when the round ran long), no_adapter
    outcomes: Counter[str] = field(default_factory=Counter)


@dataclass
class Courier:
    """What a worker keeps between rounds: the adapters (one per host kind) and their connections, the
    rate limits, a random source for the jitter, the clock, and how long a claimed command is its own."""

    adapters: HostAdapters
    box: SecretBox
    clock: Callable[[], datetime]
    limiter: RateLimiter = field(default_factory=RateLimiter)
    rng: random.Random = field(default_factory=random.Random)
    lease: timedelta = DEFAULT_LEASE


def deliver_due_commands(uow: UnitOfWork, courier: Courier, limit: int = 50) -> DeliveryRound:
    """One round: claim up to ``limit`` due commands and make one attempt at each."""
    now = courier.clock()
    with uow:
        leased = uow.outbox.claim(now, now + courier.lease, limit)
        endpoints = {tenant_id: uow.tenants.host_endpoint(tenant_id)
                     for tenant_id in sorted({entry.tenant_id for entry in leased})}
        uow.commit()
    result = DeliveryRound(claimed=len(leased))
    for index, entry in enumerate(leased):
        if courier.clock() - now > courier.lease / 2:  # a slow host: give the rest back before their leases run out
            for unsent in leased[index:]:
                _release(uow, unsent, courier.clock())
            result.outcomes["returned"] += len(leased) - index
            break
        endpoint = endpoints[entry.tenant_id]
        outcome = _attempt(uow, courier, entry, endpoint)
        if outcome == "paused" and endpoint is not None:  # the tenant's other commands wait too
            endpoints[entry.tenant_id] = replace(endpoint, paused_reason=endpoint.paused_reason or "paused")
        result.outcomes[outcome] += 1
    return result


def _attempt(uow: UnitOfWork, courier: Courier, entry: LeasedCommand, endpoint: HostEndpoint | None) -> str:
    now = courier.clock()
    if endpoint is None:  # uninstalled meanwhile: its commands went with it
        return "gone"
    if endpoint.paused_reason is not None:
        _release(uow, entry, now)
        return "paused"
    try:
        adapter = courier.adapters.for_kind(endpoint.host_kind)
    except LookupError as error:  # a kind this worker's build has no adapter for: wait for one that has
        log.error("delivery.no_adapter", extra={"reason": f"tenant {entry.tenant_id}: {error}"})
        _release(uow, entry, now + courier.lease)
        return "no_adapter"
    wait = courier.limiter.try_acquire(entry.tenant_id, endpoint.requests_per_second)
    if wait > 0:  # at most a lease: a rate stored before its floor existed can never push past datetime's end
        _release(uow, entry, now + timedelta(seconds=min(wait, courier.lease.total_seconds())))
        return "throttled"
    account = HostAccount(endpoint.api_base_url, courier.box.open(endpoint.access_token_encrypted))
    delivery = adapter.deliver(account, entry.command)
    return _settle(uow, courier, entry, delivery)


def _settle(uow: UnitOfWork, courier: Courier, entry: LeasedCommand, delivery: Delivery) -> str:
    now = courier.clock()
    with uow:
        if delivery.outcome is Outcome.DONE:
            uow.outbox.finish(entry.id, "done", now, attempts=entry.attempts + 1)
            outcome = "done"
        elif delivery.outcome is Outcome.GONE:
            uow.outbox.finish(entry.id, "gone", now, delivery.detail, attempts=entry.attempts + 1)
            outcome = "gone"
        elif delivery.outcome is Outcome.UNAUTHORIZED:
            uow.tenants.pause_delivery(entry.tenant_id, f"the host refused the plugin's token ({delivery.detail}); "
                                                        "install the plugin again to resume", now)
            uow.outbox.retry_later(entry.id, now, entry.attempts, delivery.detail)
            outcome = "paused"
        elif delivery.outcome is Outcome.RETRY and entry.attempts + 1 < MAX_ATTEMPTS:
            delay = retry_delay(entry.attempts + 1, courier.rng, retry_after=delivery.retry_after_seconds)
            uow.outbox.retry_later(entry.id, now + timedelta(seconds=delay), entry.attempts + 1, delivery.detail)
            outcome = "retry"
        else:  # refused, or the last attempt failed
            uow.outbox.finish(entry.id, "dead", now, delivery.detail, attempts=entry.attempts + 1)
            outcome = "dead"
        uow.commit()
    return outcome


def _release(uow: UnitOfWork, entry: LeasedCommand, at: datetime) -> None:
    """Back to the queue, due at ``at``, without counting an attempt."""
    with uow:
        uow.outbox.retry_later(entry.id, at, entry.attempts, None)
        uow.commit()


# -- what the admin sees and may do -------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryStatus:
    """The tenant's delivery as its admin needs it: paused and why, commands by status, dead letters."""

    paused_at: datetime | None
    paused_reason: str | None
    commands: dict[str, int]
    dead_letters: list[DeadLetter]


def delivery_status(uow: UnitOfWork, tenant: TenantRecord) -> DeliveryStatus:
    with uow:
        endpoint = uow.tenants.host_endpoint(tenant.id)
        counts = uow.outbox.counts_of_tenant(tenant.id)
        dead = uow.outbox.dead_letters(tenant.id)
    commands = {status: counts.get(status, 0) for status in ("pending", "done", "gone", "dead")}
    return DeliveryStatus(endpoint.paused_at if endpoint else None, endpoint.paused_reason if endpoint else None,
                          commands, dead)


def retry_dead_letters(uow: UnitOfWork, tenant: TenantRecord, command_ids: list[int] | None, now: datetime) -> int:
    """Send dead letters again (those ids of the tenant's, or all of them), with fresh attempts."""
    with uow:
        revived = uow.outbox.revive(tenant.id, command_ids, now)
        uow.commit()
    return revived
