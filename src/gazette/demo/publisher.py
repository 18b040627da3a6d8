"""A local demo publisher on 127.0.0.1: three sources' feeds, article pages, robots.txt and an OPML list.

``gazette demo`` starts it, subscribes to :meth:`DemoPublisher.feeds` and ingests it over real HTTP, so
the whole pipeline (fetcher, feed parsing, extraction, enrichment, store) meets the things real sites do:
site chrome around the article, a Windows-1252 page without any charset, an article listed twice (once with
tracking parameters), a page without any date, hostile markup, and conditional GETs answered with 304.
Everything is rendered once at :meth:`DemoPublisher.start` (the port is part of every absolute URL).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit
from xml.sax.saxutils import quoteattr

from gazette.demo.corpus import CorpusArticle, FeedSpec, Source, load_corpus, load_sources
from gazette.errors import GazetteError

logger = logging.getLogger(__name__)

TRACKING_QUERY = "utm_source={feed}&utm_medium=rss&utm_campaign=section-feed"
ROBOTS_TXT = "User-agent: *\nDisallow: /private/\nAllow: /\n"

SECTION_LABELS = {
    "en": {
        "politics-government": "Politics",
        "business-finance": "Business",
        "science-technology": "Science & Tech",
        "health": "Health",
        "sports": "Sport",
        "arts-entertainment": "Culture",
        "crime-justice": "Courts & Crime",
        "conflict-security": "Security",
        "environment": "Environment",
        "society": "Society",
    },
    "es": {
        "politics-government": "Política",
        "business-finance": "Economía",
        "science-technology": "Ciencia y Tecnología",
        "health": "Salud",
        "sports": "Deportes",
        "arts-entertainment": "Cultura",
        "crime-justice": "Justicia",
        "conflict-security": "Seguridad",
        "environment": "Medio ambiente",
        "society": "Sociedad",
    },
}
CHROME = {
    "en": {
        "cookie": "We use cookies to measure our audience and to keep you signed in. "
        "By continuing you accept our cookie policy.",
        "accept": "Accept all cookies",
        "related": "More from the newsroom",
        "subscribe": "Subscribe to our morning newsletter for the day's top stories.",
        "by": "By",
        "footer": "All rights reserved. Contact the newsroom · Advertise · Privacy · Terms of use",
        "locale": "en_US",
        "months": [
            "January", "February", "March", "April", "May", "June",
            "July", "August", "September", "October", "November", "December",
        ],
    },
    "es": {
        "cookie": "Usamos cookies para medir la audiencia y mantener su sesión. "
        "Si continúa navegando, acepta nuestra política de cookies.",
        "accept": "Aceptar todas",
        "related": "Más noticias",
        "subscribe": "Suscríbase a nuestro boletín matutino con las noticias del día.",
        "by": "Por",
        "footer": "Todos los derechos reservados. Contacto · Publicidad · Privacidad · Términos de uso",
        "locale": "es_CO",
        "months": [
            "enero", "febrero", "marzo", "abril", "mayo", "junio",
            "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
        ],
    },
}  # fmt: skip


@dataclass
class DemoFeed:
    """A feed to subscribe to: absolute URL, the source's name, and the section it declares (if any)."""

    url: str
    source: str
    section: str | None


@dataclass
class DemoArticle:
    """One article as the publisher serves it (``url`` is the canonical, absolute page URL)."""

    url: str
    title: str
    source: str
    section: str
    language: str
    published: datetime | None
    text: str
    author: str = ""
    story: str | None = None
    encoding: str = "utf-8"


@dataclass
class _Response:
    status: int
    content_type: str
    body: bytes
    last_modified: datetime | None = None

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


def _article_path(a: CorpusArticle) -> str:
    # No date in the path: the undated article must carry no date anywhere.
    return f"/{a.source}/news/{a.slug}.html"


def _feed_path(source: Source, feed: FeedSpec) -> str:
    return f"/{source.slug}/{feed.path}"


def _human_date(dt: datetime, language: str) -> str:
    month = CHROME[language]["months"][dt.month - 1]
    if language == "es":
        return f"{dt.day} de {month} de {dt.year}, {dt:%H:%M}"
    hour = dt.hour % 12 or 12
    return f"{month} {dt.day}, {dt.year}, {hour}:{dt:%M} {'a.m.' if dt.hour < 12 else 'p.m.'}"


