"""Enrichment, briefs: pick the sentences that cover an article best (lead bias plus centrality)."""

from __future__ import annotations

import logging
import re

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

from gazette.enrich.briefs.sentences import SentenceSpan, split_sentences

logger = logging.getLogger(__name__)

MIN_WORDS = 6  # shorter lines are captions, bylines or fragments
MAX_WORDS = 60  # longer ones are run-ons that would crowd out the rest
MAX_BRIEF_WORDS = 150
MAX_CANDIDATES = 200  # a brief comes from the first 200 usable sentences (bounds the similarity matrix)
MAX_QUOTE_SENTENCES = 4  # a quotation longer than this is not kept whole
NEAR_REPEAT = 0.55  # cosine between two picks above which the second says little new
LEAD_WEIGHT = 0.35
_WORD = re.compile(r"\w+", re.UNICODE)
# Lines that belong to the page around an article rather than to its story.
_CHROME = re.compile(
    r"^(read (the )?(full|more)|copy link|print |published (in|on) |share |follow us|sign up|subscribe|"
    r"advertisement|click here|related:|see also|photo:|image:|locales?:)",
    re.IGNORECASE,
)


def _open_quotes(text: str) -> int:
    """Quotation marks opened and not closed in ``text`` (straight quotes count by parity)."""
    curly = text.count("«") + text.count("“") - text.count("»") - text.count("”")
    return max(0, curly) + text.count('"') % 2


def quote_units(text: str) -> list[SentenceSpan]:
    """Sentences, with a quotation that runs over several sentences of one paragraph kept whole.

    A brief must not show half a quotation (an opening mark with no close, or the reverse).
    """
    units: list[SentenceSpan] = []
    pending: SentenceSpan | None = None
    merged = 0
    for span in split_sentences(text):
        if (
            pending is not None
            and "\n" not in text[pending.end : span.start]
            and merged < MAX_QUOTE_SENTENCES
        ):
            pending = SentenceSpan(pending.start, span.end, text[pending.start : span.end])
            merged += 1
        else:
            if pending is not None:
                units.append(pending)  # the quotation never closed within its paragraph
            pending, merged = span, 1
        if _open_quotes(pending.text) == 0:
            units.append(pending)
            pending = None
    if pending is not None:
        units.append(pending)
    return units


def _head(span: SentenceSpan, text: str, words: int = MAX_WORDS) -> SentenceSpan:
    """The span itself, or its first ``words`` words when it is longer (still an exact source span)."""
    matches = list(_WORD.finditer(span.text))
    if len(matches) <= words:
        return span
    end = span.start + matches[words - 1].end()
    return SentenceSpan(span.start, end, text[span.start : end])


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _eligible(span: SentenceSpan) -> bool:
    words = word_count(span.text)
    if words < MIN_WORDS or words > MAX_WORDS:
        return False
    if _CHROME.match(span.text.lstrip(" \"'“‘¿¡")):
        return False
    if "http://" in span.text or "https://" in span.text:
        return False
    # A sentence ends with punctuation; headlines and datelines usually do not.
    return span.text.rstrip("\"'”’»)] ")[-1:] in {".", "!", "?", "…"}


def _vectorize(texts: list[str]) -> np.ndarray:
    vectorizer = TfidfVectorizer(sublinear_tf=True, lowercase=True, strip_accents="unicode", min_df=1)
    try:
        # The parameters are fixed here and the input is a list of strings: scikit-learn's checks of both
        # cost about 0.4 ms an article and never fail (the same matrix either way).
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no usable terms at all
        return np.zeros((len(texts), 1))
    return matrix.toarray()


def select_sentences(
    text: str, count: int = 4, *, title: str | None = None, max_words: int = MAX_BRIEF_WORDS
) -> list[SentenceSpan]:
    """Choose up to ``count`` sentences of ``text`` for a brief, returned in source order.

    Score = lead bias (earlier sentences tell the story) + centrality (TF-IDF cosine to the
    whole article and to the title); greedy picks skip near-repeats of earlier picks and stop
    at about ``max_words`` words once three sentences are in.
    """
    spans = quote_units(text)
    title_key = _key(title or "")
    candidates = [s for s in spans if _eligible(s) and _key(s.text) != title_key][:MAX_CANDIDATES]
    if not candidates:
        # Very short or unpunctuated text: fall back to whatever sentences there are, cut to size.
        return [_head(s, text) for s in spans if word_count(s.text) >= 3][:count]
    count = max(1, count)
    docs = [s.text for s in candidates]
    extra = [title] if title else []
    vectors = _vectorize(docs + extra)
    sent_vecs = vectors[: len(docs)]
    norms = np.linalg.norm(sent_vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit = sent_vecs / norms
    centroid = unit.mean(axis=0)
    centroid_norm = np.linalg.norm(centroid) or 1.0
    centrality = unit @ (centroid / centroid_norm)
    if extra:
        title_vec = vectors[-1]
        title_norm = np.linalg.norm(title_vec) or 1.0
        centrality = 0.8 * centrality + 0.2 * (unit @ (title_vec / title_norm))
    top = float(centrality.max()) or 1.0
    centrality = centrality / top
    lead = np.array([1.0 / (1.0 + 0.3 * i) for i in range(len(docs))])
    score = (1 - LEAD_WEIGHT) * centrality + LEAD_WEIGHT * lead

    similarity = unit @ unit.T
    chosen: list[int] = []
    words = 0
    for index in np.argsort(-score, kind="stable"):
        index = int(index)
        if len(chosen) >= count:
            break
        if any(similarity[index, other] > NEAR_REPEAT for other in chosen):
            continue
        n_words = word_count(docs[index])
        if chosen and len(chosen) >= 3 and words + n_words > max_words:
            continue
        chosen.append(index)
        words += n_words
    return [candidates[i] for i in sorted(chosen)]
