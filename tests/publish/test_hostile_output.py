"""Issue 9, "our own output": what Gazette serves must not turn hostile text into markup, must answer every
malformed API parameter with a 400 (never a 500), and must carry its policy, dates, metadata and compression as a
careful site does — all checked over real HTTP on 127.0.0.1 (uvicorn for the live site, ``python -m http.server``
for the static build)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazette import models
from gazette.config import Settings
from gazette.publish.app import create_app
from gazette.publish.cache import cached_app
from gazette.publish.pages import ASSETS, asset_fingerprints
from gazette.publish.policy import CSP, SECURITY_HEADERS, content_security_policy
from gazette.publish.static import build_site
from gazette.store.db import Database
from tests.publish.conftest import asset_url, parse
from tests.publish.publish_corpus import (
    BASE_DAY,
    LiveServer,
    build_articles,
    corpus_settings,
    fill,
    free_port,
)
from tests.publish.test_static import StaticServer

HOSTILE_TEXT = (
    'Before <img src=x onerror="alert(1)"> after & more.\n\n<script>alert(2)</script> second <b>bold</b>'
)
HOSTILE_TITLE = "Markup in the text <img src=x onerror=alert(1)>"
UNDATED = "Sin fecha: la asamblea vecinal se reúne"
UNDATED_FETCHED = BASE_DAY + timedelta(days=3, minutes=30)  # between the articles of Feb 13 and Feb 14


def hostile_articles() -> list[tuple[str, models.Article]]:
    """The corpus, plus one article whose text looks like markup (full text and brief), and the undated
    article fetched in the middle of the corpus's dates rather than after them."""
    articles = build_articles()
    for _source, article in articles:
        if article.title == UNDATED:
            article.fetched_at = UNDATED_FETCHED
    first_para = HOSTILE_TEXT.split("\n\n")[0]
    hostile = models.Article(
        url="https://harbour-ledger.example/news/hostile",
        canonical_url="https://canonical.example/hostile",
        title=HOSTILE_TITLE,
        text=HOSTILE_TEXT,
        html="<p>ignored</p>",
        published_at=BASE_DAY + timedelta(days=30),
        fetched_at=BASE_DAY + timedelta(days=30),
        language="en",
        content_hash="hash-hostile",
        source="Harbour Ledger",
        section=models.SectionAssignment("Health", "health", 0.9, "feed"),
        brief=[models.BriefSentence(0, first_para, 0, len(first_para))],
    )
    return [*articles, ("Harbour Ledger", hostile), ("Valley Courier", _copy(hostile, "valley"))]


def _copy(article: models.Article, tag: str) -> models.Article:
    import dataclasses

    return dataclasses.replace(
        article,
        url=f"{article.url}-{tag}",
        canonical_url=f"{article.canonical_url}-{tag}",
        content_hash=f"{article.content_hash}-{tag}",
        title=f"{article.title} ({tag})",
        published_at=(article.published_at or BASE_DAY) - timedelta(minutes=1),
    )


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Database]]:
    folder = tmp_path_factory.mktemp("hostile-output")
    settings = corpus_settings(f"sqlite:///{folder}/corpus.db")
    db = Database(settings.database_url)
    db.init()
    fill(db, hostile_articles())
    try:
        yield settings, db
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def live(hostile_db: tuple[Settings, Database]) -> Iterator[httpx.Client]:
    """An HTTP client on the live app (uvicorn on a free 127.0.0.1 port)."""
    settings, db = hostile_db
    with LiveServer(settings, db) as server, httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


# --- item 6: RSS descriptions are escaped text in <p>, never markup ------------------------------------------


