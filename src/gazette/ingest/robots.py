"""Ingest: robots.txt, fetched once per origin through the fetcher itself and cached (RFC 9309)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from protego import Protego

from gazette.errors import BlockedAddress, HTTPStatusError, RobotsDisallowed, TooLarge, TooManyRedirects

logger = logging.getLogger(__name__)

ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_TTL = 3600.0
ROBOTS_ERROR_TTL = 300.0
ROBOTS_AGENT = "Gazette"

# Fetches an origin's /robots.txt URL and returns the body; raises FetchError subclasses.
RobotsLoader = Callable[[str], bytes]


@dataclass
class _Robots:
    parser: Protego | None  # None: everything allowed
    disallow_all: str | None  # a reason when robots.txt could not be read
    expires: float


class RobotsCache:
    """Answers "may Gazette fetch this URL?" per origin; one thread fetches an origin's file, others wait."""

    def __init__(self) -> None:
        self._robots: dict[str, _Robots] = {}
        self._lock = threading.Lock()
        self._fetching: dict[str, threading.Lock] = {}

    def check(self, url: str, origin: str, load: RobotsLoader) -> None:
        """Raise ``RobotsDisallowed`` when robots.txt of ``origin`` forbids ``url`` or cannot be read."""
        robots = self._robots_for(origin, load)
        if robots.disallow_all:
            raise RobotsDisallowed(url, robots.disallow_all)
        if robots.parser is not None and not robots.parser.can_fetch(url, ROBOTS_AGENT):
            raise RobotsDisallowed(url, "robots.txt disallows it")

    def _robots_for(self, origin: str, load: RobotsLoader) -> _Robots:
        with self._lock:
            cached = self._robots.get(origin)
            if cached is not None and cached.expires > time.monotonic():
                return cached
            fetching = self._fetching.setdefault(origin, threading.Lock())
        with fetching:  # one thread fetches, the others wait for its answer
            with self._lock:
                cached = self._robots.get(origin)
                if cached is not None and cached.expires > time.monotonic():
                    return cached
            robots = _load(origin + "/robots.txt", load)
            with self._lock:
                self._robots[origin] = robots
            return robots


def _load(url: str, load: RobotsLoader) -> _Robots:
    now = time.monotonic()
    try:
        content = load(url)
    except HTTPStatusError as exc:
        if 400 <= exc.status_code < 500 and exc.status_code != 429:
            return _Robots(None, None, now + ROBOTS_TTL)  # no robots.txt: everything allowed
        return _Robots(None, f"robots.txt unavailable (HTTP {exc.status_code})", now + ROBOTS_ERROR_TTL)
    except (TooLarge, TooManyRedirects, BlockedAddress) as exc:
        # Treated like a missing file (RFC 9309 lets a crawler give up on redirects it won't follow).
        logger.info("robots.txt at %s unusable (%s); treated as absent", url, exc.message)
        return _Robots(None, None, now + ROBOTS_TTL)
    # Any other FetchError (timeout, refused connection, TLS failure, broken response) stops this fetch
    # with that error, uncached: the page would not have come through either.
    text = content.decode("utf-8", errors="replace")
    try:
        parser = Protego.parse(text)
    except Exception:  # protego is lenient; a crash in it must not stop fetching
        logger.warning("unreadable robots.txt at %s; treated as absent", url)
        return _Robots(None, None, now + ROBOTS_TTL)
    return _Robots(parser, None, now + ROBOTS_TTL)
