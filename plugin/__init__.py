"""SLA plugin for helpdesks.

Layers (design.md §2): ``domain`` (pure: calendars, rules, policies, the SLA engine, report
arithmetic), ``settings`` (validation of the settings document), ``webhooks`` (the host's event
payloads), and the entry points ``cli`` and ``simulate``.
"""

__version__ = "0.1.0"


def create_app(*args, **kwargs):  # type: ignore[no-untyped-def]
    """The Flask app (imported lazily so the simulator and the domain never load Flask)."""
    from plugin.app import create_app as build  # noqa: PLC0415

    return build(*args, **kwargs)
