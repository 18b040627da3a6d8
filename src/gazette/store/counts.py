"""Store: article counts per listing and the site's change versions, kept by triggers (migration 0008).

Reading a count here is one primary-key lookup, where ``COUNT(*)`` over a section of a million articles reads
every one of its index entries. The rows also say when each listing last changed (``changed``, for
Last-Modified) and at which site-wide ``version``, so the response cache can ask which listings changed since
the version it last saw and drop only their pages.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gazette.store.schema import Base, UTCDateTime

logger = logging.getLogger(__name__)

# The kinds of listing counted; ``item`` is the section slug, source id, YYYY/MM/DD, country code,
# "CC/REGION", story id, or "" for ``all`` and ``sources``.
KINDS = ("all", "section", "source", "day", "country", "region", "story", "sources")


class ArticleCount(Base):
    __tablename__ = "article_counts"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    item: Mapped[str] = mapped_column(String(200), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    changed: Mapped[datetime | None] = mapped_column(UTCDateTime)
    label: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Change:
    """A listing whose row changed after some version: its kind, item and article count now."""

    kind: str
    item: str
    n: int


def counts(session: Session, kind: str) -> dict[str, int]:
    """Item → number of articles, for the items of ``kind`` that hold any."""
    rows = session.execute(
        select(ArticleCount.item, ArticleCount.n).where(ArticleCount.kind == kind, ArticleCount.n > 0)
    )
    return {item: n for item, n in rows}


def counted(session: Session, kind: str, item: str) -> int:
    """How many articles (kind, item) holds (0 when none ever did)."""
    return int(
        session.scalar(select(ArticleCount.n).where(ArticleCount.kind == kind, ArticleCount.item == item))
        or 0
    )


def counted_prefix(session: Session, kind: str, prefix: str) -> int:
    """Articles in every item of ``kind`` that starts with ``prefix`` (a month's days: "2026/02/")."""
    return int(
        session.scalar(
            select(func.sum(ArticleCount.n)).where(
                ArticleCount.kind == kind, ArticleCount.item.startswith(prefix, autoescape=True)
            )
        )
        or 0
    )


def last_changed(
    session: Session, kind: str, item: str | None = None, prefix: str | None = None
) -> datetime | None:
    """The newest fetch or update time of an article in (kind, item), or in every item under ``prefix``."""
    stmt = select(func.max(ArticleCount.changed)).where(ArticleCount.kind == kind, ArticleCount.n > 0)
    if item is not None:
        stmt = stmt.where(ArticleCount.item == item)
    if prefix is not None:
        stmt = stmt.where(ArticleCount.item.startswith(prefix, autoescape=True))
    return _as_utc(session.scalar(stmt))


def counted_rows(
    session: Session, kinds: Sequence[str]
) -> dict[tuple[str, str], tuple[int, datetime | None]]:
    """(kind, item) → (articles held, newest change) for every item of ``kinds`` that holds articles: what
    ``counted`` and ``last_changed`` give one row at a time, for many listings in one query."""
    rows = session.execute(
        select(ArticleCount.kind, ArticleCount.item, ArticleCount.n, ArticleCount.changed).where(
            ArticleCount.kind.in_(list(kinds)), ArticleCount.n > 0
        )
    )
    return {(kind, item): (int(n), _as_utc(changed)) for kind, item, n, changed in rows}


def _as_utc(value: object) -> datetime | None:
    # An aggregate loses the column's type on SQLite, which hands the stored text back.
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(str(value))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def labelled(session: Session, kind: str) -> list[tuple[str, str | None, int]]:
    """(item, label, n) of every item of ``kind`` that holds articles (places and their names)."""
    rows = session.execute(
        select(ArticleCount.item, ArticleCount.label, ArticleCount.n).where(
            ArticleCount.kind == kind, ArticleCount.n > 0
        )
    )
    return [(item, label, n) for item, label, n in rows]


def items_between(session: Session, kind: str, low: str, high: str) -> list[tuple[str, int]]:
    """(item, n) of the items of ``kind`` in [low, high] that hold articles, in item order."""
    rows = session.execute(
        select(ArticleCount.item, ArticleCount.n)
        .where(
            ArticleCount.kind == kind, ArticleCount.n > 0, ArticleCount.item >= low, ArticleCount.item <= high
        )
        .order_by(ArticleCount.item)
    )
    return [(item, n) for item, n in rows]


def site_version(session: Session) -> int:
    """The site-wide change counter: it grows with every write to articles, places, stories or sources."""
    return int(
        session.scalar(
            select(ArticleCount.version).where(ArticleCount.kind == "all", ArticleCount.item == "")
        )
        or 0
    )


def changed_since(session: Session, version: int) -> list[Change]:
    """Every listing whose row changed after ``version`` (the ``all`` row left out)."""
    rows = session.execute(
        select(ArticleCount.kind, ArticleCount.item, ArticleCount.n).where(
            ArticleCount.version > version, ArticleCount.kind != "all"
        )
    )
    return [Change(kind, item, n) for kind, item, n in rows]


def present(session: Session, kinds: tuple[str, ...]) -> set[tuple[str, str]]:
    """(kind, item) of every listing of these kinds that holds articles now."""
    rows = session.execute(
        select(ArticleCount.kind, ArticleCount.item).where(ArticleCount.kind.in_(kinds), ArticleCount.n > 0)
    )
    return {(kind, item) for kind, item in rows}


def article_keys(session: Session, date_path: str, slug: str) -> set[str] | None:
    """The cache tags of an article's page: its section, source, countries and story (None: no such article)."""
    from gazette.store.schema import Article, ArticleLocale
    from gazette.store.story_schema import ArticleStory

    row = session.execute(
        select(Article.id, Article.section, Article.source_id).where(
            Article.date_path == date_path, Article.slug == slug
        )
    ).first()
    if row is None:
        return None
    article_id, section, source_id = row
    keys = {f"day:{date_path}"}
    if section:
        keys.add(f"section:{section}")
    if source_id is not None:
        keys.add(f"source:{source_id}")
    countries = session.scalars(
        select(ArticleLocale.country_code).where(ArticleLocale.article_id == article_id).distinct()
    )
    keys.update(f"country:{code}" for code in countries)
    story = session.scalar(select(ArticleStory.story_id).where(ArticleStory.article_id == article_id))
    if story is not None:
        keys.add(f"story:{story}")
    return keys
