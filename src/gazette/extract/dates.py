"""Extract stage: the publication and update dates a page states, read from its parsed tree.

htmldate reads the page first, much as it reads it alone (original date; the fetched URL, or for a file the
page's own ``rel=canonical`` or ``og:url``): rules of ours put before it lost 2–6 points on pages never seen
(issue 12). Its fast search runs first; the extensive one only when that finds nothing, on a copy whose links
have lost their targets (a related story's ``/2026/02/18/…`` link is not this page's date). Its answer is then
checked, never replaced wholesale:

1. The page's machine-readable publication time (JSON-LD ``datePublished``, ``article:published_time`` …)
   on the same day gives the time of day and the page's own offset; the day stays htmldate's.
2. Many publishers write that time in UTC while the URL and the byline give their local day. Where the
   byline (or htmldate's day) and that instant differ by no more than a time zone can explain (UTC−12 to
   UTC+14), the instant is kept and stated at the whole-hour offset nearest to its own that falls on the
   publisher's day: ``2019-11-20T05:57:50Z`` under a "Tuesday, November 19, 2019" byline becomes
   ``2019-11-19T23:57:50-06:00``, the same moment on the day the reader is shown.
3. Nothing on the page: the feed entry's date (``settle_date``).

Dates keep the offset the page gives (so the first ten characters of the ISO form are the publisher's day);
a date without one is taken as UTC. The store keeps UTC (``store.schema.UTCDateTime``).
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

logger = logging.getLogger(__name__)

FUTURE_SLACK = timedelta(days=1)  # time zones and clock skew; further ahead is a wrong date
AGREEMENT = timedelta(hours=36)  # a feed and a page agree when within a day and a half (time zones)
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)  # before the web had news sites: a placeholder (0001-01-01 …)
# Offsets in use on Earth, in hours: an instant and a day agree when some zone puts the instant on that day.
WEST, EAST = -12, 14
_OUTPUT = "%Y-%m-%dT%H:%M:%S%z"

# Machine-readable publication times, by attribute value (lower case), in the order they are trusted.
_META_PUBLISHED = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "article.published",
    "article:published",
    "published_time",
    "parsely-pub-date",
    "pubdate",
    "publish-date",
    "dc.date.issued",
    "dcterms.created",
    "dc.date",
)
_JSON_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')
_MODIFIED_WORDS = re.compile(r"updat|modif|actualiz|aktualisiert|mis à jour|atualiz", re.I)
_BYLINE_CLASS = re.compile(r"date|time|byline|posted|publish|dateline|stamp", re.I)
_BYLINE_MAX = 120  # characters: a byline, not a paragraph that mentions a date
_BYLINE_LOOK = 12  # candidate elements read, in document order

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january", "janvier", "enero", "januar", "janeiro", "gennaio"),
            ("feb", "february", "février", "fevrier", "febrero", "februar", "fevereiro", "febbraio"),
            ("mar", "march", "mars", "marzo", "märz", "marco", "março"),
            ("apr", "april", "avril", "abril", "aprile"),
            ("may", "mai", "mayo", "maio", "maggio"),
            ("jun", "june", "juin", "junio", "juni", "junho", "giugno"),
            ("jul", "july", "juillet", "julio", "juli", "julho", "luglio"),
            ("aug", "august", "août", "aout", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre", "setembro", "settembre"),
            ("oct", "october", "octobre", "octubre", "oktober", "outubro", "ottobre"),
            ("nov", "november", "novembre", "noviembre", "novembro"),
            ("dec", "december", "décembre", "decembre", "diciembre", "dezember", "dezembro", "dicembre"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"([^\W\d_]{3,10})\.?"
_MONTH_DAY_YEAR = re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})\.?\s+(?:de\s+)?" + _MONTH + r",?\s+(?:de\s+)?(\d{4})\b")
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def published_date(tree: Any, url: str | None, now: datetime) -> datetime | None:
    """The publication date the page states, with its own offset when it gives one; None when it has none.

    ``tree`` is the parsed page (it is not modified); ``url`` the address it was fetched from, used only
    when it is http(s) — otherwise the page's ``rel=canonical``, else its ``og:url``, stands for it.
    """
    limit = now + FUTURE_SLACK
    # Fast mode first: it reads the URL, markup and text, never link targets. Only a page where it finds
    # nothing gets the extensive search, on a copy without links' targets, navigation and side columns.
    found = _htmldate(tree, url, limit, original=True, extensive=False)
    if found is None:
        found = _htmldate(_without_links(tree), url, limit, original=True)
    structured = _structured_published(tree, limit)
    if found is None:
        if structured is None:
            return None
        found = structured
    elif structured is not None:
        if structured.date() == found.date():
            found = structured  # same day: the page's own time and offset
        elif (
            _is_midnight(found)
            and not structured.utcoffset()
            and (restated := restate(structured, found.date())) is not None
        ):
            found = restated  # a day (URL, text) and a UTC instant of that day somewhere on Earth
    if not _is_midnight(found) and not found.utcoffset():
        # An instant written in UTC: the byline says which day the publisher showed the reader.
        shown = byline_day(tree)
        if shown is not None and shown != found.date():
            restated = restate(found, shown)
            if restated is not None:
                logger.debug("date %s restated to the byline's day %s", found.isoformat(), shown)
                found = restated
    return found


def updated_date(tree: Any, url: str | None, published: datetime | None, now: datetime) -> datetime | None:
    """The page's own last-modified date (``article:modified_time`` …) when it is after publication."""
    if published is None:
        return None
    limit = now + FUTURE_SLACK
    # No URL: a day in the address is the publication day, never an update.
    found = _htmldate(tree, "", limit, original=False, extensive=False)
    if found is None or found - published < timedelta(hours=1):
        return None
    return found


