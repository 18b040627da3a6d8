"""Store: the read side for publishing — listings, pagination, archives, locales, sources and search.

``publish/`` reads the store only through this module (and ``store.articles`` for one article), so every
query a page, feed, sitemap or API answer needs lives here, the same on SQLite and PostgreSQL. The only
database-specific code is full-text search, which lives in ``store.search`` (FTS5 on SQLite, a stored
``tsvector`` with a GIN index on PostgreSQL) and is reached through ``search_articles`` here.

At a million articles a page must not read a listing to count it: counts, the days and places that hold
articles, and each listing's last change come from ``store.counts`` (rows that triggers keep, migration 0008),
and a page of articles is an index range on (listing, ``SORT_KEY``, id) — for a country or region, on the
rows of ``store.places`` (migration 0014), since an article names its places in another table.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from slugify import slugify
from sqlalchemy import (
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, selectinload

from gazette.store import counts as counter
from gazette.store import places, search
from gazette.store.schema import Article, ArticleLocale, Source
from gazette.store.search import SearchHit
from gazette.store.watches import watch_article_ids

logger = logging.getLogger(__name__)

_S = TypeVar("_S", bound=Select[Any])

# The sort key of every listing: the publication date, else when we fetched it (as date_path does).
# Migration 0008 indexes this very expression (alone, and after section, source_id and date_path): a change
# here needs a migration that indexes the new expression, or every listing becomes a sort of the table.
SORT_KEY = func.coalesce(Article.published_at, Article.fetched_at)


@functools.lru_cache(maxsize=8192)
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
    watch_id: int | None = None  # the articles a topic watch matched (store.watches)

    def counted_as(self) -> tuple[str, str] | None:
        """The ``store.counts`` row that counts this listing, when one does (one section, source, place or day)."""
        shape = (
            self.section,
            self.source_id,
            self.country_code,
            self.region_code,
            self.language,
            self.date_from,
            self.date_to,
            self.date_prefix,
            self.watch_id,
        )
        given = [i for i, v in enumerate(shape) if v is not None and v != ""]
        if not given:
            return ("all", "")
        if given == [0]:
            return ("section", str(self.section))
        if given == [1]:
            return ("source", str(self.source_id))
        if given == [2]:
            return ("country", str(self.country_code))
        if given == [2, 3]:
            return ("region", f"{self.country_code}/{self.region_code}")
        if given == [7] and self.date_prefix and len(self.date_prefix) == 10:
            return ("day", self.date_prefix)
        return None

    def month(self) -> str | None:
        """The month "YYYY/MM" when this is exactly a month's archive."""
        if (
            self.date_prefix
            and len(self.date_prefix) == 7
            and self == ArticleFilter(date_prefix=self.date_prefix)
        ):
            return self.date_prefix
        return None

    def place(self) -> str | None:
        """The ``store.places`` key when this is exactly a country's or a region's listing."""
        counted = self.counted_as()
        return counted[1] if counted is not None and counted[0] in ("country", "region") else None

    def apply(self, stmt: _S) -> _S:
        """``stmt`` restricted to this filter's articles."""
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
        if self.watch_id is not None:
            stmt = stmt.where(Article.id.in_(watch_article_ids(self.watch_id)))
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
class PlaceListing:
    """A country or region that articles are about, with its slug and article count."""

    kind: str  # "country" | "region"
    name: str
    slug: str
    country_code: str
    country_name: str
    country_slug: str
    region_code: str | None = None
    count: int = 0
    regions: list[PlaceListing] = field(default_factory=list)

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
    flt = flt or ArticleFilter()
    place = flt.place()
    if place is not None:  # a range of the place's own rows, then its articles by id
        return articles_by_ids(session, places.newest_ids(session, place, limit=limit, offset=offset))
    stmt = _newest_first(flt.apply(select(Article)))
    return list(session.scalars(_loaded(stmt).limit(limit).offset(offset)))


def articles_by_ids(session: Session, ids: Sequence[int]) -> list[Article]:
    """The articles of ``ids``, loaded for a page, in the order given (an id no longer stored is left out)."""
    if not ids:
        return []
    found = {a.id: a for a in session.scalars(_loaded(select(Article).where(Article.id.in_(ids))))}
    return [found[i] for i in ids if i in found]


def count_matching(session: Session, flt: ArticleFilter | None = None) -> int:
    """How many articles match ``flt``: a counted row for a whole listing, else a COUNT."""
    flt = flt or ArticleFilter()
    counted = flt.counted_as()
    if counted is not None:
        return counter.counted(session, *counted)
    month = flt.month()
    if month is not None:
        return counter.counted_prefix(session, "day", f"{month}/")
    stmt = flt.apply(select(Article.id))
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
    place = flt.place()
    if place is not None:
        return articles_by_ids(session, places.ids_after(session, place, cursor, limit))
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


EVERY_SECTION = "*"  # the articles of every section and of none (not a slug: slugs never hold "*")


def in_section(stmt: Any, section: str | None) -> Any:
    """``stmt`` limited to one section's articles, to those without a section (None), or all (EVERY_SECTION)."""
    if section == EVERY_SECTION:
        return stmt
    return stmt.where(Article.section.is_(None) if section is None else Article.section == section)


def article_count(session: Session, section: str | None = EVERY_SECTION) -> int:
    """How many articles the site holds (a counted row, not a COUNT), or one section holds; those without a
    section (None) are the rest."""
    if section == EVERY_SECTION:
        return counter.counted(session, "all", "")
    if section is not None:
        return counter.counted(session, "section", section)
    return session.scalar(select(func.count()).select_from(Article).where(Article.section.is_(None))) or 0


