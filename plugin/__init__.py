"""SLA plugin for helpdesks.

Layers (design.md §2): ``domain`` (pure: calendars, rules, policies, the SLA engine, report
arithmetic), ``settings`` (validation of the settings document), ``webhooks`` (the host's event
payloads), and the entry points ``cli`` and ``simulate``.
"""

__version__ = "0.1.0"
