"""Publish: the static site build — the live app's own pages, feeds and sitemaps written to files.

``build_site`` asks the app (``create_app``) for every URL in-process, over ``httpx.ASGITransport``, so the
files are exactly what ``gazette serve`` would answer. The URLs come from the store (the sitemap's page
list, every listing's feeds, the crawler files, the assets) and from crawling each page's internal links.

A URL becomes a file at the same path: ``/content/2026/02/10/x.html`` as itself, a directory URL ``/x/`` as
``x/index.html``. A manifest (path → SHA-256) in the output folder makes rebuilds incremental: a file is
written only when its bytes changed, and files of the previous build that are no longer produced are removed.
Search and the JSON API are live-only; the build never renders them and links search only to a server
given as ``search_url``. Assets are written under their fingerprinted names only, and ``_headers`` carries the
security headers and asset caching a static host cannot take from the app (``policy.headers_file``).

With section hosts (``hosts.py``) the app is asked with each host's ``Host`` header and every host gets a folder
of its own, named by the host without its port: ``OUTDIR/example.org/``, ``OUTDIR/health.example.org/`` …,
each with its pages, feeds, crawler files, 404 page, ``_headers`` and assets.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import html
import json
import logging
import os
import tempfile
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx

from gazette.config import Settings
from gazette.errors import BuildError
from gazette.publish import syndication
from gazette.publish.app import create_app
from gazette.publish.hosts import SectionHosts
from gazette.publish.pages import Site, asset_fingerprints
from gazette.publish.policy import headers_file
from gazette.store import listings
from gazette.store import stories as story_store
from gazette.store.db import Database

logger = logging.getLogger(__name__)
T = TypeVar("T")

MANIFEST = ".gazette-build.json"
REDIRECTS_FILE = "_redirects"  # Netlify's and Cloudflare Pages' list of redirects: "from to status" per line
MANIFEST_VERSION = 1
HEADERS_FILE = "_headers"  # security and caching headers for hosts that read it (policy.headers_file)
NOT_FOUND_PAGE = "/404.html"  # what static hosts (GitHub Pages, Netlify …) show for a missing path
LIVE_ONLY = ("/search", "/api/")  # answered by a server only; never written as files
CONCURRENCY = 8
LINK_ATTRS = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src", "iframe": "src"}


@dataclass
class BrokenLink:
    """A URL the build needed (linked from a page, or listed by the store) that the app did not serve."""

    path: str
    status: int
    referrer: str  # the page that links it, or "(store)" for a URL listed from the store


@dataclass
class BuildReport:
    """What one build did; ``summary()`` is the line the CLI prints."""

    outdir: Path
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    broken: list[BrokenLink] = field(default_factory=list)
    skipped: list[str] = field(
        default_factory=list
    )  # internal URLs that have no file form (query, live-only)

    @property
    def files(self) -> list[str]:
        return sorted(self.written + self.unchanged)

    @property
    def pages(self) -> int:
        """HTML pages in the build (the 404 page not counted)."""
        return sum(1 for f in self.files if f.endswith(".html") and f != NOT_FOUND_PAGE.lstrip("/"))

    def summary(self) -> str:
        return f"wrote {len(self.written)}, unchanged {len(self.unchanged)}, removed {len(self.removed)}"


# --- URLs and files ----------------------------------------------------------------------------------


def output_path(path: str) -> str | None:
    """The file (relative to the output folder) that holds the URL path, or None when it has no file form.

    ``/`` → ``index.html``, ``/x/`` → ``x/index.html``, ``/feed.rss`` → ``feed.rss``; a path whose last
    segment has no extension (``/api/docs``) or that would climb out of the folder has none.
    """
    if not path.startswith("/") or "\\" in path or "\x00" in path:
        return None
    parts = PurePosixPath(path).parts[1:]
    if any(p in ("..", ".") for p in parts) or any(p in ("..", ".") for p in path.split("/")):
        return None
    if path.endswith("/"):
        return "/".join([*parts, "index.html"])
    if not parts or "." not in parts[-1]:
        return None
    return "/".join(parts)


def _is_live_only(path: str) -> bool:
    return any(path == p.rstrip("/") or path.startswith(p) for p in LIVE_ONLY)


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = LINK_ATTRS.get(tag)
        if wanted is None:
            return
        for name, value in attrs:
            if name == wanted and value:
                self.links.append(value.strip())


def links_in(html: str) -> list[str]:
    """Every href/src of a, link, script, img, source and iframe elements, as written in the page."""
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    return parser.links


class _Scope:
    """Decides which links are the site's own and turns them into app route paths.

    A route is written ``/path`` on a single host; with section hosts, ``//host[:port]/path`` (the host the
    app is asked on, and the folder its file goes in).
    """

    def __init__(self, base_url: str, hosts: SectionHosts | None = None) -> None:
        parts = urlsplit(base_url)
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self.prefix = parts.path.rstrip("/")
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.hosts = hosts

    def public_url(self, route: str) -> str:
        if route.startswith("//"):
            return f"{self.scheme}:{route}"
        return f"{self.origin}{self.prefix}{route}"

    def route_of(self, href: str, page_route: str) -> tuple[str, str] | None:
        """(route, query) of an internal link, or None for another site, mailto:, a fragment …"""
        absolute = urljoin(self.public_url(page_route), href)
        parts = urlsplit(absolute)
        if parts.scheme != self.scheme:
            return None
        path = parts.path or "/"
        if self.hosts is not None:
            if parts.netloc != self.netloc and (
                self.hosts.section_of(parts.netloc) is None or not parts.netloc.endswith(self.hosts.port)
            ):
                return None
            return f"//{parts.netloc}{path}", parts.query
        if parts.netloc != self.netloc:
            return None
        if self.prefix:
            if path != self.prefix and not path.startswith(self.prefix + "/"):
                return None
            path = path[len(self.prefix) :] or "/"
        return path, parts.query

    def seed(self, path: str, section: str | None = None) -> str:
        """The route of a site path (an article's on ``section``'s host)."""
        if self.hosts is None:
            return path
        url = urlsplit(self.hosts.url(path, section))
        return f"//{url.netloc}{url.path}"


def split_route(route: str) -> tuple[str | None, str]:
    """(host, path) of a route: ``//politics.example.org:8000/page/2/`` → that host and ``/page/2/``; a plain
    path is on the one host (None)."""
    if not route.startswith("//"):
        return None, route
    netloc, _slash, rest = route[2:].partition("/")
    return netloc, "/" + rest


def route_file(route: str) -> str | None:
    """The file that holds a route: ``output_path`` of its path, in a folder named for its host (without the
    port: a folder is what a web server's virtual host points at, and the port is the server's, not the
    site's)."""
    netloc, path = split_route(route)
    rel = output_path(path)
    if rel is None or netloc is None:
        return rel
    return f"{urlsplit('//' + netloc).hostname}/{rel}"


# --- the manifest ------------------------------------------------------------------------------------


def read_manifest(outdir: Path) -> dict[str, str]:
    """file → SHA-256 of the previous build in ``outdir`` (empty when there is none or it is unreadable)."""
    try:
        data = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION:
        return {}
    files = data.get("files")
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); a platform without directory fds simply skips it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_atomic(target: Path, body: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())  # I4: the bytes are on disk before the name points at them
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _removable(rel: str) -> bool:
    """Whether a manifest entry names a file the build writes under its folder: a page, feed or asset, or a
    ``_redirects``/``_headers`` file (at the top, or in a host's folder) — never a path that climbs out."""
    if output_path("/" + rel) == rel:
        return True
    folder, _slash, name = rel.rpartition("/")
    if name not in (REDIRECTS_FILE, HEADERS_FILE):
        return False
    if not folder:
        return rel == name
    return output_path(f"/{folder}/") == f"{folder}/index.html"


