"""Search quality and speed on Multi-News stories: the exact-word search of migration 0002 beside today's.

Data: ``clustering/multinews_longbench200`` (529 articles in 199 stories after the MANIFEST's drops, as
``bench/stories.py`` reads them). For each article the query is the first eight content words of its first
sentence, without accents, with one of them inflected differently ("protesters" → "protester", "remained" →
"remaining"); a reader who remembers a story roughly. The other articles of the same story are the relevant
ones: the bench prints MRR@10 and recall@10 over them (the query's own article is left out of the ranking).

Baseline, measured in the same run on the same rows: the search as migration 0002 built it (exact words,
FTS5 ``unicode61`` / PostgreSQL ``simple`` generated vector, every word required, ``bm25()`` / ``ts_rank``),
with its query code kept below as it was. The database is built at revision 0004, searched the old way, then
upgraded to head (migration 0006 rebuilds the index; its time is printed) and searched the new way.

``--size N`` adds filler articles (sentences of the corpus shuffled into new articles, dated over a year) up to
N articles, for the query times at scale; quality at that size is printed too but is not comparable, since
fillers share the stories' sentences. Times include everything a search page asks of the store (parsing, the
count, the ranked page of 10 with its articles, snippets).

    python bench/search.py [--size 100000] [--no-postgres] [--pg-url URL]

Targets (issue 14): recall@10 up by at least a third; p99 under 50 ms at 100,000 articles.
``query_mix()`` is the query list other benches (bench/scale.py) import.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _datasets import datasets_dir
from alembic import command
from sqlalchemy import Engine, Float, Integer, Text, create_engine, func, literal_column, select, text
from sqlalchemy.orm import Session, selectinload

from gazette.store import listings
from gazette.store.db import Database, alembic_config
from gazette.store.schema import Article

DROP_FLAGS = {"archive_or_web_boilerplate", "duplicate_text_in_other_cluster"}
QUERY_WORDS = 8
TOP = 10
PG_DEFAULT = os.environ.get("GAZETTE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET_RECALL_GAIN = 4 / 3
TARGET_P99_MS = 50.0


@dataclass(frozen=True)
class Doc:
    key: str
    story: str
    text: str


@dataclass(frozen=True)
class BenchQuery:
    """One query of the mix: the article it was made from, its story, and the words a reader types."""

    doc_key: str
    story: str
    text: str


def load_multinews(root: Path | None = None) -> list[Doc]:
    path = (root or datasets_dir()) / "clustering" / "multinews_longbench200" / "articles.jsonl"
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if DROP_FLAGS & set(row.get("flags") or []):
            continue
        docs.append(Doc(row["doc_id"], row["cluster_id"], row["text"]))
    return docs


def _strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def inflect(word: str) -> str:
    """The same word in another inflection, by English spelling rules a reader's memory might follow."""
    lower = word.lower()
    if lower.endswith("ies") and len(lower) > 4:
        return word[:-3] + "y"
    if lower.endswith("ing") and len(lower) > 5:
        return word[:-3] + "ed"
    if lower.endswith("ed") and len(lower) > 4:
        return word[:-2] + "ing"
    if lower.endswith("s") and not lower.endswith("ss"):
        return word[:-1]
    if lower.endswith("y") and len(lower) > 3 and lower[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def query_mix(root: Path | None = None, seed: int = 14) -> list[BenchQuery]:
    """The query of each Multi-News article: eight content words of its first sentence, accents dropped, one
    word inflected differently (the word is chosen with ``seed``). Articles with fewer words are skipped."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    rng = random.Random(seed)
    mix = []
    for doc in load_multinews(root):
        first = re.split(r"(?<=[.!?])\s+", doc.text.strip(), maxsplit=1)[0]
        content = [
            w for w in re.findall(r"[^\W\d_]+", first) if w.lower() not in ENGLISH_STOP_WORDS and len(w) > 1
        ][:QUERY_WORDS]
        if len(content) < QUERY_WORDS:
            continue
        words = [_strip_accents(w) for w in content]
        candidates = [i for i, w in enumerate(words) if len(w) > 3]
        if candidates:
            i = rng.choice(candidates)
            words[i] = inflect(words[i])
        mix.append(BenchQuery(doc.key, doc.story, " ".join(words)))
    return mix


# --- the baseline: migration 0002's search, as store/listings.py had it ---------------------------------------

_OLD_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_HL_START, _HL_END = "\x02", "\x03"


def old_search(session: Session, query: str, limit: int) -> list[Article]:
    """Exact-word search before issue 14 (every word required; FTS5 bm25 / ts_rank), snippets and count too."""
    terms = [w.lower() for w in _OLD_WORD.findall(unicodedata.normalize("NFC", query))][:20]
    if not terms:
        return []
    if session.get_bind().dialect.name == "sqlite":
        fts = (
            text(
                "SELECT rowid AS rowid, bm25(articles_fts, 5.0, 1.0) AS rank, "
                "snippet(articles_fts, 1, :hs, :he, '…', 24) AS snip "
                "FROM articles_fts WHERE articles_fts MATCH :match"
            )
            .bindparams(match=" ".join(f'"{t}"' for t in terms), hs=_HL_START, he=_HL_END)
            .columns(rowid=Integer, rank=Float, snip=Text)
            .subquery("fts")
        )
        score: object = (-fts.c.rank).label("score")
        snippet: object = fts.c.snip.label("snip")
        stmt = select(Article, score, snippet).join(fts, fts.c.rowid == Article.id)  # type: ignore[call-overload]
    else:
        document = literal_column("articles.search_vector")
        tsquery = func.plainto_tsquery("simple", " ".join(terms))
        score = func.ts_rank(document, tsquery).label("score")
        options = f"StartSel={_HL_START}, StopSel={_HL_END}, MaxWords=30, MinWords=12, MaxFragments=1"
        snippet = func.ts_headline("simple", Article.text, tsquery, options).label("snip")
        stmt = select(Article, score, snippet).where(document.op("@@")(tsquery))  # type: ignore[call-overload]
    session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = stmt.order_by(score.desc(), Article.id.desc()).limit(limit)  # type: ignore[attr-defined]
    page = page.options(
        selectinload(Article.source), selectinload(Article.locales), selectinload(Article.brief)
    )
    rows = session.execute(page).all()
    for _art, _rank, snip in rows:
        html.escape(snip or "", quote=False).replace(_HL_START, "<mark>")
    return [art for art, _rank, _snip in rows]


def old_any_word_search(session: Session, query: str, limit: int) -> list[Article]:
    """Ablation, not a shipped method: 0002's exact-word index with any word allowed, ranked by bm25/ts_rank —
    how much of the gain relaxing alone would give, without folding or stemming."""
    terms = [w.lower() for w in _OLD_WORD.findall(unicodedata.normalize("NFC", query))][:20]
    if not terms:
        return []
    if session.get_bind().dialect.name == "sqlite":
        sql = (
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH :m "
            "ORDER BY bm25(articles_fts, 5.0, 1.0), rowid DESC LIMIT :n"
        )
        params: dict[str, object] = {"m": " OR ".join(f'"{t}"' for t in terms), "n": limit}
    else:
        sql = (
            "SELECT id FROM articles WHERE search_vector @@ to_tsquery('simple', :q) "
            "ORDER BY ts_rank(search_vector, to_tsquery('simple', :q)) DESC, id DESC LIMIT :n"
        )
        params = {"q": " | ".join(terms), "n": limit}
    ids = list(session.scalars(text(sql), params))
    found = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(ids)))}
    return [found[i] for i in ids]


def new_search(session: Session, query: str, limit: int) -> list[Article]:
    return [hit.article for hit in listings.search_articles(session, query, limit=limit)[0]]


# --- building the database ----------------------------------------------------------------------------------


def filler_texts(docs: Sequence[Doc], count: int, seed: int = 7) -> list[str]:
    """``count`` made-up articles of 6 to 10 sentences drawn from the whole corpus."""
    sentences = [s for d in docs for s in re.split(r"(?<=[.!?])\s+", d.text) if len(s.split()) > 4]
    rng = random.Random(seed)
    return [" ".join(rng.sample(sentences, rng.randint(6, 10))) for _ in range(count)]


def store_rows(engine: Engine, docs: Sequence[Doc], size: int) -> dict[int, str]:
    """Insert the corpus (and fillers up to ``size``) with plain INSERTs; returns article id → Multi-News key."""
    rng = random.Random(3)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    texts = [(d.key, d.text) for d in docs] + [
        (None, t) for t in filler_texts(docs, max(0, size - len(docs)))
    ]
    keys: dict[int, str] = {}
    insert = text(
        "INSERT INTO articles (id, canonical_url, original_url, title, fetched_at, published_at, text, html, "
        "content_hash, slug, date_path, language) VALUES (:id, :url, :url, '', :when, :when, :text, '', :hash, "
        ":slug, :day, 'en')"
    )
    batch: list[dict[str, object]] = []
    with engine.begin() as conn:
        for n, (key, body) in enumerate(texts, start=1):
            when = start + timedelta(days=rng.random() * 365)
            if key is not None:
                keys[n] = key
            batch.append(
                {
                    "id": n,
                    "url": f"https://bench.example/{n}",
                    "when": when if engine.dialect.name != "sqlite" else when.strftime("%Y-%m-%d %H:%M:%S"),
                    "text": body,
                    "hash": f"h{n}",
                    "slug": f"a{n}",
                    "day": when.strftime("%Y/%m/%d"),
                }
            )
            if len(batch) == 1000:
                conn.execute(insert, batch)
                batch = []
        if batch:
            conn.execute(insert, batch)
    return keys


# --- scoring ------------------------------------------------------------------------------------------------


@dataclass
class Scores:
    mrr: float
    recall: float
    median_ms: float
    p99_ms: float


def run(
    db: Database,
    search: Callable[[Session, str, int], list[Article]],
    mix: Sequence[BenchQuery],
    keys: dict[int, str],
    story_of: dict[str, str],
) -> Scores:
    members: dict[str, set[str]] = {}
    for key, story in story_of.items():
        members.setdefault(story, set()).add(key)
    rr, recalls, times = [], [], []
    with db.session() as s:
        for q in mix:
            started = time.perf_counter()
            found = search(s, q.text, TOP + 1)
            times.append(time.perf_counter() - started)
            others = members[q.story] - {q.doc_key}
            if not others:
                continue
            ranked = [keys.get(a.id) for a in found if keys.get(a.id) != q.doc_key][:TOP]
            hits = [i for i, key in enumerate(ranked) if key in others]
            rr.append(1.0 / (hits[0] + 1) if hits else 0.0)
            recalls.append(len(hits) / len(others))
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return Scores(statistics.mean(rr), statistics.mean(recalls), statistics.median(times) * 1000, p99 * 1000)


def bench_backend(name: str, url: str, docs: Sequence[Doc], mix: Sequence[BenchQuery], size: int) -> None:
    db = Database(url)
    try:
        cfg = alembic_config(db.engine)
        command.upgrade(cfg, "0004")
        started = time.perf_counter()
        keys = store_rows(db.engine, docs, size)
        load_s = time.perf_counter() - started
        story_of = {d.key: d.story for d in docs}
        old = run(db, old_search, mix, keys, story_of)
        # The any-word ablation ranks most of the archive for each query: run at the corpus size only.
        any_word = run(db, old_any_word_search, mix, keys, story_of) if size <= len(docs) else None
        started = time.perf_counter()
        command.upgrade(cfg, "head")
        migrate_s = time.perf_counter() - started
        new = run(db, new_search, mix, keys, story_of)
    finally:
        db.dispose()
    n = max(size, len(docs))
    print(
        f"\n{name}, {n:,} articles (stored with 0002's index in {load_s:.1f} s; 0006 rebuilt it in {migrate_s:.1f} s)"
    )
    if size > len(docs):
        print("(fillers repeat the stories' sentences: quality at this size is not comparable; times are)")
    print("| method | MRR@10 | recall@10 | median ms | p99 ms |")
    print("|---|---|---|---|---|")
    rows = (
        ("exact words, migration 0002 (baseline)", old),
        ("ablation: 0002's index, any word, bm25/ts_rank", any_word),
        ("folded + stemmed, issue 14 (shipped)", new),
    )
    for label, sc in rows:
        if sc is not None:
            print(f"| {label} | {sc.mrr:.3f} | {sc.recall:.3f} | {sc.median_ms:.1f} | {sc.p99_ms:.1f} |")
    gain = f"×{new.recall / old.recall:.1f}" if old.recall else "from 0"
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (times are wall clock, machine shared)"
    )
    print(
        f"recall@10 {old.recall:.3f} → {new.recall:.3f} ({gain}; target ×{TARGET_RECALL_GAIN:.2f}); "
        f"p99 {new.p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f} ms at 100,000 articles)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size", type=int, default=0, help="articles in the database (default: the corpus only)"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--pg-url", default=PG_DEFAULT, help="a PostgreSQL database to make a scratch schema in"
    )
    args = parser.parse_args(argv)
    docs = load_multinews()
    mix = query_mix()
    print(f"{len(mix)} queries from {len(docs)} Multi-News articles, e.g. {mix[0].text!r}")
    with tempfile.TemporaryDirectory() as tmp:
        bench_backend("SQLite", f"sqlite:///{tmp}/bench.db", docs, mix, args.size)
    if args.no_postgres:
        return 0
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(args.pg_url, connect_args={"connect_timeout": 3})
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - the bench still reports SQLite
        print(f"\nPostgreSQL skipped: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 0
    try:
        bench_backend("PostgreSQL", f"{args.pg_url}?options=-csearch_path%3D{schema}", docs, mix, args.size)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
