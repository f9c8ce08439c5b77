"""``sla-plugin settings export|import``: one account's settings document to and from a file.

Export prints the document in force (as stored: every default written out); import saves a file as
a new version exactly as ``PUT /api/v1/settings`` does: validated whole, audited under an author,
and applied to open tickets unless ``--apply-to new_tickets``. ``-`` is standard output or input.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plugin.input_files import STDIN, InputFileError, read_json_file
from plugin.operator_commands import BAD_INPUT, FAILED, CommandRefused, fail, with_store

if TYPE_CHECKING:  # the store and the services are imported when a subcommand runs, not for --help
    from plugin.store.records import TenantRecord
    from plugin.store.unit_of_work import SqlUnitOfWork


class UnknownAccountError(CommandRefused):
    """No installed account has that id."""


def add_settings_commands(commands: Any, checked_setting: Any) -> None:
    """The ``settings`` command and its ``export`` and ``import`` subcommands."""
    settings = commands.add_parser("settings", help="export or import an account's settings document")
    actions = settings.add_subparsers(dest="settings_command", required=True)
    export = actions.add_parser("export", help="print the settings in force (the export document)",
                                description="Write an account's settings document in force, as JSON.")
    export.add_argument("--account", required=True, help="the account id the helpdesk installed the plugin with")
    export.add_argument("--output", "-o", type=Path, default=STDIN, help="file to write (default: - , stdout)")
    export.set_defaults(run=lambda args: _export(args, checked_setting))
    load = actions.add_parser("import", help="save a settings document as the account's new version",
                              description="Validate a settings document whole and save it as a new version, "
                                          "applied to open tickets unless --apply-to new_tickets.")
    load.add_argument("file", type=Path, help="the settings document (JSON); - reads standard input")
    load.add_argument("--account", required=True, help="the account id the helpdesk installed the plugin with")
    load.add_argument("--apply-to", choices=("open_tickets", "new_tickets"), default="open_tickets",
                      help="recompute the open tickets under the new settings (default), or new tickets only")
    load.add_argument("--author", default="sla-plugin settings import", help="who the audit trail names")
    load.add_argument("--if-version", type=int, default=None,
                      help="save only if the settings in force are at this version (as exported)")
    load.set_defaults(run=lambda args: _import(args, checked_setting))


def _export(args: argparse.Namespace, checked_setting: Any) -> int:
    from plugin.services import queries  # noqa: PLC0415

    def export(uow: SqlUnitOfWork) -> int:
        version, document = queries.settings_document(uow, _tenant(uow, args.account))
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        try:
            if args.output == STDIN:
                sys.stdout.write(text)
            else:
                args.output.write_text(text, encoding="utf-8")
        except OSError as error:
            return fail("settings export", f"{args.output}: cannot be written ({error.strerror})", BAD_INPUT)
        print(f"sla-plugin settings export: {args.account!r} is at version {version}", file=sys.stderr)
        return 0

    return with_store("settings export", checked_setting, export)


def _import(args: argparse.Namespace, checked_setting: Any) -> int:
    from plugin.services.settings_changes import (  # noqa: PLC0415
        SettingsChange,
        SettingsChanged,
        StaleSettings,
        replace_settings,
    )
    from plugin.settings.loading import SettingsError  # noqa: PLC0415

    try:
        document = read_json_file(args.file)
    except InputFileError as error:
        return fail("settings import", str(error), BAD_INPUT)
    name = "<stdin>" if args.file == STDIN else str(args.file)

    def save(uow: SqlUnitOfWork) -> int:
        tenant = _tenant(uow, args.account)
        change = SettingsChange(args.author, datetime.now(UTC), args.apply_to)
        try:
            version = replace_settings(uow, tenant, document, change, args.if_version)
        except SettingsError as error:
            return fail("settings import", "\n".join(f"{name}: {problem}" for problem in error.problems), BAD_INPUT)
        except (StaleSettings, SettingsChanged) as error:
            return fail("settings import", str(error), FAILED)
        print(f"sla-plugin settings import: {args.account!r} is now at version {version} "
              f"(applied to {args.apply_to.replace('_', ' ')})", file=sys.stderr)
        return 0

    return with_store("settings import", checked_setting, save)


def _tenant(uow: SqlUnitOfWork, account_id: str) -> TenantRecord:
    with uow:
        tenant = uow.tenants.by_account(account_id)
    if tenant is None:
        raise UnknownAccountError(f"no installed account has id {account_id!r}")
    return tenant
