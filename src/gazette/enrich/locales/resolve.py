"""Locales stage: find place mentions and resolve each to one gazetteer entry.

Candidates come from an Aho-Corasick automaton over the gazetteer's names and the hand-written areas, and from
the street-and-river pattern ("Wichita Drive"; ``spans.py``, which also nests the names inside a longer one). The
trained recogniser (``recognise.py``) keeps those that name a place here, weighing the rules' objections
(``rules.py``) with the rest, and reads the names inside a candidate it rejects; without a model the rules decide
alone.
Each kept candidate's readings are then scored (a prior, the support of the article's other places, the container
after a comma) and the best picked, three rounds over, so that each reading can lean on the others'.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
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
    load_gazetteer,
)
from gazette.enrich.locales.locality import geography
from gazette.enrich.locales.readings import (  # the scoring constants stay importable from here
    AREA,
    COUNTRY_SHARE,  # noqa: F401
    LOCAL_USAGE,  # noqa: F401
    Plan,
    Scored,
    plan_readings,
    score_readings,
)
from gazette.enrich.locales.recognise import (
    ArticleFeatures,
    LowerWords,
    ToponymModel,
    after_party,
    load_model,
    marked_place,
    person_verb_after,
    place_context,
)
from gazette.enrich.locales.rules import (
    HARD_RULES,
    Candidate,
    Context,
    Link,
    first_name_led,
    first_objection,
    follows_person,
    is_demonym,
    local_usage,
    objections,
    person_title_or_first_name,
)
from gazette.enrich.locales.spans import (
    NAME_WORDS,
    after_hyphen_allowed,
    after_owner,
    feature_spans,
    leftmost_longest,
    mark_word_starts,
    nest,
    street_list_names,
)
from gazette.enrich.locales.votes import (
    LONE_TOWN_SUPPORT,
    VILLAGE,
    Votes,
    capital_districts,
    county_votes,
    possible_votes,
)
from gazette.textfold import fold_keeping_length

logger = logging.getLogger(__name__)

FEATURE = "feature"  # a street, river or park, placed in the article's town: never a page locale


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


@dataclass(slots=True)
class Found:
    """A candidate with what the recogniser needs to know of it."""

    candidate: Candidate
    origin: str  # "gazetteer", "area" or "feature"
    context: Context
    objections: list[str] = field(default_factory=list)
    # The longer candidate this one lies inside ("Athens" in "Athens Regional Park"): read only when that one is
    # not a place.
    outer: Found | None = None
    # The names inside this one, not yet read (``Tagger.read_parts``).
    parts: list[Candidate] = field(default_factory=list)


LINK_CACHE_SIZE = 50_000  # written forms of names whose readings are kept between articles


class Tagger:
    """The gazetteer, its automaton and the recogniser; build once per process (``get_tagger``)."""

    def __init__(
        self, gazetteer: Gazetteer, model: ToponymModel | None = None, *, use_model: bool = True
    ) -> None:
        self.gazetteer = gazetteer
        self.model = (model or load_model()) if use_model else None
        # Areas follow the gazetteer's places, so that a place index still names one place.
        self.places: list[Place] = list(gazetteer.places)
        self.area_links: dict[str, list[Link]] = defaultdict(list)
        for name, (country, lat, lon) in handnames.AREAS.items():
            self.area_links[fold_keeping_length(name)].append(Link(len(self.places), 0))
            self.places.append(Place(AREA, name, country, None, None, None, lat, lon, 0))
        # Names are added with each word's first letter marked (``mark_word_starts``), and so is the text searched:
        # a name then matches only from the start of a word, never inside one ("in" in "during").
        self.automaton = ahocorasick.Automaton()
        for key in (*gazetteer.names, *self.area_links):
            self.automaton.add_word(mark_word_starts(key), key)
        self.automaton.make_automaton()
        self.weak = frozenset(fold_keeping_length(w) for w in handnames.WEAK_NAMES)
        self.capital_districts = capital_districts(self.places, gazetteer.region_index)
        self._priors: dict[Link, float] = {}
        self._link_cache: dict[tuple[str, str, bool], tuple[Link, ...]] = {}

    # -- matching ---------------------------------------------------------------------------

    def _cached_links(self, surface: str, key: str, after_comma: bool) -> tuple[Link, ...]:
        """The readings of one written form of a name, worked out once per process (the same names recur from
        article to article; the cache is emptied when it grows past ``LINK_CACHE_SIZE``)."""
        cache_key = (key, surface, after_comma)
        links = self._link_cache.get(cache_key)
        if links is not None:
            return links
        exact = self.gazetteer.exact.get(key)
        capital = surface[0].isupper()
        found = []
        for place_index, flags in self.gazetteer.names.get(key, ()):
            if flags & EXACT_CASE:
                if not exact or surface not in exact:
                    continue
                if (
                    flags & AFTER_COMMA
                    and not after_comma
                    and surface not in handnames.ABBREVIATIONS_ANYWHERE
                ):
                    continue
            elif not capital and not flags & DEMONYM:
                continue
            found.append(Link(place_index, flags))
        if capital:
            found.extend(self.area_links.get(key, ()))
        if len(self._link_cache) >= LINK_CACHE_SIZE:
            self._link_cache.clear()
        links = self._link_cache[cache_key] = tuple(found)
        return links

    def _raw_matches(self, text: str, folded: str) -> list[Candidate]:
        """Every gazetteer and area name, bounded by non-word characters (overlapping ones too)."""
        n = len(text)
        found: list[Candidate] = []
        cached_links = self._cached_links
        for end_index, key in self.automaton.iter(mark_word_starts(folded, text)):
            end = end_index + 1
            if end < n and text[end].isalnum():
                continue  # inside a longer word: most matches end here, so this test comes first
            start = end - len(key)
            if start > 0:
                before = text[start - 1]
                if (before.isalnum() or before in "-@#") and not (
                    before == "-" and after_hyphen_allowed(text, start)
                ):
                    continue
            # An abbreviation such as "La." is a state's only after "Alexandria, " or a party's letters ("D-Mass."),
            # or before a word in lower case that no full stop can stand before ("3 Ind. fugitives").
            anchored = (
                (start >= 2 and text[start - 2 : start] == ", ")
                or (
                    start > 0 and text[start - 1] == "-" and text[end - 1] == "." and after_party(text, start)
                )
                or (text[end - 1] == "." and before_lower_word(text, end))
            )
            links = cached_links(text[start:end], key, anchored)
            if links:
                found.append(Candidate(start, end, list(links)))
        return found

    def _candidates(
        self, text: str, *, with_features: bool = False
    ) -> list[tuple[Candidate, str, list[Candidate]]]:
        """Gazetteer and area names (with the names of a county list and a county's name written without its
        word: ``_bare_counties``), and (with a model) streets, rivers and parks, the names of a list closed by
        "streets" or "roads" among them, leftmost-longest; each with the leftmost-longest names inside it
        ("Florida" in "Florida Highway", "Alexandria" in "Alexandria City"), which are read when the longer one is
        not a place."""
        found = [(c, self._origin(c)) for c in self._raw_matches(text, fold_keeping_length(text))]
        found.extend((c, "gazetteer") for c in self._listed_counties(text, found))
        found.extend((c, "gazetteer") for c in self._bare_counties(text, found))
        if self.model is not None or with_features:
            names = {(c.start, c.end) for c, _origin in found}
            # "Goodwin and Pinevale streets": a name no other candidate holds is a street's ("Goodwin", a town
            # too, stays the gazetteer's: read as a street, its readings no longer told the article's region).
            listed = street_list_names(text)
            found.extend(
                (Candidate(start, end, []), FEATURE) for start, end in listed if (start, end) not in names
            )
            found.extend(
                (Candidate(after_owner(text, start, end, names), end, []), FEATURE)
                for start, end in feature_spans(text)
            )
        return nest(found, never_inside=FEATURE)

    def _listed_counties(self, text: str, found: list[tuple[Candidate, str]]) -> list[Candidate]:
        """ "Clarke, Madison, Oconee and Oglethorpe counties": the names of a list followed by "counties" (or
        "parishes") that name no place but a county, as candidates of their own."""
        spans = {(c.start, c.end) for c, _origin in found}
        out = []
        for start, end, suffix in county_list_names(text):
            if (start, end) in spans:
                continue
            links = [
                Link(place_index, flags)
                for place_index, flags in self.gazetteer.names.get(
                    fold_keeping_length(text[start:end]) + suffix, ()
                )
                if self.places[place_index].kind == "county"
            ]
            if links:
                spans.add((start, end))
                out.append(Candidate(start, end, links))
        return out

    def _bare_counties(self, text: str, found: list[tuple[Candidate, str]]) -> list[Candidate]:
        """ "DuPage Sheriff", "Gwinnett Medical Center": a US county's name without its word, as a candidate of
        its own where the article writes the county's name with its word elsewhere ("Gwinnett County")."""
        heads: dict[str, list[Link]] = {}
        names = self.gazetteer.names
        for word in _COUNTY_WORD.finditer(text):
            run = _NAME_BEFORE.search(text, max(0, word.start() - 60), word.start())
            if run is None:
                continue
            suffix = " " + word.group(1).lower()
            words = run.group().split(" ")
            for n in range(len(words)):  # the longest county name the words before make ("Prince William")
                head = " ".join(words[n:])
                links = [
                    Link(place_index, flags)
                    for place_index, flags in names.get(fold_keeping_length(head) + suffix, ())
                    if self.places[place_index].kind == "county"
                ]
                if links:
                    heads.setdefault(head, links)
                    break
        if not heads:
            return []
        spans = {(c.start, c.end) for c, _origin in found}
        out = []
        for head, links in heads.items():
            start = text.find(head)
            while start != -1:
                end = start + len(head)
                if (
                    (start, end) not in spans
                    and (start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "'’.-"))
                    and not _COUNTY_AFTER.match(text, end)
                ):
                    out.append(Candidate(start, end, list(links)))
                start = text.find(head, end)
        return out

    def _origin(self, candidate: Candidate) -> str:
        places, links = self.places, candidate.links
        return AREA if links and all(places[link.place_index].kind == AREA for link in links) else "gazetteer"

    def find_mentions(self, text: str, *, source_country: str | None = None) -> list[Mention]:
        """Every place mention in ``text`` with its resolved reading (demonyms flagged)."""
        if not text:
            return []
        kept = self._recognise(text, self.candidates(text))
        places = [f.candidate for f in kept if f.origin != FEATURE]
        mentions = self._place_counties(self._resolve(text, places, source_country))
        streets = [f.candidate for f in kept if f.origin == FEATURE]
        return self._place_features(text, streets, mentions)

    # -- recognition ----------------------------------------------------------------------------

    def _recognise(self, text: str, found: list[Found]) -> list[Found]:
        """The candidates that name a place here: the model's call, or the rules' without one."""
        surnames = self._surnames(text, found)
        kept = []
        if self.model is None:
            for f in found:
                if f.origin == FEATURE or f.outer is not None:
                    continue
                if f.objections:
                    self._log_drop(f, "")
                    continue
                if f.context.key in surnames and not marked_place(f.context):
                    logger.debug("not a place: %r (read as a surname elsewhere)", f.context.surface)
                    continue
                kept.append(f)
            return kept
        model = self.model
        article = self._article(text, found, surnames)
        pending = list(reversed(found))
        while pending:
            f = pending.pop()
            if self._is_place(model, f, article.row(f)):
                if f.outer is None or not is_demonym(f.candidate):
                    kept.append(f)
            elif f.parts:
                # "Florida Highway Patrol" is no place, but the "Florida" in it is read in its turn.
                pending.extend(reversed(self.read_parts(text, f, found)))
        return kept

    def _is_place(self, model: ToponymModel, f: Found, row: list[str] | None) -> bool:
        """The recogniser's call on one candidate (a demonym is its country's unless a hard rule objects)."""
        if f.objections and not HARD_RULES.isdisjoint(f.objections):
            self._log_drop(f, "")
            return False
        if row is None:
            return True
        probability = model.probability(row)
        if probability >= model.threshold or (probability >= SURE_PLACE_FLOOR and _sure_place(f)):
            return True
        self._log_drop(f, f"recogniser p={probability:.2f}")
        return False

    def read_parts(self, text: str, outer: Found, found: list[Found]) -> list[Found]:
        """The names inside a longer candidate, read in their context."""
        by_start = {f.candidate.start: f.candidate for f in found if f.outer is None}
        parts = []
        for part in outer.parts:
            context = Context.read(text, part, by_start, self.places, self.gazetteer.names, self.weak)
            parts.append(Found(part, self._origin(part), context, objections(context), outer))
        return parts

    def candidates(
        self, text: str, *, with_features: bool | None = None, with_parts: bool = False
    ) -> list[Found]:
        """Every candidate of ``text`` read in its context, with the rules' objections (streets and rivers
        too when the recogniser is there to judge them, or ``with_features``); ``with_parts``: the names inside
        each one too, read and listed after it (to train on), else left unread in its ``parts``."""
        if with_features is None:
            with_features = self.model is not None
        triples = self._candidates(text, with_features=with_features)
        by_start = {c.start: c for c, _origin, _inner in triples}
        found = []
        for candidate, origin, inner in triples:
            context = Context.read(text, candidate, by_start, self.places, self.gazetteer.names, self.weak)
            found.append(Found(candidate, origin, context, objections(context), parts=inner))
        if not with_parts:
            return found
        return [g for f in found for g in (f, *self.read_parts(text, f, found))]

    def feature_rows(
        self, text: str, found: list[Found], surnames: set[str] | None = None
    ) -> list[tuple[Found, list[str] | None]]:
        """The recogniser's features of each candidate (``None`` for a demonym, which needs none)."""
        article = self._article(text, found, surnames)
        return [(f, article.row(f)) for f in found]

    def _article(self, text: str, found: list[Found], surnames: set[str] | None = None) -> ArticleFeatures:
        """What the features of one candidate read from the rest of the article, counted once."""
        if surnames is None:
            surnames = self._surnames(text, found)
        article = ArticleFeatures(surnames, LowerWords(text))
        names = self.gazetteer.names
        article.county_listed = {
            (start, end)
            for start, end, suffix in county_list_names(text)
            if fold_keeping_length(text[start:end]) + suffix in names
        }
        article.listed = self._listed(text, [f for f in found if f.outer is None])
        for f in found:
            if f.outer is not None:
                continue
            key = f.context.key
            article.repeats[key] += 1
            if place_context(f.context):
                article.marked[key].add(f.candidate.start)
            if person_verb_after(f.context):
                article.acting[key].add(f.candidate.start)
            for p in f.context.readings:  # the places of its links, in their order
                if p.region_code:
                    article.region_keys[p.region_code].add(key)
                if p.country_code:
                    article.country_keys[p.country_code].add(key)
        article.locality, article.top_region, article.nearest = geography(found)
        return article

    def _listed(self, text: str, found: list[Found]) -> dict[tuple[int, int], str]:
        """The names of each list of three or more (``_lists``), each with what it shares with another name of
        its list: "region" when a reading of each lies in one region ("Dodge City, Great Bend, Pratt and Larned",
        all in Kansas), else "country", else "none". Lists of two are left out: "St. Peter and St. Paul" (a
        church) share Minnesota, and "Stevens & Wilkinson" (a firm) a state too (with those joined by a comma,
        "and" or "or": LGL R 0.8370 against 0.8358, but TR-News country 0.9753 -> 0.9737)."""
        out: dict[tuple[int, int], str] = {}
        for run in self._lists(text, [f.candidate for f in found]):
            if len(run) < 3:
                continue
            regions = [{p.region_code for p in found[i].context.readings if p.region_code} for i in run]
            countries = [{p.country_code for p in found[i].context.readings if p.country_code} for i in run]
            for n, i in enumerate(run):
                if any(regions[n] & other for m, other in enumerate(regions) if m != n):
                    shares = "region"
                elif any(countries[n] & other for m, other in enumerate(countries) if m != n):
                    shares = "country"
                else:
                    shares = "none"
                out[(found[i].candidate.start, found[i].candidate.end)] = shares
        return out

    def _log_drop(self, found: Found, why: str) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        objection = first_objection(found.context)
        reason = objection[1] if objection else "no rule objects"
        logger.debug("not a place: %r (%s%s)", found.context.surface, f"{why}; " if why else "", reason)

    def _surnames(self, text: str, found: list[Found]) -> set[str]:
        """Names read as a person's surname somewhere in the text ("Simón Bolívar"): a person elsewhere too,
        unless marked as a place ("estado Bolívar")."""
        surnames: set[str] = set()
        for f in found:
            if not f.objections or f.origin != "gazetteer" or f.outer is not None:
                continue
            candidate = f.candidate
            if any(self.places[link.place_index].kind == "country" for link in candidate.links):
                continue
            surface = f.context.surface
            if first_name_led(surface):
                surnames.add(fold_keeping_length(surface.split()[-1]))
            elif follows_person(text, candidate.start, self.gazetteer.names) or (
                f.context.prev_capitalised and person_title_or_first_name(f.context.prev_key)
            ):
                surnames.add(f.context.key)
        return surnames

    # -- placing what the gazetteer does not hold -------------------------------------------------

    def _place_counties(self, mentions: list[Mention]) -> list[Mention]:
        """Give a county with no point of its own the point of the nearest mentioned town in its state (else the
        state's)."""
        for m in mentions:
            if m.place.kind != "county" or m.place.lat is not None:
                continue  # British counties, and US counties the ZIP data names, come with their point
            near = [
                o for o in mentions if o.place.kind == "city" and o.place.region_code == m.place.region_code
            ]
            if near:
                anchor = min(near, key=lambda o: abs(o.start - m.start)).place
            else:
                region = self.gazetteer.region_index.get(m.place.region_code or "")
                anchor = self.places[region] if region is not None else m.place
            m.place = dataclasses.replace(m.place, lat=anchor.lat, lon=anchor.lon)
        return mentions

    def _place_features(self, text: str, streets: list[Candidate], mentions: list[Mention]) -> list[Mention]:
        """A street or river lies in the town mentioned nearest before it (else the nearest after it)."""
        if not streets:
            return mentions
        towns = [m for m in mentions if m.place.kind in ("city", "county") and not m.demonym]
        if not towns:
            # No town named: the region or country named nearest before it (else the first after) in the country
            # the article names most ("Swat Valley" in a story on Pakistan that names the US once).
            named = [
                m for m in mentions if m.place.lat is not None and m.place.country_code and not m.demonym
            ]
            counts = Counter(m.place.country_code for m in named)
            if counts:
                top = max(counts, key=counts.__getitem__)  # the first named of those named most
                towns = [m for m in named if m.place.country_code == top]
        out = list(mentions)
        for street in streets:
            before = [m for m in towns if m.start < street.start]
            if towns:
                anchor = (before[-1] if before else min(towns, key=lambda m: m.start - street.start)).place
            else:
                anchor = NOWHERE  # no place named at all: a street still, with no point
            place = Place(
                FEATURE, text[street.start : street.end], anchor.country_code, anchor.region_code,
                anchor.region_name, None, anchor.lat, anchor.lon, 0,
            )  # fmt: skip
            out.append(Mention(street.start, street.end, place.name, place, -1, False, 0.5))
        return sorted(out, key=lambda m: m.start)

    def naive_mentions(self, text: str) -> list[Mention]:
        """Baseline for the bench: every capitalised match, read as its most populous place."""
        out = []
        for start, end, links in leftmost_longest(self._raw_matches(text, fold_keeping_length(text))):
            best = max(links, key=lambda link: self.places[link.place_index].population)
            out.append(
                Mention(
                    start, end, text[start:end], self.places[best.place_index], best.place_index,
                    bool(best.flags & DEMONYM), 1.0,
                )
            )  # fmt: skip
        return self._place_counties(out)

    # -- resolution ---------------------------------------------------------------------------

    def _prior(self, link: Link) -> float:
        """How likely a reading is before any context: countries first, then by size."""
        score = self._priors.get(link)
        if score is None:
            score = self._priors[link] = self._compute_prior(link)
        return score

    def _compute_prior(self, link: Link) -> float:
        p = self.places[link.place_index]
        if p.kind == "country":
            score = 8.0
        elif p.kind == AREA:
            score = 7.5
        elif p.kind == "county":
            # Same-named counties ("Henry County" is in ten states): lean to the more populous state.
            region = self.gazetteer.region_index.get(p.region_code or "")
            state_population = self.places[region].population if region is not None else 0
            score = 5.0 + 0.1 * math.log10(state_population + 10)
        elif p.kind == "region":
            # A populous region (a US state) outweighs a parish of a small country with a common name.
            score = max(5.0, min(7.0, 3.0 + 0.55 * math.log10(p.population + 10)))
        else:
            score = math.log10(p.population + 10) + (1.0 if p.capital else 0.0)
        if link.flags & ALTERNATE:
            score -= 1.0
        return score

    def _containers(self, text: str, kept: list[Candidate]) -> dict[int, list[Link]]:
        """ "Alexandria, La." / "Maracay, Aragua": the next mention after a comma names the container."""
        containers: dict[int, list[Link]] = {}
        for i in range(len(kept) - 1):
            if text[kept[i].end : kept[i + 1].start] in (", ", " (", ","):
                containers[i] = kept[i + 1].links
        return containers

    def _lists(self, text: str, kept: list[Candidate]) -> list[list[int]]:
        """The lists of names ("Butler, Clark and Warren", "Oregon and Washington"): runs of two or more mentions
        joined by commas, "and" or "or". Two names joined by a comma alone are a list unless the second may
        contain the first ("Washington, D.C.", "Maracay, Aragua")."""
        lists: list[list[int]] = []
        run = [0] if kept else []
        for i in range(1, len(kept)):
            glue = text[kept[i - 1].end : kept[i].start]
            if glue in LIST_GLUE:
                run.append(i)
                continue
            lists.append(run)
            run = [i]
        lists.append(run)
        return [
            run
            for run in lists
            if len(run) >= 3
            or (
                len(run) == 2
                and (
                    text[kept[run[0]].end : kept[run[1]].start] != ", "
                    or not self._may_contain(kept[run[1]], kept[run[0]])
                )
            )
        ]

    def _may_contain(self, outer: Candidate, inner: Candidate) -> bool:
        """Whether a reading of ``outer`` is a region or country that holds a reading of ``inner``."""
        regions = set()
        countries = set()
        for link in outer.links:
            p = self.places[link.place_index]
            if p.kind == "region":
                regions.add(p.region_code)
            elif p.kind == "country":
                countries.add(p.country_code)
        for link in inner.links:
            p = self.places[link.place_index]
            if p.kind == "country":
                continue
            if p.country_code in countries or (p.kind != "region" and p.region_code in regions):
                return True
        return False

    def _county_lists(self, text: str, kept: list[Candidate]) -> list[Candidate]:
        """ "Butler, Clark, Hamilton and Warren counties": the names of a list followed by "counties" (or
        "parishes") are read as those counties only."""
        out = kept
        for low, high, suffix in county_lists(text):
            for i, c in enumerate(kept):
                if c.start < low or c.end > high:
                    continue
                key = fold_keeping_length(text[c.start : c.end]) + suffix
                links = [
                    Link(place_index, flags)
                    for place_index, flags in self.gazetteer.names.get(key, ())
                    if self.places[place_index].kind == "county"
                ]
                if links:
                    if out is kept:
                        out = list(kept)
                    out[i] = Candidate(c.start, c.end, links)
        return out

    def _named_regions(
        self, text: str, kept: list[Candidate], lists: list[list[int]]
    ) -> list[frozenset[str]]:
        """For each mention, the countries whose first-level region the text says it is: "*" (any) for
        "Washington state" or "the state of Oregon"; a country when most of the other names of its list can be
        regions of that country too ("Michigan, Oregon, New York and Ohio"). ``COUNTRY`` when most of the other
        names of its list are countries or areas ("China, Canada and the Soviet Union"): a country."""
        named: list[set[str]] = [set() for _ in kept]
        for run in lists:
            regions = [self._region_countries(kept[i]) for i in run]
            nations = [
                any(self.places[link.place_index].kind in ("country", AREA) for link in kept[i].links)
                for i in run
            ]
            half = (len(run) - 1) / 2
            for n, i in enumerate(run):
                if nations[n] and 0 < sum(nations) - 1 >= half:
                    named[i].add(COUNTRY)
                for country in regions[n]:
                    others = sum(country in r for r in regions) - 1
                    if others and others >= half:
                        named[i].add(country)
        for i, c in enumerate(kept):
            if (
                STATE_AFTER.match(text, c.end) or STATE_BEFORE.search(text, max(0, c.start - 12), c.start)
            ) and self._region_countries(c):
                named[i].add("*")
        return [frozenset(n) for n in named]

    def _region_countries(self, candidate: Candidate) -> set[str]:
        """The countries of which the candidate may name a first-level region."""
        places = self.places
        return {places[link.place_index].country_code for link in candidate.links if places[link.place_index].kind == "region"}  # fmt: skip

    def _resolve(self, text: str, kept: list[Candidate], source_country: str | None) -> list[Mention]:
        lists = self._lists(text, kept)
        kept = self._county_lists(text, kept)
        named = self._named_regions(text, kept, lists)
        containers = self._containers(text, kept)
        keys = [fold_keeping_length(text[c.start : c.end]) for c in kept]
        readings = [max(c.links, key=self._prior) for c in kept]
        sure = [
            _share([self._prior(link) for link in c.links], self._prior(r))
            for c, r in zip(kept, readings, strict=True)
        ]
        links_of = {key: [link.place_index for link in c.links] for key, c in zip(keys, kept, strict=True)}
        possible = possible_votes(self.places, links_of.items())
        local = [
            any(self.places[link.place_index].kind == "country" for link in c.links)
            and local_usage(text, c.start, c.end)
            for c in kept
        ]
        possible_only = Votes({}, {}, {}, {})
        possible_only.add_possible(possible)
        possible_only.add_counties(county_votes(self.places, self.gazetteer.county_of, links_of.items()))
        plans: dict[tuple[object, ...], Plan] = {}
        plan_of = []
        for i, candidate in enumerate(kept):
            container = containers.get(i)
            signature = (keys[i], *candidate.links, None, *(container or ()), local[i], named[i])
            plan = plans.get(signature)
            if plan is None:
                plan = plans[signature] = plan_readings(
                    self.places,
                    self._prior,
                    candidate,
                    keys[i],
                    possible_only,
                    container,
                    source_country,
                    local[i],
                    self.gazetteer.county_of,
                    named[i],
                )
            plan_of.append(plan)
        result: list[Mention] = []
        dropped: set[int] = set()
        counted: list[tuple[str, int, float]] | None = None
        for round_number in range(3):
            current = [
                (key, readings[n].place_index, sure[n]) for n, key in enumerate(keys) if n not in dropped
            ]
            if current != counted:
                # Readings as the round before count the same votes and score the same: counted again only
                # when one changed.
                counted = current
                votes = Votes.count(self.places, current, self.capital_districts)
                votes.add_possible(possible)
                # The same name in the same place reads the same: scored once a round.
                round_scores: dict[int, tuple[list[Scored], float]] = {}
                elsewhere: dict[str, float] = {}
            dropped = set()
            for i, plan in enumerate(plan_of):
                cached = round_scores.get(id(plan))
                if cached is None:
                    scored = score_readings(plan, votes)
                    cached = round_scores[id(plan)] = (
                        scored,
                        _share([r.score for r in scored], scored[0].score),
                    )
                scored, sure[i] = cached
                best = scored[0]
                readings[i] = Link(best.place_index, best.flags)
                why = None
                if round_number:
                    support = elsewhere.get(keys[i])
                    if support is None:
                        support = elsewhere[keys[i]] = votes.elsewhere(keys[i])
                    why = self._unsupported(best, support, i in containers)
                if why is not None:
                    logger.debug("dropped reading %r: %s", text[kept[i].start : kept[i].end], why)
                    # A dropped reading lends nothing the next round, a lone village's neither: "Barton" read as
                    # the Wisconsin village made "Cambridge" in an English story the Wisconsin town (LGL
                    # country 0.9743 -> 0.9754, Acc@161 0.9250 -> 0.9261; the others unchanged).
                    dropped.add(i)
                    continue
                if round_number == 2:
                    margin = best.score - scored[1].score if len(scored) > 1 else 4.0
                    result.append(
                        Mention(
                            kept[i].start,
                            kept[i].end,
                            text[kept[i].start : kept[i].end],
                            self.places[best.place_index],
                            best.place_index,
                            bool(best.flags & DEMONYM),
                            round(1.0 / (1.0 + math.exp(-margin)), 3),
                        )
                    )
        return result

    def _unsupported(self, best: Scored, elsewhere: float, has_container: bool) -> str | None:
        """Why the best reading of a town is no mention at all, or ``None``."""
        place = self.places[best.place_index]
        if place.kind != "city":
            return None
        if best.country_support == 0 and elsewhere >= LONE_TOWN_SUPPORT and place.population < 300_000:
            # A small town abroad in an article firmly set elsewhere is more likely a local name the gazetteer
            # lacks ("Margarita island" in a Venezuelan story) than a trip abroad.
            return LONE_ABROAD
        if place.population < VILLAGE and best.region_support == 0 and not has_container:
            return "a village with no other place of its region beside it"
        return None


