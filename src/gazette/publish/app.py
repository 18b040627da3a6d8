"""Publish: the live web app — every route in one table, HTTP caching, security headers, one error handler.

``create_app(settings, db)`` is what ``gazette serve`` runs. Pages come from ``pages.Site`` (shared with the
static build), feeds and sitemaps from ``syndication``, the JSON API from ``api``, the security headers from
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
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute

from gazette.config import Settings
from gazette.errors import GazetteError, NotFound
from gazette.publish import api, syndication
from gazette.publish.health import healthz, metrics
from gazette.publish.hosts import HostRouter
from gazette.publish.pages import ASSETS, HTML, Listing, Rendered, Site, asset_fingerprints
from gazette.publish.policy import ASSET_MAX_AGE, SECURITY_HEADERS, content_security_policy
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


# --- path parameters: each checked by its name before a handler sees it -------------------------------


def _page_number(n: str) -> int:
    if not _DIGITS.fullmatch(n) or n.startswith("0") or len(n) > 6 or not 2 <= int(n) <= MAX_PAGE:
        raise NotFound("no such page")  # page 1 lives at the listing's own URL
    return int(n)


def _sitemap_part(part: str) -> int:
    if not _DIGITS.fullmatch(part) or part.startswith("0") or len(part) > 6:
        raise NotFound("no such sitemap")
    return int(part)


def _story_id(value: str) -> int:
    if not _DIGITS.fullmatch(value) or value.startswith("0") or len(value) > 12:
        raise NotFound("no such story")
    return int(value)


def _feed_format(fmt: str) -> str:
    if fmt not in syndication.FORMATS:
        raise NotFound("no such feed")
    return fmt


def _article_slug(filename: str) -> str:
    if not filename.endswith(".html"):
        raise NotFound("no such article")
    return check_slug(filename[:-5])


# A parameter not named here (year, month, day, the asset name) is checked by what reads it.
PARAMS: dict[str, Callable[[str], Any]] = {
    "slug": check_slug,
    "country": check_slug,
    "region": check_slug,
    "n": _page_number,
    "part": _sitemap_part,
    "story_id": _story_id,
    "fmt": _feed_format,
    "filename": _article_slug,
}


# --- handlers: (site, request, **checked parameters) → a page, or a whole response ----------------------

Handler = Callable[..., Rendered | Response]
Pick = Callable[..., Listing]  # (site, **parameters) → the listing a page or feed shows


def _section(site: Site, slug: str) -> Listing:
    return site.section_listing(slug)


def _source(site: Site, slug: str) -> Listing:
    return site.source_listing(slug)


def _locale(site: Site, country: str, region: str | None = None) -> Listing:
    return site.locale_listing(country, region)


def _watch(site: Site, slug: str) -> Listing:
    return site.watch_listing(slug)


def _whole_site(site: Site) -> Listing:
    return site.site_listing()


def listing_page(pick: Pick) -> Handler:
    """The handler of a listing's pages: page 1 at its own path, page N under ``page/N/``."""

    def handle(site: Site, request: Request, n: int = 1, **keys: str) -> Rendered:
        return site.listing_page(pick(site, **keys), n)

    return handle


def listing_feed(pick: Pick) -> Handler:
    """The handler of a listing's feeds (``feed.rss``, ``feed.atom``, ``feed.json``)."""

    def handle(site: Site, request: Request, fmt: str, **keys: str) -> Rendered:
        return syndication.render_feed(site, pick(site, **keys), fmt)

    return handle


def _host(site: Site, request: Request) -> str | None:
    """The section whose host the request was sent to (None: the base domain, or no section hosts)."""
    return site.host_section(request.headers.get("host"))


def article(
    site: Site, request: Request, year: str, month: str, day: str, filename: str
) -> Rendered | Response:
    print_view = request.query_params.get("view") == "print"
    page = site.article(year, month, day, filename, print_view=print_view)  # filename: checked to a slug
    if site.hosts is not None and page.canonical:
        # an article lives on its section's host: asked on another, it answers where it lives
        home = site.hosts.section_of(urlsplit(page.canonical).netloc)
        if home != _host(site, request):
            location = page.canonical + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(
                location, status_code=301, headers={"Cache-Control": "public, max-age=3600"}
            )
    return page


def story(site: Site, request: Request, story_id: int, slug: str) -> Rendered | Response:
    try:
        return site.story(story_id, slug)
    except NotFound:
        # a story merged or split by `gazette recluster` keeps its URL: it leads to where its articles went
        with site.db.session() as s:
            target = story_store.redirect_target(s, story_id)
            if target is None:
                raise
            location = site.href(target.path)
        return RedirectResponse(location, status_code=301, headers={"Cache-Control": "public, max-age=3600"})


def search(site: Site, request: Request) -> Rendered:
    params = request.query_params
    query = (params.get("q") or "").strip()[:500]
    with site.db.session() as s:
        flt, form, ignored = api.read_filter(site, s, params)
    return site.search(query, flt, parse_page(params.get("page")), form, ignored)