@pytest.mark.parametrize(
    "path", ["/feed.rss", "/source/harbour-ledger/feed.rss", "/source/valley-courier/feed.rss"]
)
def test_rss_description_carries_text_not_elements(live: httpx.Client, path: str) -> None:
    body = live.get(path).content
    for sanitize in (True, False):  # what a careful reader and a careless one both see
        parsed = feedparser.parse(body, sanitize_html=sanitize)
        entry = next(e for e in parsed.entries if e.title.startswith(HOSTILE_TITLE))
        summary = entry.summary
        assert "<img" not in summary and "<script" not in summary and "<b>" not in summary, summary
        assert summary.startswith("<p>") and summary.endswith("</p>"), summary
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in summary or (
            '&lt;img src=x onerror="alert(1)"&gt;' in summary
        ), summary
        assert "after &amp; more." in summary
    # every description of the feed is paragraphs, one <p> per paragraph of the text
    channel = ET.fromstring(body).find("channel")
    assert channel is not None
    for item in channel.iter("item"):
        description = item.findtext("description") or ""
        assert re.fullmatch(r"(<p>[^<>]*</p>)+", description), description


@pytest.mark.parametrize("path", ["/feed.atom", "/source/harbour-ledger/feed.atom"])
def test_atom_summary_and_content_carry_text_not_elements(live: httpx.Client, path: str) -> None:
    # type="html" with escaped paragraphs: safe also for readers that ignore type="text"
    parsed = feedparser.parse(live.get(path).content, sanitize_html=False)
    entry = next(e for e in parsed.entries if e.title.startswith(HOSTILE_TITLE))
    values = [entry.summary, *(c.value for c in entry.get("content", []))]
    for value in values:
        assert "<img" not in value and "<script" not in value and value.startswith("<p>"), value
        assert "&lt;img src=x onerror=" in value


def test_full_text_keeps_its_paragraphs_in_rss(live: httpx.Client) -> None:
    channel = ET.fromstring(live.get("/source/harbour-ledger/feed.rss").content).find("channel")
    assert channel is not None
    item = next(i for i in channel.iter("item") if i.findtext("title") == HOSTILE_TITLE)
    assert (item.findtext("description") or "").count("<p>") == 2  # the republishing source: both paragraphs


# --- item 7: malformed cursors, filters and numbers are 400 with the error object, never 500 ----------------


def b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


BAD_CURSORS = [
    b64('["Infinity", 1]'),
    b64("[Infinity, 1]"),
    b64("[-Infinity]"),
    b64("[NaN]"),
    b64("[1e999]"),
    b64("[" * 5000 + "]" * 5000),
    b64('{"a": ' * 3000 + "1" + "}" * 3000),
    b64('["2026-02-10T08:00:00", 1]'),  # no offset
    b64('["0001-01-01T00:00:00+05:00", 1]'),  # before year 1 in UTC
    b64('["2026-02-10T08:00:00+00:00", Infinity]'),
    b64('["2026-02-10T08:00:00+00:00", NaN]'),
    b64('["2026-02-10T08:00:00+00:00", 1e308]'),
    b64('["2026-02-10T08:00:00+00:00", true]'),
    b64('["2026-02-10T08:00:00+00:00", 99999999999]'),
    b64("[true]"),
    b64("[1.5]"),
    b64('"text"'),
    base64.urlsafe_b64encode(b"\xff\xfe[1]").decode(),  # not UTF-8
    "%%%",
    "A" * 5000,
    "",
]


