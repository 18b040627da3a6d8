"""Enrich: story clustering — each new article joins the most similar recent story, else starts one.

The clustering is incremental and deterministic: articles are placed one at a time, in the order they arrive
(``gazette recluster`` replays them by date, then id). An article is compared with the articles of the stories
seen within ``WINDOW`` of its date:

- a near-copy of one of them (MinHash, ``enrich.dedup``) is a duplicate and joins that article's story;
- otherwise, in the same language, the score is the TF-IDF cosine of title (counted twice) and text (IDF
  from the articles in the window); across languages, the IDF-weighted cosine of the proper names and numbers
  in title and lead, which counts only when at least ``MIN_SHARED_NAMES`` of them match;
- the best story scoring ``STORY_THRESHOLD`` or more takes the article; ties go to the older story.

Placing one article costs the same however many are stored: ``Clusterer`` keeps the window's document
frequencies, an inverted index of its terms and names and an LSH index of its fingerprints, all updated per
article (never rebuilt), and evicts by date. Candidates come from the index's rarer entries (a term in more than
``MAX_POSTINGS`` window articles finds none), and only the ``MAX_CANDIDATES`` best by a partial score are scored
exactly. This module is pure: ``pipeline.assign_story`` keeps a window per store and writes the decisions.
"""

from __future__ import annotations

import functools
import heapq
import logging
import math
import re
from array import array
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

import numpy as np

from gazette.config import ENRICH_MAX_CHARS
from gazette.enrich import readable_text
from gazette.enrich.dedup import DUPLICATE_THRESHOLD, DuplicateIndex, Fingerprint, fingerprint
from gazette.stopwords import stop_words
from gazette.textfold import fold

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=3)
# Articles are kept this long past the window, so one dated up to a day before the newest is still placed
# against a complete window; older stragglers are placed against a window read for them (pipeline.py).
RETENTION_SLACK = timedelta(days=1)
MAX_POSTINGS = 300  # a term or name in more window articles than this is too common to find candidates by
MAX_CANDIDATES = 50  # articles scored exactly per placement (same language, and again across languages)
STORY_THRESHOLD = 0.25
MIN_SHARED_NAMES = 3
MAX_WORDS = 5_000  # terms come from the whole text, up to this (a cap against pathological pages)
NAME_WORDS = 150  # names come from the title and this many words of the lead
MAX_TERMS = 250  # the most frequent terms kept per article
FEATURES_VERSION = 1  # bump when extract_features changes, so stored features are recomputed
STEM_CHARS = 6
TITLE_WEIGHT = 2

# Too common in news to tell two stories apart, on top of the languages' stop words.
_NEWS_WORDS = frozenset(
    """
    day days week year years monday tuesday wednesday thursday friday saturday sunday mr mrs ms people new last
    late two three dos dia dias ano anos afirmo lunes martes miercoles jueves viernes sabado domingo
    """.split()
)
_STOPWORDS = stop_words() | _NEWS_WORDS
_NAME = "\x00"  # prefix keeping names apart from terms in the shared vocabulary
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_SENTENCE_MARKS = '.!?:;"“”«»—'
_BREAK = re.compile("[\n" + re.escape(_SENTENCE_MARKS) + "]")  # a line break or a sentence mark
# A word of ``_WORD`` and what stands between it and the previous one (``_WORD.finditer``'s words, in order).
_GAP_WORD = re.compile(r"(.*?)(" + _WORD.pattern + ")", re.DOTALL)


# Words repeat: most of an article's words were folded before.
_fold_word = functools.lru_cache(maxsize=1 << 16)(fold)


@dataclass(frozen=True)
class StoryFeatures:
    """What clustering compares: stemmed content words (with counts) and proper names/numbers."""

    terms: dict[str, int]
    names: frozenset[str]
    language: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "v": FEATURES_VERSION,
            "terms": self.terms,
            "names": sorted(self.names),
            "language": self.language,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> StoryFeatures | None:
        """The stored features, or None when missing or computed by an older ``extract_features``."""
        if not data or data.get("v") != FEATURES_VERSION:
            return None
        terms = data["terms"]
        if not all(type(v) is int for v in terms.values()):  # JSON keys are text already; counts may not be
            terms = {str(k): int(v) for k, v in terms.items()}
        return cls(dict(terms), frozenset(data["names"]), data.get("language"))


@functools.lru_cache(maxsize=1 << 16)
def _term(raw: str) -> str | None:
    """The term a word counts as (stem, or a number of two digits or more), or None for a stop word."""
    folded = _fold_word(raw)
    if folded.isdigit():
        return folded if len(folded) >= 2 else None
    if folded in _STOPWORDS or len(folded) < 3:
        return None
    return folded[:STEM_CHARS]


