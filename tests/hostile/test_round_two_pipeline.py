"""Hostile inputs, round two, pipeline side (issue 9, items 3–5): text whose cost grew faster than its size, a
feed forging another publisher's article through the content hash, and pages lost behind a 304 when the
extractor itself broke. Every case runs over real HTTP on 127.0.0.1; the forgery runs on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gazette.enrich.briefs import extractive
from gazette.enrich.briefs.sentences import SentenceSpan
from gazette.errors import (
    BlockedAddress,
    ExtractionFailed,
    ExtractionRejected,
    FeedError,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    RobotsDisallowed,
    TooLarge,
    TooManyRedirects,
)
from gazette.pipeline import is_transient
from gazette.store import stories as story_store
from gazette.store.schema import Article
from tests.hostile.cases import case
from tests.hostile.conftest import Desk, fixture_bytes
from tests.hostile.server import HostileHandler

# -- item 3: time that grows faster than the input ---------------------------------------------------------

CAP = 20_000
HOSTILE_TEXTS = {
    "abbreviations": lambda n: ("Ab. C " * (n // 6 + 1))[:n],
    "digits_and_periods": lambda n: ("1.2.3. 4. " * (n // 10 + 1))[:n],
    "capitalised_words": lambda n: " ".join(
        "K" + chr(97 + i % 26) + chr(97 + i // 26 % 26) + "ville" for i in range(n // 9)
    )[:n],
    "one_long_word": lambda n: "a" * n,
}


@case("redos_text")
@pytest.mark.parametrize("kind", sorted(HOSTILE_TEXTS))
def test_hostile_paragraph_is_stored_whole_and_enrichment_reads_the_cap(
    desk: Desk, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.seed()
    body = HOSTILE_TEXTS[kind](300_000)
    page = fixture_bytes("hostile_text.html").replace(b"{body}", body.encode())
    desk.server.static("/hostile/text.html", page)
    feed = (
        f'<rss version="2.0"><channel><title>Hostile</title><link>{desk.base}/</link>'
        f"<item><title>Hostile text</title><link>{desk.server.url('/hostile/text.html')}</link></item>"
        "</channel></rss>"
    )
    url = desk.server.static("/hostile.xml", feed.encode(), "application/rss+xml")
    read: list[int] = []
    real = extractive.split_sentences

    def spy(text: str) -> list[SentenceSpan]:
        read.append(len(text))
        return real(text)

    monkeypatch.setattr(extractive, "split_sentences", spy)
    desk.settings.enrich.max_chars = CAP
    desk.settings.pipeline.workers = 1  # the spy sees what this process reads, not a worker's
    report = desk.ingest(url)
    assert report.new == 1 and not report.failures, report
    stored = next(a for a in desk.articles() if a["title"] == "Hostile text")
    assert len(stored["text"]) > 300_000 - 10  # the stored text is kept whole
    assert read and max(read) <= CAP  # the brief read the capped text only
    with desk.db.session() as s:
        row = s.scalar(select(Article).where(Article.title == "Hostile text"))
        assert row is not None
        assert all(b.source_end <= CAP for b in row.brief)
        assert all(end <= CAP for loc in row.locales for _, end in loc.spans)
    desk.assert_clean()


# -- item 4: one publisher overwriting another ---------------------------------------------------------------


def _ledger_page(title: str) -> bytes:
    """The Ledger's article under ``title``: the same paragraphs, hence the same content hash, whatever the title."""
    return (
        fixture_bytes("plain_article.html").replace(b"{title}", title.encode()).replace(b"{author}", b"Staff")
    )


def _publish_ledger(desk: Desk) -> tuple[str, dict[str, object]]:
    desk.server.static("/ledger/transport-report.html", _ledger_page("Transport report"))
    url = desk.serve("/ledger.xml", "publisher_feed.xml")
    with desk.db.session() as s:
        from gazette.store import subscriptions as feed_store

        feed_store.add_feed(s, url, section="society", source="Harbour Ledger")
    report = desk.ingest(url)
    assert report.new == 1, report
    key = desk.server.url("/ledger/transport-report.html")
    desk.baseline = desk.snapshot()
    return key, desk.baseline[key]