def as_utc(value: object) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def published_between(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    limit: int = 1000,
    section: str | None = EVERY_SECTION,
) -> list[Article]:
    """Articles published in [start, end], newest first (the news sitemap's window), of one section if named."""
    stmt = select(Article).where(Article.published_at >= start, Article.published_at <= end)
    stmt = in_section(stmt, section)
    return list(session.scalars(_loaded(_newest_first(stmt)).limit(limit)))


def article_by_id(session: Session, article_id: int) -> Article | None:
    return session.scalars(_loaded(select(Article).where(Article.id == article_id))).first()


def article_by_path(session: Session, date_path: str, slug: str) -> Article | None:
    stmt = select(Article).where(Article.date_path == date_path, Article.slug == slug)
    return session.scalars(_loaded(stmt)).first()


def latest_change(session: Session, flt: ArticleFilter | None = None) -> datetime | None:
    """When any article in the listing last changed (for Last-Modified)."""
    flt = flt or ArticleFilter()
    counted = flt.counted_as()
    if counted is not None:
        return counter.last_changed(session, *counted)
    month = flt.month()
    if month is not None:
        return counter.last_changed(session, "day", prefix=f"{month}/")
    stmt = flt.apply(select(Article))
    sub = stmt.subquery()
    newest = session.execute(select(func.max(sub.c.fetched_at), func.max(sub.c.updated_at))).one()
    values = [v if v.tzinfo else v.replace(tzinfo=UTC) for v in newest if isinstance(v, datetime)]
    return max(values) if values else None


def listing_totals(session: Session, flts: Sequence[ArticleFilter]) -> list[tuple[int, datetime | None]]:
    """(``count_matching``, ``latest_change``) of each filter: listings with a counted row read in one query
    (the sitemap asks this of every listing), the others one by one."""
    counted = [flt.counted_as() for flt in flts]
    rows = counter.counted_rows(session, sorted({c[0] for c in counted if c is not None}))
    out: list[tuple[int, datetime | None]] = []
    for flt, key in zip(flts, counted, strict=True):
        if key is None:
            out.append((count_matching(session, flt), latest_change(session, flt)))
        else:
            out.append(rows.get(key, (0, None)))
    return out


def section_counts(session: Session) -> dict[str, int]:
    """Section slug → number of articles, for sections that have any."""
    return {slug: n for slug, n in counter.counts(session, "section").items() if slug}


def latest_by_section(
    session: Session, sections: Sequence[str], per_section: int
) -> dict[str, list[Article]]:
    """The newest ``per_section`` articles of each section, for the front page.

    One statement finds the ids (a short range of the section index per section, joined by UNION ALL) and one
    loads those articles, so the front page costs four queries, not four per section.
    """
    if not sections:
        return {}
    ranges = [
        select(Article.id, Article.section)
        .where(Article.section == slug)
        .order_by(SORT_KEY.desc(), Article.id.desc())
        .limit(per_section)
        .subquery()
        for slug in sections
    ]
    picked = union_all(*(select(r.c.id, r.c.section) for r in ranges))
    order: dict[str, list[int]] = {slug: [] for slug in sections}
    for article_id, slug in session.execute(picked):
        order[slug].append(article_id)
    wanted = [i for ids in order.values() for i in ids]
    loaded = {a.id: a for a in session.scalars(_loaded(select(Article).where(Article.id.in_(wanted))))}
    return {slug: [loaded[i] for i in ids if i in loaded] for slug, ids in order.items()}


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
    """Every source that has articles, by name, with its article count."""
    held = counter.counts(session, "source")
    if not held:
        return []
    found = session.scalars(select(Source).where(Source.id.in_([int(i) for i in held])).order_by(Source.name))
    return [(src, held[str(src.id)]) for src in found]


def source_by_slug(session: Session, slug: str) -> Source | None:
    return session.scalar(select(Source).where(Source.slug == slug))


# --- date archive --------------------------------------------------------------------------------------


def archive_days(session: Session) -> list[str]:
    """Every day (YYYY/MM/DD) that has articles, oldest first."""
    return sorted(counter.counts(session, "day"))


def archive_day_counts(session: Session) -> list[tuple[str, int]]:
    """(YYYY/MM/DD, number of articles) of every day that has articles, oldest first."""
    return sorted(counter.counts(session, "day").items())


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
    return counter.items_between(session, "day", f"{month}/00", f"{month}/99")


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


def list_places(session: Session) -> list[PlaceListing]:
    """Every country with articles (most articles first), each with its regions; slugs computed here."""
    # Counted rows: an article counts once per place; a region is listed under the greatest name it was given.
    country_rows = [(code, name, n) for code, name, n in counter.labelled(session, "country")]
    region_rows = []
    for key, rname, n in counter.labelled(session, "region"):
        code, _, rcode = key.partition("/")
        if rname is not None:
            region_rows.append((code, rcode, rname, n))
    countries: dict[str, PlaceListing] = {}
    for code, name, n in country_rows:
        if not code:
            continue
        label = country_label(code, name)
        slug = place_slug(label)
        countries[code] = PlaceListing("country", label, slug, code, label, slug, count=n)
    for code, rcode, rname, n in region_rows:
        country = countries.get(code)
        if country is None or not rname:
            continue
        country.regions.append(
            PlaceListing(
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


def find_place(session: Session, country_slug: str, region_slug: str | None = None) -> PlaceListing | None:
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
