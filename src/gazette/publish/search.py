"""Publish: turn search and listing query parameters into a store filter — shared by /search and /api/.

Unknown or malformed filter values never raise: they are dropped (and the form shows them empty), so a
reader's typo gives fewer filters, not an error page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date

from gazette.store import listings
from gazette.store.db import Session
from gazette.store.listings import ArticleFilter

logger = logging.getLogger(__name__)

FILTER_KEYS = ("section", "source", "locale", "language", "from", "to")
# The readers' guide to the query syntax (docs/search.md), linked from the search form.
SEARCH_HELP_URL = "https://github.com/gazette-news/gazette/blob/main/docs/search.md"
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?", re.ASCII)
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,199}", re.ASCII)


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def parse_filter(session: Session, params: Mapping[str, str]) -> tuple[ArticleFilter, dict[str, str]]:
    """The ArticleFilter the parameters ask for, and the cleaned values to show back in the form."""
    flt = ArticleFilter()
    form = {key: "" for key in FILTER_KEYS}
    section = (params.get("section") or "").strip()
    if section and re.fullmatch(r"[a-z0-9-]{1,100}", section, re.ASCII):
        flt.section = section
        form["section"] = section
    source_slug = (params.get("source") or "").strip()
    if source_slug and _SLUG.fullmatch(source_slug):
        src = listings.source_by_slug(session, source_slug)
        if src is not None:
            flt.source_id = src.id
            form["source"] = src.slug
    locale = (params.get("locale") or "").strip().strip("/")
    if locale and all(_SLUG.fullmatch(part) for part in locale.split("/")):
        parts = locale.split("/")
        place = listings.find_place(session, parts[0], parts[1] if len(parts) > 1 else None)
        if place is not None:
            flt.country_code = place.country_code
            flt.region_code = place.region_code
            form["locale"] = locale
    language = (params.get("language") or "").strip()
    if language and _LANGUAGE.fullmatch(language):
        flt.language = language.lower()
        form["language"] = language.lower()
    for key, attr in (("from", "date_from"), ("to", "date_to")):
        value = _parse_date(params.get(key) or "")
        if value is not None:
            setattr(flt, attr, value)
            form[key] = value.isoformat()
    return flt, form


def parse_page(value: str | None) -> int:
    """A 1-based page number from a query string; anything odd is page 1."""
    try:
        number = int(value or "1")
    except ValueError:
        return 1
    return min(max(number, 1), 10_000)
