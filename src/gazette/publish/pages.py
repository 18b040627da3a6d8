"""Publish: render every reader-facing page from the store — shared by the live app and the static build.

A ``Site`` turns a URL's parts into a ``Rendered`` (body, media type, Last-Modified); the app adds HTTP
(caching, headers, errors) and ``static.py`` writes the same bodies to files, so both serve the same site.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from gazette.config import Settings
from gazette.errors import Gone, NotFound
from gazette.htmlpolicy import RENDER
from gazette.publish.hosts import RESERVED, SectionHosts
from gazette.publish.policy import static_policy
from gazette.publish.search import SEARCH_HELP_URL
from gazette.store import corrections, listings
from gazette.store import stories as story_store
from gazette.store import tombstones as tombstone_store
from gazette.store import watches as watch_store
from gazette.store.db import Database, Session
from gazette.store.listings import ArticleFilter, PlaceListing
from gazette.store.schema import Article, ArticleLocale
from gazette.store.story_schema import Story

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
ASSETS = Path(__file__).parent / "assets"

FRONT_PER_SECTION = 5
SAFE_SCHEMES = ("http://", "https://")
EXTRACTED_NOTE = "Every sentence of this brief is taken from the source article."
REWRITTEN_LABEL = "Rewritten; checked against the source"

MORE_ON_STORY = 5  # other sources' articles listed under "More on this story"
MIN_STORY_ARTICLES = 2  # a story gets its own page (linked, listed, built) from this many articles

HTML = "text/html; charset=utf-8"
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)")
_YEAR = re.compile(r"[0-9]{4}", re.ASCII)
_TWO = re.compile(r"[0-9]{2}", re.ASCII)


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
class StoryEntry:
    """One article on a story page, with the article it copies when it is a near-duplicate."""

    article: Article
    copy_of: Article | None = None


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


# --- small formatting helpers (also template filters) ------------------------------------------------


def format_date(value: datetime | None) -> str:
    """ "Fri, February 20, 2026", or "date unknown" — never an empty gap."""
    if value is None:
        return "date unknown"
    v = value.astimezone(UTC)
    return f"{v:%a}, {v:%B} {v.day}, {v.year}"


def gone_notice(when: datetime) -> str:
    """What the permalink of an unpublished article says (no title, no text, no reason)."""
    return f"This article was removed on {format_date(when)} and is no longer available."


def format_day(day: str) -> str:
    """An archive day "2026/02/20" as "Fri, February 20, 2026"."""
    y, m, d = (int(p) for p in day.split("/"))
    return format_date(datetime(y, m, d, tzinfo=UTC))


def format_month(month: str) -> str:
    y, m = (int(p) for p in month.split("/"))
    return f"{date(y, m, 1):%B} {y}"


def safe_url(url: str | None) -> str | None:
    """The URL if it is plain http(s), else None (never link javascript:, data: …)."""
    if not url:
        return None
    stripped = url.strip()
    if stripped.lower().startswith(SAFE_SCHEMES) and urlsplit(stripped).netloc:
        return stripped
    return None


def clean_html(fragment: str) -> Markup:
    """Sanitize stored HTML again at render time (defence in depth): no script, no handlers, http(s) links."""
    cleaned = RENDER.clean(fragment)
    # An image the publisher left without alt text is decoration to a screen reader, not a file name.
    cleaned = _IMG_WITHOUT_ALT.sub('<img alt=""', cleaned)
    return Markup(cleaned)  # noqa: S704 - nh3 output is safe HTML


def paragraphs(text: str) -> list[str]:
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n")]
    return [p for p in parts if p]


def first_lines(article: Article, limit: int = 240) -> str:
    """A teaser: the first brief sentence, else the first paragraph of the text cut at a word.

    Never more than one paragraph, so a source that does not allow republishing is only ever quoted.
    """
    if article.brief:
        return article.brief[0].text
    paras = paragraphs(article.text)
    text = paras[0] if paras else ""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " …"


def locale_labels(locales: list[ArticleLocale]) -> list[tuple[str, str]]:
    """(label, path) for the "Locales:" line: regions by salience (a city counts for its region), then
    countries in upper case, e.g. Bolívar, Nueva Esparta, Aragua, VENEZUELA. When the places lie in several
    countries each region names its own ("Bolívar (Colombia), Distrito Capital (Venezuela), COLOMBIA,
    VENEZUELA"): a name that two countries use is never left for the reader to place."""
    ordered = sorted(locales, key=lambda loc: (-(loc.salience or 0.0), loc.position))
    regions: dict[tuple[str, str], str] = {}  # (country slug, region) → the region's country
    countries: list[tuple[str, str]] = []
    seen_countries: set[str] = set()
    for loc in ordered:
        country = listings.country_label(loc.country_code, loc.country_name) if loc.country_code else ""
        country_slug = listings.place_slug(country) if country else ""
        if loc.kind in ("region", "city"):
            region = loc.region_name or (loc.name if loc.kind == "region" else None)
            if region and country_slug:
                regions.setdefault((country_slug, region), country)
        if country and country not in seen_countries:
            seen_countries.add(country)
            countries.append((country.upper(), f"/locale/{country_slug}/"))
    several = len(countries) > 1
    labelled = [
        (f"{region} ({country})" if several else region, f"/locale/{slug}/{listings.place_slug(region)}/")
        for (slug, region), country in regions.items()
    ]
    return labelled + countries


def source_name(article: Article) -> str:
    if article.source is not None:
        return article.source.name
    return article.site or urlsplit(article.original_url).netloc or "the source"


# --- the site ----------------------------------------------------------------------------------------


class Site:
    """Renders pages for one settings/database pair; ``static=True`` for the file build."""

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

    # Pages ------------------------------------------------------------------------------------------
    def front(self) -> Rendered:
        with self.db.session() as s:
            nav = self._nav(s)
            groups = listings.latest_by_section(s, [slug for slug, _ in nav], FRONT_PER_SECTION)
            unfiled = listings.list_articles(s, ArticleFilter(), limit=FRONT_PER_SECTION) if not nav else []
            body = self._render(
                "front.html",
                nav=nav,
                groups=[(slug, name, groups[slug]) for slug, name in nav if groups.get(slug)],
                unfiled=unfiled,
                places=listings.list_places(s)[:12],
                sources=listings.sources_with_counts(s),
            )
            return Rendered(body, last_modified=listings.latest_change(s), max_age=60)

    def article(self, year: str, month: str, day: str, slug: str, *, print_view: bool = False) -> Rendered:
        _check_date(year, month, day)
        date_path = f"{year}/{month}/{day}"
        with self.db.session() as s:
            art = listings.article_by_path(s, date_path, slug)
            if art is None:
                stone = tombstone_store.tombstone_at(s, date_path, slug)
                if stone is not None:
                    raise Gone(gone_notice(stone.unpublished_at))
                raise NotFound(f"no article at /content/{date_path}/{slug}.html")
            prev_day, next_day = listings.neighbour_days(s, date_path)
            story = story_store.story_of(s, art.id)
            if story is not None and story.article_count < MIN_STORY_ARTICLES:
                story = None
            more = story_store.more_on_story(s, art.id, limit=MORE_ON_STORY) if story else []
            # "Related articles" leaves out what the story section shows and near-copies of this article.
            corrected = corrections.corrected_on(s, art.id)
            shown = {m.id for m in more}
            if story is not None:
                shown.update(copy.id for copy, _similarity in story_store.duplicates_of(s, art.id))
            body = self._render(
                "article.html",
                nav=[] if print_view else self._nav(s),
                a=art,
                print_view=print_view,
                permalink=self.absolute(art),
                day=date_path,
                prev_day=prev_day,
                next_day=next_day,
                section=self.settings.section_name(art.section) if art.section else None,
                locales=locale_labels(art.locales),
                brief=[(b, _passage(art.text, b.source_start, b.source_end)) for b in art.brief],
                brief_kinds={b.kind for b in art.brief},
                full_text=bool(art.source and art.source.republish_full_text),
                body_html=clean_html(art.html) if art.html else None,
                body_paragraphs=paragraphs(art.text),
                original=safe_url(art.original_url),
                related=[r for r in listings.related_articles(s, art) if r.id not in shown],
                story=story,
                more_on_story=more,
                extracted_note=EXTRACTED_NOTE,
                rewritten_label=REWRITTEN_LABEL,
                corrected_on=corrected,
            )
            changed = art.updated_at or art.fetched_at
            if corrected is not None and corrected > changed:
                changed = corrected  # a correction is a change of the page (If-Modified-Since)
            return Rendered(body, last_modified=changed, max_age=600, canonical=self.absolute(art))

    def story(self, story_id: int, slug: str) -> Rendered:
        """``/story/<id>/<slug>/``: every article of a story, oldest first, near-copies marked.

        A slug that is not the story's own is a 404 here. An id that no longer names a story (merged or split
        by ``gazette recluster``) is answered 301 by the app from the story redirects.
        """
        with self.db.session() as s:
            story = story_store.story_by_id(s, story_id)
            if story is None or story.slug != slug:
                raise NotFound(f"no story at /story/{story_id}/{slug}/")
            members = story_store.articles_of(s, story.id, include_duplicates=True)
            if not members:
                raise NotFound(f"story {story_id} has no articles")
            entries = story_entries(s, members)
            body = self._render(
                "story.html",
                nav=self._nav(s),
                story=story,
                entries=entries,
                copies=sum(1 for e in entries if e.copy_of is not None),
                languages=sorted({a.language[:2] for a in members if a.language}),
            )
            changed = max(a.updated_at or a.fetched_at for a in members)
            return Rendered(body, last_modified=changed, max_age=300)

    def stories(self, number: int = 1) -> Rendered:
        """``/stories/`` (and ``page/N/``): stories told by two articles or more, most recently updated first."""
        if number < 1:
            raise NotFound(f"no page {number} of /stories/")
        with self.db.session() as s:
            found = story_store.recent_stories(
                s,
                limit=self.page_size + 1,
                min_articles=MIN_STORY_ARTICLES,
                offset=(number - 1) * self.page_size,
            )
            if number > 1 and not found:
                raise NotFound(f"no page {number} of /stories/")
            has_next = len(found) > self.page_size
            shown = found[: self.page_size]
            body = self._render(
                "stories.html",
                nav=self._nav(s),
                stories=[(st, _story_sources(s, st)) for st in shown],
                number=number,
                has_next=has_next,
                page_path=self.page_path,
            )
            return Rendered(body, last_modified=listings.latest_change(s), max_age=120)

    def stories_all(self, session: Session) -> list[Story]:
        """Every story that has its own page, most recently updated first (for the sitemap and the build)."""
        out: list[Story] = []
        batch = 1000
        while True:
            found = story_store.recent_stories(
                session, limit=batch, min_articles=MIN_STORY_ARTICLES, offset=len(out)
            )
            out.extend(found)
            if len(found) < batch:
                return out

    def is_section(self, session: Session, slug: str) -> bool:
        if slug in RESERVED:
            return False
        return slug in self.settings.sections.taxonomy or slug in listings.section_counts(session)

    def section_listing(self, slug: str) -> Listing:
        with self.db.session() as s:
            if not self.is_section(s, slug):
                raise NotFound(f"no section {slug!r}")
        name = self.settings.section_name(slug)
        return Listing(
            name, f"/{slug}/", ArticleFilter(section=slug), "section", f"{name}: the latest articles."
        )

    def source_listing(self, slug: str) -> Listing:
        with self.db.session() as s:
            src = listings.source_by_slug(s, slug)
            if src is None:
                raise NotFound(f"no source {slug!r}")
            return Listing(src.name, f"/source/{src.slug}/", ArticleFilter(source_id=src.id), "source")

    def locale_listing(self, country_slug: str, region_slug: str | None = None) -> Listing:
        with self.db.session() as s:
            place = listings.find_place(s, country_slug, region_slug)
        if place is None:
            raise NotFound("no such locale")
        if place.kind == "region":
            flt = ArticleFilter(country_code=place.country_code, region_code=place.region_code)
            title = f"{place.name}, {place.country_name}"
        else:
            flt = ArticleFilter(country_code=place.country_code)
            title = place.name
        return Listing(title, place.path, flt, "locale")

    def watch_listing(self, slug: str) -> Listing:
        """A topic watch's listing: the articles it matched, newest first."""
        with self.db.session() as s:
            watch = watch_store.watch_by_slug(s, slug)
            if watch is None:
                raise NotFound(f"no watch {slug!r}")
            return watch_listing(watch)

    def watch_listings(self, session: Session) -> list[Listing]:
        """Every topic watch's listing (the static build writes each with its feeds)."""
        return [watch_listing(w) for w in watch_store.list_watches(session)]

    def site_listing(self) -> Listing:
        return Listing(self.settings.site.title, "/", ArticleFilter(), "site")

    def listing_page(self, listing: Listing, number: int = 1) -> Rendered:
        """One page of a section, source or locale listing (404 past the last page)."""
        with self.db.session() as s:
            page = listings.page_of(s, listing.flt, number, self.page_size)
            if number < 1 or (number > 1 and number > page.pages):
                raise NotFound(f"no page {number} of {listing.path}")
            place: PlaceListing | None = None
            if listing.kind == "locale":
                parts = listing.path.strip("/").split("/")
                place = listings.find_place(s, parts[1], parts[2] if len(parts) > 2 else None)
            body = self._render(
                "listing.html",
                nav=self._nav(s),
                listing=listing,
                page=page,
                place=place,
                page_path=self.page_path,
            )
            return Rendered(body, last_modified=listings.latest_change(s, listing.flt), max_age=120)

    @staticmethod
    def page_path(base: str, number: int) -> str:
        return base if number <= 1 else f"{base}page/{number}/"

    def archive_day(self, year: str, month: str, day: str) -> Rendered:
        date_path = f"{year}/{month}/{day}"
        _check_date(year, month, day)
        with self.db.session() as s:
            arts = listings.list_articles(s, ArticleFilter(date_prefix=date_path), limit=1000)
            if not arts:
                raise NotFound(f"no articles on {date_path}")
            prev_day, next_day = listings.neighbour_days(s, date_path)
            body = self._render(
                "archive_day.html",
                nav=self._nav(s),
                day=date_path,
                articles=arts,
                prev_day=prev_day,
                next_day=next_day,
            )
            return Rendered(body, last_modified=max(a.updated_at or a.fetched_at for a in arts), max_age=300)

    def archive_month(self, year: str, month: str) -> Rendered:
        _check_date(year, month, "01")
        key = f"{year}/{month}"
        with self.db.session() as s:
            days = listings.day_counts(s, key)
            if not days:
                raise NotFound(f"no articles in {key}")
            prev_month, next_month = listings.neighbour_months(s, key)
            body = self._render(
                "archive_month.html",
                nav=self._nav(s),
                month=key,
                days=days,
                prev_month=prev_month,
                next_month=next_month,
            )
            flt = ArticleFilter(date_prefix=key)
            return Rendered(body, last_modified=listings.latest_change(s, flt), max_age=300)

    def search(
        self,
        query: str,
        flt: ArticleFilter,
        number: int,
        form: dict[str, str],
        ignored: Sequence[object] = (),
    ) -> Rendered:
        """The search page; ``ignored`` names the filters given but not understood (the results leave them out)."""
        with self.db.session() as s:
            hits, total = listings.search_articles(
                s, query, flt, limit=self.page_size, offset=(max(1, number) - 1) * self.page_size
            )
            counts = listings.section_counts(s)
            pages = max(1, -(-total // self.page_size))

            def page_link(n: int) -> str:
                params = {"q": query, **{k: v for k, v in form.items() if v}, "page": str(n)}
                return f"{self.href('/search')}?{urlencode(params)}"

            body = self._render(
                "search.html",
                nav=self._nav(s),
                query=query,
                form=form,
                ignored=ignored,
                hits=hits,
                total=total,
                number=number,
                pages=pages,
                page_link=page_link,
                sections=self.sections_in_order(counts),
                sources=listings.sources_with_counts(s),
                places=listings.list_places(s),
                search_help_url=SEARCH_HELP_URL,
            )
            return Rendered(body, last_modified=listings.latest_change(s), max_age=0)

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

    # Enumeration, for the static build and the sitemap -------------------------------------------------
    def listings_all(self, session: Session) -> Iterator[Listing]:
        """Every section, source and locale listing that has articles."""
        for slug, name in self.sections_in_order(listings.section_counts(session)):
            yield Listing(name, f"/{slug}/", ArticleFilter(section=slug), "section")
        for src, _n in listings.sources_with_counts(session):
            yield Listing(src.name, f"/source/{src.slug}/", ArticleFilter(source_id=src.id), "source")
        for country in listings.list_places(session):
            yield Listing(
                country.name, country.path, ArticleFilter(country_code=country.country_code), "locale"
            )
            for region in country.regions:
                flt = ArticleFilter(country_code=region.country_code, region_code=region.region_code)
                yield Listing(f"{region.name}, {country.name}", region.path, flt, "locale")


def watch_listing(watch: Any) -> Listing:
    """The listing of a ``store.watch_schema.Watch``; its description says what it matches, never where it
    sends it."""
    shown = ", ".join(f"{key} {value}" for key, value in sorted(watch.filters.items()) if value)
    description = (
        f"Articles stored since {watch.created_at:%Y-%m-%d} that match \u201c{watch.query}\u201d"
        + (f" ({shown})" if shown else "")
        + "."
    )
    return Listing(watch.name, watch.path, ArticleFilter(watch_id=watch.id), "watch", description)


def story_entries(session: Session, members: list[Article]) -> list[StoryEntry]:
    """A story's rows (page and API): each article with the original it copies (when it is a near-duplicate)."""
    original_of = story_store.originals_of(session, [a.id for a in members])
    by_id = {a.id: a for a in members}
    missing = sorted({o for o in original_of.values() if o not in by_id})
    if missing:  # an original outside the story (its text changed since): still named and linked
        by_id.update(story_store.articles_by_ids(session, missing))
    return [StoryEntry(a, by_id.get(original_of[a.id]) if a.id in original_of else None) for a in members]


def _story_sources(session: Session, story: Story) -> list[str]:
    """The names of the sources telling a story, in the order they first reported it."""
    names: list[str] = []
    for a in story_store.articles_of(session, story.id, include_duplicates=True):
        name = source_name(a)
        if name not in names:
            names.append(name)
    return names


def _passage(text: str, start: int, end: int) -> str:
    if 0 <= start < end <= len(text):
        return text[start:end]
    return ""


def _check_date(year: str, month: str, day: str) -> None:
    """404 unless the parts are a real calendar day written as YYYY, MM, DD (ASCII digits)."""
    if not (_YEAR.fullmatch(year) and _TWO.fullmatch(month) and _TWO.fullmatch(day)):
        raise NotFound("no such date")
    try:
        date(int(year), int(month), int(day))
    except ValueError as exc:
        raise NotFound("no such date") from exc
