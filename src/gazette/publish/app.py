"""Publish: the live web app — every route in one table, HTTP caching, security headers, one error handler.

``create_app(settings, db)`` is what ``gazette serve`` runs. Pages come from ``pages.Site`` (shared with the
static build), feeds and sitemaps from ``feeds``, the JSON API from ``api``, the security headers from
``policy``. Text answers go out gzip-compressed to clients that accept it.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute

from gazette.config import Settings
from gazette.errors import GazetteError, NotFound
from gazette.publish import api, feeds
from gazette.publish.health import healthz, metrics
from gazette.publish.pages import ASSETS, HTML, Rendered, Site, asset_fingerprints
from gazette.publish.policy import ASSET_MAX_AGE, SECURITY_HEADERS
from gazette.publish.responses import respond
from gazette.publish.search import parse_page
from gazette.store import stories as story_store
from gazette.store.db import Database

logger = logging.getLogger(__name__)

STARTED = datetime.now(UTC).replace(microsecond=0)  # pages that change only with the code date from here
ASSET_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


# Every slug Gazette makes is ASCII letters, digits and hyphens; anything else (a NUL, "..", a slash) is a 404
# before it reaches the database.
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,199}", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
MAX_PAGE = 100_000
COMPRESS_FROM = 500  # bytes: smaller bodies gain less than the gzip header costs


def check_slug(value: str) -> str:
    """``value`` when it can be a Gazette slug; otherwise the page does not exist."""
    if not _SLUG.fullmatch(value):
        raise NotFound("no such page")
    return value


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


# --- handlers ----------------------------------------------------------------------------------------


def front(request: Request) -> Response:
    return respond(request, _site(request).front())


def article(request: Request, year: str, month: str, day: str, filename: str) -> Response:
    if not filename.endswith(".html"):
        raise NotFound("no such article")
    check_slug(filename[:-5])
    print_view = request.query_params.get("view") == "print"
    return respond(request, _site(request).article(year, month, day, filename[:-5], print_view=print_view))


def archive_day(request: Request, year: str, month: str, day: str) -> Response:
    return respond(request, _site(request).archive_day(year, month, day))


def archive_month(request: Request, year: str, month: str) -> Response:
    return respond(request, _site(request).archive_month(year, month))


def _page_number(n: str) -> int:
    if not _DIGITS.fullmatch(n) or n.startswith("0") or len(n) > 6 or not 2 <= int(n) <= MAX_PAGE:
        raise NotFound("no such page")  # page 1 lives at the listing's own URL
    return int(n)


def section(request: Request, slug: str) -> Response:
    check_slug(slug)
    site = _site(request)
    return respond(request, site.listing_page(site.section_listing(slug)))


def section_page(request: Request, slug: str, n: str) -> Response:
    check_slug(slug)
    site = _site(request)
    return respond(request, site.listing_page(site.section_listing(slug), _page_number(n)))


def source(request: Request, slug: str) -> Response:
    check_slug(slug)
    site = _site(request)
    return respond(request, site.listing_page(site.source_listing(slug)))


def source_page(request: Request, slug: str, n: str) -> Response:
    check_slug(slug)
    site = _site(request)
    return respond(request, site.listing_page(site.source_listing(slug), _page_number(n)))


def country(request: Request, country: str) -> Response:
    check_slug(country)
    site = _site(request)
    return respond(request, site.listing_page(site.locale_listing(country)))


def country_page(request: Request, country: str, n: str) -> Response:
    check_slug(country)
    site = _site(request)
    return respond(request, site.listing_page(site.locale_listing(country), _page_number(n)))


def region(request: Request, country: str, region: str) -> Response:
    check_slug(country)
    check_slug(region)
    site = _site(request)
    return respond(request, site.listing_page(site.locale_listing(country, region)))


def region_page(request: Request, country: str, region: str, n: str) -> Response:
    check_slug(country)
    check_slug(region)
    site = _site(request)
    return respond(request, site.listing_page(site.locale_listing(country, region), _page_number(n)))


def _story_id(value: str) -> int:
    if not _DIGITS.fullmatch(value) or value.startswith("0") or len(value) > 12:
        raise NotFound("no such story")
    return int(value)


def story(request: Request, story_id: str, slug: str) -> Response:
    check_slug(slug)
    site = _site(request)
    number = _story_id(story_id)
    try:
        return respond(request, site.story(number, slug))
    except NotFound:
        # a story merged or split by `gazette recluster` keeps its URL: it leads to where its articles went
        with site.db.session() as s:
            target = story_store.redirect_target(s, number)
            if target is None:
                raise
            location = f"{site.prefix}{target.path}"
        return RedirectResponse(location, status_code=301, headers={"Cache-Control": "public, max-age=3600"})


def stories(request: Request) -> Response:
    return respond(request, _site(request).stories())


def stories_page(request: Request, n: str) -> Response:
    return respond(request, _site(request).stories(_page_number(n)))


def _feed_format(fmt: str) -> str:
    if fmt not in feeds.FORMATS:
        raise NotFound("no such feed")
    return fmt


def site_feed(request: Request, fmt: str) -> Response:
    site = _site(request)
    return respond(request, feeds.render_feed(site, site.site_listing(), _feed_format(fmt)))


def section_feed(request: Request, slug: str, fmt: str) -> Response:
    check_slug(slug)
    site = _site(request)
    return respond(request, feeds.render_feed(site, site.section_listing(slug), _feed_format(fmt)))


def source_feed(request: Request, slug: str, fmt: str) -> Response:
    check_slug(slug)
    site = _site(request)
    return respond(request, feeds.render_feed(site, site.source_listing(slug), _feed_format(fmt)))


def country_feed(request: Request, country: str, fmt: str) -> Response:
    check_slug(country)
    site = _site(request)
    return respond(request, feeds.render_feed(site, site.locale_listing(country), _feed_format(fmt)))


def region_feed(request: Request, country: str, region: str, fmt: str) -> Response:
    check_slug(country)
    check_slug(region)
    site = _site(request)
    return respond(request, feeds.render_feed(site, site.locale_listing(country, region), _feed_format(fmt)))


def watch(request: Request, slug: str) -> Response:
    check_slug(slug)
    site = _site(request)
    return respond(request, site.listing_page(site.watch_listing(slug)))


def watch_page(request: Request, slug: str, n: str) -> Response:
    check_slug(slug)
    site = _site(request)
    return respond(request, site.listing_page(site.watch_listing(slug), _page_number(n)))


def watch_feed(request: Request, slug: str, fmt: str) -> Response:
    check_slug(slug)
    site = _site(request)
    return respond(request, feeds.render_feed(site, site.watch_listing(slug), _feed_format(fmt)))


def search(request: Request) -> Response:
    site = _site(request)
    params = request.query_params
    query = (params.get("q") or "").strip()[:500]
    with site.db.session() as s:
        flt, form, ignored = api.read_filter(site, s, params)
    return respond(request, site.search(query, flt, parse_page(params.get("page")), form, ignored))


def sitemap(request: Request) -> Response:
    return respond(request, feeds.render_sitemap(_site(request)))


def sitemap_part(request: Request, n: str) -> Response:
    if not _DIGITS.fullmatch(n) or n.startswith("0") or len(n) > 6:
        raise NotFound("no such sitemap")
    return respond(request, feeds.render_sitemap_part(_site(request), int(n)))


def news_sitemap(request: Request) -> Response:
    return respond(request, feeds.render_news_sitemap(_site(request)))


def robots(request: Request) -> Response:
    return respond(request, _site(request).robots())


def asset(request: Request, name: str) -> Response:
    files: dict[str, Rendered] = request.app.state.assets
    found = files.get(name)  # a fixed table of file names: nothing outside assets/ can be named
    if found is None:
        raise NotFound("no such asset")
    return respond(request, found)


def api_docs(request: Request) -> Response:
    site = _site(request)
    rendered = Rendered(site.api_docs(request.app.openapi()), max_age=3600, last_modified=STARTED)
    return respond(request, rendered)


# Every page route, in match order: specific paths before the section catch-all.
ROUTES: list[tuple[str, Callable[..., Response]]] = [
    ("/", front),
    ("/content/{year}/{month}/{day}/{filename}", article),
    ("/archive/{year}/{month}/{day}/", archive_day),
    ("/archive/{year}/{month}/", archive_month),
    ("/search", search),
    ("/feed.{fmt}", site_feed),
    ("/sitemap.xml", sitemap),
    ("/sitemap-news.xml", news_sitemap),
    ("/sitemap-{n}.xml", sitemap_part),
    ("/robots.txt", robots),
    ("/assets/{name}", asset),
    ("/api/docs", api_docs),
    ("/healthz", healthz),
    ("/metrics", metrics),
    ("/story/{story_id}/{slug}/", story),
    ("/stories/", stories),
    ("/stories/page/{n}/", stories_page),
    ("/source/{slug}/", source),
    ("/source/{slug}/page/{n}/", source_page),
    ("/source/{slug}/feed.{fmt}", source_feed),
    ("/locale/{country}/", country),
    ("/locale/{country}/page/{n}/", country_page),
    ("/locale/{country}/feed.{fmt}", country_feed),
    ("/locale/{country}/{region}/", region),
    ("/locale/{country}/{region}/page/{n}/", region_page),
    ("/locale/{country}/{region}/feed.{fmt}", region_feed),
    ("/watch/{slug}/", watch),
    ("/watch/{slug}/page/{n}/", watch_page),
    ("/watch/{slug}/feed.{fmt}", watch_feed),
    ("/{slug}/", section),
    ("/{slug}/page/{n}/", section_page),
    ("/{slug}/feed.{fmt}", section_feed),
]


def load_assets(folder: Path = ASSETS) -> dict[str, Rendered]:
    """The files served under /assets/, read once: name → body, media type and file time.

    Each file answers under its fingerprinted name (what pages link; cached for a year, ``immutable``) and,
    for links made before fingerprints, under its plain name (cached for an hour).
    """
    out: dict[str, Rendered] = {}
    fingerprinted = asset_fingerprints(folder)
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            media = (
                ASSET_TYPES.get(path.suffix)
                or mimetypes.guess_type(path.name)[0]
                or "application/octet-stream"
            )
            changed = datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
            body = path.read_bytes()
            out[path.name] = Rendered(body, media, last_modified=changed, max_age=3600)
            out[fingerprinted[path.name]] = Rendered(
                body, media, last_modified=changed, max_age=ASSET_MAX_AGE, immutable=True
            )
    return out


def _error_response(
    request: Request, status: int, message: str, extra_headers: dict[str, str] | None = None
) -> Response:
    # Security headers are set here too: a 500 is answered outside the middleware that adds them.
    headers = {**SECURITY_HEADERS, **(extra_headers or {}), "Cache-Control": "no-store"}
    if request.url.path.startswith("/api/"):
        # A message may quote what the client sent: <, > and & go out as \u escapes, so the body reads the
        # same as JSON and holds no markup for anything that would sniff it as HTML.
        body = json.dumps({"error": {"status": status, "message": message}}, ensure_ascii=False)
        for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
            body = body.replace(char, escape)
        return Response(body, status_code=status, media_type="application/json", headers=headers)
    page = _site(request).error(status, message)
    return HTMLResponse(page, status_code=status, media_type=HTML, headers=headers)


async def handle_error(request: Request, exc: Exception) -> Response:
    """The one error handler: an HTML page, or JSON under /api/."""
    extra: dict[str, str] = {}
    if isinstance(exc, StarletteHTTPException):
        extra = dict(exc.headers or {})  # a 405 carries Allow (RFC 9110 §15.5.6)
        status = exc.status_code
        message = "There is no page at this address." if status == 404 else str(exc.detail)
    elif isinstance(exc, RequestValidationError):
        status = 400
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    elif isinstance(exc, GazetteError):
        status = exc.status
        message = "There is no page at this address." if status == 404 else exc.reason
    else:
        logger.exception("unhandled error on %s", request.url.path)
        status, message = 500, "Something went wrong on our side."
    if status >= 500 and not isinstance(exc, StarletteHTTPException):
        logger.error("error %s on %s: %s", status, request.url.path, exc)
    return _error_response(request, status, message, extra)


def create_app(
    settings: Settings,
    db: Database | None = None,
    *,
    static: bool = False,
    search_url: str | None = "/search",
) -> FastAPI:
    """The live site: pages, feeds, sitemaps, search and the JSON API over the store.

    ``static=True`` renders pages for the file build (no API link; the search form only when
    ``search_url`` names a server that answers it).
    """
    if db is None:
        db = Database(settings.database_url)
        db.ensure_initialized()
    app = FastAPI(
        title=f"{settings.site.title} JSON API",
        description="Articles, sections, locales, sources and search, as JSON. Lists use cursor pagination.",
        version="1",
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI loads from a CDN; /api/docs is a server-rendered page instead
        redoc_url=None,
    )
    app.state.site = Site(settings, db, static=static, search_url=search_url)
    app.state.assets = load_assets()
    app.include_router(api.router, prefix="/api")
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        return api.document_errors(generate_openapi())

    app.openapi = openapi  # type: ignore[method-assign]
    for path, endpoint in ROUTES:
        app.add_api_route(path, endpoint, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_exception_handler(StarletteHTTPException, handle_error)
    app.add_exception_handler(RequestValidationError, handle_error)
    app.add_exception_handler(GazetteError, handle_error)
    app.add_exception_handler(Exception, handle_error)

    # HTML, CSS, feeds and JSON go out compressed to clients that accept gzip (images are excluded by type).
    app.add_middleware(GZipMiddleware, minimum_size=COMPRESS_FROM)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    return app


def routes_table(app: FastAPI) -> list[BaseRoute]:
    """The app's routes (for docs and tests)."""
    return list(app.routes)
