"""Full-text search through the site: FTS5 on SQLite, tsvector + GIN on PostgreSQL — the same result sets (English
and Spanish, every piece of the query syntax), filters, hostile queries, the page and its marks.

Each search behaviour (folding, stemming, syntax, ranking, the index's transaction) has its own test in
tests/store/test_search.py."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text
from starlette.testclient import TestClient

from gazette.config import Settings
from gazette.publish.search import SEARCH_HELP_URL
from gazette.store import listings
from gazette.store.db import Database, alembic_config
from gazette.store.listings import ArticleFilter
from gazette.store.schema import Article
from tests.conftest import PG_AVAILABLE, require_service
from tests.publish.conftest import parse
from tests.publish.publish_corpus import fill
from tests.store import search_corpus

# query → titles the corpus must give, whatever the backend
EXPECTED = {
    "desalination": {
        "Desalination plant passes its first test",
        "Solar pumps for the desalination works",
        "Desalination brine worries divers",
    },
    "quarterly": {"Assembly debates the harbour budget", "Shipping firm reports quarterly gains"},
    "QUARTERLY gains": {"Shipping firm reports quarterly gains"},
    "Bolívar": {"Released prisoners face travel bans"},
    "BOLÍVAR": {"Released prisoners face travel bans"},
    "bolivar": {"Released prisoners face travel bans"},
    "prisoner": {"Released prisoners face travel bans"},
    "peces": {"El río recupera sus peces"},
    "harbour budget": {"Assembly debates the harbour budget"},
}
HOSTILE = [
    '"',
    '"unbalanced',
    "desalination*",
    "desalination OR",
    "AND OR NOT",
    "NEAR(desalination plant)",
    "title:desalination",
    "desalination^2",
    "-desalination",
    "desalination & | ! :* <->",
    "'; DROP TABLE articles; --",
    "(((",
    "\\",
    "%_",
    "\x00",
    "🙂 desalination",
]

# Punctuation is dropped; operator words (OR, NEAR, AND) are searched for as plain words, like any other.
PUNCTUATED = ["desalination*", "-desalination", "desalination & | ! :* <->", "🙂 desalination"]


def titles(hits: list[listings.SearchHit]) -> set[str]:
    return {hit.article.title for hit in hits}


def full(hits: list[listings.SearchHit]) -> set[str]:
    """Titles of the hits holding every word (articles with only some of them may follow)."""
    return {hit.article.title for hit in hits if not hit.partial}


def test_expected_results_on_this_backend(site: tuple[Settings, Database]) -> None:
    _settings, db = site
    with db.session() as s:
        for query, expected in EXPECTED.items():
            hits, total = listings.search_articles(s, query, limit=50)
            assert full(hits) == expected, query
            assert total == len(hits) >= len(expected)


def test_hostile_queries_never_raise(site: tuple[Settings, Database], client: TestClient) -> None:
    _settings, db = site
    with db.session() as s:
        for query in HOSTILE:
            hits, total = listings.search_articles(s, query)
            assert total == len(hits)
            if query in PUNCTUATED:
                assert total == 3, query
    for query in HOSTILE:
        assert client.get("/search", params={"q": query}).status_code == 200, query
        assert client.get("/api/search", params={"q": query}).status_code == 200, query


def test_filters_combine_with_the_words(site: tuple[Settings, Database]) -> None:
    _settings, db = site
    from datetime import date

    with db.session() as s:
        venezuela = listings.find_place(s, "venezuela")
        assert venezuela is not None
        source = listings.source_by_slug(s, "harbour-ledger")
        assert source is not None
        cases = [
            (ArticleFilter(section="environment"), "desalination", {"Desalination brine worries divers"}),
            (ArticleFilter(source_id=source.id), "quarterly", EXPECTED["quarterly"]),
            (
                ArticleFilter(country_code=venezuela.country_code),
                "released",
                {"Released prisoners face travel bans"},
            ),
            (
                ArticleFilter(country_code="VE", region_code="VE-D"),
                "families",
                {"Released prisoners face travel bans"},
            ),
            (ArticleFilter(country_code="CO"), "released", set()),
            (
                ArticleFilter(language="es"),
                "el",
                {
                    "El consejo aprueba el presupuesto regional",
                    "Los ganaderos venden más carne al exterior",
                    "Investigadores estudian el suelo del llano",
                    "El río recupera sus peces",
                },
            ),
            (
                ArticleFilter(date_from=date(2026, 2, 15), date_to=date(2026, 2, 18)),
                "desalination",
                {
                    "Solar pumps for the desalination works",
                    "Desalination brine worries divers",
                },
            ),
            (ArticleFilter(date_to=date(2026, 2, 13)), "desalination", set()),
        ]
        for flt, query, expected in cases:
            hits, total = listings.search_articles(s, query, flt, limit=50)
            assert titles(hits) == expected, (flt, query)
            assert total == len(expected)


def test_ranking_pagination_and_highlighted_snippets(site: tuple[Settings, Database]) -> None:
    _settings, db = site
    with db.session() as s:
        first, total = listings.search_articles(s, "desalination", limit=2)
        rest, _ = listings.search_articles(s, "desalination", limit=2, offset=2)
        assert total == 3 and len(first) == 2 and len(rest) == 1
        assert not titles(first) & titles(rest)
        assert [h.rank for h in first] == sorted((h.rank for h in first), reverse=True)
        for hit in first + rest:
            assert "<mark>" in hit.snippet_html.lower()
            assert "desalination" in hit.snippet_html.lower()
        nasty, _ = listings.search_articles(s, "safe")
        assert all("<script" not in h.snippet_html for h in nasty)


def test_search_page_shows_hits_with_marks_and_filters(client: TestClient) -> None:
    response = client.get("/search", params={"q": "desalination", "section": "environment"})
    assert response.status_code == 200
    page = parse(response.text)
    assert page.h1 == ["Search"]
    assert "1 result for “desalination”." in page.text
    assert "<mark>desalination</mark>" in response.text
    assert page.find("a", href="/content/2026/02/18/desalination-brine-worries-divers.html")
    assert any(o.get("value") == "environment" and "selected" in o for o in page.find("option"))
    for name in ("q", "section", "source", "locale", "language", "from", "to"):
        assert page.find("input", name=name) or page.find("select", name=name), name
    everything = parse(client.get("/search", params={"q": "desalination", "locale": "venezuela"}).text)
    assert "0 results" in everything.text
    empty = client.get("/search")
    assert empty.status_code == 200 and "result" not in parse(empty.text).text.lower()


def test_search_page_links_the_guide_and_sets_partial_hits_apart(client: TestClient) -> None:
    response = client.get("/search", params={"q": "quarterly gains"})
    assert response.status_code == 200
    page = parse(response.text)
    guide = page.find("a", href=SEARCH_HELP_URL)
    assert guide and SEARCH_HELP_URL.endswith("/docs/search.md")
    heading = "Articles with only some of the words"
    assert heading in page.text
    # the one article with both words comes before the heading, the one with "quarterly" alone after it
    assert response.text.index("Shipping firm reports quarterly gains") < response.text.index(heading)
    assert response.text.index(heading) < response.text.index("Assembly debates the harbour budget")
    answer = client.get("/api/search", params={"q": "quarterly gains"}).json()
    assert [item["partial"] for item in answer["items"]] == [False, True]
    only_full = parse(client.get("/search", params={"q": "desalination"}).text)
    assert heading not in only_full.text


def test_search_pages(client: TestClient) -> None:
    page_one = parse(client.get("/search", params={"q": "the"}).text)
    link = page_one.find("a", rel="next")
    assert link and "page=2" in str(link[0]["href"])
    page_two = client.get(str(link[0]["href"]))
    assert page_two.status_code == 200
    assert parse(page_two.text).find("a", rel="prev")


def test_fts_index_follows_updates_and_deletes(fresh_site: tuple[Settings, Database]) -> None:
    _settings, db = fresh_site
    with db.session() as s:
        article = s.scalars(select_title("Library lends telescopes")).one()
        article.text = article.text + " Astronomers applauded."
    with db.session() as s:
        hits, _ = listings.search_articles(s, "astronomers")
        assert titles(hits) == {"Library lends telescopes"}
        s.delete(s.scalars(select_title("Library lends telescopes")).one())
    with db.session() as s:
        assert listings.search_articles(s, "astronomers") == ([], 0)
        assert listings.search_articles(s, "telescopes") == ([], 0)


def select_title(title: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    return select(Article).where(Article.title == title)


def test_migration_0002_down_and_up(db_url: str) -> None:
    """0002's unstemmed index (checked with its own SQL) covers rows stored before it; 0006 replaces it."""
    db = Database(db_url)
    cfg = alembic_config(db.engine)
    dialect = db.engine.dialect.name

    def fts_present() -> bool:
        with db.engine.connect() as conn:
            if dialect == "sqlite":
                return "articles_fts" in inspect(conn).get_table_names()
            return any(ix["name"] == "ix_articles_fts" for ix in inspect(conn).get_indexes("articles"))

    def old_search(word: str) -> int:
        with db.engine.connect() as conn:
            if dialect == "sqlite":
                sql = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH :w"
            else:
                sql = "SELECT count(*) FROM articles WHERE search_vector @@ plainto_tsquery('simple', :w)"
            return int(conn.execute(text(sql), {"w": word}).scalar_one())

    try:
        command.upgrade(cfg, "0001")
        with db.engine.begin() as conn:  # an article stored before search existed
            conn.execute(
                text(
                    "INSERT INTO articles (canonical_url, original_url, title, fetched_at, text, html, "
                    "content_hash, slug, date_path) VALUES ('https://x.example/1', 'https://x.example/1', "
                    "'Zeppelin returns', '2026-02-01 00:00:00', 'The zeppelin landed.', '', 'h', 'zeppelin', "
                    "'2026/02/01')"
                )
            )
        assert not fts_present()
        command.upgrade(cfg, "0002")
        assert fts_present()
        assert old_search("zeppelin") == 1  # the index covers rows stored before it
        command.downgrade(cfg, "0001")
        assert not fts_present()
        command.upgrade(cfg, "head")
        assert not fts_present()  # 0006's index replaced it
        with db.session() as s:
            assert titles(listings.search_articles(s, "Zeppelins landed")[0]) == {"Zeppelin returns"}
    finally:
        db.dispose()


