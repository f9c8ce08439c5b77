"""Benchmark: a tenant's inbox figures (pending, failed, oldest pending) as its inbox grows.

Run from anywhere with the project's interpreter (``./dev bench-status`` does)::

    python bench/inbox_status.py            # 10,000 and 1,000,000 applied webhooks (a few minutes)
    python bench/inbox_status.py --quick    # 10,000 and 100,000 (a smoke run for CI)

``GET /api/v1/status`` and the worker's summaries (each tenant, every minute) read these figures
through the inbox repository's ``counts(tenant)``. The inbox keeps every webhook the tenant ever
sent (its webhook ids deduplicate redeliveries), so what matters is that the figures cost the same
whatever its length. On SQLite (a temporary folder) and PostgreSQL (a temporary database, when one
is reachable at 127.0.0.1:5432), a migrated database holds one tenant whose inbox has N applied
webhooks, 100 pending and 10 failed ones, written by one ``INSERT … SELECT``. Each size times
``counts`` and, as the baseline of the same run, the statement it replaced, which read every entry
of the tenant: ``--calls`` calls of each, alternating, median and max printed for every size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``plugin``, ``bench`` and ``tests`` importable
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.ingest import postgres_version  # noqa: E402
from bench.output import line, machine_header  # noqa: E402
from plugin.config import Config  # noqa: E402
from plugin.runtime import Runtime  # noqa: E402
from plugin.services.lifecycle import Installation, install  # noqa: E402
from plugin.store.migrate import upgrade  # noqa: E402
from plugin.store.records import InboxCounts  # noqa: E402
from plugin.store.tables import INBOX  # noqa: E402
from tests.support import new_encryption_key, new_webhook_secret, temporary_database  # noqa: E402

PENDING, FAILED = 100, 10
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10,000 and 100,000 webhooks")
    parser.add_argument("--sizes", help="applied webhooks in the inbox, ascending, comma-separated "
                                        "(default 10000,1000000; 10000,100000 with --quick)")
    parser.add_argument("--calls", type=int, help="calls timed of each statement per size (default 200; 20)")
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both",
                        help="default both (PostgreSQL skipped when unreachable)")
    args = parser.parse_args(argv)
    sizes = args.sizes or ("10000,100000" if args.quick else "10000,1000000")
    try:
        args.sizes = sorted(int(size) for size in sizes.split(","))
    except ValueError:
        parser.error(f"--sizes: {sizes!r} is not a list of whole numbers")
    if args.sizes[0] < 1:
        parser.error("--sizes: each size must be at least 1")
    args.calls = args.calls or (20 if args.quick else 200)
    if args.calls < 1:
        parser.error("--calls: at least 1")
    return args


class InboxDatabase:
    """A migrated database with one installed tenant whose inbox is grown on demand."""

    def __init__(self, database_url: str) -> None:
        upgrade(database_url)
        config = Config(database_url=database_url, app_id="sla-plugin", app_secret=new_webhook_secret(),
                        encryption_key=new_encryption_key())
        self.runtime = Runtime.build(config)
        self.dialect = sa.make_url(database_url).get_backend_name()
        install(self.runtime.uow(), self.runtime.box,
                Installation("acme", "http://127.0.0.1:9", "token", "whsec_x", "UTC", "http://127.0.0.1:9"), NOW)
        with self.runtime.uow() as uow:
            tenant = uow.tenants.by_account("acme")
        assert tenant is not None
        self.tenant_id = tenant.id
        self.applied = 0
        self._add("pending", 1, PENDING)
        self._add("failed", 1, FAILED)

    def grow(self, applied: int) -> float:
        """Applied webhooks up to ``applied``; seconds taken."""
        began = perf_counter()
        self._add("processed", self.applied + 1, applied)
        self.applied = applied
        if self.dialect == "postgresql":
            with self.runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM ANALYZE webhook_inbox"))
        return perf_counter() - began

    def _add(self, status: str, first: int, last: int) -> None:
        columns = "tenant_id, webhook_id, status, event_type, ticket_id, payload, received_at, processed_at"
        when = NOW.strftime("%Y-%m-%d %H:%M:%S.%f") if self.dialect == "sqlite" else NOW
        processed = "NULL" if status == "pending" else ":now"
        payload = """'{"id": "e", "type": "ticket.updated"}'"""
        if self.dialect == "sqlite":
            statement = (f"WITH RECURSIVE n(k) AS (SELECT :first UNION ALL SELECT k + 1 FROM n WHERE k < :last) "
                         f"INSERT INTO webhook_inbox ({columns}) SELECT :tenant, :status || '-' || k, :status, "
                         f"'ticket.updated', 'T-' || (k % 5000), {payload}, :now, {processed} FROM n")
        else:
            statement = (f"INSERT INTO webhook_inbox ({columns}) SELECT :tenant, :status || '-' || k, :status, "
                         f"'ticket.updated', 'T-' || (k % 5000), {payload}::jsonb, :now, {processed} "
                         "FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS k")
        with self.runtime.engine.begin() as connection:
            connection.execute(sa.text(statement), {"tenant": self.tenant_id, "status": status, "first": first,
                                                    "last": last, "now": when})

    def counts(self) -> InboxCounts:
        """What the status page and the summaries read."""
        with self.runtime.uow() as uow:
            return uow.inbox.counts(self.tenant_id)

    def former_counts(self) -> InboxCounts:
        """The statement ``counts`` replaced: the same figures, over every entry of the tenant."""
        pending = sa.func.sum(sa.case((INBOX.c.status == "pending", 1), else_=0))
        failed = sa.func.sum(sa.case((INBOX.c.status == "failed", 1), else_=0))
        oldest = sa.type_coerce(sa.func.min(sa.case((INBOX.c.status == "pending", INBOX.c.received_at))),
                                INBOX.c.received_at.type)
        with self.runtime.engine.connect() as connection:
            row = connection.execute(sa.select(pending, failed, oldest).where(INBOX.c.tenant_id == self.tenant_id)
                                     ).one()
        return InboxCounts(row[0] or 0, row[1] or 0, row[2])


def timed(calls: int, functions: dict[str, Callable[[], InboxCounts]]) -> dict[str, list[float]]:
    """Each function ``calls`` times, in turn; milliseconds of each call. Every answer must agree."""
    found: dict[str, list[float]] = {name: [] for name in functions}
    answers: set[InboxCounts] = set()
    for _ in range(calls):
        for name, function in functions.items():
            began = perf_counter()
            answers.add(function())
            found[name].append((perf_counter() - began) * 1000)
    if len(answers) != 1:
        raise RuntimeError(f"the statements disagree: {sorted(map(str, answers))}")
    expected = InboxCounts(PENDING, FAILED, NOW)
    if answers != {expected}:
        raise RuntimeError(f"wrong figures: {answers.pop()} instead of {expected}")
    return found


def store_bench(store: str, args: argparse.Namespace) -> list[tuple[int, float, float]]:
    """Per size: the median milliseconds of ``counts`` and of the former statement."""
    medians: list[tuple[int, float, float]] = []
    with temporary_database(store, "sla-status-db-") as url:
        inbox = InboxDatabase(url)
        try:
            for size in args.sizes:
                line(f"{store} {size:,} applied: built in", f"{inbox.grow(size):.1f} s")
                times = timed(args.calls, {"counts": inbox.counts, "former": inbox.former_counts})
                for name, label in (("counts", "counts(tenant)"), ("former", "former statement")):
                    line(f"{store} {size:,} applied: {label}",
                         f"median {statistics.median(times[name]):.2f} ms, max {max(times[name]):.2f} ms "
                         f"({args.calls} calls)")
                medians.append((size, statistics.median(times["counts"]), statistics.median(times["former"])))
        finally:
            inbox.runtime.engine.dispose()
    return medians


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    machine_header(f"SLA plugin inbox figures benchmark ({'quick' if args.quick else 'full'})")
    postgres = None if args.store == "sqlite" else postgres_version()
    line("postgresql", postgres or "not reachable: skipped")
    line("inbox", f"one tenant, {PENDING} pending, {FAILED} failed, and {', '.join(f'{s:,}' for s in args.sizes)} "
                  "applied webhooks")
    stores = [store for store in ("sqlite", "postgresql")
              if args.store in (store, "both") and (store == "sqlite" or postgres is not None)]
    results: dict[str, list[tuple[int, float, float]]] = {}
    for store in stores:
        results[store] = store_bench(store, args)
    print("Summary (medians)")
    for store, medians in results.items():
        first = medians[0][1]
        for size, counts, former in medians:
            line(f"{store} {size:,} applied",
                 f"counts {counts:.2f} ms ({counts / first:.1f}x the smallest), former {former:.2f} ms "
                 f"({former / counts:.0f}x counts)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
