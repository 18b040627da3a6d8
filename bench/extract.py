"""Extraction speed and quality: Gazette's extract_article beside trafilatura.extract alone, in one run.

On the 181 pages of article-extraction-benchmark, in one process: CPU time per page of
`trafilatura.extract(html)` (the baseline, given the decoded HTML string) and of Gazette's
`extract_article` (given the page's bytes, as a fetch hands them over: decoding, parsing, text, metadata,
dates, language, repair and sanitizing all included), the ratio of the two, and the word 4-gram F1 of each
against ground-truth.json, scored the benchmark's own way (tokens `\\w+`; per page, multisets of 4-grams
give tp/fp/fn; precision and recall are means over pages, F1 their harmonic mean).

With ``--against SRC`` (another checkout's ``src``, e.g. main's, unpacked with ``git archive``), that
checkout's ``extract_article`` is timed as a third row in the same process. The sides take turns page by page
(the order reversed each round), so that a load that changes during the run weighs on all of them alike.

    .venv/bin/python bench/extract.py [--limit N] [--rounds R] [--against SRC]
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
        "--rounds",
        type=int,
        default=1,
        help="R rounds, the sides in turn page by page; each page's least time is kept",
    )
    parser.add_argument(
        "--against",
        metavar="SRC",
        help="also time the extract_article of the package under SRC (another checkout's src/)",
    )
    args = parser.parse_args()

    import trafilatura

    other = _gazette_side(args.against) if args.against else None
    sides = {"gazette": _gazette_side(None)}  # this checkout's, imported after the other one
    if other is not None:
        sides[f"gazette at {args.against}"] = other

    data = datasets_dir("article-extraction-benchmark") / "article-extraction-benchmark"
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)
    if args.limit:
        ids = ids[: args.limit]
    pages = {i: gzip.decompress((data / "html" / f"{i}.html.gz").read_bytes()) for i in ids}
    strings = {i: raw.decode("utf-8") for i, raw in pages.items()}

    runners: dict[str, Callable[[str], str]] = {
        "trafilatura": lambda i: trafilatura.extract(strings[i]) or "",
    }
    for name, (extract_article, models, rejected) in sides.items():
        docs = {
            i: models.FetchedDocument(
                url=f"file:///bench/{i}.html", final_url=f"file:///bench/{i}.html", status=200, content=raw
            )
            for i, raw in pages.items()
        }

        def run_one(
            i: str, extract_article: Any = extract_article, docs: Any = docs, rejected: Any = rejected
        ) -> str:
            try:
                return str(extract_article(docs[i], None).text)
            except rejected:
                return ""

        runners[name] = run_one

    for i in ids:  # warm: imports, caches, the language model
        for run in runners.values():
            run(i)
    texts: dict[str, dict[str, str]] = {name: {} for name in runners}
    times: dict[str, list[float]] = {name: [0.0] * len(ids) for name in runners}
    rounds: dict[str, list[float]] = {name: [] for name in runners}
    order = list(runners)
    for _ in range(max(1, args.rounds)):
        spent = dict.fromkeys(runners, 0.0)
        for n, i in enumerate(ids):
            for name in order:
                start = time.process_time()
                texts[name][i] = runners[name](i)
                ms = (time.process_time() - start) * 1000
                spent[name] += ms
                times[name][n] = ms if not rounds[name] else min(times[name][n], ms)
        for name in runners:
            rounds[name].append(spent[name])
        order.reverse()

    print(f"extraction, {len(ids)} pages of article-extraction-benchmark, one process, CPU time")
    print(f"(sides taken in turn page by page; {max(1, args.rounds)} rounds, each page's least time kept)")
    print(f"{'':44}{'mean ms/page':>14}{'median ms/page':>16}{'F1':>8}{'P':>8}{'R':>8}")
    labels = {"trafilatura": "trafilatura.extract alone", "gazette": "gazette extract_article"}
    for name in runners:
        f1, p, r = f1_score([(truth[i]["articleBody"], texts[name][i]) for i in ids])
        label = labels.get(name, name)
        print(
            f"{label:44}{statistics.mean(times[name]):>14.2f}{statistics.median(times[name]):>16.2f}"
            f"{f1:>8.3f}{p:>8.3f}{r:>8.3f}"
        )
    base = times["trafilatura"]
    for name in runners:
        if name == "trafilatura":
            continue
        ratio = sum(times[name]) / sum(base)
        median_ratio = statistics.median(times[name]) / statistics.median(base)
        per_round = ", ".join(
            f"{a / b:.2f}" for a, b in zip(rounds[name], rounds["trafilatura"], strict=True)
        )
        print(
            f"ratio {labels.get(name, name)} / trafilatura: {ratio:.2f}x of total CPU ({median_ratio:.2f}x of "
            f"medians; by round {per_round}); target <= {TARGET_RATIO}x"
        )


def _gazette_side(src: str | None) -> tuple[Any, Any, Any]:
    """``extract_article``, ``models`` and ``ExtractionRejected`` of the gazette package under ``src`` (this
    checkout's when None). Each side keeps its own modules: the other one's are dropped from the import cache
    before importing, while third-party packages are shared."""
    for name in [m for m in sys.modules if m == "gazette" or m.startswith("gazette.")]:
        del sys.modules[name]
    if src:
        sys.path.insert(0, str(Path(src).resolve()))
    try:
        article = importlib.import_module("gazette.extract.article")
        models = importlib.import_module("gazette.models")
        errors = importlib.import_module("gazette.errors")
    finally:
        if src:
            sys.path.remove(str(Path(src).resolve()))
    return article.extract_article, models, errors.ExtractionRejected


if __name__ == "__main__":
    main()
