"""``sla-plugin``: the command line entry point."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from itertools import chain
from pathlib import Path
from typing import TypeVar

from plugin.config import (
    DEFAULT_DATABASE_URL,
    Config,
    ConfigError,
    bind_setting,
    database_url_setting,
    redacted_url,
    setting,
    whole_number,
)
from plugin.host.adapter import DEFAULT_HOST_KIND
from plugin.host.registry import REGISTRY
from plugin.input_files import InputFileError
from plugin.lifecycle.commands import add_tenant_commands
from plugin.report_formats import write_simulation
from plugin.settings_commands import add_settings_commands
from plugin.simulate import read_settings_file, replay_events_file

USAGE_ERROR = 2
DEFAULT_BIND = "127.0.0.1:8000"
T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "demo":
        args.demo_args = extra  # the demo's own options, read by `python -m sandbox demo`
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        parser.print_help()
        return USAGE_ERROR
    return int(args.run(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sla-plugin", description="SLA plugin for helpdesks")
    commands = parser.add_subparsers(dest="command")
    sim = commands.add_parser(
        "simulate",
        help="replay webhook events against settings and print every target and the reports",
        description="Replay webhook bodies (one JSON object per line, any order) through the SLA engine.",
    )
    sim.add_argument("--config", required=True, type=Path, help="settings document (JSON, export format)")
    sim.add_argument("--events", required=True, type=Path, help="webhook bodies, one per line (JSONL)")
    sim.add_argument("--now", type=_instant,
                     help="evaluate as of this ISO 8601 instant, or the start of this day (YYYY-MM-DD, UTC) "
                          "(default: now)")
    sim.add_argument("--format", choices=("json", "csv", "table"), default="json")
    sim.add_argument("--host-kind", choices=REGISTRY.names(), default=DEFAULT_HOST_KIND,
                     help="whose webhook bodies the events file holds (default: %(default)s, the reference protocol)")
    sim.set_defaults(run=_simulate)

    serve = commands.add_parser("serve", help="run the web app under gunicorn (upgrades the schema first)")
    serve.add_argument("--bind", type=_flag(bind_setting), help="host:port (default: SLA_BIND, else 127.0.0.1:8000)")
    serve.add_argument("--workers", type=_flag(whole_number(1)), help="web workers (default: SLA_WORKERS, else 2)")
    serve.add_argument("--threads", type=_flag(whole_number(1)),
                       help="threads per worker, more than 1: gunicorn's threaded workers "
                            "(default: SLA_THREADS, else 1)")
    serve.add_argument("--no-upgrade", action="store_true", help="do not apply pending migrations first")
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="apply the webhook inbox (the inbox processor); stop with SIGTERM",
                                 description="Apply stored webhook events in batches until SIGTERM or SIGINT.")
    worker.add_argument("--batch-size", type=_positive, default=None,
                        help="events per batch, one transaction each (default: SLA_BATCH_SIZE, else 500 on "
                             "PostgreSQL and 200 on SQLite, whose one writer holds the webhooks back meanwhile)")
    worker.add_argument("--poll-seconds", type=float, default=0.1, help="how often an empty inbox is looked at")
    worker.add_argument("--exit-when-idle", action="store_true", help="drain the inbox, then exit")
    worker.add_argument("--no-upgrade", action="store_true", help="do not apply pending migrations first")
    worker.set_defaults(run=_worker)

    run = commands.add_parser("run", help="serve and worker together, for one machine (stop with SIGTERM)")
    run.add_argument("--bind", type=_flag(bind_setting), help="host:port (default: SLA_BIND, else 127.0.0.1:8000)")
    run.add_argument("--workers", type=_flag(whole_number(1)), help="web workers (default: SLA_WORKERS, else 2)")
    run.set_defaults(run=_run_both)

    demo = commands.add_parser("demo", add_help=False,
                               help="the live demo: the sandbox helpdesk, serve and worker on SQLite, a working day "
                                    "in about two minutes (options: sla-plugin demo --help)")
    demo.set_defaults(run=_demo)

    keys = commands.add_parser("keys", help="print a new app secret and encryption key, as shell exports",
                               description="Print a new SLA_APP_SECRET (a Standard Webhooks secret, for the "
                                           "marketplace app) and SLA_ENCRYPTION_KEY (a Fernet key, for secrets at "
                                           "rest), e.g. eval \"$(sla-plugin keys)\".")
    keys.set_defaults(run=_keys)

    add_settings_commands(commands, _checked)
    add_tenant_commands(commands, _checked)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply pending migrations (Alembic)")
    upgrade.add_argument("--revision", default="head")
    upgrade.set_defaults(run=_db_upgrade)
    return parser


def _config() -> Config:
    return _checked(Config.from_env)


def _serve(args: argparse.Namespace) -> int:
    from plugin.serve import serve  # noqa: PLC0415  (gunicorn and Flask only for this command)

    config = _config()
    bind, workers = _checked(lambda: (args.bind or setting(os.environ, "SLA_BIND", bind_setting, DEFAULT_BIND),
                                      args.workers or setting(os.environ, "SLA_WORKERS", whole_number(1), "2")))
    threads = _checked(lambda: args.threads or setting(os.environ, "SLA_THREADS", whole_number(1), "1"))
    _prepare_store(config, upgrade_schema=not args.no_upgrade)
    serve(bind, workers, threads)
    return 0


def _worker(args: argparse.Namespace) -> int:
    from plugin.worker import MetricsUnavailable, WorkerOptions, run_worker  # noqa: PLC0415

    config = _config()
    _prepare_store(config, upgrade_schema=not args.no_upgrade)
    batch_size = args.batch_size or config.batch_size
    try:
        run_worker(config, WorkerOptions(batch_size, args.poll_seconds, args.exit_when_idle))
    except MetricsUnavailable as error:
        print(f"sla-plugin: {error}", file=sys.stderr)
        return 1
    return 0


def _run_both(args: argparse.Namespace) -> int:
    from plugin.supervisor import run_together  # noqa: PLC0415

    config = _config()  # a bad setting is reported once, here, not by both children
    bind, workers = _checked(lambda: (args.bind or setting(os.environ, "SLA_BIND", bind_setting, DEFAULT_BIND),
                                      args.workers or setting(os.environ, "SLA_WORKERS", whole_number(1), "2")))
    _checked(lambda: setting(os.environ, "SLA_THREADS", whole_number(1), "1"))  # serve's, read by the child
    _prepare_store(config, upgrade_schema=True)
    return run_together(bind, workers)


def _demo(args: argparse.Namespace) -> int:
    """Hand over to the sandbox's demo (``python -m sandbox demo``), which the plugin never imports."""
    import importlib.util  # noqa: PLC0415

    if importlib.util.find_spec("sandbox") is None:
        print("sla-plugin demo: the sandbox package is not installed; run the demo from the project's clone "
              "(./dev demo), which has it", file=sys.stderr)
        return 1
    os.execv(sys.executable, [sys.executable, "-m", "sandbox", "demo", *args.demo_args])
    return 1  # not reached: execv replaces this process


