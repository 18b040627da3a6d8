"""Store: takedowns — the tombstone an unpublished article leaves (migration 0010), and the checks that keep it
from coming back.

``unpublish`` deletes the article row in one transaction: its text, HTML, brief and places go with it, the
search index entry and the listing counts follow by triggers (migrations 0002/0006 and 0008), and its story
loses it (a story left empty is deleted). What stays is the tombstone: the original and canonical URLs and
content hash that every writer checks before storing (``barred_urls`` for the feed ingest and the backfill
before a page is fetched or extracted, ``is_barred`` and ``barred_pairs`` before a row is written), the reason
and time, and the old id, day and slug, so that the permalink and ``/api/articles/{id}`` answer 410 Gone.

A content hash bars a copy from the same publisher only (as ``articles.find_same_content`` matches): the same
wire text from another publisher is that publisher's article, not the one taken down.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint, delete, exists, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gazette.store import stories as story_store
from gazette.store.articles import permalink_of, url_candidates
from gazette.store.schema import Article, Base, UTCDateTime
from gazette.store.story_schema import Duplicate

logger = logging.getLogger(__name__)

CHUNK = 500  # values per IN (…) list


class Tombstone(Base):
    """An unpublished article: what keeps it out, why, since when, and where it was published."""

    __tablename__ = "tombstones"
    __table_args__ = (UniqueConstraint("canonical_url", name="uq_tombstones_canonical_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), index=True)  # the original URL, as the publisher linked it
    canonical_url: Mapped[str] = mapped_column(String(2048))
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    unpublished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Where it was published: /content/<date_path>/<slug>.html and /api/articles/<article_id> answer 410.
    article_id: Mapped[int | None] = mapped_column(Integer, index=True)
    date_path: Mapped[str | None] = mapped_column(String(10))
    slug: Mapped[str | None] = mapped_column(String(200))
    source_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: a tombstone outlives its source
    feed_url: Mapped[str | None] = mapped_column(
        String(2048)
    )  # the feed that listed it, fetched on republish

    @property
    def path(self) -> str | None:
        """The permalink it had (None for a tombstone without one)."""
        if self.date_path and self.slug:
            return f"/content/{self.date_path}/{self.slug}.html"
        return None


@dataclass(frozen=True)
class Takedown:
    """What ``unpublish`` did: the tombstone left, and the story deleted because it emptied (if any)."""

    tombstone: Tombstone
    emptied_story: int | None


# --- finding what a URL names --------------------------------------------------------------------------


def tombstone_by_url(session: Session, urls: Sequence[str]) -> Tombstone | None:
    """The tombstone of the article once stored under one of ``urls`` (canonical or original)."""
    for url in urls:
        found = session.scalars(
            select(Tombstone).where(or_(Tombstone.canonical_url == url, Tombstone.url == url)).limit(1)
        ).first()
        if found is not None:
            return found
    return None


def find_tombstone(session: Session, url: str, base_url: str | None = None) -> Tombstone | None:
    """The tombstone of the article that ``url`` named, read as ``articles.find_by_url`` reads it: its
    original or canonical URL, else its permalink."""
    found = tombstone_by_url(session, url_candidates(url))
    if found is None and (where := permalink_of(url, base_url)) is not None:
        found = tombstone_at(session, *where)
    return found


def tombstone_at(session: Session, date_path: str, slug: str) -> Tombstone | None:
    """The tombstone of the article that was published at ``/content/<date_path>/<slug>.html``."""
    return session.scalars(
        select(Tombstone)
        .where(Tombstone.date_path == date_path, Tombstone.slug == slug)
        .order_by(Tombstone.id.desc())
        .limit(1)
    ).first()


def tombstone_of_id(session: Session, article_id: int) -> Tombstone | None:
    """The tombstone of the article that had this id."""
    return session.scalars(
        select(Tombstone).where(Tombstone.article_id == article_id).order_by(Tombstone.id.desc()).limit(1)
    ).first()


def list_tombstones(session: Session) -> list[Tombstone]:
    """Every tombstone, oldest takedown first."""
    return list(session.scalars(select(Tombstone).order_by(Tombstone.unpublished_at, Tombstone.id)))


# --- taking down and lifting ---------------------------------------------------------------------------


def unpublish(session: Session, article: Article, reason: str, *, now: datetime | None = None) -> Takedown:
    """Delete ``article`` and leave its tombstone, in the caller's transaction.

    The row's delete takes its places and brief sentences (ORM cascade), its search entry and its counts
    (triggers); its story membership and near-duplicate links are removed first, and a story left empty is
    deleted (``stories.detach_article``); a story named after it takes the title of its earliest remaining
    article. The story windows of running ingests are told to reload, since an
    article they hold is gone.
    """
    stone = Tombstone(
        url=article.original_url,
        canonical_url=article.canonical_url,
        content_hash=article.content_hash or None,
        reason=reason,
        unpublished_at=now or datetime.now(UTC),
        article_id=article.id,
        date_path=article.date_path,
        slug=article.slug,
        source_id=article.source_id,
        feed_url=article.feed.url if article.feed is not None else None,
    )
    story_store.lock_story_assignment(session)  # no ingest places an article next to it meanwhile
    member = story_store.membership(session, article.id)
    story_id = member.story_id if member is not None else None
    emptied = story_store.detach_article(session, article.id)
    if story_id is not None and emptied is None:
        story_store.retitle_story(session, story_id, unless=article.title)
    # Copies of it stay published (another publisher's words), no longer marked as copies of a gone article.
    session.execute(delete(Duplicate).where(Duplicate.original_id == article.id))
    session.delete(article)
    session.flush()
    session.add(stone)
    story_store.bump_epoch(session)
    session.flush()
    logger.info(
        "unpublished %s: %s",
        stone.canonical_url,
        reason,
        extra={"article_id": stone.article_id, "url": stone.canonical_url},
    )
    return Takedown(stone, emptied)


def lift(session: Session, tombstone: Tombstone) -> None:
    """Delete the tombstone: the next ingest or backfill that meets the article stores it again."""
    session.delete(tombstone)
    session.flush()


# --- the writers' checks -------------------------------------------------------------------------------


def barred_urls(session: Session, urls: Iterable[str]) -> set[str]:
    """Which of these URLs (canonical or original) belong to an unpublished article."""
    wanted = list(dict.fromkeys(u for u in urls if u))
    found: set[str] = set()
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i : i + CHUNK]
        found.update(
            session.scalars(select(Tombstone.canonical_url).where(Tombstone.canonical_url.in_(chunk)))
        )
        found.update(session.scalars(select(Tombstone.url).where(Tombstone.url.in_(chunk))))
    return found & set(wanted)


def barred_pairs(session: Session, pairs: Iterable[tuple[int | None, str]]) -> set[tuple[int | None, str]]:
    """Which of these (source id, content hash) pairs are the text of an article its publisher had taken down
    (a source-less article matches a source-less tombstone)."""
    wanted = {(s, h) for s, h in pairs if h}
    hashes = sorted({h for _, h in wanted})
    found: set[tuple[int | None, str]] = set()
    for i in range(0, len(hashes), CHUNK):
        stmt = select(Tombstone.source_id, Tombstone.content_hash).where(
            Tombstone.content_hash.in_(hashes[i : i + CHUNK])
        )
        found.update((row[0], row[1]) for row in session.execute(stmt) if row[1])
    return found & wanted


def is_barred(
    session: Session, *, urls: Sequence[str], content_hash: str | None, source_id: int | None
) -> bool:
    """Whether an article about to be stored is one that was unpublished: by any of its URLs, or by its text
    from the same publisher (``barred_urls`` and ``barred_pairs`` for one article, asked in one query)."""
    wanted = list(dict.fromkeys(u for u in urls if u))
    checks = []
    if wanted:
        checks.append(exists().where(Tombstone.canonical_url.in_(wanted)))
        checks.append(exists().where(Tombstone.url.in_(wanted)))
    if content_hash:
        same_publisher = (
            Tombstone.source_id.is_(None) if source_id is None else Tombstone.source_id == source_id
        )
        checks.append(exists().where(Tombstone.content_hash == content_hash, same_publisher))
    if not checks:
        return False
    return any(session.execute(select(*checks)).one())


def count_tombstones(session: Session) -> int:
    return int(session.scalar(select(func.count(Tombstone.id))) or 0)
