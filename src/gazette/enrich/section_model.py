"""Enrichment stage (sections): the shipped learned classifier, a static embedding and a linear layer.

``EmbeddedClassifier`` reads an article as one vector and scores the ten sections with a logistic layer:

1. WordPiece tokens (``WordPieceTokenizer``, BERT's uncased rules) of the title, counted ``title_repeat``
   times, and the first ``max_words`` words of the body;
2. each token's static vector, distilled once at build time from all-MiniLM-L6-v2 (its sentence embedding
   of ``[CLS] token [SEP]``, as model2vec does), reduced by PCA and stored as int8 with a scale per
   dimension; tokens are weighted by ``1e-3 / (1e-3 + p(token))`` (smooth inverse frequency), averaged and
   L2-normalised;
3. that vector beside the hand-written lexicons' probabilities (``LexiconClassifier``; they carry Spanish
   cues and sections BBC has no examples of) goes through the logistic layer, the lexicon's log-probabilities
   are added once more (weighted by language), the logits are shrunk for texts of few words
   (``EmbeddedClassifier.evidence``), and a softmax at the fitted temperature gives calibrated probabilities.

Everything is one pickle-free ``.npz`` (``data/section_model.npz``, built by ``bench/_build_sections_model.py``
from the inputs listed in ``data/section_model.md``); only numpy runs at classification time.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gazette.errors import ConfigError

logger = logging.getLogger(__name__)

MODEL_FORMAT = "gazette-sections-embedded/1"
MODEL_FILE = "section_model.npz"

# Every combining mark of the Basic Multilingual Plane as one character class: removing them with one regex
# substitution costs a tenth of testing each character in Python (marks beyond the BMP are left as they are).
COMBINING = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in range(0x10000) if unicodedata.combining(chr(c))) + "]+"
)

# Far more characters than a word and its space take (news averages about 6); a prefix this long of
# N words' worth holds the first N words of any prose.
CHARS_PER_WORD = 20
_SPLIT = re.compile(r"[^\W_]+|[^\w\s]|_", re.UNICODE)


class WordPieceTokenizer:
    """BERT's uncased tokenizer: lower case, accents stripped, punctuation split, greedy longest pieces.

    Only token ids are needed (no offsets, no special tokens), so this is the few rules of the original
    rather than a dependency; words are cached, news vocabulary being small.
    """

    def __init__(self, vocab: Sequence[str], *, unk: str = "[UNK]", max_chars: int = 100) -> None:
        self.ids = {tok: i for i, tok in enumerate(vocab)}
        self.unk = self.ids.get(unk, 0)
        self.max_chars = max_chars
        self._cache: dict[str, tuple[int, ...]] = {}
        self._chunks: dict[str, tuple[tuple[int, ...], int]] = {}  # a run of non-space characters: ids, words

    @staticmethod
    def normalize(text: str) -> str:
        """Lower case without accents (NFD, combining marks dropped), as the uncased model was trained."""
        text = text.lower()
        if text.isascii():
            return text
        return COMBINING.sub("", unicodedata.normalize("NFD", text))

    def word_ids(self, word: str) -> tuple[int, ...]:
        """The pieces of one normalised word: the longest vocabulary prefix, then "##" continuations."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        if len(word) > self.max_chars:
            out: tuple[int, ...] = (self.unk,)
        else:
            pieces: list[int] = []
            start = 0
            while start < len(word):
                end = len(word)
                found = None
                while start < end:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    found = self.ids.get(piece)
                    if found is not None:
                        break
                    end -= 1
                if found is None:
                    pieces = [self.unk]
                    break
                pieces.append(found)
                start = end
            out = tuple(pieces)
        if len(self._cache) > 200_000:  # a long-running process meets unbounded junk words
            self._cache.clear()
        self._cache[word] = out
        return out

    def words(self, text: str) -> list[str]:
        """Normalised words and punctuation marks, in order."""
        return _SPLIT.findall(self.normalize(text))

    def encode(self, text: str, max_words: int | None = None) -> list[int]:
        """Token ids of ``text`` (of its first ``max_words`` words when given)."""
        return self.encode_counted(text, max_words)[0]

    def encode_counted(self, text: str, max_words: int | None = None) -> tuple[list[int], int]:
        """``encode``'s token ids and the number of words (and punctuation marks) they came from."""
        if max_words is not None:
            text = text[: max_words * CHARS_PER_WORD]  # no need to split what will be cut
        limit = len(text) if max_words is None else max_words  # a text holds fewer words than characters
        # Read by runs of non-space characters ("said,", "(Reuters)"), each run normalised and its pieces looked
        # up once per process. The runs' words in order are ``words(text)``: no word nor punctuation mark spans a
        # space, and normalising reads no character across one (a space is neither cased nor ignored by the rule
        # that lower-cases a final sigma, and no accent combines with it).
        out: list[int] = []
        count = 0
        chunks, get = self._chunks, self._chunks.get
        for chunk in text.split():
            hit = get(chunk)
            if hit is None:
                words = self.words(chunk)
                hit = (tuple(i for w in words for i in self.word_ids(w)), len(words))
                if len(chunks) > 200_000:  # as the word cache: bounded for a long-running process
                    chunks.clear()
                chunks[chunk] = hit
            if count + hit[1] > limit:  # the last run is cut within: its first words only
                for w in self.words(chunk)[: limit - count]:
                    out.extend(self.word_ids(w))
                return out, limit
            out.extend(hit[0])
            count += hit[1]
        return out, count


