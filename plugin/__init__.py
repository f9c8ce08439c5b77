"""SLA plugin for helpdesks.

Layers (design.md §2): ``domain`` (pure: calendars, rules, policies, the SLA engine, report
arithmetic); ``settings`` (the settings document); ``services`` (handlers taking a unit of work);
``store`` (SQLAlchemy models, repositories, migrations); ``host`` (commands for the host's API);
and the entry points: ``webhooks``, ``lifecycle``, ``api`` (the Flask app of ``app.py``), ``cli``
and ``simulate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

from plugin.version import __version__

__all__ = ["__version__", "create_app"]


def create_app(*args: Any, **kwargs: Any) -> Flask:
    """The Flask app (imported lazily so the simulator and the domain never load Flask)."""
    from plugin.app import create_app as build  # noqa: PLC0415

    return build(*args, **kwargs)
