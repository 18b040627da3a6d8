"""Publication dates: Gazette beside htmldate alone, on pages labelled by hand, in one run.

Each page of article-extraction-benchmark is read from the page alone, as `gazette extract --json FILE`
reads it (no URL, no feed entry): Gazette's `date` is right when its first ten characters are the day in
bench/dates_labels.tsv. The baseline is htmldate alone on the same HTML,
`find_date(html, original_date=True, extensive_search=True)`. Times are CPU time per page (median):
htmldate from the HTML string (it parses the page itself); Gazette's date step on the tree that
`extract_article` has already parsed (the cost extraction pays for dates), and the same from the HTML
string with the parse included.

    .venv/bin/python bench/dates.py [--limit N] [--show-misses]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from _datasets import datasets_dir

LABELS = Path(__file__).resolve().parent / "dates_labels.tsv"


def _labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.startswith("id\t") or not line.strip():
            continue
        page_id, day, _how = line.split("\t", 2)
        labels[page_id] = day
    return labels


def _cpu_ms(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.process_time()
    result = fn(*args, **kwargs)
    return result, (time.process_time() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=0, help="only the first N labelled pages (quick run)")
    parser.add_argument("--show-misses", action="store_true", help="list the pages either side gets wrong")
    args = parser.parse_args()

    from htmldate import find_date

    from gazette import models
    from gazette.errors import ExtractionRejected
    from gazette.extract import article as article_mod
    from gazette.extract.dates import published_date, updated_date

    data = datasets_dir("article-extraction-benchmark") / "article-extraction-benchmark"
    labels = _labels()
    ids = sorted(labels)
    if args.limit:
        ids = ids[: args.limit]

    # Warm both (imports, dateparser's first load) so that the first page does not carry them.
    warm = gzip.decompress((data / "html" / f"{ids[0]}.html.gz").read_bytes()).decode("utf-8")
    find_date(warm, original_date=True, extensive_search=True)
    published_date(article_mod._parse(warm, "warm"), None, datetime.now(UTC))

    right = {"gazette": 0, "htmldate": 0}
    dated = 0
    false_dates = {"gazette": 0, "htmldate": 0}
    undated = 0
    times: dict[str, list[float]] = {"htmldate": [], "tree": [], "string": []}
    misses: list[str] = []
    for page_id in ids:
        raw = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        html = raw.decode("utf-8")
        want = labels[page_id]

        theirs, ms = _cpu_ms(find_date, html, original_date=True, extensive_search=True)
        times["htmldate"].append(ms)

        uri = f"file:///bench/{page_id}.html"
        doc = models.FetchedDocument(url=uri, final_url=uri, status=200, content=raw)
        try:
            article = article_mod.extract_article(doc, None)
            ours = article.published_at.isoformat()[:10] if article.published_at else None
        except ExtractionRejected:
            ours = None

        now = datetime.now(UTC)
        tree = article_mod._parse(html, uri)
        start = time.process_time()
        found = published_date(tree, uri, now)
        updated_date(tree, uri, found, now)
        times["tree"].append((time.process_time() - start) * 1000)
        start = time.process_time()
        tree = article_mod._parse(html, uri)
        found = published_date(tree, uri, now)
        updated_date(tree, uri, found, now)
        times["string"].append((time.process_time() - start) * 1000)

        if want == "-":
            undated += 1
            false_dates["gazette"] += ours is not None
            false_dates["htmldate"] += theirs is not None
            continue
        dated += 1
        right["gazette"] += ours == want
        right["htmldate"] += theirs == want
        if ours != want or theirs != want:
            misses.append(f"{page_id[:12]}  label {want}  gazette {ours}  htmldate {theirs}")

    print(
        f"publication day, {dated} labelled pages of article-extraction-benchmark (+{undated} without a date)"
    )
    print(f"{'':32}{'accuracy':>10}{'dates on undated':>18}{'median CPU ms/page':>20}")
    print(
        f"{'htmldate alone (from HTML)':32}{right['htmldate'] / dated:>10.3f}"
        f"{false_dates['htmldate']:>18}{statistics.median(times['htmldate']):>20.2f}"
    )
    print(
        f"{'gazette (date step, parsed tree)':32}{right['gazette'] / dated:>10.3f}"
        f"{false_dates['gazette']:>18}{statistics.median(times['tree']):>20.2f}"
    )
    print(f"{'gazette (parse + date step)':32}{'':>10}{'':>18}{statistics.median(times['string']):>20.2f}")
    ratio = statistics.median(times["tree"]) / statistics.median(times["htmldate"])
    print(f"date step / htmldate alone: {ratio:.2f}x (median CPU time per page)")
    if args.show_misses:
        print("\n".join(misses))


if __name__ == "__main__":
    main()