def _feed_items(
    source: Source, feed: FeedSpec, corpus: list[CorpusArticle]
) -> list[tuple[CorpusArticle, bool]]:
    """The articles of one feed; the flag says the link carries tracking parameters and another GUID.

    A section feed lists that section's articles; the main feed lists the rest, plus the one ``twofeeds``
    article, which is therefore in two feeds (in the section feed with ``utm_*`` parameters).
    """
    own = [a for a in corpus if a.source == source.slug]
    if feed.section is not None:
        return [(a, "twofeeds" in a.flags) for a in own if a.section == feed.section]
    covered = {f.section for f in source.feeds if f.section is not None}
    return [(a, False) for a in own if a.section not in covered or "twofeeds" in a.flags]


class _Site:
    """Renders every response for one base URL."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.sources = {s.slug: s for s in load_sources()}
        self.corpus = list(load_corpus())
        self.routes: dict[str, _Response] = {}
        self._render()

    # -- public views -------------------------------------------------------------------------------
    def feeds(self) -> list[DemoFeed]:
        return [
            DemoFeed(self.base_url + _feed_path(s, f), s.name, f.section)
            for s in self.sources.values()
            for f in s.feeds
        ]

    def articles(self) -> list[DemoArticle]:
        return [
            DemoArticle(
                url=self.base_url + _article_path(a),
                title=a.title,
                source=self.sources[a.source].name,
                section=a.section,
                language=a.language,
                published=a.published,
                text=a.text,
                author=a.author,
                story=a.story,
                encoding="cp1252" if "cp1252" in a.flags else "utf-8",
            )
            for a in self.corpus
        ]

    def opml(self) -> str:
        now = format_datetime(datetime.now(UTC), usegmt=True)
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<opml version="2.0">',
            f"  <head><title>Gazette demo feeds</title><dateCreated>{now}</dateCreated></head>",
            "  <body>",
        ]
        for s in self.sources.values():
            out.append(f"    <outline text={quoteattr(s.name)} title={quoteattr(s.name)}>")
            for f in s.feeds:
                attrs = {
                    "type": "rss",
                    "text": s.name,
                    "title": f.title,
                    "xmlUrl": self.base_url + _feed_path(s, f),
                    "htmlUrl": f"{self.base_url}/{s.slug}/",
                    "language": s.language,
                }
                if f.section:
                    attrs["category"] = f.section
                out.append(
                    "      <outline " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + "/>"
                )
            out.append("    </outline>")
        out += ["  </body>", "</opml>", ""]
        return "\n".join(out)

    # -- rendering ------------------------------------------------------------------------------------
    def _render(self) -> None:
        self.routes["/robots.txt"] = _Response(200, "text/plain; charset=utf-8", ROBOTS_TXT.encode())
        self.routes["/opml.xml"] = _Response(200, "text/x-opml; charset=utf-8", self.opml().encode())
        self.routes["/private/"] = _Response(
            200, "text/html; charset=utf-8", b"<!doctype html><title>Staff only</title><p>Staff only.</p>"
        )
        self.routes["/"] = self._page(
            "Demo publishers",
            "".join(f'<li><a href="/{s.slug}/">{escape(s.name)}</a></li>' for s in self.sources.values()),
        )
        for source in self.sources.values():
            own = [a for a in self.corpus if a.source == source.slug]
            items = "".join(f'<li><a href="{_article_path(a)}">{escape(a.title)}</a></li>' for a in own)
            self.routes[f"/{source.slug}/"] = self._page(
                source.name, f"<p>{escape(source.tagline)}</p><ul>{items}</ul>"
            )
            for feed in source.feeds:
                self.routes[_feed_path(source, feed)] = self._feed(source, feed)
        for a in self.corpus:
            self.routes[_article_path(a)] = self._article(a)

    def _page(self, title: str, body: str) -> _Response:
        html = f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>{body}</body></html>'
        return _Response(200, "text/html; charset=utf-8", html.encode("utf-8"))

    def _related(self, a: CorpusArticle) -> list[CorpusArticle]:
        own = [b for b in self.corpus if b.source == a.source and b.slug != a.slug]
        same = [b for b in own if b.section == a.section]
        return (same + [b for b in own if b not in same])[:3]

    def _article(self, a: CorpusArticle) -> _Response:
        source = self.sources[a.source]
        lang = a.language
        chrome = CHROME[lang]
        labels = SECTION_LABELS[lang]
        url = self.base_url + _article_path(a)
        cp1252 = "cp1252" in a.flags
        meta = [
            "" if cp1252 else '<meta charset="utf-8">',
            f"<title>{escape(a.title)} | {escape(source.name)}</title>",
            f'<link rel="canonical" href="{escape(url)}">',
            f'<meta name="description" content="{escape(a.paragraphs[0][:180])}">',
            f'<meta name="author" content="{escape(a.author)}">',
            '<meta property="og:type" content="article">',
            f'<meta property="og:title" content="{escape(a.title)}">',
            f'<meta property="og:url" content="{escape(url)}">',
            f'<meta property="og:site_name" content="{escape(source.name)}">',
            f'<meta property="og:locale" content="{chrome["locale"]}">',
            f'<meta property="og:description" content="{escape(a.paragraphs[0][:180])}">',
            f'<meta property="article:section" content="{escape(labels[a.section])}">',
        ]
        byline = f'{chrome["by"]} <a rel="author" href="/{a.source}/authors/">{escape(a.author)}</a>'
        if a.published is not None:
            iso = a.published.isoformat()
            meta.append(f'<meta property="article:published_time" content="{iso}">')
            byline += (
                f' <span class="sep">|</span> <time datetime="{iso}">{_human_date(a.published, lang)}</time>'
            )
        paragraphs = [f"<p>{escape(p)}</p>" for p in a.paragraphs]
        if "hostile" in a.flags:
            paragraphs = _inject_hostile(a.paragraphs, paragraphs)
        nav = "".join(
            f'<li><a href="/{a.source}/{slug}/">{escape(label)}</a></li>' for slug, label in labels.items()
        )
        related = "".join(
            f'<li><a href="{_article_path(b)}">{escape(b.title)}</a></li>' for b in self._related(a)
        )
        html = "\n".join(
            [
                "<!doctype html>",
                f'<html lang="{lang}">',
                "<head>",
                *meta,
                '<link rel="stylesheet" href="/static/site.css">',
                "</head>",
                "<body>",
                f'<div class="cookie-banner" role="dialog"><p>{escape(chrome["cookie"])}</p>'
                f"<button>{escape(chrome['accept'])}</button></div>",
                f'<header class="masthead"><a class="logo" href="/{a.source}/">{escape(source.name)}</a>'
                f'<nav class="sections"><ul>{nav}</ul></nav></header>',
                '<main id="content">',
                '<article class="story">',
                f'<p class="kicker"><a href="/{a.source}/{a.section}/">{escape(labels[a.section])}</a></p>',
                f"<h1>{escape(a.title)}</h1>",
                f'<p class="byline">{byline}</p>',
                '<div class="story-body">',
                *paragraphs,
                "</div>",
                "</article>",
                f'<aside class="related"><h2>{escape(chrome["related"])}</h2><ul>{related}</ul></aside>',
                f'<aside class="newsletter"><p>{escape(chrome["subscribe"])}</p></aside>',
                "</main>",
                f'<footer class="site-footer"><p>&copy; {escape(source.name)}. {escape(chrome["footer"])}</p></footer>',
                "</body>",
                "</html>",
                "",
            ]
        )
        if cp1252:
            # Windows-1252 bytes and no charset anywhere: neither in the header nor in the page.
            return _Response(200, "text/html", html.encode("cp1252"), last_modified=a.published)
        return _Response(200, "text/html; charset=utf-8", html.encode("utf-8"), last_modified=a.published)

    def _feed(self, source: Source, feed: FeedSpec) -> _Response:
        items = _feed_items(source, feed, self.corpus)
        dates = [a.published for a, _ in items if a.published is not None]
        last = max(dates) if dates else datetime(2026, 11, 1, tzinfo=UTC)
        render = {"rss": self._rss, "atom": self._atom, "json": self._json_feed}[feed.format]
        content_type, body = render(source, feed, items, last)
        return _Response(200, content_type, body.encode("utf-8"), last_modified=last)

    def _item_link(self, a: CorpusArticle, tracked: bool, feed: FeedSpec) -> tuple[str, str]:
        """The (link, guid) of one feed item."""
        url = self.base_url + _article_path(a)
        if tracked:
            tag = feed.path.split("/")[0]
            return f"{url}?{TRACKING_QUERY.format(feed=tag)}", f"{a.source}:{tag}:{a.slug}"
        return url, f"{a.source}:{a.slug}"

    def _rss(
        self, source: Source, feed: FeedSpec, items: list[tuple[CorpusArticle, bool]], last: datetime
    ) -> tuple[str, str]:
        labels = SECTION_LABELS[source.language]
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">',
            "<channel>",
            f"<title>{escape(feed.title)}</title>",
            f"<link>{self.base_url}/{source.slug}/</link>",
            f'<atom:link href="{self.base_url}{_feed_path(source, feed)}" rel="self" type="application/rss+xml"/>',
            f"<description>{escape(source.tagline)}</description>",
            f"<language>{source.language}</language>",
            f"<lastBuildDate>{format_datetime(last.astimezone(UTC), usegmt=True)}</lastBuildDate>",
        ]
        if feed.section:
            out.append(f"<category>{escape(labels[feed.section])}</category>")
        for a, tracked in items:
            link, guid = self._item_link(a, tracked, feed)
            out += [
                "<item>",
                f"<title>{escape(a.title)}</title>",
                f"<link>{escape(link)}</link>",
                f'<guid isPermaLink="false">{escape(guid)}</guid>',
                f"<dc:creator>{escape(a.author)}</dc:creator>",
                f"<category>{escape(labels[a.section])}</category>",
                f"<description>{escape(a.paragraphs[0])}</description>",
            ]
            if a.published is not None:
                out.append(f"<pubDate>{format_datetime(a.published)}</pubDate>")
            out.append("</item>")
        out += ["</channel>", "</rss>", ""]
        return "application/rss+xml; charset=utf-8", "\n".join(out)

    def _atom(
        self, source: Source, feed: FeedSpec, items: list[tuple[CorpusArticle, bool]], last: datetime
    ) -> tuple[str, str]:
        labels = SECTION_LABELS[source.language]
        self_url = self.base_url + _feed_path(source, feed)
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{source.language}">',
            f"<title>{escape(feed.title)}</title>",
            f"<subtitle>{escape(source.tagline)}</subtitle>",
            f"<id>{escape(self_url)}</id>",
            f'<link rel="self" type="application/atom+xml" href="{escape(self_url)}"/>',
            f'<link rel="alternate" type="text/html" href="{self.base_url}/{source.slug}/"/>',
            f"<updated>{last.isoformat()}</updated>",
        ]
        for a, tracked in items:
            if a.published is None:
                raise GazetteError(f"demo article {a.slug}: an Atom entry needs a date")
            link, guid = self._item_link(a, tracked, feed)
            out += [
                "<entry>",
                f"<title>{escape(a.title)}</title>",
                f'<link rel="alternate" type="text/html" href="{escape(link)}"/>',
                f"<id>tag:{urlsplit(self.base_url).hostname},2026:{escape(guid)}</id>",
                f"<published>{a.published.isoformat()}</published>",
                f"<updated>{a.published.isoformat()}</updated>",
                f"<author><name>{escape(a.author)}</name></author>",
                f'<category term="{a.section}" label="{escape(labels[a.section])}"/>',
                f'<summary type="text">{escape(a.paragraphs[0])}</summary>',
                "</entry>",
            ]
        out += ["</feed>", ""]
        return "application/atom+xml; charset=utf-8", "\n".join(out)

    def _json_feed(
        self, source: Source, feed: FeedSpec, items: list[tuple[CorpusArticle, bool]], last: datetime
    ) -> tuple[str, str]:
        labels = SECTION_LABELS[source.language]
        entries = []
        for a, tracked in items:
            link, guid = self._item_link(a, tracked, feed)
            entry: dict[str, object] = {
                "id": guid,
                "url": link,
                "title": a.title,
                "summary": a.paragraphs[0],
                "content_text": a.paragraphs[0],
                "authors": [{"name": a.author}],
                "tags": [labels[a.section]],
                "language": a.language,
            }
            if a.published is not None:
                entry["date_published"] = a.published.isoformat()
            entries.append(entry)
        doc = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": feed.title,
            "home_page_url": f"{self.base_url}/{source.slug}/",
            "feed_url": self.base_url + _feed_path(source, feed),
            "description": source.tagline,
            "language": source.language,
            "items": entries,
        }
        return "application/feed+json; charset=utf-8", json.dumps(doc, ensure_ascii=False, indent=1)


def _inject_hostile(texts: tuple[str, ...], rendered: list[str]) -> list[str]:
    """Put a script, an ``<img onerror>`` and a ``javascript:`` link into the body, where extraction keeps them.

    The visible text is unchanged: the link wraps the last sentence of the second paragraph and the image
    has no text, so ``DemoArticle.text`` still matches what a reader sees.
    """
    out = list(rendered)
    second = texts[1] if len(texts) > 1 else texts[0]
    head, dot, tail = second[:-1].rpartition(". ")
    if dot:
        body = f'{escape(head)}. <a href="javascript:alert(document.cookie)">{escape(tail + second[-1])}</a>'
    else:
        body = f'<a href="javascript:alert(document.cookie)">{escape(second)}</a>'
    index = 1 if len(texts) > 1 else 0
    out[index] = (
        f'<p>{body} <img src="/static/pixel.gif" alt="" onerror="fetch(\'/steal?c=\'+document.cookie)"></p>'
    )
    out.insert(
        index + 1, "<script>document.write('<iframe src=\"//ads.example.invalid/\"></iframe>');</script>"
    )
    return out


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(head_only=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head_only=True)

    def _answer(self, head_only: bool) -> None:
        path = urlsplit(self.path).path  # tracking parameters and other queries are ignored
        response = self.server.site.routes.get(path)
        if response is None:
            self._send(404, "text/plain; charset=utf-8", b"not found\n", {}, head_only)
            return
        headers = {"ETag": response.etag, "Cache-Control": "max-age=60"}
        if response.last_modified is not None:
            headers["Last-Modified"] = format_datetime(response.last_modified.astimezone(UTC), usegmt=True)
        if self._not_modified(response):
            self._send(304, None, b"", headers, head_only=True)
            return
        self._send(response.status, response.content_type, response.body, headers, head_only)

    def _not_modified(self, response: _Response) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return response.etag in tags or "*" in tags
        ims = self.headers.get("If-Modified-Since")
        if ims and response.last_modified is not None:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return response.last_modified.replace(microsecond=0) <= since
        return False

    def _send(
        self, status: int, content_type: str | None, body: bytes, headers: dict[str, str], head_only: bool
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature is http.server's
        logger.debug("demo publisher: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: _Site


class DemoPublisher:
    """Serves the demo sources from one local HTTP server in a background thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``port=0`` picks a free port.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server (no trailing slash)."""
        return self._site.base_url

    @property
    def _site(self) -> _Site:
        if self._server is None:
            raise GazetteError("the demo publisher is not running; call start() first")
        return self._server.site

    def start(self) -> None:
        """Bind the port, render every page and feed, and serve in a daemon thread."""
        if self._server is not None:
            return
        server = _Server((self.host, self.port), _Handler)
        host, port = server.server_address[:2]
        server.site = _Site(f"http://{host}:{port}")
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="demo-publisher", daemon=True)
        self._thread.start()
        logger.info("demo publisher serving %d articles at %s", len(server.site.corpus), server.site.base_url)

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> DemoPublisher:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def feeds(self) -> list[DemoFeed]:
        """Every feed, with absolute URLs, its source's name and its declared section."""
        return self._site.feeds()

    def opml(self) -> str:
        """An OPML 2.0 document listing every feed (grouped by source; ``category`` is a section slug)."""
        return self._site.opml()

    def articles(self) -> list[DemoArticle]:
        """The corpus as served: one entry per distinct article, canonical absolute URLs."""
        return self._site.articles()
