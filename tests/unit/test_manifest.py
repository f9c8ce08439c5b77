"""manifest.json describes the app the code actually is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.exceptions import HTTPException

import plugin
from plugin.app import create_app
from plugin.config import Config
from plugin.domain.events import EVENT_TYPES
from tests.support import new_encryption_key, new_webhook_secret

MANIFEST = json.loads((Path(__file__).parents[2] / "manifest.json").read_text())


def manifest_urls() -> list[tuple[str, str, str]]:
    """(where in the manifest, method, path) of every URL the host calls; placeholders filled in."""
    urls = [("lifecycle.install", "POST", MANIFEST["lifecycle"]["install"]),
            ("lifecycle.uninstall", "POST", MANIFEST["lifecycle"]["uninstall"]),
            ("webhooks.url", "POST", MANIFEST["webhooks"]["url"])]
    urls += [(f"locations.{name}.url", "GET", location["url"])
             for name, location in MANIFEST.get("locations", {}).items()]
    return [(where, method, path.replace("{account_id}", "acme")) for where, method, path in urls]


def test_manifest_version_is_the_package_version() -> None:
    assert MANIFEST["version"] == plugin.__version__


def test_manifest_subscribes_to_exactly_the_events_the_plugin_parses() -> None:
    assert tuple(MANIFEST["webhooks"]["events"]) == EVENT_TYPES


@pytest.mark.parametrize(("where", "method", "path"), manifest_urls(), ids=[url[0] for url in manifest_urls()])
def test_every_url_the_manifest_names_is_a_route_of_the_app(where: str, method: str, path: str,
                                                            tmp_path: Path) -> None:
    app = create_app(Config(f"sqlite:///{tmp_path / 'plugin.sqlite3'}", "sla-plugin", new_webhook_secret(),
                            new_encryption_key()))
    adapter = app.url_map.bind("plugin.example")
    try:
        endpoint, _arguments = adapter.match(path, method)
    except HTTPException as error:
        pytest.fail(f"{where}: {method} {path} is not served ({error.name})")
    assert endpoint
    app.extensions["sla_runtime"].dispose()
