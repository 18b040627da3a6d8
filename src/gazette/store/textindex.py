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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import cast

import Stemmer

from gazette.textfold import fold

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


# Folded word → stem, per stemmer: an article's words are mostly words stemmed before, and a dictionary hit
# costs a tenth of PyStemmer's own cache (10,000 words, emptied as a desk's vocabulary passes through it).
_STEMS: dict[str, dict[str, str]] = {name: {} for name in STEMMED_LANGUAGES.values()}
STEM_CACHE_SIZE = 200_000  # words per language; past it the cache starts again


def _stem_all(folded: list[str], language: str | None) -> list[str]:
    name = STEMMED_LANGUAGES.get(base_language(language) or "")
    if not name:
        return folded
    stems = _STEMS[name]
    out = list(map(stems.get, folded))
    if None not in out:
        return cast("list[str]", out)
    if len(stems) > STEM_CACHE_SIZE:
        stems.clear()
    missing = [w for w in dict.fromkeys(folded) if w not in stems]
    found = dict(zip(missing, _stemmer(name).stemWords(missing), strict=True))
    stems.update(found)
    return [found[w] if s is None else s for w, s in zip(folded, out, strict=True)]


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
        start = len(self.title) + TITLE_GAP
        if start + len(self.body) > MAX_POSITIONS:  # longer than ``analyse_article`` makes them
            title_at = [f"{i}A" for i in range(start)]
            body_at = [f"{i}B" for i in range(start + len(self.body))]
        else:  # "1A", "2A" …, "1B" …: formatted once, not once a word
            title_at, body_at = _position_labels()
        positions: dict[str, list[str]] = {}
        for i, term in enumerate(self.title, start=1):
            held = positions.get(term)
            if held is None:
                positions[term] = [title_at[i]]
            else:
                held.append(title_at[i])
        for i, term in enumerate(self.body, start=start):
            held = positions.get(term)
            if held is None:
                positions[term] = [body_at[i]]
            else:
                held.append(body_at[i])
        return " ".join([f"'{term}':{','.join(pos)}" for term, pos in positions.items()])


@cache
def _position_labels() -> tuple[list[str], list[str]]:
    """The tsvector position labels of the title (weight A) and of the text (B), by position: every position
    ``analyse_article`` hands out is below ``MAX_POSITIONS``."""
    return [f"{i}A" for i in range(MAX_POSITIONS)], [f"{i}B" for i in range(MAX_POSITIONS)]


