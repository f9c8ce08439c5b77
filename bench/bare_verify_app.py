"""The baseline of ``bench/ingest.py``: a bare Flask app that only verifies Standard Webhooks signatures.

It answers ``POST /webhooks/<account_id>`` with 200 when the body's signature verifies with the
secret in ``BENCH_WEBHOOK_SECRET`` (401 otherwise), exactly as the plugin's verification does it
(the ``standardwebhooks`` package, body not parsed), and nothing else: no database, no JSON
parsing, no SLA work. ``GET /readyz`` answers 200. Served by gunicorn with the options of
``plugin/serve.py`` (``gunicorn_options``)::

    BENCH_WEBHOOK_SECRET=whsec_... python bench/bare_verify_app.py --bind 127.0.0.1:8001 --workers 2
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from flask import Flask, Response, jsonify, request
from gunicorn.app.base import BaseApplication
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from plugin.serve import gunicorn_options

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def create_app(secret: str | None = None) -> Flask:
    verifier = Webhook(secret or os.environ["BENCH_WEBHOOK_SECRET"])
    app = Flask("bare_verify_app")

    @app.post("/webhooks/<account_id>")
    def receive(account_id: str) -> tuple[Response, int]:
        body = request.get_data(cache=False)
        headers = {name: request.headers.get(name, "") for name in SIGNATURE_HEADERS}
        try:
            verifier.verify(body, headers, json_parse=False)
        except (WebhookVerificationError, ValueError):
            return jsonify({"status": "invalid_signature"}), 401
        return jsonify({"status": "ok"}), 200

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        return jsonify({"status": "ready"}), 200

    return app


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1:8001")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if not os.environ.get("BENCH_WEBHOOK_SECRET", "").startswith("whsec_"):
        parser.error("set BENCH_WEBHOOK_SECRET to a Standard Webhooks secret (whsec_...)")
    _Gunicorn(gunicorn_options(args.bind, args.workers, args.threads)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
