"""Store: the read side for publishing — listings, pagination, archives, locales, sources and search.

``publish/`` reads the store only through this module (and ``store.articles`` for one article), so every
query a page, feed, sitemap or API answer needs lives here, the same on SQLite and PostgreSQL. The only
database-specific code is full-text search, which lives in ``store.search`` (FTS5 on SQLite, a stored
``tsvector`` with a GIN index on PostgreSQL) and is reached through ``search_articles`` here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from slugify import slugify
from sqlalchemy import Select, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session, selectinload

from gazette.store import search
from gazette.store.schema import Article, ArticleLocale, Source
from gazette.store.search import SearchHit

logger = logging.getLogger(__name__)

_S = TypeVar("_S", bound=Select[Any])

# The sort key of every listing: the publication date, else when we fetched it (as date_path does).
SORT_KEY = func.coalesce(Article.published_at, Article.fetched_at)


def place_slug(name: str) -> str:
    """The URL slug of a country or region name ("Nueva Esparta" → "nueva-esparta")."""
    return slugify(name, max_length=80) or "place"


@dataclass
class ArticleFilter:
    """Which articles a listing shows; every field is optional and they combine with AND."""

    section: str | None = None
    source_id: int | None = None
    country_code: str | None = None
    region_code: str | None = None
    language: str | None = None
    date_from: date | None = None  # inclusive, on the archive day (date_path)
    date_to: date | None = None  # inclusive
    date_prefix: str | None = None  # "YYYY/MM" or "YYYY/MM/DD"

    def apply(self, stmt: _S) -> _S:
        if self.section:
            stmt = stmt.where(Article.section == self.section)
        if self.source_id is not None:
            stmt = stmt.where(Article.source_id == self.source_id)
        if self.language:
            stmt = stmt.where(
                or_(Article.language == self.language, Article.language.like(f"{self.language}-%"))
            )
        if self.date_prefix:
            if len(self.date_prefix) == 10:
                stmt = stmt.where(Article.date_path == self.date_prefix)
            else:
                stmt = stmt.where(Article.date_path.like(f"{self.date_prefix}/%"))
        if self.date_from:
            stmt = stmt.where(Article.date_path >= self.date_from.strftime("%Y/%m/%d"))
        if self.date_to:
            stmt = stmt.where(Article.date_path <= self.date_to.strftime("%Y/%m/%d"))
        if self.country_code or self.region_code:
            # An uncorrelated IN: the place's articles are found once through the locale indexes, not
            # probed again for every article of the listing.
            conds = []
            if self.country_code:
                conds.append(ArticleLocale.country_code == self.country_code)
            if self.region_code:
                conds.append(ArticleLocale.region_code == self.region_code)
            stmt = stmt.where(Article.id.in_(select(ArticleLocale.article_id).where(and_(*conds))))
        return stmt


@dataclass
class Page:
    """One page of a listing."""

    articles: list[Article]
    number: int
    total: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def has_prev(self) -> bool:
        return self.number > 1


@dataclass
class Place:
    """A country or region that articles are about, with its slug and article count."""

    kind: str  # "country" | "region"
    name: str
    slug: str
    country_code: str
    country_name: str
    country_slug: str
    region_code: str | None = None
    count: int = 0
    regions: list[Place] = field(default_factory=list)

    @property
    def path(self) -> str:
        if self.kind == "region":
            return f"/locale/{self.country_slug}/{self.slug}/"
        return f"/locale/{self.country_slug}/"


def _loaded(stmt: Select[Article]) -> Select[Article]:
    return stmt.options(
        selectinload(Article.source), selectinload(Article.locales), selectinload(Article.brief)
    )


def _newest_first(stmt: Select[Article]) -> Select[Article]:
    return stmt.order_by(SORT_KEY.desc(), Article.id.desc())


def list_articles(
    session: Session, flt: ArticleFilter | None = None, *, limit: int = 20, offset: int = 0
) -> list[Article]:
    """Articles matching ``flt``, newest first."""
    stmt = _newest_first((flt or ArticleFilter()).apply(select(Article)))
    return list(session.scalars(_loaded(stmt).limit(limit).offset(offset)))


def count_matching(session: Session, flt: ArticleFilter | None = None) -> int:
    stmt = (flt or ArticleFilter()).apply(select(Article))
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def page_of(session: Session, flt: ArticleFilter, number: int, page_size: int) -> Page:
    """Page ``number`` (1-based) of a listing; an empty page past the end."""
    total = count_matching(session, flt)
    arts = list_articles(session, flt, limit=page_size, offset=(number - 1) * page_size)
    return Page(arts, number, total, page_size)


def articles_after_cursor(
    session: Session, flt: ArticleFilter, cursor: tuple[datetime, int] | None, limit: int
) -> list[Article]:
    """Keyset pagination for the API: the ``limit`` articles after (sort key, id) ``cursor``, newest first."""
    stmt = flt.apply(select(Article))
    if cursor is not None:
        when, last_id = cursor
        stmt = stmt.where(or_(SORT_KEY < when, and_(SORT_KEY == when, Article.id < last_id)))
    return list(session.scalars(_loaded(_newest_first(stmt)).limit(limit)))


def sort_key_of(article: Article) -> datetime:
    return article.published_at or article.fetched_at


def all_articles(session: Session) -> list[Article]:
    """Every article, newest first (the static build and sitemap walk this)."""
    return list(session.scalars(_loaded(_newest_first(select(Article)))))


def article_stamps(session: Session) -> list[tuple[str, datetime]]:
    """(page path, last change) of every article, newest first — without loading any article's text."""
    rows = session.execute(
        select(Article.date_path, Article.slug, Article.updated_at, Article.fetched_at).order_by(
            SORT_KEY.desc(), Article.id.desc()
        )
    )
    return [(f"/content/{day}/{slug}.html", updated or fetched) for day, slug, updated, fetched in rows]