@functools.lru_cache(maxsize=1 << 16)
def _lead_word(raw: str) -> tuple[str | None, str | None, bool]:
    """What a word of the title or lead counts as: its term (``_term``), the name it makes (a number of two
    digits or more, an acronym, a capitalized word) or None, and whether that name counts only away from the
    start of a sentence (a capitalized word: a capital after a break is just grammar)."""
    term = _term(raw)
    if term is None:
        return None, None, False
    folded = _fold_word(raw)
    if folded.isdigit():
        return term, folded, False
    if raw.isupper():  # an acronym
        return term, (folded if len(raw) > 1 else None), False
    if raw[0].isupper():  # a capitalized name, unless it starts a sentence
        return term, folded, True
    return term, None, False


def extract_features(
    title: str, text: str, language: str | None = None, *, max_chars: int = ENRICH_MAX_CHARS
) -> StoryFeatures:
    """Features of an article: terms of its title (counted twice) and text; names of its title and lead.

    Only the first ``max_chars`` characters of title and text are read (``enrich.max_chars``).
    """
    terms: dict[str, int] = {}
    names: set[str] = set()
    title = readable_text(title, max_chars)
    text = readable_text(text, max_chars)
    # a text shorter than twice the cap cannot hold more words than it
    body = text if len(text) < 2 * MAX_WORDS else _first_words(text, MAX_WORDS)
    for weight, chunk in ((TITLE_WEIGHT, title), (1, body)):
        # each word with the text between it and the previous word (the whole title and lead are names' ground)
        for position, match in enumerate(_GAP_WORD.finditer(chunk)):
            if weight == 1 and position >= NAME_WORDS:  # past the lead only terms count: the quick way
                _count_terms(terms, _WORD.findall(chunk, match.start(2)))
                break
            term, name, unless_sentence_start = _lead_word(match.group(2))
            if term is None:
                continue
            terms[term] = terms.get(term, 0) + weight
            if name is not None and (
                not unless_sentence_start or (position > 0 and _BREAK.search(match.group(1)) is None)
            ):
                names.add(name)
    if len(terms) > MAX_TERMS:  # keep the most frequent (ties by term), so stored features stay small
        ranked = sorted(terms.items())  # by term, then (stable) by count, most first
        ranked.sort(key=itemgetter(1), reverse=True)
        terms = dict(ranked[:MAX_TERMS])
    return StoryFeatures(terms=terms, names=frozenset(names), language=(language or None))


def _first_words(text: str, count: int) -> str:
    words = text.split()
    return text if len(words) <= count else " ".join(words[:count])


def _count_terms(terms: dict[str, int], raw_words: list[str]) -> None:
    """Add one to the term of each word: each distinct word is looked up once (in order of first use, so the
    terms keep the order a word-by-word count gives them)."""
    get = terms.get
    for raw, count in Counter(raw_words).items():
        term = _term(raw)
        if term is not None:
            terms[term] = get(term, 0) + count


@dataclass
class Item:
    """One article in the clustering window."""

    key: Hashable
    when: datetime
    features: StoryFeatures
    fingerprint: Fingerprint
    story: Hashable | None = None
    duplicate_of: Hashable | None = None


@dataclass(frozen=True)
class Placement:
    """Where an article goes: an existing story (``story`` set) or a new one (``story`` None)."""

    story: Hashable | None
    similarity: float
    duplicate_of: Hashable | None = None
    duplicate_similarity: float = 0.0


@dataclass
class WorkCounts:
    """What a ``Clusterer`` has done: tests count work with these, never time."""

    adds: int = 0  # articles put in the window
    discards: int = 0  # articles taken out (evicted or replaced)
    placements: int = 0
    postings_read: int = 0  # inverted-index entries read to find candidates
    scored: int = 0  # candidates whose similarity was computed exactly


_DAY_SECONDS = 86_400.0
_FREE = object()  # the key of a free slot
_NO_ROW = (np.zeros(0, dtype=np.int32), np.zeros(0), np.zeros(0, dtype=np.int32))  # the row of a free slot


def _seconds(when: datetime) -> float:
    return when.timestamp()


