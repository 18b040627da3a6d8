"""Story pages: "More on this story" on article pages, /story/<id>/<slug>/, /stories/, sitemap and static build.

The articles are stored through the real store and placed in stories with the real ``assign_story``: the
publish corpus (February 2026), plus the demo corpus's two multi-source stories (November 2026: the
Venezuelan blackout told by two English sources and one Spanish one, and a football match told by two) and a
near-copy of the Caribbean Ledger's blackout article published by the Harbour Ledger.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import html5lib
import pytest
from sqlalchemy import create_engine, text

from gazette import models
from gazette.config import Settings
from gazette.demo.corpus import CorpusArticle, load_corpus, load_sources
from gazette.publish.app import create_app
from gazette.publish.pages import Site
from gazette.publish.static import build_site
from gazette.publish.syndication import sitemap_paths
from gazette.store import articles as article_store
from gazette.store import stories as story_store
from gazette.store.db import Database
from gazette.store.sources import get_or_create_source
from tests.conftest import PG_ADMIN_URL, PG_AVAILABLE, require_service
from tests.publish.conftest import corpus_database, parse
from tests.publish.publish_corpus import assign_stories

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BLACKOUT = "venezuela-blackout-2026-11"
MATCH = "wcq-tt-canada-2026-11"
COPY_TITLE = "Eastern Venezuela spends a second night without power"
SOURCE_NAMES = {s.slug: s.name for s in load_sources()}
UNDATED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _demo_story_articles() -> list[CorpusArticle]:
    return [a for a in load_corpus() if a.story in (BLACKOUT, MATCH)]


def _model(a: CorpusArticle, *, url: str | None = None, title: str | None = None) -> models.Article:
    url = url or f"https://{a.source}.example/{a.slug}"
    body = a.text
    return models.Article(
        url=url,
        canonical_url=url,
        title=title or a.title,
        text=body,
        html=None,
        published_at=a.published,
        fetched_at=a.published or UNDATED,
        language=a.language,
        content_hash=hashlib.sha256(f"{url}\n{body}".encode()).hexdigest(),
        section=models.SectionAssignment(a.section, a.section, 0.9, "feed"),
        locales=[models.Locale("Venezuela", "country", "VE", "Venezuela", salience=0.5)]
        if a.story == BLACKOUT
        else [],
    )


def add_story_articles(db: Database) -> None:
    """The whole demo corpus and one near-copy, stored, then every article placed in its story."""
    articles = _demo_story_articles()
    with db.session() as s:
        for a in load_corpus():
            source = get_or_create_source(s, SOURCE_NAMES[a.source])
            article_store.save_article(s, _model(a), source_id=source.id, feed_id=None)
        original = next(a for a in articles if a.source == "caribbean-ledger" and a.story == BLACKOUT)
        copy = _model(original, url="https://harbour-ledger.example/wire/blackout", title=COPY_TITLE)
        assert original.published is not None
        copy.published_at = copy.fetched_at = original.published + timedelta(hours=3)
        harbour = get_or_create_source(s, "Harbour Ledger")
        article_store.save_article(s, copy, source_id=harbour.id, feed_id=None)
    assign_stories(db)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def story_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, Database]]:
    """The publish corpus plus the story articles, on SQLite and on PostgreSQL (read-only tests)."""
    if request.param == "sqlite":
        with corpus_database(f"sqlite:///{tmp_path_factory.mktemp('stories')}/gazette.db") as built:
            add_story_articles(built[1])
            yield built
        return
    if not PG_AVAILABLE:
        require_service("PostgreSQL at 127.0.0.1:5432 is not reachable")
    schema = f"gz_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        with corpus_database(f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}") as built:
            add_story_articles(built[1])
            yield built
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def client(story_site: tuple[Settings, Database]) -> TestClient:
    settings, db = story_site
    return TestClient(create_app(settings, db), raise_server_exceptions=False)


def _path_of(db: Database, title: str) -> tuple[int, str]:
    with db.session() as s:
        for article_id in story_store.article_order(s):
            a = story_store.articles_by_ids(s, [article_id])[article_id]
            if a.title == title:
                return a.id, a.path
    raise AssertionError(f"no article titled {title!r}")


def _story(db: Database, key: str) -> tuple[int, str, str]:
    """(id, path, title) of the story the demo articles with this key were placed in."""
    first = next(a for a in _demo_story_articles() if a.story == key and a.source == "caribbean-ledger")
    article_id, _ = _path_of(db, first.title)
    with db.session() as s:
        story = story_store.story_of(s, article_id)
        assert story is not None
        return story.id, story.path, story.title


def _titles(key: str) -> dict[str, CorpusArticle]:
    return {a.title: a for a in _demo_story_articles() if a.story == key}


def _strict(html: str) -> None:
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
    assert len(document.findall(".//h1")) == 1
    assert document.find("head/title").text
    for script in document.iter("script"):
        assert script.get("src") and not (script.text or "").strip()  # no inline script: the CSP holds
    assert all(el.get("style") is None for el in document.iter())


# --- article pages ------------------------------------------------------------------------------------


def test_article_page_lists_other_sources_on_the_story_newest_first(
    client: TestClient, story_site: tuple[Settings, Database]
) -> None:
    _, db = story_site
    story_id, story_path, _ = _story(db, BLACKOUT)
    titles = _titles(BLACKOUT)
    ledger = next(t for t, a in titles.items() if a.source == "caribbean-ledger")
    _, path = _path_of(db, ledger)
    response = client.get(path)
    assert response.status_code == 200
    _strict(response.text)
    page = parse(response.text)
    assert page.find("aside", **{"class": "more-on-story"})
    assert "More on this story" in page.text
    section = response.text[response.text.index('class="more-on-story"') :]
    section = section[: section.index("</aside>")]
    others = sorted(
        (a for t, a in titles.items() if t != ledger), key=lambda a: a.published or 0, reverse=True
    )
    # Newest first, each with its source's name and date; the near-copy of this very article is left out.
    positions = [section.index(a.title) for a in others]
    assert positions == sorted(positions)
    for a in others:
        assert SOURCE_NAMES[a.source] in section
        assert a.published is not None and a.published.isoformat()[:10] in section
    assert COPY_TITLE not in section
    assert ledger not in section
    assert section.count("<li") == 2
    for a in others:
        _, other_path = _path_of(db, a.title)
        assert f'href="{other_path}"' in section
        assert client.get(other_path).status_code == 200
    # The Spanish headline is marked as Spanish on the English page.
    spanish = next(a for a in others if a.language == "es")
    assert f'lang="es"><a href="{_path_of(db, spanish.title)[1]}"' in section
    assert f'href="{story_path}"' in section and "All 4 articles on this story" in section
    assert story_path == f"/story/{story_id}/{story_path.split('/')[3]}/"


def test_near_copy_page_lists_the_other_sources_but_not_its_original(
    client: TestClient, story_site: tuple[Settings, Database]
) -> None:
    _, db = story_site
    _, path = _path_of(db, COPY_TITLE)
    page = client.get(path).text
    section = page[page.index('class="more-on-story"') : page.index("</aside>", page.index("more-on-story"))]
    ledger = next(t for t, a in _titles(BLACKOUT).items() if a.source == "caribbean-ledger")
    assert ledger not in section
    assert section.count("<li") == 2


def test_lone_article_has_no_story_section_or_link(client: TestClient) -> None:
    from tests.publish.conftest import article_path

    page = client.get(article_path(client, "Bakery chain opens its tenth shop")).text
    assert "More on this story" not in page
    assert "/story/" not in page
    assert 'class="story-link"' not in page


def test_print_view_leaves_the_story_section_out(
    client: TestClient, story_site: tuple[Settings, Database]
) -> None:
    _, db = story_site
    ledger = next(t for t, a in _titles(BLACKOUT).items() if a.source == "caribbean-ledger")
    _, path = _path_of(db, ledger)
    response = client.get(path + "?view=print")
    assert response.status_code == 200
    assert "More on this story" not in response.text and "/story/" not in response.text


# --- /story/<id>/<slug>/ ------------------------------------------------------------------------------


def test_story_page_lists_every_article_and_marks_the_near_copy(
    client: TestClient, story_site: tuple[Settings, Database]
) -> None:
    _, db = story_site
    _, story_path, story_title = _story(db, BLACKOUT)
    response = client.get(story_path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    _strict(response.text)
    page = parse(response.text)
    assert page.h1 == [story_title]
    assert "4 articles from 4 sources (1 near-copy)" in page.text
    assert "in en, es" in page.text
    titles = _titles(BLACKOUT)
    items = response.text[response.text.index('<ol class="story-articles">') :]
    # Oldest first: the order the story was reported in.
    dated = sorted(titles.values(), key=lambda a: a.published or 0)
    positions = [items.index(a.title) for a in dated]
    assert positions == sorted(positions)
    for title, a in titles.items():
        _, path = _path_of(db, title)
        assert f'href="{path}"' in items
        assert SOURCE_NAMES[a.source] in items
        assert f'href="/{a.section}/"' in items  # the section, linked
    assert 'href="/locale/venezuela/">VENEZUELA</a>' in items  # the locales, linked
    assert items.count('class="story-article copy"') == 1
    copy_item = items[items.index(COPY_TITLE) :]
    copy_item = copy_item[: copy_item.index("</li>")]
    ledger = next(t for t, a in titles.items() if a.source == "caribbean-ledger")
    assert "Near-copy" in copy_item and ledger in copy_item and "Caribbean Ledger" in copy_item
    assert f'href="{_path_of(db, ledger)[1]}"' in copy_item
    spanish = next(a for a in titles.values() if a.language == "es")
    assert f'lang="es">\n    <h2 class="card-title"><a href="{_path_of(db, spanish.title)[1]}"' in items


def test_story_page_caching_headers_and_revalidation(
    client: TestClient, story_site: tuple[Settings, Database]
) -> None:
    _, db = story_site
    _, story_path, _ = _story(db, BLACKOUT)
    first = client.get(story_path)
    assert first.headers["cache-control"] == "public, max-age=300"
    assert first.headers["etag"] and first.headers["last-modified"]
    assert "script-src 'self'" in first.headers["content-security-policy"]
    again = client.get(story_path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    since = client.get(story_path, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    assert client.head(story_path).status_code == 200


def test_unknown_story_wrong_slug_and_bad_ids_are_404(
    client: TestClient, story_site: tuple[Settings, Database]
) -> None:
    _, db = story_site
    story_id, story_path, _ = _story(db, BLACKOUT)
    slug = story_path.split("/")[3]
    for path in (
        f"/story/{story_id}/not-the-slug/",
        f"/story/{story_id + 10_000}/{slug}/",
        f"/story/0{story_id}/{slug}/",
        f"/story/abc/{slug}/",
        f"/story/{story_id}/",
        f"/story/{story_id}/..%2f/",
        "/story/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["cache-control"] == "no-store", path
        assert "There is no page at this address." in response.text, path


def test_a_story_of_one_article_is_not_linked_or_listed(
    client: TestClient, story_site: tuple[Settings, Database]
) -> None:
    settings, db = story_site
    article_id, path = _path_of(db, "Bakery chain opens its tenth shop")
    with db.session() as s:
        story = story_store.story_of(s, article_id)
        assert story is not None and story.article_count == 1
        lone = story.path
    assert lone not in client.get("/stories/").text
    assert lone not in {p for p, _ in sitemap_paths(Site(settings, db))}


# --- /stories/ ----------------------------------------------------------------------------------------


def test_stories_page_lists_multi_article_stories_most_recent_first(
    client: TestClient, story_site: tuple[Settings, Database]
) -> None:
    _, db = story_site
    _, blackout_path, blackout_title = _story(db, BLACKOUT)
    _, match_path, match_title = _story(db, MATCH)
    response = client.get("/stories/")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=120"
    _strict(response.text)
    page = parse(response.text)
    assert page.h1 == ["Stories"]
    body = response.text
    assert body.index(blackout_path) < body.index(match_path)  # the blackout was updated later
    assert blackout_title in body and match_title in body
    assert "4 articles from 4 sources: Caribbean Ledger" in page.text
    with db.session() as s:
        expected = {st.path for st in story_store.recent_stories(s, limit=1000, min_articles=2)}
    assert {link for link in page.links() if link.startswith("/story/")} == expected
    assert client.get("/stories/page/2/").status_code == 404  # five stories a page: one page here
    assert client.get("/stories/page/1/").status_code == 404  # page 1 lives at /stories/ itself
    # Every page links /stories/ from its footer.
    assert "/stories/" in parse(client.get("/").text).links()


def test_stories_pagination(story_site: tuple[Settings, Database]) -> None:
    settings, db = story_site
    one = dataclasses.replace(settings, site=dataclasses.replace(settings.site, page_size=1))
    small = TestClient(create_app(one, db), raise_server_exceptions=False)
    with db.session() as s:
        total = len(story_store.recent_stories(s, limit=1000, min_articles=2))
    assert total >= 2
    first = parse(small.get("/stories/").text)
    assert "/stories/page/2/" in first.links()
    last = small.get(f"/stories/page/{total}/")
    assert last.status_code == 200
    _strict(last.text)
    assert "/stories/page/" + str(total + 1) + "/" not in parse(last.text).links()
    assert small.get(f"/stories/page/{total + 1}/").status_code == 404


def test_stories_page_without_stories(fresh_site: tuple[Settings, Database]) -> None:
    settings, db = fresh_site  # the corpus, no article placed in a story
    response = TestClient(create_app(settings, db)).get("/stories/")
    assert response.status_code == 200
    _strict(response.text)
    assert "No stories yet" in response.text


# --- sitemap and static build -------------------------------------------------------------------------


def test_sitemap_lists_story_pages(client: TestClient, story_site: tuple[Settings, Database]) -> None:
    _, db = story_site
    sitemap = client.get("/sitemap.xml").text
    for key in (BLACKOUT, MATCH):
        _, path, _ = _story(db, key)
        assert f"<loc>http://gazette.test{path}</loc>" in sitemap
    assert "<loc>http://gazette.test/stories/</loc>" in sitemap


def test_static_build_writes_story_pages_without_broken_links(
    story_site: tuple[Settings, Database], tmp_path: Path
) -> None:
    settings, db = story_site
    report = build_site(settings, db, tmp_path / "site")
    assert report.broken == []
    files = set(report.files)
    assert "stories/index.html" in files
    for key in (BLACKOUT, MATCH):
        _, path, _ = _story(db, key)
        built = path.lstrip("/") + "index.html"
        assert built in files
        html = (tmp_path / "site" / built).read_text(encoding="utf-8")
        _strict(html)
        assert "/api/docs" not in html  # the static page, not the live one


# --- JSON API -----------------------------------------------------------------------------------------


def test_api_lists_stories_with_cursor_pagination(
    client: TestClient, story_site: tuple[Settings, Database]
) -> None:
    _, db = story_site
    blackout_id, blackout_path, _ = _story(db, BLACKOUT)
    answer = client.get("/api/stories").json()
    assert [item["path"] for item in answer["items"]][:1] == [blackout_path]
    first = answer["items"][0]
    assert first["id"] == blackout_id and first["article_count"] == 4 and first["source_count"] == 4
    assert first["url"] == f"http://gazette.test{blackout_path}"
    assert answer["next_cursor"] is None
    assert all(item["article_count"] >= 2 for item in answer["items"])
    paged = client.get("/api/stories", params={"limit": 1}).json()
    assert len(paged["items"]) == 1 and paged["next_cursor"]
    second = client.get("/api/stories", params={"limit": 1, "cursor": paged["next_cursor"]}).json()
    assert second["items"][0]["id"] == answer["items"][1]["id"]
    every = client.get("/api/stories", params={"min_articles": 1, "limit": 100}).json()["items"]
    assert len(every) > len(answer["items"])
    assert client.get("/api/stories", params={"cursor": "!!"}).status_code == 400
    assert client.get("/api/stories", params={"min_articles": 0}).status_code == 400


def test_api_story_lists_its_articles_with_copies_named(
    client: TestClient, story_site: tuple[Settings, Database]
) -> None:
    _, db = story_site
    story_id, story_path, story_title = _story(db, BLACKOUT)
    response = client.get(f"/api/stories/{story_id}")
    assert response.status_code == 200 and response.headers["etag"]
    answer = response.json()
    assert answer["title"] == story_title and answer["path"] == story_path
    by_title = {a["title"]: a for a in answer["articles"]}
    assert set(by_title) == set(_titles(BLACKOUT)) | {COPY_TITLE}
    ledger = next(t for t, a in _titles(BLACKOUT).items() if a.source == "caribbean-ledger")
    assert by_title[COPY_TITLE]["duplicate_of"] == by_title[ledger]["id"]
    assert [a["duplicate_of"] for t, a in by_title.items() if t != COPY_TITLE] == [None, None, None]
    missing = client.get(f"/api/stories/{story_id + 10_000}")
    assert missing.status_code == 404 and missing.json()["error"]["status"] == 404
    assert "/api/stories/{story_id}" in client.get("/api/openapi.json").json()["paths"]


def test_story_without_other_sources_links_its_page_but_has_no_section(
    fresh_site: tuple[Settings, Database],
) -> None:
    """An article whose story holds only its own source's articles: no "More on this story", one link."""
    settings, db = fresh_site
    from tests.publish.publish_corpus import build_articles

    source, original = next(
        (src, a) for src, a in build_articles() if a.title == "Insurers raise flood premiums"
    )
    assert original.published_at is not None
    follow_up = dataclasses.replace(
        original,
        url="https://harbour-ledger.example/news/insurers-again",
        canonical_url="https://canonical.example/insurers-again",
        title="Flood premiums rise for river houses",
        text="Insurers raised flood premiums again for houses near the river.\n\nOwners can still appeal the rates.",
        html=None,
        content_hash="hash-insurers-again",
        published_at=original.published_at + timedelta(hours=5),
    )
    with db.session() as s:
        harbour = get_or_create_source(s, source)
        article_store.save_article(s, follow_up, source_id=harbour.id, feed_id=None)
    assign_stories(db)
    app = TestClient(create_app(settings, db))
    article_id, path = _path_of(db, "Insurers raise flood premiums")
    with db.session() as s:
        story = story_store.story_of(s, article_id)
        assert story is not None and story.article_count == 2 and story.source_count == 1
        story_path = story.path
    html = app.get(path).text
    _strict(html)
    assert "More on this story" not in html
    assert f'Part of a story: <a href="{story_path}">all 2 articles</a>' in html
    story_page = app.get(story_path)
    assert story_page.status_code == 200 and "2 articles from 1 source," in parse(story_page.text).text
    assert "Near-copy" not in story_page.text