class StaticEmbedder:
    """One vector per text: the SIF-weighted mean of its tokens' distilled vectors, L2-normalised."""

    def __init__(
        self,
        tokenizer: WordPieceTokenizer,
        vectors: np.ndarray,
        scale: np.ndarray,
        weights: np.ndarray,
        *,
        title_repeat: int,
        max_words: int,
        lead_words: int = 0,
        lead_repeat: int = 1,
    ) -> None:
        self.tokenizer = tokenizer
        self.lead_words, self.lead_repeat = lead_words, lead_repeat
        self.vectors = vectors  # int8 (tokens, dims)
        self.scale = scale.astype(np.float32)  # per dimension
        self.weights = weights.astype(np.float32)  # per token
        self.title_repeat = title_repeat
        self.max_words = max_words

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])

    def embed(self, title: str, text: str) -> np.ndarray:
        """The article's vector (zeros when no token is known)."""
        return self.embed_counted(title, text)[0]

    def embed_counted(self, title: str, text: str) -> tuple[np.ndarray, int]:
        """``embed``'s vector and the number of words it averages (title and body, each once)."""
        head, n_head = self.tokenizer.encode_counted(title or "")
        body, n_body = self.tokenizer.encode_counted(text or "", self.max_words)
        n_words = n_head + n_body
        ids = np.fromiter(body, dtype=np.int64, count=len(body))
        counts = np.bincount(ids, minlength=0) if len(ids) else np.zeros(0, dtype=np.int64)
        if self.lead_words and self.lead_repeat > 1 and len(ids):
            # the first sentences say what the article is about; the rest may wander (a river, its floods)
            lead = np.asarray(self.tokenizer.encode(text or "", self.lead_words), dtype=np.int64)
            counts = counts + (self.lead_repeat - 1) * np.bincount(lead, minlength=len(counts))
        used = np.nonzero(counts)[0]
        mult = counts[used].astype(np.float32)
        if head:
            hids = np.asarray(head, dtype=np.int64)
            used = np.concatenate([used, hids])
            mult = np.concatenate([mult, np.full(len(hids), float(self.title_repeat), dtype=np.float32)])
        if not len(used):
            return np.zeros(self.dims, dtype=np.float32), n_words
        w = self.weights[used] * mult
        vec = (w @ self.vectors[used].astype(np.float32)) * self.scale
        norm = float(np.linalg.norm(vec))
        return (vec / norm if norm else vec), n_words


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class EmbeddedClassifier:
    """The shipped section classifier: static embedding + lexicon probabilities → logistic layer.

    ``lexicon`` is the ``LexiconClassifier`` whose probabilities are features (labels in ``lexicon_labels``
    order); it must be the one the model was built with (the shipped lexicons).
    """

    def __init__(
        self,
        *,
        labels: list[str],
        embedder: StaticEmbedder,
        lexicon: Any,
        lexicon_labels: list[str],
        lexicon_scale: float,
        coef: np.ndarray,
        intercept: np.ndarray,
        temperature: float,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.labels = labels
        self.embedder = embedder
        self.lexicon = lexicon
        self.lexicon_labels = lexicon_labels
        self.lexicon_scale = lexicon_scale
        self.coef = coef.astype(np.float32)
        self.intercept = intercept.astype(np.float32)
        self.temperature = temperature
        self.meta = meta or {}

    def features_and_language(
        self, title: str, text: str, *, language: str | None = None
    ) -> tuple[np.ndarray, str | None]:
        """The vector the logistic layer reads (embedding, then scaled lexicon log-probabilities) and the
        article's language as the lexicon read it."""
        features, lang, _ = self.read(title, text, language=language)
        return features, lang

    def read(
        self, title: str, text: str, *, language: str | None = None
    ) -> tuple[np.ndarray, str | None, int]:
        """``features_and_language`` and the number of words the embedding averaged."""
        emb, n_words = self.embedder.embed_counted(title, text)
        probs, lang = self.lexicon.predict_with_language(title, text, language=language)
        lex = np.array([probs.get(s, 0.0) for s in self.lexicon_labels], dtype=np.float32)
        return np.concatenate([emb, self.lexicon_scale * np.log(lex + 1e-3)]), lang, n_words

    def evidence(self, n_words: int | np.ndarray) -> np.ndarray:
        """How much of its logits an article of ``n_words`` words keeps: ``n / (n + evidence_words)``.

        The embedding is a mean, so it forgets how many words it was taken over; a six-word text would
        otherwise be as sure of itself as a long article (the lexicon shrinks the same way).
        """
        n = np.asarray(n_words, dtype=np.float64)
        half = float(self.meta.get("evidence_words", 0.0))
        return n / (n + half) if half else np.ones_like(n)

    def features(self, title: str, text: str, *, language: str | None = None) -> np.ndarray:
        return self.features_and_language(title, text, language=language)[0]

    def blend(self, language: str | None) -> float:
        """How much the lexicon's log-probabilities add to the logits for an article in ``language``."""
        weights = self.meta.get("lexicon_blend", {})
        return float(weights.get(language or "", weights.get("other", 0.0)))

    def logits(self, features: np.ndarray, language: str | None = "en") -> np.ndarray:
        """Scores per label (before the temperature) of one feature vector or a matrix of them (rows)."""
        lexicon_log = features[..., -len(self.lexicon_labels) :] / self.lexicon_scale
        return features @ self.coef.T + self.intercept + self.blend(language) * lexicon_log

    def predict(self, title: str, text: str, *, language: str | None = None) -> dict[str, float]:
        """Calibrated probability per label; ``language`` is passed to the lexicon features."""
        features, lang, n_words = self.read(title, text, language=language)
        probs = _softmax(self.logits(features, lang) * self.evidence(n_words) / self.temperature)
        return dict(zip(self.labels, probs.tolist(), strict=True))


def read_model(path: str | Path | None = None) -> dict[str, Any]:
    """The arrays and metadata of a model file (the shipped one when ``path`` is None)."""
    try:
        if path is None:
            with resources.as_file(resources.files("gazette.enrich").joinpath("data", MODEL_FILE)) as p:
                return _read_npz(p)
        return _read_npz(Path(path))
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"section model {path or MODEL_FILE}: not readable ({exc})") from exc


