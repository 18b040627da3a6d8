"""Locales stage: the rules that say why a gazetteer match is not a place here, each a named function.

A rule reads one candidate in its context and returns a reason ("a title before it: a person") or ``None``. The
tagger drops a candidate any rule objects to when it has no trained recogniser; with one, the reasons are among the
recogniser's features (``recognise.py``) and the model weighs them against the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from gazette.enrich.locales import names as handnames
from gazette.enrich.locales.gazetteer import DEMONYM, Place
from gazette.textfold import fold_keeping_length


class Link(NamedTuple):
    """One reading of a matched name: the place it may be and how the name points at it."""

    place_index: int
    flags: int


class Candidate(NamedTuple):
    """A span of the text that names at least one gazetteer place."""

    start: int
    end: int
    links: list[Link]


SMALL_TOWN = 100_000


@dataclass(slots=True)
class Context:
    """A candidate with the words around it, as the rules and the recogniser's features read it."""

    text: str
    candidate: Candidate
    surface: str
    key: str  # the folded surface
    prev_word: str
    prev_sep: str
    next_word: str
    next_sep: str
    readings: list[Place]  # the places the name may be
    towns_only: bool  # every reading is a city or town
    largest: int  # the population of its most populous reading
    by_start: dict[int, Candidate]  # every candidate of the text, by its first character
    places: list[Place]
    names: dict  # the gazetteer's folded names, for "is this word a place name too"
    weak: frozenset[str]
    prev_key: str = ""  # the words before and after, folded, their full stop or comma left off (read once)
    next_key: str = ""

    @classmethod
    def read(
        cls,
        text: str,
        candidate: Candidate,
        by_start: dict[int, Candidate],
        places: list[Place],
        names: dict,
        weak: frozenset[str],
    ) -> Context:
        start, end, links = candidate
        surface = text[start:end]
        prev_word, prev_sep = word_before(text, start)
        next_word, next_sep = word_after(text, end)
        readings, towns_only, largest = _readings(links, places)
        return cls(
            text=text,
            candidate=candidate,
            surface=surface,
            key=fold_keeping_length(surface),
            prev_word=prev_word,
            prev_sep=prev_sep,
            next_word=next_word,
            next_sep=next_sep,
            readings=list(readings),
            towns_only=towns_only,
            largest=largest,
            by_start=by_start,
            places=places,
            names=names,
            weak=weak,
            prev_key=fold_keeping_length(prev_word.rstrip(".")),
            next_key=fold_keeping_length(next_word.rstrip(".,")),
        )

    @property
    def small_towns_only(self) -> bool:
        return self.towns_only and self.largest < SMALL_TOWN

    @property
    def prev_capitalised(self) -> bool:
        return bool(self.prev_word) and self.prev_sep == " " and self.prev_word[0].isupper()

    @property
    def next_capitalised(self) -> bool:
        return bool(self.next_word) and self.next_sep == " " and self.next_word[0].isupper()

    def region_follows(self) -> bool:
        """Whether a region or country name starts right after the candidate ("Miami Florida")."""
        after = self.by_start.get(self.candidate.end + 1)
        return after is not None and any(
            self.places[link.place_index].kind in ("region", "country") for link in after.links
        )

    def place_after_comma(self) -> bool:
        """ "Mobile, Ala.", "Reading, England": another candidate right after a comma."""
        return self.next_sep.strip() == "," and (self.candidate.end + len(self.next_sep)) in self.by_start


Rule = Callable[[Context], str | None]


def is_first_name(key: str) -> bool:
    return key in handnames.SPANISH_FIRST_NAMES or key in handnames.PERSON_NAMES


def person_title_or_first_name(key: str) -> bool:
    return key in handnames.TITLES or is_first_name(key)


def first_name_led(surface: str) -> bool:
    """ "Simón Bolívar", "San José": a multi-word name that starts with a first name."""
    words = surface.split()
    return len(words) >= 2 and is_first_name(fold_keeping_length(words[0]))


def town_named_after_person(ctx: Context) -> str | None:
    if ctx.small_towns_only and first_name_led(ctx.surface):
        return "a small town named after a person, read where the person is meant"
    return None


def currency(ctx: Context) -> str | None:
    if ctx.next_word and ctx.next_key in handnames.CURRENCY_NEXT:
        return "a currency ('bolívar fuerte')"
    if ctx.prev_word[-1:].isdigit() and ctx.prev_sep.strip() == "" and ctx.surface[:1].islower():
        # a currency is written in lower case; "1935 Orchard St." and "2009 MANSFIELD" are an address, a date
        return "an amount before it ('500 bolívares')"
    if ctx.next_word and ctx.next_sep == " " and ctx.next_key in handnames.CURRENCY_UNITS:
        return "names a currency ('68 US dollars', '75 million US dollars.')"
    return None


def language_or_unit(ctx: Context) -> str | None:
    if ctx.next_word and ctx.next_sep == " " and ctx.next_key in handnames.LANGUAGE_NEXT:
        return "a language or a unit ('French surtitles', 'British thermal units')"
    return None