# Where a street lies in an article that names no place with a point.
NOWHERE = Place(FEATURE, "", "", None, None, None, None, None, 0)
LONE_ABROAD = "a small town abroad in an article set elsewhere"
# What joins the names of a list ("Butler, Clark and Warren"; "Oregon or Washington").
LIST_GLUE = frozenset((", ", " and ", ", and ", " or ", ", or ", " & "))
# A list of names followed by their kind in the plural ("Douglas, Lancaster and Sarpy counties").
_LIST_NAME = r"[A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,2}"
_LIST_NAME_RE = re.compile(_LIST_NAME)
COUNTY_LIST = re.compile(rf"(?:{_LIST_NAME}(?:, | and |, and | or |, or ))+{_LIST_NAME}\Z")
KIND_PLURAL = re.compile(r" ([Cc]ounties|[Pp]arishes)\b")
COUNTRY = "country"  # in ``_named_regions``: the text says the name is a country
STATE_AFTER = re.compile(r" state\b")  # "Washington state" (not "Washington State University")
STATE_BEFORE = re.compile(r"\b[Ss]tate of \Z")


_COUNTY_WORD = re.compile(r" (County|Parish)\b")
_COUNTY_AFTER = re.compile(r"[\w-]| [Cc]ounty| [Pp]arish")  # no bare name: "DuPageville", "DuPage County"
_NAME_BEFORE = re.compile(rf"{NAME_WORDS}\Z")  # up to three capitalised words
_LOWER_WORD = re.compile(r" ([a-z]+)\b")


