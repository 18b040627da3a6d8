"""Enrichment, briefs: split article text into sentences with exact character spans."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that end with a period yet never end a sentence (titles and honorifics stand before a name).
_NEVER_FINAL = {
    "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "sra", "srta", "sres", "dra", "lic", "ing", "st", "ste",
    "gen", "gov", "sen", "rep", "rev", "fr", "hon", "pres", "capt", "col", "lt", "maj", "sgt", "cmdr",
    "adm", "supt", "insp", "det", "mme", "mlle", "hr", "fig", "no", "nos", "vol", "pp", "art", "núm",
    "vs", "v", "e.g", "i.e", "cf", "approx", "est", "dept", "univ", "mt", "ft", "av", "avda", "ud",
    "uds", "dña", "dn", "d", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "ene", "abr", "ago", "dic",
}  # fmt: skip
# Abbreviations that can also close a sentence ("... in the U.S. The next day ...").
_MAYBE_FINAL = {
    "u.s", "u.k", "u.n", "e.u", "ee.uu", "a.m", "p.m", "etc", "inc", "co", "corp", "ltd", "jr", "llc",
    "plc", "bros", "d.c", "n.y", "l.a",
}  # fmt: skip
# Capitalized words that usually begin a new sentence after a MAYBE_FINAL abbreviation.
_STARTERS = {
    "the", "a", "an", "he", "she", "it", "they", "we", "i", "you", "this", "that", "these", "those",
    "but", "and", "in", "on", "at", "for", "if", "when", "while", "after", "before", "as", "there",
    "his", "her", "their", "its", "our", "some", "many", "most", "no", "not", "yet", "so", "still",
    "however", "meanwhile", "then", "now", "later", "also", "other", "one", "two", "officials", "el", "la", "los", "las", "un", "una", "en", "pero", "y", "según",
    "sin", "con", "por", "para", "este", "esta", "ese", "esa", "le", "les", "il", "elle", "der",
    "die", "das",
}  # fmt: skip

_OPEN_QUOTES = "\"'“‘«„‹([¿¡—–-"
_CLOSE_QUOTES = "\"'”’»›)]"
# A run of terminators. Nothing follows the run in the pattern, so the engine never backtracks into it: each
# character is read once whatever the text (the closing quotes and the space after it are read in Python).
_TERMINATORS = re.compile(r"[.!?…]+")
_WORD_WINDOW = 64  # the word before a period is read back this far at most (abbreviations are short)
_NEXT_WORD = re.compile(r"[\"'“‘«„‹(\[¿¡—–-]*\s*(\w{1,64})")  # as far as _WORD_WINDOW
_INITIALS = re.compile(r"(?:\w\.)+\w")


@dataclass(frozen=True)
class SentenceSpan:
    """One sentence: ``text == source[start:end]``."""

    start: int
    end: int
    text: str


def _word_before(text: str, end: int) -> str:
    """The word (letters, digits, inner periods) that ends at ``end``, read back at most ``_WORD_WINDOW``."""
    start = end
    limit = max(0, end - _WORD_WINDOW)
    while start > limit and (text[start - 1].isalnum() or text[start - 1] in "._"):
        start -= 1
    return text[start:end]


def _is_boundary(text: str, punct: str, punct_start: int, closers: bool, after: int) -> bool:
    """Whether the terminator run ``punct`` (at ``punct_start``, then closing marks if ``closers``, then
    space up to ``after``) ends a sentence."""
    if after >= len(text):
        return True
    nxt = text[after]
    next_word_match = _NEXT_WORD.match(text, after)
    next_word = next_word_match.group(1) if next_word_match else ""
    # A sentence starts with a capital, a digit or an opening mark (¿ ¡ quotes, dashes).
    starts_ok = nxt.isupper() or nxt.isdigit() or nxt in _OPEN_QUOTES
    if not starts_ok:
        return False
    if nxt in _OPEN_QUOTES and next_word and next_word[0].islower() and nxt not in "¿¡":
        return False
    if punct != "." or closers:
        # "?" / "!" / "…" followed by a capital, or a period inside closing quotes.
        if punct in {"?", "!"} and not closers and next_word and next_word[0].islower():
            return False
        return True
    word = _word_before(text, punct_start).lower().strip(".")
    if not word:
        return True
    if word in _NEVER_FINAL:
        return False
    if len(word) == 1 and word.isalpha():
        return False  # an initial: "John F. Kennedy"
    if word in _MAYBE_FINAL or _INITIALS.fullmatch(word):
        return next_word.lower() in _STARTERS
    return True


def split_sentences(text: str) -> list[SentenceSpan]:
    """Split ``text`` into sentences; every span's text is exactly ``text[start:end]``.

    Lines are hard boundaries (extracted articles keep one paragraph per line); within a line a
    sentence ends at ``. ! ? …`` (and any closing quotes) followed by space and a likely sentence
    start, unless the period closes an abbreviation or an initial. Time is linear in the text: each
    character is read a bounded number of times, whatever it holds.
    """
    spans: list[SentenceSpan] = []
    for line in re.finditer(r"[^\n\r]+", text):
        line_start = line.start()
        line_text = line.group(0)
        size = len(line_text)
        cursor = 0
        for run in _TERMINATORS.finditer(line_text):
            closers_end = run.end()
            while closers_end < size and line_text[closers_end] in _CLOSE_QUOTES:
                closers_end += 1
            after = closers_end
            while after < size and line_text[after].isspace():
                after += 1
            if after == closers_end:
                continue  # no space after the run: "3.5", "U.S.-led", "?!)x"
            if _is_boundary(line_text, run.group(0), run.start(), closers_end > run.end(), after):
                _add(spans, text, line_start + cursor, line_start + closers_end)
                cursor = after
        _add(spans, text, line_start + cursor, line_start + size)
    return spans


def _add(spans: list[SentenceSpan], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(SentenceSpan(start, end, text[start:end]))