def assert_error_object(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, (response.request.url, response.text[:300])
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return dict(body["error"])


@pytest.mark.parametrize("cursor", BAD_CURSORS)
@pytest.mark.parametrize("endpoint", ["/api/articles", "/api/search?q=desalination", "/api/stories"])
def test_malformed_cursors_are_400(live: httpx.Client, endpoint: str, cursor: str) -> None:
    response = live.get(endpoint, params={**dict(httpx.URL(endpoint).params), "cursor": cursor})
    if cursor == "":
        assert response.status_code == 200  # an empty cursor is the first page
        return
    assert_error_object(response)


API_PARAMS = {
    "/api/articles": ["section", "source", "locale", "language", "from", "to", "cursor", "limit"],
    "/api/search": ["q", "section", "source", "locale", "language", "from", "to", "cursor", "limit"],
    "/api/stories": ["min_articles", "cursor", "limit"],
    "/search": ["q", "section", "source", "locale", "language", "from", "to", "page"],
}
TEXTS = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.text(alphabet="0123456789-+eE.:TZ", max_size=30),
    st.sampled_from(
        ["Infinity", "-1", "0", "1e400", "9" * 5000, "NaN", "../..", "%00", "\x00", " ", "2026-02-31"]
    ),
)
# Cursors: ours, bent (any JSON in base64, Infinity and NaN included), and the known bad ones.
JSON_VALUES = st.recursive(
    st.one_of(
        st.integers(),
        st.floats(),
        st.sampled_from(["2026-02-10T08:00:00+00:00", "2026-02-10", "9999-12-31T23:59:59-12:00"]),
        st.text(max_size=10),
        st.booleans(),
        st.none(),
    ),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)
CURSORS = st.one_of(
    st.sampled_from(BAD_CURSORS),
    JSON_VALUES.map(lambda v: b64(json.dumps(v))),
    st.binary(max_size=40).map(lambda b: base64.urlsafe_b64encode(b).decode()),
    TEXTS,
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_query_string_gets_a_500(live: httpx.Client, data: st.DataObject) -> None:
    endpoint = data.draw(st.sampled_from(sorted(API_PARAMS)))
    keys = data.draw(st.lists(st.sampled_from(API_PARAMS[endpoint]), min_size=1, max_size=4, unique=True))
    params = {key: data.draw(CURSORS if key == "cursor" else TEXTS, label=key) for key in keys}
    if endpoint == "/api/search" and "q" not in params:
        params["q"] = "desalination"
    response = live.get(endpoint, params=params)
    assert response.status_code in (200, 400), (endpoint, params, response.status_code, response.text[:300])
    if endpoint.startswith("/api/") and response.status_code == 400:
        assert_error_object(response)


# --- item 14: every filter the API cannot understand is a 400; 405 names what is allowed; opaque cursors ----

BAD_FILTERS = [
    ("section", "no-such-section", "no such section"),
    ("section", "Not A Slug!", "no such section"),
    ("source", "nobody", "no such source"),
    ("locale", "atlantis", "no such place"),
    ("locale", "venezuela/atlantis", "no such place"),
    ("language", "english!", "not a language code"),
    ("from", "2026-13-01", "not a date"),
    ("from", "yesterday", "not a date"),
    ("to", "2026-02-30", "not a date"),
]


@pytest.mark.parametrize(("key", "value", "reason"), BAD_FILTERS)
@pytest.mark.parametrize("endpoint", ["/api/articles", "/api/search"])
def test_api_answers_400_for_every_filter_it_cannot_understand(
    live: httpx.Client, endpoint: str, key: str, value: str, reason: str
) -> None:
    error = assert_error_object(live.get(endpoint, params={"q": "desalination", key: value}))
    assert error["message"].startswith(f"{key}={value!r}: {reason}"), error


def test_api_filters_it_understands_still_work(live: httpx.Client) -> None:
    answer = live.get(
        "/api/articles", params={"section": "health", "from": "2026-02-10", "locale": "venezuela"}
    )
    assert answer.status_code == 200
    # a section of the taxonomy that has no articles is understood: an empty list, not an error
    empty = live.get("/api/articles", params={"section": "sports"})
    assert empty.status_code == 200 and empty.json()["items"] == []


def test_search_page_keeps_its_results_and_names_the_ignored_filters(live: httpx.Client) -> None:
    response = live.get("/search", params={"q": "desalination", "section": "nope", "from": "2026-13-45"})
    assert response.status_code == 200
    page = parse(response.text)
    assert "3 results for “desalination”" in page.text  # the filters were dropped, not the results
    assert "Filters ignored" in page.text
    assert "section “nope”: no such section" in page.text
    assert "from “2026-13-45”: not a date (YYYY-MM-DD)" in page.text
    plain = parse(live.get("/search", params={"q": "desalination"}).text)
    assert "Filters ignored" not in plain.text


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/", "GET, HEAD"),
        ("PUT", "/health/", "GET, HEAD"),
        ("DELETE", "/feed.rss", "GET, HEAD"),
        ("POST", "/search", "GET, HEAD"),
        ("POST", "/api/articles", "GET"),
        ("PATCH", "/api/search", "GET"),
        ("DELETE", "/api/articles/1", "GET"),
    ],
)
def test_every_405_names_the_allowed_methods(live: httpx.Client, method: str, path: str, allow: str) -> None:
    response = live.request(method, path)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} == {m.strip() for m in allow.split(",")}
    if path.startswith("/api/"):
        assert_error_object(response, 405)