def settle_date(page: datetime | None, feed: datetime | None, now: datetime) -> datetime | None:
    """The page's date, else the feed entry's (in UTC). A date more than a day ahead is never used.

    When the page gives only a day and the feed's time falls on it (within a time zone), the feed's instant
    is kept, stated on the page's day. When they disagree the page wins: feeds often carry update times.
    """
    limit = now + FUTURE_SLACK
    if page is not None and as_utc(page) > limit:
        page = None
    if feed is not None:
        feed = as_utc(feed)
        if feed > limit:
            feed = None
    if page is None:
        return feed
    if feed is not None and _is_midnight(page) and abs(feed - as_utc(page)) <= AGREEMENT:
        return restate(feed, page.date()) or page
    return page


def restate(instant: datetime, day: date) -> datetime | None:
    """``instant`` at the whole-hour offset nearest to its own that puts it on ``day``; None when no zone on
    Earth (UTC−12 to UTC+14) does."""
    own = instant.utcoffset() or timedelta(0)
    utc = as_utc(instant).replace(tzinfo=None)
    if (utc + own).date() == day:
        return instant if instant.tzinfo is not None else as_utc(instant)
    candidates = [timedelta(hours=h) for h in range(-12, 15) if (utc + timedelta(hours=h)).date() == day]
    if not candidates:
        return None
    offset = min(candidates, key=lambda c: abs(c - own))
    return as_utc(instant).astimezone(timezone(offset))


def byline_day(tree: Any) -> date | None:
    """The day written in the page's byline: the text of the first ``<time>`` or date-like element
    (class, id or itemprop naming a date) after the headline that reads as a day, skipping update notices.

    Reading starts at the first ``<h1>``: a masthead above it often shows today's date."""
    headline = next(tree.iter("h1"), None)
    seen = 0
    hinted: dict[str, bool] = {}  # a page repeats its class names: each hint is searched once
    for el in tree.iter() if headline is None else _after(headline, tree):
        if not isinstance(el.tag, str):
            continue
        if el.tag != "time":
            hint = f"{el.get('class', '')} {el.get('id', '')} {el.get('itemprop', '')}"
            dated = hinted.get(hint)
            if dated is None:
                dated = hinted[hint] = bool(_BYLINE_CLASS.search(hint)) and not _MODIFIED_WORDS.search(hint)
            if not dated:
                continue
        text = " ".join(el.text_content().split())
        if not text or len(text) > _BYLINE_MAX:
            continue
        seen += 1
        if seen > _BYLINE_LOOK:
            return None
        if _MODIFIED_WORDS.search(text):
            continue
        day = _read_day(text)
        if day is not None:
            return day
    return None


def _after(el: Any, root: Any) -> Iterator[Any]:
    """The nodes after ``el`` inside ``root``, in document order: its descendants, then what follows it."""
    yield from el.iterdescendants()
    while el is not root:
        for sibling in el.itersiblings():
            yield from sibling.iter()
        el = el.getparent()
        if el is None:
            return


