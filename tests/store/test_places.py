"""The place rows that triggers keep (migration 0014) always list each place's articles as the locale rows do,
and a place listing read from them is the listing read the slow way."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gazette import models
from gazette.store import corrections, listings, places, tombstones
from gazette.store.db import Database
from gazette.store.listings import SORT_KEY, ArticleFilter
from gazette.store.places import PlaceArticle
from gazette.store.schema import Article, ArticleLocale
from tests.publish.publish_corpus import fill


def derived(session: Session) -> set[tuple[str, int]]:
    """(place, article id) as the locale rows say, each once."""
    out: set[tuple[str, int]] = set()
    for article_id, country, region in session.execute(
        select(ArticleLocale.article_id, ArticleLocale.country_code, ArticleLocale.region_code)
    ):
        out.add((country, article_id))
        if region is not None:
            out.add((f"{country}/{region}", article_id))
    return out


def stored(session: Session) -> set[tuple[str, int]]:
    rows = list(session.execute(select(PlaceArticle.place, PlaceArticle.article_id)))
    assert len(rows) == len(set(rows))  # one row per (place, article)
    return {(place, article_id) for place, article_id in rows}


def check(session: Session) -> None:
    """The rows are the locale rows' places, and every place listing (page by page) is the slow one."""
    assert stored(session) == derived(session)
    for place in {p for p, _ in derived(session)}:
        country, _, region = place.partition("/")
        flt = ArticleFilter(country_code=country, region_code=region or None)
        slow = list(
            session.scalars(flt.apply(select(Article.id)).order_by(SORT_KEY.desc(), Article.id.desc()))
        )
        assert [a.id for a in listings.list_articles(session, flt, limit=1000)] == slow
        assert [a.id for a in listings.list_articles(session, flt, limit=2, offset=1)] == slow[1:3]
        first = listings.articles_after_cursor(session, flt, None, 1)
        assert [a.id for a in first] == slow[:1]
        after = listings.articles_after_cursor(
            session, flt, (listings.sort_key_of(first[0]), first[0].id), 1000
        )
        assert [a.id for a in after] == slow[1:]


def test_place_rows_follow_inserts_corrections_and_takedowns(db: Database) -> None:
    fill(db)
    with db.session() as s:
        assert stored(s)  # the corpus names places
        assert ("VE", next(i for p, i in stored(s) if p == "VE")) in stored(s)
        check(s)

    with db.session() as s:  # an editor adds a region to an article and takes a country off another
        named = s.scalars(
            select(Article).join(ArticleLocale).where(ArticleLocale.country_code == "VE")
        ).first()
        assert named is not None
        added = models.Locale("Valparaíso", "region", "CL", "Chile", "CL-VS", "Valparaíso")
        corrections.correct(s, named, corrections.Changes(add_places=[added]), by="test")
        other = s.scalars(
            select(Article).join(ArticleLocale).where(Article.id != named.id).order_by(Article.id)
        ).first()
        assert other is not None
        loc = other.locales[0]
        gone = models.Locale(loc.name, loc.kind, loc.country_code, loc.country_name, loc.region_code)
        corrections.correct(s, other, corrections.Changes(remove_places=[gone]), by="test")
        named_id, other_id, gone_country = named.id, other.id, loc.country_code
    with db.session() as s:
        assert "CL/CL-VS" in places.places_of(s, named_id)
        assert gone_country not in places.places_of(s, other_id)
        check(s)

    with db.session() as s:  # a corrected publication date moves the article in every place it is in
        moved = s.get(Article, named_id)
        assert moved is not None
        when = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
        corrections.correct(s, moved, corrections.Changes(values={"published": when}), by="test")
    with db.session() as s:
        flt = ArticleFilter(country_code="CL", region_code="CL-VS")
        assert [a.id for a in listings.list_articles(s, flt)] == [named_id]
        check(s)
        sorted_keys = {
            k for k in s.scalars(select(PlaceArticle.sort_key).where(PlaceArticle.article_id == named_id))
        }
        assert sorted_keys == {when}

    with db.session() as s:  # a takedown takes the article's rows along
        down = s.get(Article, named_id)
        assert down is not None
        tombstones.unpublish(s, down, "test")
    with db.session() as s:
        assert places.places_of(s, named_id) == set()
        check(s)

    with db.session() as s:  # every locale row removed in one statement
        s.execute(ArticleLocale.__table__.delete())
    with db.session() as s:
        assert stored(s) == set()


def test_the_migration_fills_the_rows_of_a_desk_that_already_holds_articles(db: Database) -> None:
    """A desk upgraded to 0014 with articles stored gets its place rows from the migration itself."""
    from alembic import command

    from gazette.store.db import alembic_config

    fill(db)
    with db.session() as s:
        before = stored(s)
    config = alembic_config(db.engine)
    command.downgrade(config, "0013")
    command.upgrade(config, "head")
    with db.session() as s:
        assert stored(s) == before
        check(s)
