"""Demo publisher: every response it serves, rendered once for one base URL.

Article pages look like a real newspaper's: a cookie banner, a masthead with section navigation, the story
with kicker, byline, ``<time>`` and OpenGraph/JSON-LD metadata, then related links, a newsletter box and a
footer, so extraction has chrome to strip. Three pages are awkward on purpose: one is Windows-1252 with no
charset anywhere, one carries a script, an ``onerror`` handler and a ``javascript:`` link, and one has no
date at all (no ``<time>``, no metadata, no ``Last-Modified``, no year anywhere).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from urllib.parse import urlsplit

from gazette.demo.corpus import CorpusArticle, FeedSpec, Source, load_corpus, load_sources
from gazette.demo.feed_documents import FeedDocument, FeedItem, render_feed, render_opml
from gazette.errors import ConfigError

TRACKING_QUERY = "utm_source={feed}&utm_medium=rss&utm_campaign=section-feed"

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


@dataclass(frozen=True)
class Chrome:
    """The words around an article in one language."""

    cookie: str
    accept: str
    related: str
    subscribe: str
    by: str
    footer: str
    latest: str
    locale: str
    months: tuple[str, ...]


CHROME = {
    "en": Chrome(
        cookie="We use cookies to measure our audience and to keep you signed in. "
        "By continuing you accept our cookie policy.",
        accept="Accept all cookies",
        related="More from the newsroom",
        subscribe="Subscribe to our morning newsletter for the day's top stories.",
        by="By",
        footer="All rights reserved. Contact the newsroom · Advertise · Privacy · Terms of use",
        latest="Latest stories",
        locale="en_US",
        months=(
            "January", "February", "March", "April", "May", "June",
            "July", "August", "September", "October", "November", "December",
        ),
    ),
    "es": Chrome(
        cookie="Usamos cookies para medir la audiencia y mantener su sesión. "
        "Si continúa navegando, acepta nuestra política de cookies.",
        accept="Aceptar todas",
        related="Más noticias",
        subscribe="Suscríbase a nuestro boletín matutino con las noticias del día.",
        by="Por",
        footer="Todos los derechos reservados. Contacto · Publicidad · Privacidad · Términos de uso",
        latest="Últimas noticias",
        locale="es_CO",
        months=(
            "enero", "febrero", "marzo", "abril", "mayo", "junio",
            "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
        ),
    ),
}  # fmt: skip
SITE_CSS = (
    "body{font-family:Georgia,serif;margin:0 auto;max-width:46rem;padding:0 1rem}"
    ".cookie-banner{position:fixed;bottom:0;left:0;right:0;background:#222;color:#fff;padding:.5rem}"
    ".masthead ul,.site-footer{font-family:sans-serif;font-size:.85rem}.masthead li{display:inline;margin-right:.6rem}"
    ".byline,.kicker{font-family:sans-serif;color:#555}.related,.newsletter{border-top:1px solid #ccc}\n"
)


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


@dataclass(frozen=True)
class Page:
    """One rendered response (the server adds ``ETag`` and, when known, ``Last-Modified``)."""

    content_type: str
    body: bytes
    last_modified: datetime | None = None

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


def article_path(a: CorpusArticle) -> str:
    """The page path: no date in it, since the undated article must carry no date anywhere."""
    return f"/{a.source}/news/{a.slug}.html"


def feed_path(source: Source, spec: FeedSpec) -> str:
    return f"/{source.slug}/{spec.path}"


def human_date(dt: datetime, language: str) -> str:
    """The date as the byline prints it, in the page's language."""
    month = CHROME[language].months[dt.month - 1]
    if language == "es":
        return f"{dt.day} de {month} de {dt.year}, {dt:%H:%M}"
    hour = dt.hour % 12 or 12
    return f"{month} {dt.day}, {dt.year}, {hour}:{dt:%M} {'a.m.' if dt.hour < 12 else 'p.m.'}"


