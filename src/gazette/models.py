"""Plain data passed between pipeline stages; no stage imports another, they exchange these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class FetchedDocument:
    """A response body that passed every fetch guard."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    charset: str | None = None  # from the Content-Type header only
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # a 304 answer to a conditional GET

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class FeedEntry:
    """One item of a feed, before its page is fetched."""

    url: str
    guid: str | None = None
    title: str | None = None
    summary: str | None = None  # sanitized HTML or text from the feed
    author: str | None = None
    published_at: datetime | None = None


@dataclass
class ParsedFeed:
    """A feed's own metadata and its entries (capped)."""

    url: str
    title: str | None = None
    link: str | None = None
    language: str | None = None
    entries: list[FeedEntry] = field(default_factory=list)
    warning: str | None = None  # a recoverable parse problem (feedparser "bozo")
    # What the feed says about how often to poll it (RSS <ttl> in minutes, sy:updatePeriod/updateFrequency).
    ttl: str | None = None
    update_period: str | None = None
    update_frequency: str | None = None


@dataclass
class Locale:
    """A place an article is about, resolved to region and country."""

    name: str
    kind: str  # "country" | "region" | "city"
    country_code: str  # ISO 3166-1 alpha-2
    country_name: str = ""
    region_code: str | None = None  # ISO 3166-2, e.g. "VE-F"
    region_name: str | None = None
    geonames_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    mentions: int = 1
    spans: list[tuple[int, int]] = field(default_factory=list)
    confidence: float = 1.0
    salience: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """Every field by its name, spans as lists: the form the CLI prints and the store writes."""
        return {
            "name": self.name,
            "kind": self.kind,
            "country_code": self.country_code,
            "country_name": self.country_name,
            "region_code": self.region_code,
            "region_name": self.region_name,
            "geonames_id": self.geonames_id,
            "lat": self.lat,
            "lon": self.lon,
            "mentions": self.mentions,
            "spans": [[start, end] for start, end in self.spans],
            "confidence": self.confidence,
            "salience": self.salience,
        }


@dataclass
class SectionAssignment:
    """The section an article was filed in, and how sure the classifier was."""

    name: str
    slug: str
    confidence: float = 1.0
    method: str = "feed"  # "feed" | "classifier" | "feed-default" | "default"


@dataclass
class BriefSentence:
    """One brief sentence and the span of the source text it comes from."""

    position: int
    text: str
    source_start: int
    source_end: int
    kind: str = "extracted"  # "extracted" | "rewritten"
    check: str | None = None  # verifier result for rewritten sentences


@dataclass
class Article:
    """An article as the pipeline builds it and the store keeps it."""

    url: str  # where it was fetched
    canonical_url: str
    title: str
    text: str
    html: str = ""  # sanitized
    published_at: datetime | None = None
    updated_at: datetime | None = None
    fetched_at: datetime | None = None
    author: str | None = None
    site: str | None = None
    language: str | None = None
    content_hash: str = ""
    source: str | None = None  # source name
    feed_url: str | None = None
    guid: str | None = None
    section: SectionAssignment | None = None
    locales: list[Locale] = field(default_factory=list)
    brief: list[BriefSentence] = field(default_factory=list)
