"""Enrichment stage: file each article in one section of the site's taxonomy.

Three classifiers share one small interface (``labels`` and ``predict``):

- the shipped default, ``section_model.EmbeddedClassifier`` (``default_classifier``): a static embedding
  distilled from all-MiniLM-L6-v2 and the lexicons' probabilities, read by a logistic layer trained on BBC
  News, IPTC Media Topics definitions and examples written for Gazette, with a fitted temperature so that
  its confidence is calibrated (``data/section_model.npz``, built by ``bench/_build_sections_model.py``);
- ``LexiconClassifier`` (``lexicon_classifier``): weighted cue words per section, hand-written after the
  IPTC Media Topics top level, in English (``data/section_lexicon.json``) and Spanish
  (``section_lexicon_es.json``). It is the learned model's feature for Spanish and for the sections BBC
  lacks, and the baseline in ``bench/sections.py``;
- ``LinearClassifier``: TF-IDF + multinomial logistic regression trained by ``gazette train-sections`` on the
  site's own labelled articles, saved as one ``.npz`` of plain arrays (no pickle) at
  ``sections.model_path``; when that file exists it is used instead of the default.

``assign_section`` applies the precedence: the feed's declared section, else the classifier when its
confidence reaches ``sections.threshold``, else the feed's default section, else ``sections.default``.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

import numpy as np

from gazette import models
from gazette.config import ENRICH_MAX_CHARS, SectionSettings
from gazette.enrich import readable_text, section_model
from gazette.errors import ConfigError
from gazette.textfold import fold

logger = logging.getLogger(__name__)

LEXICON_FILE = "section_lexicon.json"
# Further languages: code → file. English is the primary lexicon (it carries the Zipf weights).
LEXICON_FILES = {"en": LEXICON_FILE, "es": "section_lexicon_es.json"}
PRIMARY_LANGUAGE = "en"
# An article's own language's cues count in full, the other languages' cues at this weight: loan words
# ("software", "fútbol") still help, while false friends ("final", "once", "red") can hardly mislead.
OTHER_LANGUAGE_WEIGHT = 0.2
MODEL_FORMAT = "gazette-sections-linear/1"
TITLE_REPEAT = 3  # the headline says more about the section than any one body sentence
MAX_WORDS = 600  # the top of an article decides its section; the rest only costs time

# Softmax temperature over each section's share of the evidence. 0.08 made confidences match accuracy
# (expected calibration error ~0.02) on half of the BBC set; it is the only number fitted to that data.
TEMPERATURE = 0.08
EVIDENCE_HALF = 5.0  # evidence (about 3 strong cues) at which confidence is shrunk by half; BBC cannot tell

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def tokenize(text: str, *, accents: bool = True) -> list[str]:
    """Lower-cased words (letters only; hyphenated and apostrophe words kept whole).

    ``accents=False`` folds them away (``fold``), so that a cue written "política" matches "politica" and a
    headline in capitals without accents; the lexicon classifier reads folded words, the trained model
    (whose saved vocabulary keeps accents) unfolded ones.
    """
    text = text.lower() if accents else fold(text)
    # a curly apostrophe joins words as a straight one does: straightened in the text, it is in every word
    return _WORD.findall(text.replace("’", "'") if "’" in text else text)


def article_words(title: str, text: str, max_words: int = MAX_WORDS, *, accents: bool = True) -> list[str]:
    """The words a classifier reads: the title repeated, then the start of the body."""
    head = tokenize(title or "", accents=accents)
    return head * TITLE_REPEAT + _leading_words(text or "", max_words, accents=accents)


def _leading_words(text: str, max_words: int, *, accents: bool) -> list[str]:
    """``tokenize(text[: max_words * 20])[:max_words]`` (20 characters hold a word), read first from a prefix
    of ``max_words * 8`` characters, which is enough for most prose.

    The prefix's words are the text's up to its last word, which the cut may shorten: so when it holds more
    than ``max_words`` words, its first ``max_words`` are the answer. That needs each character folded alone,
    as ``fold`` does (``str.lower`` reads a sigma's neighbours), so only folded words are read this way.
    """
    if not accents and len(text) > max_words * 8:
        words = tokenize(text[: max_words * 8], accents=False)
        if len(words) > max_words:
            return words[:max_words]
    return tokenize(text[: max_words * 20], accents=accents)[:max_words]


# Short function words that are frequent in one language and rare in the other.
_FUNCTION_WORDS = {
    "en": frozenset(
        "the of and to in is that for on with was as by at from his her it are be has have had said will "
        "an which were this they their but not been would who its".split()
    ),
    "es": frozenset(
        "el la los las del que y en un una por para con se su sus es al lo como mas pero fue ha han segun "
        "sobre este esta entre tras desde hasta tambien muy sin ya le les dijo".split()
    ),
}


def normalize_language(language: str | None) -> str | None:
    """A known lexicon language from a tag ("es", "es-VE", "ES_mx", "spa"), else None."""
    if not language:
        return None
    code = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]
    code = {"eng": "en", "spa": "es", "english": "en", "spanish": "es", "espanol": "es"}.get(code, code)
    return code if code in LEXICON_FILES else None


def guess_language(words: Sequence[str]) -> str | None:
    """The language whose function words are most frequent among (folded) ``words``; None on a tie."""
    counts = {lang: sum(w in fw for w in words) for lang, fw in _FUNCTION_WORDS.items()}
    best = max(counts, key=counts.__getitem__)
    if counts[best] == 0 or list(counts.values()).count(counts[best]) > 1:
        return None
    return best


def rarity(zipf: float | None) -> float:
    """Weight multiplier for a cue from its general-English Zipf frequency: common words count less."""
    if zipf is None:
        return 1.0
    return min(1.5, max(0.5, (7.0 - zipf) / 2.0))


class Classifier(Protocol):
    """What ``assign_section`` needs from a classifier."""

    labels: list[str]

    def predict(self, title: str, text: str, *, language: str | None = None) -> dict[str, float]:
        """Probability per label (summing to 1); ``language`` is a hint a classifier may ignore."""
        ...


def _softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max()
    e = np.exp(z)
    return e / e.sum()


# -- the shipped default --------------------------------------------------------------------------


Lexicon = Mapping[str, Mapping[str, Sequence[str]]]


class _CueTables:
    """One language's cues, folded, in four tables: single words and word pairs, exact or by stem."""

    def __init__(self, lexicon: Lexicon, labels: list[str], zipf: Mapping[str, float]) -> None:
        tables: dict[tuple[bool, bool], dict[str, dict[int, float]]] = {
            (pair, stem): {} for pair in (False, True) for stem in (False, True)
        }
        folded_zipf = {fold(k): v for k, v in zipf.items()}
        for slug, entry in lexicon.items():
            i = labels.index(slug)
            for weight, key in ((2.0, "strong"), (1.0, "terms")):
                for cue in entry.get(key, []):
                    cue = " ".join(fold(cue.strip()).split())
                    if not cue.rstrip("*"):
                        continue
                    table = tables[(" " in cue, cue.endswith("*"))]
                    slot = table.setdefault(cue.rstrip("*"), {})
                    slot[i] = max(slot.get(i, 0.0), weight * rarity(folded_zipf.get(cue)))
        self._word = (tables[(False, False)], tables[(False, True)])
        self._pair = (tables[(True, False)], tables[(True, True)])
        self._stem_lengths = {
            pair: sorted({len(p) for p in tables[(pair, True)]}, reverse=True) for pair in (False, True)
        }
        # A word pair can be a cue only when its first word begins one (a pair cue's stem holds its space).
        self.pair_heads = frozenset(p.split(" ", 1)[0] for table in self._pair for p in table)
        self._cache: dict[str, dict[int, float] | None] = {}

    def cues(self, key: str) -> dict[int, float] | None:
        """Sections a word or a word pair ("prime minister") is a cue for, with its weight in each; a pair is
        told from a word by its space (``tokenize``'s words hold none)."""
        cache = self._cache
        if key in cache:
            return cache[key]
        pair = " " in key
        exact, stems = self._pair if pair else self._word
        hit = dict(exact.get(key, {}))
        for n in self._stem_lengths[pair]:  # the longest matching stem adds its sections
            if n <= len(key):
                stem_hit = stems.get(key[:n])
                if stem_hit is not None:
                    for i, w in stem_hit.items():
                        hit.setdefault(i, w)
                    break
        # A cue shared by several sections says less about each of them.
        result = {i: w / len(hit) for i, w in hit.items()} if hit else None
        if len(cache) > 200_000:  # news vocabulary is bounded, but a long-running process is not
            cache.clear()
        cache[key] = result
        return result

    def counted_scores(self, counts: Mapping[str, int], n_labels: int) -> list[float]:
        """Raw evidence per label from words and pairs counted by ``count_cues``: sublinear counts of matched cues
        times their weights (pairs of other heads than this language's count for nothing: no cue of its begins
        with them)."""
        # Each distinct word (and pair) is looked up once, in the order it first appears; a cue's weight
        # in a section is fixed, so its count alone varies. The sums are kept as floats (numpy's scalar
        # updates cost more), added in the same order.
        out = [0.0] * n_labels
        cues = self.cues
        for key, c in counts.items():
            hit = cues(key)
            if hit:
                boost = 1.0 + math.log(c)
                for i, w in hit.items():
                    out[i] += w * boost
        return out


def count_cues(words: Sequence[str], pair_heads: frozenset[str]) -> dict[str, int]:
    """How often each word, and each pair of words whose first is one of ``pair_heads`` ("prime minister"), occurs
    in ``words``: keys in order of first appearance, a word before the pair it begins."""
    counts: dict[str, int] = {}
    get = counts.get
    last = len(words) - 1
    for pos, word in enumerate(words):
        counts[word] = get(word, 0) + 1
        if pos < last and word in pair_heads:
            pair = f"{word} {words[pos + 1]}"
            counts[pair] = get(pair, 0) + 1
    return counts


class LexiconClassifier:
    """Cue-word scoring against hand-written section lexicons; no training data involved.

    ``lexicon`` is the primary language's (``language``, English by default); ``others`` adds lexicons of
    further languages (code → lexicon, same shape). An article's cues are read in its own language at full
    weight and in the others at ``OTHER_LANGUAGE_WEIGHT``; text and cues are both accent-folded.
    """

    def __init__(
        self,
        lexicon: Lexicon,
        *,
        zipf: Mapping[str, float] | None = None,
        temperature: float = TEMPERATURE,
        language: str = PRIMARY_LANGUAGE,
        others: Mapping[str, Lexicon] | None = None,
        max_words: int = MAX_WORDS,
    ) -> None:
        others = dict(others or {})
        self.max_words = max_words
        self.labels = list(lexicon)
        for other in others.values():
            self.labels += [slug for slug in other if slug not in self.labels]
        self.temperature = temperature
        self.language = language
        self._tables = {language: _CueTables(lexicon, self.labels, zipf or {})}
        for code, other in others.items():
            self._tables[code] = _CueTables(other, self.labels, {})
        self._pair_heads = frozenset().union(*(tables.pair_heads for tables in self._tables.values()))

    @property
    def languages(self) -> list[str]:
        """The languages this classifier has cues for; the first is the primary one."""
        return list(self._tables)

    def scores(self, words: Sequence[str], language: str | None = None) -> np.ndarray:
        """Raw evidence per label from folded ``words``: the text's language in full, others weighted down.

        ``language`` None (or one without a lexicon) is guessed from the words; when even that fails,
        every language counts in full.
        """
        lang = language if language in self._tables else guess_language(words)
        counts = count_cues(words, self._pair_heads)  # once for every language's cues
        out = np.zeros(len(self.labels))
        for code, tables in self._tables.items():
            weight = 1.0 if lang is None or code == lang else OTHER_LANGUAGE_WEIGHT
            out += weight * np.array(tables.counted_scores(counts, len(self.labels)))
        return out

    def predict(self, title: str, text: str, *, language: str | None = None) -> dict[str, float]:
        return self.predict_with_language(title, text, language=language)[0]

    def predict_with_language(
        self, title: str, text: str, *, language: str | None = None
    ) -> tuple[dict[str, float], str | None]:
        """``predict``'s probabilities and the language the cues were read in (given, else guessed)."""
        words = article_words(title, text, self.max_words, accents=False)
        lang = normalize_language(language)
        lang = lang if lang in self._tables else guess_language(words)
        return self._probabilities(words, lang), lang

    def _probabilities(self, words: Sequence[str], lang: str | None) -> dict[str, float]:
        raw = self.scores(words, lang)
        if not raw.any():
            return {slug: 1.0 / len(self.labels) for slug in self.labels}
        # Each section's share of the evidence decides; a text with little evidence (a cue or two) is
        # shrunk towards uniform so that it cannot reach a high confidence on one word.
        total = float(raw.sum())
        scaled = raw / total * (total / (total + EVIDENCE_HALF)) / self.temperature
        return dict(zip(self.labels, _softmax(scaled).tolist(), strict=True))


def load_lexicon(
    language: str = PRIMARY_LANGUAGE,
) -> tuple[dict[str, dict[str, list[str]]], dict[str, float]]:
    """A shipped section lexicon (slug → {"strong": [...], "terms": [...], ...}) and its cue frequencies."""
    name = LEXICON_FILES[language]
    raw = resources.files("gazette.enrich").joinpath("data", name).read_text(encoding="utf-8")
    data = json.loads(raw)
    return dict(data["sections"]), {k: float(v) for k, v in data.get("zipf", {}).items()}


def lexicon_classifier(
    taxonomy: Iterable[str] | None = None, *, max_words: int = MAX_WORDS
) -> LexiconClassifier:
    """The hand-written lexicons (every shipped language), limited to the sections of ``taxonomy`` they know.

    It is the shipped model's lexicon feature (over all ten sections) and the baseline in
    ``bench/sections.py``; ``max_words`` is how much of the body it reads.
    """
    lexicon, zipf = load_lexicon(PRIMARY_LANGUAGE)
    others = {code: load_lexicon(code)[0] for code in LEXICON_FILES if code != PRIMARY_LANGUAGE}
    if taxonomy is not None:
        wanted = set(taxonomy)
        lexicon = {slug: entry for slug, entry in lexicon.items() if slug in wanted}
        others = {code: {s: e for s, e in lex.items() if s in wanted} for code, lex in others.items()}
        if not lexicon:
            raise ConfigError("none of the taxonomy's sections is known to the built-in lexicons")
    return LexiconClassifier(lexicon, zipf=zipf, others=others, max_words=max_words)


@functools.cache
def _shipped_model() -> section_model.EmbeddedClassifier:
    # Loaded once per process (about 0.1 s); workers forked after it share the arrays.
    meta_words = int(section_model.read_model()["meta"]["lexicon_words"])
    return section_model.load_embedded(lexicon_classifier(max_words=meta_words))


def default_classifier(taxonomy: Iterable[str] | None = None) -> section_model.EmbeddedClassifier:
    """The shipped learned classifier (``section_model``); ``ConfigError`` if it knows none of ``taxonomy``.

    It scores all ten sections it was built for; ``classify`` keeps those of the taxonomy.
    """
    model = _shipped_model()
    if taxonomy is not None and not set(model.labels) & set(taxonomy):
        raise ConfigError("none of the taxonomy's sections is known to the built-in classifier")
    return model


# -- the site-specific model ----------------------------------------------------------------------


def _ngrams(words: Sequence[str]) -> list[str]:
    return list(words) + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def analyze(title: str, text: str) -> list[str]:
    """Features of one article for the trained model: words and word pairs."""
    return _ngrams(article_words(title, text))


@dataclass
class LinearClassifier:
    """TF-IDF (sublinear, l2) + a linear layer, stored as plain arrays."""

    labels: list[str]
    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (labels, features)
    intercept: np.ndarray  # (labels,)

    def vector(self, title: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(t for t in analyze(title, text) if t in self.vocabulary)
        idx = np.fromiter((self.vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=float, count=len(counts))
        val = tf * self.idf[idx]
        norm = float(np.linalg.norm(val))
        return idx, (val / norm if norm else val)

    def predict(self, title: str, text: str, *, language: str | None = None) -> dict[str, float]:
        """Probability per label; ``language`` is not used (the model learnt its site's languages)."""
        idx, val = self.vector(title, text)
        logits = self.coef[:, idx] @ val + self.intercept
        return dict(zip(self.labels, _softmax(logits).tolist(), strict=True))

    def save(self, path: str | Path) -> None:
        """Write the model as one pickle-free ``.npz``."""
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        meta = {"format": MODEL_FORMAT, "labels": self.labels}
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                meta=np.array(json.dumps(meta)),
                terms=np.array(terms, dtype=np.str_),
                idf=self.idf.astype(np.float32),
                coef=self.coef.astype(np.float32),
                intercept=self.intercept.astype(np.float32),
            )

    @classmethod
    def load(cls, path: str | Path) -> LinearClassifier:
        """Read a model written by ``save``; ``ConfigError`` if it is not one."""
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                terms = [str(t) for t in data["terms"]]
                idf = data["idf"].astype(float)
                coef = data["coef"].astype(float)
                intercept = data["intercept"].astype(float)
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigError(f"sections.model_path {path}: not a section model ({exc})") from exc
        if meta.get("format") != MODEL_FORMAT:
            raise ConfigError(f"sections.model_path {path}: unknown model format {meta.get('format')!r}")
        return cls(
            labels=list(meta["labels"]),
            vocabulary={t: i for i, t in enumerate(terms)},
            idf=idf,
            coef=coef,
            intercept=intercept,
        )


def _identity(doc: list[str]) -> list[str]:
    return doc


@dataclass
class LabelledArticle:
    title: str
    text: str
    section: str


def read_labelled(path: str | Path) -> list[LabelledArticle]:
    """Read ``{"title", "text", "section"}`` JSON lines; ``ConfigError`` names the first bad line."""
    items: list[LabelledArticle] = []
    with Path(path).open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                item = LabelledArticle(
                    str(obj.get("title") or ""), str(obj.get("text") or ""), str(obj["section"])
                )
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise ConfigError(f"{path}:{n}: not a {{title, text, section}} object ({exc})") from exc
            items.append(item)
    return items


def train_classifier(
    items: Sequence[LabelledArticle], *, c: float = 20.0, min_df: int | None = None
) -> LinearClassifier:
    """Fit TF-IDF + multinomial logistic regression on labelled articles.

    ``min_df`` (default: 2 from 200 articles on, else 1) drops words seen in fewer articles, which keeps
    the model small without costing accuracy.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    labels = sorted({it.section for it in items})
    if len(labels) < 2:
        raise ConfigError("training needs articles from at least two sections")
    if min_df is None:
        min_df = 2 if len(items) >= 200 else 1
    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=min_df)
    x = vectorizer.fit_transform([analyze(it.title, it.text) for it in items])
    y = [labels.index(it.section) for it in items]
    # saga reaches the same accuracy as lbfgs here in a fraction of the time; a loose tolerance is enough
    # for ranking sections.
    model = LogisticRegression(C=c, solver="saga", max_iter=300, tol=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    coef = np.asarray(model.coef_, dtype=float)
    intercept = np.asarray(model.intercept_, dtype=float)
    if len(labels) == 2:  # binary fits one row; expand to one per label so predict stays uniform
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return LinearClassifier(
        labels=labels,
        vocabulary={t: int(i) for t, i in vectorizer.vocabulary_.items()},
        idf=np.asarray(vectorizer.idf_, dtype=float),
        coef=coef,
        intercept=intercept,
    )


# -- the stage ------------------------------------------------------------------------------------


def load_classifier(settings: SectionSettings) -> Classifier:
    """The site's trained model when ``settings.model_path`` names an existing file, else the default."""
    if settings.model_path and Path(settings.model_path).is_file():
        model = LinearClassifier.load(settings.model_path)
        unknown = [slug for slug in model.labels if slug not in settings.taxonomy]
        if unknown:
            logger.warning(
                "section model %s knows sections outside the taxonomy: %s", settings.model_path, unknown
            )
        logger.info("section model loaded from %s", settings.model_path)
        return model
    if settings.model_path:
        logger.warning(
            "sections.model_path %s does not exist; using the built-in classifier", settings.model_path
        )
    return default_classifier(settings.taxonomy)


def classify(
    title: str,
    text: str,
    classifier: Classifier,
    settings: SectionSettings,
    *,
    language: str | None = None,
    max_chars: int = ENRICH_MAX_CHARS,
) -> tuple[str, float]:
    """The best section of the taxonomy and its probability, renormalised over the taxonomy.

    Only the first ``max_chars`` characters of ``text`` are read (``enrich.max_chars``).

    ``language`` is the article's language tag ("es", "en-GB"), when known; None lets the classifier guess.
    """
    probs = {
        s: p
        for s, p in classifier.predict(title, readable_text(text, max_chars), language=language).items()
        if s in settings.taxonomy
    }
    total = sum(probs.values())
    if not probs or total <= 0:
        return settings.default, 0.0
    slug = max(probs, key=probs.__getitem__)
    return slug, probs[slug] / total


def assign_section(
    title: str,
    text: str,
    *,
    feed_section: str | None,
    classifier: Classifier | None,
    settings: SectionSettings,
    feed_default: str | None = None,
    language: str | None = None,
    max_chars: int = ENRICH_MAX_CHARS,
) -> models.SectionAssignment:
    """The feed's declared section, else the classifier's choice at or above the threshold, else the
    feed's default section (``add-feed --default-section``), else ``sections.default``.

    ``language``: the article's language tag when known (``Article.language``); None means guess it.
    A ``feed_default`` outside the taxonomy is ignored. The method says which rule decided: "feed",
    "classifier", "feed-default" or "default"; the classifier's confidence is kept whenever it ran.
    """
    taxonomy = settings.taxonomy
    if feed_section and feed_section in taxonomy:
        return models.SectionAssignment(taxonomy[feed_section], feed_section, 1.0, "feed")
    confidence = 0.0
    if classifier is not None:
        slug, confidence = classify(title, text, classifier, settings, language=language, max_chars=max_chars)
        if confidence >= settings.threshold and slug in taxonomy:
            return models.SectionAssignment(taxonomy[slug], slug, round(confidence, 4), "classifier")
        logger.debug("section %s at %.2f is below the threshold; a default is used", slug, confidence)
    if feed_default and feed_default in taxonomy:
        return models.SectionAssignment(
            taxonomy[feed_default], feed_default, round(confidence, 4), "feed-default"
        )
    return models.SectionAssignment(
        taxonomy[settings.default], settings.default, round(confidence, 4), "default"
    )
