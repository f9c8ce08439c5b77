"""Delivering the outbox (``deliver_due_commands``) against the in-memory unit of work and a
scripted host: order per ticket, urgency across tickets, retries, dead letters, pauses, limits."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from plugin.host import commands
from plugin.host.adapter import Delivery, HostAccount, Outcome
from plugin.host.backoff import MAX_ATTEMPTS
from plugin.host.commands import HostCommand
from plugin.host.rate_limit import RateLimiter
from plugin.security.secrets import SecretBox
from plugin.services import lifecycle
from plugin.services.delivery import Courier, deliver_due_commands, delivery_status, retry_dead_letters
from plugin.store.records import InstallValues, TenantRecord
from tests.unit.fakes import FakeUnitOfWork

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BOX = SecretBox(Fernet.generate_key().decode())


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class ScriptedHost:
    """A host adapter that answers from a script (by idempotency key, else ``default``) and records
    every call."""

    answers: dict[str, list[Delivery]] = field(default_factory=dict)
    default: Delivery = field(default_factory=lambda: Delivery(Outcome.DONE, 200, "200 OK"))
    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (base url, token, idempotency key)
    kinds: list[str] = field(default_factory=list)  # the host kinds the courier asked an adapter of

    def for_kind(self, host_kind: str) -> ScriptedHost:
        """It stands in for every host kind's adapter."""
        self.kinds.append(host_kind)
        return self

    def deliver(self, account: HostAccount, command: HostCommand) -> Delivery:
        self.calls.append((account.api_base_url, account.access_token, command.idempotency_key))
        script = self.answers.get(command.idempotency_key)
        return script.pop(0) if script else self.default

    def sent(self) -> list[str]:
        return [key for _url, _token, key in self.calls]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def host() -> ScriptedHost:
    return ScriptedHost()


@pytest.fixture
def courier(host: ScriptedHost, clock: Clock) -> Courier:
    return Courier(host, BOX, clock, RateLimiter(rate_per_second=1000, burst=1000, clock=lambda: 0.0),
                   random.Random(7))


def install(uow: FakeUnitOfWork, account_id: str = "acme", token: str = "token-acme") -> TenantRecord:
    with uow:
        tenant, _created = uow.tenants.install(
            InstallValues(account_id, f"https://{account_id}.host.test", BOX.seal(token), BOX.seal("whsec"), "UTC",
                          f"https://{account_id}.host.test"), START)
        uow.commit()
    return tenant


def queue(uow: FakeUnitOfWork, tenant: TenantRecord, *queued: HostCommand, at: datetime = START) -> None:
    with uow:
        uow.outbox.add(tenant.id, list(queued), at)
        uow.commit()


def drain(uow: FakeUnitOfWork, courier: Courier, clock: Clock, rounds: int = 50, step: float = 1.0) -> Iterator[int]:
    for _ in range(rounds):
        yield deliver_due_commands(uow, courier).claimed
        clock.advance(step)


def statuses(uow: FakeUnitOfWork) -> dict[str, str]:
    return {row.command.idempotency_key: row.status for row in uow.store.committed.outbox.values()}


def test_a_command_is_delivered_once_with_the_tenants_token_and_url(uow, courier, host, clock) -> None:
    tenant = install(uow)
    queue(uow, tenant, commands.set_priority("T-1", "urgent", "outages"))

    assert sum(drain(uow, courier, clock, rounds=3)) == 1

    assert host.calls == [("https://acme.host.test", "token-acme", "set-priority:T-1")]
    assert statuses(uow) == {"set-priority:T-1": "done"}


def test_a_tickets_commands_go_in_the_order_they_were_queued_even_when_one_is_retried(
    uow, courier, host, clock
) -> None:
    tenant = install(uow)
    first, second = commands.add_tags("T-1", ["sla-at-risk"], "r1"), commands.remove_tag("T-1", "sla-at-risk", "r2")
    queue(uow, tenant, first)
    queue(uow, tenant, second)
    host.answers[first.idempotency_key] = [Delivery(Outcome.RETRY, 503, "503 Service Unavailable")] * 3

    list(drain(uow, courier, clock, rounds=400, step=5))

    assert host.sent() == [first.idempotency_key] * 4 + [second.idempotency_key]