def published_between(
    session: Session, start: datetime, end: datetime, *, limit: int = 1000
) -> list[Article]:
    """Articles published in [start, end], newest first (the news sitemap's window)."""
    stmt = select(Article).where(Article.published_at >= start, Article.published_at <= end)
    return list(session.scalars(_loaded(_newest_first(stmt)).limit(limit)))


def article_by_id(session: Session, article_id: int) -> Article | None:
    return session.scalars(_loaded(select(Article).where(Article.id == article_id))).first()


def article_by_path(session: Session, date_path: str, slug: str) -> Article | None:
    stmt = select(Article).where(Article.date_path == date_path, Article.slug == slug)
    return session.scalars(_loaded(stmt)).first()


def latest_change(session: Session, flt: ArticleFilter | None = None) -> datetime | None:
    """When any article in the listing last changed (for Last-Modified)."""
    stmt = (flt or ArticleFilter()).apply(select(Article))
    sub = stmt.subquery()
    newest = session.execute(select(func.max(sub.c.fetched_at), func.max(sub.c.updated_at))).one()
    values = [v if v.tzinfo else v.replace(tzinfo=UTC) for v in newest if isinstance(v, datetime)]
    return max(values) if values else None


def section_counts(session: Session) -> dict[str, int]:
    """Section slug → number of articles, for sections that have any."""
    rows = session.execute(
        select(Article.section, func.count(Article.id))
        .where(Article.section.is_not(None))
        .group_by(Article.section)
    )
    return {slug: n for slug, n in rows if slug}


def latest_by_section(
    session: Session, sections: Sequence[str], per_section: int
) -> dict[str, list[Article]]:
    """The newest ``per_section`` articles of each section, for the front page."""
    return {slug: list_articles(session, ArticleFilter(section=slug), limit=per_section) for slug in sections}


def related_articles(session: Session, article: Article, limit: int = 5) -> list[Article]:
    """Other articles sharing a region or country with ``article``, same section first, newest first."""
    regions = {loc.region_code for loc in article.locales if loc.region_code}
    countries = {loc.country_code for loc in article.locales if loc.country_code}
    if not regions and not countries and not article.section:
        return []
    stmt = select(Article).where(Article.id != article.id)
    place_conds = []
    if regions:
        place_conds.append(ArticleLocale.region_code.in_(regions))
    if countries:
        place_conds.append(ArticleLocale.country_code.in_(countries))
    if place_conds:
        stmt = stmt.where(Article.id.in_(select(ArticleLocale.article_id).where(or_(*place_conds))))
    else:
        stmt = stmt.where(Article.section == article.section)
    same_section = (Article.section == article.section) if article.section else literal_column("0") == 1
    stmt = stmt.order_by(same_section.desc(), SORT_KEY.desc(), Article.id.desc())
    return list(session.scalars(_loaded(stmt).limit(limit)))


# --- sources -------------------------------------------------------------------------------------------


