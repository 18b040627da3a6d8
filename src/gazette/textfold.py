"""Accent folding: the one comparison form of a word that search, stories and briefs (and later sections and
locales) share, so "Mérida", "MERIDA" and "merida" meet wherever Gazette compares words.

``fold`` case-folds (so "Straße" meets "strasse") and drops every combining mark after a compatibility
decomposition ("ﬁ" becomes "fi", "é" becomes "e"). ``fold_keeping_length`` does the same one character at a
time and keeps one output character per input character, for code that maps matches back to spans of the
original text. Left alone on purpose: scripts without combining accents pass through (lower-cased only), and
no letter is transliterated ("ø", "ł" and "đ" stay themselves: they are letters, not accented ones).
"""

from __future__ import annotations

import unicodedata

import numpy as np


def fold(text: str) -> str:
    """Case-folded, accents and other combining marks dropped: "Mérida" → "merida", "ÅNGSTRÖM" → "angstrom"."""
    # Decomposed before and after case folding: a compatibility form ("𝐀", "Ⓐ") only becomes a letter that folds
    # ("A") once decomposed, so folding must see it decomposed for ``fold`` to be idempotent.
    if text.isascii():  # nothing to decompose, and case folding ASCII is lower-casing it
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    # the marks are looked up once per distinct character (a whole text has few), then each is dropped in one
    # pass (a translation table would look every character up)
    for mark in distinct_non_ascii(decomposed):
        if unicodedata.combining(mark):
            decomposed = decomposed.replace(mark, "")
    return decomposed


_SHORT = 64  # characters up to which a set of the characters is the quicker way to the distinct ones


def distinct_non_ascii(text: str) -> list[str]:
    """The distinct characters of ``text`` outside ASCII (in no particular order). A long text's are read from
    its code points with numpy: iterating a string makes an object of each character, which costs more."""
    if text.isascii():
        return []
    if len(text) <= _SHORT:
        return [ch for ch in set(text) if not ch.isascii()]
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return list(map(chr, np.unique(points[points > 127]).tolist()))


class _OneForOne(dict[int, str]):
    """A ``str.translate`` table that lower-cases and drops accents one character at a time."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        low = (base or char).lower()
        out = low[0] if low else char
        if char in "’‘`´":
            out = "'"
        self[code] = out
        return out


_ONE_FOR_ONE = _OneForOne()
_SIGMA = "\u03a3"  # the one character whose lower case depends on its neighbours ("ΟΔΟΣ" → "οδος")
_LOWERS_ALIKE: dict[str, bool] = {}


def _lowers_alike(char: str) -> bool:
    """Whether ``str.lower`` may stand in for the table on ``char``: its lower case is one character, the same
    whatever its neighbours, that folds as ``char`` does, to a character that folds to itself."""
    alike = _LOWERS_ALIKE.get(char)
    if alike is None:
        low = char.lower()
        out = _ONE_FOR_ONE[ord(char)]
        alike = _LOWERS_ALIKE[char] = (
            len(low) == 1
            and char != _SIGMA
            and _ONE_FOR_ONE[ord(low)] == out
            and _ONE_FOR_ONE[ord(out)] == out
        )
    return alike


def fold_keeping_length(text: str) -> str:
    """``fold`` one character for one ("Straße" → "straße"), curly apostrophes made straight: an offset in the
    result is the same offset in ``text``."""
    # The table looks every character up (about 30 ns each, a tenth of a millisecond for an article), so the
    # text is lower-cased in one pass and only its few distinct other characters are replaced, each in one
    # pass; a character that lower-casing would not map as the table does sends the text through the table.
    if text.isascii():
        low = text.lower()
        return low.replace("`", "'") if "`" in low else low
    others = distinct_non_ascii(text)
    if not all(map(_lowers_alike, others)):
        return text.translate(_ONE_FOR_ONE)
    low = text.lower()
    # every position now holds ``char.lower()``, which the table maps as it maps ``char``; its targets map to
    # themselves, so the order of the replacements does not matter
    for char in {char.lower() for char in others} | {"`"}:
        out = _ONE_FOR_ONE[ord(char)]
        if out != char:
            low = low.replace(char, out)
    return low


__all__ = ["distinct_non_ascii", "fold", "fold_keeping_length"]
