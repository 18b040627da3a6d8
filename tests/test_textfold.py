"""textfold and stopwords: the one accent fold and the one stop-word list per language."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from gazette.stopwords import STOP_WORDS, stop_words
from gazette.textfold import _ONE_FOR_ONE, distinct_non_ascii, fold, fold_keeping_length


def test_fold_examples() -> None:
    assert fold("Mérida") == fold("MERIDA") == "merida"
    assert fold("ÅNGSTRÖM") == "angstrom"
    assert fold("Straße") == "strasse"  # case-folded, not only lower-cased
    assert fold("ﬁnal São Tomé") == "final sao tome"
    assert fold("Łódź") == "łodz"  # ł is a letter of its own, not an accented l


def test_fold_keeping_length_maps_offsets_one_for_one() -> None:
    text = "Mérida’s MAYOR, Straße"
    folded = fold_keeping_length(text)
    assert folded == "merida's mayor, straße"
    assert len(folded) == len(text)


@given(st.text())
def test_fold_is_idempotent_and_keeping_length_keeps_it(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert len(fold_keeping_length(text)) == len(text)


@settings(max_examples=400)
@given(
    st.text(min_size=0, max_size=400)
    | st.text(alphabet="aAé\u0301ÉΣσςΟΔİıKK\u212a`´’‘“ßẞ\U0001d400ﬁǅǄ \ud800", min_size=1, max_size=200)
)
def test_fold_keeping_length_equals_its_table(text: str) -> None:
    # lower-casing in one pass and replacing the few distinct characters gives what the table gives
    # character by character, sigma (whose lower case depends on its neighbours), "İ" and all
    assert fold_keeping_length(text) == text.translate(_ONE_FOR_ONE)


def _fold_by_definition(text: str) -> str:
    """``fold`` character by character: decomposed, case-folded, decomposed again, combining marks dropped."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@settings(max_examples=300)
@given(
    st.text(min_size=0, max_size=400)
    | st.text(alphabet="aé\u0301Ωß’“ \U0001d400ﬁİ", min_size=50, max_size=400)
)
def test_fold_and_the_distinct_characters_equal_their_definitions(text: str) -> None:
    assert fold(text) == _fold_by_definition(text)
    found = distinct_non_ascii(text)
    assert len(found) == len(set(found)) and set(found) == {ch for ch in text if not ch.isascii()}


def test_stop_words_are_in_folded_form_and_per_language() -> None:
    for language, words in STOP_WORDS.items():
        assert words, language
        assert all(fold(w) == w for w in words), language
    assert "the" in stop_words("en") and "the" not in stop_words("es")
    assert {"tambien", "segun", "mas"} <= stop_words("es")  # folded, so folded tokens meet them
    assert stop_words("en", "es") == STOP_WORDS["en"] | STOP_WORDS["es"]
    assert stop_words() >= stop_words("fr") | stop_words("pt")
    assert stop_words("xx") == frozenset()
