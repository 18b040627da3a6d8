"""Identity and CPU of the per-article worker inputs against a base checkout (issue 10).

For the 181 pages of the article-extraction benchmark (extracted by each checkout) and the 2,225 BBC News
articles (title and text as given, language "en"), each checkout computes in a process of its own: the
extracted article (pages only), section, locales, brief, story features, fingerprint and search terms. The
outputs are pickled and compared exactly (floats by bits, through ``repr`` of the pickled values).

``--time`` then times the stages (CPU, one core) in processes of base and change taking turns, several rounds,
on the 181 pages' extracted articles: enrich (section and locales), brief, and the worker inputs, in the order
``bench/pipeline.py`` runs them (after one warm-up pass, so word caches are warm as a running desk's are).

Usage: ``python bench/_inputs_identity.py --base /tmp/inputs_base/src [--time --rounds 2]``, base made with
``git archive <commit> src | tar -x -C /tmp/inputs_base``. Not a bench of ``bench/run.py`` (it needs a base
checkout): the leading underscore keeps the runner off it.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _datasets import datasets_dir
from _section_data import load_bbc

HERE = Path(__file__).resolve().parent
OURS = HERE.parent / "src"


def _section(
    sections: Any, classifier: Any, settings: Any, title: str, text: str, language: str | None
) -> Any:
    """The article's section as the enriching worker assigns it (no feed section)."""
    return sections.assign_section(
        title,
        text,
        feed_section=None,
        classifier=classifier,
        settings=settings.sections,
        language=language,
    )


