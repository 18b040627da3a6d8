"""The demo corpus: fictional news articles and their sources, read from package data.

Each article is one text file under ``data/articles/<source-slug>/<slug>.txt``: ``key: value`` header lines,
a blank line, then body paragraphs separated by blank lines. Header keys: ``title``, ``author``,
``published`` (ISO 8601 with offset, or ``none``), ``section`` (taxonomy slug), ``language``, optional
``story`` (a shared key for articles about the same event) and ``flags`` (comma separated: ``cp1252``,
``hostile``, ``twofeeds``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources

from gazette.errors import ConfigError

logger = logging.getLogger(__name__)

REQUIRED_KEYS = ("title", "author", "published", "section", "language")
KNOWN_FLAGS = frozenset({"cp1252", "hostile", "twofeeds"})


@dataclass(frozen=True)
class FeedSpec:
    """One feed a source publishes: a path under the source prefix, a format and a declared section."""

    path: str
    format: str  # "rss" | "atom" | "json"
    section: str | None
    title: str


@dataclass(frozen=True)
class Source:
    """A demo publisher: name, URL prefix (its slug), language and feeds."""

    slug: str
    name: str
    language: str
    country: str | None
    tagline: str
    feeds: tuple[FeedSpec, ...]


@dataclass(frozen=True)
class CorpusArticle:
    """One article as written in the data files (URLs are added by the publisher)."""

    source: str  # source slug
    slug: str
    title: str
    author: str
    published: datetime | None
    section: str
    language: str
    paragraphs: tuple[str, ...]
    story: str | None = None
    flags: frozenset[str] = field(default_factory=frozenset)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return len(self.text.split())


def _data_dir() -> resources.abc.Traversable:
    return resources.files("gazette.demo").joinpath("data")


def parse_article(source: str, slug: str, raw: str) -> CorpusArticle:
    """Parse one article file; raise ``ConfigError`` naming the file when it is malformed."""
    head, sep, body = raw.replace("\r\n", "\n").partition("\n\n")
    if not sep:
        raise ConfigError(f"demo article {source}/{slug}: no blank line after the header")
    meta: dict[str, str] = {}
    for line in head.splitlines():
        key, colon, value = line.partition(":")
        if not colon:
            raise ConfigError(f"demo article {source}/{slug}: bad header line {line!r}")
        meta[key.strip()] = value.strip()
    missing = [k for k in REQUIRED_KEYS if not meta.get(k)]
    if missing:
        raise ConfigError(f"demo article {source}/{slug}: missing {', '.join(missing)}")
    published = None if meta["published"] == "none" else datetime.fromisoformat(meta["published"])
    if published is not None and published.tzinfo is None:
        raise ConfigError(f"demo article {source}/{slug}: published date needs an offset")
    flags = frozenset(f.strip() for f in meta.get("flags", "").split(",") if f.strip())
    if flags - KNOWN_FLAGS:
        raise ConfigError(f"demo article {source}/{slug}: unknown flags {sorted(flags - KNOWN_FLAGS)}")
    paragraphs = tuple(" ".join(p.split()) for p in body.split("\n\n") if p.strip())
    return CorpusArticle(
        source=source,
        slug=slug,
        title=meta["title"],
        author=meta["author"],
        published=published,
        section=meta["section"],
        language=meta["language"],
        paragraphs=paragraphs,
        story=meta.get("story") or None,
        flags=flags,
    )


@cache
def load_sources() -> tuple[Source, ...]:
    """The demo sources, in the order of ``data/sources.json``."""
    raw = json.loads(_data_dir().joinpath("sources.json").read_text(encoding="utf-8"))
    return tuple(
        Source(
            slug=s["slug"],
            name=s["name"],
            language=s["language"],
            country=s.get("country"),
            tagline=s.get("tagline", ""),
            feeds=tuple(FeedSpec(f["path"], f["format"], f.get("section"), f["title"]) for f in s["feeds"]),
        )
        for s in raw
    )


@cache
def load_corpus() -> tuple[CorpusArticle, ...]:
    """Every demo article, newest first (undated ones last), read with importlib.resources."""
    articles: list[CorpusArticle] = []
    root = _data_dir().joinpath("articles")
    for source in load_sources():
        folder = root.joinpath(source.slug)
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".txt"):
                raw = entry.read_text(encoding="utf-8")
                articles.append(parse_article(source.slug, entry.name[: -len(".txt")], raw))
    articles.sort(key=lambda a: (a.published is None, -(a.published.timestamp() if a.published else 0)))
    logger.debug("demo corpus: %d articles", len(articles))
    return tuple(articles)
