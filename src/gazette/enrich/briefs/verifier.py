"""Enrichment, briefs: check that every sentence of a brief is supported by its source text.

A brief sentence is SUPPORTED when
- each quoted span appears verbatim in the source (whitespace and quote marks normalized),
- each number (digits or words, with its unit) appears in the source,
- each named person/place/organization (a capitalized phrase) appears in the source after
  folding case, accents and whitespace,
- it does not add a negation that its supporting passage lacks, and
- its content words are covered by one passage of up to three consecutive source sentences
  (IDF-weighted recall of words and word pairs) at least ``SUPPORT_THRESHOLD``.
The passage that covers it best is its ``source_span``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from gazette.enrich.briefs.numbers import NumberMention, find_numbers
from gazette.enrich.briefs.sentences import SentenceSpan, split_sentences
from gazette.stopwords import stop_words
from gazette.textfold import fold

SUPPORT_THRESHOLD = 0.55  # faithful paraphrases in the test pairs score >= 0.59, added claims <= 0.46
MAX_WINDOW = 3  # source sentences one brief sentence may draw on
_FAILED_CHECK_FACTOR = 0.85  # each failed number/name/quote/date/negation check cuts a sentence's score
_SUPPORT_WEIGHT = 0.3  # score = 0.3 word coverage + 0.7 trigram copy rate (grid-chosen on FRANK valid)

_TOKEN = re.compile(r"\w+(?:['’]\w+)?", re.UNICODE)
# A quotation may run over several sentences: find its extent in the whole brief.
_QUOTE_REGION = re.compile(r'"[^"\n]+"|“[^”\n]+”|«[^»\n]+»|„[^“”\n]+[“”]')
_QUOTE = re.compile(r"[\"“”„«»]([^\"“”„«»]{2,}?)[\"“”„«»]|‘([^‘’]{2,}?)’(?!\w)")
_CAPITALIZED = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’.-]*", re.UNICODE)

STOPWORDS = stop_words("en", "es")
NEGATIONS = frozenset(
    """not no never none nobody nothing neither nor cannot n't isn't wasn't aren't weren't
    don't doesn't didn't won't wouldn't can't couldn't shouldn't hasn't haven't hadn't denied denies
    deny refused refuses nunca jamás ningún ninguna nadie nada tampoco""".split()
)
# Capitalized words that are not names: sentence openers, titles, days and months.
_NOT_NAMES = frozenset(
    """mr mrs ms dr prof sir madam president prime minister chancellor senator governor mayor king queen
    prince princess pope judge general colonel captain chief secretary minister officer director sr sra
    srta don doña monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december lunes martes miércoles jueves viernes
    sábado domingo enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre
    diciembre""".split()
)
_DATE_WORDS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december lunes martes miercoles jueves viernes sabado
    domingo enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre
    diciembre""".split()
)
_NAME_JOINERS = frozenset({"of", "de", "del", "la", "las", "los", "the", "van", "von", "da", "di", "y"})


def comparable_text(text: str) -> str:
    """``textfold.fold``, then one kind of quote and dash and single spaces: the form a brief and its
    source are compared in."""
    text = fold(text)
    text = re.sub(r"[‘’`´]", "'", text)
    text = re.sub(r"[“”„«»]", '"', text)
    text = re.sub(r"[‐-―−]", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def _verbatim(text: str) -> str:
    """Quotes must match verbatim: only whitespace and quote/apostrophe styles are normalized."""
    text = re.sub(r"[‘’`´]", "'", text)
    text = re.sub(r"[“”„«»]", '"', text)
    return re.sub(r"\s+", " ", text).strip()


def stem(word: str) -> str:
    """A crude suffix stripper, enough to match "releases" with "released"."""
    for suffix in (
        "ations",
        "ation",
        "ments",
        "ment",
        "ings",
        "ing",
        "edly",
        "ies",
        "ied",
        "ed",
        "es",
        "s",
        "ly",
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:7]


def content_tokens(text: str) -> list[str]:
    """Stemmed content words of ``text`` (stopwords and punctuation dropped)."""
    out = []
    for token in _TOKEN.findall(comparable_text(text)):
        token = token.replace("'", "")
        if token in STOPWORDS or (len(token) < 2 and not token.isdigit()):
            continue
        out.append(stem(token))
    return out


@dataclass(frozen=True)
class SentenceCheck:
    """The verdict on one brief sentence."""

    sentence: str
    supported: bool
    reason: str  # empty when supported; else what failed, e.g. "number not in source: 300"
    source_span: tuple[int, int] | None  # the source passage that supports it best
    score: float  # 0..1, higher is better supported
    support: float = 0.0  # word-coverage similarity to the best source passage
    problems: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, object]:
        return {
            "sentence": self.sentence,
            "supported": self.supported,
            "reason": self.reason,
            "source_span": list(self.source_span) if self.source_span else None,
        }