def sources_with_counts(session: Session) -> list[tuple[Source, int]]:
    rows = session.execute(
        select(Source, func.count(Article.id))
        .join(Article, Article.source_id == Source.id)
        .group_by(Source.id)
        .order_by(Source.name)
    )
    return [(src, n) for src, n in rows]


def source_by_slug(session: Session, slug: str) -> Source | None:
    return session.scalar(select(Source).where(Source.slug == slug))


# --- date archive --------------------------------------------------------------------------------------


def archive_days(session: Session) -> list[str]:
    """Every day (YYYY/MM/DD) that has articles, oldest first."""
    return list(session.scalars(select(Article.date_path).distinct().order_by(Article.date_path)))


def neighbour_days(session: Session, day: str) -> tuple[str | None, str | None]:
    """The nearest earlier and later days with articles."""
    prev = session.scalar(select(func.max(Article.date_path)).where(Article.date_path < day))
    nxt = session.scalar(select(func.min(Article.date_path)).where(Article.date_path > day))
    return prev, nxt


def neighbour_months(session: Session, month: str) -> tuple[str | None, str | None]:
    """The nearest earlier and later months (YYYY/MM) with articles."""
    prev = session.scalar(select(func.max(Article.date_path)).where(Article.date_path < f"{month}/00"))
    nxt = session.scalar(select(func.min(Article.date_path)).where(Article.date_path > f"{month}/99"))
    return (prev[:7] if prev else None), (nxt[:7] if nxt else None)


def day_counts(session: Session, month: str) -> list[tuple[str, int]]:
    """(YYYY/MM/DD, count) for each day of a month that has articles."""
    rows = session.execute(
        select(Article.date_path, func.count(Article.id))
        .where(Article.date_path.like(f"{month}/%"))
        .group_by(Article.date_path)
        .order_by(Article.date_path)
    )
    return [(d, n) for d, n in rows]


# --- locales -------------------------------------------------------------------------------------------


def country_label(code: str, name: str | None) -> str:
    """A country's display name: the stored one, else pycountry's, else the code."""
    if name:
        return name
    try:
        import pycountry

        found = pycountry.countries.get(alpha_2=code)
    except (ImportError, KeyError, LookupError):
        found = None
    return str(found.name) if found is not None else code


def list_places(session: Session) -> list[Place]:
    """Every country with articles (most articles first), each with its regions; slugs computed here."""
    country_rows = session.execute(
        select(
            ArticleLocale.country_code,
            func.max(ArticleLocale.country_name),
            func.count(ArticleLocale.article_id.distinct()),
        ).group_by(ArticleLocale.country_code)
    ).all()
    region_rows = session.execute(
        select(
            ArticleLocale.country_code,
            ArticleLocale.region_code,
            func.max(ArticleLocale.region_name),
            func.count(ArticleLocale.article_id.distinct()),
        )
        .where(ArticleLocale.region_code.is_not(None), ArticleLocale.region_name.is_not(None))
        .group_by(ArticleLocale.country_code, ArticleLocale.region_code)
    ).all()
    countries: dict[str, Place] = {}
    for code, name, n in country_rows:
        if not code:
            continue
        label = country_label(code, name)
        slug = place_slug(label)
        countries[code] = Place("country", label, slug, code, label, slug, count=n)
    for code, rcode, rname, n in region_rows:
        country = countries.get(code)
        if country is None or not rname:
            continue
        country.regions.append(
            Place(
                "region",
                rname,
                place_slug(rname),
                code,
                country.name,
                country.slug,
                region_code=rcode,
                count=n,
            )
        )
    for country in countries.values():
        country.regions.sort(key=lambda p: (-p.count, p.name))
    return sorted(countries.values(), key=lambda p: (-p.count, p.name))


def find_place(session: Session, country_slug: str, region_slug: str | None = None) -> Place | None:
    """The country (or region in it) whose slug is given, or None."""
    for country in list_places(session):
        if country.slug != country_slug:
            continue
        if region_slug is None:
            return country
        for region in country.regions:
            if region.slug == region_slug:
                return region
        return None
    return None


# --- search --------------------------------------------------------------------------------------------


def search_articles(
    session: Session,
    query: str,
    flt: ArticleFilter | None = None,
    *,
    limit: int = 20,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[SearchHit], int]:
    """Ranked full-text search over title and text with a listing filter; returns (hits, total).

    The index and the query language live in ``store.search`` and ``store.textindex`` (see docs/search.md).
    """
    return search.search_articles(session, query, flt, limit=limit, offset=offset, now=now)