def _read_npz(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as data:
        out: dict[str, Any] = {k: data[k] for k in data.files}
    out["meta"] = json.loads(str(out["meta"]))
    if out["meta"].get("format") != MODEL_FORMAT:
        raise ValueError(f"unknown model format {out['meta'].get('format')!r}")
    out["vocab"] = bytes(out["vocab"]).decode("utf-8").split("\n")
    return out


def build_embedder(data: dict[str, Any]) -> StaticEmbedder:
    """The static embedder stored in a model file's arrays."""
    meta = data["meta"]
    return StaticEmbedder(
        WordPieceTokenizer(data["vocab"]),
        data["vectors"],
        data["scale"],
        data["weights"],
        title_repeat=int(meta["title_repeat"]),
        max_words=int(meta["max_words"]),
        lead_words=int(meta.get("lead_words", 0)),
        lead_repeat=int(meta.get("lead_repeat", 1)),
    )


def load_embedded(lexicon: Any, path: str | Path | None = None) -> EmbeddedClassifier:
    """The shipped classifier (or the one at ``path``), with ``lexicon`` as its lexicon features."""
    data = read_model(path)
    meta = data["meta"]
    return EmbeddedClassifier(
        labels=list(meta["labels"]),
        embedder=build_embedder(data),
        lexicon=lexicon,
        lexicon_labels=list(meta["lexicon_labels"]),
        lexicon_scale=float(meta["lexicon_scale"]),
        coef=data["coef"],
        intercept=data["intercept"],
        temperature=float(meta["temperature"]),
        meta=meta,
    )


def save_model(
    path: str | Path,
    *,
    meta: dict[str, Any],
    vocab: Sequence[str],
    vectors: np.ndarray,
    scale: np.ndarray,
    weights: np.ndarray,
    coef: np.ndarray,
    intercept: np.ndarray,
) -> None:
    """Write a model file (compressed, no pickle)."""
    meta = {**meta, "format": MODEL_FORMAT}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with Path(path).open("wb") as fh:
        np.savez_compressed(
            fh,
            meta=np.array(json.dumps(meta, sort_keys=True)),
            vocab=np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8),
            vectors=vectors.astype(np.int8),
            scale=scale.astype(np.float32),
            weights=weights.astype(np.float16),
            coef=coef.astype(np.float32),
            intercept=intercept.astype(np.float32),
        )


