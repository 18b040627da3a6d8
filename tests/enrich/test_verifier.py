"""The brief verifier: planted fabrications are caught, faithful paraphrases are kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gazette.cli import app
from gazette.enrich.briefs import brief_score, verify_brief
from gazette.enrich.briefs.numbers import find_numbers
from gazette.enrich.briefs.verifier import comparable_text, find_names, find_quotes

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "briefs"
from tests.shared import seed_text  # noqa: E402

PAIRS = [json.loads(line) for line in (FIXTURES / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]


def _source(name: str) -> str:
    return (FIXTURES / "sources" / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_labelled_pairs(pair: dict[str, str]) -> None:
    (check,) = verify_brief(_source(pair["source"]), [pair["sentence"]])
    assert check.supported == (pair["label"] == "SUPPORTED"), check.reason
    assert 0.0 <= check.score <= 1.0
    if pair["label"] == "UNSUPPORTED" and pair["kind"] in {"quote", "number", "person", "place", "org"}:
        expected = {"person": "name", "place": "name", "org": "name"}.get(pair["kind"], pair["kind"])
        assert f"{expected} not in source" in check.reason


def test_pairs_cover_every_kind() -> None:
    kinds = {p["kind"] for p in PAIRS if p["label"] == "UNSUPPORTED"}
    assert {"quote", "number", "person", "claim", "negation", "place"} <= kinds
    assert len(PAIRS) >= 40


# --- The seed page as a "rewrite" of a source made from it -------------------------------------------

QUOTED_OPENING = '"It\'s a gilded cage,"'
FIGURE = "A significant number of the approximately 200 released prisoners"


@pytest.fixture(scope="module")
def seed_pair() -> tuple[str, str]:
    """(source, rewrite): the source lacks one quoted paragraph and one figure of the rewrite."""
    rewrite = seed_text()
    paragraphs = rewrite.split("\n\n")
    (quoted,) = [p for p in paragraphs if p.startswith(QUOTED_OPENING)]
    assert FIGURE in rewrite
    source = rewrite.replace(quoted + "\n\n", "").replace(
        FIGURE, "A significant number of the released prisoners"
    )
    return source, rewrite


def test_seed_rewrite_flags_exactly_the_added_items(seed_pair: tuple[str, str]) -> None:
    source, rewrite = seed_pair
    checks = verify_brief(source, rewrite)
    unsupported = [c for c in checks if not c.supported]
    quoted_paragraph = next(p for p in rewrite.split("\n\n") if p.startswith(QUOTED_OPENING))
    for check in unsupported:
        assert check.sentence in quoted_paragraph or FIGURE in check.sentence, check.sentence
    assert len(unsupported) == 5  # the figure's sentence and the four sentences of the quoted paragraph
    by_text = {c.sentence: c for c in unsupported}
    figure_check = next(c for s, c in by_text.items() if FIGURE in s)
    assert "number not in source: 200" in figure_check.reason
    opening = next(c for s, c in by_text.items() if s.startswith(QUOTED_OPENING))
    assert "quote not in source: “It's a gilded cage”" in opening.reason
    assert "name not in source: Sofia Ramirez" in opening.reason
    # The quotation runs on over three more sentences; each is caught as a quote, not just as unlike.
    for check in unsupported:
        if check is not figure_check:
            assert "quote not in source" in check.reason
    supported = [c for c in checks if c.supported]
    assert len(supported) == len(checks) - 5
    for check in supported:
        assert check.source_span is not None
        start, end = check.source_span
        assert comparable_text(check.sentence) in comparable_text(source[start:end])


PLANTED = {
    '"The prisons are empty now," said Foreign Minister Yvan Gil.': [
        "quote not in source",
        "name not in source",
    ],
    "Psychologist Maria Lopez has counselled released prisoners since 2019.": [
        "name not in source",
        "number",
    ],
    "About 350 prisoners were released in total.": ["number not in source: 350"],
    "The government has promised free presidential elections in June.": ["weakly supported"],
    "Access to mental health services in Venezuela is not limited.": ["negation not in source"],
    "Two thousand prisoners remain behind bars.": ["number not in source: Two thousand"],
}
PARAPHRASES = [
    "The release of political prisoners in Venezuela is proving far more nuanced and challenging than anticipated.",
    "Many of the released prisoners are subject to travel bans and must report regularly to intelligence agencies.",
    "Access to mental health services in Venezuela is severely limited, and demand far outweighs resources.",
    "The United States, the European Union and several Latin American nations welcomed the releases.",
    "Amnesty International and Human Rights Watch have called for more international support for the prisoners.",
    "Some former prisoners have moved to remote areas of Venezuela to avoid attention.",
    "Finding work is very difficult for former political prisoners, because of hyperinflation and stigma.",
    "Two years after the agreement between the Maduro government and the opposition, freedom remains compromised.",
]


def test_planted_fabrications_are_caught(seed_pair: tuple[str, str]) -> None:
    source, _ = seed_pair
    checks = verify_brief(source, list(PLANTED))
    for check in checks:
        assert not check.supported, check.sentence
        for expected in PLANTED[check.sentence]:
            assert expected in check.reason, (check.sentence, check.reason)


def test_faithful_paraphrases_are_kept(seed_pair: tuple[str, str]) -> None:
    source, _ = seed_pair
    for check in verify_brief(source, PARAPHRASES):
        assert check.supported, (check.sentence, check.reason)
        assert check.source_span is not None


def test_brief_score_ranks_faithful_above_fabricated(seed_pair: tuple[str, str]) -> None:
    source, _ = seed_pair
    faithful = brief_score(verify_brief(source, PARAPHRASES[:4]))
    mixed = brief_score(verify_brief(source, PARAPHRASES[:3] + list(PLANTED)[:1]))
    invented = brief_score(verify_brief(source, list(PLANTED)))
    assert 0.0 <= invented < mixed < faithful <= 1.0
    assert brief_score([]) == 1.0


# --- Pieces ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "values", "unit"),
    [
        ("about 3.5 million people", {3_500_000.0}, None),
        ("a $20bn deal", {20e9}, "$"),
        ("45% of voters", {45.0}, "percent"),
        ("el 63 por ciento", {63.0}, "percent"),
        ("1.200 colegios", {1.2, 1200.0}, None),
        ("3,700 women", {3700.0, 3.7}, None),
        ("twenty-five thousand", {25000.0}, None),
        ("two hundred and five km", {205.0}, "km"),
        ("dos mil personas", {2000.0}, None),
        ("gusts of 80 km/h", {80.0}, "km/h"),
        ("February 20th", {20.0}, None),
    ],
)
def test_find_numbers(text: str, values: set[float], unit: str | None) -> None:
    (number,) = find_numbers(text)
    assert set(number.values) == values
    assert number.unit == unit


def test_one_is_a_number_only_with_a_unit() -> None:
    assert find_numbers("one of the prisoners said") == []
    assert [set(n.values) for n in find_numbers("one year later")] == [{1.0}]
    assert find_numbers("thousands of people") == []


def test_find_names_and_quotes() -> None:
    sentence = "Organizations like Amnesty International and Human Rights Watch met Dr. Sofia Ramirez of Caracas on Monday."
    assert find_names(sentence) == ["Amnesty International", "Human Rights Watch", "Sofia Ramirez of Caracas"]
    assert find_names("The Red Cross opened shelters.") == ["Red Cross"]
    assert find_quotes("He said “we will win” and ‘soon’.") == ["we will win", "soon"]


def test_names_fold_case_and_accents_but_quotes_are_verbatim() -> None:
    source = 'Officials in BOLIVAR said: "Nobody will be left behind."'
    (check,) = verify_brief(source, ["Officials in Bolívar said: “Nobody will be left behind.”"])
    assert check.supported, check.reason
    (check,) = verify_brief(source, ['Officials in Bolívar said: "Nobody will be left out."'])
    assert "quote not in source" in check.reason


@given(
    st.lists(
        st.lists(
            st.sampled_from(
                [
                    "The",
                    "minister",
                    "Ana Ruiz",
                    "said",
                    "200",
                    "twenty",
                    "people",
                    "not",
                    "Caracas",
                    "rose",
                    "3.5%",
                    "Dr.",
                    '"we',
                    'win"',
                ]
            ),
            min_size=3,
            max_size=12,
        ).map(lambda ws: " ".join(ws) + "."),
        min_size=1,
        max_size=8,
    ),
    st.data(),
)
@settings(max_examples=100, deadline=None)
def test_sentences_copied_from_the_source_are_supported(sentences: list[str], data: st.DataObject) -> None:
    source = "\n".join(sentences)
    picked = data.draw(st.lists(st.sampled_from(sentences), min_size=1, max_size=3))
    for check in verify_brief(source, picked):
        assert check.supported, (check.sentence, check.reason)


# --- Command line --------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_check_prints_one_tab_separated_line_per_sentence(tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    brief = tmp_path / "brief.txt"
    source.write_text(_source("council.txt"), encoding="utf-8")
    brief.write_text(
        "The Springfield city council voted 7-2 to spend $4.2 million on twelve electric buses.\n"
        "The state transport department will cover 60 percent of the cost.\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["brief", "--check", str(source), str(brief)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == "SUPPORTED\tThe Springfield city council voted 7-2 to spend $4.2 million on twelve electric buses."
    )
    status, sentence, reason = lines[1].split("\t")
    assert (status, sentence) == (
        "UNSUPPORTED",
        "The state transport department will cover 60 percent of the cost.",
    )
    assert "number not in source: 60 percent" in reason

    result = runner.invoke(app, ["brief", "--check", "--json", str(source), str(brief)])
    assert result.exit_code == 1
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [set(o) for o in objects] == [{"sentence", "supported", "reason", "source_span"}] * 2
    assert objects[0]["supported"] is True and objects[0]["reason"] == ""
    start, end = objects[0]["source_span"]
    assert "$4.2 million" in _source("council.txt")[start:end]

    brief.write_text("The Springfield city council voted 7-2 on Tuesday night.\n", encoding="utf-8")
    result = runner.invoke(app, ["brief", "--check", str(source), str(brief)])
    assert result.exit_code == 0 and result.stdout.startswith("SUPPORTED\t")


def test_cli_check_jsonl_batch(tmp_path: Path) -> None:
    council = _source("council.txt")
    batch = tmp_path / "batch.jsonl"
    lines = [
        {"id": "a", "source": council, "brief": "Mayor Ana Ruiz proposed the plan in March."},
        {
            "id": 2,
            "source": council,
            "brief": "Mayor Ana Ruiz proposed the plan in May. Lumen Motors is in Dayton.",
        },
    ]
    batch.write_text("\n".join(json.dumps(x) for x in lines) + '\n{"id": "bad"}\n', encoding="utf-8")
    result = runner.invoke(app, ["brief", "--check", "--jsonl", str(batch)])
    out = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [o["id"] for o in out] == ["a", 2, "bad"]
    first, second, bad = out
    assert set(first) == {"id", "supported", "score", "sentences"}
    assert first["supported"] is True and second["supported"] is False
    assert 0 <= second["score"] < first["score"] <= 1
    assert [s["supported"] for s in second["sentences"]] == [False, True]
    assert "date not in source: May" in second["sentences"][0]["reason"]
    assert "error" in bad
    assert result.exit_code == 2  # a bad input line is reported, and the rest still ran


def test_cli_usage_errors(tmp_path: Path) -> None:
    source = tmp_path / "s.txt"
    source.write_bytes(b"\xff\xfe not utf-8 \xff")
    assert runner.invoke(app, ["brief", "--check", str(source)]).exit_code == 2
    assert runner.invoke(app, ["brief", "--check", str(source), str(source)]).exit_code == 2
    assert runner.invoke(app, ["brief", "--jsonl", str(source)]).exit_code == 2


def test_cli_writes_a_brief(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(_source("council.txt"), encoding="utf-8")
    config = tmp_path / "gazette.toml"
    config.write_text("[brief]\nsentences = 3\n", encoding="utf-8")
    result = runner.invoke(app, ["brief", str(article), "--json", "--config", str(config)])
    assert result.exit_code == 0, result.output
    items = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(items) == 3
    text = _source("council.txt")
    for item in items:
        start, end = item["source_span"]
        assert text[start:end] == item["text"] and item["kind"] == "extracted"


def test_possessives_end_a_name() -> None:
    assert find_names("Farmers blocked a mine in Peru's Cajamarca region.") == ["Peru", "Cajamarca"]
    source = "Farmers blocked a mine in Peru's Cajamarca region, O'Brien said."
    (check,) = verify_brief(source, ["O'Brien said farmers blocked a mine in Peru's Cajamarca region."])
    assert check.supported, check.reason


def test_extractive_briefs_of_the_demo_corpus_verify() -> None:
    from gazette.config import BriefSettings
    from gazette.demo.corpus import load_corpus
    from gazette.enrich.briefs import make_brief

    for article in load_corpus():
        brief = make_brief(article.text, BriefSettings(), title=article.title)
        for check in verify_brief(article.text, [s.text for s in brief]):
            assert check.supported, (article.slug, check.sentence, check.reason)