@case("hash_forgery")
def test_a_sourceless_feed_never_overwrites_another_publishers_article(desk_any: Desk) -> None:
    desk = desk_any
    desk.seed()
    ledger_key, ledger = _publish_ledger(desk)
    desk.server.static("/forged/transport-report.html", _ledger_page("Ferry service scrapped, officials say"))
    forged_url = desk.serve("/forged.xml", "forged_feed.xml")  # subscribed with no source
    report = desk.ingest(forged_url)
    assert not report.failures, report
    after = desk.snapshot()
    assert after[ledger_key] == ledger  # title, text, HTML, slug untouched
    forged_key = desk.server.url("/forged/transport-report.html")
    assert forged_key in after and after[forged_key]["title"] == "Ferry service scrapped, officials say"
    assert after[forged_key]["content_hash"] == ledger["content_hash"]
    with desk.db.session() as s:
        ledger_row = s.scalar(select(Article).where(Article.canonical_url == ledger_key))
        forged_row = s.scalar(select(Article).where(Article.canonical_url == forged_key))
        assert ledger_row is not None and forged_row is not None
        assert ledger_row.original_url == ledger_key and ledger_row.source is not None
        assert ledger_row.source.name == "Harbour Ledger" and forged_row.source_id is None
        copies = [a.id for a, _ in story_store.duplicates_of(s, ledger_row.id)]
        assert copies == [forged_row.id]  # recorded as a copy of the Ledger's article
    again = desk.ingest(forged_url)  # and a second run changes nothing either
    assert again.new == 0 and desk.snapshot() == after
    desk.assert_clean()


@case("hash_forgery")
def test_a_feed_of_another_source_never_overwrites_either(desk_any: Desk) -> None:
    desk = desk_any
    desk.seed()
    ledger_key, ledger = _publish_ledger(desk)
    desk.server.static("/forged/transport-report.html", _ledger_page("Ferry service scrapped, officials say"))
    forged_url = desk.serve("/forged.xml", "forged_feed.xml")
    with desk.db.session() as s:
        from gazette.store import subscriptions as feed_store

        feed_store.add_feed(s, forged_url, source="Totally Real News")
    report = desk.ingest(forged_url)
    assert report.new == 1 and not report.failures, report
    assert desk.snapshot()[ledger_key] == ledger
    with desk.db.session() as s:
        names = {a.canonical_url: a.source.name for a in s.scalars(select(Article)) if a.source is not None}
    assert names[ledger_key] == "Harbour Ledger"
    assert names[desk.server.url("/forged/transport-report.html")] == "Totally Real News"
    desk.assert_clean()


@case("hash_same_publisher")
def test_same_text_from_the_same_source_is_a_duplicate_not_an_overwrite(desk_any: Desk) -> None:
    desk = desk_any
    desk.seed()
    ledger_key, ledger = _publish_ledger(desk)
    desk.server.static("/ledger/front/transport.html", _ledger_page("Transport report, updated headline"))
    front_url = desk.serve("/ledger-front.xml", "republished_feed.xml")
    with desk.db.session() as s:
        from gazette.store import subscriptions as feed_store

        feed_store.add_feed(s, front_url, section="society", source="Harbour Ledger")
    report = desk.ingest(front_url)
    assert report.duplicates == 1 and report.new == 0 and report.updated == 0, report
    after = desk.snapshot()
    assert after[ledger_key] == ledger  # the title stays the one the article was stored with
    assert set(after) == set(desk.baseline)  # nothing new stored
    desk.assert_clean()


