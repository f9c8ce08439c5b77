"""How the sandbox reaches the plugin: its URL and the app's identity, one HTTP request at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import requests


@dataclass(frozen=True)
class PluginLink:
    """Where the plugin runs and the marketplace app's identity (the same values the plugin runs with)."""

    url: str
    app_secret: str
    app_id: str = "sla-plugin"


@dataclass(frozen=True)
class PluginAnswer:
    status: int | None  # None: no answer came (refused, timed out, dropped)
    body: Any  # the JSON answer, or its text
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def describe(self) -> dict[str, Any]:
        return {"status": self.status, "body": self.body, "error": self.error}


class Transport(Protocol):
    def __call__(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> PluginAnswer: ...


def http_transport(method: str, url: str, body: bytes, headers: dict[str, str]) -> PluginAnswer:
    """One HTTP request with ``requests``; never raises for what the network does."""
    try:
        response = requests.request(method, url, data=body, headers=headers, timeout=10)
    except requests.RequestException as problem:
        return PluginAnswer(None, None, f"{type(problem).__name__}: {problem}")
    try:
        answer: Any = response.json()
    except ValueError:
        answer = response.text[:2000]
    return PluginAnswer(response.status_code, answer)


class PluginNotConfigured(RuntimeError):
    """The sandbox runs without a plugin (no --plugin-url), so it cannot make this call."""


class PluginRefused(RuntimeError):
    def __init__(self, what: str, answer: PluginAnswer) -> None:
        super().__init__(f"the plugin refused to {what}: {answer.status} {answer.body or answer.error}")
        self.answer = answer
