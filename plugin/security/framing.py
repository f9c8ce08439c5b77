"""The headers of every embedded page: who may frame it, and what it may load (only its own origin)."""

from __future__ import annotations

from urllib.parse import urlsplit

CONTENT_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                  "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'")


def page_headers(host_origin: str | None) -> dict[str, str]:
    """CSP ``frame-ancestors`` names the tenant's host origin (``'none'`` when it is not known); no
    X-Frame-Options, which would forbid the host's frame. The page holds a session token: never cached,
    never sent on as a referrer."""
    ancestors = frame_origin(host_origin) or "'none'"
    return {
        "Content-Security-Policy": f"{CONTENT_POLICY}; frame-ancestors {ancestors}",
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def frame_origin(url: str | None) -> str | None:
    """scheme://host[:port] of a stored host origin, so nothing else reaches the header."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() or c in ";,'\"" for c in url):
        return None
    return f"{parts.scheme}://{parts.netloc}"
