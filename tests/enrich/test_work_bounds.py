"""Enrichment on hostile text: the sentence splitter's work grows linearly, and every stage reads a capped text.

No timings here (a shared machine): the splitter's work is counted (Python lines run in its module plus the
characters handed to its regular expressions), and the cap is checked by what each stage is given to read.
``bench/adversarial.py`` prints the times.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType, ModuleType
from typing import Any

import pytest

from gazette import models
from gazette.config import ENRICH_MAX_CHARS, BriefSettings, SectionSettings
from gazette.enrich import locales as locales_stage
from gazette.enrich import readable_text
from gazette.enrich import sections as sections_stage
from gazette.enrich import stories as stories_stage
from gazette.enrich.briefs import extractive, make_brief, sentences
from gazette.pipeline import Enricher
from tests.conftest import make_settings


def _abbreviations(n: int) -> str:
    return ("Ab. C " * (n // 6 + 1))[:n]


def _digits_and_periods(n: int) -> str:
    return ("1.2.3. 4. " * (n // 10 + 1))[:n]


def _capitalised_words(n: int) -> str:
    words = (f"W{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}" for i in range(n))
    return " ".join(words)[:n]


def _honorifics(n: int) -> str:
    return ("Mr. Dr. U.S. The " * (n // 17 + 1))[:n]


def _periods(n: int) -> str:
    return "." * n


def _one_word(n: int) -> str:
    return "a" * (n - 3) + ". B"


def _bangs_and_closers(n: int) -> str:
    return ("!)" * (n // 2 + 1))[:n]


def _quote_run(n: int) -> str:
    return "Yes. " + "-" * (n - 5)


HOSTILE = {
    "abbreviations": _abbreviations,
    "digits_and_periods": _digits_and_periods,
    "capitalised_words": _capitalised_words,
    "honorifics": _honorifics,
    "periods": _periods,
    "one_word": _one_word,
    "bangs_and_closers": _bangs_and_closers,
    "quote_run": _quote_run,
}


@dataclass
class Work:
    lines: int = 0  # Python lines run inside the module
    scanned: int = 0  # characters offered to its regular expressions

    @property
    def total(self) -> int:
        return self.lines + self.scanned


class _CountingPattern:
    """A compiled pattern that adds to ``work.scanned`` what each call may read: the whole range for a
    search, the consumed length for an anchored match."""

    def __init__(self, pattern: re.Pattern[str], work: Work) -> None:
        self._pattern = pattern
        self._work = work

    def _range(self, string: str, pos: int, endpos: int) -> int:
        return max(0, min(endpos, len(string)) - pos)

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        self._work.scanned += self._range(string, pos, endpos)
        return self._pattern.search(string, pos, endpos)

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        self._work.scanned += self._range(string, pos, endpos)
        return self._pattern.finditer(string, pos, endpos)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        self._work.scanned += self._range(string, pos, endpos)
        return self._pattern.findall(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        found = self._pattern.match(string, pos, endpos)
        self._work.scanned += (found.end() - pos) if found else 1
        return found

    def fullmatch(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        self._work.scanned += self._range(string, pos, endpos)
        return self._pattern.fullmatch(string, pos, endpos)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)


def count_work(
    module: ModuleType, call: Callable[[], object], monkeypatch: pytest.MonkeyPatch
) -> tuple[Work, object]:
    """Run ``call`` and count the work done in ``module``: its lines run and the characters its module-level
    patterns are given."""
    work = Work()
    with monkeypatch.context() as patch:
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                patch.setattr(module, name, _CountingPattern(value, work))
        filename = module.__file__

        def local(frame: FrameType, event: str, arg: object) -> Any:
            if event == "line":
                work.lines += 1
            return local

        def tracer(frame: FrameType, event: str, arg: object) -> Any:
            return local if frame.f_code.co_filename == filename else None

        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            result = call()
        finally:
            sys.settrace(previous)
    return work, result


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_sentence_splitter_work_grows_linearly(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make = HOSTILE[kind]
    small, _ = count_work(sentences, lambda: sentences.split_sentences(make(10_000)), monkeypatch)
    large, spans = count_work(sentences, lambda: sentences.split_sentences(make(40_000)), monkeypatch)
    assert isinstance(spans, list)
    # Four times the text, four times the work (the splitter that rescanned the line did sixteen times).
    assert large.total <= 4.5 * max(small.total, 1), (kind, small, large)
    assert large.total <= 60 * 40_000, (kind, large)


def test_splitter_keeps_its_answers_on_hostile_text() -> None:
    text = "The U.S. Army said so. It was in the U.S. The talks went on. " + _abbreviations(60)
    spans = sentences.split_sentences(text)
    assert [s.text for s in spans][:3] == [
        "The U.S. Army said so.",
        "It was in the U.S.",
        "The talks went on.",
    ]
    assert all(text[s.start : s.end] == s.text for s in spans)
    # "Ab." is no abbreviation: each one ends a sentence (100 of them, then the last "C")
    assert len(sentences.split_sentences(_abbreviations(600))) == 101
    honorifics = [s.text for s in sentences.split_sentences(_honorifics(170))]
    assert honorifics[:2] == ["Mr. Dr. U.S.", "The Mr. Dr. U.S."] and len(honorifics) == 11


# -- the cap ------------------------------------------------------------------------------------------------

CAP = 5_000


def _long_text(n: int, tail: str = "") -> str:
    sentence = "The harbour council met again on Tuesday to discuss the new bridge tolls. "
    body = (sentence * (n // len(sentence) + 1))[:n]
    return body + tail


def test_readable_text_is_a_prefix_cut_at_a_space() -> None:
    text = _long_text(3 * CAP)
    cut = readable_text(text, CAP)
    assert text.startswith(cut) and CAP - 200 <= len(cut) <= CAP
    assert text[len(cut)].isspace()
    assert readable_text("short text", CAP) == "short text"
    one_word = "x" * (3 * CAP)
    assert readable_text(one_word, CAP) == "x" * CAP  # no space near the cap: cut where it stands


def test_brief_reads_at_most_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[int] = []
    real = extractive.split_sentences

    def spy(text: str) -> list[sentences.SentenceSpan]:
        given.append(len(text))
        return real(text)

    monkeypatch.setattr(extractive, "split_sentences", spy)
    for make in HOSTILE.values():
        make_brief(make(4 * CAP), BriefSettings(), max_chars=CAP)
    brief = make_brief(_long_text(4 * CAP), BriefSettings(), max_chars=CAP)
    assert given and max(given) <= CAP
    assert brief and all(s.source_end <= CAP for s in brief)


def test_sections_read_at_most_the_cap() -> None:
    seen: list[int] = []

    class Recorder:
        labels = ["society"]

        def predict(self, title: str, text: str, *, language: str | None = None) -> dict[str, float]:
            seen.append(len(text))
            return {"society": 1.0}

    settings = SectionSettings()
    for make in HOSTILE.values():
        sections_stage.assign_section(
            "T", make(4 * CAP), feed_section=None, classifier=Recorder(), settings=settings, max_chars=CAP
        )
    assert len(seen) == len(HOSTILE) and max(seen) <= CAP


def test_locales_read_at_most_the_cap() -> None:
    filler = _long_text(2 * CAP)
    inside = locales_stage.tag_locales("Caracas saw protests. " + filler, max_chars=CAP)
    beyond = locales_stage.tag_locales(filler + " Caracas saw protests.", max_chars=CAP)
    assert "Caracas" in {loc.name for loc in inside}
    assert "Caracas" not in {loc.name for loc in beyond}
    assert all(end <= CAP for loc in inside for _, end in loc.spans)


def test_story_features_and_fingerprint_read_at_most_the_cap() -> None:
    base = _long_text(2 * CAP)
    one = stories_stage.text_fingerprint("T", base + " Zanzibar lighthouse keepers", max_chars=CAP)
    two = stories_stage.text_fingerprint("T", base + " completely different ending here", max_chars=CAP)
    assert one == two
    assert one != stories_stage.text_fingerprint("T", "Zanzibar lighthouse keepers " + base, max_chars=CAP)
    features = stories_stage.extract_features("T", base + " Zanzibar", max_chars=CAP)
    assert "zanzib" not in features.terms
    assert "zanzib" in stories_stage.extract_features("T", "Zanzibar " + base, max_chars=CAP).terms


def test_pipeline_enricher_passes_the_configured_cap(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, enrich={"max_chars": CAP})
    filler = _long_text(2 * CAP)
    article = models.Article(
        url="http://127.0.0.1/a",
        canonical_url="http://127.0.0.1/a",
        title="Council meets",
        text=filler + " Caracas saw protests.",
        html="",
    )
    Enricher(settings).enrich(article, feed_section="society", source_country=None)
    assert "Caracas" not in {loc.name for loc in article.locales}
    assert article.brief and all(s.source_end <= CAP for s in article.brief)
    assert settings.enrich.max_chars == CAP and ENRICH_MAX_CHARS > CAP


def test_cap_below_a_thousand_is_refused(sqlite_url: str) -> None:
    from gazette.errors import ConfigError

    with pytest.raises(ConfigError, match="enrich.max_chars"):
        make_settings(sqlite_url, enrich={"max_chars": 10})