def test_across_tickets_breach_tags_and_notes_go_before_a_backlog_of_priority_writes(uow, courier, host) -> None:
    tenant = install(uow)
    queue(uow, tenant, *(commands.set_priority(f"T-{number}", "high", "vip") for number in range(200)))
    queue(uow, tenant, commands.add_tags("T-999", ["sla-breached"], "b1"), commands.post_note("T-999", "late", "b1"))

    deliver_due_commands(uow, courier, limit=10)
    first_round = host.sent()
    deliver_due_commands(uow, courier, limit=10)

    assert first_round[0] == "add-tags:T-999:b1:sla-breached"  # queued last, sent first
    assert host.sent()[len(first_round)] == "post-note:T-999:b1"  # after the tag: one ticket, in order


def test_a_retried_command_waits_its_backoff_and_no_less_than_retry_after(uow, courier, host, clock) -> None:
    tenant = install(uow)
    command = commands.set_priority("T-1", "urgent", "outages")
    queue(uow, tenant, command)
    host.answers[command.idempotency_key] = [Delivery(Outcome.RETRY, 429, "429 Too Many Requests", 30.0)]

    deliver_due_commands(uow, courier)
    clock.advance(29)
    assert deliver_due_commands(uow, courier).claimed == 0
    clock.advance(300)  # past any jitter the backoff may add
    deliver_due_commands(uow, courier)

    assert host.sent() == [command.idempotency_key] * 2
    assert statuses(uow) == {command.idempotency_key: "done"}


def test_after_the_last_attempt_a_command_is_a_dead_letter_that_the_admin_can_send_again(
    uow, courier, host, clock
) -> None:
    tenant = install(uow)
    command = commands.post_note("T-1", "breached", "b1")
    queue(uow, tenant, command)
    host.answers[command.idempotency_key] = [Delivery(Outcome.RETRY, 500, "500 Internal Server Error")] * MAX_ATTEMPTS

    list(drain(uow, courier, clock, rounds=200, step=3600))

    assert len(host.calls) == MAX_ATTEMPTS
    with uow:
        [dead] = uow.outbox.dead_letters(tenant.id)
        assert (dead.idempotency_key, dead.attempts, dead.last_error) == (command.idempotency_key, MAX_ATTEMPTS,
                                                                          "500 Internal Server Error")
        assert uow.outbox.revive(tenant.id, [dead.id], clock()) == 1
        uow.commit()
    deliver_due_commands(uow, courier)
    assert statuses(uow) == {command.idempotency_key: "done"}


def test_a_refused_command_is_a_dead_letter_at_once_and_a_gone_ticket_drops_it(uow, courier, host) -> None:
    tenant = install(uow)
    refused, gone = commands.set_priority("T-1", "urgent", "r"), commands.set_priority("T-2", "urgent", "r")
    queue(uow, tenant, refused, gone)
    host.answers[refused.idempotency_key] = [Delivery(Outcome.REFUSED, 422, "422 Unprocessable Entity")]
    host.answers[gone.idempotency_key] = [Delivery(Outcome.GONE, 404, "404 Not Found")]

    deliver_due_commands(uow, courier)

    assert statuses(uow) == {refused.idempotency_key: "dead", gone.idempotency_key: "gone"}


