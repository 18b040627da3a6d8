"""Publish: every reader-facing page, rendered from the store — shared by the live app and the static build.

A ``Site`` turns a URL's parts into a ``Rendered`` (body, media type, Last-Modified); the app adds HTTP
(caching, headers, errors) and ``static.py`` writes the same bodies to files, so both serve the same site.
``Site`` is the façade; the renderers are grouped by area: ``articles`` (front page, article), ``listings``
(section, source, locale, watch, search), ``archives`` (day, month) and ``stories``, on the shared ``base``
and ``formatting``.
"""

from __future__ import annotations

from gazette.publish.pages.archives import ArchivePages
from gazette.publish.pages.articles import ArticlePages
from gazette.publish.pages.base import (
    ASSETS,
    HTML,
    MIN_STORY_ARTICLES,
    TEMPLATES,
    Listing,
    Rendered,
    SiteBase,
    asset_fingerprints,
)
from gazette.publish.pages.formatting import (
    clean_html,
    first_lines,
    format_date,
    gone_notice,
    locale_labels,
    paragraphs,
    safe_url,
    source_name,
)
from gazette.publish.pages.listings import ListingPages, watch_listing
from gazette.publish.pages.stories import StoryEntry, StoryPages, story_entries

__all__ = [
    "ASSETS",
    "HTML",
    "MIN_STORY_ARTICLES",
    "TEMPLATES",
    "Listing",
    "Rendered",
    "Site",
    "StoryEntry",
    "asset_fingerprints",
    "clean_html",
    "first_lines",
    "format_date",
    "gone_notice",
    "locale_labels",
    "paragraphs",
    "safe_url",
    "source_name",
    "story_entries",
    "watch_listing",
]


class Site(ArticlePages, ListingPages, ArchivePages, StoryPages, SiteBase):
    """Every page of one site (settings and database); ``static=True`` for the file build."""
