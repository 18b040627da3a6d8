"""Enrich: story clustering — each new article joins the most similar recent story, else starts one.

The clustering is incremental and deterministic: articles are placed one at a time, in the order they arrive
(``recluster`` replays them by date, then id). An article is compared with the articles of the stories seen
within ``WINDOW`` of its date:

- a near-copy of one of them (MinHash, ``enrich.dedup``) is a duplicate and joins that article's story;
- otherwise, in the same language, the score is the TF-IDF cosine of title (counted twice) and text (IDF
  from the articles in the window); across languages, the IDF-weighted cosine of the proper names and numbers
  in title and lead, which counts only when at least ``MIN_SHARED_NAMES`` of them match;
- the best story scoring ``STORY_THRESHOLD`` or more takes the article; ties go to the older story.

``assign_story(session, article_row)`` runs this against the database, right after the article is saved.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sqlalchemy.orm import Session

from gazette.config import ENRICH_MAX_CHARS
from gazette.enrich import readable_text
from gazette.enrich.dedup import DUPLICATE_THRESHOLD, DuplicateIndex, Fingerprint, fingerprint
from gazette.store import stories as story_store
from gazette.store.schema import Article
from gazette.store.story_schema import ArticleStory, Duplicate

logger = logging.getLogger(__name__)

WINDOW = timedelta(days=3)
STORY_THRESHOLD = 0.25
MIN_SHARED_NAMES = 3
MAX_WORDS = 5_000  # terms come from the whole text, up to this (a cap against pathological pages)
NAME_WORDS = 150  # names come from the title and this many words of the lead
MAX_TERMS = 250  # the most frequent terms kept per article
FEATURES_VERSION = 1  # bump when extract_features changes, so stored features are recomputed
STEM_CHARS = 6
TITLE_WEIGHT = 2

_STOPWORDS = frozenset(
    """
    a about after again against all also an and any are as at be been before being between both but by can could
    did do does during each few for from further had has have he her here him his how i if in into is it its just
    last late more most new no nor not now of off on once one only or other our out over own said same say says she
    should since so some still such than that the their them then there these they this those through to too two
    under until up very was we were what when where which while who whom why will with would year years you your
    week day days monday tuesday wednesday thursday friday saturday sunday mr mrs ms told according people three
    al ante bajo como con contra cual cuando de del desde donde dos durante e el ella ellas ellos en entre era es
    esa ese eso esta este esto fue fueron ha han hasta hay la las le les lo los mas me mi muy ni no nos o otra otro
    para pero por porque que se segun ser si sin sino sobre su sus tambien tras un una uno unos unas y ya lunes
    martes miercoles jueves viernes sabado domingo dijo afirmo anos ano dia dias este esta estos estas
    au aux avec ce ces dans des du elle en et il ils la le les leur mais ou par pas pour qui sur un une
    ao aos com da das do dos em na nas no nos os ou pela pelo um uma
    """.split()
)
_NAME = "\x00"  # prefix keeping names apart from terms in the shared vocabulary
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_SENTENCE_MARKS = frozenset('.!?:;"“”«»—')


def fold(word: str) -> str:
    """Case-folded, accents stripped: the comparison form of a word in any Latin-script language."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


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
        return cls(
            {str(k): int(v) for k, v in data["terms"].items()}, frozenset(data["names"]), data.get("language")
        )