def analyse_article(title: str, text: str, language: str | None) -> Document:
    """The index terms of an article, stemmed in its language."""
    head = words(title or "")[: MAX_POSITIONS // 4]
    body = words(text or "")[: max(0, MAX_POSITIONS - len(head) - TITLE_GAP)]
    return Document(_stem_all(head, language), _stem_all(body, language))


@lru_cache(maxsize=8192)
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

    @property
    def is_relaxable(self) -> bool:
        return len(self.groups) > 1


def _clauses(piece: str) -> list[Clause]:
    """The clauses of one raw piece of the query: a quoted phrase, a prefix, or plain words (a piece like
    "covid-19" or "NEAR(x)" holds two words; each is a word of its own, as if typed apart)."""
    found = words(piece)
    if len(piece) > 1 and piece.startswith('"') and piece.endswith('"'):
        if len(found) > 1:
            return [Phrase(tuple(found))]
        return [Term(w) for w in found]  # one quoted word (or none)
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


@dataclass(frozen=True)
class _Syntax:
    """How one engine writes a parsed query: the same tree, two spellings."""

    term: Callable[[str], str]
    phrase: Callable[[Sequence[str]], str]
    prefix: str
    any_of: str
    all_of: str
    but_not: str


_FTS5 = _Syntax(
    term=lambda key: f'"{key}"',
    phrase=lambda words: '"' + " ".join(words) + '"',
    prefix="*",
    any_of=" OR ",
    all_of=" AND ",
    but_not=" NOT ",
)
_TSQUERY = _Syntax(
    term=lambda key: f"'{key}'",
    phrase=lambda words: "(" + " <-> ".join(f"'{w}'" for w in words) + ")",
    prefix=":*",
    any_of=" | ",
    all_of=" & ",
    but_not=" & !",
)


def _clause(clause: Clause, syntax: _Syntax) -> str:
    if isinstance(clause, Phrase):
        options = [syntax.phrase(words) for words in clause.per_language()]
    else:
        star = syntax.prefix if clause.prefix else ""
        options = [syntax.term(key) + star for key in clause.keys]
    return options[0] if len(options) == 1 else "(" + syntax.any_of.join(options) + ")"


def _expression(query: Query, syntax: _Syntax) -> str:
    groups = []
    for group in query.groups:
        parts = [_clause(c, syntax) for c in group]
        groups.append(parts[0] if len(parts) == 1 else "(" + syntax.any_of.join(parts) + ")")
    expression = syntax.all_of.join(groups)
    if query.excluded:
        expression = f"({expression})" + "".join(syntax.but_not + _clause(c, syntax) for c in query.excluded)
    return expression


def fts_match(query: Query) -> str:
    """The FTS5 MATCH expression of a parsed (non-empty) query."""
    return _expression(query, _FTS5)


def tsquery(query: Query) -> str:
    """The PostgreSQL ``tsquery`` literal of a parsed (non-empty) query, meaning what ``fts_match`` means."""
    return _expression(query, _TSQUERY)


# --- snippets ----------------------------------------------------------------------------------------------

SNIPPET_CHARS = 220  # about 30 words
SNIPPET_LEAD_CHARS = 2_000  # the snippet looks for the matched words here first (most are in the lead)
SNIPPET_SCAN_CHARS = 12_000  # and this far into a text when the lead has none


class Highlighter:
    """Marks the words of article texts that a query matched; built once per query, used for each hit.

    A word is matched when its index term (in the article's language) is one the query looks up, so
    "apagones" marks "apagón" and "blacko*" marks "blackouts". Verdicts are cached per language and word,
    and a word whose first letter no query term has is never stemmed.
    """

    def __init__(self, query: Query) -> None:
        self.query = query
        self._rules: dict[str | None, tuple[frozenset[str], tuple[str, ...], frozenset[str]]] = {}
        self._verdicts: dict[str | None, dict[str, bool]] = {}

    def _rules_for(self, language: str | None) -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
        code = base_language(language)
        if code not in self._rules:
            exact: set[str] = set()
            prefixes: list[str] = []
            for clause in self.query.clauses():
                if isinstance(clause, Phrase):
                    exact.update(stem(w, code) for w in clause.words)
                elif clause.prefix:
                    prefixes.extend(clause.keys)
                else:
                    exact.update(clause.keys)
            initials = frozenset(k[0] for k in (*exact, *prefixes))
            self._rules[code] = (frozenset(exact), tuple(prefixes), initials)
        return self._rules[code]

    def matches(self, word: str, language: str | None) -> bool:
        """Whether ``word`` (as written in the text) is one the query matched."""
        code = base_language(language)
        return self._matches(word, code, self._rules_for(code))

    def _matches(
        self, word: str, code: str | None, rules: tuple[frozenset[str], tuple[str, ...], frozenset[str]]
    ) -> bool:
        verdicts = self._verdicts.setdefault(code, {})
        verdict = verdicts.get(word)
        if verdict is None:
            exact, prefixes, initials = rules
            verdict = False
            if _initial(word[0]) in initials:
                folded = words(word)
                if len(folded) == 1:
                    key = stem(folded[0], code)
                    verdict = key in exact or bool(prefixes and key.startswith(prefixes))
            verdicts[word] = verdict
        return verdict

    def _spans(self, scan: str, code: str | None) -> list[tuple[int, int]]:
        rules = self._rules_for(code)
        verdicts = self._verdicts.setdefault(code, {})
        spans = []
        for m in _WORD.finditer(scan):
            word = m.group()
            verdict = verdicts.get(word)
            if verdict is None:
                verdict = self._matches(word, code, rules)
            if verdict:
                spans.append(m.span())
        return spans

    def snippet_html(self, text: str, language: str | None) -> str:
        """An escaped extract of ``text`` around the most matched words, each wrapped in ``<mark>``."""
        code = base_language(language)
        scan = text[:SNIPPET_LEAD_CHARS]
        spans = self._spans(scan, code)
        if not spans and len(text) > len(scan):  # the words are further in: look further
            scan = text[:SNIPPET_SCAN_CHARS]
            spans = self._spans(scan, code)
        begin = _window_start(scan, spans)
        end = min(len(scan), begin + SNIPPET_CHARS)
        if end < len(scan):
            space = scan.rfind(" ", begin, end)
            end = space if space > begin else end
        out = ["…" if begin > 0 else ""]
        cursor = begin
        for start, stop in spans:
            if start < begin or stop > end:
                continue
            out.append(html.escape(scan[cursor:start], quote=False))
            out.append(f"<mark>{html.escape(scan[start:stop], quote=False)}</mark>")
            cursor = stop
        out.append(html.escape(scan[cursor:end], quote=False))
        if end < len(text):
            out.append("…")
        return " ".join("".join(out).split())


@lru_cache(maxsize=4096)
def _initial(char: str) -> str:
    """The folded form of a word's first character (its first letter once accents are gone)."""
    return fold(char)[:1]


def _window_start(text: str, spans: list[tuple[int, int]]) -> int:
    """Where the snippet starts: a little before the first match of the window holding the most matches."""
    if not spans:
        return 0
    best, best_count, j = 0, 0, 0
    for i, (start, _) in enumerate(spans):
        while spans[j][0] < start:
            j += 1
        count = 0
        while j + count < len(spans) and spans[j + count][1] <= start + SNIPPET_CHARS - SNIPPET_CHARS // 3:
            count += 1
        if count > best_count:
            best, best_count = i, count
    first = spans[best][0]
    lead = SNIPPET_CHARS // 3  # context shown before the first marked word
    if first < lead:
        return 0
    space = text.find(" ", first - lead, first)
    return space + 1 if space >= 0 else first


def snippet_html(text: str, query: Query, language: str | None) -> str:
    """``Highlighter(query).snippet_html`` for one text."""
    return Highlighter(query).snippet_html(text, language)


def sample_terms(query: Query) -> Iterable[str]:
    """Every index term a query may look up (for logs and tests)."""
    for clause in query.clauses():
        if isinstance(clause, Phrase):
            for ws in clause.per_language():
                yield from ws
        else:
            yield from clause.keys