# -- fitting (build time and ``bench/sections.py``; scikit-learn) ----------------------------------------


def fit_layer(
    features: np.ndarray, y: np.ndarray, n_labels: int, *, c: float, sample_weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A multinomial logistic layer over ``features``: (coef (labels, features), intercept (labels))."""
    from sklearn.linear_model import LogisticRegression

    # Fitted on standardised features (quick, well-conditioned), then folded back into raw-feature weights.
    mean = features.mean(axis=0)
    std = features.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=500, tol=1e-4)
    model.fit((features - mean) / std, y, sample_weight=sample_weight)
    coef = np.zeros((n_labels, features.shape[1]), dtype=np.float64)
    intercept = np.full(n_labels, -30.0)  # a label absent from the training data is never chosen
    raw = model.coef_ / std
    coef[model.classes_] = raw
    intercept[model.classes_] = model.intercept_ - raw @ mean
    return coef, intercept


def fit_temperature(logits: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> float:
    """The softmax temperature that minimises the (``weight``-weighted) log-loss of held-out ``logits`` (rows)
    on labels ``y``."""
    w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float)
    best_t, best_loss = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.2), np.log(5.0), 161)):
        p = _softmax(logits / t)
        loss = float(-(w * np.log(p[np.arange(len(y)), y] + 1e-12)).sum() / w.sum())
        if loss < best_loss:
            best_t, best_loss = float(t), loss
    return best_t


def calibration_table(
    confidence: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> tuple[float, list[tuple[float, float, int, float, float]]]:
    """Expected calibration error and the reliability table: (low, high, n, mean confidence, accuracy)."""
    conf = np.asarray(confidence, dtype=float)
    hit = np.asarray(correct, dtype=float)
    rows = []
    ece = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        mask = (conf > low) & (conf <= high) if b else (conf >= low) & (conf <= high)
        n = int(mask.sum())
        if not n:
            continue
        mc, acc = float(conf[mask].mean()), float(hit[mask].mean())
        ece += n / len(conf) * abs(mc - acc)
        rows.append((low, high, n, mc, acc))
    return ece, rows


def balanced_weights(y: np.ndarray) -> np.ndarray:
    """Sample weights that give every label present the same total weight."""
    counts = np.bincount(y)
    present = np.count_nonzero(counts)
    return len(y) / (present * counts[y])


def held_out_logits(
    features: np.ndarray,
    y: np.ndarray,
    n_labels: int,
    *,
    c: float,
    sample_weight: np.ndarray,
    groups: np.ndarray | None = None,
    folds: int = 5,
    seed: int = 0,
) -> np.ndarray:
    """Logits of every row from a layer fitted on the other folds (an article and its lead share ``groups``,
    so one never teaches the other's score)."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    held_out = np.zeros((len(y), n_labels))
    if groups is None:
        splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(features, y)
    else:
        splits = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed).split(
            features, y, groups
        )
    for train, test in splits:
        coef, intercept = fit_layer(
            features[train], y[train], n_labels, c=c, sample_weight=sample_weight[train]
        )
        held_out[test] = features[test] @ coef.T + intercept
    return held_out


def fit_calibrated(
    features: np.ndarray,
    y: np.ndarray,
    n_labels: int,
    *,
    c: float,
    folds: int = 5,
    seed: int = 0,
    offset: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
    calibration_weight: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    evidence: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """The logistic layer on all of ``features`` and a temperature fitted on its held-out folds' logits.

    Labels are balanced by sample weight (the training material has far more articles of some sections),
    times ``sample_weight`` when given (a weight per kind of material). ``offset`` (rows like the logits) is
    added to the logits before the temperature is fitted: the lexicon blend that ``EmbeddedClassifier.logits``
    adds. ``calibration_weight`` says how much each row counts in the temperature's log-loss (0: not at all;
    default: every row alike); ``groups`` keeps rows of one article in one fold; ``evidence`` (one factor per
    row, ``EmbeddedClassifier.evidence``) multiplies the logits, offset included, as ``predict`` does.
    """
    weights = balanced_weights(y) * (1.0 if sample_weight is None else sample_weight)
    held_out = held_out_logits(
        features, y, n_labels, c=c, sample_weight=weights, groups=groups, folds=folds, seed=seed
    )
    held_out += 0.0 if offset is None else offset
    held_out *= 1.0 if evidence is None else evidence[:, None]
    temperature = fit_temperature(held_out, y, calibration_weight)
    coef, intercept = fit_layer(features, y, n_labels, c=c, sample_weight=weights)
    return coef, intercept, temperature
