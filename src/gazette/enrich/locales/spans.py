"""Locales stage: the spans of a text that may name a place, before anything is read of them.

The tagger's automaton finds gazetteer and area names (``resolve.py``); this module finds street, river and park
names by pattern ("Wichita Drive", "Lake Lanier", "County Road 43"), says when a name may follow a hyphen
("D-Charleston", "Egyptian-US"), and keeps the leftmost-longest spans with the names nested inside each one, which
are read only when the longer one turns out not to be a place. It leaves alone what any span means: that is for
the rules, the recogniser and the resolver.
"""

from __future__ import annotations

import re

from gazette.enrich.locales import names as handnames
from gazette.enrich.locales.rules import Candidate
from gazette.textfold import distinct_non_ascii, fold_keeping_length

_FEATURE_WORD = (  # "W.", "St." or a capitalised word ("Governors’"), never across a full stop
    r"(?:[A-Z][a-z]?\.|[A-Z][\w-]*(?:['’]\w*)?)"
)
_FEATURE_NAME = re.compile(  # every name starts with a capital: looked for first, it fails most places fast
    r"(?=[A-Z])(?<![\w'’.-])(?:"
    + rf"(?:{_FEATURE_WORD} ){{1,3}}(?:"
    + "|".join(re.escape(w.capitalize()) for w in sorted(handnames.FEATURE_SUFFIXES, key=len, reverse=True))
    + r")|(?:"
    + "|".join(re.escape(w.capitalize()) for w in sorted(handnames.FEATURE_PREFIXES, key=len, reverse=True))
    + r") (?:[A-Z][\w-]+|\d+))(?![\w-])"
)
_ROUTE_NUMBER = re.compile(r" \d{1,4}[A-Z]?(?![\w.,]\d)")
_PARTY_PREFIX = re.compile(r"[DRI]-")
_NOT_FEATURE_OPENERS = frozenset(handnames.FUNCTION_WORDS | handnames.FEATURE_OPENERS)


def feature_spans(text: str) -> list[tuple[int, int]]:
    """Every street, river or park name of ``text`` (``feature_span`` of each pattern match)."""
    spans = (feature_span(text, m.start(), m.end()) for m in _FEATURE_NAME.finditer(text))
    return [span for span in spans if span is not None]


def feature_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """A street or river name as matched, less an opening word that is no part of it ("A Goose Creek man",
    "Eight Florida Highway Patrol troopers", "R-Elbow Lake") and with the route number that follows a road
    ("County Road 43"); ``None`` when nothing of a name is left."""
    if _PARTY_PREFIX.match(text, start):
        start += 2
    first, _, rest = text[start:end].partition(" ")
    if rest and fold_keeping_length(first) in _NOT_FEATURE_OPENERS:
        if " " not in rest:
            return None  # "The Lake", "United Way": less its opener, a bare suffix is no name
        start += len(first) + 1
    last = text[start:end].rsplit(" ", 1)[-1].lower()
    if last in handnames.NUMBERED_FEATURE_SUFFIXES and (number := _ROUTE_NUMBER.match(text, end)):
        end = number.end()
    return start, end


# A list of names closed by a street's word in the plural ("Hampden and Center streets", "Crabgrass, Owens and
# Harris roads"): each name is a street's.
_STREET_PLURAL = re.compile(r" (?:[Ss]treets|[Aa]venues|[Rr]oads|[Dd]rives|[Bb]oulevards|[Ll]anes)\b")
# Looked for first: most articles hold none.
_STREET_PLURAL_ENDS = ("treets", "venues", "oads", "rives", "oulevards", "anes")
# A name of up to three capitalised words ("North Clayton", "St. Mary's"); also what stands before a county's word.
NAME_WORDS = r"[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){0,2}"
_LIST_NAME = re.compile(NAME_WORDS)
_STREET_LIST = re.compile(rf"(?:{NAME_WORDS}(?:, | and |, and | & ))+{NAME_WORDS}\Z")


def street_list_names(text: str) -> list[tuple[int, int]]:
    """The span of each name of a list closed by a street's word in the plural ("between Strickland and North
    avenues", "at Goodwin and Pinevale streets"), less an opening function word ("At Main and Elm streets")."""
    out: list[tuple[int, int]] = []
    if not any(word in text for word in _STREET_PLURAL_ENDS):
        return out
    for plural in _STREET_PLURAL.finditer(text):
        found = _STREET_LIST.search(text, max(0, plural.start() - 200), plural.start())
        if found is None:
            continue
        for name in _LIST_NAME.finditer(text, found.start(), found.end()):
            start, end = name.span()
            first, _, rest = text[start:end].partition(" ")
            if rest and fold_keeping_length(first) in _NOT_FEATURE_OPENERS:
                start += len(first) + 1
            out.append((start, end))
    return out


