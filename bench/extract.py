"""Extraction speed and quality: Gazette's extract_article beside trafilatura.extract alone, in one run.

On the 181 pages of article-extraction-benchmark, in one process: CPU time per page of
`trafilatura.extract(html)` (the baseline, given the decoded HTML string) and of Gazette's
`extract_article` (given the page's bytes, as a fetch hands them over: decoding, parsing, text, metadata,
dates, language, repair and sanitizing all included), the ratio of the two, and the word 4-gram F1 of each
against ground-truth.json, scored the benchmark's own way (tokens `\\w+`; per page, multisets of 4-grams
give tp/fp/fn; precision and recall are means over pages, F1 their harmonic mean).

    .venv/bin/python bench/extract.py [--limit N] [--rounds R]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter

from _datasets import datasets_dir

TARGET_RATIO = 1.3  # issue 10: extraction alone, date included, at most 1.3x trafilatura.extract
_TOKEN = re.compile(r"\w+")


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))


def _match(gold: str, predicted: str) -> tuple[float, float, float]:
    want, got = _shingles(gold), _shingles(predicted)
    tp = sum((want & got).values())
    fp = sum((got - want).values())
    fn = sum((want - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def f1_score(pairs: list[tuple[str, str]]) -> tuple[float, float, float]:
    """(F1, precision, recall) over (gold, predicted) pairs, the benchmark's way."""
    scores = [_match(gold, predicted) for gold, predicted in pairs]
    precision = statistics.mean(tp / (tp + fp) for tp, fp, _ in scores if tp + fp > 0)
    recall = statistics.mean(tp / (tp + fn) for tp, _, fn in scores if tp + fn > 0)
    return 2 * precision * recall / (precision + recall), precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages (quick run)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="time each side R times, alternating; keep the least"
    )
    args = parser.parse_args()

    import trafilatura

    from gazette import models
    from gazette.errors import ExtractionRejected
    from gazette.extract.article import extract_article

    data = datasets_dir("article-extraction-benchmark") / "article-extraction-benchmark"
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)
    if args.limit:
        ids = ids[: args.limit]
    pages = {i: gzip.decompress((data / "html" / f"{i}.html.gz").read_bytes()) for i in ids}
    docs = {
        i: models.FetchedDocument(
            url=f"file:///bench/{i}.html", final_url=f"file:///bench/{i}.html", status=200, content=raw
        )
        for i, raw in pages.items()
    }
    strings = {i: raw.decode("utf-8") for i, raw in pages.items()}

    def run_trafilatura() -> tuple[dict[str, str], list[float]]:
        out, times = {}, []
        for i in ids:
            start = time.process_time()
            out[i] = trafilatura.extract(strings[i]) or ""
            times.append((time.process_time() - start) * 1000)
        return out, times

    def run_gazette() -> tuple[dict[str, str], list[float]]:
        out, times = {}, []
        for i in ids:
            start = time.process_time()
            try:
                out[i] = extract_article(docs[i], None).text
            except ExtractionRejected:
                out[i] = ""
            times.append((time.process_time() - start) * 1000)
        return out, times

    run_trafilatura()  # warm: imports, caches, the language model
    run_gazette()
    best: dict[str, tuple[dict[str, str], list[float]]] = {}
    for _ in range(max(1, args.rounds)):
        for name, fn in (("trafilatura", run_trafilatura), ("gazette", run_gazette)):
            result = fn()
            if name not in best or sum(result[1]) < sum(best[name][1]):
                best[name] = result

    print(f"extraction, {len(ids)} pages of article-extraction-benchmark, one process, CPU time")
    print(f"{'':34}{'mean ms/page':>14}{'median ms/page':>16}{'F1':>8}{'P':>8}{'R':>8}")
    for name, label in (("trafilatura", "trafilatura.extract alone"), ("gazette", "gazette extract_article")):
        texts, times = best[name]
        f1, p, r = f1_score([(truth[i]["articleBody"], texts[i]) for i in ids])
        print(
            f"{label:34}{statistics.mean(times):>14.2f}{statistics.median(times):>16.2f}{f1:>8.3f}{p:>8.3f}{r:>8.3f}"
        )
    ratio = sum(best["gazette"][1]) / sum(best["trafilatura"][1])
    median_ratio = statistics.median(best["gazette"][1]) / statistics.median(best["trafilatura"][1])
    print(
        f"ratio gazette / trafilatura: {ratio:.2f}x of total CPU ({median_ratio:.2f}x of medians); target <= {TARGET_RATIO}x"
    )


if __name__ == "__main__":
    main()
