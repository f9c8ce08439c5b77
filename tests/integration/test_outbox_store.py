"""The outbox on both stores: claiming (order per ticket, urgency, leases, paused tenants), settling,
dead letters; and two workers claiming at once on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from plugin.host import commands
from plugin.store.db import create_db_engine
from plugin.store.migrate import upgrade
from plugin.store.records import InstallValues
from plugin.store.repositories.settings_versions import ParsedSettings
from plugin.store.unit_of_work import SqlUnitOfWork
from tests.support import temporary_postgres_database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE = NOW + timedelta(seconds=60)


def install(uow: SqlUnitOfWork, account_id: str) -> int:
    with uow:
        tenant, _created = uow.tenants.install(InstallValues(account_id, "http://host.test", b"token", b"secret",
                                                             "UTC", "https://host.test"), NOW)
        uow.commit()
    return tenant.id


def claim(uow: SqlUnitOfWork, at: datetime = NOW, limit: int = 100) -> list[str]:
    with uow:
        leased = uow.outbox.claim(at, at + timedelta(seconds=60), limit)
        uow.commit()
    return [entry.command.idempotency_key for entry in leased]


def test_only_the_oldest_pending_command_of_a_ticket_is_claimed_and_urgent_ones_first(uow) -> None:
    acme = install(uow, "acme")
    with uow:
        uow.outbox.add(acme, [commands.set_priority("T-1", "urgent", "r"), commands.set_priority("T-2", "high", "r")],
                       NOW)
        uow.outbox.add(acme, [commands.add_tags("T-1", ["sla-breached"], "b"), commands.add_tags("T-3", ["x"], "b")],
                       NOW)
        uow.outbox.add(acme, [commands.post_report("Daily", "daily", NOW, NOW + timedelta(days=1), "…", {})], NOW)
        uow.commit()

    assert claim(uow) == ["add-tags:T-3:b:x", "set-priority:T-1", "set-priority:T-2",
                          "post-report:daily:2026-03-02T09:00:00Z"]


def test_a_leased_command_is_not_claimed_again_until_its_lease_ends(uow) -> None:
    acme = install(uow, "acme")
    with uow:
        uow.outbox.add(acme, [commands.set_priority("T-1", "urgent", "r")], NOW)
        uow.commit()

    assert claim(uow) == ["set-priority:T-1"]
    assert claim(uow, NOW + timedelta(seconds=30)) == []
    assert claim(uow, NOW + timedelta(seconds=61)) == ["set-priority:T-1"]


def test_settled_commands_leave_the_queue_and_the_next_of_the_ticket_comes_up(uow) -> None:
    acme = install(uow, "acme")
    with uow:
        uow.outbox.add(acme, [commands.add_tags("T-1", ["sla-at-risk"], "1")], NOW)
        uow.outbox.add(acme, [commands.remove_tag("T-1", "sla-at-risk", "2")], NOW)
        [first] = uow.outbox.claim(NOW, LEASE, 10)
        uow.outbox.finish(first.id, "done", NOW, attempts=1)
        uow.commit()

    assert claim(uow) == ["remove-tag:T-1:2:sla-at-risk"]


def test_a_retried_command_waits_for_its_next_attempt(uow) -> None:
    acme = install(uow, "acme")
    with uow:
        uow.outbox.add(acme, [commands.set_priority("T-1", "urgent", "r")], NOW)
        [entry] = uow.outbox.claim(NOW, LEASE, 10)
        uow.outbox.retry_later(entry.id, NOW + timedelta(seconds=10), 1, "503 Service Unavailable")
        uow.commit()

    assert claim(uow, NOW + timedelta(seconds=9)) == []
    with uow:
        [again] = uow.outbox.claim(NOW + timedelta(seconds=10), LEASE + timedelta(seconds=10), 10)
    assert again.attempts == 1


def test_a_paused_tenants_commands_wait_and_a_reinstall_resumes_them(uow) -> None:
    acme, globex = install(uow, "acme"), install(uow, "globex")
    with uow:
        uow.outbox.add(acme, [commands.set_priority("A-1", "urgent", "r")], NOW)
        uow.outbox.add(globex, [commands.set_priority("G-1", "urgent", "r")], NOW)
        uow.tenants.pause_delivery(acme, "the host refused the token (401 Unauthorized)", NOW)
        uow.commit()

    assert claim(uow) == ["set-priority:G-1"]
    with uow:
        endpoint = uow.tenants.host_endpoint(acme)
    assert endpoint is not None and endpoint.paused_reason == "the host refused the token (401 Unauthorized)"
    install(uow, "acme")
    assert claim(uow, NOW + timedelta(seconds=61)) == ["set-priority:A-1", "set-priority:G-1"]  # G-1's lease ran out


def test_dead_letters_are_listed_per_tenant_and_can_be_sent_again(uow) -> None:
    acme, globex = install(uow, "acme"), install(uow, "globex")
    with uow:
        uow.outbox.add(acme, [commands.post_note("T-1", "late", "b")], NOW)
        uow.outbox.add(globex, [commands.post_note("G-1", "late", "b")], NOW)
        for entry in uow.outbox.claim(NOW, LEASE, 10):
            uow.outbox.finish(entry.id, "dead", NOW, "422 Unprocessable Entity", attempts=1)
        uow.commit()
    with uow:
        [dead] = uow.outbox.dead_letters(acme)
        assert (dead.ticket_id, dead.kind, dead.last_error, dead.attempts) == ("T-1", "post_note",
                                                                               "422 Unprocessable Entity", 1)
        assert uow.outbox.revive(acme, [dead.id + 1000], NOW) == 0  # not acme's, or no such command
        assert uow.outbox.revive(acme, None, NOW) == 1
        assert uow.outbox.counts_of_tenant(globex) == {"dead": 1}
        uow.commit()
    assert claim(uow) == ["post-note:T-1:b"]


def test_two_workers_claiming_at_once_on_postgresql_never_claim_one_command_twice() -> None:
    """SQLite admits one writer at a time, so its claims cannot overlap; PostgreSQL's can."""
    with temporary_postgres_database() as url:
        upgrade(url)
        claimed = _claim_from_two_threads(url)

    assert sorted(claimed[0] + claimed[1]) == sorted(f"set-priority:T-{n}" for n in range(400))
    assert claimed[0] and claimed[1]


