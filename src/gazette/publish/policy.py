"""Publish: the security policy in one place — the Content-Security-Policy and the other headers, for the live
app, the static build's ``<meta http-equiv>`` and its ``_headers`` file.

A static host sends no headers of ours, so the build carries the policy twice: in every page as a meta tag
(which browsers honour for everything after it, but where ``frame-ancestors`` is ignored with a console error,
so it is left out) and in full in ``_headers`` (read by Netlify and Cloudflare Pages; docs/deployment.md has the
same lines for nginx).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

# Directive → sources, in the order they are written.
CSP_DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'none'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "https:", "data:"),
    "connect-src": ("'self'",),
    "font-src": ("'self'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}
META_IGNORED = ("frame-ancestors",)  # browsers ignore these in a <meta> policy and log an error
ASSET_MAX_AGE = 365 * 24 * 3600  # fingerprinted assets never change under their name


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(*, form_targets: Iterable[str] = (), meta: bool = False) -> str:
    """The policy as one header value; ``form_targets`` are origins forms may submit to besides our own,
    ``meta=True`` leaves out what a ``<meta http-equiv>`` policy cannot carry."""
    parts = []
    for directive, sources in CSP_DIRECTIVES.items():
        if meta and directive in META_IGNORED:
            continue
        if directive == "form-action":
            sources = (*sources, *(t for t in dict.fromkeys(form_targets) if t not in sources))
        parts.append(" ".join((directive, *sources)))
    return "; ".join(parts)


CSP = content_security_policy()
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def static_policy(search_url: str | None, *, meta: bool) -> str:
    """The static build's policy: a search form that submits to a live server's origin is allowed to."""
    target = origin_of(search_url)
    return content_security_policy(form_targets=[target] if target else [], meta=meta)


def headers_file(search_url: str | None) -> str:
    """The ``_headers`` file of a static build: the full policy and the other headers on every path, and a
    year's caching for the fingerprinted assets."""
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": static_policy(search_url, meta=False)}
    lines = [
        "# Written by `gazette build`: response headers for static hosts that read this file",
        "# (Netlify, Cloudflare Pages). For nginx, see docs/deployment.md.",
        "/*",
        *(f"  {name}: {value}" for name, value in headers.items()),
        "/assets/*",
        f"  Cache-Control: public, max-age={ASSET_MAX_AGE}, immutable",
    ]
    return "\n".join(lines) + "\n"
