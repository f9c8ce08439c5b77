"""The pure core: business calendars, prioritization rules, SLA policies, the engine, reports.

Standard library only, no framework, no wall clock: every time-dependent call takes ``now``.
"""