def test_openapi_declares_the_cursor_an_opaque_string(live: httpx.Client) -> None:
    spec = live.get("/api/openapi.json").json()
    for path in ("/api/articles", "/api/search", "/api/stories"):
        params = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        cursor = params["cursor"]
        assert cursor["schema"]["type"] == "string" and "anyOf" not in cursor["schema"]
        assert cursor["schema"]["maxLength"] == 200
        assert "opaque" in cursor["description"].lower()
        assert "400" in spec["paths"][path]["get"]["responses"]


# --- item 15: an undated article is dated and sorted by its fetch time everywhere ---------------------------


def _index_of_undated(titles: list[str]) -> int:
    return next(i for i, t in enumerate(titles) if t == UNDATED)


def test_undated_article_is_dated_and_sorted_by_fetch_time_everywhere(db_url: str) -> None:
    settings = corpus_settings(db_url)
    db = Database(db_url)
    db.init()
    fill(db, hostile_articles())
    try:
        with LiveServer(settings, db) as server, httpx.Client(base_url=server.base_url) as client:
            check_undated(client)
    finally:
        db.dispose()


def check_undated(client: httpx.Client) -> None:
    fetched = UNDATED_FETCHED
    for listing in ("/", "/source/diario-del-llano/", "/locale/colombia/"):
        # RSS: pubDate is the fetch time, and the items are in date order around it
        rss = feedparser.parse(client.get(f"{listing}feed.rss").content)
        titles = [e.title for e in rss.entries]
        if UNDATED not in titles:
            continue
        entry = rss.entries[_index_of_undated(titles)]
        assert parsedate_to_datetime(entry.published) == fetched, listing
        dates = [parsedate_to_datetime(e.published) for e in rss.entries]
        assert dates == sorted(dates, reverse=True), listing
        assert 0 < _index_of_undated(titles) < len(titles) - 1, listing  # neither first nor last
        # Atom and JSON Feed: the same date, the same order
        atom = feedparser.parse(client.get(f"{listing}feed.atom").content)
        assert [e.title for e in atom.entries] == titles
        assert atom.entries[_index_of_undated(titles)].published.startswith(
            fetched.strftime("%Y-%m-%dT%H:%M")
        )
        doc = client.get(f"{listing}feed.json").json()
        assert [i["title"] for i in doc["items"]] == titles
        assert doc["items"][_index_of_undated(titles)]["date_published"] == "2026-02-13T08:30:00Z"
    # The API keeps published_at empty and lists the article at the same place.
    api_titles: list[str] = []
    cursor = None
    while True:
        answer = client.get(
            "/api/articles", params={"limit": 7, **({"cursor": cursor} if cursor else {})}
        ).json()
        api_titles += [i["title"] for i in answer["items"]]
        undated = [i for i in answer["items"] if i["title"] == UNDATED]
        if undated:
            assert undated[0]["published_at"] is None
            assert undated[0]["fetched_at"].startswith("2026-02-13T08:30:00")
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    site_feed = [e.title for e in feedparser.parse(client.get("/feed.rss").content).entries]
    assert api_titles[: len(site_feed)] == site_feed
    # The page still says "date unknown", and it sits in its listing page by fetch time.
    path = next(
        i["path"]
        for i in client.get("/api/articles", params={"limit": 100}).json()["items"]
        if i["title"] == UNDATED
    )
    assert "date unknown" in parse(client.get(path).text).text


