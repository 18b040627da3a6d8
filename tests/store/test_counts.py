"""The counted rows that triggers keep (migration 0008) always equal a COUNT over the tables they summarize."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gazette.store import counts as counter
from gazette.store import listings
from gazette.store.db import Database
from gazette.store.schema import Article, ArticleLocale
from gazette.store.story_schema import ArticleStory
from tests.publish.publish_corpus import assign_stories, fill


def recount(session: Session) -> dict[tuple[str, str], int]:
    """What the counts must be, counted the slow way."""
    want: dict[tuple[str, str], int] = {("all", ""): session.scalar(select(func.count(Article.id))) or 0}
    for column, kind in (
        (Article.section, "section"),
        (Article.source_id, "source"),
        (Article.date_path, "day"),
    ):
        for key, n in session.execute(
            select(column, func.count()).where(column.is_not(None)).group_by(column)
        ):
            want[(kind, str(key))] = n
    places = select(ArticleLocale.country_code, func.count(ArticleLocale.article_id.distinct())).group_by(
        ArticleLocale.country_code
    )
    for code, n in session.execute(places):
        want[("country", code)] = n
    regions = (
        select(
            ArticleLocale.country_code,
            ArticleLocale.region_code,
            func.count(ArticleLocale.article_id.distinct()),
        )
        .where(ArticleLocale.region_code.is_not(None))
        .group_by(ArticleLocale.country_code, ArticleLocale.region_code)
    )
    for code, region, n in session.execute(regions):
        want[("region", f"{code}/{region}")] = n
    for story_id, n in session.execute(
        select(ArticleStory.story_id, func.count()).group_by(ArticleStory.story_id)
    ):
        want[("story", str(story_id))] = n
    return want


def stored(session: Session) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(counter.ArticleCount.kind, counter.ArticleCount.item, counter.ArticleCount.n).where(
            counter.ArticleCount.n != 0, counter.ArticleCount.kind != "sources"
        )
    )
    return {(kind, item): n for kind, item, n in rows}


def test_counts_follow_inserts_updates_and_deletes(db: Database) -> None:
    fill(db)
    assign_stories(db)
    with db.session() as s:
        assert stored(s) == recount(s)
        assert stored(s)[("country", "VE")] == 1  # one article names Venezuela four times: counted once
        assert sum(n for (kind, _item), n in stored(s).items() if kind == "story") == 27  # one story each
        version = counter.site_version(s)

    with db.session() as s:  # a section moves, an article goes, one article's places are replaced
        moved = s.scalars(select(Article).where(Article.section == "health")).first()
        assert moved is not None
        s.execute(update(Article).where(Article.id == moved.id).values(section="environment"))
        gone = s.scalars(select(Article).where(Article.section == "business-finance")).first()
        assert gone is not None
        s.delete(gone)
        venezuelan = s.scalars(
            select(Article).join(ArticleLocale).where(ArticleLocale.country_code == "VE")
        ).first()
        assert venezuelan is not None
        venezuelan.locales = venezuelan.locales[:1]

    with db.session() as s:
        assert stored(s) == recount(s)
        assert counter.site_version(s) > version
        changed = {(c.kind, c.item) for c in counter.changed_since(s, version)}
        assert {("section", "health"), ("section", "environment"), ("section", "business-finance")} <= changed
        assert ("country", "VE") in changed

    with db.session() as s:  # every locale row of an article removed in one statement
        s.execute(ArticleLocale.__table__.delete())
    with db.session() as s:
        assert stored(s) == recount(s)
        assert listings.list_places(s) == []


def test_listings_read_from_counts_agree_with_counting(db: Database) -> None:
    fill(db)
    with db.session() as s:
        for listing_filter in (
            listings.ArticleFilter(),
            listings.ArticleFilter(section="politics-government"),
            listings.ArticleFilter(country_code="VE"),
            listings.ArticleFilter(date_prefix="2026/02"),
            listings.ArticleFilter(date_prefix="2026/02/12"),
        ):
            slow = s.scalar(
                select(func.count()).select_from(listing_filter.apply(select(Article.id)).subquery())
            )
            assert listings.count_matching(s, listing_filter) == slow
            articles = s.scalars(listing_filter.apply(select(Article))).all()
            newest = max(max(a.fetched_at, a.updated_at or a.fetched_at) for a in articles)
            assert listings.latest_change(s, listing_filter) == newest
        assert listings.archive_days(s) == sorted(set(s.scalars(select(Article.date_path))))


def test_the_migration_counts_a_desk_that_already_holds_articles(db: Database) -> None:
    """A desk upgraded to 0008 with articles stored gets its counts from the migration itself."""
    from alembic import command

    from gazette.store.db import alembic_config

    fill(db)
    assign_stories(db)
    with db.session() as s:
        places_before = listings.list_places(s)
        changed_before = listings.latest_change(s)
    config = alembic_config(db.engine)
    command.downgrade(config, "0008-1")
    command.upgrade(config, "head")
    with db.session() as s:
        assert stored(s) == recount(s)
        assert listings.list_places(s) == places_before
        assert listings.latest_change(s) == changed_before