class SourceIndex:
    """What the verifier needs to know about one source text, built once per source."""

    def __init__(self, source: str) -> None:
        self.text = source
        self.folded = " " + comparable_text(source) + " "
        self.verbatim = _verbatim(source)
        self.sentences: list[SentenceSpan] = split_sentences(source)
        self.folded_sentences = [comparable_text(s.text) for s in self.sentences]
        self.sentence_tokens = [set(content_tokens(s.text)) for s in self.sentences]
        self.sentence_bigrams = [_bigrams(content_tokens(s.text)) for s in self.sentences]
        self.sentence_negated = [_negated_words(s.text) for s in self.sentences]
        self.words = set(re.findall(r"\w+", self.folded))
        self.all_tokens = set().union(*self.sentence_tokens) if self.sentence_tokens else set()
        n = max(1, len(self.sentences))
        df: dict[str, int] = {}
        for tokens in self.sentence_tokens:
            for token in tokens:
                df[token] = df.get(token, 0) + 1
        self.idf = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        self.unseen_idf = math.log(n + 1) + 1.0
        self.numbers = find_numbers(source)
        self.trigrams = _word_trigrams(source)

    def weight(self, token: str) -> float:
        return self.idf.get(token, self.unseen_idf)

    def best_passage(self, tokens: list[str], sentence: str = "") -> tuple[float, int, int]:
        """(support, first, last) sentence indexes of the passage that covers ``tokens`` best.

        A sentence found word for word in one source sentence is supported by that sentence.
        """
        if not self.sentences:
            return 0.0, -1, -1
        if sentence:
            folded = comparable_text(sentence)
            for i, other in enumerate(self.folded_sentences):
                if folded in other:
                    return 1.0, i, i
        unique = set(tokens)
        if not unique:
            return 0.0, 0, 0
        bigrams = _bigrams(tokens)
        total = sum(self.weight(t) for t in unique)
        best = (-1.0, 0, 0)
        for first in range(len(self.sentences)):
            covered: set[str] = set()
            covered_bigrams: set[tuple[str, str]] = set()
            for last in range(first, min(first + MAX_WINDOW, len(self.sentences))):
                covered |= self.sentence_tokens[last] & unique
                covered_bigrams |= self.sentence_bigrams[last] & bigrams
                recall = sum(self.weight(t) for t in covered) / total
                bigram_recall = len(covered_bigrams) / len(bigrams) if bigrams else recall
                # A longer passage must earn its place: prefer the shortest one that covers as well.
                value = 0.8 * recall + 0.2 * bigram_recall - 0.03 * (last - first)
                if value > best[0]:
                    best = (value, first, last)
        value, first, last = best
        return max(0.0, min(1.0, value + 0.03 * (last - first))), first, last


def _word_trigrams(text: str) -> set[tuple[str, ...]]:
    words = _TOKEN.findall(comparable_text(text))
    return set(zip(words, words[1:], words[2:], strict=False))