def _prune_empty_dirs(outdir: Path, start: Path) -> None:
    folder = start
    while folder != outdir and outdir in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (or already gone): stop climbing
        folder = folder.parent


# --- redirects ---------------------------------------------------------------------------------------


def redirect_page(target_url: str) -> bytes:
    """A page that sends a browser on to ``target_url`` (meta refresh) and tells crawlers where it lives now."""
    url = html.escape(target_url, quote=True)
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        "<title>Moved</title>\n"
        f'<meta http-equiv="refresh" content="0; url={url}">\n'
        f'<link rel="canonical" href="{url}">\n'
        '<meta name="robots" content="noindex">\n'
        f'</head><body><p>This story has moved to <a href="{url}">{url}</a>.</p></body></html>\n'
    ).encode()


def story_redirects(site: Site) -> dict[str, bytes]:
    """Files for the old URLs of merged or split stories: a redirect page at each, and the ``_redirects`` list."""
    with site.db.session() as s:
        found = story_store.redirects(s)
    files: dict[str, bytes] = {}
    lines: list[str] = []
    for old_id, slug, target in found:
        old_path = f"/story/{old_id}/{slug}/"
        target_path = f"{site.prefix}{target.path}"
        rel = output_path(old_path)
        if rel is None:
            continue
        files[rel] = redirect_page(site.absolute(target.path))
        lines.append(f"{site.prefix}{old_path} {target_path} 301")
        lines.append(f"{site.prefix}/story/{old_id}/* {target_path} 301")  # the old id under any slug
    if lines:
        files[REDIRECTS_FILE] = ("\n".join(lines) + "\n").encode("utf-8")
    return files