def test_a_revoked_token_pauses_only_that_tenant_until_it_is_installed_again(uow, courier, host, clock) -> None:
    acme, globex = install(uow, "acme"), install(uow, "globex", "token-globex")
    queue(uow, acme, commands.set_priority("A-1", "urgent", "r"), commands.set_priority("A-2", "urgent", "r"))
    queue(uow, globex, commands.set_priority("G-1", "urgent", "r"))
    host.answers["set-priority:A-1"] = [Delivery(Outcome.UNAUTHORIZED, 401, "401 Unauthorized")]

    list(drain(uow, courier, clock, rounds=5))

    assert statuses(uow) == {"set-priority:A-1": "pending", "set-priority:A-2": "pending",
                             "set-priority:G-1": "done"}
    with uow:
        endpoint = uow.tenants.host_endpoint(acme.id)
    assert endpoint is not None and endpoint.paused_reason is not None and "401 Unauthorized" in endpoint.paused_reason
    calls_while_paused = len(host.calls)

    install(uow, "acme", "token-acme-2")  # the admin installs the plugin again: a new token
    list(drain(uow, courier, clock, rounds=3))

    assert statuses(uow)["set-priority:A-1"] == "done" and statuses(uow)["set-priority:A-2"] == "done"
    assert host.calls[calls_while_paused:][0][1] == "token-acme-2"


def test_a_tenant_over_its_rate_limit_waits_without_slowing_another(uow, host, clock) -> None:
    acme, globex = install(uow, "acme"), install(uow, "globex", "token-globex")
    queue(uow, acme, *(commands.set_priority(f"A-{number}", "urgent", "r") for number in range(10)))
    queue(uow, globex, commands.set_priority("G-1", "urgent", "r"))
    seconds = [0.0]
    courier = Courier(host, BOX, clock, RateLimiter(rate_per_second=2, burst=2, clock=lambda: seconds[0]),
                      random.Random(1))

    result = deliver_due_commands(uow, courier)

    assert result.outcomes["done"] == 3 and result.outcomes["throttled"] == 8
    assert "set-priority:G-1" in host.sent()


def test_a_command_leased_by_a_worker_that_died_is_sent_again_after_its_lease_with_the_same_key(
    uow, courier, host, clock
) -> None:
    tenant = install(uow)
    command = commands.add_tags("T-1", ["sla-breached"], "b1")
    queue(uow, tenant, command)
    with uow:  # a worker claims it, then dies before the host answers
        [claimed] = uow.outbox.claim(clock(), clock() + timedelta(seconds=60), 10)
        uow.commit()

    assert deliver_due_commands(uow, courier).claimed == 0  # still leased
    clock.advance(61)
    deliver_due_commands(uow, courier)

    assert host.sent() == [claimed.command.idempotency_key] == [command.idempotency_key]


def test_the_admin_sees_the_commands_by_status_the_pause_and_the_dead_letters(uow, courier, host, clock) -> None:
    tenant = install(uow)
    queue(uow, tenant, commands.set_priority("T-1", "urgent", "r"), commands.set_priority("T-2", "urgent", "r"),
          commands.set_priority("T-3", "urgent", "r"))
    host.answers["set-priority:T-2"] = [Delivery(Outcome.REFUSED, 422, "422 Unprocessable Entity")]
    host.answers["set-priority:T-3"] = [Delivery(Outcome.UNAUTHORIZED, 401, "401 Unauthorized")]
    deliver_due_commands(uow, courier)

    status = delivery_status(uow, tenant)

    assert status.commands == {"pending": 1, "done": 1, "gone": 0, "dead": 1}
    assert status.paused_at == START and status.paused_reason is not None
    assert [letter.idempotency_key for letter in status.dead_letters] == ["set-priority:T-2"]
    assert retry_dead_letters(uow, tenant, None, clock()) == 1
    assert delivery_status(uow, tenant).commands["dead"] == 0


@dataclass
class SlowHost(ScriptedHost):
    """Each call takes ``seconds`` of the test's clock."""

    clock: Clock | None = None
    seconds: float = 0.0

    def deliver(self, account: HostAccount, command: HostCommand) -> Delivery:
        assert self.clock is not None
        self.clock.advance(self.seconds)
        return super().deliver(account, command)