def copy_rate(sentence: str, index: SourceIndex) -> float:
    """Share of the sentence's word trigrams (stopwords kept) that occur in the source."""
    grams = list(_word_trigrams(sentence))
    if not grams:
        return 1.0
    return sum(g in index.trigrams for g in grams) / len(grams)


def _bigrams(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:], strict=False))


NEGATION_SCOPE = 4  # words after a negation that it governs


def _is_negation(token: str) -> bool:
    return token in NEGATIONS or token.endswith("n't")


def _negated_words(text: str) -> list[set[str]]:
    """For each negation in ``text``, the stems of the content words it governs."""
    tokens = _TOKEN.findall(comparable_text(text))
    scopes = []
    for i, token in enumerate(tokens):
        if _is_negation(token):
            following = tokens[i + 1 : i + 1 + NEGATION_SCOPE]
            scopes.append({stem(t) for t in following if t not in STOPWORDS and not _is_negation(t)})
    return scopes


def _negation_unsupported(sentence: str, index: SourceIndex, first: int, last: int) -> bool:
    """True when the sentence negates something its source passage does not negate."""
    passage = [scope for scopes in index.sentence_negated[first : last + 1] for scope in scopes]
    for scope in _negated_words(sentence):
        if not passage:
            return True
        if scope and not any(scope & other for other in passage):
            return True
    return False


def find_quotes(sentence: str) -> list[str]:
    """Quoted spans of ``sentence`` (double quotes, guillemets, or curly single quotes)."""
    return [q.strip(" ,.;:") for pair in _QUOTE.findall(sentence) for q in pair if q.strip(" ,.;:")]


def find_names(sentence: str) -> list[str]:
    """Capitalized phrases that look like people, places or organizations.

    A run of capitalized words (joined by "of", "de", "van" …) is a name; a single capitalized
    word that opens the sentence is not (it is usually just the first word).
    """
    names: list[str] = []
    words = list(re.finditer(r"\S+", sentence))
    run: list[str] = []
    run_starts_sentence = False

    def close() -> None:
        while run and run[-1].lower() in _NAME_JOINERS:
            run.pop()
        while run and run[0].lower() in _NAME_JOINERS:
            run.pop(0)
        tokens = [w for w in run if w.lower().strip(".") not in _NOT_NAMES]
        if tokens and not (run_starts_sentence and len(run) == 1):
            names.append(" ".join(tokens))
        run.clear()

    for index, match in enumerate(words):
        raw = match.group(0)
        word = raw.strip("\"'“”‘’«»()[]¿¡,;:.!?")
        possessive = bool(re.search(r"['’]s$", word))
        word = re.sub(r"['’]s$", "", word)
        opens = index == 0 or bool(re.search(r"[.!?:]['\"”’»]*$", words[index - 1].group(0)))
        if word and _CAPITALIZED.fullmatch(word) and not word.isdigit():
            if not run:
                run_starts_sentence = opens or raw[0] in '"“‘«¿¡'
            run.append(word)
        elif run and word.lower() in _NAME_JOINERS and raw == word:
            run.append(word)
        else:
            close()
        if run and (possessive or raw[-1:] in ',;:.!?)"”’»'):
            close()  # "Peru's Cajamarca region" names two things
    close()
    return names


def find_dates(sentence: str) -> list[str]:
    """Capitalized month and weekday names ("in May", "on Tuesday"); not "May" opening a sentence."""
    found = []
    for match in re.finditer(r"\b[A-ZÁÉÍÓÚ][a-záéíóú]+\b", sentence):
        word = match.group(0)
        if comparable_text(word) not in _DATE_WORDS:
            continue
        if word == "May" and not sentence[: match.start()].strip(" \"'“‘«¿¡"):
            continue  # the verb
        found.append(word)
    return found


def _name_in_source(name: str, index: SourceIndex) -> bool:
    folded = comparable_text(name)
    if f" {folded} " in index.folded or re.search(rf"\b{re.escape(folded)}\b", index.folded):
        return True
    tokens = [t for t in re.findall(r"\w+", folded) if t not in _NAME_JOINERS and t not in _NOT_NAMES]
    return bool(tokens) and all(t in index.words for t in tokens)