def _claim_from_two_threads(url: str) -> list[list[str]]:
    engines = [create_db_engine(url) for _ in range(2)]
    try:
        setup = SqlUnitOfWork(engines[0], ParsedSettings())
        acme = install(setup, "acme")
        with setup:
            setup.outbox.add(acme, [commands.set_priority(f"T-{n}", "urgent", "r") for n in range(400)], NOW)
            setup.commit()
        claimed: list[list[str]] = [[], []]
        start = threading.Barrier(2)

        def work(index: int) -> None:
            uow = SqlUnitOfWork(engines[index], ParsedSettings())
            start.wait()
            while keys := claim(uow, limit=7):
                claimed[index] += keys

        threads = [threading.Thread(target=work, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for engine in engines:
            engine.dispose()
    return claimed


def test_a_settled_command_stays_as_the_first_settlement_left_it(uow) -> None:
    acme = install(uow, "acme")
    with uow:
        uow.outbox.add(acme, [commands.post_note("T-1", "late", "b")], NOW)
        [entry] = uow.outbox.claim(NOW, LEASE, 10)
        uow.outbox.finish(entry.id, "done", NOW, attempts=1)
        uow.outbox.finish(entry.id, "dead", NOW, "read timeout after 10 s", attempts=12)  # a late, stale answer
        uow.outbox.retry_later(entry.id, NOW, 12, "read timeout after 10 s")
        assert uow.outbox.counts_of_tenant(acme) == {"done": 1}
