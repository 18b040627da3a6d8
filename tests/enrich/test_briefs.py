"""Briefs: sentence splitting, the extractive brief and its spans."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazette.config import BriefSettings
from gazette.enrich.briefs import make_brief, split_sentences
from gazette.enrich.briefs.extractive import word_count

SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "news-articles-page.txt"

SPLIT_CASES = [
    (
        "Mr. Smith went to Washington. He met Dr. Jones at 10 a.m. The meeting ended.",
        ["Mr. Smith went to Washington.", "He met Dr. Jones at 10 a.m.", "The meeting ended."],
    ),
    (
        "The U.S. Army said so. It was in the U.S. The talks went on.",
        ["The U.S. Army said so.", "It was in the U.S.", "The talks went on."],
    ),
    (
        '"Where?" he asked. "Here!" She pointed.',
        ['"Where?" he asked.', '"Here!"', "She pointed."],
    ),
    (
        "¿Qué pasa? ¡Nada! La Sra. García llegó a EE.UU. ayer. El Sr. Pérez no.",
        ["¿Qué pasa?", "¡Nada!", "La Sra. García llegó a EE.UU. ayer.", "El Sr. Pérez no."],
    ),
    (
        "John F. Kennedy was president. He died in 1963.",
        ["John F. Kennedy was president.", "He died in 1963."],
    ),
    ("Prices rose 3.5 percent. Sales fell.", ["Prices rose 3.5 percent.", "Sales fell."]),
    ('He said: "Go home." Then he left.', ['He said: "Go home."', "Then he left."]),
    ("First line without a stop\nSecond line.", ["First line without a stop", "Second line."]),
]


@pytest.mark.parametrize(("text", "expected"), SPLIT_CASES)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert [s.text for s in split_sentences(text)] == expected


@given(st.text(alphabet=st.sampled_from(list("ab .?!¿¡\"'\n«»MrDU.S")), max_size=200))
@settings(max_examples=300, deadline=None)
def test_split_spans_are_exact(text: str) -> None:
    previous_end = 0
    for span in split_sentences(text):
        assert text[span.start : span.end] == span.text
        assert span.text == span.text.strip()
        assert span.start >= previous_end
        previous_end = span.end


_WORDS = st.sampled_from(
    ["The", "minister", "said", "Mr.", "Dr.", "U.S.", "a.m.", "prices", "rose", "¿Qué?", "¡Sí!", '"No."']
)
_SENTENCE = st.lists(_WORDS, min_size=3, max_size=14).map(lambda ws: " ".join(ws) + ".")


@given(st.lists(_SENTENCE, min_size=1, max_size=20), st.sampled_from([" ", "\n", "\n\n"]))
@settings(max_examples=150, deadline=None)
def test_extractive_spans_point_at_equal_text(sentences: list[str], glue: str) -> None:
    text = glue.join(sentences)
    brief = make_brief(text, BriefSettings(sentences=4))
    assert len(brief) <= 4
    for position, sentence in enumerate(brief):
        assert sentence.position == position
        assert sentence.kind == "extracted"
        assert text[sentence.source_start : sentence.source_end] == sentence.text
    starts = [s.source_start for s in brief]
    assert starts == sorted(starts)


def test_seed_page_brief() -> None:
    text = SEED.read_text(encoding="utf-8")
    brief = make_brief(text, BriefSettings(), title="Venezuela's Political Prisoner Release: A Gilded Cage?")
    assert 3 <= len(brief) <= 5
    words = sum(word_count(s.text) for s in brief)
    assert 60 <= words <= 170
    for sentence in brief:
        assert text[sentence.source_start : sentence.source_end] == sentence.text
        assert "Copy link" not in sentence.text and "http" not in sentence.text
    assert brief[0].text.startswith("Caracas, Venezuela")


def test_no_near_repeats() -> None:
    lead = "The city council approved the new budget for schools on Tuesday night."
    text = " ".join(
        [
            lead,
            "The city council approved the new budget for schools on Tuesday evening.",
            "Teachers welcomed the extra money for classrooms and books.",
            "Parents asked how the district would hire more bus drivers this year.",
            "The mayor said the budget would be reviewed again in the spring.",
        ]
    )
    brief = make_brief(text, BriefSettings(sentences=3))
    texts = [s.text for s in brief]
    assert lead in texts
    assert "The city council approved the new budget for schools on Tuesday evening." not in texts


def test_empty_and_tiny_texts() -> None:
    assert make_brief("", BriefSettings()) == []
    assert make_brief("   \n ", BriefSettings()) == []
    brief = make_brief("Short note here.", BriefSettings())
    assert [s.text for s in brief] == ["Short note here."]
