"""The host kinds the plugin can serve: each helpdesk's adapter under its name, both halves of it.

A ``HostKind`` pairs what reads that helpdesk's webhook bodies (``read_webhook`` at the endpoint,
``parse_event`` on stored bodies) with what carries host commands out (``new_adapter``: one per
worker, holding its connections). Each tenant records its kind (``tenants.host_kind``, from its
install; ``reference`` by default): the webhook endpoint, the inbox processor and every recompute
read its bodies through its kind's parser, and the worker's courier delivers its commands through
its kind's adapter.

An adapter for another helpdesk adds its module beside ``reference.py`` and one entry to
``BUILT_IN`` below; nothing else changes (the worker and the services look kinds up by name).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .adapter import DEFAULT_HOST_KIND, EventParser, HostAdapter, WebhookReader
from .payloads import parse_event, read_webhook


class UnknownHostKind(LookupError):
    """No adapter is registered under that name."""


@dataclass(frozen=True)
class HostKind:
    name: str
    read_webhook: WebhookReader  # a body as it arrives at the endpoint, checked whole
    parse_event: EventParser  # a stored body (validated when it arrived), on the processor's hot path
    new_adapter: Callable[[], HostAdapter]  # a new adapter, with connections of its own


class HostKinds:
    """The registry: host kinds by name. Reads are plain dictionary lookups (one per webhook)."""

    def __init__(self, kinds: Iterable[HostKind] = ()) -> None:
        self._kinds: dict[str, HostKind] = {}
        for kind in kinds:
            self.register(kind)

    def register(self, kind: HostKind) -> None:
        if kind.name in self._kinds:
            raise ValueError(f"a host kind named {kind.name!r} is registered already")
        self._kinds = {**self._kinds, kind.name: kind}  # a new dict: readers never see one mid-change

    def unregister(self, name: str) -> None:
        self._kinds = {key: kind for key, kind in self._kinds.items() if key != name}

    def get(self, name: str) -> HostKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise UnknownHostKind(f"no host adapter is registered for host kind {name!r} "
                                  f"(registered: {', '.join(self.names())})") from None

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def __contains__(self, name: object) -> bool:
        return name in self._kinds


def _reference_adapter() -> HostAdapter:
    from .reference import ReferenceHost  # noqa: PLC0415  (requests, for the worker only)

    return ReferenceHost()


REFERENCE = HostKind(DEFAULT_HOST_KIND, read_webhook, parse_event, _reference_adapter)
BUILT_IN: tuple[HostKind, ...] = (REFERENCE,)
REGISTRY = HostKinds(BUILT_IN)


def host_kind(name: str) -> HostKind:
    """The registered kind of that name (``UnknownHostKind`` otherwise)."""
    return REGISTRY.get(name)


class AdapterPool:
    """The adapters one worker calls hosts through: one per host kind, made on first use (with its own
    connections) and closed together when the worker stops."""

    def __init__(self, kinds: HostKinds = REGISTRY) -> None:
        self._kinds = kinds
        self._adapters: dict[str, HostAdapter] = {}
        self._lock = threading.Lock()

    def for_kind(self, host_kind: str) -> HostAdapter:
        with self._lock:
            adapter = self._adapters.get(host_kind)
            if adapter is None:
                adapter = self._adapters[host_kind] = self._kinds.get(host_kind).new_adapter()
            return adapter

    def close(self) -> None:
        with self._lock:
            adapters, self._adapters = list(self._adapters.values()), {}
        for adapter in adapters:
            close = getattr(adapter, "close", None)
            if callable(close):
                close()
