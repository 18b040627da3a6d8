"""Store: the words of full-text search — how articles and queries are turned into index terms, and snippets.

Both databases index the same terms, computed here, so a query finds the same articles on SQLite and
PostgreSQL. An article's terms are its words with case and accents folded away ("Bolívar" → "bolivar"),
then stemmed by the Snowball stemmer of the article's language ("apagones" → "apagon", "blackouts" →
"blackout"); a language without a stemmer keeps its folded words. A query does not know which language it
will meet, so each of its words is looked up as its folded form and as its stem in every stemmed language.

Terms are written to the index already split: FTS5 reads them with its ``ascii`` tokenizer (which splits only
on ASCII punctuation and spaces, so it never re-splits or re-folds a term) and PostgreSQL gets a ``tsvector``
literal with the positions and weights written out, never going through a parser of its own. The query side
is rendered here too, as an FTS5 MATCH expression and as a ``tsquery`` literal, from one parsed query.

Left alone on purpose: words are never dropped as stop words (readers' phrases need them), and non-Latin
scripts are folded for case only.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

import Stemmer

logger = logging.getLogger(__name__)

# The languages whose articles are stemmed, by ISO 639-1 code: the four of the Americas. Each query word is
# also stemmed in all of them, so adding one makes every query a little broader (and needs a reindex).
STEMMED_LANGUAGES = {"en": "english", "es": "spanish", "pt": "portuguese", "fr": "french"}
MAX_TERM_CHARS = 64  # a longer "word" is a URL fragment or a hash, never typed by a reader; not indexed
# PostgreSQL keeps positions up to 16,383 in a tsvector; both backends index this many words of an article,
# so that phrases near the end of a very long text match on both or on neither.
MAX_POSITIONS = 16_000
TITLE_GAP = 8  # positions left empty between title and text, so that no phrase spans the two
MAX_QUERY_WORDS = 20
MIN_PREFIX_CHARS = 3  # "a*" would list a good part of the vocabulary; shorter prefixes are read as words

_WORD = re.compile(r"[^\W_]+")
_RAW_PIECE = re.compile(r'-?"[^"]*"|\S+')


def fold(text: str) -> str:
    """Lower case without accents or other combining marks: "Mérida" → "merida", "ÅNGSTRÖM" → "angstrom"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def base_language(language: str | None) -> str | None:
    """The primary subtag of a language tag ("es-419" → "es"), lower case; None for none."""
    if not language:
        return None
    return language.split("-", 1)[0].split("_", 1)[0].strip().lower() or None


@cache
def _stemmer(name: str) -> Stemmer._Stemmer:
    return Stemmer.Stemmer(name)


def stem(word: str, language: str | None) -> str:
    """``word`` (already folded) stemmed in ``language``, or unchanged where that language has no stemmer."""
    name = STEMMED_LANGUAGES.get(base_language(language) or "")
    return _stemmer(name).stemWord(word) if name else word


def words(text: str) -> list[str]:
    """The folded words of a text: runs of letters and digits, case and accents folded, overlong ones dropped."""
    return [w for w in _WORD.findall(fold(text)) if len(w) <= MAX_TERM_CHARS]


def _stem_all(folded: list[str], language: str | None) -> list[str]:
    name = STEMMED_LANGUAGES.get(base_language(language) or "")
    return _stemmer(name).stemWords(folded) if name else folded


@dataclass(frozen=True)
class Document:
    """An article's index terms, in order: the title's and the text's."""

    title: list[str]
    body: list[str]

    def fts_columns(self) -> tuple[str, str]:
        """The two FTS5 column values (terms joined by spaces)."""
        return " ".join(self.title), " ".join(self.body)

    def tsvector(self) -> str:
        """A PostgreSQL ``tsvector`` literal: each term with its positions, title weighted A and text B."""
        positions: dict[str, list[str]] = {}
        for i, term in enumerate(self.title, start=1):
            positions.setdefault(term, []).append(f"{i}A")
        start = len(self.title) + TITLE_GAP
        for i, term in enumerate(self.body, start=start):
            positions.setdefault(term, []).append(f"{i}B")
        return " ".join(f"'{term}':{','.join(pos)}" for term, pos in positions.items())