def extract_features(
    title: str, text: str, language: str | None = None, *, max_chars: int = ENRICH_MAX_CHARS
) -> StoryFeatures:
    """Features of an article: terms of its title (counted twice) and text; names of its title and lead.

    Only the first ``max_chars`` characters of title and text are read (``enrich.max_chars``).
    """
    terms: Counter[str] = Counter()
    names: set[str] = set()
    title = readable_text(title, max_chars)
    text = readable_text(text, max_chars)
    words = text.split()
    body = text if len(words) <= MAX_WORDS else " ".join(words[:MAX_WORDS])
    for weight, chunk in ((TITLE_WEIGHT, title), (1, body)):
        previous_end = 0
        for position, match in enumerate(_WORD.finditer(chunk)):
            raw = match.group()
            folded = fold(raw)
            # a capital after a sentence or paragraph break is just grammar; elsewhere it marks a name
            gap = chunk[previous_end : match.start()]
            sentence_start = previous_end == 0 or "\n" in gap or any(ch in _SENTENCE_MARKS for ch in gap)
            previous_end = match.end()
            in_lead = weight == TITLE_WEIGHT or position < NAME_WORDS
            if folded.isdigit():
                if len(folded) >= 2:
                    terms[folded] += weight
                    if in_lead:
                        names.add(folded)
                continue
            if folded in _STOPWORDS or len(folded) < 3:
                continue
            terms[folded[:STEM_CHARS]] += weight
            capitalized = raw[0].isupper() and not raw.isupper() and not sentence_start
            acronym = raw.isupper() and len(raw) > 1
            if in_lead and (capitalized or acronym):
                names.add(folded)
    if len(terms) > MAX_TERMS:  # keep the most frequent (ties by term), so stored features stay small
        terms = Counter(dict(sorted(terms.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TERMS]))
    return StoryFeatures(terms=dict(terms), names=frozenset(names), language=(language or None))


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
class Clusterer:
    """The window of recent articles and the document frequencies of their terms and names."""

    window: timedelta = WINDOW
    threshold: float = STORY_THRESHOLD
    duplicate_threshold: float = DUPLICATE_THRESHOLD
    items: dict[Hashable, Item] = field(default_factory=dict)
    _vocab: dict[str, int] = field(default_factory=dict)
    _df: np.ndarray = field(default_factory=lambda: np.zeros(1024, dtype=np.int64))
    _rows: dict[Hashable, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _copies: DuplicateIndex | None = None

    @property
    def copies(self) -> DuplicateIndex:
        """The LSH index of the window's fingerprints (built on first use)."""
        if self._copies is None:
            self._copies = DuplicateIndex(self.duplicate_threshold)
        return self._copies

    def _indices(self, tokens: list[str]) -> np.ndarray:
        vocab = self._vocab
        idx = np.array([vocab.setdefault(t, len(vocab)) for t in tokens], dtype=np.int64)
        if len(vocab) > len(self._df):
            grown = np.zeros(max(len(vocab), 2 * len(self._df)), dtype=np.int64)
            grown[: len(self._df)] = self._df
            self._df = grown
        return idx

    def add(self, item: Item) -> None:
        """Put an article (with its story already known) into the window."""
        if item.key in self.items:
            self.discard(item.key)
        self.items[item.key] = item
        self.copies.add(item.key, item.fingerprint)
        terms = item.features.terms
        idx = self._indices(list(terms))
        tf = 1.0 + np.log(np.fromiter(terms.values(), dtype=np.float64, count=len(terms)))
        names = self._indices([_NAME + n for n in item.features.names])  # may grow self._df: before using it
        self._rows[item.key] = (idx, tf)
        self._df[idx] += 1
        self._df[names] += 1

    def discard(self, key: Hashable) -> None:
        item = self.items.pop(key, None)
        if item is not None:
            self.copies.remove(key)
            idx, _ = self._rows.pop(key)
            names = self._indices([_NAME + n for n in item.features.names])
            self._df[idx] -= 1
            self._df[names] -= 1

    def evict_before(self, when: datetime) -> None:
        """Drop articles older than ``when - window`` (for replays in date order)."""
        cutoff = when - self.window
        for key in [k for k, it in self.items.items() if it.when < cutoff]:
            self.discard(key)

    def _idf(self, token: str) -> float:
        # smoothed, over the window plus the article being placed
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

    def _term_cosines(self, features: StoryFeatures, keys: list[Hashable]) -> np.ndarray:
        """``similarity`` for many same-language items at once (one sparse product, not a Python loop)."""
        if not keys or not features.terms:
            return np.zeros(len(keys))
        n = len(self.items) + 1
        size = len(self._vocab)
        idf = np.log((n + 1) / (self._df[:size] + 1)) + 1.0
        query = np.zeros(size)
        query_norm = 0.0
        for term, count in features.terms.items():
            idx = self._vocab.get(term)
            weight = (1.0 + math.log(count)) * (idf[idx] if idx is not None else math.log(n + 1) + 1.0)
            query_norm += weight * weight
            if idx is not None:
                query[idx] = weight * idf[idx]
        rows = [self._rows[k] for k in keys]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(r[0]) for r in rows], out=indptr[1:])
        indices = np.concatenate([r[0] for r in rows]) if rows else np.zeros(0, dtype=np.int64)
        data = np.concatenate([r[1] for r in rows]) if rows else np.zeros(0)
        matrix = csr_matrix((data, indices, indptr), shape=(len(rows), size))
        dots = matrix @ query
        norms = np.sqrt(matrix.multiply(matrix) @ (idf * idf))
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = np.where(norms > 0, dots / (norms * math.sqrt(query_norm)), 0.0)
        return np.asarray(cos, dtype=np.float64)

    def place(self, key: Hashable, when: datetime, features: StoryFeatures, fp: Fingerprint) -> Placement:
        """Decide where an article goes, comparing it with the window's articles within ``window`` of ``when``."""
        candidates = [
            it
            for it in self.items.values()
            if it.key != key and it.story is not None and abs(it.when - when) <= self.window
        ]
        candidates.sort(key=lambda it: (it.when, str(it.key)))
        best_dup: Item | None = None
        best_dup_sim = 0.0
        for other, sim in self.copies.query(fp, exclude=key):
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
        same = [it for it in candidates if _same_language(features, it.features)]
        sims = dict(
            zip(
                (it.key for it in same),
                self._term_cosines(features, [it.key for it in same]).tolist(),
                strict=True,
            )
        )
        scores: dict[Hashable, float] = {}
        first_seen: dict[Hashable, tuple[datetime, str]] = {}
        for it in candidates:
            sim = sims[it.key] if it.key in sims else self.similarity(features, it.features)
            if sim > scores.get(it.story, -1.0):
                scores[it.story] = sim
            first_seen.setdefault(it.story, (it.when, str(it.story)))
        if not scores:
            return Placement(None, 0.0)
        story = min(scores, key=lambda s: (-round(scores[s], 9), first_seen[s]))
        if scores[story] < self.threshold:
            return Placement(None, scores[story])
        return Placement(story, scores[story])


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