def test_a_round_that_runs_long_gives_back_its_unsent_commands_before_their_leases_run_out(uow, clock) -> None:
    tenant = install(uow)
    queue(uow, tenant, *(commands.set_priority(f"T-{number}", "urgent", "r") for number in range(5)))
    host = SlowHost(clock=clock, seconds=12.0)
    courier = Courier(host, BOX, clock, RateLimiter(1000, 1000, clock=lambda: 0.0), random.Random(3))

    result = deliver_due_commands(uow, courier)

    assert (result.outcomes["done"], result.outcomes["returned"]) == (3, 2)  # 36 s in: past half the lease
    assert deliver_due_commands(uow, courier).claimed == 2  # free at once, not in 60 s


def test_a_worker_whose_lease_ran_out_never_undoes_what_another_settled(uow, courier, clock) -> None:
    tenant = install(uow)
    queue(uow, tenant, commands.post_note("T-1", "late", "b1"))
    with uow:
        [first] = uow.outbox.claim(clock(), clock() + timedelta(seconds=60), 10)
        uow.commit()
    clock.advance(61)
    deliver_due_commands(uow, courier)  # a second worker delivers it
    with uow:  # the first worker's answer comes at last: a failure, too late to matter
        uow.outbox.finish(first.id, "dead", clock(), "read timeout after 10 s", attempts=12)
        uow.outbox.retry_later(first.id, clock(), 12, "read timeout after 10 s")
        uow.commit()

    assert statuses(uow) == {"post-note:T-1:b1": "done"}


def test_a_tenants_own_rate_replaces_the_workers_default_for_that_tenant_only(uow, host, clock) -> None:
    acme, globex = install(uow, "acme"), install(uow, "globex", "token-globex")
    lifecycle.set_request_rate(uow, "acme", 0.5)  # its host's plan: one call every two seconds
    for tenant, prefix in ((acme, "A"), (globex, "G")):
        queue(uow, tenant, *(commands.set_priority(f"{prefix}-{number}", "urgent", "r") for number in range(3)))
    courier = Courier(host, BOX, clock, RateLimiter(rate_per_second=1000, burst=2, clock=lambda: 0.0),
                      random.Random(1))

    result = deliver_due_commands(uow, courier)

    assert (result.outcomes["done"], result.outcomes["throttled"]) == (4, 2)  # each tenant's burst of 2
    waits = {row.command.ticket_id: row.next_attempt_at - START for row in uow.store.committed.outbox.values()
             if row.status == "pending"}
    assert waits == {"A-2": timedelta(seconds=2), "G-2": timedelta(milliseconds=1)}
    assert set(host.kinds) == {"reference"}

    lifecycle.set_request_rate(uow, "acme", None)  # back to the default, from the next round
    clock.advance(0.001)
    deliver_due_commands(uow, Courier(host, BOX, clock, RateLimiter(1000, 2, clock=lambda: 0.0), random.Random(1)))
    assert statuses(uow)["set-priority:G-2"] == "done" and statuses(uow)["set-priority:A-2"] == "pending"


@pytest.mark.parametrize(("lease_seconds", "sent"), [(20, 1), (60, 3), (300, 5)])
def test_claimed_commands_are_held_for_the_couriers_lease_and_given_back_past_half_of_it(
    uow, clock, lease_seconds: int, sent: int
) -> None:
    tenant = install(uow)
    queue(uow, tenant, *(commands.set_priority(f"T-{number}", "urgent", "r") for number in range(5)))
    leases: list[datetime | None] = []

    @dataclass
    class WatchedHost(SlowHost):
        def deliver(self, account: HostAccount, command: HostCommand) -> Delivery:
            leases.extend(row.leased_until for row in uow.store.committed.outbox.values()
                          if row.command.idempotency_key == command.idempotency_key)
            return super().deliver(account, command)

    courier = Courier(WatchedHost(clock=clock, seconds=12.0), BOX, clock, RateLimiter(1000, 1000, clock=lambda: 0.0),
                      random.Random(3), lease=timedelta(seconds=lease_seconds))

    result = deliver_due_commands(uow, courier)

    assert (result.outcomes["done"], result.outcomes["returned"]) == (sent, 5 - sent)
    assert leases == [START + timedelta(seconds=lease_seconds)] * sent
