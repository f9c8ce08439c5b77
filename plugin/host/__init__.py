"""Helpdesks' protocols (design.md §4): webhook payloads in (``payloads``), commands out (``commands``).

``adapter`` is the interface a helpdesk's adapter implements (host commands out, webhook bodies in)
and ``registry`` the host kinds, each such adapter under its name (``reference``: the reference
protocol's, ``payloads`` and ``reference`` on ``requests``); ``backoff`` says when to try a command
again and ``rate_limit`` how fast to call each tenant's host.
"""
