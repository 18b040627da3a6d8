"""Enrich stage: sections, locales, briefs, near-duplicates and stories, each reading a capped text."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

_BACKTRACK = 200  # how far back from the cap a space is looked for (a longer word is cut where it stands)


def readable_text(text: str, max_chars: int) -> str:
    """The start of ``text`` that an enrichment stage reads: at most ``max_chars`` characters, cut at a space.

    Being a prefix, it keeps every offset into ``text`` valid (brief and locale spans point into the stored
    text). The cap is ``enrich.max_chars``; it bounds the time one pathological text can cost.
    """
    if len(text) <= max_chars:
        return text
    cut = max_chars
    floor = max(0, max_chars - _BACKTRACK)
    while cut > floor and not text[cut].isspace():
        cut -= 1
    if cut == floor:
        cut = max_chars
    logger.debug("enrichment reads %d of %d characters", cut, len(text))
    return text[:cut]


__all__ = ["readable_text"]
