"""store/listings.py: what the pages list — places with their counts, filtered pages, keyset pages — on SQLite
and PostgreSQL, read from articles stored the way ingest stores them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from gazette import models
from gazette.store import articles as article_store
from gazette.store import listings
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database
from gazette.store.listings import ArticleFilter, PlaceListing

START = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
VE, PE = {"country_code": "VE", "country_name": "Venezuela"}, {"country_code": "PE", "country_name": "Peru"}
ARAGUA = models.Locale(
    name="Aragua", kind="region", region_code="VE-D", region_name="Aragua", spans=[(0, 6)], **VE
)
ZULIA = models.Locale(
    name="Zulia", kind="region", region_code="VE-V", region_name="Zulia", spans=[(0, 5)], **VE
)
LIMA = models.Locale(name="Lima", kind="city", region_code="PE-LIM", region_name="Lima", spans=[(0, 4)], **PE)


def _store(db: Database, places: list[list[models.Locale]], section: str = "health") -> None:
    with db.session() as s:
        feed = feed_store.add_feed(s, "https://news.example/rss", source="Example News")
        source_id, feed_id = feed.source_id, feed.id
    for i, locales in enumerate(places):
        url = f"https://news.example/a/{i}"
        article = models.Article(
            url=url,
            canonical_url=url,
            title=f"Story number {i}",
            text=f"Body of story {i}.",
            html=f"<p>Body of story {i}.</p>",
            published_at=START + timedelta(hours=i),
            content_hash=f"h-{i}",
            locales=[replace(loc) for loc in locales],
            section=models.SectionAssignment(section.title(), section, 0.9, "classifier"),
        )
        with db.session() as s:
            article_store.save_article(s, article, source_id=source_id, feed_id=feed_id)


def test_places_are_listed_by_count_with_their_regions(db: Database) -> None:
    _store(db, [[ARAGUA], [ARAGUA, ZULIA], [ZULIA], [ARAGUA], [LIMA]])
    with db.session() as s:
        places = listings.list_places(s)
        assert [(p.country_code, p.count) for p in places] == [("VE", 4), ("PE", 1)]
        venezuela = places[0]
        assert isinstance(venezuela, PlaceListing) and venezuela.kind == "country"
        assert [(r.name, r.count) for r in venezuela.regions] == [("Aragua", 3), ("Zulia", 2)]
        assert venezuela.regions[0].path == f"/locale/{venezuela.slug}/aragua/"
        found = listings.find_place(s, venezuela.slug, "zulia")
        assert found is not None and (found.region_code, found.count) == ("VE-V", 2)
        assert listings.find_place(s, venezuela.slug, "nowhere") is None
        assert listings.find_place(s, "atlantis") is None


def test_pages_and_cursors_walk_a_filtered_listing_newest_first(db: Database) -> None:
    _store(db, [[ARAGUA], [ZULIA], [ARAGUA], [ARAGUA], [LIMA]])
    aragua = ArticleFilter(country_code="VE", region_code="VE-D")
    with db.session() as s:
        first = listings.page_of(s, aragua, 1, 2)
        assert (first.total, first.pages, first.has_next, first.has_prev) == (3, 2, True, False)
        assert [a.title for a in first.articles] == ["Story number 3", "Story number 2"]
        last = listings.page_of(s, aragua, 2, 2)
        assert [a.title for a in last.articles] == ["Story number 0"] and not last.has_next
        walked, cursor = [], None
        while True:
            rows = listings.articles_after_cursor(s, ArticleFilter(), cursor, 2)
            if not rows:
                break
            walked += [a.title for a in rows]
            cursor = (listings.sort_key_of(rows[-1]), rows[-1].id)
        assert walked == [f"Story number {i}" for i in range(4, -1, -1)]
        assert listings.count_matching(s, ArticleFilter(section="health")) == 5
        assert listings.count_matching(s, ArticleFilter(section="sports")) == 0
