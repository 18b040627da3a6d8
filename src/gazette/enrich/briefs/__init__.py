"""Enrichment, briefs: a short brief whose every sentence is traceable to a span of its source.

The extractive brief (the default) copies sentences from the article. When ``brief.llm_url`` is set,
a language model rewrites the brief and each of its sentences must pass the verifier
(:func:`verify_brief`) before it is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from gazette import models
from gazette.config import ENRICH_MAX_CHARS, BriefSettings
from gazette.enrich import readable_text
from gazette.enrich.briefs.extractive import select_sentences
from gazette.enrich.briefs.llm import parse_reply, request_rewrite
from gazette.enrich.briefs.sentences import SentenceSpan, split_sentences
from gazette.enrich.briefs.verifier import SentenceCheck, SourceIndex, brief_score, verify_brief
from gazette.errors import FetchError

logger = logging.getLogger(__name__)

EXTRACTED = "extracted"
REWRITTEN = "rewritten"
CHECK_PASSED = "supported by source span"
MIN_REWRITTEN = 2  # fewer verified sentences than this and the extractive brief is used

__all__ = [
    "CHECK_PASSED",
    "EXTRACTED",
    "REWRITTEN",
    "Rewrite",
    "SentenceCheck",
    "SentenceSpan",
    "SourceIndex",
    "brief_score",
    "extractive_brief",
    "make_brief",
    "rewrite_brief",
    "select_sentences",
    "split_sentences",
    "verify_brief",
]


@dataclass
class Rewrite:
    """What became of a model's rewrite: the kept sentences, the dropped ones and why."""

    kept: list[models.BriefSentence] = field(default_factory=list)
    dropped: list[SentenceCheck] = field(default_factory=list)
    failure: str | None = None  # why the rewrite cannot be used (endpoint error, too few kept)

    @property
    def usable(self) -> bool:
        return self.failure is None


def extractive_brief(text: str, count: int = 4, *, title: str | None = None) -> list[models.BriefSentence]:
    """The extractive brief: source sentences, each with its exact span in ``text``."""
    return [
        models.BriefSentence(
            position=position,
            text=span.text,
            source_start=span.start,
            source_end=span.end,
            kind=EXTRACTED,
        )
        for position, span in enumerate(select_sentences(text, count, title=title))
    ]


def make_brief(
    text: str,
    settings: BriefSettings,
    *,
    language: str | None = None,
    title: str | None = None,
    max_chars: int = ENRICH_MAX_CHARS,
) -> list[models.BriefSentence]:
    """Brief for one article: rewritten and verified when a model is configured, else extractive.

    Only the first ``max_chars`` characters are read (``enrich.max_chars``); spans still point into ``text``.

    A rewritten brief keeps only the sentences the verifier supports, each with the span of the
    source passage that supports it; if the endpoint fails or fewer than two sentences survive,
    the extractive brief is returned and the log says why.
    """
    text = readable_text(text, max_chars)
    if not text or not text.strip():
        return []
    if settings.llm_url:
        rewrite = rewrite_brief(text, settings, language=language, title=title)
        if rewrite.usable:
            return rewrite.kept
        logger.warning(
            "rewritten brief not used (%s); using the extractive brief",
            rewrite.failure,
            extra={"title": title, "llm_url": settings.llm_url},
        )
    return extractive_brief(text, settings.sentences, title=title)


def rewrite_brief(
    text: str,
    settings: BriefSettings,
    *,
    language: str | None = None,
    title: str | None = None,
) -> Rewrite:
    """Ask the configured model for a brief and keep the sentences the verifier supports."""
    try:
        reply = request_rewrite(text, settings, title=title, language=language)
    except FetchError as exc:
        return Rewrite(failure=f"language model failed: {exc}")
    sentences = [s.text for s in split_sentences("\n".join(parse_reply(reply)))]
    sentences = sentences[: max(settings.sentences + 2, MIN_REWRITTEN)]
    result = Rewrite()
    for check in verify_brief(SourceIndex(text), sentences):
        if not check.supported or check.source_span is None:
            result.dropped.append(check)
            logger.info(
                "dropped rewritten sentence: %s (%s)",
                check.sentence,
                check.reason,
                extra={"title": title, "reason": check.reason},
            )
            continue
        start, end = check.source_span
        result.kept.append(
            models.BriefSentence(
                position=len(result.kept),
                text=check.sentence,
                source_start=start,
                source_end=end,
                kind=REWRITTEN,
                check=CHECK_PASSED,
            )
        )
    if len(result.kept) < MIN_REWRITTEN:
        result.failure = (
            f"only {len(result.kept)} of {len(sentences)} rewritten sentences passed the verifier"
        )
    return result
