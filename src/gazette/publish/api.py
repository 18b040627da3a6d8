"""Publish: the JSON API under /api/ — articles with filters and cursor pagination, sections, locales, sources, search.

Cursors are opaque strings; a list answer carries ``next_cursor`` (null on the last page). A cursor, filter or
number the API cannot understand is a 400 with the error object — never dropped, never a 500. The full text of an
article is included only when its source allows republishing, exactly as on the article page.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from gazette.errors import BadRequest, Gone, NotFound
from gazette.publish.pages import (
    MIN_STORY_ARTICLES,
    Site,
    locale_labels,
    safe_url,
    source_name,
    story_entries,
)
from gazette.publish.responses import respond_json
from gazette.publish.search import FILTER_KEYS, parse_filter
from gazette.store import listings
from gazette.store import stories as story_store
from gazette.store import tombstones as tombstone_store
from gazette.store.db import Session
from gazette.store.listings import ArticleFilter
from gazette.store.schema import Article
from gazette.store.story_schema import Story

logger = logging.getLogger(__name__)

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
            "required": ["status", "message"],
        }
    },
    "required": ["error"],
}
router = APIRouter(
    tags=["articles"],
    responses={
        400: {
            "description": "A malformed parameter or cursor.",
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
        },
        404: {"description": "No such article.", "content": {"application/json": {"schema": ERROR_SCHEMA}}},
    },
)


MAX_CURSOR = 200  # characters: every cursor this API writes is well under this
CURSOR_DOC = (
    "An opaque string: the next_cursor of the previous answer, passed back unchanged. Anything else is a 400."
)


def document_errors(spec: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document as the API behaves: bad parameters are 400 with an ``error`` object, never 422,
    and a cursor is an opaque string (of at most ``MAX_CURSOR`` characters), not something to build."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
            for param in operation.get("parameters", []):
                if param.get("name") == "cursor":
                    param["description"] = CURSOR_DOC
                    param["schema"] = {
                        "type": "string",
                        "format": "opaque",
                        "maxLength": MAX_CURSOR,
                        "title": "Cursor",
                        "description": CURSOR_DOC,
                    }
    schemas = spec.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    if "components" in spec and not schemas:
        del spec["components"]
    return spec


MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def _encode(payload: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decode(cursor: str) -> list[Any]:
    """The list a cursor of ours carries; BadRequest for anything else (too long, not base64, not strict JSON,
    ``Infinity``/``NaN``, nested lists or objects)."""
    if len(cursor) > MAX_CURSOR:
        raise BadRequest("invalid cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw, parse_constant=_no_constant)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BadRequest("invalid cursor") from exc
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise BadRequest("invalid cursor")
    return value


def article_json(site: Site, a: Article, *, full: bool = False) -> dict[str, Any]:
    """One article as the API shows it."""
    out: dict[str, Any] = {
        "id": a.id,
        "url": site.absolute(a),
        "path": a.path,
        "title": a.title,
        "source": {"name": source_name(a), "slug": a.source.slug if a.source else None},
        "section": {"slug": a.section, "name": site.settings.section_name(a.section)} if a.section else None,
        "published_at": a.published_at.isoformat() if a.published_at else None,
        "updated_at": a.updated_at.isoformat() if a.updated_at else None,
        "fetched_at": a.fetched_at.isoformat(),
        "language": a.language,
        "author": a.author,
        "original_url": safe_url(a.original_url),
        "locales": [label for label, _ in locale_labels(a.locales)],
    }
    if full:
        # The article's lasting address on this site (``url`` is the same today; a webhook receiver keys on
        # this one).
        out["permalink"] = site.absolute(a.path)
        out["brief"] = [
            {
                "text": b.text,
                "kind": b.kind,
                "source_start": b.source_start,
                "source_end": b.source_end,
                "source_passage": a.text[b.source_start : b.source_end],
            }
            for b in a.brief
        ]
        out["places"] = [
            {
                "kind": loc.kind,
                "name": loc.name,
                "country_code": loc.country_code,
                "country_name": loc.country_name,
                "region_code": loc.region_code,
                "region_name": loc.region_name,
                "salience": loc.salience,
            }
            for loc in a.locales
        ]
        out["text"] = a.text if (a.source and a.source.republish_full_text) else None
    return out


FILTER_DOC = {
    "section": "Section slug, e.g. politics-government.",
    "source": "Source slug.",
    "locale": "Country slug, or country/region slugs, e.g. venezuela/aragua.",
    "language": "Language code, e.g. es.",
    "from": "First day (YYYY-MM-DD), inclusive.",
    "to": "Last day (YYYY-MM-DD), inclusive.",
}


def filter_params(
    section: str | None = Query(None, description=FILTER_DOC["section"]),
    source: str | None = Query(None, description=FILTER_DOC["source"]),
    locale: str | None = Query(None, description=FILTER_DOC["locale"]),
    language: str | None = Query(None, description=FILTER_DOC["language"]),
    date_from: str | None = Query(None, alias="from", description=FILTER_DOC["from"]),
    date_to: str | None = Query(None, alias="to", description=FILTER_DOC["to"]),
) -> dict[str, str]:
    """The article filters, declared once for every endpoint that takes them (a FastAPI dependency): the
    values given, by their query-string names."""
    given = {"section": section, "source": source, "locale": locale, "language": language}
    given |= {"from": date_from, "to": date_to}
    return {key: value for key, value in given.items() if value is not None}


_NOT_UNDERSTOOD = {
    "section": "no such section",
    "source": "no such source",
    "locale": "no such place",
    "language": "not a language code",
    "from": "not a date (YYYY-MM-DD)",
    "to": "not a date (YYYY-MM-DD)",
}


@dataclass
class IgnoredFilter:
    """A filter value given but not understood: the parameter, the value as given (cut short) and why."""

    key: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.key}={self.value!r}: {self.reason}"


def read_filter(
    site: Site, session: Session, params: Mapping[str, str]
) -> tuple[ArticleFilter, dict[str, str], list[IgnoredFilter]]:
    """``parse_filter``'s filter and form values, and every given filter it could not understand.

    ``parse_filter`` drops what it cannot read; a section slug it keeps even when no such section exists, so
    that is checked here. The JSON API answers 400 for any ignored filter; the HTML search page shows its
    results without them and names them.
    """
    flt, form = parse_filter(session, params)
    if flt.section and not site.is_section(session, flt.section):
        flt.section = None
        form["section"] = ""
    ignored = []
    for key in FILTER_KEYS:
        given = (params.get(key) or "").strip()
        if key == "locale":
            given = given.strip("/")
        if given and not form[key]:
            shown = given if len(given) <= 80 else given[:80] + "…"
            ignored.append(IgnoredFilter(key, shown, _NOT_UNDERSTOOD[key]))
    return flt, form, ignored


def _api_filter(
    site: Site, session: Session, params: Mapping[str, str]
) -> tuple[ArticleFilter, dict[str, str]]:
    flt, form, ignored = read_filter(site, session, params)
    if ignored:
        raise BadRequest("; ".join(str(i) for i in ignored))
    return flt, form


@router.get("/articles", summary="List articles, newest first, with filters and cursor pagination.")
def list_articles(
    request: Request,
    filters: dict[str, str] = Depends(filter_params),
    cursor: str | None = Query(None, description="The next_cursor of the previous answer."),
    limit: int = Query(20, ge=1, le=100, description="Articles per answer."),
) -> Response:
    site = _site(request)
    after: tuple[datetime, int] | None = None
    if cursor:
        value = _decode(cursor)
        if len(value) != 2 or not isinstance(value[0], str) or type(value[1]) is not int:
            raise BadRequest("invalid cursor")
        try:
            when = datetime.fromisoformat(value[0])
            if when.tzinfo is None:
                raise ValueError("a cursor's time has an offset")
            after = (when.astimezone(UTC), value[1])  # overflows for a year-1 time east of UTC
        except (ValueError, OverflowError) as exc:
            raise BadRequest("invalid cursor") from exc
        if not 0 <= after[1] <= MAX_ID:
            raise BadRequest("invalid cursor")
    with site.db.session() as s:
        flt, applied = _api_filter(site, s, filters)
        rows = listings.articles_after_cursor(s, flt, after, limit + 1)
        items = [article_json(site, a) for a in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = _encode([listings.sort_key_of(last).isoformat(), last.id])
        changed = listings.latest_change(s, flt)
    answer = {"items": items, "next_cursor": next_cursor, "filters": {k: v for k, v in applied.items() if v}}
    return respond_json(request, answer, last_modified=changed)


@router.get(
    "/articles/{article_id}",
    summary="One article, with its brief, places and (when allowed) text.",
    responses={
        410: {
            "description": "The article was unpublished.",
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
        }
    },
)
def get_article(
    request: Request, article_id: int = Path(..., ge=1, le=MAX_ID, description="The article's id.")
) -> Response:
    site = _site(request)
    with site.db.session() as s:
        a = listings.article_by_id(s, article_id)
        if a is None:
            stone = tombstone_store.tombstone_of_id(s, article_id)
            if stone is not None:
                raise Gone(f"article {article_id} was unpublished on {stone.unpublished_at:%Y-%m-%d}")
            raise NotFound(f"no article {article_id}")
        answer = article_json(site, a, full=True)
        return respond_json(request, answer, last_modified=a.updated_at or a.fetched_at, max_age=300)


@router.get("/sections", summary="Sections that have articles, with counts.")
def get_sections(request: Request) -> Response:
    site = _site(request)
    with site.db.session() as s:
        counts = listings.section_counts(s)
        changed = listings.latest_change(s)
    items = [
        {"slug": slug, "name": name, "count": counts[slug], "path": f"/{slug}/"}
        for slug, name in site.sections_in_order(counts)
    ]
    return respond_json(request, {"items": items}, last_modified=changed)


@router.get("/locales", summary="Countries and their regions that articles are about, with counts.")
def get_locales(request: Request) -> Response:
    site = _site(request)
    with site.db.session() as s:
        places = listings.list_places(s)
        changed = listings.latest_change(s)
    items = [
        {
            "name": c.name,
            "slug": c.slug,
            "country_code": c.country_code,
            "count": c.count,
            "path": c.path,
            "regions": [
                {
                    "name": r.name,
                    "slug": r.slug,
                    "region_code": r.region_code,
                    "count": r.count,
                    "path": r.path,
                }
                for r in c.regions
            ],
        }
        for c in places
    ]
    return respond_json(request, {"items": items}, last_modified=changed)


@router.get("/sources", summary="Sources that have articles, with counts.")
def get_sources(request: Request) -> Response:
    site = _site(request)
    with site.db.session() as s:
        rows = listings.sources_with_counts(s)
        items = [
            {
                "name": src.name,
                "slug": src.slug,
                "home_url": safe_url(src.home_url),
                "count": n,
                "path": f"/source/{src.slug}/",
            }
            for src, n in rows
        ]
        changed = listings.latest_change(s)
    return respond_json(request, {"items": items}, last_modified=changed)


@router.get("/search", summary="Full-text search over titles and text, ranked, with the article filters.")
def search(
    request: Request,
    q: str = Query(
        ...,
        description='Words to find, in any form and with or without accents; "phrase", OR, -word and word* '
        "work as in docs/search.md. Hits with only some of the words follow the others, marked partial.",
    ),
    filters: dict[str, str] = Depends(filter_params),
    cursor: str | None = Query(None, description="The next_cursor of the previous answer."),
    limit: int = Query(20, ge=1, le=100, description="Hits per answer."),
) -> Response:
    site = _site(request)
    offset = _offset_cursor(cursor)
    with site.db.session() as s:
        flt, applied = _api_filter(site, s, filters)
        hits, total = listings.search_articles(s, q[:500], flt, limit=limit, offset=offset)
        items = [
            {
                **article_json(site, h.article),
                "snippet_html": h.snippet_html,
                "rank": h.rank,
                "partial": h.partial,
            }
            for h in hits
        ]
        changed = listings.latest_change(s)
    next_cursor = _encode([offset + limit]) if offset + limit < total else None
    answer = {
        "total": total,
        "items": items,
        "next_cursor": next_cursor,
        "filters": {k: v for k, v in applied.items() if v},
    }
    return respond_json(request, answer, last_modified=changed, max_age=0)


def _offset_cursor(cursor: str | None) -> int:
    """The offset an offset-style cursor (search, stories) carries; 0 without one."""
    if not cursor:
        return 0
    value = _decode(cursor)
    if len(value) != 1 or type(value[0]) is not int or not 0 <= value[0] <= 1_000_000:
        raise BadRequest("invalid cursor")
    return int(value[0])


def story_json(site: Site, story: Story) -> dict[str, Any]:
    """One story as the API lists it."""
    return {
        "id": story.id,
        "title": story.title,
        "url": site.absolute(story.path),
        "path": story.path,
        "first_seen": story.first_seen.isoformat(),
        "updated_at": story.updated_at.isoformat(),
        "article_count": story.article_count,
        "source_count": story.source_count,
    }


@router.get(
    "/stories",
    summary="Stories (one event as several articles tell it), most recently updated first.",
    tags=["stories"],
)
def list_stories(
    request: Request,
    min_articles: int = Query(
        MIN_STORY_ARTICLES, ge=1, le=1000, description="Only stories with at least this many articles."
    ),
    cursor: str | None = Query(None, description="The next_cursor of the previous answer."),
    limit: int = Query(20, ge=1, le=100, description="Stories per answer."),
) -> Response:
    site = _site(request)
    offset = _offset_cursor(cursor)
    with site.db.session() as s:
        rows = story_store.recent_stories(s, limit=limit + 1, min_articles=min_articles, offset=offset)
        items = [story_json(site, st) for st in rows[:limit]]
        changed = listings.latest_change(s)
    next_cursor = _encode([offset + limit]) if len(rows) > limit else None
    return respond_json(request, {"items": items, "next_cursor": next_cursor}, last_modified=changed)


@router.get(
    "/stories/{story_id}",
    summary="One story with its articles, oldest first; a near-copy names the article it copies.",
    tags=["stories"],
)
def get_story(
    request: Request, story_id: int = Path(..., ge=1, le=MAX_ID, description="The story's id.")
) -> Response:
    site = _site(request)
    with site.db.session() as s:
        story = story_store.story_by_id(s, story_id)
        if story is None:
            raise NotFound(f"no story {story_id}")
        members = story_store.articles_of(s, story.id, include_duplicates=True)
        articles = [
            {**article_json(site, e.article), "duplicate_of": e.copy_of.id if e.copy_of else None}
            for e in story_entries(s, members)
        ]
        answer = {**story_json(site, story), "articles": articles}
        changed = max((a.updated_at or a.fetched_at for a in members), default=None)
    return respond_json(request, answer, last_modified=changed, max_age=300)
