"""Conditional GET (RFC 9110 §13): whether a client's copy is still current, for every server Gazette runs.

The web app (``publish/responses.py``) and the demo publisher (``demo/publisher.py``) both answer 304 through
``is_not_modified``. ``If-None-Match`` wins; ``If-Modified-Since`` counts only without it, and only to the
second (HTTP dates carry no fraction). Weak tags compare equal to strong ones, as a GET allows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime


def is_not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, last_modified: datetime | None
) -> bool:
    """True when the request's validators say the client already holds this representation."""
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if if_modified_since and last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return last_modified.replace(microsecond=0) <= since
    return False


def http_date(value: datetime) -> str:
    """``value`` as an HTTP date (``Last-Modified``), in GMT."""
    return format_datetime(value.astimezone(UTC), usegmt=True)