def _pages() -> list[tuple[str, bytes]]:
    base = datasets_dir("article-extraction-benchmark") / "article-extraction-benchmark"
    truth = json.loads((base / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        (truth[k]["url"], gzip.decompress((base / "html" / f"{k}.html.gz").read_bytes()))
        for k in sorted(truth)
    ]


def _bbc() -> list[tuple[str, str]]:
    return [(item.title, item.text) for item in load_bbc()]


def _plain(value: Any) -> Any:
    """Dataclasses as dicts, recursively, so pickles of two checkouts compare by value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float):
        return ("float", value.hex())
    return value


def _articles() -> list[tuple[str, str, str | None]]:
    """(title, text, language) of the pages as this checkout extracts them, then of BBC."""
    from gazette import models
    from gazette.errors import GazetteError
    from gazette.extract.article import extract_article

    found: list[tuple[str, str, str | None]] = []
    for url, html in _pages():
        doc = models.FetchedDocument(
            url=url, final_url=url, status=200, content=html, headers={"content-type": "text/html"}
        )
        try:
            a = extract_article(doc, None)
        except GazetteError:
            continue
        found.append((a.title, a.text, a.language))
    return found


def dump(out: Path) -> None:
    from gazette import models
    from gazette.config import Settings
    from gazette.enrich import briefs, locales, sections
    from gazette.enrich.stories import story_input
    from gazette.errors import GazetteError
    from gazette.extract.article import extract_article
    from gazette.store.search import prepare_entry

    settings = Settings()
    classifier = sections.load_classifier(settings.sections)
    rows: list[Any] = []

    def enrich(title: str, text: str, language: str | None) -> dict[str, Any]:
        section = _section(sections, classifier, settings, title, text, language)
        places = locales.tag_locales(text, title=title, source_country=None)
        brief = briefs.make_brief(text, settings.brief, language=language, title=title)
        prepared = story_input(title, text, language)
        entry = prepare_entry(title, text, language)
        return {
            "section": _plain(section),
            "locales": _plain(places),
            "brief": _plain(brief),
            "features": _plain(prepared.features.to_json()),
            "fingerprint": list(prepared.fingerprint.values),
            "search": [entry.document.title, entry.document.body],
        }

    for url, html in _pages():
        doc = models.FetchedDocument(
            url=url, final_url=url, status=200, content=html, headers={"content-type": "text/html"}
        )
        try:
            a = extract_article(doc, None)
        except GazetteError as exc:
            rows.append({"url": url, "error": type(exc).__name__})
            continue
        a.fetched_at = datetime(2026, 12, 1, tzinfo=UTC)
        row = {"url": url, "article": _plain(a)}
        row.update(enrich(a.title, a.text, a.language))
        rows.append(row)
    for n, (title, text) in enumerate(_bbc()):
        row = {"bbc": n}
        row.update(enrich(title, text, "en"))
        rows.append(row)
    out.write_bytes(pickle.dumps(rows))


def time_stages(out: Path, repeats: int) -> None:
    """CPU seconds per stage over the pages' articles, ``repeats`` passes (after one warm-up pass)."""
    from gazette.config import Settings
    from gazette.enrich import briefs, locales, sections
    from gazette.enrich.stories import story_input
    from gazette.store.search import prepare_entry

    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    try:  # as an enriching process does (pipeline.Enricher)
        from gazette.pipeline import limit_blas_threads
    except ImportError:
        pass
    else:
        limit_blas_threads()
    settings = Settings()
    classifier = sections.load_classifier(settings.sections)
    arts = _articles()
    cpu = {"enrich": 0.0, "brief": 0.0, "worker inputs": 0.0}
    for rep in range(repeats + 1):
        for title, text, language in arts:
            t0 = time.process_time()
            _section(sections, classifier, settings, title, text, language)
            locales.tag_locales(text, title=title, source_country=None)
            t1 = time.process_time()
            briefs.make_brief(text, settings.brief, language=language, title=title)
            t2 = time.process_time()
            story_input(title, text, language)
            prepare_entry(title, text, language)
            t3 = time.process_time()
            if rep:
                cpu["enrich"] += t1 - t0
                cpu["brief"] += t2 - t1
                cpu["worker inputs"] += t3 - t2
    n = len(arts) * repeats
    out.write_text(json.dumps({k: 1000 * v / n for k, v in cpu.items()}))


def _run(src: Path, *args: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(src))
    subprocess.run([sys.executable, str(Path(__file__)), *args], check=True, env=env)


def _diff(a: Any, b: Any, path: str = "") -> str | None:
    if type(a) is not type(b):
        return f"{path}: type {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path}: keys {sorted(set(a) ^ set(b))[:5]} or order differ"
        for k in a:
            d = _diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = _diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {str(a)[:80]!r} != {str(b)[:80]!r}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=Path, default=Path("/tmp/inputs_base/src"))
    parser.add_argument("--time", action="store_true", help="also time the stages, base and change in turns")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-identity", action="store_true")
    parser.add_argument("--_dump", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--_time", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._dump:
        return dump(args._dump)
    if args._time:
        return time_stages(args._time, args.repeats)
    if not (args.base / "gazette").is_dir():
        raise SystemExit(f"no base checkout at {args.base}: git archive <commit> src | tar -x -C <dir>")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_identity:
            outs = {}
            for name, src in (("base", args.base), ("change", OURS)):
                outs[name] = Path(tmp) / f"{name}.pkl"
                _run(src, "--_dump", str(outs[name]))
            base, ours = (pickle.loads(outs[n].read_bytes()) for n in ("base", "change"))
            differing = [
                (i, d) for i, (x, y) in enumerate(zip(base, ours, strict=True)) if (d := _diff(x, y))
            ]
            pages = sum(1 for r in base if "url" in r)
            print(
                f"identity: {len(base)} articles ({pages} pages, {len(base) - pages} BBC); {len(differing)} differ"
            )
            for i, d in differing[:20]:
                print(f"  #{i}{d}")
        if args.time:
            with open("/proc/loadavg") as f:
                print(f"load before timing: {f.read().split()[:3]}")
            results: dict[str, list[dict[str, float]]] = {"base": [], "change": []}
            for r in range(args.rounds):
                order = [("base", args.base), ("change", OURS)]
                if r % 2:
                    order.reverse()
                for name, src in order:
                    path = Path(tmp) / f"t-{name}-{r}.json"
                    _run(src, "--_time", str(path), "--repeats", str(args.repeats))
                    results[name].append(json.loads(path.read_text()))
                    print(
                        f"round {r} {name:<6} "
                        + "  ".join(f"{k} {v:.2f} ms" for k, v in results[name][-1].items())
                    )
            with open("/proc/loadavg") as f:
                print(f"load after timing: {f.read().split()[:3]}")


if __name__ == "__main__":
    main()
