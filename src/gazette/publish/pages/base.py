"""Publish: what every page renderer shares — the ``Rendered`` answer, the ``Listing`` a listing page shows,
asset fingerprints, and ``SiteBase`` (settings, database, templates, links between pages, the small pages)."""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from gazette.config import Settings
from gazette.publish.hosts import RESERVED, SectionHosts
from gazette.publish.pages.formatting import (
    first_lines,
    format_date,
    format_day,
    format_month,
    locale_labels,
    source_name,
)
from gazette.publish.policy import static_policy
from gazette.store import listings
from gazette.store.db import Database, Session
from gazette.store.listings import ArticleFilter
from gazette.store.schema import Article

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent.parent / "templates"
ASSETS = Path(__file__).parent.parent / "assets"

MIN_STORY_ARTICLES = 2  # a story gets its own page (linked, listed, built) from this many articles

HTML = "text/html; charset=utf-8"


@dataclass
class Rendered:
    """A page body and what HTTP needs to cache it."""

    body: str | bytes
    media_type: str = HTML
    last_modified: datetime | None = None
    max_age: int = 300
    immutable: bool = False  # the URL names these exact bytes (a fingerprinted asset)
    canonical: str | None = None  # the page's public URL, where the app must check the host it was asked on


@dataclass
class Listing:
    """A listing page's identity: what it filters, its path and its heading."""

    title: str
    path: str  # e.g. "/politics-government/"
    flt: ArticleFilter
    kind: str  # "section" | "locale" | "source" | "archive" | "site" | "watch"
    description: str = ""


@functools.cache
def asset_fingerprints(folder: Path = ASSETS) -> dict[str, str]:
    """Asset file name → the name pages link it by, with a fingerprint of its bytes ("gazette.css" →
    "gazette.3f9c1a2b7d.css"): a changed file gets a new URL, so every asset URL can be cached for a year."""
    out: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
            out[path.name] = f"{path.stem}.{digest}{path.suffix}"
    return out


class SiteBase:
    """Renders pages for one settings/database pair; ``static=True`` for the file build. The page renderers
    (``articles``, ``listings``, ``archives``, ``stories``) build on it; ``Site`` joins them."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        base_url: str | None = None,
        static: bool = False,
        search_url: str | None = "/search",
    ) -> None:
        self.settings = settings
        self.db = db
        self.base_url = (base_url or settings.site.base_url).rstrip("/")
        self.hosts = SectionHosts.from_settings(settings)
        if self.hosts is not None:  # every host serves from its root (hosts.py)
            self.base_url = self.hosts.origin(None)
        self.prefix = urlsplit(self.base_url).path.rstrip("/")
        self.static = static
        if search_url and search_url.startswith("/"):
            search_url = self.href(search_url)
        self.search_url = search_url
        self.page_size = max(1, settings.site.page_size)
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(
            date=format_date,
            day=format_day,
            month=format_month,
            href=self.href,
            absolute=self.absolute,
            asset=self.asset,
        )
        self.env.globals.update(
            site_title=settings.site.title,
            section_name=settings.section_name,
            source_name=source_name,
            first_lines=first_lines,
            locale_labels=locale_labels,
            search_url=search_url,
            static=static,
            # A static host sends no headers of ours: the policy travels in each page (policy.py).
            meta_csp=static_policy(search_url, meta=True) if static else None,
        )

    # URLs

    def href(self, target: str | Article) -> str:
        """A site path (or an article) as the pages link it: under the base URL's path prefix, or, with
        section hosts, the absolute URL on the host it lives on (a link between hosts must be absolute)."""
        if self.hosts is not None:
            return self.absolute(target)
        path = target.path if isinstance(target, Article) else target
        return f"{self.prefix}{path}"

    def asset(self, name: str) -> str:
        """The link to an asset by its fingerprinted name ("gazette.css" → "/assets/gazette.3f9c1a2b7d.css");
        every host serves the assets, so the link stays on the page's own host."""
        return f"{self.prefix}/assets/{asset_fingerprints()[name]}"

    def absolute(self, target: str | Article, section: str | None = None) -> str:
        """The public URL of a site path or an article; ``section`` names the host of an article path."""
        path = target if isinstance(target, str) else target.path
        if isinstance(target, Article):
            section = target.section
        if self.hosts is not None:
            return self.hosts.url(path, section)
        return f"{self.base_url}{path}" if path.startswith("/") else path

    def known_section(self, slug: str) -> bool:
        """Whether ``slug`` names a section (a host name's first label, with section hosts)."""
        if slug in self.settings.sections.taxonomy:
            return slug not in RESERVED
        with self.db.session() as s:
            return self.is_section(s, slug)

    def host_section(self, host: str | None) -> str | None:
        """The section whose host ``host`` (a Host header) names; None for the base domain or an unknown host,
        and always None without section hosts."""
        if self.hosts is None:
            return None
        section = self.hosts.section_of(host)
        return section if section is not None and self.known_section(section) else None

    def _render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    def _nav(self, session: Session) -> list[tuple[str, str]]:
        counts = listings.section_counts(session)
        return [(slug, name) for slug, name in self.sections_in_order(counts)]

    def sections_in_order(self, counts: dict[str, int]) -> list[tuple[str, str]]:
        """Sections that have articles: taxonomy order first, then any others by slug."""
        taxonomy = list(self.settings.sections.taxonomy)
        known = [s for s in taxonomy if counts.get(s)]
        extra = sorted(s for s in counts if s not in self.settings.sections.taxonomy and s not in RESERVED)
        return [(s, self.settings.section_name(s)) for s in known + extra]

    def is_section(self, session: Session, slug: str) -> bool:
        if slug in RESERVED:
            return False
        return slug in self.settings.sections.taxonomy or slug in listings.section_counts(session)

    @staticmethod
    def page_path(base: str, number: int) -> str:
        return base if number <= 1 else f"{base}page/{number}/"

    def error(self, status: int, message: str) -> str:
        if status == 410:  # an unpublished article: the short notice, nothing of what it said
            return self._render("gone.html", nav=[], message=message)
        titles = {404: "Page not found", 400: "Bad request", 500: "Something went wrong"}
        return self._render(
            "error.html", nav=[], status=status, title=titles.get(status, "Error"), message=message
        )

    def api_docs(self, spec: dict[str, Any]) -> str:
        return self._render("api_docs.html", nav=[], spec=spec)

    def robots(self, section: str | None = None) -> Rendered:
        """``/robots.txt``; with section hosts, a section host's names that host's own sitemaps."""
        where = self.hosts.origin(section) if self.hosts is not None else self.base_url
        lines = [
            "User-agent: *",
            f"Disallow: {self.prefix}/search",
            f"Disallow: {self.prefix}/api/",
            f"Sitemap: {where}/sitemap.xml",
            f"Sitemap: {where}/sitemap-news.xml",
        ]
        with self.db.session() as s:
            changed = listings.latest_change(s)
        body = "\n".join(lines) + "\n"
        return Rendered(body, media_type="text/plain; charset=utf-8", last_modified=changed, max_age=3600)
