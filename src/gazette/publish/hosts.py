"""Publish: one host per section — which host a page lives on, and which page a request's Host asks for.

With ``[site] section_hosts`` on, each section's pages and its articles live at
``<scheme>://<section-slug>.<base_domain>[:port]/`` (scheme and port from ``base_url``) and every other page
on ``<scheme>://<base_domain>[:port]/``. The rest of ``publish/`` keeps one set of *site paths*
(``/politics-government/page/2/``, ``/content/2026/02/10/x.html``): this module turns a site path into its
public URL (``SectionHosts.url``) and a request on a section host back into a site path (``HostRouter``), so
the route table, the response cache's tags and the static build all see the same site.

What it leaves alone on purpose: which slugs are sections (the store knows; the caller passes ``is_section``),
base_url's host and path (every host serves from its root), and a section whose slug cannot be a host name (an
underscore, capitals, over 63 characters): it stays on the base domain at ``/<slug>/``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from gazette.config import Settings

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# First path segments that are never section slugs.
RESERVED = frozenset(
    {
        "content",
        "archive",
        "locale",
        "source",
        "sources",
        "search",
        "api",
        "assets",
        "story",
        "stories",
        "page",
        "watch",
    }
)
# The scope key where the router notes the site path it routed a request to, for the response cache in front
# of the app (``cache.py``) to tag the answer by what it shows.
SITE_PATH = "gazette.site_path"
# A section slug as a DNS label: what `listings` makes of a section name (lower case, digits, hyphens).
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
# The paths a section host answers as its section's pages; everything else there is the base domain's.
_SECTION_PAGE = re.compile(r"/(?:page/[^/]+/|feed\.[^/]+)?")
# Paths every host answers itself: articles (checked against their section), crawler files, files, health.
_ON_EVERY_HOST = ("/content/", "/assets/", "/sitemap", "/robots.txt", "/healthz", "/metrics")


@dataclass(frozen=True)
class SectionHosts:
    """The host map of one site: ``base_domain``, the scheme and the port (``":8000"`` or ``""``)."""

    base_domain: str
    scheme: str
    port: str

    @classmethod
    def from_settings(cls, settings: Settings) -> SectionHosts | None:
        """The map when ``[site] section_hosts`` is on, else None (one host, as before)."""
        site = settings.site
        if not site.section_hosts:
            return None
        parts = urlsplit(site.base_url)
        port = f":{parts.port}" if parts.port is not None else ""
        return cls(site.base_domain, parts.scheme or "http", port)

    # Site path → public URL ----------------------------------------------------------------------------
    def netloc(self, section: str | None) -> str:
        """``politics-government.example.org:8000`` for a section, the base domain (and port) for None."""
        host = f"{section}.{self.base_domain}" if section else self.base_domain
        return f"{host}{self.port}"

    def origin(self, section: str | None) -> str:
        return f"{self.scheme}://{self.netloc(section)}"

    @staticmethod
    def split_section(path: str) -> tuple[str, str] | None:
        """(section, path on its host) of a section page's site path — ``/politics/page/2/`` →
        ``("politics", "/page/2/")`` — or None for a path that is not under a section."""
        if not path.startswith("/"):
            return None
        first, slash, rest = path[1:].partition("/")
        if not slash or first in RESERVED or not _LABEL.fullmatch(first):
            return None
        return first, "/" + rest

    def url(self, path: str, section: str | None = None) -> str:
        """The public URL of a site path; ``section`` names the host of an article (``/content/…``)."""
        if not path.startswith("/"):
            return path
        found = self.split_section(path)
        if found is not None:
            return self.origin(found[0]) + found[1]
        if path.startswith("/content/") and section:
            return self.origin(section) + path
        return self.origin(None) + path

    # Request Host → section --------------------------------------------------------------------------
    def section_of(self, host: str | None) -> str | None:
        """The section slug a Host header names (``politics.example.org[:port]``), else None: the base domain,
        or a host this site does not know (both get the base domain's site). The slug is not yet checked
        against the store."""
        if not host:
            return None
        name = host.strip().lower().rstrip(".")
        if name.startswith("["):  # an IPv6 literal
            return None
        name = name.rsplit(":", 1)[0] if ":" in name else name
        label, dot, domain = name.partition(".")
        if not dot or domain != self.base_domain or not _LABEL.fullmatch(label):
            return None
        return label

    def site_path(self, section: str | None, path: str) -> str:
        """The site path a request for ``path`` on ``section``'s host means (``/`` → ``/politics/``); the
        path itself on the base domain or for what every host answers."""
        if section and _SECTION_PAGE.fullmatch(path):
            return f"/{section}{path}"
        return path


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class HostRouter:
    """ASGI middleware: route by the Host header. On a section host, its pages answer at ``/``, ``/page/N/``
    and ``/feed.FMT`` (rewritten to the site path), articles, assets and crawler files as themselves, and any
    other path 301 to the base domain; on the base domain, ``/<section-slug>/…`` answers 301 to the section
    host. An unknown Host is the base domain."""

    def __init__(self, app: ASGIApp, hosts: SectionHosts, is_section: Callable[[str], bool]) -> None:
        self.app = app
        self.hosts = hosts
        self.is_section = is_section

    def section_of(self, scope: Scope) -> str | None:
        """The section whose host the request names (a known section only)."""
        section = self.hosts.section_of(_header(scope, b"host"))
        if section is not None and not self.is_section(section):
            return None
        return section

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        section = self.section_of(scope)
        if section is not None:
            if _SECTION_PAGE.fullmatch(path):
                scope[SITE_PATH] = self.hosts.site_path(section, path)
                scope = {k: v for k, v in scope.items() if k != "raw_path"}
                scope["path"] = scope[SITE_PATH]
            elif not path.startswith(_ON_EVERY_HOST):
                await _redirect(send, self.hosts.origin(None) + path, scope)
                return
        else:
            found = self.hosts.split_section(path)
            if found is not None and self.is_section(found[0]):
                await _redirect(send, self.hosts.origin(found[0]) + found[1], scope)
                return
        await self.app(scope, receive, send)


async def _redirect(send: Send, location: str, scope: Scope) -> None:
    query = scope.get("query_string", b"")
    if query:
        location += "?" + bytes(query).decode("latin-1")
    headers = [
        (b"location", location.encode("utf-8", "surrogateescape")),
        (b"cache-control", b"public, max-age=3600"),
        (b"content-length", b"0"),
    ]
    await send({"type": "http.response.start", "status": 301, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