def title_or_first_name_before(ctx: Context) -> str | None:
    if ctx.prev_capitalised and person_title_or_first_name(ctx.prev_key):
        return "a title or first name before it: a person"
    return None


def after_person(ctx: Context) -> str | None:
    if ctx.prev_capitalised and follows_person(
        ctx.text, ctx.candidate.start, ctx.names, (ctx.prev_word, ctx.prev_sep)
    ):
        return "the end of a person's name ('Luz Marina Rincón')"
    return None


def part_of_longer_name(ctx: Context) -> str | None:
    """An unknown capitalised word before a small town's name makes it part of a longer one ("Fort Worth Star");
    not before a country or a region: "Six Flags Over Texas" still names Texas."""
    if not (ctx.prev_capitalised and ctx.small_towns_only):
        return None
    key = ctx.prev_key
    if key in handnames.PLACE_PREFIXES or key in handnames.FUNCTION_WORDS:
        return None
    prev_start = ctx.candidate.start - len(ctx.prev_word) - 1
    if place_word_at(ctx.text, prev_start, ctx.names) or sentence_start(ctx.text, prev_start):
        return None
    return "an unknown capitalised word before a small town: part of a longer name"


def hyphen_glued(ctx: Context) -> str | None:
    end, text = ctx.candidate.end, ctx.text
    glued = end + 1 < len(text) and text[end] == "-" and text[end + 1].isupper()
    if glued and ctx.towns_only and (len(ctx.surface) <= 4 or ctx.key in ctx.weak):
        return "glued by a hyphen to a capitalised word ('Wal-Mart')"
    return None


def article_before_town(ctx: Context) -> str | None:
    """Spanish names no town with an article before it: "la Caracas" is the avenue, "el Bolívar" a ship."""
    if ctx.towns_only and ctx.prev_sep == " " and ctx.prev_word in handnames.SPANISH_ARTICLES:
        return "a Spanish article before a town: a street or thing named after it"
    return None


def organisation_after(ctx: Context) -> str | None:
    if ctx.next_capitalised and ctx.next_key in handnames.ORGANISATION_SUFFIXES:
        return "an organisation's name ('Washington Post')"
    return None


def first_name_before_surname(ctx: Context) -> str | None:
    """ "Chad Johnson", "Jordan Smith": a place that is also a first name, before a surname."""
    if not (ctx.next_capitalised and is_first_name(ctx.key)) or _ordinary_follower(ctx):
        return None
    return "a first name before a capitalised word: a person"


def town_before_unknown_word(ctx: Context) -> str | None:
    """A town before an unknown capitalised word is part of a longer name; "Athens Police Department" and
    "Dublin City Council" still name their towns."""
    if not (ctx.next_capitalised and ctx.towns_only) or _ordinary_follower(ctx):
        return None
    return "a town before an unknown capitalised word: part of a longer name"


def _ordinary_follower(ctx: Context) -> bool:
    """The capitalised word after the place is a place suffix, a function word or an institution, or a region
    follows: it makes the place neither part of a person's name nor part of a longer name."""
    following = ctx.next_key
    return (
        following in handnames.PLACE_SUFFIXES
        or following in handnames.FUNCTION_WORDS
        or following in handnames.INSTITUTIONS
        or ctx.region_follows()
    )


def person_like(ctx: Context) -> bool:
    """A common first name or surname that is only a town ("Mitchell", "Mary"), not a big city."""
    if ctx.key not in handnames.PERSON_NAMES:
        return False
    for link in ctx.candidate.links:
        p = ctx.places[link.place_index]
        if p.kind == "country" or p.population >= (1_000_000 if p.kind == "region" else 300_000):
            return False
    return True


def common_word_without_context(ctx: Context) -> str | None:
    weak = ctx.key in ctx.weak or (ctx.towns_only and ctx.key in handnames.COMMON_WORDS) or person_like(ctx)
    if weak and not ctx.place_after_comma():
        return "a common word or surname with no place after a comma ('Mobile, Ala.')"
    return None


def common_word_at_sentence_start(ctx: Context) -> str | None:
    if ctx.towns_only and ctx.key in handnames.COMMON_WORDS and sentence_start(ctx.text, ctx.candidate.start):
        return "a common word at the start of a sentence"
    return None


RULES: tuple[Rule, ...] = (
    town_named_after_person,
    currency,
    title_or_first_name_before,
    after_person,
    part_of_longer_name,
    hyphen_glued,
    article_before_town,
    organisation_after,
    first_name_before_surname,
    town_before_unknown_word,
    common_word_without_context,
    common_word_at_sentence_start,
)
# A demonym always points at its country, unless it names a currency or a language.
DEMONYM_RULES: tuple[Rule, ...] = (currency, language_or_unit)


def is_demonym(candidate: Candidate) -> bool:
    return bool(candidate.links) and all(link.flags & DEMONYM for link in candidate.links)