# --- item 16: meta description and canonical link; compression; fingerprinted assets; touch targets ---------

LISTING_PAGES = [
    ("/", "http://gazette.test/"),
    ("/politics-government/", "http://gazette.test/politics-government/"),
    ("/politics-government/page/2/", "http://gazette.test/politics-government/page/2/"),
    ("/health/", "http://gazette.test/health/"),
    ("/locale/venezuela/", "http://gazette.test/locale/venezuela/"),
    ("/locale/venezuela/bolivar/", "http://gazette.test/locale/venezuela/bolivar/"),
    ("/source/harbour-ledger/", "http://gazette.test/source/harbour-ledger/"),
    ("/search?q=desalination", "http://gazette.test/search?q=desalination"),
    ("/search", "http://gazette.test/search"),
]


@pytest.mark.parametrize(("path", "canonical"), LISTING_PAGES)
def test_pages_have_a_description_and_a_canonical_link(live: httpx.Client, path: str, canonical: str) -> None:
    page = parse(live.get(path).text)
    links = page.find("link", rel="canonical")
    assert [link["href"] for link in links] == [canonical]
    descriptions = page.find("meta", name="description")
    assert len(descriptions) == 1
    content = descriptions[0]["content"] or ""
    assert 20 <= len(content) <= 300, content


@pytest.mark.parametrize("path", ["/", "/health/", "/search?q=desalination", "/feed.rss", "/api/articles"])
def test_text_is_sent_compressed_to_clients_that_accept_it(live: httpx.Client, path: str) -> None:
    plain = live.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    packed = live.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    assert packed.content == plain.content  # httpx inflates it: the same bytes
    assert int(packed.headers["content-length"]) < len(plain.content) / 2
    stylesheet = live.get(asset_url("gazette.css"), headers={"Accept-Encoding": "gzip"})
    assert stylesheet.headers["content-encoding"] == "gzip"


