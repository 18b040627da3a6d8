"""Ingest: politeness per host — one request at a time, a delay between them, and Retry-After backoff."""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gazette.errors import HTTPStatusError

logger = logging.getLogger(__name__)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value[:12]))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class _Host:
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0  # monotonic time before which no request starts
    backoff_until: float = 0.0  # Retry-After: no request before this (monotonic)
    backoff_status: int = 0


class Hosts:
    """Politeness state per host name (all ports and schemes of a host share it); safe across threads."""

    def __init__(self, delay_seconds: float) -> None:
        self.delay_seconds = delay_seconds
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()

    def _host(self, name: str) -> _Host:
        with self._lock:
            host = self._hosts.get(name)
            if host is None:
                host = self._hosts[name] = _Host()
            return host

    def check_backoff(self, name: str, url: str) -> None:
        """Raise ``HTTPStatusError`` (with the seconds left) while the host asked us to wait."""
        host = self._host(name)
        left = host.backoff_until - time.monotonic()
        if left > 0:
            raise HTTPStatusError(url, host.backoff_status or 429, round(left, 3))

    def back_off(self, name: str, status: int, wait: float) -> None:
        host = self._host(name)
        host.backoff_until = max(host.backoff_until, time.monotonic() + wait)
        host.backoff_status = status

    @contextmanager
    def turn(self, name: str, url: str) -> Iterator[None]:
        """Hold the host: one request at a time, ``delay_seconds`` after the previous one ended."""
        host = self._host(name)
        with host.lock:
            now = time.monotonic()
            if host.backoff_until > now:
                raise HTTPStatusError(url, host.backoff_status or 429, round(host.backoff_until - now, 3))
            if host.next_at > now:
                time.sleep(host.next_at - now)
            try:
                yield
            finally:
                host.next_at = time.monotonic() + self.delay_seconds
