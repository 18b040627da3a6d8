"""Scale benchmark: uncached read latency of `gazette serve` with N synthetic articles, on SQLite and PostgreSQL.

Generates N articles directly as rows (10 sections, 60 sources, dates over a year with 5 % undated, 8 languages,
places in 24 countries with regions, multi-source stories, briefs), bulk-loads them — COPY on PostgreSQL,
executemany in transactions on SQLite, through the same migrations and triggers as a real desk — then starts
`gazette serve` with the response cache off (`GAZETTE_SITE_CACHE=false`) and times, over one keep-alive httpx
connection, the front page and the section, source, day, month, country, region and stories listings (pages 1
to 50), search queries, the sitemap index and one full sitemap file. Also prints bytes stored per article.

    python bench/scale.py                      # quick: 20,000 articles
    python bench/scale.py --articles 1000000   # the full run (about an hour here)
    python bench/scale.py --databases sqlite   # one database only
    python bench/scale.py --articles 1000000 --keep /var/tmp/gz --no-measure   # load now, keep the databases
    python bench/scale.py --articles 1000000 --keep /var/tmp/gz                # measure later (no reload)

With `--keep DIR` the SQLite file (DIR/scale-N.db) and the PostgreSQL schema (gz_scale_keep_N) stay after the run,
and a later run with the same `--keep` and `--articles` measures them without loading again, so the slow load of
a full run can happen while the machine is busy and the latencies be taken when it is quiet.

Targets (issue 10), on both databases, uncached: listings and front page p99 < 50 ms, search p99 < 100 ms, a
50,000-URL sitemap < 2 s. These are latencies of one client, not throughput. Then (``--ingest-probe N``, 100 by
default) N pages are stored one by one into the loaded store and into an empty one, in turns, and the cost of
storing and placing one article is printed for each, with the ratio (bench/_ingest_probe.py): the issue wants
story assignment to cost the same at 100 or 1,000,000 articles stored, and this checks the whole store write. Each figure is printed with its
target, and as a `RESULT name value target` line for bench/run.py.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import _ingest_probe as probe
import httpx

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("GAZETTE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
GAZETTE = [sys.executable, "-c", "from gazette.cli import app; app()"]

SECTIONS = [
    "politics-government",
    "business-finance",
    "science-technology",
    "health",
    "sports",
    "arts-entertainment",
    "crime-justice",
    "conflict-security",
    "environment",
    "society",
]
SECTION_WEIGHTS = [18, 14, 9, 7, 12, 8, 10, 6, 6, 10]
LANGUAGES = ["en", "en", "en", "es", "es", "fr", "de", "pt", "it", "en-GB"]
# (code, name, regions) — regions as (ISO 3166-2 code, name)
COUNTRIES = [
    ("US", "United States", [("US-CA", "California"), ("US-NY", "New York"), ("US-TX", "Texas")]),
    ("GB", "United Kingdom", [("GB-ENG", "England"), ("GB-SCT", "Scotland")]),
    ("FR", "France", [("FR-IDF", "Île-de-France"), ("FR-PAC", "Provence-Alpes-Côte d'Azur")]),
    ("DE", "Germany", [("DE-BE", "Berlin"), ("DE-BY", "Bavaria")]),
    ("ES", "Spain", [("ES-MD", "Madrid"), ("ES-CT", "Catalonia"), ("ES-AN", "Andalucía")]),
    ("VE", "Venezuela", [("VE-F", "Bolívar"), ("VE-O", "Nueva Esparta"), ("VE-D", "Aragua")]),
    ("CO", "Colombia", [("CO-ANT", "Antioquia"), ("CO-DC", "Bogotá")]),
    ("MX", "Mexico", [("MX-CMX", "Ciudad de México"), ("MX-JAL", "Jalisco")]),
    ("BR", "Brazil", [("BR-SP", "São Paulo"), ("BR-RJ", "Rio de Janeiro")]),
    ("AR", "Argentina", [("AR-B", "Buenos Aires")]),
    ("IT", "Italy", [("IT-25", "Lombardy"), ("IT-62", "Lazio")]),
    ("PT", "Portugal", [("PT-11", "Lisboa")]),
    ("IN", "India", [("IN-MH", "Maharashtra"), ("IN-DL", "Delhi")]),
    ("CN", "China", [("CN-BJ", "Beijing")]),
    ("JP", "Japan", [("JP-13", "Tokyo")]),
    ("NG", "Nigeria", [("NG-LA", "Lagos")]),
    ("ZA", "South Africa", [("ZA-GP", "Gauteng")]),
    ("EG", "Egypt", [("EG-C", "Cairo")]),
    ("UA", "Ukraine", [("UA-30", "Kyiv")]),
    ("RU", "Russia", [("RU-MOW", "Moscow")]),
    ("AU", "Australia", [("AU-NSW", "New South Wales")]),
    ("CA", "Canada", [("CA-ON", "Ontario"), ("CA-QC", "Quebec")]),
    ("KE", "Kenya", [("KE-110", "Nairobi")]),
    ("CL", "Chile", [("CL-RM", "Santiago Metropolitan")]),
]
COUNTRY_WEIGHTS = [30, 14, 8, 8, 9, 5, 4, 5, 5, 3, 4, 2, 6, 5, 4, 3, 2, 2, 4, 3, 3, 3, 1, 1]
WORDS = (
    "government minister election vote parliament budget tax market bank inflation company shares price "
    "energy oil gas water drought flood storm climate heat river harbour port ship trade export import "
    "hospital doctor nurse vaccine clinic patient school teacher student university research study science "
    "court judge police prison trial crime fraud border army soldier ceasefire protest strike union worker "
    "match goal league final coach player season festival film music museum theatre artist book city town "
    "village council mayor road bridge rail train airport flight housing rent farm harvest fishing coast "
    "island mountain forest wildlife reserve power grid solar wind battery software data network phone "
    "desalination quarterly tariff referendum coalition subsidy pension wage refinery pipeline cyclone"
).split()
SEARCH_FALLBACK = [
    "election",
    "water",
    "budget vote",
    "harbour port",
    "desalination",
    "quarterly",
    "vaccine clinic",
    "climate flood storm",
    "court trial judge",
    "solar battery grid",
    "ceasefire",
    "tariff export",
]
BASE = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Corpus:
    """The generated rows, column lists in load order."""

    sources: list[tuple[Any, ...]] = field(default_factory=list)
    articles: list[tuple[Any, ...]] = field(default_factory=list)
    locales: list[tuple[Any, ...]] = field(default_factory=list)
    briefs: list[tuple[Any, ...]] = field(default_factory=list)
    stories: list[tuple[Any, ...]] = field(default_factory=list)
    members: list[tuple[Any, ...]] = field(default_factory=list)


ARTICLE_COLUMNS = (
    "id, canonical_url, original_url, guid, source_id, feed_id, title, author, site, language, published_at, "
    "updated_at, fetched_at, text, html, content_hash, section, section_confidence, section_method, slug, date_path"
)
LOCALE_COLUMNS = (
    "article_id, position, kind, name, country_code, country_name, region_code, region_name, geonames_id, "
    "lat, lon, mentions, spans, confidence, salience"
)
BRIEF_COLUMNS = 'article_id, position, text, source_start, source_end, kind, "check"'
STORY_COLUMNS = "id, title, slug, first_seen, updated_at, article_count, source_count"
MEMBER_COLUMNS = "article_id, story_id, similarity"


def generate(n: int, seed: int = 10) -> Corpus:
    """N articles as rows; deterministic for a seed."""
    rng = random.Random(seed)
    corpus = Corpus()
    for i in range(1, 61):
        corpus.sources.append(
            (i, f"Source {i:02d}", f"source-{i:02d}", f"https://source{i:02d}.example/", None, i % 5 == 0)
        )
    story_id = 0
    open_story: list[Any] | None = None  # [id, title, slug, first, last, count, sources]
    for i in range(1, n + 1):
        when = BASE + timedelta(seconds=int(365 * 86400 * i / n) + rng.randrange(3600))
        fetched = when + timedelta(minutes=rng.randrange(5, 240))
        published = None if rng.random() < 0.05 else when
        section = rng.choices(SECTIONS, SECTION_WEIGHTS)[0]
        source_id = rng.randrange(1, 61)
        words = rng.choices(WORDS, k=rng.randrange(120, 260))
        title_words = rng.sample(WORDS, 6)
        title = " ".join(title_words).capitalize()
        sentences = [" ".join(words[j : j + 15]).capitalize() + "." for j in range(0, len(words), 15)]
        paras = [" ".join(sentences[j : j + 4]) for j in range(0, len(sentences), 4)]
        text = "\n\n".join(paras)
        html = "".join(f"<p>{p}</p>" for p in paras)
        day = (published or fetched).strftime("%Y/%m/%d")
        slug = "-".join(title_words)[:80] + f"-{i}"
        lang = LANGUAGES[i % len(LANGUAGES)]
        corpus.articles.append(
            (
                i,
                f"https://source{source_id:02d}.example/news/{i}",
                f"https://source{source_id:02d}.example/news/{i}?utm=feed",
                None,
                source_id,
                None,
                title,
                None,
                f"source{source_id:02d}.example",
                lang,
                published,
                None,
                fetched,
                text,
                html,
                f"{i:064x}",
                section,
                0.8,
                "classifier",
                slug,
                day,
            )
        )
        first = len(paras[0])
        corpus.briefs.append((i, 0, paras[0], 0, first, "extracted", None))
        if len(paras) > 1:
            start = text.index(paras[1])
            corpus.briefs.append((i, 1, paras[1], start, start + len(paras[1]), "extracted", None))
        if (
            rng.random() < 0.8
        ):  # most articles name a place: a region (and its country), sometimes two countries
            k = rng.choices(range(len(COUNTRIES)), COUNTRY_WEIGHTS)[0]
            code, cname, regions = COUNTRIES[k]
            rcode, rname = rng.choice(regions)
            corpus.locales.append(
                (i, 0, "region", rname, code, cname, rcode, rname, None, None, None, 2, "[]", 0.9, 0.8)
            )
            corpus.locales.append(
                (i, 1, "country", cname, code, cname, None, None, None, None, None, 1, "[]", 0.9, 0.5)
            )
            if rng.random() < 0.2:
                code2, cname2, _ = COUNTRIES[rng.choices(range(len(COUNTRIES)), COUNTRY_WEIGHTS)[0]]
                if code2 != code:
                    corpus.locales.append(
                        (
                            i,
                            2,
                            "country",
                            cname2,
                            code2,
                            cname2,
                            None,
                            None,
                            None,
                            None,
                            None,
                            1,
                            "[]",
                            0.7,
                            0.2,
                        )
                    )
        # Stories: runs of 2-6 consecutive articles (about 40 % of articles are in a multi-source story).
        if open_story is not None and open_story[5] < open_story[7] and rng.random() < 0.9:
            open_story[4] = published or fetched
            open_story[5] += 1
            open_story[6].add(source_id)
            corpus.members.append((i, open_story[0], 0.8))
            continue
        if open_story is not None:
            corpus.stories.append(tuple(open_story[:5]) + (open_story[5], len(open_story[6])))
        story_id += 1
        size = rng.choice([1, 1, 1, 1, 2, 3, 4, 6])
        open_story = [
            story_id,
            title,
            slug[:80],
            published or fetched,
            published or fetched,
            1,
            {source_id},
            size,
        ]
        corpus.members.append((i, story_id, 1.0))
    if open_story is not None:
        corpus.stories.append(tuple(open_story[:5]) + (open_story[5], len(open_story[6])))
    return corpus


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return v


def _rows(rows: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        yield tuple(_sqlite_value(v) for v in row)


def migrate(url: str) -> None:
    from gazette.store.db import Database

    db = Database(url)
    db.init()
    db.dispose()


# Memberships written in bulk: the story index's marker moves past them (and its epoch on, so that a window read
# before is read afresh), as ``gazette backfill``'s writes leave it; the next placement numbers its row after them.
_MARKER_PAST_MEMBERS = (
    "UPDATE story_index_state SET epoch = epoch + 1, "
    "last_membership = (SELECT coalesce(max(id), 0) FROM article_stories) WHERE id = 1"
)


def load_sqlite(path: Path, corpus: Corpus) -> float:
    import sqlite3

    url = f"sqlite:///{path}"
    migrate(url)
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    with conn:
        conn.executemany(
            "INSERT INTO sources (id, name, slug, home_url, country, republish_full_text) VALUES (?, ?, ?, ?, ?, ?)",
            corpus.sources,
        )
    batch = 20_000
    by_article: dict[int, list[tuple[Any, ...]]] = {}
    for name, rows in (("locales", corpus.locales), ("briefs", corpus.briefs), ("members", corpus.members)):
        for row in rows:
            by_article.setdefault(row[0], []).append((name, row))
    conn.executemany(
        f"INSERT INTO stories ({STORY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", _rows(corpus.stories)
    )
    conn.commit()
    for start in range(0, len(corpus.articles), batch):
        chunk = corpus.articles[start : start + batch]
        ids = [row[0] for row in chunk]
        with conn:
            conn.executemany(
                f"INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES ({', '.join('?' * 21)})", _rows(chunk)
            )
            rows = [r for i in ids for r in by_article.get(i, [])]
            conn.executemany(
                f"INSERT INTO article_locales ({LOCALE_COLUMNS}) VALUES ({', '.join('?' * 15)})",
                (r for name, r in rows if name == "locales"),
            )
            conn.executemany(
                f"INSERT INTO brief_sentences ({BRIEF_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (r for name, r in rows if name == "briefs"),
            )
            conn.executemany(
                f"INSERT INTO article_stories ({MEMBER_COLUMNS}) VALUES (?, ?, ?)",
                (r for name, r in rows if name == "members"),
            )
        print(f"  sqlite: {min(start + batch, len(corpus.articles)):,} articles", end="\r", flush=True)
    with conn:
        conn.execute(_MARKER_PAST_MEMBERS)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return time.perf_counter() - started


def load_postgres(url: str, schema: str, corpus: Corpus) -> float:
    import psycopg

    migrate(url)
    started = time.perf_counter()
    dsn = PG_ADMIN.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, options=f"-csearch_path={schema}") as conn:
        with conn.cursor() as cur:
            for table, columns, rows in (
                ("sources", "id, name, slug, home_url, country, republish_full_text", corpus.sources),
                ("stories", STORY_COLUMNS, corpus.stories),
                ("articles", ARTICLE_COLUMNS, corpus.articles),
                ("article_locales", LOCALE_COLUMNS, corpus.locales),
                ("brief_sentences", BRIEF_COLUMNS, corpus.briefs),
                ("article_stories", MEMBER_COLUMNS, corpus.members),
            ):
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                print(f"  postgresql: {table} copied", " " * 20, end="\r", flush=True)
            for table in (
                "sources",
                "stories",
                "articles",
                "article_locales",
                "brief_sentences",
                "article_stories",
            ):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            cur.execute(_MARKER_PAST_MEMBERS)
        conn.commit()
        conn.autocommit = True
        for table in ("articles", "article_locales", "brief_sentences", "stories", "article_stories"):
            # what autovacuum does shortly after a bulk load (PostgreSQL 13+): statistics and the visibility
            # map that index-only scans need
            conn.execute(f"VACUUM (ANALYZE) {table}")
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


@functools.cache
def search_mix() -> tuple[list[str], str]:
    """The query mix of bench/search.py (its ``query_mix()``: eight content words of each Multi-News article's
    first sentence, one inflected) when that benchmark and its data are here, else our vocabulary mix."""
    path = ROOT / "bench" / "search.py"
    if path.exists():
        sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location("bench_search", path)
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            sys.modules["bench_search"] = module  # its dataclasses look their module up
            try:
                spec.loader.exec_module(module)
                queries = [q.text for q in module.query_mix()]
                if queries:
                    return queries, f"bench/search.py query_mix ({len(queries)} queries)"
            except Exception as exc:  # noqa: BLE001 - fall back, and say so
                print(f"  bench/search.py's query mix could not be read ({exc}); using the vocabulary mix")
    return SEARCH_FALLBACK, "vocabulary mix (bench/search.py's data is not here)"


def targets(corpus: Corpus, rng: random.Random, per_kind: int) -> dict[str, list[str]]:
    days = sorted({row[20] for row in corpus.articles})
    months = sorted({d[:7] for d in days})
    from slugify import slugify

    def page(base: str, held: int) -> str:
        """A page from 1 to 50 (fewer when the listing is shorter) of a listing of ``held`` articles."""
        k = rng.randint(1, max(1, min(50, held // 20)))
        return base if k == 1 else f"{base}page/{k}/"

    per_section: dict[str, int] = {}
    per_source: dict[int, int] = {}
    for row in corpus.articles:
        per_section[row[16]] = per_section.get(row[16], 0) + 1
        per_source[row[4]] = per_source.get(row[4], 0) + 1
    per_country: dict[str, set[int]] = {}
    for row in corpus.locales:
        per_country.setdefault(row[4], set()).add(row[0])
    countries = [(slugify(c[1]), len(per_country.get(c[0], ()))) for c in COUNTRIES[:12]]
    region_paths = [f"/locale/{slugify(c[1])}/{slugify(r[1])}/" for c in COUNTRIES[:12] for r in c[2]]
    queries = search_mix()[0]
    stories = sum(1 for st in corpus.stories if st[5] >= 2)
    sources = [rng.randint(1, 60) for _ in range(per_kind)]
    picked = [rng.choice(countries) for _ in range(per_kind)]
    sections = [rng.choice(SECTIONS) for _ in range(per_kind)]
    return {
        "front": ["/"] * per_kind,
        "section": [page(f"/{s}/", per_section.get(s, 0)) for s in sections],
        "source": [page(f"/source/source-{i:02d}/", per_source.get(i, 0)) for i in sources],
        "day": [f"/archive/{rng.choice(days)}/" for _ in range(per_kind)],
        "month": [f"/archive/{rng.choice(months)}/" for _ in range(per_kind)],
        "country": [page(f"/locale/{slug}/", held) for slug, held in picked],
        "region": [rng.choice(region_paths) for _ in range(per_kind)],
        "stories": [page("/stories/", stories) for _ in range(per_kind)],
        "search": [f"/search?{urlencode({'q': rng.choice(queries)})}" for _ in range(per_kind)],
        # words of the synthetic vocabulary: each matches a large share of the corpus (the costly case)
        "search_words": [f"/search?{urlencode({'q': rng.choice(SEARCH_FALLBACK)})}" for _ in range(per_kind)],
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), for the server's CPU per request."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(base: str, corpus: Corpus, per_kind: int, label: str, pid: int) -> dict[str, float]:
    rng = random.Random(4)
    out: dict[str, float] = {}
    with httpx.Client(base_url=base, timeout=120) as client:
        for kind, paths in targets(corpus, rng, per_kind).items():
            client.get(paths[0])  # the first request warms the process, not the data
            times: list[float] = []
            statuses: dict[int, int] = {}
            cpu_before = cpu_seconds(pid)
            for path in paths:
                started = time.perf_counter()
                r = client.get(path)
                times.append(time.perf_counter() - started)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            cpu_ms = (cpu_seconds(pid) - cpu_before) / len(paths) * 1000
            p50, p99 = statistics.median(times) * 1000, percentile(times, 0.99) * 1000
            target = 100 if kind.startswith("search") else 50
            bad = {k: v for k, v in statuses.items() if k != 200}
            print(
                f"  {kind:<12} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  server CPU {cpu_ms:6.1f} ms/request  "
                f"(target p99 < {target} ms){'  non-200: ' + json.dumps(bad) if bad else ''}"
            )
            print(f"RESULT {label}.{kind}.p99_ms {p99:.1f} {target}")
            print(f"RESULT {label}.{kind}.server_cpu_ms {cpu_ms:.1f} -")
            out[kind] = p99
        started = time.perf_counter()
        index = client.get("/sitemap.xml")
        index_s = time.perf_counter() - started
        urls = index.text.count("<url>")
        if "<sitemapindex" in index.text:
            print(f"  sitemap index: {index.text.count('<sitemap>')} parts in {index_s:.2f} s")
            started = time.perf_counter()
            part = client.get("/sitemap-1.xml")
            part_s = time.perf_counter() - started
            urls = part.text.count("<url>")
            print(f"  sitemap-1.xml: {urls:,} URLs in {part_s:.2f} s (target < 2 s for 50,000)")
        else:
            part_s = index_s
            print(
                f"  sitemap.xml (one file, no index at this size): {urls:,} URLs in {index_s:.2f} s (target < 2 s for 50,000)"
            )
        print(f"RESULT {label}.sitemap_index_s {index_s:.2f} -")
        print(f"RESULT {label}.sitemap_file_s {part_s:.2f} 2")
        out["sitemap"] = part_s
    return out


def serve(url: str, label: str, corpus: Corpus, per_kind: int) -> dict[str, float]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GAZETTE_")}
    env.update(
        GAZETTE_DATABASE_URL=url, GAZETTE_SITE_CACHE="false", GAZETTE_SITE_BASE_URL=f"http://127.0.0.1:{port}"
    )
    proc = subprocess.Popen(
        [*GAZETTE, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/robots.txt", timeout=2)
                break
            except httpx.HTTPError as exc:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit(
                        f"gazette serve did not start: {proc.stderr.read().decode() if proc.stderr else ''}"
                    ) from exc
                time.sleep(0.2)
        return measure(f"http://127.0.0.1:{port}", corpus, per_kind, label, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000, help="articles to load (full run: 1000000)")
    parser.add_argument("--requests", type=int, default=100, help="requests per page kind")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="keep the loaded databases (SQLite file in this folder, PostgreSQL "
        "schema gz_scale_keep_N) and reuse them when they already hold N articles",
    )
    parser.add_argument(
        "--schema",
        default=None,
        help="with --keep: the PostgreSQL schema to keep and reuse (default gz_scale_keep_N), so a copy with "
        "newer migrations can sit beside a kept desk",
    )
    parser.add_argument(
        "--no-measure", action="store_true", help="load (or check) the databases, measure nothing"
    )
    parser.add_argument(
        "--ingest-probe",
        type=int,
        default=100,
        metavar="N",
        help="after the reads, store N benchmark pages into the loaded store and an empty one, in turns, and "
        "print the cost per article in each (bench/_ingest_probe.py); 0 skips it, and so does --keep (the "
        "probe's articles would stay in the kept store)",
    )
    args = parser.parse_args()
    wanted = [d.strip() for d in args.databases.split(",") if d.strip()]

    started = time.perf_counter()
    corpus = generate(args.articles)
    print(
        f"generated {len(corpus.articles):,} articles, {len(corpus.locales):,} place rows, "
        f"{len(corpus.stories):,} stories in {time.perf_counter() - started:.1f} s"
    )
    print(f"search queries: {search_mix()[1]}")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start (latencies grow with it)"
    )
    probing = args.ingest_probe > 0 and not args.keep
    if args.ingest_probe > 0 and args.keep:
        print("ingest probe: skipped with --keep (its articles would stay in the kept store)")
    # the busiest source: the probe's articles come from the source that has published most
    busiest_id = Counter(row[4] for row in corpus.articles).most_common(1)[0][0]
    busiest = next(row[1] for row in corpus.sources if row[0] == busiest_id)
    probe_articles = functools.cache(lambda: probe.prepared_articles(args.ingest_probe + probe.WARM_UP))
    with tempfile.TemporaryDirectory(prefix="gazette-scale-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if "sqlite" in wanted:
            path = folder / f"scale-{args.articles}.db"
            if args.keep and path.exists() and sqlite_count(path) == args.articles:
                print(f"sqlite: reusing {path} ({args.articles:,} articles)")
            else:
                for old in folder.glob(f"{path.name}*"):
                    old.unlink()
                seconds = load_sqlite(path, corpus)
                print(f"sqlite: loaded in {seconds:.1f} s ({args.articles / seconds:,.0f} articles/s)")
            size = sum(p.stat().st_size for p in folder.glob(f"{path.name}*"))
            print(f"sqlite: {size / args.articles:,.0f} bytes stored per article")
            print(f"RESULT sqlite.bytes_per_article {size / args.articles:.0f} -")
            if not args.no_measure:
                serve(f"sqlite:///{path}", "sqlite", corpus, args.requests)
                if probing:
                    probe.run_probe(
                        "sqlite",
                        f"sqlite:///{path}",
                        f"sqlite:///{Path(tmp) / 'probe-empty.db'}",
                        busiest,
                        args.articles,
                        probe_articles(),
                    )
        if "postgresql" in wanted:
            from sqlalchemy import create_engine, text

            schema = (
                (args.schema or f"gz_scale_keep_{args.articles}")
                if args.keep
                else f"gz_scale_{uuid.uuid4().hex[:8]}"
            )
            admin = create_engine(PG_ADMIN)
            url = f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
            try:
                if args.keep and postgres_count(admin, schema) == args.articles:
                    print(f"postgresql: reusing schema {schema} ({args.articles:,} articles)")
                else:
                    with admin.begin() as conn:
                        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                    seconds = load_postgres(url, schema, corpus)
                    print(
                        f"postgresql: loaded in {seconds:.1f} s ({args.articles / seconds:,.0f} articles/s)"
                    )
                with admin.begin() as conn:
                    size = conn.execute(
                        text(
                            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
                            "ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind IN ('r', 'm')"
                        ),
                        {"s": schema},
                    ).scalar()
                print(f"postgresql: {int(size) / args.articles:,.0f} bytes stored per article")
                print(f"RESULT postgresql.bytes_per_article {int(size) / args.articles:.0f} -")
                if not args.no_measure:
                    serve(url, "postgresql", corpus, args.requests)
                    if probing:
                        empty_schema = f"gz_scale_probe_{uuid.uuid4().hex[:8]}"
                        with admin.begin() as conn:
                            conn.execute(text(f'CREATE SCHEMA "{empty_schema}"'))
                        try:
                            probe.run_probe(
                                "postgresql",
                                url,
                                f"{PG_ADMIN}?options=-csearch_path%3D{empty_schema}",
                                busiest,
                                args.articles,
                                probe_articles(),
                            )
                        finally:
                            with admin.begin() as conn:
                                conn.execute(text(f'DROP SCHEMA "{empty_schema}" CASCADE'))
            finally:
                if not args.keep:
                    with admin.begin() as conn:
                        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


def sqlite_count(path: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(path) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return -1


def postgres_count(admin: Any, schema: str) -> int:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with admin.connect() as conn:
            return int(conn.execute(text(f'SELECT count(*) FROM "{schema}".articles')).scalar() or 0)
    except SQLAlchemyError:
        return -1


if __name__ == "__main__":
    main()