def analyse_article(title: str, text: str, language: str | None) -> Document:
    """The index terms of an article, stemmed in its language."""
    head = words(title or "")[: MAX_POSITIONS // 4]
    body = words(text or "")[: max(0, MAX_POSITIONS - len(head) - TITLE_GAP)]
    return Document(_stem_all(head, language), _stem_all(body, language))


def variants(word: str) -> tuple[str, ...]:
    """The index terms a folded query word may have become: itself and its stem in each stemmed language."""
    seen = [word]
    for name in STEMMED_LANGUAGES.values():
        stemmed = _stemmer(name).stemWord(word)
        if stemmed not in seen:
            seen.append(stemmed)
    return tuple(seen)


# --- queries -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One query word, its index variants, and whether it is a prefix (``word*``)."""

    word: str
    prefix: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return variants(self.word)


@dataclass(frozen=True)
class Phrase:
    """Words that must follow each other: a quoted phrase."""

    words: tuple[str, ...]

    def per_language(self) -> list[tuple[str, ...]]:
        """The phrase as each kind of article indexes it: folded, and stemmed in each language."""
        out = [self.words]
        for code in STEMMED_LANGUAGES:
            stemmed = tuple(stem(w, code) for w in self.words)
            if stemmed not in out:
                out.append(stemmed)
        return out


Clause = Term | Phrase


@dataclass
class Query:
    """A parsed query: groups that must all match (each group is clauses joined by OR), and exclusions."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.groups)

    def clauses(self) -> Iterator[Clause]:
        for group in self.groups:
            yield from group

    def relaxed(self) -> Query:
        """The same query with every positive clause optional: any one of them is enough."""
        return Query([list(self.clauses())], list(self.excluded))

    @property
    def is_relaxable(self) -> bool:
        return len(self.groups) > 1


def _clauses(piece: str) -> list[Clause]:
    """The clauses of one raw piece of the query: a quoted phrase, a prefix, or plain words (a piece like
    "covid-19" or "NEAR(x)" holds two words; each is a word of its own, as if typed apart)."""
    found = words(piece)
    if len(piece) > 1 and piece.startswith('"') and piece.endswith('"'):
        return [Phrase(tuple(found)) if len(found) > 1 else Term(w) for w in found[:1]]
    if len(found) == 1:
        return [Term(found[0], prefix=piece.endswith("*") and len(found[0]) >= MIN_PREFIX_CHARS)]
    return [Term(w) for w in found]


def parse_query(raw: str) -> Query:
    """Read a reader's query: ``"phrase"``, ``a OR b``, ``-word``, ``word*``; everything else is plain words.

    Nothing here raises: an unbalanced quote is dropped (its words are plain words), a lone ``OR`` or a
    trailing one is the word "or", and a query of nothing but exclusions searches for those words instead.
    """
    pieces = _RAW_PIECE.findall(unicodedata.normalize("NFC", raw))
    query = Query()
    joining = False  # the previous piece was an OR between two clauses
    count = 0
    for i, piece in enumerate(pieces):
        if count >= MAX_QUERY_WORDS:
            break
        if piece == "OR" and query.groups and i + 1 < len(pieces) and not joining:
            joining = True
            continue
        negative = piece.startswith("-") and len(piece) > 1
        clauses = _clauses(piece[1:] if negative else piece)
        if not clauses:
            continue
        for n, clause in enumerate(clauses):
            count += len(clause.words) if isinstance(clause, Phrase) else 1
            if negative:
                query.excluded.append(clause)
            elif joining and n == 0:
                query.groups[-1].append(clause)
            else:
                query.groups.append([clause])
        joining = False
    if joining:  # "a OR" followed only by what held no word
        query.groups.append([Term("or")])
    if not query.groups and query.excluded:
        query.groups = [[clause] for clause in query.excluded]
        query.excluded = []
    return query


# FTS5: every term is quoted, so no word can be read as an operator; a phrase is one quoted string.


def _fts_clause(clause: Clause) -> str:
    if isinstance(clause, Phrase):
        options = ['"' + " ".join(ws) + '"' for ws in clause.per_language()]
    else:
        star = "*" if clause.prefix else ""
        options = [f'"{key}"{star}' for key in clause.keys]
    return options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")"


def fts_match(query: Query) -> str:
    """The FTS5 MATCH expression of a parsed (non-empty) query."""
    groups = []
    for group in query.groups:
        parts = [_fts_clause(c) for c in group]
        groups.append(parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")")
    expression = " AND ".join(groups)
    if query.excluded:
        expression = f"({expression})" + "".join(f" NOT {_fts_clause(c)}" for c in query.excluded)
    return expression


def _ts_clause(clause: Clause) -> str:
    if isinstance(clause, Phrase):
        options = ["(" + " <-> ".join(f"'{w}'" for w in ws) + ")" for ws in clause.per_language()]
    else:
        star = ":*" if clause.prefix else ""
        options = [f"'{key}'{star}" for key in clause.keys]
    return options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"


def tsquery(query: Query) -> str:
    """The PostgreSQL ``tsquery`` literal of a parsed (non-empty) query, meaning what ``fts_match`` means."""
    groups = []
    for group in query.groups:
        parts = [_ts_clause(c) for c in group]
        groups.append(parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")")
    expression = " & ".join(groups)
    if query.excluded:
        expression = f"({expression})" + "".join(f" & !{_ts_clause(c)}" for c in query.excluded)
    return expression


# --- snippets ----------------------------------------------------------------------------------------------

SNIPPET_WORDS = 30
SNIPPET_SCAN_WORDS = 4_000  # how far into a text the snippet looks for the matched words


def _matcher(query: Query, language: str | None) -> tuple[set[str], tuple[str, ...]]:
    """The index terms (and term prefixes) that mark a word of an article in ``language`` as matched."""
    exact: set[str] = set()
    prefixes: list[str] = []
    for clause in query.clauses():
        if isinstance(clause, Phrase):
            exact.update(stem(w, language) for w in clause.words)
        elif clause.prefix:
            prefixes.extend(clause.keys)
        else:
            exact.update(clause.keys)
    return exact, tuple(prefixes)


def snippet_html(text: str, query: Query, language: str | None) -> str:
    """An escaped extract of ``text`` around the most matched words, each wrapped in ``<mark>``."""
    exact, prefixes = _matcher(query, language)
    spans: list[tuple[int, int, bool]] = []  # start, end, matched — of each word
    cache: dict[str, bool] = {}
    for m in _WORD.finditer(text):
        if len(spans) >= SNIPPET_SCAN_WORDS:
            break
        raw = m.group()
        hit = cache.get(raw)
        if hit is None:
            folded = words(raw)
            key = stem(folded[0], language) if len(folded) == 1 else ""
            hit = bool(key) and (key in exact or key.startswith(prefixes) if prefixes else key in exact)
            cache[raw] = hit
        spans.append((m.start(), m.end(), hit))
    if not spans:
        return ""
    start = _best_window(spans)
    window = spans[start : start + SNIPPET_WORDS]
    out = ["…" if start > 0 else ""]
    cursor = window[0][0]
    for begin, end, hit in window:
        out.append(html.escape(text[cursor:begin], quote=False))
        word = html.escape(text[begin:end], quote=False)
        out.append(f"<mark>{word}</mark>" if hit else word)
        cursor = end
    if start + SNIPPET_WORDS < len(spans):
        out.append("…")
    return "".join(out).strip()


def _best_window(spans: list[tuple[int, int, bool]]) -> int:
    """Where the window of SNIPPET_WORDS words with the most matches starts (the first such, a little before)."""
    flags = [hit for _, _, hit in spans]
    if not any(flags):
        return 0
    best, best_count = 0, -1
    count = sum(flags[:SNIPPET_WORDS])
    for i in range(0, max(1, len(flags) - SNIPPET_WORDS + 1)):
        if i:
            count += flags[i + SNIPPET_WORDS - 1] - flags[i - 1]
        if count > best_count:
            best, best_count = i, count
    first_hit = flags.index(True, best)
    return max(0, min(best, first_hit - 3))


def sample_terms(query: Query) -> Iterable[str]:
    """Every index term a query may look up (for logs and tests)."""
    for clause in query.clauses():
        if isinstance(clause, Phrase):
            for ws in clause.per_language():
                yield from ws
        else:
            yield from clause.keys