def test_the_response_cache_never_sends_gzip_to_a_client_that_did_not_ask(
    hostile_db: tuple[Settings, Database],
) -> None:
    settings, db = hostile_db
    port = free_port()
    config = uvicorn.Config(
        cached_app(create_app(settings, db), db),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        url = f"http://127.0.0.1:{port}/health/"
        with httpx.Client() as client:
            first = client.get(url, headers={"Accept-Encoding": "gzip"})
            assert first.headers["content-encoding"] == "gzip"
            # raw bytes, as a client without gzip would read them
            with client.stream("GET", url, headers={"Accept-Encoding": "identity"}) as raw:
                body = b"".join(raw.iter_raw())
                assert "content-encoding" not in raw.headers
            assert body.startswith(b"<!doctype html>")
            with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as packed:
                assert packed.headers["content-encoding"] == "gzip"
                assert gzip.decompress(b"".join(packed.iter_raw())) == body
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_assets_are_fingerprinted_and_cached_for_a_year(live: httpx.Client) -> None:
    page = parse(live.get("/").text)
    linked = [
        a.get("href") or a.get("src")
        for t, a in page.tags
        if t in ("link", "script") and "/assets/" in str(a.get("href") or a.get("src"))
    ]
    assert len(linked) == 4  # icon, stylesheet, print stylesheet, script
    for href in linked:
        name = str(href).rsplit("/", 1)[1]
        stem, digest, suffix = name.rsplit(".", 2)
        response = live.get(str(href))
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest()[:10] == digest
        assert (ASSETS / f"{stem}.{suffix}").read_bytes() == response.content
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    # the plain name still answers (old links), but only for an hour
    assert live.get("/assets/gazette.css").headers["cache-control"] == "public, max-age=3600"
    assert live.get("/assets/gazette.0000000000.css").status_code == 404


def test_date_archive_links_are_24px_touch_targets(live: httpx.Client) -> None:
    css = re.sub(r"/\*.*?\*/", "", live.get(asset_url("gazette.css")).text, flags=re.S)
    rules = re.findall(r"([^{}]+)\{([^{}]*)\}", css)
    for selector in (".date-archive a", ".days a", ".pagination a"):
        matching = [body for sel, body in rules if selector in [s.strip() for s in sel.split(",")]]
        heights = [int(h) for body in matching for h in re.findall(r"min-height:\s*(\d+)px", body)]
        assert heights and max(heights) >= 24, selector
        assert any("inline-flex" in body or "inline-block" in body or "block" in body for body in matching)


# --- item 10: the static build carries its policy ------------------------------------------------------------

META_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">')


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.fixture(scope="module")
def static_site(
    hostile_db: tuple[Settings, Database], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    settings, db = hostile_db
    with StaticServer(tmp_path_factory.mktemp("static-csp")) as server:
        build_site(
            settings, db, server.root, base_url=server.base_url, search_url="https://search.example/search"
        )
        yield server.base_url, server.root


def test_every_built_page_carries_the_policy_in_a_meta_tag(static_site: tuple[str, Path]) -> None:
    base, root = static_site
    pages = sorted(root.rglob("*.html"))
    assert len(pages) > 50
    with httpx.Client(base_url=base) as client:
        for file in pages:
            html = client.get("/" + file.relative_to(root).as_posix()).text
            found = META_CSP.findall(html)
            assert len(found) == 1, file
            # before anything it governs: right after the charset, ahead of every link, script and style
            assert html.index(found[0]) < min(
                html.index("<link"), html.index("<script"), html.index("<title")
            )
            policy = directives(found[0].replace("&#39;", "'"))
            assert "frame-ancestors" not in policy  # ignored in a meta tag, with a console error
            assert policy["form-action"] == ["'self'", "https://search.example"]
            assert policy["script-src"] == ["'self'"] and policy["default-src"] == ["'none'"]


def test_static_build_writes_a_headers_file_with_the_full_policy(static_site: tuple[str, Path]) -> None:
    base, _root = static_site
    text = httpx.get(base + "/_headers").text
    blocks: dict[str, dict[str, str]] = {}
    current = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            current = line.strip()
            blocks[current] = {}
        else:
            name, value = line.strip().split(": ", 1)
            blocks[current][name] = value
    everywhere = blocks["/*"]
    assert set(everywhere) == set(SECURITY_HEADERS)
    policy = directives(everywhere["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'", "https://search.example"]
    assert blocks["/assets/*"]["Cache-Control"] == "public, max-age=31536000, immutable"


def test_static_build_without_search_allows_forms_only_to_itself(
    hostile_db: tuple[Settings, Database], tmp_path: Path
) -> None:
    settings, db = hostile_db
    build_site(settings, db, tmp_path / "site")
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    policy = directives(META_CSP.findall(html)[0].replace("&#39;", "'"))
    assert policy["form-action"] == ["'self'"]
    assert content_security_policy() == CSP  # the live header is unchanged: frame-ancestors included
    assert "frame-ancestors 'none'" in CSP


def test_static_build_has_only_fingerprinted_assets(static_site: tuple[str, Path]) -> None:
    _base, root = static_site
    names = sorted(p.name for p in (root / "assets").iterdir())
    assert names == sorted(asset_fingerprints().values())


def test_docs_give_the_same_policy_for_nginx() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert f'add_header Content-Security-Policy "{CSP}" always;' in docs
    for name, value in SECURITY_HEADERS.items():
        if name != "Content-Security-Policy":
            assert f'add_header {name} "{value}" always;' in docs