def as_utc(value: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# -- readers --------------------------------------------------------------------------------------


def _htmldate(
    tree: Any, url: str | None, limit: datetime, *, original: bool, extensive: bool = True
) -> datetime | None:
    from htmldate import find_date

    if url is None or (url and not url.startswith(("http://", "https://"))):
        url = _own_address(tree)
    try:
        # htmldate copies a tree it is handed before pruning it; the caller's tree stays whole.
        value = find_date(
            tree,
            url=url,
            original_date=original,
            extensive_search=extensive,
            outputformat=_OUTPUT,
            max_date=limit.strftime("%Y-%m-%d"),
        )
    except Exception:  # a parser bug on a hostile page: no date rather than no article
        logger.debug("htmldate failed", exc_info=True)
        return None
    return _checked(_parse(value), limit)


_CHROME = ("nav", "aside", "footer", "form")


def _without_links(tree: Any) -> Any:
    """A copy whose links keep their words but lose their targets, without navigation or side columns:
    htmldate's extensive search would otherwise take a related story's date from its link
    (``/2026/02/18/other-story.html``). A byline inside a link keeps its text."""
    pruned = copy.deepcopy(tree)
    for el in list(pruned.iter(*_CHROME)):
        if el.getparent() is not None:
            el.drop_tree()
    for el in pruned.iter("a"):
        el.attrib.pop("href", None)
    _cap_text(pruned, EXTENSIVE_TEXT_CHARS)
    return pruned


# What htmldate's extensive search reads of a page's text. A publication date sits in the head, the byline or
# the first paragraphs; past this (a long read is about 60,000 characters) its regex scans of the whole page
# only cost time: 0.44 s of CPU on a 1 MB page (bench/adversarial.py).
EXTENSIVE_TEXT_CHARS = 60_000


def _cap_text(tree: Any, limit: int) -> None:
    """Cut ``tree`` after its first ``limit`` characters of text, in document order (the head is kept)."""
    seen = 0
    doomed = []
    for el in tree.iter():
        if seen > limit:
            if el.getparent() is not None and el.tag != "head":
                doomed.append(el)
            continue
        seen += len(el.text or "") + len(el.tail or "")
    for el in doomed:
        parent = el.getparent()
        if parent is not None:
            el.tail = None
            parent.remove(el)


def _own_address(tree: Any) -> str | None:
    """A page read from a file: its ``rel=canonical``, else its ``og:url`` (trafilatura's order). htmldate
    reads a date in it first, as it does in the URL it is given."""
    for link in tree.iterfind(".//link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return str(link.get("href")).strip()
    for meta in tree.iterfind(".//meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url" and meta.get("content"):
            return str(meta.get("content")).strip()
    return None


def _structured_published(tree: Any, limit: datetime) -> datetime | None:
    """The first machine-readable publication time that parses: JSON-LD, then ``<meta>``, then itemprop."""
    for script in tree.iterfind(".//script"):
        if script.get("type", "").lower() != "application/ld+json" or not script.text:
            continue
        for match in _JSON_PUBLISHED.finditer(script.text):
            found = _checked(_parse(_unescape(match.group(1))), limit)
            if found is not None:
                return found
    metas: dict[str, str] = {}
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = meta.get("content")
        if key in _META_PUBLISHED and content and key not in metas:
            metas[key] = content
    for key in _META_PUBLISHED:
        if key in metas and (found := _checked(_parse(metas[key]), limit)) is not None:
            return found
    return None


def _unescape(value: str) -> str:
    try:
        return str(json.loads(f'"{value}"'))
    except ValueError:
        return value


def _parse(value: str | None) -> datetime | None:
    """ISO 8601 (with or without offset, ``Z``, basic offsets) or RFC 2822; None for anything else."""
    if not value:
        return None
    value = value.strip()
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _checked(value: datetime | None, limit: datetime) -> datetime | None:
    """A plausible date: aware (UTC when the page gave no offset), after 1995 and not in the future."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not EARLIEST <= value <= limit:
        return None
    return value


def _is_midnight(value: datetime) -> bool:
    """A day without a time of day (htmldate gives a URL or text date as midnight)."""
    return (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)


def _read_day(text: str) -> date | None:
    for pattern, order in ((_MONTH_DAY_YEAR, "mdy"), (_DAY_MONTH_YEAR, "dmy"), (_ISO_DAY, "ymd")):
        for match in pattern.finditer(text):
            day = _match_day(match, order)
            if day is not None:
                return day
    return None


def _match_day(match: re.Match[str], order: str) -> date | None:
    parts = dict(zip(order, match.groups(), strict=True))
    month = parts["m"]
    number = int(month) if month.isdigit() else _MONTHS.get(month.casefold())
    if number is None:
        return None
    try:
        return date(int(parts["y"]), number, int(parts["d"]))
    except ValueError:
        return None


__all__ = ["as_utc", "byline_day", "published_date", "restate", "settle_date", "updated_date"]
