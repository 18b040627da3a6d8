"""Locales stage: find place mentions with Aho-Corasick and resolve each to one gazetteer entry."""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from gazette.enrich.locales import names as handnames
from gazette.enrich.locales.gazetteer import (
    AFTER_COMMA,
    ALTERNATE,
    DEMONYM,
    EXACT_CASE,
    Gazetteer,
    Place,
    fold,
    load_gazetteer,
)

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Mention:
    """One resolved place mention: a span of the text and the place it names."""

    start: int
    end: int
    surface: str
    place: Place
    place_index: int
    demonym: bool
    confidence: float


class Tagger:
    """The gazetteer and its automaton; build once per process (``get_tagger``)."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gaz = gazetteer
        self.automaton = ahocorasick.Automaton()
        for key in gazetteer.names:
            self.automaton.add_word(key, key)
        self.automaton.make_automaton()
        self.weak = {fold(w) for w in handnames.WEAK_NAMES}

    # -- matching ---------------------------------------------------------------------------

    def _raw_matches(self, text: str, folded: str) -> list[tuple[int, int, list[tuple[int, int]]]]:
        n = len(text)
        found: list[tuple[int, int, list[tuple[int, int]]]] = []
        for end_index, key in self.automaton.iter(folded):
            end = end_index + 1
            start = end - len(key)
            if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "-@#"):
                # "Sen. Robert Ford, D-Charleston": a party letter and hyphen before a home town.
                if not (
                    start >= 2
                    and text[start - 1] == "-"
                    and text[start - 2] in "DRI"
                    and (start == 2 or not text[start - 3].isalnum())
                ):
                    continue
            if end < n and text[end].isalnum():
                continue
            surface = text[start:end]
            links = []
            exact = self.gaz.exact.get(key)
            after_comma = start >= 2 and text[start - 2 : start] == ", "
            capital = surface[0].isupper()
            for idx, flags in self.gaz.names[key]:
                if flags & EXACT_CASE:
                    if not exact or surface not in exact:
                        continue
                    if flags & AFTER_COMMA and not after_comma:
                        continue
                elif not capital and not flags & DEMONYM:
                    continue
                links.append((idx, flags))
            if links:
                found.append((start, end, links))
        # Leftmost-longest, non-overlapping.
        found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
        chosen: list[tuple[int, int, list[tuple[int, int]]]] = []
        last_end = -1
        for m in found:
            if m[0] >= last_end:
                chosen.append(m)
                last_end = m[1]
        return chosen

    def find_mentions(self, text: str, *, source_country: str | None = None) -> list[Mention]:
        """Every place mention in ``text`` with its resolved reading (demonyms flagged)."""
        if not text:
            return []
        folded = fold(text)
        raw = self._raw_matches(text, folded)
        by_start = {m[0]: m for m in raw}
        kept = [m for m in raw if self._plausible(text, m, by_start)]
        kept = self._drop_surnames(text, raw, kept)
        return self._place_counties(self._resolve(text, kept, source_country))

    def _place_counties(self, mentions: list[Mention]) -> list[Mention]:
        """Give each county the point of the nearest mentioned town in its state (else the state's)."""
        for m in mentions:
            if m.place.kind != "county":
                continue
            near = [
                o for o in mentions if o.place.kind == "city" and o.place.region_code == m.place.region_code
            ]
            if near:
                anchor = min(near, key=lambda o: abs(o.start - m.start)).place
            else:
                region = self.gaz.region_index.get(m.place.region_code or "")
                anchor = self.gaz.places[region] if region is not None else m.place
            m.place = dataclasses.replace(m.place, lat=anchor.lat, lon=anchor.lon)
        return mentions

    def naive_mentions(self, text: str) -> list[Mention]:
        """Baseline for the bench: every capitalised match, read as its most populous place."""
        out = []
        for start, end, links in self._raw_matches(text, fold(text)):
            idx, flags = max(links, key=lambda lf: self.gaz.places[lf[0]].population)
            out.append(
                Mention(start, end, text[start:end], self.gaz.places[idx], idx, bool(flags & DEMONYM), 1.0)
            )
        return self._place_counties(out)

    # -- non-place readings -----------------------------------------------------------------

    def _plausible(self, text: str, m: tuple[int, int, list[tuple[int, int]]], raw: dict) -> bool:
        start, end, links = m
        surface = text[start:end]
        if all(flags & DEMONYM for _, flags in links):
            return True
        prev_word, prev_sep = _word_before(text, start)
        next_word, next_sep = _word_after(text, end)
        only_cityish = all(self.gaz.places[i].kind == "city" for i, _ in links)
        key = fold(surface)
        # A small town named after a person, read where the person is meant: "Simón Bolívar".
        if (
            only_cityish
            and _first_name_led(surface)
            and max(self.gaz.places[i].population for i, _ in links) < 100_000
        ):
            return False
        # Currency: "500 bolívares", "bolívar fuerte".
        if next_word and fold(next_word) in _CURRENCY_NEXT:
            return False
        if prev_word and prev_word[-1:].isdigit() and prev_sep.strip() == "":
            return False
        # Person: "Simón Bolívar", "Sheriff Baker". An unknown capitalised word before a small town's name
        # makes it part of a longer name too ("Fort Worth Star"), but not before a country or a region:
        # "Six Flags Over Texas" still names Texas.
        if prev_word and prev_sep == " " and prev_word[0].isupper():
            pw = fold(prev_word.rstrip("."))
            if pw in _TITLES or pw in handnames.PERSON_NAMES or pw in _FIRST_NAMES_ES:
                return False
            if self._after_person(text, start):
                return False  # "Simón Bolívar Rincón", "Luz Marina Rincón"
            if (
                only_cityish
                and max(self.gaz.places[i].population for i, _ in links) < 100_000
                and pw not in _PLACE_PREFIXES
                and pw not in _FUNCTION_WORDS
                and not _is_place_word(self, text, start - len(prev_word) - 1)
                and not _sentence_start(text, start - len(prev_word) - 1)
            ):
                return False
        # "Wal-Mart": a name glued to a capitalised word by a hyphen.
        if (
            end + 1 < len(text)
            and text[end] == "-"
            and text[end + 1].isupper()
            and only_cityish
            and (len(surface) <= 4 or key in self.weak)
        ):
            return False
        if next_word and next_sep == " " and next_word[0].isupper():
            nw = fold(next_word.rstrip(".,"))
            if nw in _ORG_SUFFIXES:
                return False
            # "Chad Johnson", "Jordan Smith": a country that is also a first name, before a surname.
            if (key in handnames.PERSON_NAMES or key in _FIRST_NAMES_ES) and nw not in _PLACE_SUFFIXES:
                if (
                    nw not in _FUNCTION_WORDS
                    and nw not in _INSTITUTIONS
                    and not self._region_at(raw, end + 1)
                ):
                    return False
            # "Athens Police Department", "Dublin City Council": a local institution names its town.
            if (
                nw not in _INSTITUTIONS
                and nw not in _PLACE_SUFFIXES
                and nw not in _FUNCTION_WORDS
                and only_cityish
                and not self._region_at(raw, end + 1)
            ):
                return False
        if key in self.weak or (only_cityish and key in _COMMON_WORDS) or self._person_like(key, links):
            # Common words and surnames count only as "Mobile, Ala." or "Reading, England".
            if not (next_sep.strip() == "," and _is_place_at(raw, end + len(next_sep))):
                return False
        if only_cityish and _sentence_start(text, start) and key in _COMMON_WORDS:
            return False
        return True

    def _region_at(self, raw: dict, pos: int) -> bool:
        """Whether a region or country name starts at ``pos`` ("Miami Florida")."""
        m = raw.get(pos)
        return m is not None and any(self.gaz.places[i].kind in ("region", "country") for i, _ in m[2])

    def _after_person(self, text: str, start: int) -> bool:
        """Whether the capitalised words just before ``start`` begin with a first name or a title."""
        pos = start
        for _ in range(3):
            word, sep = _word_before(text, pos)
            if not word or sep != " " or not word[0].isupper():
                return False
            w = fold(word.rstrip("."))
            if (
                w in _TITLES
                or w in _FIRST_NAMES_ES
                or (w in handnames.PERSON_NAMES and w not in self.gaz.names)
            ):
                return True
            pos -= len(word) + len(sep)
        return False

    def _person_like(self, key: str, links: list[tuple[int, int]]) -> bool:
        """A common first name or surname that is only a town ("Mitchell", "Mary"), not a big city."""
        if key not in handnames.PERSON_NAMES:
            return False
        for idx, _flags in links:
            p = self.gaz.places[idx]
            if p.kind == "country" or p.population >= (1_000_000 if p.kind == "region" else 300_000):
                return False
        return True

    def _drop_surnames(self, text: str, raw: list, kept: list) -> list:
        """A name once read as a person's surname ("Simón Bolívar") stays a person unless marked a place."""
        kept_ids = {id(m) for m in kept}
        surnames = set()
        for m in raw:
            if id(m) in kept_ids:
                continue
            if any(self.gaz.places[i].kind == "country" for i, _ in m[2]):
                continue
            if _first_name_led(text[m[0] : m[1]]):
                surnames.add(fold(text[m[0] : m[1]].split()[-1]))
                continue
            if self._after_person(text, m[0]):
                surnames.add(fold(text[m[0] : m[1]]))
                continue
            prev_word, prev_sep = _word_before(text, m[0])
            if prev_word and prev_sep == " " and prev_word[0].isupper():
                pw = fold(prev_word.rstrip("."))
                if pw in _TITLES or pw in handnames.PERSON_NAMES or pw in _FIRST_NAMES_ES:
                    surnames.add(fold(text[m[0] : m[1]]))
        if not surnames:
            return kept
        out = []
        for m in kept:
            if fold(text[m[0] : m[1]]) in surnames:
                prev_word, _ = _word_before(text, m[0])
                next_word, _ = _word_after(text, m[1])
                marked = (next_word and fold(next_word) in _PLACE_SUFFIXES) or (
                    prev_word and fold(prev_word) in _STRONG_PREFIXES
                )
                if not marked:
                    continue
            out.append(m)
        return out

    # -- resolution ---------------------------------------------------------------------------

    def _prior(self, idx: int, flags: int) -> float:
        p = self.gaz.places[idx]
        if p.kind == "country":
            score = 8.0
        elif p.kind == "county":
            # Same-named counties ("Henry County" is in ten states): lean to the more populous state.
            region = self.gaz.region_index.get(p.region_code or "")
            state_pop = self.gaz.places[region].population if region is not None else 0
            score = 5.0 + 0.1 * math.log10(state_pop + 10)
        elif p.kind == "region":
            # A populous region (a US state) outweighs a parish of a small country with a common name.
            score = max(5.0, min(7.0, 3.0 + 0.55 * math.log10(p.population + 10)))
        else:
            score = math.log10(p.population + 10) + (1.0 if p.capital else 0.0)
        if flags & ALTERNATE:
            score -= 1.0
        return score

    def _resolve(self, text: str, kept: list, source_country: str | None) -> list[Mention]:
        places = self.gaz.places
        # "Alexandria, La." / "Maracay, Aragua": the next mention after a comma names the container.
        containers: dict[int, list[tuple[int, int]]] = {}
        for i in range(len(kept) - 1):
            s, e, _ = kept[i]
            ns = kept[i + 1][0]
            if text[e:ns] in (", ", " (", ","):
                containers[i] = kept[i + 1][2]
        first = [max(links, key=lambda lf: self._prior(*lf)) for _, _, links in kept]
        keys = [fold(text[s:e]) for s, e, _ in kept]
        result: list[Mention] = []
        dropped: set[int] = set()
        for _round in range(3):
            # Each distinct other name supports the country and region of its current reading once: a name
            # repeated ten times is not ten witnesses, and a country named is weaker evidence than a town.
            readings: dict[str, int] = {}
            for n, (key, (idx, _flags)) in enumerate(zip(keys, first, strict=True)):
                if n not in dropped:  # a reading judged spurious is no witness for the others
                    readings.setdefault(key, idx)
            country_votes: dict[str, dict[str, float]] = defaultdict(dict)
            region_votes: dict[str, dict[str, float]] = defaultdict(dict)
            for key, idx in readings.items():
                q = places[idx]
                if q.kind == "country":
                    country_votes[q.country_code][key] = COUNTRY_FROM_COUNTRY
                else:
                    country_votes[q.country_code][key] = COUNTRY_FROM_PLACE
                    if q.region_code:
                        region_votes[q.region_code][key] = REGION_FROM_PLACE
            country_total = {c: sum(v.values()) for c, v in country_votes.items()}
            region_total = {r: sum(v.values()) for r, v in region_votes.items()}
            new_first = []
            result = []
            now_dropped: set[int] = set()
            for i, (start, end, links) in enumerate(kept):
                key = keys[i]
                has_region = any(places[idx].kind == "region" for idx, _ in links)
                elsewhere = max(
                    (country_total[c] - votes.get(key, 0.0) for c, votes in country_votes.items()),
                    default=0.0,
                )
                scored = []
                # "Colombia" is the country, not the town of Colombia in Huila.
                countries_named = {
                    places[idx].country_code for idx, _ in links if places[idx].kind == "country"
                }
                for idx, flags in links:
                    p = places[idx]
                    if p.kind != "country" and p.country_code in countries_named:
                        continue
                    votes = country_votes.get(p.country_code, {})
                    cs = min(COUNTRY_CAP, country_total.get(p.country_code, 0.0) - votes.get(key, 0.0))
                    rs = 0.0
                    if p.region_code:
                        rvotes = region_votes.get(p.region_code, {})
                        rs = min(REGION_CAP, region_total.get(p.region_code, 0.0) - rvotes.get(key, 0.0))
                    score = self._prior(idx, flags) + cs + rs
                    if p.kind == "city" and p.population >= 500_000 and has_region:
                        score += 1.0  # "Jerusalem", "New York": the big city rather than its namesake region
                    if source_country and p.country_code == source_country.upper():
                        score += 2.0
                    cont = containers.get(i)
                    if cont:
                        for cidx, _cf in cont:
                            c = places[cidx]
                            if c.kind == "country" and c.country_code == p.country_code:
                                score += 6.0
                            elif c.kind == "region" and c.region_code == p.region_code:
                                score += 8.0
                    scored.append((score, idx, flags, cs, rs))
                scored.sort(reverse=True)
                best_score, best_idx, best_flags, best_cs, best_rs = scored[0]
                best = places[best_idx]
                lone_abroad = best_cs == 0 and elsewhere >= LONE_TOWN_SUPPORT and best.population < 300_000
                # A village counts only beside other places of its region ("Chiefland" with "Levy County").
                lone_village = best.population < VILLAGE and best_rs == 0 and not containers.get(i)
                if _round > 0 and best.kind == "city" and (lone_abroad or lone_village):
                    # A small town abroad in an article firmly set elsewhere is more likely a local name
                    # the gazetteer lacks ("Margarita island" in a Venezuelan story) than a trip abroad.
                    new_first.append((best_idx, best_flags))
                    if lone_abroad:
                        now_dropped.add(i)
                    continue
                margin = best_score - scored[1][0] if len(scored) > 1 else 4.0
                confidence = round(1.0 / (1.0 + math.exp(-margin)), 3)
                new_first.append((best_idx, best_flags))
                result.append(
                    Mention(
                        start,
                        end,
                        text[start:end],
                        places[best_idx],
                        best_idx,
                        bool(best_flags & DEMONYM),
                        confidence,
                    )
                )
            first = new_first
            dropped = now_dropped
        return result


LONE_TOWN_SUPPORT = 3.0
VILLAGE = 5000
COUNTRY_FROM_COUNTRY = 1.0
COUNTRY_FROM_PLACE = 1.5
REGION_FROM_PLACE = 2.5
COUNTRY_CAP = 4.5
REGION_CAP = 5.0

_lock = threading.Lock()
_tagger: Tagger | None = None


def get_tagger(cache_dir: Path | None = None) -> Tagger:
    """The process-wide tagger (gazetteer loaded and automaton built on first use)."""
    global _tagger
    with _lock:
        if _tagger is None:
            _tagger = Tagger(load_gazetteer(cache_dir))
        return _tagger


# -- word context -------------------------------------------------------------------------------

_WORD = re.compile(r"[\w.'’-]+$")
_WORD_AFTER = re.compile(r"^([\s,(]*)([\w'’.-]+)")


def _word_before(text: str, start: int) -> tuple[str, str]:
    """The word before ``start`` and the separator between them."""
    i = start
    while i > 0 and text[i - 1] in " \t,(":
        i -= 1
    sep = text[i:start]
    m = _WORD.search(text, max(0, i - 40), i)
    return (m.group(0) if m else ""), sep


def _word_after(text: str, end: int) -> tuple[str, str]:
    m = _WORD_AFTER.match(text[end : end + 60])
    if not m:
        return "", ""
    return m.group(2), m.group(1)


def _first_name_led(surface: str) -> bool:
    words = surface.split()
    return len(words) >= 2 and (fold(words[0]) in _FIRST_NAMES_ES or fold(words[0]) in handnames.PERSON_NAMES)


def _sentence_start(text: str, start: int) -> bool:
    i = start
    while i > 0 and text[i - 1] in " \t\"'“‘(":
        i -= 1
    return i == 0 or text[i - 1] in ".!?\n:;"


def _is_place_at(raw: dict, pos: int) -> bool:
    return pos in raw


def _is_place_word(tagger: Tagger, text: str, start: int) -> bool:
    """Whether the word starting at ``start`` is itself a capitalised gazetteer name or demonym."""
    m = re.match(r"[\w'-]+", text[max(0, start) :])
    return m is not None and fold(m.group(0)) in tagger.gaz.names


_CURRENCY_NEXT = {"fuerte", "fuertes", "soberano", "soberanos", "digital", "digitales"}
_FIRST_NAMES_ES = {
    "simon", "jose", "juan", "carlos", "luis", "miguel", "jesus", "antonio", "francisco", "pedro",
    "manuel", "rafael", "hugo", "nicolas", "maria", "ana", "alejandro", "fernando", "jorge", "diego",
    "pablo", "andres", "ricardo", "eduardo", "sergio", "javier", "alberto", "gabriel", "leopoldo",
    "henrique", "diosdado", "hector", "ramon", "julio", "enrique", "rosa", "carmen", "lucia", "elena",
    "isabel", "teresa", "gloria", "patricia", "laura", "marta", "daniel", "david", "oscar", "luz",
    "mauricio", "alvaro", "gustavo", "ivan", "camilo", "andrea", "paola", "catalina", "sofia",
}  # fmt: skip
_TITLES = {
    "mr", "mrs", "ms", "dr", "president", "presidente", "gen", "general", "gov", "governor",
    "sen", "senator", "rep", "judge", "sr", "sra", "don", "dona", "saint", "san", "santa",
    "mayor", "coach", "officer", "sgt", "capt", "lt", "col", "prof", "professor", "sheriff",
    "deputy", "chief", "detective", "trooper", "pastor", "rev", "father", "sister", "brother",
    "attorney", "commissioner", "councilman", "councilwoman", "chairman", "superintendent",
    "principal", "spokesman", "spokeswoman", "secretary", "minister", "ministro", "alcalde",
    "gobernador", "senador", "diputado", "coronel", "capitan", "padre",
}  # fmt: skip
_PLACE_PREFIXES = {
    "estado", "state", "province", "provincia", "city", "ciudad", "county", "region", "departamento", "municipio", "northern", "southern", "eastern", "western", "central",
    "north", "south", "east", "west", "greater", "upper", "lower", "new", "norte", "sur", "of",
    "de", "del", "in", "en", "from", "to", "near", "at",
}  # fmt: skip
_STRONG_PREFIXES = {
    "estado", "state", "province", "provincia", "city", "ciudad", "county", "region", "departamento",
    "municipio", "of",
}  # fmt: skip
_PLACE_SUFFIXES = {
    "state", "estado", "province", "provincia", "region", "city", "department", "departamento",
    "county", "parish", "municipality", "valley", "area", "island", "islands",
}  # fmt: skip
_INSTITUTIONS = {
    "police", "fire", "city", "town", "council", "school", "schools", "board", "department", "sheriff",
    "mayor", "parks", "public", "library", "hospital", "medical", "community", "chamber", "high",
    "middle", "elementary", "regional", "memorial", "municipal", "township", "village", "police's",
    "planning", "zoning", "housing", "water", "utilities", "court", "district", "area", "airport",
    "historical", "convention", "downtown", "fairgrounds", "commission", "commissioners",
}  # fmt: skip
_ORG_SUFFIXES = {
    "post", "times", "tech", "university", "college", "inc", "corp", "company", "airlines",
    "airways", "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "hall",
    "herald", "tribune", "journal", "daily", "news", "press", "fc", "united", "school",
    "club", "bank", "church", "senators", "nationals",
    "redskins", "wizards", "capitals", "state",
}  # fmt: skip
_FUNCTION_WORDS = {
    "the", "in", "of", "and", "a", "an", "at", "on", "for", "from", "to", "by", "with", "but",
    "or", "as", "after", "before", "near", "into", "while", "when", "where", "since", "until",
    "el", "la", "los", "las", "en", "de", "del", "y", "e", "o", "con", "por", "para", "desde",
    "hasta", "entre", "sobre", "al", "un", "una", "this", "that", "his", "her", "their", "its",
    "said", "says", "dijo", "if", "so", "both", "all", "across", "through", "throughout", "via",
    "outside", "inside", "around", "toward", "towards", "against", "about", "like", "than",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "april", "june", "july", "august", "september", "october",
    "november", "december", "lunes", "martes", "miercoles", "jueves", "viernes", "sabado",
    "domingo", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
    "septiembre", "octubre", "noviembre", "diciembre",
}  # fmt: skip
_LOCATIVE = {"in", "en", "from", "desde", "near", "to", "at"}
_COMMON_WORDS = {
    "mobile", "reading", "march", "may", "young", "bath", "nice", "split", "sale", "hope",
    "orange", "liberty", "mission", "justice", "commerce", "independence", "opportunity",
    "enterprise", "friendship", "progress", "victory", "concord", "unity", "wall", "bay",
    "pride", "police", "hospital", "university", "center", "centre", "bank", "union", "best",
    "man", "of", "as", "is", "be", "home", "post", "star", "sun", "ocean", "river", "lake",
    "beach", "park", "city", "valley", "early", "many", "most", "van", "deal",
    "buy", "why", "who", "what", "mercedes", "ita", "colon", "laguna", "florida", "media",
    "salt", "gas", "energy", "democrat", "republican", "normal",
}  # fmt: skip