def asset(site: Site, request: Request, name: str) -> Rendered:
    files: dict[str, Rendered] = request.app.state.assets
    found = files.get(name)  # a fixed table of file names: nothing outside assets/ can be named
    if found is None:
        raise NotFound("no such asset")
    return found


def api_docs(site: Site, request: Request) -> Rendered:
    return Rendered(site.api_docs(request.app.openapi()), max_age=3600, last_modified=STARTED)


# Every page route, in match order: specific paths before the section catch-all.
ROUTES: list[tuple[str, Handler]] = [
    ("/", lambda site, request: site.front()),
    ("/content/{year}/{month}/{day}/{filename}", article),
    ("/archive/{year}/{month}/{day}/", lambda site, request, **date: site.archive_day(**date)),
    ("/archive/{year}/{month}/{day}/page/{n}/", lambda site, request, **date: site.archive_day(**date)),
    ("/archive/{year}/{month}/", lambda site, request, **date: site.archive_month(**date)),
    ("/search", search),
    ("/feed.{fmt}", listing_feed(_whole_site)),
    ("/sitemap.xml", lambda site, request: syndication.render_sitemap(site, host=_host(site, request))),
    (
        "/sitemap-news.xml",
        lambda site, request: syndication.render_news_sitemap(site, host=_host(site, request)),
    ),
    (
        "/sitemap-{part}.xml",
        lambda site, request, part: syndication.render_sitemap_part(site, part, host=_host(site, request)),
    ),
    ("/robots.txt", lambda site, request: site.robots(_host(site, request))),
    ("/assets/{name}", asset),
    ("/api/docs", api_docs),
    ("/healthz", lambda site, request: healthz(request)),
    ("/metrics", lambda site, request: metrics(request)),
    ("/story/{story_id}/{slug}/", story),
    ("/stories/", lambda site, request: site.stories()),
    ("/stories/page/{n}/", lambda site, request, n: site.stories(n)),
    ("/source/{slug}/", listing_page(_source)),
    ("/source/{slug}/page/{n}/", listing_page(_source)),
    ("/source/{slug}/feed.{fmt}", listing_feed(_source)),
    ("/locale/{country}/", listing_page(_locale)),
    ("/locale/{country}/page/{n}/", listing_page(_locale)),
    ("/locale/{country}/feed.{fmt}", listing_feed(_locale)),
    ("/locale/{country}/{region}/", listing_page(_locale)),
    ("/locale/{country}/{region}/page/{n}/", listing_page(_locale)),
    ("/locale/{country}/{region}/feed.{fmt}", listing_feed(_locale)),
    ("/watch/{slug}/", listing_page(_watch)),
    ("/watch/{slug}/page/{n}/", listing_page(_watch)),
    ("/watch/{slug}/feed.{fmt}", listing_feed(_watch)),
    ("/{slug}/", listing_page(_section)),
    ("/{slug}/page/{n}/", listing_page(_section)),
    ("/{slug}/feed.{fmt}", listing_feed(_section)),
]


def endpoint(handler: Handler) -> Callable[[Request], Response]:
    """The one endpoint every route shares: check the path's parameters, call the handler, answer with
    validators (``respond``) unless the handler built its own response."""

    def answer(request: Request) -> Response:
        params = {
            name: PARAMS[name](value) if name in PARAMS else value
            for name, value in request.path_params.items()
        }
        result = handler(_site(request), request, **params)
        return result if isinstance(result, Response) else respond(request, result)

    answer.__name__ = getattr(handler, "__name__", "page")
    return answer


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
    security: dict[str, str] = request.app.state.security_headers
    headers = {**security, **(extra_headers or {}), "Cache-Control": "no-store"}
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
    app.state.site = site = Site(settings, db, static=static, search_url=search_url)
    security = dict(SECURITY_HEADERS)
    if site.hosts is not None:  # a section host's search form submits to the base domain
        security["Content-Security-Policy"] = content_security_policy(form_targets=[site.hosts.origin(None)])
    app.state.security_headers = security
    app.state.assets = load_assets()
    app.include_router(api.router, prefix="/api")
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        return api.document_errors(generate_openapi())

    app.openapi = openapi  # type: ignore[method-assign]
    for path, handler in ROUTES:
        app.add_api_route(path, endpoint(handler), methods=["GET", "HEAD"], include_in_schema=False)
    app.add_exception_handler(StarletteHTTPException, handle_error)
    app.add_exception_handler(RequestValidationError, handle_error)
    app.add_exception_handler(GazetteError, handle_error)
    app.add_exception_handler(Exception, handle_error)

    if site.hosts is not None:
        app.add_middleware(
            HostRouter, hosts=site.hosts, is_section=lambda slug: app.state.site.known_section(slug)
        )
    # HTML, CSS, feeds and JSON go out compressed to clients that accept gzip (images are excluded by type).
    app.add_middleware(GZipMiddleware, minimum_size=COMPRESS_FROM)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for key, value in security.items():
            response.headers.setdefault(key, value)
        return response

    return app


def routes_table(app: FastAPI) -> list[BaseRoute]:
    """The app's routes (for docs and tests)."""
    return list(app.routes)