# --- rendering ---------------------------------------------------------------------------------------


def seed_routes(site: Site, asset_names: Iterable[str]) -> list[str]:
    """Every URL the store says the site has: pages (as the sitemap lists them), feeds, crawler files, assets
    — with section hosts, on each host."""
    if site.hosts is None:
        return _host_seeds(site, _Scope(site.base_url), None, asset_names)
    scope = _Scope(site.base_url, site.hosts)
    with site.db.session() as s:
        sections = [slug for slug, _name in site.sections_in_order(listings.section_counts(s))]
    routes = _host_seeds(site, scope, None, asset_names)
    for section in sections:
        routes.extend(_host_seeds(site, scope, section, asset_names))
    return list(dict.fromkeys(routes))


def _section_of(hosts: SectionHosts, path: str) -> str | None:
    found = hosts.split_section(path)
    return found[0] if found else None


def _host_seeds(site: Site, scope: _Scope, section: str | None, asset_names: Iterable[str]) -> list[str]:
    """The seeds of one host: with section hosts, ``section``'s (None: the base domain's); else the whole
    site's."""
    home = scope.seed("/" if section is None else f"/{section}/")  # also the folder of the crawler files
    routes = [home]
    on_host = listings.EVERY_SECTION if site.hosts is None else section
    routes.extend(scope.seed(path, section) for path, _ in syndication.sitemap_paths(site, on_host))
    with site.db.session() as s:
        listing_paths = ["/", *(listing.path for listing in site.listings_all(s))]
        watch_paths = [listing.path for listing in site.watch_listings(s)]
    if section is None:  # watches live on the base domain
        routes.extend(scope.seed(path) for path in watch_paths)
        listing_paths.extend(watch_paths)
    if site.hosts is not None:  # a host's own listings: its section's, or all the others on the base domain
        listing_paths = [p for p in listing_paths if _section_of(site.hosts, p) == section]
    routes.extend(scope.seed(f"{path}feed.{fmt}") for path in listing_paths for fmt in syndication.FORMATS)
    routes.extend(home + name for name in ["sitemap.xml", "sitemap-news.xml", "robots.txt"])
    routes.extend(f"{home}assets/{name}" for name in asset_names)
    return list(dict.fromkeys(routes))


async def _render_all(
    app: object, seeds: list[str], scope: _Scope, report: BuildReport, concurrency: int
) -> dict[str, bytes]:
    """Request every seed and every internal link found on the way; file → body."""
    bodies: dict[str, bytes] = {}
    seen: set[str] = set()
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    skipped: set[str] = set()
    failures: list[BaseException] = []

    def enqueue(route: str, referrer: str) -> None:
        if route in seen:
            return
        seen.add(route)
        queue.put_nowait((route, referrer))

    for route in seeds:
        enqueue(route, "(store)")

    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://gazette.build") as client:

        async def worker() -> None:
            while True:
                route, referrer = await queue.get()
                try:
                    await fetch(route, referrer)
                except Exception as exc:  # keep the queue draining; the build fails below
                    logger.error("rendering %s failed: %s", route, exc, extra={"path": route})
                    failures.append(exc)
                finally:
                    queue.task_done()

        async def fetch(route: str, referrer: str) -> None:
            target = route_file(route)
            host, path = split_route(route)
            if target is None or _is_live_only(path):
                skipped.add(route)
                return
            response = await client.get(path, headers={"host": host} if host else None)
            if response.status_code != 200:
                report.broken.append(BrokenLink(route, response.status_code, referrer))
                return
            bodies[target] = response.content
            if response.headers.get("content-type", "").startswith("text/html"):
                for href in links_in(response.text):
                    found = scope.route_of(href, route)
                    if found is None:
                        continue
                    linked, query = found
                    if query:
                        skipped.add(f"{linked}?{query}")  # one file serves every query (e.g. ?view=print)
                    enqueue(linked, route)

        workers = [asyncio.create_task(worker()) for _ in range(max(1, concurrency))]
        try:
            await queue.join()
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        if failures:
            raise BuildError(f"rendering failed: {failures[0]}") from failures[0]

        # The error page a static host shows for a missing file: the app's own 404 page (in each host's folder).
        missing = await client.get("/content/0000/00/00/missing.html")
        if missing.status_code == 404 and missing.headers.get("content-type", "").startswith("text/html"):
            for folder in host_folders(bodies, scope):
                bodies[folder + NOT_FOUND_PAGE.lstrip("/")] = missing.content
    report.skipped = sorted(skipped)
    return bodies