# --- against the database ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoryResult:
    """Where ``assign_story`` put an article: its story, whether that story is new, the original it copies."""

    story_id: int
    is_new: bool
    duplicate_of: int | None = None
    similarity: float = 1.0


def _window_clusterer(session: Session, when: datetime, exclude_id: int, max_chars: int) -> Clusterer:
    clusterer = Clusterer()
    members = story_store.window_members(session, when - WINDOW, when + WINDOW, exclude_id=exclude_id)
    stored = {m.article_id: StoryFeatures.from_json(m.features) for m in members}
    stale = [m.article_id for m in members if stored[m.article_id] is None]
    texts = story_store.titles_and_texts(session, stale) if stale else {}
    for m in members:
        features = stored[m.article_id]
        if features is None:
            title, text = texts[m.article_id]
            features = extract_features(title, text, m.language, max_chars=max_chars)
        clusterer.add(
            Item(
                key=m.article_id,
                when=m.when,
                features=features,
                fingerprint=Fingerprint.from_bytes(m.fingerprint),
                story=m.story_id,
                duplicate_of=m.duplicate_of,
            )
        )
    return clusterer


def _record(
    session: Session,
    article_id: int,
    title: str,
    when: datetime,
    placement: Placement,
    fp: Fingerprint,
    features: StoryFeatures,
) -> StoryResult:
    """Write the placement: a new story if needed, the membership row, the duplicate link."""
    is_new = placement.story is None
    if is_new:
        story_id = story_store.create_story(session, title, when).id
    else:
        story_id = int(placement.story)  # type: ignore[call-overload]
    similarity = 1.0 if is_new else placement.similarity
    session.add(
        ArticleStory(
            article_id=article_id,
            story_id=story_id,
            similarity=similarity,
            fingerprint=fp.to_bytes(),
            features=features.to_json(),
        )
    )
    original_id: int | None = None
    if placement.duplicate_of is not None:
        original_id = int(placement.duplicate_of)  # type: ignore[call-overload]
        session.add(
            Duplicate(
                article_id=article_id, original_id=original_id, similarity=placement.duplicate_similarity
            )
        )
    return StoryResult(story_id, is_new, original_id, similarity)


