"""Locales stage: the trained toponym recogniser, which says whether a candidate span is a place here.

Candidates come from the gazetteer, the hand-written areas and the feature pattern ("Wichita Drive"); the model is
a logistic regression over features that carry no word of any training text: the shape of the span, what the
gazetteer knows of the name, our own context word lists (``names.py``), position, and which rules
(``rules.py``) object. Its weights ship as a small JSON file (``enrich/data/toponym_model.json``), built by
``bench/train_toponyms.py``; with no model file the tagger falls back to the rules alone. A demonym is weighed
on features of its own (``demonym_features``): "Russian troops" names the country, "Italian food" a cuisine.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gazette.enrich.locales import names as handnames
from gazette.enrich.locales.gazetteer import AFTER_COMMA, ALTERNATE, DEMONYM, EXACT_CASE, Place
from gazette.enrich.locales.rules import Context, Link, is_demonym, objections, sentence_start
from gazette.textfold import fold_keeping_length

if TYPE_CHECKING:
    from gazette.enrich.locales.resolve import Found

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "toponym_model.json"
MODEL_FORMAT = 1


@dataclass(frozen=True, slots=True)
class ToponymModel:
    """Feature weights, a bias and the probability from which a candidate counts as a place."""

    weights: dict[str, float]
    bias: float
    threshold: float

    def probability(self, features: Iterable[str]) -> float:
        weights = self.weights
        z = self.bias + sum([weights.get(f, 0.0) for f in features])
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_json(self, **about: object) -> str:
        body = {
            "format": MODEL_FORMAT,
            **about,
            "bias": round(self.bias, 4),
            "threshold": self.threshold,
            "weights": {k: round(v, 4) for k, v in sorted(self.weights.items()) if abs(v) >= 1e-4},
        }
        return json.dumps(body, ensure_ascii=False, indent=0, sort_keys=False) + "\n"


def load_model(path: Path = MODEL_PATH) -> ToponymModel | None:
    """The shipped model, or ``None`` when there is none (the rules decide alone)."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    if body.get("format") != MODEL_FORMAT:
        return None
    return ToponymModel(dict(body["weights"]), float(body["bias"]), float(body["threshold"]))