# -- item 5: items lost behind a 304 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ExtractionRejected("u", "no usable text"), False),
        (FeedError("u", "not a feed"), False),
        (BlockedAddress("u"), False),
        (RobotsDisallowed("u"), False),
        (TooLarge("u"), False),
        (TooManyRedirects("u"), False),
        (HTTPStatusError("u", 404), False),
        (HTTPStatusError("u", 410), False),
        (HTTPStatusError("u", 429), True),
        (HTTPStatusError("u", 503), True),
        (FetchTimeout("u"), True),
        (FetchError("u", "connection reset"), True),
        (ExtractionFailed("u", "extraction failed (ImportError)"), True),
        (RuntimeError("a bug"), True),
        (ImportError("No module named 'lxml_html_clean'"), True),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_only_known_verdicts_on_a_page_are_permanent(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def _transient_site(desk: Desk) -> str:
    for name in ("one", "two"):
        desk.page(f"/transient/{name}.html", title=f"Ferry report {name}")
    body = desk.fixture("transient_feed.xml")

    def feed(h: HostileHandler) -> None:
        if h.headers.get("If-None-Match") == '"transient-v1"':
            h.send_bytes(304, b"", "", {"ETag": '"transient-v1"'})
        else:
            h.send_bytes(200, body, "application/rss+xml", {"ETag": '"transient-v1"'})

    return desk.server.add("/transient.xml", feed)


@case("extraction_transient")
def test_pages_the_extractor_failed_on_are_retried_not_lost_behind_a_304(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.seed()
    url = _transient_site(desk)
    with monkeypatch.context() as patch:
        # A real ImportError inside extraction, as with a package left out of the install: the import system
        # refuses a module whose sys.modules entry is None.
        patch.setitem(sys.modules, "trafilatura.utils", None)
        first = desk.ingest(url)
    assert first.new == 0 and first.articles_failed == 2 and first.feeds_ok == 1, first
    assert all("extraction failed (ModuleNotFoundError" in f.reason for f in first.failures), first.failures
    feed = desk.feed(url)
    assert feed.etag is None and feed.last_modified is None  # validators kept (none yet), so no 304 next time
    second = desk.ingest(url)
    assert second.new == 2 and second.feeds_not_modified == 0 and not second.failures, second
    assert desk.feed(url).etag == '"transient-v1"'
    third = desk.ingest(url)
    assert third.feeds_not_modified == 1 and third.new == 0, third
    desk.assert_clean()


@case("extraction_transient")
def test_a_rejected_page_is_final_and_the_validators_are_saved(desk: Desk) -> None:
    desk.seed()
    url = _transient_site(desk)
    desk.server.static("/transient/one.html", b"<html><body><p>Too short.</p></body></html>")
    first = desk.ingest(url)
    assert first.new == 1 and first.articles_failed == 1, first
    assert desk.feed(url).etag == '"transient-v1"'  # a verdict on the page: nothing to retry
    assert desk.ingest(url).feeds_not_modified == 1


@pytest.fixture
def shadowed_package(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment in which ``lxml_html_clean`` cannot be imported, as after ``pip install`` with pip 23.2
    left it out: a package of that name earlier on the path that raises what a missing module raises."""
    shadow = tmp_path / "shadow" / "lxml_html_clean"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'lxml_html_clean'\", name='lxml_html_clean')\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shadow.parent), env.get("PYTHONPATH", "")]))
    env["GAZETTE_DATABASE_URL"] = f"sqlite:///{tmp_path}/gazette.db"
    env.pop("GAZETTE_CONFIG", None)
    env["COLUMNS"] = "60"  # a narrow terminal: the message must still be one line
    yield env


@case("missing_package")
@pytest.mark.parametrize(
    "args",
    [["extract", "page.html"], ["ingest"], ["demo", "--no-serve", "--database", "demo.db"]],
    ids=["extract", "ingest", "demo"],
)
def test_a_missing_extraction_package_is_one_line_not_a_failure_per_article(
    shadowed_package: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    (tmp_path / "page.html").write_bytes(fixture_bytes("plain_article.html"))
    done = subprocess.run(
        [sys.executable, "-c", "from gazette.cli import app; app()", *args],
        cwd=tmp_path,
        env=shadowed_package,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: cannot extract articles: lxml.html.clean does not import")
    assert "lxml_html_clean" in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "demo.db").exists()  # stopped before any work


def test_the_stack_check_passes_in_a_complete_install() -> None:
    from gazette.extract.article import stack_problem

    assert stack_problem() is None
