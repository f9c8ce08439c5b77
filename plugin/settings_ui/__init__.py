"""The pages the host embeds as iframes (design.md §4): the admin settings app at ``/settings`` and
the rep's ticket sidebar at ``/sidebar``. Server-rendered shells (Jinja2) whose small, dependency-free
scripts call the admin API with the session token the entry handed them; no request leaves the
plugin's origin."""

from __future__ import annotations

from flask import Flask

from .entry import blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
