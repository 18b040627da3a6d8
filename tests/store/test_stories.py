"""Story store: redirects re-pointed along chains, story ids never handed out twice, the window marker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from gazette.store import bulk as bulk_store
from gazette.store import stories as story_store
from gazette.store.db import Database
from gazette.store.schema import Article
from gazette.store.story_index import IndexMarker
from gazette.store.story_schema import Story, StoryIndexState, StoryRedirect

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_a_redirect_chain_leads_to_the_live_story_in_one_hop(db: Database) -> None:
    with db.session() as s:
        a, b, c = (story_store.create_story(s, title, WHEN) for title in ("Alpha", "Beta", "Gamma"))
        ids = (a.id, b.id, c.id)
        s.delete(a)
    with db.session() as s:
        # a emptied into b (recorded when it was deleted), then b merged into c by a rebuild
        story_store.renumber_stories(s, {}, {ids[1]: ids[2]})
        s.merge(StoryRedirect(old_id=ids[0], slug="alpha", story_id=ids[1]))
        s.flush()
        story_store.point_redirects(s, {ids[1]: ids[2]})
    with db.session() as s:
        assert story_store.story_by_id(s, ids[1]) is None
        assert [(old, slug, st.id) for old, slug, st in story_store.redirects(s)] == [
            (ids[0], "alpha", ids[2]),
            (ids[1], "beta", ids[2]),
        ]
        target = story_store.redirect_target(s, ids[0])
        assert target is not None and target.id == ids[2]
        assert story_store.redirect_target(s, ids[2] + 100) is None


def test_a_deleted_story_id_is_never_handed_out_again(db: Database) -> None:
    with db.session() as s:
        first = story_store.create_story(s, "First", WHEN)
        newest = story_store.create_story(s, "Newest", WHEN)
        gone = newest.id
        assert story_store.refresh_story(s, gone) is None  # no articles: deleted, its id kept as a redirect
        again = story_store.create_story(s, "Another", WHEN)
        assert again.id not in (first.id, gone)
        assert s.get(Story, gone) is None


def test_the_marker_moves_with_rewrites_not_with_reads(db: Database) -> None:
    with db.session() as s:
        before = story_store.index_marker(s)
        assert story_store.index_marker(s) == before
        story_store.bump_epoch(s)
        after = story_store.index_marker(s)
    assert after.token == before.token and after.epoch == before.epoch + 1


def _article(s: Session, n: int) -> Article:
    row = Article(
        canonical_url=f"https://example.org/{n}",
        original_url=f"https://example.org/{n}",
        title=f"Article {n}",
        text="Some text.",
        fetched_at=WHEN,
        content_hash=f"hash{n}",
        slug=f"article-{n}",
        date_path="2026/11/20",
    )
    s.add(row)
    s.flush()
    return row


def test_a_transaction_that_placed_an_article_knows_the_marker_until_a_savepoint_undoes_it(
    db: Database,
) -> None:
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda _c, _u, sql, *_a: statements.append(sql))
    with db.session() as s:
        first, second = _article(s, 1), _article(s, 2)
        story = story_store.create_story(s, "Story", WHEN)
        story_store.lock_story_assignment(s)
        before = story_store.index_marker(s)
        placed = story_store.add_membership(s, first.id, story.id, 1.0, b"fp", {}, marker_read=True)
        statements.clear()
        story_store.lock_story_assignment(s)  # held already in this transaction
        known = story_store.index_marker(s)
        assert statements == []  # neither taken nor read again
        assert (
            known == IndexMarker(before.token, before.epoch, placed) and placed == before.last_membership + 1
        )
        try:
            with s.begin_nested():
                story_store.add_membership(s, second.id, story.id, 1.0, b"fp", {}, marker_read=True)
                raise RuntimeError("undone")
        except RuntimeError:
            pass
        assert story_store.index_marker(s) == known  # read again: the undone row's id is not the marker's
        assert len(statements) > 0
        assert s.scalar(select(StoryIndexState.last_membership)) == placed
        # the backfill's story pass reads only the articles in no story
        assert list(bulk_store.articles_by_ids(s, [first.id, second.id], unassigned=True)) == [second.id]


def test_joining_a_story_reads_its_members_not_the_whole_source(tmp_path: Path) -> None:
    """``story_for_member`` asks whether another member of the story comes from the article's source. SQLite,
    without statistics, answered it by walking the source's index — every article the source ever published
    (25–30 ms a placement at 1,000,000 articles) — where the story's few members, read by the story, suffice."""
    from sqlalchemy.dialects import sqlite

    db = Database(f"sqlite:///{tmp_path}/plan.db")
    db.init()
    try:
        joining = Article(id=2, source_id=1)
        statement = select(Story, story_store._same_source_member(1, joining)).where(Story.id == 1)
        compiled = statement.compile(dialect=sqlite.dialect())
        params = tuple(compiled.params[k] for k in compiled.positiontup or ())
        with db.engine.connect() as connection:
            plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)]
        members = [step for step in plan if "article_stories" in step or " articles " in step]
        assert members == [
            "SEARCH article_stories USING INDEX ix_article_stories_story (story_id=?)",
            "SEARCH articles USING INTEGER PRIMARY KEY (rowid=?)",
        ], plan
    finally:
        db.dispose()


def test_joining_a_story_tells_whether_its_source_is_there_already(db: Database) -> None:
    """The same answer through the rewritten comparison (``source_id + 0``), on both databases."""
    from gazette.store.sources import get_or_create_source

    with db.session() as s:
        one, other = get_or_create_source(s, "One").id, get_or_create_source(s, "Other").id
        story = story_store.create_story(s, "Alpha", WHEN)
        rows = []
        for n, source_id in enumerate((one, one, other)):
            row = Article(
                canonical_url=f"https://one.example/{n}",
                original_url=f"https://one.example/{n}",
                source_id=source_id,
                title=f"Alpha {n}",
                text="Body.",
                html="",
                content_hash=f"h{n}",
                slug=f"alpha-{n}",
                date_path="2026/11/20",
                fetched_at=WHEN,
            )
            s.add(row)
            rows.append(row)
        s.flush()
        story_store.add_membership(s, rows[0].id, story.id, 1.0, b"", None)
        _, second_same = story_store.story_for_member(s, story.id, rows[1])
        _, third_same = story_store.story_for_member(s, story.id, rows[2])
        _, first_same = story_store.story_for_member(s, story.id, rows[0])
    assert (second_same, third_same, first_same) == (True, False, False)
