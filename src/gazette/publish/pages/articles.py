"""Publish: the article pages — the front page and an article's permalink (``?view=print`` too)."""

from __future__ import annotations

from gazette.errors import Gone, NotFound
from gazette.publish.pages.base import MIN_STORY_ARTICLES, Rendered, SiteBase
from gazette.publish.pages.formatting import (
    check_date,
    clean_html,
    gone_notice,
    locale_labels,
    paragraphs,
    safe_url,
)
from gazette.store import corrections, listings
from gazette.store import stories as story_store
from gazette.store import tombstones as tombstone_store
from gazette.store.listings import ArticleFilter

FRONT_PER_SECTION = 5
EXTRACTED_NOTE = "Every sentence of this brief is taken from the source article."
REWRITTEN_LABEL = "Rewritten; checked against the source"
MORE_ON_STORY = 5  # other sources' articles listed under "More on this story"


class ArticlePages(SiteBase):
    """The front page and the article page."""

    def front(self) -> Rendered:
        with self.db.session() as s:
            nav = self._nav(s)
            groups = listings.latest_by_section(s, [slug for slug, _ in nav], FRONT_PER_SECTION)
            unfiled = listings.list_articles(s, ArticleFilter(), limit=FRONT_PER_SECTION) if not nav else []
            body = self._render(
                "front.html",
                nav=nav,
                groups=[(slug, name, groups[slug]) for slug, name in nav if groups.get(slug)],
                unfiled=unfiled,
                places=listings.list_places(s)[:12],
                sources=listings.sources_with_counts(s),
            )
            return Rendered(body, last_modified=listings.latest_change(s), max_age=60)

    def article(self, year: str, month: str, day: str, slug: str, *, print_view: bool = False) -> Rendered:
        check_date(year, month, day)
        date_path = f"{year}/{month}/{day}"
        with self.db.session() as s:
            art = listings.article_by_path(s, date_path, slug)
            if art is None:
                stone = tombstone_store.tombstone_at(s, date_path, slug)
                if stone is not None:
                    raise Gone(gone_notice(stone.unpublished_at))
                raise NotFound(f"no article at /content/{date_path}/{slug}.html")
            prev_day, next_day = listings.neighbour_days(s, date_path)
            story = story_store.story_of(s, art.id)
            if story is not None and story.article_count < MIN_STORY_ARTICLES:
                story = None
            more = story_store.more_on_story(s, art.id, limit=MORE_ON_STORY) if story else []
            # "Related articles" leaves out what the story section shows and near-copies of this article.
            corrected = corrections.corrected_on(s, art.id)
            shown = {m.id for m in more}
            if story is not None:
                shown.update(copy.id for copy, _similarity in story_store.duplicates_of(s, art.id))
            body = self._render(
                "article.html",
                nav=[] if print_view else self._nav(s),
                a=art,
                print_view=print_view,
                permalink=self.absolute(art),
                day=date_path,
                prev_day=prev_day,
                next_day=next_day,
                section=self.settings.section_name(art.section) if art.section else None,
                locales=locale_labels(art.locales),
                brief=[(b, _passage(art.text, b.source_start, b.source_end)) for b in art.brief],
                brief_kinds={b.kind for b in art.brief},
                full_text=bool(art.source and art.source.republish_full_text),
                body_html=clean_html(art.html) if art.html else None,
                body_paragraphs=paragraphs(art.text),
                original=safe_url(art.original_url),
                related=[r for r in listings.related_articles(s, art) if r.id not in shown],
                story=story,
                more_on_story=more,
                extracted_note=EXTRACTED_NOTE,
                rewritten_label=REWRITTEN_LABEL,
                corrected_on=corrected,
            )
            changed = art.updated_at or art.fetched_at
            if corrected is not None and corrected > changed:
                changed = corrected  # a correction is a change of the page (If-Modified-Since)
            return Rendered(body, last_modified=changed, max_age=600, canonical=self.absolute(art))


def _passage(text: str, start: int, end: int) -> str:
    if 0 <= start < end <= len(text):
        return text[start:end]
    return ""