def test_rebuild_after_an_article_joins_a_story_rewrites_the_story_and_its_articles(
    fresh_site: tuple[Settings, Database], tmp_path: Path
) -> None:
    settings, db = fresh_site
    late = next(a for a in _demo_story_articles() if a.source == "northern-wire" and a.story == BLACKOUT)
    with db.session() as s:
        for a in load_corpus():
            if a is not late:
                source = get_or_create_source(s, SOURCE_NAMES[a.source])
                article_store.save_article(s, _model(a), source_id=source.id, feed_id=None)
    assign_stories(db)
    story_id, story_path, _ = _story(db, BLACKOUT)
    out = tmp_path / "site"
    before = build_site(settings, db, out)
    assert before.broken == []
    members = [_path_of(db, t)[1].lstrip("/") for t in _titles(BLACKOUT) if t != late.title]

    with db.session() as s:
        source = get_or_create_source(s, SOURCE_NAMES[late.source])
        article_store.save_article(s, _model(late), source_id=source.id, feed_id=None)
    assign_stories(db)
    assert _story(db, BLACKOUT)[:2] == (story_id, story_path)  # it joined the story already there
    after = build_site(settings, db, out)
    assert after.broken == []
    written = set(after.written)
    new_page = _path_of(db, late.title)[1].lstrip("/")
    story_file = story_path.lstrip("/") + "index.html"
    assert {new_page, story_file, "stories/index.html", "sitemap.xml"} <= written
    assert set(members) <= written  # their "More on this story" now lists the new article
    assert late.title in (out / story_file).read_text(encoding="utf-8")
    for member in members:
        assert late.title in (out / member).read_text(encoding="utf-8")
    assert after.removed == []


