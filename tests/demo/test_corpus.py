"""The demo corpus as written: the awkward cases the pipeline must meet, and a parser that names bad files."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from gazette.demo.corpus import CorpusArticle, load_corpus, load_sources, parse_article
from gazette.errors import ConfigError

SECTIONS = {
    "politics-government", "business-finance", "science-technology", "health", "sports",
    "arts-entertainment", "crime-justice", "conflict-security", "environment", "society",
}  # fmt: skip


def _find(pattern: str) -> list[CorpusArticle]:
    return [a for a in load_corpus() if re.search(pattern, a.text)]


def test_corpus_shape() -> None:
    corpus = load_corpus()
    assert len(corpus) >= 30
    assert {a.source for a in corpus} == {s.slug for s in load_sources()}
    assert {a.section for a in corpus} <= SECTIONS
    assert len({a.section for a in corpus}) >= 6
    assert {a.language for a in corpus} == {"en", "es"}
    assert all(250 <= a.word_count <= 600 for a in corpus), [(a.slug, a.word_count) for a in corpus]
    assert all(len(a.paragraphs) >= 4 for a in corpus)
    # newest first, the undated one last
    dated = [a.published for a in corpus if a.published]
    assert dated == sorted(dated, reverse=True) and corpus[-1].published is None


def test_each_special_case_is_present_exactly_once() -> None:
    flags = Counter(flag for a in load_corpus() for flag in a.flags)
    assert flags == {"cp1252": 1, "hostile": 1, "twofeeds": 1}
    assert sum(a.published is None for a in load_corpus()) == 1


def test_stories_shared_across_sources() -> None:
    by_story: dict[str, set[str]] = {}
    for a in load_corpus():
        if a.story:
            by_story.setdefault(a.story, set()).add(a.source)
    assert len(by_story) >= 2 and all(len(sources) >= 2 for sources in by_story.values())
    blackout = [a for a in load_corpus() if a.story == "venezuela-blackout-2026-11"]
    assert {a.language for a in blackout} == {"en", "es"}


def test_places_that_locale_tagging_must_resolve() -> None:
    for language in ("en", "es"):
        venezuelan = [
            a
            for a in _find(r"Nueva Esparta")
            if a.language == language and "Aragua" in a.text and "Maracay" in a.text
        ]
        assert any(re.search(r"(Bolívar state|estado Bolívar)", a.text) for a in venezuelan), language
    assert _find(r"Simón Bolívar Rincón")  # a person, not the state
    assert _find(r"\bbolívares\b")  # the currency
    for place in ("Trinidad and Tobago", "Bogotá", "Guayaquil", "Cajamarca", "Winnipeg", "Huaraz", "Quito"):
        assert _find(re.escape(place)), place


def test_quotes_and_figures_in_every_article() -> None:
    for a in load_corpus():
        assert re.search(r"[\"“«]", a.text), a.slug
        assert re.search(r"\d", a.text), a.slug


def test_parse_article_names_the_file_on_bad_input() -> None:
    good = "title: T\nauthor: A\npublished: none\nsection: health\nlanguage: en\n\nOne.\n\nTwo."
    article = parse_article("src", "slug", good)
    assert article.published is None and article.paragraphs == ("One.", "Two.")
    cases = {
        "no blank line": "title: T",
        "bad header line": "title T\n\nbody",
        "missing author": good.replace("author: A\n", ""),
        "needs an offset": good.replace("published: none", "published: 2026-11-01T10:00:00"),
        "unknown flags": good.replace("language: en", "language: en\nflags: shiny"),
    }
    for message, raw in cases.items():
        with pytest.raises(ConfigError, match=f"src/slug.*{message}|{message}"):
            parse_article("src", "slug", raw)