def assign_story(session: Session, article_row: Article, *, max_chars: int = ENRICH_MAX_CHARS) -> StoryResult:
    """Put a saved article in a story (an existing one or a new one) and record it if it is a near-copy.

    Call it in the transaction that saved the article (it flushes, never commits). Calling it again for the
    same article with the same text returns the stored answer; after the text changed it places it afresh.
    Features and fingerprint read the first ``max_chars`` characters (``enrich.max_chars``).
    """
    if article_row.id is None:
        session.flush()
    fp = text_fingerprint(article_row.title, article_row.text, max_chars=max_chars)
    existing = story_store.membership(session, article_row.id)
    if existing is not None:
        if existing.fingerprint == fp.to_bytes():
            dup = story_store.duplicate_row(session, article_row.id)
            original = dup.original_id if dup else None
            return StoryResult(existing.story_id, False, original, existing.similarity)
        story_store.detach_article(session, article_row.id)

    story_store.lock_story_assignment(session)
    when = story_store.article_time(article_row)
    features = extract_features(
        article_row.title, article_row.text, article_row.language, max_chars=max_chars
    )
    clusterer = _window_clusterer(session, when, article_row.id, max_chars)
    placement = clusterer.place(article_row.id, when, features, fp)
    if placement.duplicate_of is None:
        # the same bytes stored earlier, however long ago, are a copy too
        same = story_store.earliest_same_hash(session, article_row)
        member = story_store.membership(session, same.id) if same is not None else None
        if same is not None and member is not None:
            dup = story_store.duplicate_row(session, same.id)
            placement = Placement(member.story_id, 1.0, dup.original_id if dup else same.id, 1.0)
    result = _record(session, article_row.id, article_row.title, when, placement, fp, features)
    session.flush()
    story_store.refresh_story(session, result.story_id)
    logger.debug(
        "article %s in story %s%s",
        article_row.id,
        result.story_id,
        " (new)" if result.is_new else "",
        extra={"article_id": article_row.id, "story_id": result.story_id},
    )
    return result


@dataclass
class ReclusterReport:
    """What ``recluster`` built."""

    articles: int = 0
    stories: int = 0
    duplicates: int = 0
    multi_source_stories: int = 0


def recluster(
    session: Session,
    on_progress: Callable[[int, int], None] | None = None,
    batch: int = 500,
    *,
    max_chars: int = ENRICH_MAX_CHARS,
) -> ReclusterReport:
    """Forget all stories and duplicate links and place every stored article again, oldest first.

    One transaction: the caller commits. ``on_progress(done, total)`` is called after each batch. The session
    is emptied (``expunge_all``) after each batch, so pass one that holds nothing else.
    The result is the same as assigning the articles one by one in date order (ties by id).
    """
    story_store.lock_story_assignment(session)
    story_store.clear_all(session)
    order = story_store.article_order(session)
    report = ReclusterReport(articles=len(order))
    clusterer = Clusterer()
    by_hash: dict[str, tuple[int, int]] = {}  # content hash → (original article id, story id)
    story_ids: set[int] = set()
    done = 0
    for start in range(0, len(order), batch):
        chunk = order[start : start + batch]
        rows = story_store.articles_by_ids(session, chunk)
        for article_id in chunk:
            row = rows[article_id]
            when = story_store.article_time(row)
            clusterer.evict_before(when)
            features = extract_features(row.title, row.text, row.language, max_chars=max_chars)
            fp = text_fingerprint(row.title, row.text, max_chars=max_chars)
            placement = clusterer.place(row.id, when, features, fp)
            if placement.duplicate_of is None and row.content_hash in by_hash:
                original, story = by_hash[row.content_hash]
                placement = Placement(story, 1.0, original, 1.0)
            result = _record(session, row.id, row.title, when, placement, fp, features)
            clusterer.add(Item(row.id, when, features, fp, result.story_id, result.duplicate_of))
            if row.content_hash:
                by_hash.setdefault(row.content_hash, (result.duplicate_of or row.id, result.story_id))
            story_ids.add(result.story_id)
            report.duplicates += result.duplicate_of is not None
        session.flush()
        session.expunge_all()  # keep memory flat on big archives
        done += len(chunk)
        if on_progress is not None:
            on_progress(done, len(order))
    for story_id in sorted(story_ids):
        refreshed = story_store.refresh_story(session, story_id)
        if refreshed is not None and refreshed.source_count > 1:
            report.multi_source_stories += 1
    report.stories = len(story_ids)
    logger.info(
        "reclustered %d articles into %d stories (%d duplicates)",
        report.articles,
        report.stories,
        report.duplicates,
    )
    return report