# --- permanent story URLs -----------------------------------------------------------------------------


def test_recluster_keeps_story_urls_and_redirects_a_merged_one(
    fresh_site: tuple[Settings, Database], tmp_path: Path
) -> None:
    from sqlalchemy import update

    from gazette.pipeline import recluster
    from gazette.store.story_schema import ArticleStory

    settings, db = fresh_site
    add_story_articles(db)
    story_id, story_path, _ = _story(db, BLACKOUT)
    match_id, match_path, _ = _story(db, MATCH)
    spanish = next(a for a in _demo_story_articles() if a.story == BLACKOUT and a.language == "es")
    spanish_id, _ = _path_of(db, spanish.title)
    # an earlier clustering had the Spanish article in a story of its own (as before cross-language names)
    with db.session() as s:
        split = story_store.create_story(s, spanish.title, spanish.published or UNDATED)
        s.execute(update(ArticleStory).where(ArticleStory.article_id == spanish_id).values(story_id=split.id))
        story_store.refresh_story(s, split.id)
        story_store.refresh_story(s, story_id)
        split_id, split_path = split.id, split.path
    app = TestClient(create_app(settings, db), raise_server_exceptions=False)
    assert app.get(split_path).status_code == 200
    out = tmp_path / "site"
    assert build_site(settings, db, out).broken == []

    with db.session() as s:
        report = recluster(s)
    assert report.redirected == 1 and report.kept == report.stories
    assert _story(db, BLACKOUT)[:2] == (story_id, story_path)  # most of its articles stayed: same URL
    assert _story(db, MATCH)[:2] == (match_id, match_path)
    moved = app.get(split_path, follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == story_path
    assert (
        app.get(f"/story/{split_id}/another-slug/", follow_redirects=False).headers["location"] == story_path
    )
    assert app.get(split_path).status_code == 200  # followed, it lands on the story page
    assert app.get(f"/story/{split_id + 10_000}/x/", follow_redirects=False).status_code == 404

    after = build_site(settings, db, out)
    assert after.broken == []
    page = (out / split_path.lstrip("/") / "index.html").read_text(encoding="utf-8")
    target = f"http://gazette.test{story_path}"
    assert f'<meta http-equiv="refresh" content="0; url={target}">' in page
    assert f'<link rel="canonical" href="{target}">' in page
    lines = (out / "_redirects").read_text(encoding="utf-8").splitlines()
    assert f"{split_path} {story_path} 301" in lines
    assert f"/story/{split_id}/* {story_path} 301" in lines


def test_an_emptied_story_leads_to_where_its_article_went(fresh_site: tuple[Settings, Database]) -> None:
    from gazette.pipeline import assign_story

    settings, db = fresh_site
    add_story_articles(db)
    lone = next(a for a in load_corpus() if a.story is None)
    other = next(a for a in load_corpus() if a.story is None and a is not lone)
    article_id, _ = _path_of(db, lone.title)
    with db.session() as s:
        old = story_store.story_of(s, article_id)
        assert old is not None
        old_id, old_path = old.id, old.path
        row = story_store.articles_by_ids(s, [article_id])[article_id]
        row.title, row.text = other.title, other.text + " Updated."  # rewritten into another event
        s.flush()
        result = assign_story(s, row)
    assert result.story_id != old_id  # an id is never handed out twice, on SQLite too
    app = TestClient(create_app(settings, db), raise_server_exceptions=False)
    moved = app.get(old_path, follow_redirects=False)
    assert moved.status_code == 301
    with db.session() as s:
        assert moved.headers["location"] == story_store.story_by_id(s, result.story_id).path  # type: ignore[union-attr]