TRICKY = (
    "The U.S. economy grew 3.5% in 2026. Mail press@harbour.example or see www.harbour.example/news?x=1. "
    "COVID-19 cases fell after 9/11 at 10:30 a.m.; he paid $1,200.50 for co-operation. "
    "L'économie d'aujourd'hui, naïve café, ÅNGSTRÖM, snake_case_word, version 2.0.1-beta, half-time 3-2 win."
)
TRICKY_QUERIES = [
    "U.S.",
    "u s",
    "3.5",
    "5",
    "2026",
    "harbour.example",
    "press",
    "www",
    "news",
    "covid-19",
    "covid",
    "19",
    "9/11",
    "11",
    "10:30",
    "a.m.",
    "1,200.50",
    "200",
    "co-operation",
    "operation",
    "l'économie",
    "économie",
    "aujourd",
    "ÅNGSTRÖM",
    "ångström",
    "snake_case_word",
    "case",
    "2.0.1-beta",
    "beta",
    "3-2",
    "half",
    "time",
]


def store_tricky(db: Database) -> None:
    from gazette import models
    from gazette.store import articles as article_store

    with db.session() as s:
        source_id = listings.source_by_slug(s, "harbour-ledger").id  # type: ignore[union-attr]
        article = models.Article(
            url="https://harbour-ledger.example/tricky",
            canonical_url="https://harbour-ledger.example/tricky",
            title="Punctuation, numbers and addresses",
            text=TRICKY,
            content_hash="tricky",
            source="Harbour Ledger",
        )
        article_store.save_article(s, article, source_id=source_id, feed_id=None)


