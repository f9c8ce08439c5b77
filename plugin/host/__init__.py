"""The reference host protocol (design.md §4): webhook payloads in (``payloads``), commands out (``commands``).

Delivering commands: ``adapter`` (what the worker needs of a host's API), ``reference`` (the
reference protocol's adapter, on ``requests``), ``backoff`` (when to try again) and ``rate_limit``
(how fast to call each tenant's host).
"""