def _json_ld(data: dict[str, object]) -> str:
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def inject_hostile(texts: tuple[str, ...], rendered: list[str]) -> list[str]:
    """Put a script, an ``<img onerror>`` and a ``javascript:`` link into the body, where extraction keeps them.

    The visible text is unchanged: the link wraps the last sentence of the second paragraph and the image
    has no text, so ``DemoArticle.text`` still matches what a reader sees.
    """
    out = list(rendered)
    index = 1 if len(texts) > 1 else 0
    second = texts[index]
    head, dot, tail = second[:-1].rpartition(". ")
    link = '<a href="javascript:alert(document.cookie)">{}</a>'
    body = f"{escape(head)}. {link.format(escape(tail + second[-1]))}" if dot else link.format(escape(second))
    out[index] = (
        f'<p>{body} <img src="/static/pixel.gif" alt="" onerror="fetch(\'/steal?c=\'+document.cookie)"></p>'
    )
    out.insert(
        index + 1, "<script>document.write('<iframe src=\"//ads.example.invalid/\"></iframe>');</script>"
    )
    return out


class DemoSite:
    """Every response of the demo publisher for one base URL, keyed by path."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.sources = {s.slug: s for s in load_sources()}
        self.corpus = list(load_corpus())
        self._check()
        self.routes: dict[str, Page] = {}
        self._render()

    def _check(self) -> None:
        """Fail at start, naming the article, on a corpus the site cannot serve faithfully."""
        for a in self.corpus:
            source = self.sources[a.source]
            where = f"demo article {a.source}/{a.slug}"
            if a.section not in SECTION_LABELS["en"]:
                raise ConfigError(f"{where}: unknown section {a.section!r}")
            if a.language not in CHROME:
                raise ConfigError(f"{where}: no site chrome for language {a.language!r}")
            if a.published is None and any(f.format == "atom" for f in source.feeds):
                raise ConfigError(f"{where}: undated, but its source has an Atom feed, which needs dates")
            if "cp1252" in a.flags:
                try:
                    (a.title + a.author + a.text).encode("cp1252")
                except UnicodeEncodeError as exc:
                    raise ConfigError(f"{where}: not representable in Windows-1252: {exc}") from exc

    # -- what callers see ----------------------------------------------------------------------------------
    def feeds(self) -> list[DemoFeed]:
        return [
            DemoFeed(self.base_url + feed_path(s, f), s.name, f.section)
            for s in self.sources.values()
            for f in s.feeds
        ]

    def articles(self) -> list[DemoArticle]:
        return [
            DemoArticle(
                url=self.base_url + article_path(a),
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
        return render_opml(list(self.sources.values()), self.base_url, datetime.now(UTC))

    # -- rendering -------------------------------------------------------------------------------------------
    def _render(self) -> None:
        robots = f"User-agent: *\nDisallow: /private/\nAllow: /\n\nSitemap: {self.base_url}/sitemap.xml\n"
        self.routes["/robots.txt"] = Page("text/plain; charset=utf-8", robots.encode())
        self.routes["/opml.xml"] = Page("text/x-opml; charset=utf-8", self.opml().encode())
        self.routes["/sitemap.xml"] = Page("application/xml; charset=utf-8", self._sitemap().encode())
        self.routes["/static/site.css"] = Page("text/css; charset=utf-8", SITE_CSS.encode())
        self.routes["/private/"] = Page(
            "text/html; charset=utf-8", b"<!doctype html><title>Staff only</title><p>Staff only.</p>\n"
        )
        index = "".join(f'<li><a href="/{s.slug}/">{escape(s.name)}</a></li>' for s in self.sources.values())
        self.routes["/"] = Page(
            "text/html; charset=utf-8",
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo publishers</title>'
            f"</head><body><h1>Demo publishers</h1><ul>{index}</ul></body></html>\n".encode(),
        )
        for source in self.sources.values():
            own = [a for a in self.corpus if a.source == source.slug]
            self.routes[f"/{source.slug}/"] = self._listing(source, source.name, own)
            for section, label in SECTION_LABELS[source.language].items():
                filed = [a for a in own if a.section == section]
                self.routes[f"/{source.slug}/{section}/"] = self._listing(source, label, filed)
            for spec in source.feeds:
                self.routes[feed_path(source, spec)] = self._feed(source, spec)
        for a in self.corpus:
            self.routes[article_path(a)] = self._article(a)

    def _chrome(self, source: Source, lang: str, head: list[str], main: str, charset: bool = True) -> str:
        """A whole page: the source's banner, masthead, navigation and footer around ``main``."""
        chrome = CHROME[lang]
        nav = "".join(
            f'<li><a href="/{source.slug}/{slug}/">{escape(label)}</a></li>'
            for slug, label in SECTION_LABELS[lang].items()
        )
        return "\n".join(
            [
                "<!doctype html>",
                f'<html lang="{lang}">',
                "<head>",
                '<meta charset="utf-8">' if charset else "",
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                *head,
                '<link rel="stylesheet" href="/static/site.css">',
                "</head>",
                "<body>",
                f'<div class="cookie-banner" role="dialog"><p>{escape(chrome.cookie)}</p>'
                f"<button>{escape(chrome.accept)}</button></div>",
                f'<header class="masthead"><a class="logo" href="/{source.slug}/">{escape(source.name)}</a>'
                f'<nav class="sections"><ul>{nav}</ul></nav></header>',
                '<main id="content">',
                main,
                "</main>",
                f'<footer class="site-footer"><p>&copy; {escape(source.name)}. {escape(chrome.footer)}</p>'
                "</footer>",
                "</body>",
                "</html>",
                "",
            ]
        )

    def _listing(self, source: Source, title: str, articles: list[CorpusArticle]) -> Page:
        items = []
        for a in articles:
            when = ""
            if a.published is not None:
                when = f' <time datetime="{a.published.isoformat()}">{human_date(a.published, a.language)}</time>'
            items.append(f'<li><a href="{article_path(a)}">{escape(a.title)}</a>{when}</li>')
        main = (
            f"<h1>{escape(title)}</h1><p>{escape(source.tagline)}</p>"
            f'<section class="latest"><h2>{escape(CHROME[source.language].latest)}</h2>'
            f"<ul>{''.join(items)}</ul></section>"
        )
        html = self._chrome(source, source.language, [f"<title>{escape(title)}</title>"], main)
        dates = [a.published for a in articles if a.published is not None]
        return Page("text/html; charset=utf-8", html.encode("utf-8"), max(dates) if dates else None)

    def _related(self, a: CorpusArticle) -> list[CorpusArticle]:
        own = [b for b in self.corpus if b.source == a.source and b.slug != a.slug]
        same = [b for b in own if b.section == a.section]
        return (same + [b for b in own if b not in same])[:3]

    def _article(self, a: CorpusArticle) -> Page:
        source = self.sources[a.source]
        chrome = CHROME[a.language]
        label = SECTION_LABELS[a.language][a.section]
        url = self.base_url + article_path(a)
        cp1252 = "cp1252" in a.flags
        first = a.paragraphs[0]
        summary = escape(first if len(first) <= 180 else first[:180].rsplit(" ", 1)[0] + "…")
        ld: dict[str, object] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "author": {"@type": "Person", "name": a.author},
            "publisher": {"@type": "Organization", "name": source.name},
            "mainEntityOfPage": url,
            "articleSection": label,
            "inLanguage": a.language,
        }
        head = [
            f"<title>{escape(a.title)} | {escape(source.name)}</title>",
            f'<link rel="canonical" href="{escape(url)}">',
            f'<meta name="description" content="{summary}">',
            f'<meta name="author" content="{escape(a.author)}">',
            '<meta property="og:type" content="article">',
            f'<meta property="og:title" content="{escape(a.title)}">',
            f'<meta property="og:url" content="{escape(url)}">',
            f'<meta property="og:site_name" content="{escape(source.name)}">',
            f'<meta property="og:locale" content="{chrome.locale}">',
            f'<meta property="og:description" content="{summary}">',
            f'<meta property="article:section" content="{escape(label)}">',
        ]
        byline = f'{chrome.by} <a rel="author" href="/{a.source}/">{escape(a.author)}</a>'
        if a.published is not None:
            iso = a.published.isoformat()
            ld["datePublished"] = iso
            head.append(f'<meta property="article:published_time" content="{iso}">')
            byline += f' <span class="sep">|</span> <time datetime="{iso}">{human_date(a.published, a.language)}</time>'
        head.append(_json_ld(ld))
        paragraphs = [f"<p>{escape(p)}</p>" for p in a.paragraphs]
        if "hostile" in a.flags:
            paragraphs = inject_hostile(a.paragraphs, paragraphs)
        related = "".join(
            f'<li><a href="{article_path(b)}">{escape(b.title)}</a></li>' for b in self._related(a)
        )
        main = "\n".join(
            [
                '<article class="story">',
                f'<p class="kicker"><a href="/{a.source}/{a.section}/">{escape(label)}</a></p>',
                f"<h1>{escape(a.title)}</h1>",
                f'<p class="byline">{byline}</p>',
                '<div class="story-body">',
                *paragraphs,
                "</div>",
                "</article>",
                f'<aside class="related"><h2>{escape(chrome.related)}</h2><ul>{related}</ul></aside>',
                f'<aside class="newsletter"><p>{escape(chrome.subscribe)}</p></aside>',
            ]
        )
        html = self._chrome(source, a.language, head, main, charset=not cp1252)
        if cp1252:
            # Windows-1252 bytes and no charset anywhere: neither in the header nor in the page.
            return Page("text/html", html.encode("cp1252"), a.published)
        return Page("text/html; charset=utf-8", html.encode("utf-8"), a.published)

    def _feed_items(self, source: Source, spec: FeedSpec) -> list[FeedItem]:
        """The items of one feed.

        A section feed lists that section's articles; the main feed lists the others plus the ``twofeeds``
        article, which is therefore in two feeds: in the section feed with ``utm_*`` parameters and another GUID.
        """
        own = [a for a in self.corpus if a.source == source.slug]
        covered = {f.section for f in source.feeds if f.section is not None}
        labels = SECTION_LABELS[source.language]
        items = []
        for a in own:
            if spec.section is not None:
                if a.section != spec.section:
                    continue
                tracked = "twofeeds" in a.flags
            elif a.section in covered and "twofeeds" not in a.flags:
                continue
            else:
                tracked = False
            url = self.base_url + article_path(a)
            if tracked:
                tag = spec.path.split("/")[0]
                items.append(
                    FeedItem(
                        a,
                        f"{url}?{TRACKING_QUERY.format(feed=tag)}",
                        f"{a.source}:{tag}:{a.slug}",
                        labels[a.section],
                    )
                )
            else:
                items.append(FeedItem(a, url, f"{a.source}:{a.slug}", labels[a.section]))
        return items

    def _feed(self, source: Source, spec: FeedSpec) -> Page:
        items = self._feed_items(source, spec)
        dates = [i.article.published for i in items if i.article.published is not None]
        updated = max(dates) if dates else datetime(2026, 11, 1, tzinfo=UTC)
        doc = FeedDocument(
            source=source,
            spec=spec,
            self_url=self.base_url + feed_path(source, spec),
            home_url=f"{self.base_url}/{source.slug}/",
            updated=updated,
            host=urlsplit(self.base_url).hostname or "localhost",
        )
        label = SECTION_LABELS[source.language][spec.section] if spec.section else None
        content_type, body = render_feed(doc, items, label)
        return Page(content_type, body.encode("utf-8"), updated)

    def _sitemap(self) -> str:
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        ]
        for a in self.corpus:
            lastmod = f"<lastmod>{a.published.isoformat()}</lastmod>" if a.published else ""
            out.append(f"<url><loc>{escape(self.base_url + article_path(a))}</loc>{lastmod}</url>")
        out += ["</urlset>", ""]
        return "\n".join(out)
