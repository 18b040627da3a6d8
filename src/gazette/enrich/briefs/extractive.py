"""Enrichment, briefs: pick the sentences that cover an article best (lead bias plus centrality)."""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata

import numpy as np

from gazette.enrich.briefs.sentences import SentenceSpan, split_sentences
from gazette.textfold import distinct_non_ascii

logger = logging.getLogger(__name__)

MIN_WORDS = 6  # shorter lines are captions, bylines or fragments
MAX_WORDS = 60  # longer ones are run-ons that would crowd out the rest
MAX_BRIEF_WORDS = 150
MAX_CANDIDATES = 200  # a brief comes from the first 200 usable sentences (bounds the similarity matrix)
MAX_QUOTE_SENTENCES = 4  # a quotation longer than this is not kept whole
NEAR_REPEAT = 0.55  # cosine between two picks above which the second says little new
LEAD_WEIGHT = 0.35
_WORD = re.compile(r"\w+", re.UNICODE)
# ASCII bytes that are not word characters become spaces, line breaks and every other byte stay themselves.
_ASCII_SPACES = bytes(b if b >= 128 or b == 10 or _WORD.fullmatch(chr(b)) else 32 for b in range(256))
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


def _eligible(span: SentenceSpan, words: int) -> bool:
    """Whether a sentence of ``words`` words may be in a brief."""
    if words < MIN_WORDS or words > MAX_WORDS:
        return False
    if _CHROME.match(span.text.lstrip(" \"'“‘¿¡")):
        return False
    if "http://" in span.text or "https://" in span.text:
        return False
    # A sentence ends with punctuation; headlines and datelines usually do not.
    return span.text.rstrip("\"'”’»)] ")[-1:] in {".", "!", "?", "…"}


def _candidates(
    text: str, spans: list[SentenceSpan], title: str | None
) -> tuple[list[SentenceSpan], list[int]]:
    """The first ``MAX_CANDIDATES`` eligible sentences that do not repeat the title, with their word counts.

    Words are counted on ``_spaced(text)`` (every non-word character a space, offsets unchanged), so that one
    pass over the text serves every sentence; an ASCII sentence's key is read from the same words.
    """
    spaced = _spaced(text)
    title_key = _key(title or "")
    found: list[SentenceSpan] = []
    sizes: list[int] = []
    for span in spans:
        words = spaced[span.start : span.end].split()
        if not _eligible(span, len(words)):
            continue
        key = " ".join(words).lower() if span.text.isascii() else _key(span.text)
        if key == title_key:
            continue
        found.append(span)
        sizes.append(len(words))
        if len(found) == MAX_CANDIDATES:
            break
    return found, sizes


def _spaced(text: str, *, strip_accents: bool = False) -> str:
    """``text`` with every character that is not a word character (``\\w``) made a space, line breaks kept: ASCII
    by a byte table, the few distinct others one ``str.replace`` each. Offsets are unchanged, unless
    ``strip_accents`` first applies scikit-learn's ``strip_accents_unicode`` (NFKD, combining marks dropped)."""
    if strip_accents and not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    for char in distinct_non_ascii(text):
        if strip_accents and unicodedata.combining(char):
            text = text.replace(char, "")
        elif not _WORD.fullmatch(char):
            text = text.replace(char, " ")
    return text.encode("utf-8").translate(_ASCII_SPACES).decode("utf-8")


def _tokens(texts: list[str]) -> list[list[str]]:
    """Each text's runs of word characters once lower-cased and accents stripped (scikit-learn's preprocessing),
    in one pass over all of them when no text holds a line break: the break between two texts stops any case
    rule or mark from reaching across (final sigma, combining marks), so each line is what its text alone gives.
    Its tokens (``\\b\\w\\w+\\b``) are the runs of two characters or more."""
    if not any("\n" in text for text in texts):
        lines = _spaced("\n".join(texts).lower(), strip_accents=True).split("\n")
        if len(lines) == len(texts):  # always (lower-casing and NFKD make no line break)
            return [line.split() for line in lines]
    return [_spaced(text.lower(), strip_accents=True).split() for text in texts]


def _vectorize(texts: list[str]) -> np.ndarray:
    """The dense rows of scikit-learn's ``TfidfVectorizer(sublinear_tf=True, strip_accents="unicode")`` fitted on
    ``texts``, bit for bit, computed directly (a few sentences do not pay for its checks and sparse matrices).

    Every float is made by the same operations in the same order: a row's terms in the order of their first use
    in ``texts`` (as it counts them), columns by term; ``log(tf) + 1`` and ``log((n + 1) / (df + 1)) + 1`` over
    the same arrays; each row divided by the square root of its squares summed one by one in that order (its
    ``normalize``'s loop; a cumulative sum is sequential too).
    """
    runs = _tokens(texts)
    every = list(itertools.chain.from_iterable(runs))
    seen = list(dict.fromkeys(every))  # by first use
    first_use = dict(zip(seen, range(len(seen)), strict=True))
    ids = np.fromiter(map(first_use.__getitem__, every), dtype=np.int64, count=len(every))
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), [len(r) for r in runs])
    # a token has two characters or more
    long = np.fromiter(map(len, seen), dtype=np.int64, count=len(seen)) > 1
    terms = list(itertools.compress(seen, long.tolist()))
    size = len(terms)
    if not size:  # no usable terms at all (scikit-learn: "empty vocabulary")
        return np.zeros((len(texts), 1))
    kept = long[ids]
    rows, ids = rows[kept], (np.cumsum(long) - 1)[ids[kept]]
    keys, counts = np.unique(rows * size + ids, return_counts=True)  # by row, then first use: CSR's order
    rows, ids = np.divmod(keys, size)
    column = np.empty(size, dtype=np.int64)  # first use → alphabetical column
    column[sorted(range(size), key=terms.__getitem__)] = np.arange(size)
    columns = column[ids]
    data = counts.astype(np.float64)
    np.log(data, out=data)
    data += 1.0
    df = np.bincount(columns, minlength=size).astype(np.float64)
    df += 1.0
    idf = np.full_like(df, fill_value=len(texts) + 1, dtype=np.float64)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    data *= idf[columns]
    starts = np.searchsorted(rows, np.arange(len(texts)))
    place = np.arange(len(rows)) - starts[rows]  # each entry's place in its row
    squares = np.zeros((len(texts), int(place.max()) + 1))
    squares[rows, place] = data * data
    norms = np.sqrt(np.cumsum(squares, axis=1)[:, -1])  # a trailing 0.0 added changes no sum
    data /= norms[rows]
    matrix = np.zeros((len(texts), size))
    matrix[rows, columns] = data
    return matrix


def select_sentences(
    text: str, count: int = 4, *, title: str | None = None, max_words: int = MAX_BRIEF_WORDS
) -> list[SentenceSpan]:
    """Choose up to ``count`` sentences of ``text`` for a brief, returned in source order.

    Score = lead bias (earlier sentences tell the story) + centrality (TF-IDF cosine to the
    whole article and to the title); greedy picks skip near-repeats of earlier picks and stop
    at about ``max_words`` words once three sentences are in.
    """
    spans = quote_units(text)
    candidates, sizes = _candidates(text, spans, title)
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
        n_words = sizes[index]
        if chosen and len(chosen) >= 3 and words + n_words > max_words:
            continue
        chosen.append(index)
        words += n_words
    return [candidates[i] for i in sorted(chosen)]
