"""Sections stage: precedence, threshold, the shipped classifier, and train-sections end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gazette.cli import app
from gazette.config import SectionSettings
from gazette.enrich import sections

OBVIOUS = [
    (
        "Striker's late goal wins the cup final",
        "The striker scored in the 89th minute as the club beat their rivals 2-1 at the stadium, "
        "and the manager praised his squad after a long season in the league.",
        "sports",
    ),
    (
        "Shares fall as bank cuts profit forecast",
        "The bank's shares fell 8% after it said annual profits would miss analysts' forecasts, "
        "blaming higher interest rates and weaker lending to companies.",
        "business-finance",
    ),
    (
        "Prime minister faces rebellion over election pledge",
        "Opposition MPs and backbench members of the governing party said they would vote against the bill "
        "in parliament, putting the minister's manifesto promise at risk before the election.",
        "politics-government",
    ),
    (
        "Actress wins Oscar for debut film",
        "The actress won the academy award for best actress at the Hollywood ceremony for her role in the film, "
        "which has taken millions at the box office.",
        "arts-entertainment",
    ),
    (
        "New smartphone chip doubles battery life",
        "The software update and new processor let the handset run apps for longer, the company told users "
        "of its mobile phones at a technology conference on internet devices.",
        "science-technology",
    ),
    (
        "Hospital waiting lists grow as flu cases rise",
        "Doctors and nurses warned that patients face longer waits for treatment as the flu outbreak "
        "fills hospital wards; the health service is vaccinating elderly people.",
        "health",
    ),
    (
        "Man jailed for murder after trial",
        "A jury found the man guilty of murder and the judge sentenced him to life in prison; "
        "police had arrested him after the stabbing.",
        "crime-justice",
    ),
    (
        "Troops advance as rebels shell the city",
        "Army soldiers and militia fighters clashed as the military offensive continued; an air strike "
        "killed civilians and refugees fled the war.",
        "conflict-security",
    ),
    (
        "Carbon emissions hit record as glaciers melt",
        "Climate scientists said greenhouse gas emissions and global warming are shrinking glaciers and "
        "threatening endangered species and their habitats.",
        "environment",
    ),
    (
        "Schools told to teach pupils about faith",
        "Teachers and parents welcomed the plan for religious education in schools, saying children and "
        "students from every community should learn about each other's faith.",
        "society",
    ),
]


def test_default_classifier_gets_obvious_examples_right() -> None:
    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    assert isinstance(clf, sections.LexiconClassifier)
    for title, text, slug in OBVIOUS:
        got = sections.assign_section(title, text, feed_section=None, classifier=clf, settings=settings)
        assert (got.slug, got.method) == (slug, "classifier"), title
        assert got.name == settings.taxonomy[slug]
        assert settings.threshold <= got.confidence <= 1.0


def test_feed_section_wins_over_classifier() -> None:
    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    title, text, _ = OBVIOUS[0]  # a sports story, filed by a health feed
    got = sections.assign_section(title, text, feed_section="health", classifier=clf, settings=settings)
    assert (got.slug, got.name, got.method, got.confidence) == ("health", "Health", "feed", 1.0)


def test_unknown_feed_section_falls_through_to_classifier() -> None:
    settings = SectionSettings()
    clf = sections.load_classifier(settings)
    title, text, slug = OBVIOUS[1]
    got = sections.assign_section(title, text, feed_section="no-such", classifier=clf, settings=settings)
    assert (got.slug, got.method) == (slug, "classifier")


def test_below_threshold_goes_to_default_section() -> None:
    settings = SectionSettings(threshold=0.9)
    clf = sections.load_classifier(settings)
    # Little evidence, and split between sections: a cue for politics, one for the arts.
    title, text = "Visit", "The minister saw the film."
    got = sections.assign_section(title, text, feed_section=None, classifier=clf, settings=settings)
    assert (got.slug, got.method) == ("society", "default")
    settings.threshold = 0.2
    got = sections.assign_section(title, text, feed_section=None, classifier=clf, settings=settings)
    assert got.method == "classifier" and got.slug in {"politics-government", "arts-entertainment"}
    assert got.confidence < 0.9


def test_text_without_cues_goes_to_default_section() -> None:
    settings = SectionSettings(default="health")
    clf = sections.load_classifier(settings)
    got = sections.assign_section(
        "Xyzzy", "Lorem ipsum dolor.", feed_section=None, classifier=clf, settings=settings
    )
    assert (got.slug, got.method) == ("health", "default")


def test_no_classifier_means_default() -> None:
    settings = SectionSettings()
    got = sections.assign_section(
        "Anything", "At all.", feed_section=None, classifier=None, settings=settings
    )
    assert (got.slug, got.method) == ("society", "default")


def test_taxonomy_subset_limits_candidates() -> None:
    settings = SectionSettings(taxonomy={"sports": "Sport", "society": "Society"})
    clf = sections.load_classifier(settings)
    assert sorted(clf.labels) == ["society", "sports"]
    title, text, _ = OBVIOUS[0]
    got = sections.assign_section(title, text, feed_section=None, classifier=clf, settings=settings)
    assert (got.slug, got.name) == ("sports", "Sport")


def _write_labelled(path: Path) -> None:
    rows = []
    for i in range(6):
        rows.append(
            {
                "title": f"Gardening tip {i}",
                "text": "Prune the roses and water the tomatoes in the greenhouse.",
                "section": "environment",
            }
        )
        rows.append(
            {
                "title": f"Recipe {i}",
                "text": "Bake the bread with flour, butter and yeast for an hour.",
                "section": "Society",
            }
        )
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def test_train_sections_then_load_classifier_uses_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    labelled = tmp_path / "labelled.jsonl"
    _write_labelled(labelled)
    model_path = tmp_path / "model" / "sections.npz"
    monkeypatch.setenv("GAZETTE_SECTIONS_MODEL_PATH", str(model_path))
    monkeypatch.setenv("GAZETTE_DATABASE_URL", f"sqlite:///{tmp_path / 'g.db'}")
    result = CliRunner().invoke(app, ["train-sections", str(labelled)])
    assert result.exit_code == 0, result.output
    assert "trained on 12 articles" in result.output
    assert model_path.is_file()

    settings = SectionSettings(model_path=str(model_path))
    clf = sections.load_classifier(settings)
    assert isinstance(clf, sections.LinearClassifier)
    assert clf.labels == ["environment", "society"]  # "Society" (a name) was resolved to its slug
    got = sections.assign_section(
        "How to grow tomatoes",
        "Water the roses and prune the tomatoes.",
        feed_section=None,
        classifier=clf,
        settings=settings,
    )
    assert (got.slug, got.method) == ("environment", "classifier")
    got = sections.assign_section(
        "Sunday baking", "Bread from flour and yeast.", feed_section=None, classifier=clf, settings=settings
    )
    assert got.slug == "society"

    result = CliRunner().invoke(app, ["section", "--json", "Bake bread\nFlour, butter and yeast."])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output.strip().splitlines()[-1])
    assert row["slug"] == "society" and row["section"] == "Society" and 0 <= row["confidence"] <= 1


def test_saved_model_round_trips_exactly(tmp_path: Path) -> None:
    items = [
        sections.LabelledArticle("Goal", "The striker scored a goal.", "sports"),
        sections.LabelledArticle("Match", "The team won the match.", "sports"),
        sections.LabelledArticle("Shares", "Shares in the bank fell.", "business-finance"),
        sections.LabelledArticle("Profit", "The firm's profit rose.", "business-finance"),
        sections.LabelledArticle("Vote", "MPs vote on the bill.", "politics-government"),
        sections.LabelledArticle("Poll", "The party leads the poll.", "politics-government"),
    ]
    model = sections.train_classifier(items)
    path = tmp_path / "m.npz"
    model.save(path)
    again = sections.LinearClassifier.load(path)
    a = model.predict("Cup", "The team scored a goal.")
    b = again.predict("Cup", "The team scored a goal.")
    assert a.keys() == b.keys()
    assert all(abs(a[k] - b[k]) < 1e-5 for k in a)
    assert max(b, key=b.__getitem__) == "sports"


def test_bad_model_file_is_a_config_error(tmp_path: Path) -> None:
    from gazette.errors import ConfigError

    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(ConfigError):
        sections.load_classifier(SectionSettings(model_path=str(bad)))


def test_bad_labelled_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    path.write_text(
        '{"title": "a", "text": "b", "section": "sports"}\n{"title": "no section"}\n', encoding="utf-8"
    )
    result = CliRunner().invoke(
        app,
        ["train-sections", str(path), "--output", str(tmp_path / "m.npz")],
        env={"GAZETTE_DATABASE_URL": "sqlite:///x.db"},
    )
    assert result.exit_code == 2
    assert ":2:" in result.output


def test_section_command_batch_jsonl(tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        "\n".join(json.dumps({"id": i, "title": t, "text": x}) for i, (t, x, _) in enumerate(OBVIOUS)) + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["section", "--jsonl", str(batch)], env={"GAZETTE_SECTIONS_MODEL_PATH": ""}
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [r["id"] for r in rows] == list(range(len(OBVIOUS)))
    assert [r["slug"] for r in rows] == [slug for _, _, slug in OBVIOUS]
    assert set(rows[0]) >= {"id", "section", "slug", "confidence"}


# -- quality gate on real data (BBC News, research-only: read in place, never copied) -------------

from tests.shared import DATASETS  # noqa: E402

BBC = DATASETS / "bbc-news" / "bbc"
BBC_TO_SECTION = {
    "business": "business-finance",
    "entertainment": "arts-entertainment",
    "politics": "politics-government",
    "sport": "sports",
    "tech": "science-technology",
}
# Floors pinned a little under the figures measured on this fixed subset (every 5th article):
# default 0.888 all ten / 0.946 five; train-sections 5-fold 0.946 (0.977 on the whole set).
FLOOR_DEFAULT_ALL_TEN = 0.86
FLOOR_DEFAULT_FIVE = 0.92
FLOOR_TRAINED = 0.92


def _bbc_subset() -> list[sections.LabelledArticle]:
    items = []
    for cls, slug in BBC_TO_SECTION.items():
        for path in sorted((BBC / cls).glob("*.txt")):
            raw = path.read_bytes()
            try:
                content = raw.decode("utf-8")
            except UnicodeDecodeError:
                content = raw.decode("latin-1")
            lines = content.strip().splitlines()
            items.append(sections.LabelledArticle(lines[0], "\n".join(lines[1:]), slug))
    return items[::5]


@pytest.mark.skipif(not BBC.is_dir(), reason="BBC News data set not present")
def test_quality_gate_default_classifier_on_bbc() -> None:
    items = _bbc_subset()
    all_ten = SectionSettings()
    five = SectionSettings(taxonomy={s: all_ten.taxonomy[s] for s in BBC_TO_SECTION.values()})
    clf = sections.load_classifier(all_ten)
    hits10 = sum(sections.classify(it.title, it.text, clf, all_ten)[0] == it.section for it in items)
    hits5 = sum(sections.classify(it.title, it.text, clf, five)[0] == it.section for it in items)
    assert hits10 / len(items) >= FLOOR_DEFAULT_ALL_TEN
    assert hits5 / len(items) >= FLOOR_DEFAULT_FIVE


@pytest.mark.skipif(not BBC.is_dir(), reason="BBC News data set not present")
def test_quality_gate_train_sections_on_bbc() -> None:
    from sklearn.model_selection import StratifiedKFold

    items = _bbc_subset()
    gold = [it.section for it in items]
    hits = 0
    for train_idx, test_idx in StratifiedKFold(5, shuffle=True, random_state=0).split(items, gold):
        model = sections.train_classifier([items[i] for i in train_idx])
        for i in test_idx:
            probs = model.predict(items[i].title, items[i].text)
            hits += max(probs, key=probs.__getitem__) == gold[i]
    assert hits / len(items) >= FLOOR_TRAINED