def _number_in_source(number: NumberMention, index: SourceIndex) -> bool:
    for other in index.numbers:
        if not (number.values & other.values):
            continue
        if number.unit is None or number.unit == other.unit:
            return True
    return False


def check_sentence(sentence: str, index: SourceIndex, *, quotes: list[str] | None = None) -> SentenceCheck:
    """Check one brief sentence against an indexed source.

    ``quotes`` are the quoted fragments within the sentence when the caller found them over the
    whole brief (a quotation can open in one sentence and close in a later one).
    """
    problems: list[str] = []
    found = list(quotes or [])
    found += [q for q in find_quotes(sentence) if q not in found]
    for quote in found:
        if _verbatim(quote) not in index.verbatim:
            problems.append(f"quote not in source: “{quote}”")
    for number in find_numbers(sentence):
        if not _number_in_source(number, index):
            problems.append(f"number not in source: {number.text}")
    for name in find_names(sentence):
        if not _name_in_source(name, index):
            problems.append(f"name not in source: {name}")
    for day in find_dates(sentence):
        if not re.search(rf"\b{comparable_text(day)}\b", index.folded):
            problems.append(f"date not in source: {day}")
    tokens = content_tokens(sentence)
    support, first, last = index.best_passage(tokens, sentence)
    span = None
    if first >= 0:
        span = (index.sentences[first].start, index.sentences[last].end)
        if _negation_unsupported(sentence, index, first, last):
            problems.append("negation not in source")
    if support < SUPPORT_THRESHOLD:
        problems.append(f"weakly supported (similarity {support:.2f} < {SUPPORT_THRESHOLD:.2f})")
    # The score ranks sentences (and briefs) for threshold tuning: literal copying is strong
    # evidence of support, so it counts beside the word coverage; each failed check cuts it.
    hard_failures = sum(1 for p in problems if not p.startswith("weakly"))
    score = (_SUPPORT_WEIGHT * support + (1 - _SUPPORT_WEIGHT) * copy_rate(sentence, index)) * (
        _FAILED_CHECK_FACTOR**hard_failures
    )
    return SentenceCheck(
        sentence=sentence,
        supported=not problems,
        reason="; ".join(problems),
        source_span=span,
        score=round(score, 4),
        support=round(support, 4),
        problems=tuple(problems),
    )


def _quoted_fragments(text: str, spans: list[SentenceSpan]) -> list[list[str]]:
    """For each sentence span, the parts of it that lie inside a quotation of ``text``."""
    regions = [(m.start() + 1, m.end() - 1) for m in _QUOTE_REGION.finditer(text)]
    fragments = []
    for span in spans:
        inside = []
        for start, end in regions:
            lo, hi = max(start, span.start), min(end, span.end)
            fragment = text[lo:hi].strip(" ,.;:") if hi > lo else ""
            if len(fragment) >= 2:
                inside.append(fragment)
        fragments.append(inside)
    return fragments


def verify_brief(source: str | SourceIndex, brief: str | Iterable[str]) -> list[SentenceCheck]:
    """One :class:`SentenceCheck` per sentence of ``brief`` (a text, or sentences already split)."""
    index = source if isinstance(source, SourceIndex) else SourceIndex(source)
    if isinstance(brief, str):
        spans = split_sentences(brief)
        quotes = _quoted_fragments(brief, spans)
        return [check_sentence(s.text, index, quotes=q) for s, q in zip(spans, quotes, strict=True)]
    return [check_sentence(s, index) for s in brief]


def brief_score(checks: list[SentenceCheck]) -> float:
    """How well a whole brief is supported, in [0, 1]: its weakest sentence counts most."""
    if not checks:
        return 1.0
    scores = [c.score for c in checks]
    return round(0.5 * min(scores) + 0.5 * sum(scores) / len(scores), 4)