def host_folders(files: Iterable[str], scope: _Scope) -> list[str]:
    """The folder prefix of each host in a build: ``""`` on a single host, ``"<host>/"`` per section host."""
    if scope.hosts is None:
        return [""]
    return sorted({rel.split("/", 1)[0] + "/" for rel in files if "/" in rel})


def _run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion, also when the caller's thread already runs an event loop (a
    notebook, Playwright's sync API): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gazette-build") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def build_site(
    settings: Settings,
    db: Database,
    outdir: str | os.PathLike[str],
    *,
    base_url: str | None = None,
    search_url: str | None = None,
    concurrency: int = CONCURRENCY,
) -> BuildReport:
    """Render the whole site into ``outdir``, writing only files whose bytes changed and removing stale ones.

    ``base_url`` (default ``settings.site.base_url``) is the public address used in feeds, sitemaps and
    canonical links. ``search_url`` is a live server's search page (e.g. ``https://news.example/search``);
    without it the static pages carry no search form, since a static host cannot answer one.
    """
    if base_url:
        settings = dataclasses.replace(
            settings, site=dataclasses.replace(settings.site, base_url=base_url.rstrip("/"))
        )
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise BuildError(f"{out} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create {out}: {exc.strerror or exc}") from exc

    app = create_app(settings, db)
    site = Site(settings, db, static=True, search_url=search_url or None)
    app.state.site = site  # the same routes, rendering static pages: no search form or API link
    report = BuildReport(out)
    # Only the fingerprinted names: they are what pages link, and what _headers caches for a year.
    seeds = seed_routes(site, asset_fingerprints().values())
    scope = _Scope(site.base_url, site.hosts)
    bodies = _run_coroutine(lambda: _render_all(app, seeds, scope, report, concurrency))
    for folder in host_folders(list(bodies), scope):
        bodies[folder + HEADERS_FILE] = headers_file(site.search_url).encode("utf-8")
    base_folder = "" if site.hosts is None else site.hosts.base_domain + "/"
    for rel, body in story_redirects(site).items():
        bodies.setdefault(base_folder + rel, body)  # a page the app really serves at that path wins
    report.broken.sort(key=lambda b: (b.path, b.referrer))

    previous = read_manifest(out)
    manifest: dict[str, str] = {}
    for rel in sorted(bodies):
        body = bodies[rel]
        digest = hashlib.sha256(body).hexdigest()
        manifest[rel] = digest
        target = out / rel
        if previous.get(rel) == digest and target.is_file():
            report.unchanged.append(rel)
            continue
        if target.is_file() and target.read_bytes() == body:
            report.unchanged.append(rel)  # already right on disk (e.g. a first build over a copy)
            continue
        try:
            _write_atomic(target, body)
        except OSError as exc:
            raise BuildError(f"cannot write {target}: {exc}") from exc
        report.written.append(rel)
    for rel in sorted(set(previous) - set(manifest)):
        if not _removable(rel):
            continue  # a manifest entry that does not name a file under the folder: never delete it
        stale = out / rel
        try:
            stale.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise BuildError(f"cannot remove {stale}: {exc}") from exc
        report.removed.append(rel)
        _prune_empty_dirs(out, stale.parent)
    record = {"version": MANIFEST_VERSION, "base_url": site.base_url, "files": manifest}
    _write_atomic(out / MANIFEST, (json.dumps(record, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    logger.info(
        "static build in %s: %s",
        out,
        report.summary(),
        extra={"outdir": str(out), "broken": len(report.broken)},
    )
    return report