def fit(rows: list[list[str]], labels: list[int], *, threshold: float = 0.5, c: float = 0.5) -> ToponymModel:
    """Train on feature lists (one per candidate) and 0/1 labels; scikit-learn is needed only here."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = DictVectorizer()
    matrix = vectoriser.fit_transform([dict.fromkeys(row, 1) for row in rows])
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(matrix, labels)
    weights = dict(zip(vectoriser.get_feature_names_out(), model.coef_[0].tolist(), strict=True))
    return ToponymModel(weights, float(model.intercept_[0]), threshold)


# -- features -----------------------------------------------------------------------------------

_INITIALS = re.compile(r"^(?:[A-Z]\.)+$")


def shape(surface: str) -> str:
    """ "Xx", "X X", "XX", "X.X.": the span's capitalisation, never its letters (worked out once per surface
    and process; the cache is emptied when it grows past ``_SHAPES_SIZE``)."""
    found = _SHAPES.get(surface)
    if found is None:
        if len(_SHAPES) >= _SHAPES_SIZE:
            _SHAPES.clear()
        found = _SHAPES[surface] = _shape(surface)
    return found


_SHAPES: dict[str, str] = {}
_SHAPES_SIZE = 50_000


def _shape(surface: str) -> str:
    if _INITIALS.match(surface.replace(" ", "")):
        return "initials"
    words = surface.split()
    parts = []
    for word in words[:3]:
        if word.isupper() and len(word) > 1:
            parts.append("XX")
        elif word[:1].isupper():
            parts.append("Xx")
        elif word[:1].isdigit():
            parts.append("9")
        else:
            parts.append("x")
    return "-".join(parts) + ("+" if len(words) > 3 else "")


def word_class(key: str, word: str) -> str:
    """What our own lists say of a neighbouring word (never the word itself)."""
    if not word:
        return "none"
    label = _LISTED.get(key)
    if label is None:
        label = _LISTED[key] = _listed(key)
    if label:
        return label
    if word[:1].isdigit():
        return "number"
    if word[:1].isupper():
        return "capitalised"
    return "lower"


def feature_kind(key: str) -> str:
    """What kind of feature the words of our lists make of a name ("waterbody" for "Neches River" and "Lake
    Lanier", "settlement" for "Hamilton Township"; "other" for none), so that the recogniser weighs a river and a station
    apart; the kind, never the word."""
    words = key.split()
    for word in (*reversed(words), words[0] if words else ""):
        for kind, kind_words in handnames.FEATURE_KINDS.items():
            if word in kind_words:
                return kind
    return "other"


_LISTED: dict[str, str] = {}  # a word's label in our lists ("" for none), looked up once per process


def _listed(key: str) -> str:
    for label, words in (
        ("local_body", handnames.LOCAL_BODIES),
        ("title", handnames.TITLES),
        ("locative", handnames.LOCATIVE_WORDS),
        ("strong_prefix", handnames.STRONG_PLACE_PREFIXES),
        ("place_prefix", handnames.PLACE_PREFIXES),
        ("place_suffix", handnames.PLACE_SUFFIXES),
        ("feature_suffix", handnames.FEATURE_SUFFIXES),
        ("institution", handnames.INSTITUTIONS),
        ("organisation", handnames.ORGANISATION_SUFFIXES),
        ("first_name", handnames.SPANISH_FIRST_NAMES),
        ("person", handnames.PERSON_NAMES),
        ("function", handnames.FUNCTION_WORDS),
        ("currency", handnames.CURRENCY_NEXT),
    ):
        if key in words:
            return label
    return ""


def _bucket(value: int, edges: tuple[int, ...]) -> str:
    labels = _BUCKET_LABELS.get(edges)
    if labels is None:
        labels = _BUCKET_LABELS[edges] = (*(f"<{edge}" for edge in edges), f">={edges[-1]}")
    for i, edge in enumerate(edges):
        if value < edge:
            return labels[i]
    return labels[-1]


_BUCKET_LABELS: dict[tuple[int, ...], tuple[str, ...]] = {}  # each bucket's label, written once per process


_SUMMARIES: dict[tuple[Link, ...], tuple[list[Place], tuple[str, str, int, int]]] = {}
_SUMMARIES_SIZE = 50_000  # readings summed up once per process; emptied when it grows past this


def _link_summary(links: list[Link], places: list[Place]) -> tuple[str, str, int, int]:
    """The kinds of a candidate's readings ("city+region"), its one kind or "mixed", and its flags, any and all."""
    cache_key = tuple(links)
    cached = _SUMMARIES.get(cache_key)
    if cached is not None and cached[0] is places:  # another tagger's places mean other kinds
        return cached[1]
    kinds = sorted({places[link.place_index].kind for link in links})
    flags = 0
    all_flags = ~0 if links else 0
    for link in links:
        flags |= link.flags
        all_flags &= link.flags
    if len(_SUMMARIES) >= _SUMMARIES_SIZE:
        _SUMMARIES.clear()
    summary = ("+".join(kinds), kinds[0] if len(kinds) == 1 else "mixed", flags, all_flags)
    _SUMMARIES[cache_key] = (places, summary)
    return summary


def features(
    ctx: Context,
    *,
    origin: str,
    repeats: int,
    lower_elsewhere: bool,
    surname: bool,
    rules: list[str] | None = None,
) -> list[str]:
    """The recogniser's features for one candidate (``origin``: gazetteer, area or feature; ``rules``: the
    names of the rules that object, when already known)."""
    kinds_text, top_kind, flags, all_flags = _link_summary(ctx.candidate.links, ctx.places)
    prev_class = word_class(ctx.prev_key, ctx.prev_word)
    next_class = word_class(ctx.next_key, ctx.next_word)
    span_shape = shape(ctx.surface)
    out = [
        "origin=" + origin,
        "shape=" + span_shape,
        "kinds=" + kinds_text,
        "readings=" + _bucket(len(ctx.candidate.links), (2, 3, 6)),
        "population=" + _bucket(ctx.largest, (1_000, 10_000, 100_000, 1_000_000)),
        "length=" + _bucket(len(ctx.surface), (4, 6, 10)),
        "prev=" + prev_class,
        "prev_sep=" + ctx.prev_sep.strip()[:1],
        "next=" + next_class,
        "next_sep=" + ctx.next_sep.strip()[:1],
        "repeats=" + _bucket(repeats, (2, 3, 5)),
        f"prev={prev_class}|kind={top_kind}",
        f"next={next_class}|kind={top_kind}",
        f"shape={span_shape}|kind={top_kind}",
    ]
    if flags & EXACT_CASE:
        out.append("exact_case")
    if all_flags & ALTERNATE:
        out.append("alternate_only")
    if flags & AFTER_COMMA:
        out.append("after_comma")
    if all_flags & DEMONYM:
        out.append("demonym")
    if sentence_start(ctx.text, ctx.candidate.start):
        out.append("sentence_start")
        out.append(f"sentence_start|kind={top_kind}")
    if ctx.place_after_comma():
        out.append("place_after_comma")
    if ctx.prev_sep.strip() == "," and (ctx.candidate.start - len(ctx.prev_sep) - 1) >= 0:
        out.append("comma_before")
    out.extend(_key_features(ctx.key, ctx.weak))
    if lower_elsewhere:
        out.append("lower_elsewhere")  # the same word written in lower case elsewhere: a common word
    if surname:
        out.append("surname_elsewhere")
    if ctx.region_follows():
        out.append("region_follows")
    if ctx.candidate.start > 0 and ctx.text[ctx.candidate.start - 1] == "-":
        out.append("after_hyphen")
        out.append(f"after_hyphen|kind={top_kind}")
        if after_party(ctx.text, ctx.candidate.start):
            out.append("after_party")
    out.extend(usage_features(ctx))
    if origin == "feature":
        out.append("feature_kind=" + feature_kind(ctx.key))
    for rule in objections(ctx) if rules is None else rules:
        out.append("rule=" + rule)
    return out


# The classes of the word after a name that make it the head of a local body or institution ("Berea police",
# "Crestwood Board of Education", "Grovetown Department", "Kirkland president").
_HEADS_BODY = frozenset(("next=local_body", "next=institution", "next=place_suffix", "next=title"))

_KEY_FEATURES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {}
_KEY_FEATURES_SIZE = 50_000  # names whose list features are kept between articles; emptied past this


def _key_features(key: str, weak: frozenset[str]) -> tuple[str, ...]:
    """What our own word lists say of the name itself, worked out once per name (and set of weak names)."""
    cached = _KEY_FEATURES.get(key)
    if cached is not None and cached[0] is weak:
        return cached[1]
    found = tuple(
        label
        for label, words in (
            ("weak_name", weak),
            ("common_word", handnames.COMMON_WORDS),
            ("person_name", handnames.PERSON_NAMES),
            ("first_name", handnames.SPANISH_FIRST_NAMES),
            ("junk_word", handnames.JUNK_WORDS),
        )
        if key in words
    )
    if len(_KEY_FEATURES) >= _KEY_FEATURES_SIZE:
        _KEY_FEATURES.clear()
    _KEY_FEATURES[key] = (weak, found)
    return found


_PARTY = re.compile(r"(?<![\w.-])([A-Za-z]{1,3})-\Z")


def after_party(text: str, start: int) -> bool:
    """ "(R-Ocilla)", "DFL-Chisholm": a party's letters and a hyphen before the name, a legislator's home town."""
    found = _PARTY.search(text, max(0, start - 5), start)
    return found is not None and found.group(1).lower() in handnames.PARTY_HYPHEN


def person_verb_after(ctx: Context) -> bool:
    """ "Fairfield could spend", "Millington also denied": a word after the name that a person's acts take."""
    return ctx.next_sep == " " and ctx.next_key in handnames.PERSON_VERBS


def usage_features(ctx: Context) -> list[str]:
    """A possessive or a person's act right after the name ("Fairfield's lawyers", "Fairfield could"), weighed
    with the kind of name: common after a defendant's surname, rare after a town's."""
    out = []
    if ctx.next_key in ("'s", "’s"):
        out.append("possessive")
    if person_verb_after(ctx):
        out.append("person_verb_after")
    return out


_TITLE_WINDOW = 50
_WORDS = re.compile(r"[^\W\d_][\w'’]*")


def title_case_around(text: str, start: int, end: int) -> bool:
    """Whether the words around the name are nearly all capitalised, as in a headline: there a capital says
    nothing of a name."""
    words = _WORDS.findall(text, max(0, start - _TITLE_WINDOW), start)[-4:]
    words += _WORDS.findall(text, end, end + _TITLE_WINDOW)[:4]
    words = [w for w in words if len(w) > 3]
    return len(words) >= 3 and sum(1 for w in words if w[0].isupper()) >= len(words) - (len(words) > 5)


def demonym_features(ctx: Context, repeats: int) -> list[str]:
    """A demonym's features: whether it names a country's state or people ("Russian troops", "Palestinians")
    or a culture ("Italian food", "a British author"), read from the words around it and our own lists."""
    next_key = ctx.next_key if ctx.next_sep == " " else ""
    if next_key in handnames.CULTURE_NEXT:
        follower = "culture"
    elif next_key in handnames.STATE_NEXT:
        follower = "state"
    else:
        follower = word_class(ctx.next_key, ctx.next_word)
    prev_class = word_class(ctx.prev_key, ctx.prev_word)
    plural = ctx.surface.endswith("s")
    out = [
        "demonym",
        "demonym|next=" + follower,
        "demonym|next_sep=" + ctx.next_sep.strip()[:1],
        "demonym|prev=" + prev_class,
        "demonym|plural=" + str(plural),
        f"demonym|plural={plural}|next={follower}",
        "demonym|words=" + str(min(len(ctx.surface.split()), 2)),
        "demonym|shape=" + shape(ctx.surface),
        "demonym|repeats=" + _bucket(repeats, (2, 3, 5)),
    ]
    if sentence_start(ctx.text, ctx.candidate.start):
        out.append("demonym|sentence_start")
    if title_case_around(ctx.text, ctx.candidate.start, ctx.candidate.end):
        out.append("demonym|title_case_around")
    return out


# -- what the features read from the whole article --------------------------------------------------


def _others(keys_by_code: dict[str, set[str]], code: str | None, key: str) -> int:
    """How many names other than ``key`` have a reading in the region or country ``code``."""
    keys = keys_by_code.get(code or "")
    return len(keys) - (key in keys) if keys else 0


def place_context(ctx: Context) -> bool:
    """Whether a candidate stands where only a place can: after "in" or "near", before its state or country
    ("Ozark, Mo.", "Miami Florida"), or marked as one ("estado Bolívar")."""
    return (
        (ctx.prev_sep == " " and ctx.prev_key in handnames.LOCATIVE_WORDS)
        or ctx.place_after_comma()
        or ctx.region_follows()
        or marked_place(ctx)
    )


def marked_place(ctx: Context) -> bool:
    """ "estado Bolívar", "Bolívar state": a word that marks the name as a place."""
    return ctx.next_key in handnames.PLACE_SUFFIXES or ctx.prev_key in handnames.STRONG_PLACE_PREFIXES


class LowerWords:
    """The folded words of a text written in lower case ("mobile", "reading"), asked name by name: a name's
    lower-case twin says it is a common word here."""

    _WORD = re.compile(r"(?<![\w'’.-])[a-záéíóúñüç]{3,}(?![\w'’-])")
    _ACCENTED = re.compile(r"[áéíóúñüç]")
    _LETTERS = re.compile(r"[a-z]{3,}")

    def __init__(self, text: str) -> None:
        self.text = text
        self._all: set[str] | None = None
        self._asked: dict[str, bool] = {}
        # With no accented letter to fold, a word is its own folded form and can be looked for as it is.
        self._plain = self._ACCENTED.search(text) is None

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if not self._plain:
            if self._all is None:
                self._all = {fold_keeping_length(w) for w in set(self._WORD.findall(self.text))}
            return key in self._all
        found = self._asked.get(key)
        if found is None:
            found = self._asked[key] = self._LETTERS.fullmatch(key) is not None and self._stands_alone(key)
        return found

    def _stands_alone(self, word: str) -> bool:
        """Whether ``word`` occurs as a whole word, as ``_WORD`` would find it."""
        text, n, size = self.text, len(self.text), len(word)
        start = text.find(word)
        while start != -1:
            end = start + size
            before = text[start - 1] if start else ""
            after = text[end] if end < n else ""
            if not (before and (_word_char(before) or before in "'’.-")) and not (
                after and (_word_char(after) or after in "'’-")
            ):
                return True
            start = text.find(word, start + 1)
        return False


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


@dataclass(slots=True)
class ArticleFeatures:
    """What the recogniser's features read from the whole article: which names repeat, stand where only a place
    can, are written in lower case, and share a region or a country with other names."""

    surnames: set[str]
    lower_words: Container[str]
    repeats: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Where else the name stands where only a place can ("in Ozark", "Ozark, Mo."): an article names a place
    # the same way throughout ("Ozark police", "the Ozark council").
    marked: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    # Which distinct names have a reading in each region and country: a small town beside another place of its
    # state ("Chiefland" with "Levy County") is likelier a place than one alone.
    region_keys: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    country_keys: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    # Where else the name is followed by what a person does ("Fairfield could spend"): a defendant named
    # throughout an article is a person at every mention.
    acting: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    shared: dict[tuple[object, ...], tuple[int, int]] = field(default_factory=dict)
    # The spans of the names of a list closed by "counties" or "parishes" that name a county ("Cooke, Grayson and
    # Love counties").
    county_listed: set[tuple[int, int]] = field(default_factory=set)
    # The spans of the names of a list of three or more ("Monroe, Trenton and Madison Twp."), each with what it
    # shares with another name of its list: "region" (a reading in one region), "country", or "none". Towns of
    # one county are listed together; people and firms seldom share a state as well as a list.
    listed: dict[tuple[int, int], str] = field(default_factory=dict)
    # How local the article's geography is (``locality.locality``: "high" when half its names share a region),
    # and how near each name's nearest town reading lies to another name's (``locality.nearest_other``): a
    # town's paper names towns of one county, and the same context means a place more often there.
    locality: str = "few"
    nearest: dict[str, str] = field(default_factory=dict)
    # The first-level region most of the article's names may lie in (``locality.top_region``): in a town's paper
    # a name with a reading there is likelier its town than a person or a firm.
    top_region: str | None = None

    def row(self, f: Found) -> list[str]:
        """The recogniser's features of one candidate (a demonym's are its own: ``demonym_features``)."""
        key = f.context.key
        if is_demonym(f.candidate):
            return demonym_features(f.context, self.repeats[key])
        row = features(
            f.context,
            origin=f.origin,
            repeats=self.repeats[key],
            lower_elsewhere=key in self.lower_words,
            surname=key in self.surnames and not marked_place(f.context),
            rules=f.objections,
        )
        readings = f.context.readings
        # The same name with the same readings shares them with the same names: counted once an article.
        shared_key = (key, *map(id, readings))
        shared = self.shared.get(shared_key)
        if shared is None:
            shared = self.shared[shared_key] = (
                max((_others(self.region_keys, p.region_code, key) for p in readings), default=0),
                max((_others(self.country_keys, p.country_code, key) for p in readings), default=0),
            )
        in_region, in_country = shared
        row.append(f"region_shared={min(in_region, 2)}|{row[4]}")  # "population=…"
        row.append(f"country_shared={min(in_country, 3)}")
        start = f.candidate.start
        marked = self.marked.get(key)
        if marked and (len(marked) > 1 or start not in marked):  # marked somewhere other than here
            row.append("marked_elsewhere")
            row.append(f"marked_elsewhere|{row[8]}")  # "next=…"
        if row[8] in _HEADS_BODY:
            # A name before a body's word: at the start of a headline or a sentence ("Berea police are
            # searching") or after "the" ("the Grovetown Department of Public Safety") it is the town, which LGL
            # marks; after "of", "state" or "county" it is likelier inside a longer name. The word before weighs
            # apart here from elsewhere (5-fold CV, alone: LGL R 0.8342 -> 0.8356, GeoVirus P 0.9134 -> 0.9168).
            row.append("heads_body|" + row[6])  # "prev=…"
        acting = self.acting.get(key)
        if acting and (len(acting) > 1 or start not in acting):
            row.append(f"acting_elsewhere|kind={row[2][6:]}")
        if (start, f.candidate.end) in self.county_listed:
            row.append("county_list")
        listed = self.listed.get((start, f.candidate.end))
        if listed is not None:
            row.append("list_shares=" + listed)
        if f.outer is not None:
            row.append("inside=" + f.outer.origin)
            row.append(f"inside={f.outer.origin}|{row[2]}")  # "kinds=…"
        row.append("locality=" + self.locality)
        row.append(f"locality={self.locality}|{row[4]}")  # "population=…"
        nearest = self.nearest.get(key)
        if nearest is not None:
            row.append("nearest_other=" + nearest)
        top = self.top_region
        in_top = top is not None and any(p.region_code == top for p in readings)
        row.append(f"top_region={'yes' if in_top else 'no'}|{row[4]}")  # "population=…"
        return row