@dataclass
class Clusterer:
    """The window of recent articles, updated one article at a time.

    It holds each article's term and name indices (not its text), the document frequencies of the window, an
    inverted index from term or name to the window's articles (entries of removed articles are dropped lazily),
    and an LSH index of fingerprints. ``items`` keeps what placing needs: date, story, names and language.
    """

    window: timedelta = WINDOW
    threshold: float = STORY_THRESHOLD
    duplicate_threshold: float = DUPLICATE_THRESHOLD
    slack: timedelta = RETENTION_SLACK
    max_postings: int = MAX_POSTINGS
    max_candidates: int = MAX_CANDIDATES
    # False for a small window used once (a straggler's): no inverted or LSH index to build; every article
    # in the window is a candidate and fingerprints are compared directly
    indexed: bool = True
    items: dict[Hashable, Item] = field(default_factory=dict)
    _prints: dict[Hashable, np.ndarray] = field(default_factory=dict)
    work: WorkCounts = field(default_factory=WorkCounts)
    _vocab: dict[str, int] = field(default_factory=dict)
    _terms: list[str | None] = field(default_factory=list)
    _free_terms: list[int] = field(default_factory=list)
    _df: np.ndarray = field(default_factory=lambda: np.zeros(1024, dtype=np.int32))
    # per slot, in lists indexed by slot (a placement reads them at its candidates' slots, without hashing keys):
    # the article's key (_FREE for a free slot) and its (term ids, term weights, name ids)
    _key_at: list[Any] = field(default_factory=list)
    _rows_at: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    # the inverted index: term id → (packed slot+generation, term weight of that article)
    _postings: dict[int, tuple[array[int], array[float]]] = field(default_factory=dict)
    _slot_of: dict[Hashable, int] = field(default_factory=dict)
    _free_slots: list[int] = field(default_factory=list)
    _gen: np.ndarray = field(default_factory=lambda: np.zeros(1024, dtype=np.int32))
    # the date of each slot's article in seconds; NaN for one without a story, which is never a candidate
    _when: np.ndarray = field(default_factory=lambda: np.zeros(1024, dtype=np.float64))
    _lang: np.ndarray = field(default_factory=lambda: np.zeros(1024, dtype=np.int16))
    _norm: np.ndarray = field(default_factory=lambda: np.ones(1024, dtype=np.float64))
    # each slot's story as a small number (-1: none), so that a placement groups its candidates by story
    # without reading their items; the numbers are counted by use and reused once no window article has them
    _story_no: np.ndarray = field(default_factory=lambda: np.full(1024, -1, dtype=np.int32))
    _story_nos: dict[Hashable, int] = field(default_factory=dict)
    _story_of_no: list[Hashable | None] = field(default_factory=list)
    _story_uses: list[int] = field(default_factory=list)
    _free_story_nos: list[int] = field(default_factory=list)
    _languages: dict[str, int] = field(default_factory=dict)
    _by_date: list[tuple[datetime, int, int]] = field(default_factory=list)  # (date, slot, generation) heap
    _scratch: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per-slot sums, zero between uses
    _first: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    _query: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the query by term id, zero between uses
    _copies: DuplicateIndex | None = None
    _vocab_changes: int = 0  # counts changes to the vocabulary, so that a kept lookup knows it is current
    _looked: tuple[StoryFeatures, int, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None

    @property
    def copies(self) -> DuplicateIndex:
        """The LSH index of the window's fingerprints (made once, then updated)."""
        if self._copies is None:
            self._copies = DuplicateIndex(self.duplicate_threshold)
        return self._copies

    @property
    def retention(self) -> timedelta:
        """How far behind the newest date an article stays in the window."""
        return self.window + self.slack

    # -- vocabulary and slots --------------------------------------------------------------------------

    def _indices(self, tokens: Iterable[str], grow: bool = True) -> np.ndarray:
        vocab = self._vocab
        tokens = list(tokens)
        looked = list(map(vocab.get, tokens))
        if None not in looked:  # the usual case: every token already in the vocabulary
            return np.asarray(looked, dtype=np.int32)
        if not grow:
            return np.asarray([i for i in looked if i is not None], dtype=np.int32)
        self._vocab_changes += 1
        found: list[int] = []
        for token, idx in zip(tokens, looked, strict=True):
            if idx is None:
                idx = vocab.get(token)  # a token met twice in one call is new only the first time
            if idx is None:
                if self._free_terms:
                    idx = self._free_terms.pop()
                    self._terms[idx] = token
                else:
                    idx = len(self._terms)
                    self._terms.append(token)
                vocab[token] = idx
            found.append(idx)
        if len(self._terms) > len(self._df):
            grown = np.zeros(max(len(self._terms), 2 * len(self._df)), dtype=np.int32)
            grown[: len(self._df)] = self._df
            self._df = grown
        return np.asarray(found, dtype=np.int32)

    def _lookup(self, features: StoryFeatures) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ids of an article's terms in the vocabulary, their counts, and the counts of terms not in it.

        Placing an article and then adding it look its terms up once: the last answer is kept while the
        vocabulary is unchanged (in a large window each lookup is a likely cache miss).
        """
        cached = self._looked
        if cached is not None and cached[0] is features and cached[1] == self._vocab_changes:
            return cached[2]
        vocab = self._vocab
        looked = list(map(vocab.get, features.terms))
        counts = list(features.terms.values())
        if None in looked:
            known = [(i, c) for i, c in zip(looked, counts, strict=True) if i is not None]
            unknown = [c for i, c in zip(looked, counts, strict=True) if i is None]
            ids = np.asarray([i for i, _ in known], dtype=np.int32)
            answer = (
                ids,
                np.asarray([c for _, c in known], dtype=np.float64),
                np.asarray(unknown, np.float64),
            )
        else:
            answer = (np.asarray(looked, dtype=np.int32), np.asarray(counts, dtype=np.float64), np.zeros(0))
        self._looked = (features, self._vocab_changes, answer)
        return answer

    def _take_slot(self) -> int:
        if self._free_slots:
            return self._free_slots.pop()
        slot = len(self._key_at)
        self._key_at.append(_FREE)
        self._rows_at.append(_NO_ROW)
        if slot >= len(self._gen):
            size = 2 * len(self._gen)
            for name in ("_gen", "_when", "_lang", "_norm", "_story_no"):
                old = getattr(self, name)
                new = np.zeros(size, dtype=old.dtype)
                new[: len(old)] = old
                setattr(self, name, new)
        return slot

    def _number_story(self, story: Hashable | None) -> int:
        """The story's number, counting one more use of it (-1 for none)."""
        if story is None:
            return -1
        no = self._story_nos.get(story)
        if no is None:
            if self._free_story_nos:
                no = self._free_story_nos.pop()
                self._story_of_no[no] = story
            else:
                no = len(self._story_of_no)
                self._story_of_no.append(story)
                self._story_uses.append(0)
            self._story_nos[story] = no
        self._story_uses[no] += 1
        return no

    def _release_story(self, no: int) -> None:
        """One use fewer of a story number; a number no longer used is freed."""
        if no < 0:
            return
        self._story_uses[no] -= 1
        if self._story_uses[no] == 0:
            del self._story_nos[self._story_of_no[no]]
            self._story_of_no[no] = None
            self._free_story_nos.append(no)

    def _language_id(self, language: str | None) -> int:
        if language is None:
            return -1
        return self._languages.setdefault(language, len(self._languages))

    def _idf_array(self, idx: np.ndarray) -> np.ndarray:
        n = len(self.items) + 1  # smoothed, over the window plus the article being placed
        return np.log((n + 1) / (self._df[idx] + 1)) + 1.0

    # -- updates ---------------------------------------------------------------------------------------

    def add(self, item: Item) -> None:
        """Put an article (with its story already known) into the window."""
        if item.key in self.items:
            self.discard(item.key)
        idx, tf, names, packed = self._enter(item)
        if self.indexed:
            # each term's and name's entry appended to in the loop (a method call per term cost more)
            postings = self._postings
            weights = tf.tolist() + [1.0] * len(names)
            for term, weight in zip(idx.tolist() + names.tolist(), weights, strict=True):
                entry = postings.get(term)
                if entry is None:
                    entry = postings[term] = (array("q"), array("d"))
                entry[0].append(packed)
                entry[1].append(weight)
            self.copies.add(item.key, item.fingerprint)

    def add_many(self, items: Iterable[Item], chunk: int = 20_000) -> None:
        """Put many articles into the window, in order: the same window as ``add`` one by one, built faster.

        The inverted index is appended to per term in bulk (a sort of the chunk's entries by term) rather than
        entry by entry; what depends on the order of arrival (term ids, slots, norms, the order of each term's
        entries) comes out as ``add`` would leave it.
        """
        batch: list[Item] = []
        keys: set[Hashable] = set()
        for item in items:
            if item.key in keys or item.key in self.items or not self.indexed:
                self._add_batch(batch)
                batch, keys = [], set()
                self.add(item)
                continue
            batch.append(item)
            keys.add(item.key)
            if len(batch) >= chunk:
                self._add_batch(batch)
                batch, keys = [], set()
        self._add_batch(batch)

    def _add_batch(self, items: list[Item]) -> None:
        """``add`` for new, distinct keys of an indexed window, with the postings appended per term."""
        if not items:
            return
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        packs: list[int] = []
        lengths: list[int] = []
        for item in items:
            idx, tf, names, packed = self._enter(item)
            ids += (idx, names)
            weights += (tf, np.ones(len(names)))
            packs.append(packed)
            lengths.append(len(idx) + len(names))
            self.copies.add(item.key, item.fingerprint)
        every = np.concatenate(ids)
        order = np.argsort(every, kind="stable")  # by term, each term's entries in the order of arrival
        terms = every[order]
        packed_all = np.repeat(np.asarray(packs, dtype=np.int64), lengths)[order]
        weight_all = np.concatenate(weights)[order]
        bounds = np.flatnonzero(np.diff(terms)) + 1
        starts = np.concatenate(([0], bounds)).tolist()
        ends = np.concatenate((bounds, [len(terms)])).tolist()
        postings = self._postings
        for term, start, end in zip(terms[starts].tolist(), starts, ends, strict=True):
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = (array("q"), array("d"))
            entry[0].frombytes(packed_all[start:end].tobytes())
            entry[1].frombytes(weight_all[start:end].tobytes())

    def _enter(self, item: Item) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Everything ``add`` does but the inverted and LSH indexes: (term ids, term weights, name ids, packed
        slot+generation)."""
        self.work.adds += 1
        terms = item.features.terms
        known, counts, unknown = self._lookup(item.features)
        if len(unknown):
            idx = self._indices(terms)
            counts = np.fromiter(terms.values(), dtype=np.float64, count=len(terms))
        else:
            idx = known
        tf = 1.0 + np.log(counts)
        names = self._indices([_NAME + n for n in item.features.names])
        self._df[idx] += 1
        self._df[names] += 1
        slot = self._take_slot()
        self._gen[slot] += 1
        generation = int(self._gen[slot])
        packed = (generation << 32) | slot
        self._slot_of[item.key] = slot
        self._key_at[slot] = item.key
        self._story_no[slot] = self._number_story(item.story)
        self._when[slot] = _seconds(item.when) if item.story is not None else math.nan
        self._lang[slot] = self._language_id(item.features.language)
        self._norm[slot] = float(np.sqrt(np.sum((tf * self._idf_array(idx)) ** 2))) or 1.0
        self._rows_at[slot] = (idx, tf, names)
        heapq.heappush(self._by_date, (item.when, slot, generation))
        if not self.indexed and not item.fingerprint.empty:
            self._prints[item.key] = np.asarray(item.fingerprint.values, dtype=np.uint32)
        # the window keeps names and language for scoring across languages; the terms live in the index
        slim = StoryFeatures({}, item.features.names, item.features.language)
        self.items[item.key] = Item(item.key, item.when, slim, _NO_FINGERPRINT, item.story, item.duplicate_of)
        return idx, tf, names, packed

    def discard(self, key: Hashable) -> None:
        """Take an article out of the window (its index entries are dropped lazily)."""
        item = self.items.pop(key, None)
        if item is None:
            return
        self.work.discards += 1
        slot = self._slot_of.pop(key)
        self._key_at[slot] = _FREE
        self._release_story(int(self._story_no[slot]))
        self._story_no[slot] = -1
        self._free_slots.append(slot)
        self._gen[slot] += 1  # entries packed with the old generation are now dead
        if self.indexed:
            self.copies.remove(key)
        self._prints.pop(key, None)
        if not self.indexed and len(self._by_date) > 2 * len(self.items) + 64:
            # an unindexed window is kept by its owner and changed in place, never evicted by date: drop the
            # dates of the articles gone, which eviction would have dropped
            self._by_date = [e for e in self._by_date if self._gen[e[1]] == e[2]]
            heapq.heapify(self._by_date)
        idx, _, names = self._rows_at[slot]
        self._rows_at[slot] = _NO_ROW
        for part in (idx, names):
            self._df[part] -= 1
            for gone in part[self._df[part] == 0].tolist():
                term = self._terms[gone]
                if term is not None:
                    del self._vocab[term]
                    self._vocab_changes += 1
                self._terms[gone] = None
                self._free_terms.append(gone)
                self._postings.pop(gone, None)

    def would_evict(self, when: datetime) -> bool:
        """Whether ``evict_before(when)`` may take an article out (a cheap check: the oldest date held)."""
        return bool(self._by_date) and self._by_date[0][0] < when - self.retention

    def evict_before(self, when: datetime) -> None:
        """Drop articles dated before ``when - retention`` (cost: the articles dropped, not the window)."""
        cutoff = when - self.retention
        heap = self._by_date
        while heap and heap[0][0] < cutoff:
            _, slot, generation = heapq.heappop(heap)
            if self._gen[slot] == generation and self._key_at[slot] is not _FREE:
                self.discard(self._key_at[slot])

    # -- scoring ---------------------------------------------------------------------------------------

    def _compact(self, term: int) -> tuple[array[int], array[float]]:
        """Drop the entries of articles no longer in the window (once; the next read is exact)."""
        packed_arr, weights_arr = self._postings[term]
        packed = np.frombuffer(packed_arr, dtype=np.int64)
        live = self._gen[packed & 0xFFFFFFFF] == (packed >> 32)
        weights = np.frombuffer(weights_arr, dtype=np.float64)
        entry = (array("q", packed[live].tobytes()), array("d", weights[live].tobytes()))
        self._postings[term] = entry
        return entry

    def _gather(self, ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Window slots sharing a rare entry with the query, and their partial dot products.

        Sums per slot in a scratch array the size of the slot table, touched only at the slots read, so the
        cost is the postings read (no sort, nothing proportional to the window).
        """
        packed_parts: list[array[int]] = []
        weight_parts: list[array[float]] = []
        query_weights: list[float] = []
        lengths: list[int] = []
        df, postings, cap = self._df, self._postings, self.max_postings
        for term, qweight in zip(ids.tolist(), weights.tolist(), strict=True):
            count = int(df[term])
            if count == 0 or count > cap:
                continue
            entry = postings.get(term)
            if entry is None:
                continue
            if len(entry[0]) != count:
                entry = self._compact(term)
            packed_parts.append(entry[0])
            weight_parts.append(entry[1])
            query_weights.append(qweight)
            lengths.append(count)
        if not packed_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        every = np.frombuffer(b"".join(packed_parts), dtype=np.int64) & 0xFFFFFFFF
        contributions = np.frombuffer(b"".join(weight_parts), dtype=np.float64) * np.repeat(
            query_weights, lengths
        )
        self.work.postings_read += len(every)
        if len(self._scratch) < len(self._gen):
            self._scratch = np.zeros(len(self._gen))
            self._first = np.zeros(len(self._gen), dtype=np.int32)
        np.add.at(self._scratch, every, contributions)
        positions = np.arange(len(every), dtype=np.int32)  # the dtype of _first: no conversion
        self._first[every] = positions
        unique = every[self._first[every] == positions]  # one position per slot: the last write
        sums = self._scratch[unique]  # a copy already (an index array)
        self._scratch[unique] = 0.0
        return unique, sums

    def _idf(self, token: str) -> float:
        n = len(self.items) + 1
        idx = self._vocab.get(token)
        df = int(self._df[idx]) if idx is not None else 0
        return math.log((n + 1) / (df + 1)) + 1.0

    def _term_vector(self, f: StoryFeatures) -> dict[str, float]:
        return {t: (1.0 + math.log(c)) * self._idf(t) for t, c in f.terms.items()}

    def _name_vector(self, f: StoryFeatures) -> dict[str, float]:
        return {n: self._idf(_NAME + n) for n in f.names}

    def similarity(self, a: StoryFeatures, b: StoryFeatures) -> float:
        """Same language: TF-IDF cosine of terms; across languages: IDF-weighted cosine of shared names."""
        if _same_language(a, b):
            return _cosine(self._term_vector(a), self._term_vector(b))
        if len(a.names & b.names) < MIN_SHARED_NAMES:
            return 0.0
        return _cosine(self._name_vector(a), self._name_vector(b))

    def _term_cosines(self, features: StoryFeatures, slots: list[int]) -> np.ndarray:
        """``similarity`` for many same-language window articles at once (vectorized over their terms), by slot."""
        if not slots or not features.terms:
            return np.zeros(len(slots))
        self.work.scored += len(slots)
        n = len(self.items) + 1
        query_ids, counts, unknown = self._lookup(features)
        query_idf = self._idf_array(query_ids)
        query_weights = (1.0 + np.log(counts)) * query_idf
        unseen = (1.0 + np.log(unknown)) * (math.log(n + 1) + 1.0)
        query_norm = math.sqrt(float(np.sum(query_weights**2) + np.sum(unseen**2)))
        if len(self._query) < len(self._df):
            self._query = np.zeros(len(self._df))
        self._query[query_ids] = (
            query_weights * query_idf
        )  # tf·idf of the query times the idf of the row's tf
        rows_at = self._rows_at
        rows = [rows_at[s] for s in slots]
        lengths = np.fromiter((len(r[0]) for r in rows), dtype=np.int64, count=len(rows))
        columns = np.concatenate([r[0] for r in rows])
        tf = np.concatenate([r[1] for r in rows])
        idf = np.log((n + 1) / (self._df[columns] + 1)) + 1.0
        starts = np.zeros(len(rows), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        nonempty = lengths > 0
        dots = np.zeros(len(rows))
        norms = np.zeros(len(rows))
        if len(columns):
            dots[nonempty] = np.add.reduceat(tf * self._query[columns], starts[nonempty])
            norms[nonempty] = np.sqrt(np.add.reduceat((tf * idf) ** 2, starts[nonempty]))
        self._query[query_ids] = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = (
                np.where(norms > 0, dots / (norms * query_norm), 0.0)
                if query_norm > 0
                else np.zeros(len(rows))
            )
        return np.asarray(cos, dtype=np.float64)

    def _candidates(self, key: Hashable, when: datetime, features: StoryFeatures) -> list[Hashable]:
        """The window articles worth scoring exactly: sharing a rare term (same language) or name (across)."""
        same, across = self._candidate_slots(key, when, features)
        return [self._key_at[slot] for slot in same + across]

    def _candidate_slots(
        self, key: Hashable, when: datetime, features: StoryFeatures
    ) -> tuple[list[int], list[int]]:
        """The slots of ``_candidates``: those in the article's language (or of an unknown one), and the others."""
        language = self._language_id(features.language) if features.language is not None else -1
        found: tuple[list[int], list[int]] = ([], [])
        for same in (True, False):
            if same:
                ids, counts, _ = self._lookup(features)
                weights = (1.0 + np.log(counts)) * self._idf_array(ids) ** 2
            else:
                ids = self._indices([_NAME + n for n in features.names], grow=False)
                weights = np.ones(len(ids))
            slots, partial = self._gather(ids, weights)
            if not len(slots):
                continue
            if same and len(slots) > 16 * self.max_candidates:
                best = self._best_of_many(slots, partial, _seconds(when), language)
                if best is not None:
                    found[0].extend(best.tolist())
                    continue
            # take and flatnonzero: a fifth cheaper than indexing by arrays and masks, at a few thousand slots;
            # a NaN date (no story) is never kept
            keep = np.abs(self._when.take(slots) - _seconds(when)) <= self.window.total_seconds()
            if language != -1:
                langs = self._lang.take(slots)
                compatible = (langs == language) | (langs == -1)
                keep &= compatible if same else ~compatible
            elif not same:
                continue  # an article of unknown language is compared with every window article as same
            kept = np.flatnonzero(keep)
            slots, partial = slots.take(kept), partial.take(kept)
            if same:
                partial = partial / self._norm.take(slots)
            if len(slots) > self.max_candidates:
                slots = slots[_largest(partial, self.max_candidates)]
            found[0 if same else 1].extend(slots.tolist())
        own = self._slot_of.get(key)
        if own is not None:
            return [s for s in found[0] if s != own], [s for s in found[1] if s != own]
        return found

    def _best_of_many(
        self, slots: np.ndarray, partial: np.ndarray, seconds: float, language: int
    ) -> np.ndarray | None:
        """The same-language candidates among thousands of slots, dating and language-checking only the best few
        hundred by score; None when those cannot decide (then every slot is checked, as for fewer slots).

        The scores are the partial products over the norms (those of the slots kept, as the full check divides).
        A floor is found that at least ``m`` scores reach, ``m`` a few times the candidates wanted over the share
        of the window in the article's language, and only the slots at or above it are checked. When at least
        ``max_candidates`` of those pass and the ``max_candidates``-th best of them is at the floor or above, with
        no tie at it, no slot below the floor could have been chosen: the set is the full check's.
        """
        k = self.max_candidates
        sample = self._lang.take(slots[:256])
        share = (
            1.0 if language == -1 else np.count_nonzero((sample == language) | (sample == -1)) / len(sample)
        )
        wanted = int(2 * k / max(share, 0.01))
        groups = 2 * wanted
        width = len(slots) // groups
        if width < 4:
            return None
        scores = partial / self._norm.take(slots)
        maxima = scores[: groups * width].reshape(width, groups).max(axis=0)
        floor = np.partition(maxima, groups - wanted)[groups - wanted]
        above = np.flatnonzero(scores >= floor)
        near = slots.take(above)
        keep = np.abs(self._when.take(near) - seconds) <= self.window.total_seconds()
        if language != -1:
            langs = self._lang.take(near)
            keep &= (langs == language) | (langs == -1)
        kept = above[keep]
        if len(kept) <= k:
            return None
        kept_scores = scores.take(kept)
        kth = np.partition(kept_scores, len(kept) - k)[len(kept) - k]
        chosen = np.flatnonzero(kept_scores >= kth)
        if kth < floor or len(chosen) != k:
            return None
        return slots.take(kept.take(chosen))

    def _compare_prints(self, fp: Fingerprint, exclude: Hashable) -> list[tuple[Hashable, float]]:
        """Near-copies found by comparing with every fingerprint (an unindexed window: a few articles)."""
        if fp.empty or not self._prints:
            return []
        keys = [k for k in self._prints if k != exclude]
        if not keys:
            return []
        query = np.asarray(fp.values, dtype=np.uint32)
        stored = np.stack([self._prints[k] for k in keys])
        if stored.shape[1] != len(query):
            return []
        sims = np.count_nonzero(stored == query, axis=1) / len(query)
        found = [
            (k, float(v)) for k, v in zip(keys, sims.tolist(), strict=True) if v >= self.duplicate_threshold
        ]
        found.sort(key=lambda kv: (-kv[1], str(kv[0])))
        return found

    def place(self, key: Hashable, when: datetime, features: StoryFeatures, fp: Fingerprint) -> Placement:
        """Decide where an article goes, comparing it with the window's articles within ``window`` of ``when``."""
        self.work.placements += 1
        best_dup: Item | None = None
        best_dup_sim = 0.0
        copies = self.copies.query(fp, exclude=key) if self.indexed else self._compare_prints(fp, key)
        for other, sim in copies:
            it = self.items[other]
            if it.story is None or abs(it.when - when) > self.window:
                continue
            if sim > best_dup_sim or (
                sim == best_dup_sim and best_dup is not None and it.when < best_dup.when
            ):
                best_dup, best_dup_sim = it, sim
        if best_dup is not None:
            original = best_dup.duplicate_of if best_dup.duplicate_of is not None else best_dup.key
            return Placement(best_dup.story, best_dup_sim, original, best_dup_sim)
        if self.indexed:
            same, across = self._candidate_slots(key, when, features)
        else:
            same, across = [], []
            for it in self.items.values():
                if it.key != key and it.story is not None and abs(it.when - when) <= self.window:
                    (same if _same_language(features, it.features) else across).append(self._slot_of[it.key])
        return self._choose(features, same, across)

    def _choose(self, features: StoryFeatures, same: list[int], across: list[int]) -> Placement:
        """The best story among the candidates' (by slot, in the article's language and across): the story of
        the most similar candidate, ties going to the story with the oldest candidate (then to its name).

        Stories are grouped by number (``_story_no``), so only a tie at the best score reads items.
        """
        key_at, items = self._key_at, self.items
        sims = self._term_cosines(features, same).tolist()
        for slot in across:
            self.work.scored += 1
            sims.append(self.similarity(features, items[key_at[slot]].features))
        slots = same + across
        scores: dict[int, float] = {}
        for no, sim in zip(self._story_no.take(slots).tolist(), sims, strict=True):
            if sim > scores.get(no, -1.0):
                scores[no] = sim
        if not scores:
            return Placement(None, 0.0)
        best = max(scores.values())
        top, near = round(best, 9), best - 1e-8  # a score rounding to the best's is near it: round only those
        tied = [no for no, score in scores.items() if score >= near and round(score, 9) == top]
        if len(tied) == 1:
            no = tied[0]
        else:  # the oldest candidate decides, then the story's name (as text)
            first_seen: dict[int, tuple[datetime, str]] = {}
            ties = set(tied)
            candidates = [
                (items[key_at[s]], no)
                for s, no in zip(slots, self._story_no.take(slots).tolist(), strict=True)
                if no in ties
            ]
            candidates.sort(key=lambda pair: (pair[0].when, str(pair[0].key)))
            for it, no in candidates:
                first_seen.setdefault(no, (it.when, str(it.story)))
            no = min(first_seen, key=first_seen.__getitem__)
        story, score = self._story_of_no[no], scores[no]
        if score < self.threshold:
            return Placement(None, score)
        return Placement(story, score)


_NO_FINGERPRINT = Fingerprint(())


def _largest(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest of more than ``k`` scores: ``np.argpartition(-scores, k - 1)[:k]``'s set.

    Selecting among thousands is a large part of a placement in a large window, so the field is cut first: the
    scores are dealt into ``4 k`` disjoint groups, and at least ``k`` scores reach the ``k``-th largest of the
    groups' maxima (a few dozen more, on the synthetic stream). A tie at the ``k``-th score leaves the set open:
    then the answer is argpartition's over all the scores, as before, so placements never change.
    """
    groups = 4 * k
    width = len(scores) // groups
    if width >= 4:
        maxima = scores[: groups * width].reshape(width, groups).max(axis=0)
        floor = np.partition(maxima, groups - k)[groups - k]
        field = np.flatnonzero(scores >= floor)
        top = field[np.argpartition(-scores[field], k - 1)[:k]]
        if np.count_nonzero(scores >= scores[top].min()) == k:  # no tie at the k-th: the one possible set
            return top
    return np.argpartition(-scores, k - 1)[:k]


def _same_language(a: StoryFeatures, b: StoryFeatures) -> bool:
    return a.language is None or b.language is None or a.language == b.language


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(w * b[t] for t, w in a.items() if t in b)
    if dot == 0.0:
        return 0.0
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    return dot / (na * nb)


def text_fingerprint(title: str, text: str, *, max_chars: int = ENRICH_MAX_CHARS) -> Fingerprint:
    """The dedup fingerprint of an article: its text, or its title when it has no text (the first
    ``max_chars`` characters of either, ``enrich.max_chars``)."""
    return fingerprint(readable_text(text if text.strip() else title, max_chars))


@dataclass(frozen=True)
class StoryInput:
    """What placing an article needs from its title and text, computed where the article is enriched (a worker
    process), so that the storing process does only the database work and the placement.

    It names the title, text, language and cap it was computed from: ``for_article`` uses it only for exactly
    those (the same objects, when the article comes back from the worker, so the check costs nothing).
    """

    title: str
    text: str
    language: str | None
    max_chars: int
    features: StoryFeatures
    fingerprint: Fingerprint

    def matches(self, title: str, text: str, language: str | None, max_chars: int) -> bool:
        return (
            self.max_chars == max_chars
            and self.language == language
            and self.title == title
            and self.text == text
        )


def story_input(
    title: str, text: str, language: str | None = None, *, max_chars: int = ENRICH_MAX_CHARS
) -> StoryInput:
    """Story features and dedup fingerprint of an article (pure: the same for the same title and text)."""
    return StoryInput(
        title,
        text,
        language,
        max_chars,
        extract_features(title, text, language, max_chars=max_chars),
        text_fingerprint(title, text, max_chars=max_chars),
    )


def for_article(
    prepared: StoryInput | None,
    title: str,
    text: str,
    language: str | None,
    *,
    max_chars: int = ENRICH_MAX_CHARS,
) -> StoryInput:
    """``prepared`` when it was computed from this title, text, language and cap; else computed now."""
    if prepared is not None and prepared.matches(title, text, language, max_chars):
        return prepared
    return story_input(title, text, language, max_chars=max_chars)


def keep_story_ids(old: Mapping[int, int], new: Mapping[int, int]) -> tuple[dict[int, int], dict[int, int]]:
    """Which new clusters keep an old story's id after a rebuild, and where every other old id points.

    ``old`` and ``new`` map each article to its story before and after. A new cluster takes the id of the old
    story that has most of its members in it (more than half of them), the oldest id winning a tie; an old story
    without such a cluster (merged, split, emptied) redirects to the new cluster that holds most of its articles
    (ties: the cluster whose articles came first). Returns ``(kept, redirects)``: new cluster → old id, and
    old id → new cluster, for old ids not kept.
    """
    members: dict[int, list[int]] = {}
    for article, story in old.items():
        members.setdefault(story, []).append(article)
    kept: dict[int, int] = {}
    redirects: dict[int, int] = {}
    order = {cluster: i for i, cluster in enumerate(dict.fromkeys(new.values()))}
    for story in sorted(members):
        counts = Counter(new[a] for a in members[story] if a in new)
        if not counts:
            continue
        target, count = min(counts.items(), key=lambda kv: (-kv[1], order[kv[0]]))
        if 2 * count > len(members[story]) and target not in kept:
            kept[target] = story
        else:
            redirects[story] = target
    return kept, redirects