_POSSESSIVE = re.compile(r"['’]s ")


def after_owner(text: str, start: int, end: int, names: set[tuple[int, int]]) -> int:
    """Where a street or park name starts once the place that owns it is left out ("Utah's Zion National Park",
    "Warren County's Hamilton Township", "Toronto's Pearson International Airport"): after the last possessive
    whose owner, from ``start``, is one of ``names`` (the gazetteer's and the areas' spans), when more than a bare
    suffix is left ("Moore's Ford", "St. Michael's Hospital" stay whole); else ``start``."""
    for m in reversed(list(_POSSESSIVE.finditer(text, start, end))):
        if (start, m.start()) in names and " " in text[m.end() : end]:
            return m.end()
    return start


def after_hyphen_allowed(text: str, start: int) -> bool:
    """Whether a name may start right after a hyphen: a party's home town ("Sen. Robert Ford, D-Charleston") or
    the second of two capitalised names ("Egyptian-US relations", "Nebraska-Lincoln"; the recogniser weighs it:
    ``after_hyphen``). Not "anti-Mexico", nor "Wal-Mart" read from its end."""
    return party_hometown(text, start) or capitalised_pair(text, start)


def capitalised_pair(text: str, start: int) -> bool:
    """ "Egyptian-US": a capitalised name after a hyphen that follows another capitalised word."""
    if not text[start].isupper():
        return False
    i = start - 1
    while i > 0 and text[i - 1].isalpha():
        i -= 1
    return i < start - 1 and text[i].isupper()


def party_hometown(text: str, start: int) -> bool:
    """ "D-Charleston": a party letter and a hyphen before a home town."""
    return (
        start >= 2
        and text[start - 1] == "-"
        and text[start - 2] in "DRI"
        and (start == 2 or not text[start - 3].isalnum())
    )


def leftmost_longest(found: list[Candidate]) -> list[Candidate]:
    """The spans that no longer span starting earlier or at the same place overlaps."""
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    chosen: list[Candidate] = []
    last_end = -1
    for candidate in found:
        if candidate.start >= last_end:
            chosen.append(candidate)
            last_end = candidate.end
    return chosen


def nest(
    found: list[tuple[Candidate, str]], never_inside: str
) -> list[tuple[Candidate, str, list[Candidate]]]:
    """The leftmost-longest spans (each with its origin), each with the leftmost-longest spans inside it whose
    origin is not ``never_inside`` ("Florida" in "Florida Highway", "Alexandria" in "Alexandria City")."""
    found.sort(key=lambda pair: (pair[0].start, -(pair[0].end - pair[0].start)))
    chosen: list[tuple[Candidate, str, list[Candidate]]] = []
    last_end = -1
    for candidate, origin in found:
        if candidate.start >= last_end:
            chosen.append((candidate, origin, []))
            last_end = candidate.end
        elif origin != never_inside and candidate.end <= last_end:
            inner = chosen[-1][2]
            if not inner or candidate.start >= inner[-1].end:
                inner.append(candidate)
    return chosen


def mark_word_starts(folded: str, text: str | None = None) -> str:
    """``folded`` with the first letter of each word in title case, one character for one ("new york" → "New
    York"), so that names marked alike match only where a word starts. ``text``: the original of ``folded``, whose
    symbols that fold to a letter ("™" → "t") still end a word there, as they do for the tagger's bounds."""
    if text is not None and not text.isascii():
        odd = {char for char in distinct_non_ascii(text) if _folds_to_letter(char)}
        if odd:
            folded = "".join(" " if t in odd else f for t, f in zip(text, folded, strict=True))
    marked = folded.title()
    if len(marked) == len(folded):
        return marked
    # A letter whose title case is two ("ß" → "Ss") stays as it is, so that offsets hold.
    out = []
    cased = False
    for char in folded:
        mapped = char.lower() if cased else char.title()
        out.append(mapped if len(mapped) == 1 else char)
        cased = char.islower() or char.isupper() or char.istitle()
    return "".join(out)


_FOLDS_TO_LETTER: dict[str, bool] = {}


def _folds_to_letter(char: str) -> bool:
    """Whether a symbol (no letter or digit) folds to one that has a case ("™" → "t", "Ⓐ" → "a")."""
    odd = _FOLDS_TO_LETTER.get(char)
    if odd is None:
        folded = fold_keeping_length(char)
        odd = _FOLDS_TO_LETTER[char] = not char.isalnum() and (
            folded.islower() or folded.isupper() or folded.istitle()
        )
    return odd
