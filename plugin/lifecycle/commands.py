"""``sla-plugin tenants list|rate``: the operator's view of the installed accounts, and their hosts' rates.

``list`` prints each account with its host kind, its request rate and whether delivery to its host
is paused (and why). ``rate ACCOUNT_ID RPS`` sets how many calls a second each worker may make to
the account's host (its plan's limit), ``rate ACCOUNT_ID --default`` goes back to
``SLA_HOST_REQUESTS_PER_SECOND``; workers apply it from their next delivery round. Both need only
``SLA_DATABASE_URL``. Bad input (a rate that is not a positive number, an unknown account) is one
line on stderr and exit code 2; a database that cannot be used, exit code 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC
from typing import TYPE_CHECKING, Any

from plugin.config import requests_per_second
from plugin.operator_commands import BAD_INPUT, fail, with_store

if TYPE_CHECKING:  # the store and the services are imported when a subcommand runs, not for --help
    from plugin.store.records import TenantOverview
    from plugin.store.unit_of_work import SqlUnitOfWork

REASON_CHARS = 120  # of a pause's reason, in the list


def add_tenant_commands(commands: Any, checked_setting: Callable[[Callable[[], Any]], Any]) -> None:
    """The ``tenants`` command and its ``list`` and ``rate`` subcommands."""
    tenants = commands.add_parser("tenants", help="list the installed accounts; set an account's host request rate")
    actions = tenants.add_subparsers(dest="tenants_command", required=True)
    listing = actions.add_parser("list", help="every account: host kind, request rate, delivery paused or not",
                                 description="Print every installed account: its host kind, the rate at which "
                                             "the plugin calls its host, and whether delivery is paused (and why).")
    listing.set_defaults(run=lambda args: _list(checked_setting))
    rate = actions.add_parser("rate", help="set how many calls a second each worker may make to an account's host",
                              description="Set the rate (requests per second, per worker) at which the plugin calls "
                                          "an account's host, e.g. its plan's limit; --default goes back to "
                                          "SLA_HOST_REQUESTS_PER_SECOND. Workers apply it from their next round.")
    rate.add_argument("account_id", metavar="ACCOUNT_ID", help="the account id the helpdesk installed the plugin with")
    rate.add_argument("rps", metavar="RPS", nargs="?", help="requests per second, a number > 0 (0.8 is 48 a minute)")
    rate.add_argument("--default", action="store_true", help="clear the account's own rate: the plugin's default")
    rate.set_defaults(run=lambda args: _rate(args, checked_setting))


def _list(checked_setting: Callable[[Callable[[], Any]], Any]) -> int:
    from plugin.services.lifecycle import tenants_overview  # noqa: PLC0415

    def show(uow: SqlUnitOfWork) -> int:
        rows = [_row(tenant) for tenant in tenants_overview(uow)]
        header = ("account_id", "host_kind", "requests_per_second", "delivery")
        widths = [max(len(cells[column]) for cells in [header, *rows]) for column in range(3)]
        for cells in [header, *rows]:
            print("  ".join([*(cell.ljust(width) for cell, width in zip(cells, widths, strict=False)), cells[3]]))
        return 0

    return with_store("tenants list", checked_setting, show)


def _row(tenant: TenantOverview) -> tuple[str, str, str, str]:
    rate = "default" if tenant.requests_per_second is None else f"{tenant.requests_per_second:g}"
    if tenant.paused_at is None:
        delivery = "active"
    else:
        # The host's own words: no control character of theirs reaches the operator's terminal.
        reason = " ".join("".join(c if c.isprintable() else " " for c in tenant.paused_reason or "").split())
        reason = reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 1] + "…"
        delivery = f"paused since {tenant.paused_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}: {reason}"
    return tenant.account_id, tenant.host_kind, rate, delivery


def _rate(args: argparse.Namespace, checked_setting: Callable[[Callable[[], Any]], Any]) -> int:
    from plugin.services.lifecycle import AccountNotInstalled, set_request_rate  # noqa: PLC0415

    if args.default == (args.rps is not None):
        return fail("tenants rate", "give either RPS (requests per second) or --default, not both or neither",
                    BAD_INPUT)
    rate: float | None = None
    if args.rps is not None:
        try:
            rate = requests_per_second(args.rps.strip())
        except ValueError as error:
            return fail("tenants rate", f"RPS: {error}", BAD_INPUT)

    def save(uow: SqlUnitOfWork) -> int:
        try:
            set_request_rate(uow, args.account_id, rate)
        except AccountNotInstalled as error:
            return fail("tenants rate", str(error), BAD_INPUT)
        told = ("the plugin's default (SLA_HOST_REQUESTS_PER_SECOND)" if rate is None
                else f"{rate:g} requests per second")
        print(f"sla-plugin tenants rate: {args.account_id!r} is called at {told} by each worker, "
              "from its next delivery round", file=sys.stderr)
        return 0

    return with_store("tenants rate", checked_setting, save)
