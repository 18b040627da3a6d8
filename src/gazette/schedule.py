"""Scheduling: when each feed is next fetched — pure arithmetic on what the feed and the server said.

A feed's interval is *learned* from how often it publishes (the median gap between its recent items' dates,
halved so a new item waits at most about half a gap), then *bounded* below by what the publisher asks for
(``<ttl>``, ``sy:updatePeriod``/``sy:updateFrequency``, ``Cache-Control: max-age``; a ``Retry-After`` is a
floor too) and by the ``[schedule]`` limits. An editor's fixed interval replaces all of that. Failures back off
exponentially from ``min_interval``. Nothing here touches the network or the store; ``pipeline.py`` passes the
facts in and the store keeps the answer.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

FAILING_AFTER = 3  # consecutive failures after which a feed is shown as `failing`
RECENT_ITEMS = 20  # gaps are measured over this many newest dated items

_PERIOD_SECONDS = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2592000, "yearly": 31536000}
_MAX_AGE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d{1,10})\"?", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """The ``[schedule]`` bounds, in seconds."""

    min_interval: float = 600.0
    max_interval: float = 86400.0


def feed_status(*, paused: bool, error_count: int) -> str:
    """``paused``, ``failing`` (three failures in a row or more) or ``active``."""
    if paused:
        return "paused"
    if error_count >= FAILING_AFTER:
        return "failing"
    return "active"


def update_period_seconds(period: str | None, frequency: str | int | None = None) -> float | None:
    """Seconds between updates from RSS ``sy:updatePeriod`` and ``sy:updateFrequency`` (None when unreadable)."""
    if not period:
        return None
    base = _PERIOD_SECONDS.get(str(period).strip().lower())
    if base is None:
        return None
    try:
        times = int(str(frequency).strip()) if frequency not in (None, "") else 1
    except ValueError:
        times = 1
    return base / max(1, times)


def ttl_seconds(ttl: str | int | None) -> float | None:
    """Seconds from RSS ``<ttl>`` (minutes); None when absent or not a positive number."""
    if ttl is None:
        return None
    try:
        minutes = float(str(ttl).strip())
    except ValueError:
        return None
    return minutes * 60 if 0 < minutes < 1e7 else None


def max_age_seconds(headers: Mapping[str, str]) -> float | None:
    """``Cache-Control: max-age`` (or ``s-maxage``) of a response, in seconds; None when absent."""
    value = headers.get("cache-control") or headers.get("Cache-Control")
    if not value:
        return None
    ages = [int(m.group(2)) for m in _MAX_AGE.finditer(value)]
    return float(max(ages)) if ages else None


def asked_interval(*hints: float | None) -> float | None:
    """The longest wait the publisher asked for among its hints (each may be missing)."""
    present = [h for h in hints if h is not None and h > 0]
    return max(present) if present else None


def learned_interval(dates: Iterable[datetime | None]) -> float | None:
    """Half the median gap between the newest dated items, in seconds; None with fewer than two dates."""
    stamps = sorted({d.timestamp() for d in dates if d is not None}, reverse=True)[: RECENT_ITEMS + 1]
    if len(stamps) < 2:
        return None
    gaps = [a - b for a, b in zip(stamps, stamps[1:], strict=False) if a - b > 0]
    if not gaps:
        return None
    return statistics.median(gaps) / 2


def next_interval(
    limits: Limits,
    *,
    learned: float | None,
    asked: float | None = None,
    fixed: float | None = None,
) -> float:
    """Seconds until the next check after a successful fetch.

    A fixed interval wins outright. Otherwise the learned interval (``min_interval`` while nothing is known)
    is raised to what the publisher asked for and kept within ``[min_interval, max_interval]``; a publisher
    asking for more than ``max_interval`` gets ``max_interval``, so no feed is left unchecked for longer.
    """
    if fixed is not None and fixed > 0:
        return float(fixed)
    interval = learned if learned is not None else limits.min_interval
    if asked is not None:
        interval = max(interval, asked)
    return float(min(max(interval, limits.min_interval), limits.max_interval))


def backoff_interval(
    limits: Limits, error_count: int, *, retry_after: float | None = None, fixed: float | None = None
) -> float:
    """Seconds until the next try after the ``error_count``-th failure in a row: doubling from the base
    interval (the fixed one if set, else ``min_interval``), capped at ``max_interval``, never before the
    server's ``Retry-After``."""
    base = float(fixed) if fixed else limits.min_interval
    exponent = min(max(error_count - 1, 0), 30)
    wait = min(base * (2**exponent), max(limits.max_interval, base))
    if retry_after is not None and retry_after > wait:
        wait = retry_after
    return float(wait)