# The new syntax and the Spanish and English inflections, over the search corpus stored beside this one.
SYNTAX_QUERIES = [
    "blackouts",
    "blackout",
    "prisoner",
    "excarcelado",
    "apagones",
    "apagon",
    "Bolivar",
    "Bolívar",
    "Merida",
    "MÉRIDA",
    "preso",
    '"power cut"',
    '"cut power"',
    '"cortes se repiten"',
    "power cut",
    "excarcelado OR apagones",
    "prisoners OR presos court",
    "blackouts -mines",
    'bolivar -"power cut" -apagón',
    "blacko*",
    "excarcel*",
    "Bolí*",
    "prisoners*",
    "bolivar blackout",
    "blackout budget",
    "island crossings",
    "ferry",
    "smelters",
    '"power cut',
    "-apagones",
    "OR excarcelados",
    "excarcelados OR",
    "harbour* -budget",
    "la OR el",
    "de la",
]


@pytest.mark.postgres
def test_same_result_sets_on_sqlite_and_postgresql(sqlite_url: str, pg_url: str) -> None:
    if not PG_AVAILABLE:
        require_service("PostgreSQL is not reachable")
    queries = [
        *EXPECTED,
        *HOSTILE,
        *TRICKY_QUERIES,
        *SYNTAX_QUERIES,
        "the",
        "a",
        "el",
        "la",
        "report",
        "río",
        "children's ward",
        "e-mail",
        "2026",
    ]
    results: dict[str, dict[str, tuple[set[tuple[str, bool]], int]]] = {}
    for name, url in (("sqlite", sqlite_url), ("postgresql", pg_url)):
        db = Database(url)
        db.init()
        fill(db)
        fill(db, search_corpus.build())
        store_tricky(db)
        with db.session() as s:
            results[name] = {}
            for query in queries:
                hits, total = listings.search_articles(s, query, limit=100)
                results[name][query] = ({(h.article.title, h.partial) for h in hits}, total)
        db.dispose()
    for query in queries:
        assert results["sqlite"][query] == results["postgresql"][query], query
    assert results["sqlite"]["the"][1] > 5
    for query in TRICKY_QUERIES:  # each finds the article on both backends
        found = {title for title, partial in results["postgresql"][query][0] if not partial}
        assert "Punctuation, numbers and addresses" in found, query
    for query in SYNTAX_QUERIES[:12]:  # the inflections and foldings each find something
        assert results["postgresql"][query][1] > 0, query
