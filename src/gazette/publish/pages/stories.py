"""Publish: the story pages — one story's articles (``/story/<id>/<slug>/``) and the list of stories
(``/stories/``)."""

from __future__ import annotations

from dataclasses import dataclass

from gazette.errors import NotFound
from gazette.publish.pages.base import MIN_STORY_ARTICLES, Rendered, SiteBase
from gazette.publish.pages.formatting import teller_name
from gazette.store import listings
from gazette.store import stories as story_store
from gazette.store.db import Session
from gazette.store.schema import Article
from gazette.store.story_schema import Story


@dataclass
class StoryEntry:
    """One article on a story page, with the article it copies when it is a near-duplicate."""

    article: Article
    copy_of: Article | None = None


class StoryPages(SiteBase):
    """A story's page and the pages of stories."""

    def story(self, story_id: int, slug: str) -> Rendered:
        """``/story/<id>/<slug>/``: every article of a story, oldest first, near-copies marked.

        A slug that is not the story's own is a 404 here. An id that no longer names a story (merged or split
        by ``gazette recluster``) is answered 301 by the app from the story redirects.
        """
        with self.db.session() as s:
            story = story_store.story_by_id(s, story_id)
            if story is None or story.slug != slug:
                raise NotFound(f"no story at /story/{story_id}/{slug}/")
            members = story_store.articles_of(s, story.id, include_duplicates=True)
            if not members:
                raise NotFound(f"story {story_id} has no articles")
            entries = story_entries(s, members)
            body = self._render(
                "story.html",
                nav=self._nav(s),
                story=story,
                entries=entries,
                copies=sum(1 for e in entries if e.copy_of is not None),
                languages=sorted({a.language[:2] for a in members if a.language}),
            )
            changed = max(a.updated_at or a.fetched_at for a in members)
            return Rendered(body, last_modified=changed, max_age=300)

    def stories(self, number: int = 1) -> Rendered:
        """``/stories/`` (and ``page/N/``): stories told by two articles or more, most recently updated first."""
        if number < 1:
            raise NotFound(f"no page {number} of /stories/")
        with self.db.session() as s:
            found = story_store.recent_stories(
                s,
                limit=self.page_size + 1,
                min_articles=MIN_STORY_ARTICLES,
                offset=(number - 1) * self.page_size,
            )
            if number > 1 and not found:
                raise NotFound(f"no page {number} of /stories/")
            has_next = len(found) > self.page_size
            shown = found[: self.page_size]
            names = _story_sources(s, [st.id for st in shown])
            body = self._render(
                "stories.html",
                nav=self._nav(s),
                stories=[(st, names[st.id]) for st in shown],
                number=number,
                has_next=has_next,
                page_path=self.page_path,
            )
            return Rendered(body, last_modified=listings.latest_change(s), max_age=120)

    def stories_all(self, session: Session) -> list[Story]:
        """Every story that has its own page, most recently updated first (for the sitemap and the build)."""
        out: list[Story] = []
        batch = 1000
        while True:
            found = story_store.recent_stories(
                session, limit=batch, min_articles=MIN_STORY_ARTICLES, offset=len(out)
            )
            out.extend(found)
            if len(found) < batch:
                return out


def story_entries(session: Session, members: list[Article]) -> list[StoryEntry]:
    """A story's rows (page and API): each article with the original it copies (when it is a near-duplicate)."""
    original_of = story_store.originals_of(session, [a.id for a in members])
    by_id = {a.id: a for a in members}
    missing = sorted({o for o in original_of.values() if o not in by_id})
    if missing:  # an original outside the story (its text changed since): still named and linked
        by_id.update(story_store.articles_by_ids(session, missing))
    return [StoryEntry(a, by_id.get(original_of[a.id]) if a.id in original_of else None) for a in members]


def _story_sources(session: Session, story_ids: list[int]) -> dict[int, list[str]]:
    """The names of the sources telling each story, in the order they first reported it."""
    out: dict[int, list[str]] = {}
    for story_id, told in story_store.tellers(session, story_ids).items():
        names = out.setdefault(story_id, [])
        for source, site, url in told:
            name = teller_name(source, site, url)
            if name not in names:
                names.append(name)
    return out
