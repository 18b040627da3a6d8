"""Benchmark the brief verifier.

1. The labelled sentence pairs written for the tests (tests/enrich/fixtures/briefs/pairs.jsonl):
   precision and recall of UNSUPPORTED.
2. Real gold: FRANK and QAGS (../shared/datasets/faithfulness/), human-labelled summaries of news.
   The brief-level score's threshold is chosen on FRANK's valid part (maximizing balanced accuracy)
   and applied to FRANK test and QAGS-C / QAGS-X; ROC-AUC needs no threshold.
Each figure is printed beside a baseline measured in the same run: the share of the summary's words
that occur anywhere in the article (no IDF, no passages, no number/name/quote checks).

    python bench/verifier.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from gazette.enrich.briefs.verifier import (  # noqa: E402
    SUPPORT_THRESHOLD,
    SourceIndex,
    brief_score,
    content_tokens,
    verify_brief,
)

DATASETS = Path(
    os.environ.get("GAZETTE_DATASETS") or Path(__file__).resolve().parents[2] / "shared" / "datasets"
)
PAIRS = ROOT / "tests" / "enrich" / "fixtures" / "briefs" / "pairs.jsonl"  # sources/ beside it
# Published balanced accuracy (MANIFEST.md); SummaC binarizes FRANK slightly differently.
PUBLISHED = {
    "FRANK test": "SummaC-ZS 0.790, SummaC-Conv 0.816",
    "QAGS-C": "QAFactEval 0.754, SummaC-Conv 0.672",
    "QAGS-X": "QAFactEval 0.756, SummaC-Conv 0.721",
}

Scorer = Callable[[str, str], float]


def verifier_score(source: str, summary: str) -> float:
    return brief_score(verify_brief(SourceIndex(source), summary))


def overlap_score(source: str, summary: str) -> float:
    """Baseline: share of the summary's content words found anywhere in the source."""
    source_tokens = set(content_tokens(source))
    tokens = content_tokens(summary)
    if not tokens:
        return 1.0
    return sum(t in source_tokens for t in tokens) / len(tokens)