def before_lower_word(text: str, end: int) -> bool:
    """ "Mass. legislators", "Missing Ill. man": a word in lower case after the abbreviation, so its full stop ends
    no sentence; a function word may follow a sentence's end gone wrong ("went to Mass. on Sunday")."""
    found = _LOWER_WORD.match(text, end)
    return found is not None and found.group(1) not in handnames.FUNCTION_WORDS


def county_lists(text: str) -> list[tuple[int, int, str]]:
    """The span of each list of names followed by "counties" or "parishes" ("Butler, Clark and Warren counties"),
    with the suffix that makes each of its names a county's name (" county", " parish")."""
    if "ounties" not in text and "arishes" not in text:
        return []
    out: list[tuple[int, int, str]] = []
    for plural in KIND_PLURAL.finditer(text):
        match = COUNTY_LIST.search(text, max(0, plural.start() - 300), plural.start())
        if match is not None:
            suffix = " parish" if plural.group(1).lower() == "parishes" else " county"
            out.append((match.start(), match.end(), suffix))
    return out


def county_list_names(text: str) -> list[tuple[int, int, str]]:
    """The span of each name of those lists (``county_lists``), with its list's suffix."""
    return [
        (name.start(), name.end(), suffix)
        for low, high, suffix in county_lists(text)
        for name in _LIST_NAME_RE.finditer(text, low, high)
    ]


_lock = threading.Lock()
_tagger: Tagger | None = None


def get_tagger(path: Path | None = None) -> Tagger:
    """The process-wide tagger (the gazetteer at ``path``, default the shipped one, loaded and its automaton
    built on first use)."""
    global _tagger
    with _lock:
        if _tagger is None:
            _tagger = Tagger(load_gazetteer(path))
        return _tagger


SURE_PLACE_FLOOR = 0.4


def _sure_place(found: Found) -> bool:
    """A city of 100,000 or more that no rule objects to: the recogniser's doubt must be strong to drop it."""
    return found.origin == "gazetteer" and not found.objections and found.context.largest >= 100_000


SHARE_SCALE = 1.0


def _share(scores: list[float], best: float) -> float:
    """How much of a softmax over ``scores`` the reading scored ``best`` holds."""
    if len(scores) == 1:
        return 1.0
    return 1.0 / sum(math.exp(SHARE_SCALE * (score - best)) for score in scores if score - best > -20.0)
