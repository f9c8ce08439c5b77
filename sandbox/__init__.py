"""A small reference helpdesk that the plugin's tests, benchmarks and demo run against.

It is its own process (``python -m sandbox serve``), and the plugin only ever talks to it over
HTTP, as it would to a real helpdesk: the sandbox serves the host REST API of design.md §4 with
Idempotency-Key replay and faults on demand, and sends the plugin signed installs and webhooks.
A driver (a test, the demo) works it through ``/sandbox/...`` (``SandboxClient``) and reads back
what the host received. The plugin never imports this package.
"""

from .app import create_sandbox_app, sandbox_of
from .client import SandboxClient
from .host import SandboxHost
from .plugin_link import PluginLink

__all__ = ["PluginLink", "SandboxClient", "SandboxHost", "create_sandbox_app", "sandbox_of"]
