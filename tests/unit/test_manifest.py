"""manifest.json describes the app the code actually is."""

from __future__ import annotations

import json
from pathlib import Path

import plugin
from plugin.domain.events import EVENT_TYPES

MANIFEST = json.loads((Path(__file__).parents[2] / "manifest.json").read_text())


def test_manifest_version_is_the_package_version() -> None:
    assert MANIFEST["version"] == plugin.__version__


def test_manifest_subscribes_to_exactly_the_events_the_plugin_parses() -> None:
    assert tuple(MANIFEST["webhooks"]["events"]) == EVENT_TYPES


def test_manifest_names_the_locations_the_host_calls() -> None:
    assert MANIFEST["locations"]["settings"]["url"] == "/settings"
    assert MANIFEST["lifecycle"] == {
        "install": "/lifecycle/install",
        "uninstall": "/lifecycle/uninstall",
        "signature": "standard-webhooks-v1",
    }
    assert MANIFEST["webhooks"]["url"] == "/webhooks/{account_id}"