def _keys(_args: argparse.Namespace) -> int:
    import base64  # noqa: PLC0415
    import secrets  # noqa: PLC0415

    from cryptography.fernet import Fernet  # noqa: PLC0415

    print(f"export SLA_APP_SECRET=whsec_{base64.b64encode(secrets.token_bytes(32)).decode()}")
    print(f"export SLA_ENCRYPTION_KEY={Fernet.generate_key().decode()}")
    return 0


def _prepare_store(config: Config, upgrade_schema: bool) -> None:
    """Schema upgraded and stored secrets readable, or one line and a non-zero exit."""
    from plugin.startup import StoreUnavailable, prepare_store  # noqa: PLC0415

    try:
        _checked(lambda: prepare_store(config, upgrade_schema))
    except StoreUnavailable as error:
        print(f"sla-plugin: {error}", file=sys.stderr)
        raise SystemExit(1) from None


def _checked(read: Callable[[], T]) -> T:
    """A setting read from the environment: a bad one is a one-line message and exit code 2."""
    try:
        return read()
    except ConfigError as error:
        print(f"sla-plugin: {error}", file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None


def _flag(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An option's value checked like its environment variable (argparse answers a bad one)."""

    def checked(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return checked


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _db_upgrade(args: argparse.Namespace) -> int:
    from alembic.util.exc import CommandError  # noqa: PLC0415
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from plugin.store.migrate import upgrade  # noqa: PLC0415

    url = _checked(lambda: setting(os.environ, "SLA_DATABASE_URL", database_url_setting, DEFAULT_DATABASE_URL))
    try:
        upgrade(url, args.revision)
    except (SQLAlchemyError, CommandError) as error:
        print(f"sla-plugin db upgrade: {redacted_url(url)}: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    print(f"sla-plugin db upgrade: {redacted_url(url)} is at {args.revision}")
    return 0


def _instant(text: str) -> datetime:
    if len(text) == 10:  # a plain date: its first instant, in UTC (the simulator has no tenant zone)
        try:
            return datetime.combine(date.fromisoformat(text), time(0), UTC)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a date, e.g. 2026-03-02") from None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a time zone, e.g. 2026-03-02T12:00:00Z")
    return value.astimezone(UTC)


def _simulate(args: argparse.Namespace) -> int:
    now = args.now or datetime.now(UTC)  # the entry point is where the wall clock is read
    try:
        settings = read_settings_file(args.config)
        tickets = replay_events_file(settings, args.events, now, REGISTRY.get(args.host_kind).parse_event)
        first = next(tickets, None)  # the whole file is checked before anything is printed
    except InputFileError as error:
        print(f"sla-plugin simulate: {error}", file=sys.stderr)
        return USAGE_ERROR
    write_simulation(chain([first], tickets) if first else (), settings.timezone, args.format, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