def balanced_accuracy(labels: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    predicted = scores >= threshold
    positives = labels == 1
    tpr = (predicted & positives).sum() / max(1, positives.sum())
    tnr = (~predicted & ~positives).sum() / max(1, (~positives).sum())
    return float((tpr + tnr) / 2)


def best_threshold(labels: np.ndarray, scores: np.ndarray) -> float:
    candidates = np.unique(scores)
    accuracies = [balanced_accuracy(labels, scores, t) for t in candidates]
    return float(candidates[int(np.argmax(accuracies))])


def load_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return rows[:limit] if limit else rows


def score_rows(rows: list[dict], scorer: Scorer) -> np.ndarray:
    return np.array([scorer(r["article"], r["summary"]) for r in rows])


def bench_pairs() -> None:
    if not PAIRS.exists():
        print(f"(no labelled pairs at {PAIRS})")
        return
    rows = load_jsonl(PAIRS)
    for row in rows:
        row["source"] = (PAIRS.parent / "sources" / row["source"]).read_text(encoding="utf-8")
    tp = fp = fn = tn = 0
    base = {"tp": 0, "fp": 0, "fn": 0}
    misses = []
    for row in rows:
        checks = verify_brief(row["source"], [row["sentence"]])
        flagged = not checks[0].supported
        truth = row["label"] == "UNSUPPORTED"
        tp += flagged and truth
        fp += flagged and not truth
        fn += (not flagged) and truth
        tn += (not flagged) and not truth
        if flagged != truth:
            misses.append(
                (row["label"], row["sentence"], checks[0].reason or f"support {checks[0].support:.2f}")
            )
        base_flag = overlap_score(row["source"], row["sentence"]) < 1.0
        base["tp"] += base_flag and truth
        base["fp"] += base_flag and not truth
        base["fn"] += (not base_flag) and truth

    def pr(tp_: int, fp_: int, fn_: int) -> tuple[float, float]:
        return tp_ / max(1, tp_ + fp_), tp_ / max(1, tp_ + fn_)

    p, r = pr(tp, fp, fn)
    bp, br = pr(base["tp"], base["fp"], base["fn"])
    print(f"Labelled sentence pairs ({len(rows)}: {tp + fn} unsupported, {fp + tn} supported)")
    print(f"{'':28}{'verifier':>10}{'baseline':>10}")
    print(f"{'UNSUPPORTED precision':28}{p:10.3f}{bp:10.3f}")
    print(f"{'UNSUPPORTED recall':28}{r:10.3f}{br:10.3f}")
    print("  baseline: flag any sentence with a content word absent from the source")
    for label, sentence, reason in misses:
        print(f"  miss: {label:<12} {sentence[:80]!r} {reason}")
    print()


def bench_gold(limit: int | None) -> None:
    base = DATASETS / "faithfulness"
    frank_path = base / "frank" / "frank_benchmark_reconstructed.jsonl"
    if not frank_path.exists():
        print(f"(no FRANK data at {frank_path}; set GAZETTE_DATASETS)")
        return
    frank = load_jsonl(frank_path)
    valid = [r for r in frank if r["split"] == "valid"][:limit]
    test = [r for r in frank if r["split"] == "test"][:limit]
    sets = {"FRANK test": test}
    for name, file in (
        ("QAGS-C", "qags_cnndm_summary_level.jsonl"),
        ("QAGS-X", "qags_xsum_summary_level.jsonl"),
    ):
        path = base / "qags" / file
        if path.exists():
            sets[name] = load_jsonl(path, limit)
    scorers: dict[str, Scorer] = {"verifier": verifier_score, "baseline": overlap_score}
    thresholds = {}
    started = time.perf_counter()
    valid_labels = np.array([r["label"] for r in valid])
    for name, scorer in scorers.items():
        thresholds[name] = best_threshold(valid_labels, score_rows(valid, scorer))
    print(
        f"Real gold: threshold chosen on FRANK valid ({len(valid)} pairs): "
        + ", ".join(f"{k} {v:.3f}" for k, v in thresholds.items())
    )
    header = f"{'set':12}{'n':>6}{'BA verifier':>13}{'BA baseline':>13}{'AUC verifier':>14}{'AUC baseline':>14}  published BA"
    print(header)
    print("-" * len(header))
    cache: dict[tuple[str, str], np.ndarray] = {}
    for set_name, rows in sets.items():
        labels = np.array([r["label"] for r in rows])
        figures = []
        for name, scorer in scorers.items():
            scores = cache[set_name, name] = score_rows(rows, scorer)
            figures.append(
                (balanced_accuracy(labels, scores, thresholds[name]), roc_auc_score(labels, scores))
            )
        (ba_v, auc_v), (ba_b, auc_b) = figures
        print(
            f"{set_name:12}{len(rows):6d}{ba_v:13.3f}{ba_b:13.3f}{auc_v:14.3f}{auc_b:14.3f}  {PUBLISHED[set_name]}"
        )
    if test:
        print("FRANK test by origin (ROC-AUC; shows the score is not just telling CNN/DM from XSum):")
        for origin in ("cnndm", "xsum"):
            mask = np.array([r["origin"] == origin for r in test])
            labels = np.array([r["label"] for r in test])[mask]
            aucs = [roc_auc_score(labels, cache["FRANK test", name][mask]) for name in scorers]
            print(f"  {origin:6} n={int(mask.sum()):4d}  verifier {aucs[0]:.3f}  baseline {aucs[1]:.3f}")
    if "QAGS-C" in sets:
        bench_qags_sentences(sets["QAGS-C"])
    if test:
        labels = np.array([r["label"] for r in test])
        from_origin = np.array([1.0 if r["origin"] == "cnndm" else 0.0 for r in test])
        print(
            f"(for scale: on FRANK test, guessing from the origin alone — CNN/DM consistent, XSum not — "
            f"gives BA {balanced_accuracy(labels, from_origin, 0.5):.3f})"
        )
    print(f"({time.perf_counter() - started:.1f} s)")


def bench_qags_sentences(rows: list[dict]) -> None:
    """Sentence verdicts against QAGS-C's per-sentence human labels (where our split matches theirs),
    at the shipped support threshold and at stricter ones."""
    items: list[tuple[float, bool, bool]] = []  # (support, failed another check, humans say unsupported)
    used = 0
    for row in rows:
        checks = verify_brief(SourceIndex(row["article"]), row["summary"])
        gold = row.get("sentence_labels_majority") or []
        if len(checks) != len(gold):
            continue
        used += 1
        for check, label in zip(checks, gold, strict=True):
            other = any(not p.startswith("weakly") for p in check.problems)
            items.append((check.support, other, label == 0))
    unsupported = sum(truth for _, _, truth in items)
    print(
        f"QAGS-C sentence verdicts ({used} summaries whose split matches ours; "
        f"{unsupported} of {len(items)} sentences unsupported by majority vote):"
    )
    print(f"  {'support threshold':>18}{'flagged':>9}{'precision':>11}{'recall':>8}")
    for threshold in sorted({SUPPORT_THRESHOLD, 0.65, 0.75, 0.85}):
        flagged = [(other or support < threshold, truth) for support, other, truth in items]
        tp = sum(f and t for f, t in flagged)
        fp = sum(f and not t for f, t in flagged)
        mark = " (shipped)" if threshold == SUPPORT_THRESHOLD else ""
        print(
            f"  {threshold:18.2f}{(tp + fp) / max(1, len(items)):9.3f}{tp / max(1, tp + fp):11.3f}"
            f"{tp / max(1, unsupported):8.3f}{mark}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="Score only the first N pairs of each set.")
    parser.add_argument("--pairs-only", action="store_true", help="Only the labelled sentence pairs.")
    args = parser.parse_args()
    bench_pairs()
    if not args.pairs_only:
        bench_gold(args.limit)


if __name__ == "__main__":
    main()