# Rules that drop a candidate whatever the recogniser says: no news text means a place by them.
HARD_RULES = frozenset({"currency", "article_before_town", "language_or_unit"})


def objections(ctx: Context) -> list[str]:
    """The names of the rules that object to the candidate (for a demonym, only a currency's or a language's)."""
    rules = DEMONYM_RULES if is_demonym(ctx.candidate) else RULES
    return [rule.__name__ for rule in rules if rule(ctx) is not None]


def first_objection(ctx: Context) -> tuple[str, str] | None:
    """The first rule that objects and its reason, for the debug log."""
    for rule in DEMONYM_RULES if is_demonym(ctx.candidate) else RULES:
        reason = rule(ctx)
        if reason is not None:
            return rule.__name__, reason
    return None


_READINGS: dict[tuple[Link, ...], tuple[list[Place], tuple[tuple[Place, ...], bool, int]]] = {}
_READINGS_SIZE = 50_000  # readings looked up once per process; emptied when it grows past this


def _readings(links: list[Link], places: list[Place]) -> tuple[tuple[Place, ...], bool, int]:
    """A candidate's readings, whether all are towns, and the largest population among them."""
    cache_key = tuple(links)
    cached = _READINGS.get(cache_key)
    if cached is not None and cached[0] is places:  # another tagger's places mean other readings
        return cached[1]
    readings = tuple(places[link.place_index] for link in links)
    found = (
        readings,
        all(p.kind == "city" for p in readings),
        max((p.population for p in readings), default=0),
    )
    if len(_READINGS) >= _READINGS_SIZE:
        _READINGS.clear()
    _READINGS[cache_key] = (places, found)
    return found


# -- word context -------------------------------------------------------------------------------

_WORD_ENDING = re.compile(r"(?s:.*[^\w.'’-])?([\w.'’-]+)")
_WORD_AFTER = re.compile(r"^([\s,(]*)([\w'’.-]+)")
_WORD_AT = re.compile(r"[\w'-]+")


def word_before(text: str, start: int) -> tuple[str, str]:
    """The word before ``start`` and the separator between them."""
    i = start
    while i > 0 and text[i - 1] in " \t,(":
        i -= 1
    sep = text[i:start]
    # The longest run of word characters that ends at ``i`` (or at a newline right before it, as "$" allows),
    # at most 40 back: matched from its end, where a search for "[\w.'’-]+$" tries each start in turn.
    end = i - 1 if i and text[i - 1] == "\n" else i
    match = _WORD_ENDING.fullmatch(text, max(0, i - 40), end)
    return (match.group(1) if match else ""), sep


def word_after(text: str, end: int) -> tuple[str, str]:
    """The word after ``end`` and the separator between them."""
    match = _WORD_AFTER.match(text[end : end + 60])
    if not match:
        return "", ""
    return match.group(2), match.group(1)


def sentence_start(text: str, start: int) -> bool:
    i = start
    while i > 0 and text[i - 1] in " \t\"'“‘(":
        i -= 1
    return i == 0 or text[i - 1] in ".!?\n:;"


def place_word_at(text: str, start: int, names: dict) -> bool:
    """Whether the word starting at ``start`` is itself a gazetteer name or demonym."""
    match = _WORD_AT.match(text, max(0, start))
    return match is not None and fold_keeping_length(match.group(0)) in names


def follows_person(text: str, start: int, names: dict, first: tuple[str, str] | None = None) -> bool:
    """Whether the capitalised words just before ``start`` begin with a first name or a title (``first``: the
    word before ``start`` and its separator, when already read)."""
    pos = start
    for step in range(3):
        word, sep = first if step == 0 and first is not None else word_before(text, pos)
        if not word or sep != " " or not word[0].isupper():
            return False
        key = fold_keeping_length(word.rstrip("."))
        if (
            key in handnames.TITLES
            or key in handnames.SPANISH_FIRST_NAMES
            or (key in handnames.PERSON_NAMES and key not in names)
        ):
            return True
        pos -= len(word) + len(sep)
    return False


_ADDRESS_WORDS = frozenset({"st", "rd", "ave", "dr", "blvd"})


def local_usage(text: str, start: int, end: int) -> bool:
    """Whether a name is written as local news writes a town's, never a country's: before a word of the town's own
    bodies or people ("Lebanon Police", "Jordan Elementary School", "a Lebanon woman": a country would take its
    demonym), after a street address ("400 S. Locust St., Lebanon") or after a person's age ("Terry Jolly, 60,
    Lebanon")."""
    word, sep = word_after(text, end)
    if sep == " " and fold_keeping_length(word.rstrip(".,")) in handnames.LOCAL_BODIES:
        return True
    before, sep = word_before(text, start)
    if sep.strip() != ",":
        return False
    key = fold_keeping_length(before.rstrip("."))
    return key in handnames.FEATURE_SUFFIXES or key in _ADDRESS_WORDS or before.isdigit()
