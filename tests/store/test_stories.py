"""Story store: redirects re-pointed along chains, story ids never handed out twice, the window marker."""

from __future__ import annotations

from datetime import UTC, datetime

from gazette.store import stories as story_store
from gazette.store.db import Database
from gazette.store.story_schema import Story, StoryRedirect

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
