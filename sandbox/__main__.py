"""``python -m sandbox serve`` runs the sandbox helpdesk; ``python -m sandbox play`` plays a working day on one;
``python -m sandbox demo`` (what ``sla-plugin demo`` runs) starts the sandbox, the plugin and its worker and
plays the day on their shared accelerated clock (``demo.py``).

    python -m sandbox serve --port 8090 --plugin-url http://127.0.0.1:8000 --app-secret whsec_...
    python -m sandbox play --sandbox http://127.0.0.1:8090 --account demo --seed 1 --rate 60
    python -m sandbox demo [--rate 480] [--seed 1] [--keep-running] [--no-live]

``serve`` is werkzeug's threaded development server: the sandbox is a test double, not a
production component. The app secret and id default to ``SLA_APP_SECRET`` and ``SLA_APP_ID``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from datetime import datetime

import requests
from werkzeug.serving import make_server

from .app import create_sandbox_app
from .client import SandboxClient, SandboxError
from .demo import add_demo_options, run_demo
from .plugin_link import PluginLink
from .scenario import DEFAULT_START, Step, play, working_day


def main(argv: list[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    return int(options.run(options))


def serve(options: argparse.Namespace) -> int:
    plugin = None
    if options.plugin_url:
        if not options.app_secret:
            print("error: --plugin-url needs --app-secret (or SLA_APP_SECRET)", file=sys.stderr)
            return 2
        plugin = PluginLink(options.plugin_url.rstrip("/"), options.app_secret, options.app_id)
    base_url = options.public_url or f"http://{options.host}:{options.port}"
    app = create_sandbox_app(base_url, plugin)
    if not options.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(options.host, options.port, app, threaded=True)
    print(f"sandbox helpdesk at {base_url} (plugin: {plugin.url if plugin else 'none'})", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


def play_day(options: argparse.Namespace) -> int:
    client = SandboxClient(options.sandbox)
    scenario = working_day(options.seed, options.start)
    try:
        if options.install:
            installed = client.install(options.account, scenario.settings["timezone"])
            if installed["plugin"] is not None:
                client.save_settings(options.account, scenario.settings)
            print(f"installed {options.account!r}" + (" and saved the scenario's settings on the plugin"
                                                       if installed["plugin"] else " (the sandbox has no plugin)"),
                  file=sys.stderr)

        def show(step: Step) -> None:
            print(json.dumps({"minute": step.minute, "action": step.action, "ticket": step.ticket_id,
                              "story": step.story}), flush=True)

        play(scenario, client, options.account, options.rate or None, on_step=show)
    except SandboxError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    except requests.ConnectionError:
        print(f"error: cannot connect to the sandbox at {options.sandbox} (python -m sandbox serve ...)",
              file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="The sandbox helpdesk.")
    commands = parser.add_subparsers(required=True)
    run = commands.add_parser("serve", help="run the sandbox helpdesk")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8090)
    run.add_argument("--public-url", help="where the plugin reaches the sandbox (default http://HOST:PORT)")
    run.add_argument("--plugin-url", help="the plugin's base URL; without it webhooks are recorded, not sent")
    run.add_argument("--app-secret", default=os.environ.get("SLA_APP_SECRET"))
    run.add_argument("--app-id", default=os.environ.get("SLA_APP_ID") or "sla-plugin")
    run.add_argument("--verbose", action="store_true", help="log every request")
    run.set_defaults(run=serve)
    day = commands.add_parser("play", help="play a working day on a running sandbox")
    day.add_argument("--sandbox", default="http://127.0.0.1:8090")
    day.add_argument("--account", default="sandbox-demo")
    day.add_argument("--seed", type=int, default=1)
    day.add_argument("--start", type=_instant, default=DEFAULT_START,
                     help="the day's first instant, with an offset")
    day.add_argument("--rate", type=float, default=0.0,
                     help="play this many times faster than real time (default 0: all at once)")
    day.add_argument("--no-install", dest="install", action="store_false",
                     help="the account is installed already, with its settings")
    day.set_defaults(run=play_day)
    demo = commands.add_parser("demo", help="the live demo: the sandbox, the plugin and its worker on SQLite, and "
                                            "a working day in about two minutes",
                               description="Start the sandbox, sla-plugin serve and sla-plugin worker (new keys, a "
                                           "new SQLite database), play the working day on their shared accelerated "
                                           "clock, show it live, and end with the daily summary the host received.")
    add_demo_options(demo)
    demo.set_defaults(run=run_demo)
    return parser


def _instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant") from None
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs an offset, e.g. 2026-03-02T06:00:00Z")
    return instant


if __name__ == "__main__":
    raise SystemExit(main())
