"""Story clustering: the demo corpus's shared story keys, idempotence, and the story queries."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazette import models
from gazette.demo.corpus import CorpusArticle, load_corpus
from gazette.enrich import stories
from gazette.enrich.dedup import DuplicateIndex, Fingerprint, band_params
from gazette.enrich.stories import (
    MAX_CANDIDATES,
    Clusterer,
    Item,
    Placement,
    StoryFeatures,
    _largest,
    extract_features,
    for_article,
    keep_story_ids,
    story_input,
    text_fingerprint,
)
from gazette.pipeline import StoryWindow, _member_features, assign_story
from gazette.store import stories as story_store
from gazette.store import story_members
from gazette.store.articles import save_article
from gazette.store.db import Database
from gazette.store.sources import get_or_create_source
from gazette.textfold import fold

UNDATED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _when(a: CorpusArticle) -> datetime:
    return a.published or UNDATED


def _in_order() -> list[CorpusArticle]:
    return sorted(load_corpus(), key=lambda a: (_when(a), a.source, a.slug))


def _model(a: CorpusArticle) -> models.Article:
    url = f"http://127.0.0.1/{a.source}/{a.slug}"
    return models.Article(
        url=url,
        canonical_url=url,
        title=a.title,
        text=a.text,
        published_at=a.published,
        fetched_at=_when(a),
        language=a.language,
        content_hash=hashlib.sha256(a.text.encode()).hexdigest(),
    )


def pairwise_scores(gold: dict[str, str | None], predicted: dict[str, int]) -> tuple[float, float]:
    """Pairwise precision and recall; an article without a gold key is a story of its own."""
    tp = fp = fn = 0
    for x, y in combinations(sorted(gold), 2):
        same_gold = gold[x] is not None and gold[x] == gold[y]
        same_pred = predicted[x] == predicted[y]
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def _store_demo(db: Database) -> dict[str, int]:
    """Save every demo article in date order, assigning each a story in the same transaction."""
    story_of: dict[str, int] = {}
    for a in _in_order():
        with db.session() as s:
            source = get_or_create_source(s, a.source)
            row, _ = save_article(s, _model(a), source_id=source.id, feed_id=None)
            story_of[f"{a.source}/{a.slug}"] = assign_story(s, row).story_id
    return story_of


def test_demo_corpus_story_keys_become_stories(db: Database) -> None:
    predicted = _store_demo(db)
    gold = {f"{a.source}/{a.slug}": a.story for a in load_corpus()}
    precision, recall = pairwise_scores(gold, predicted)
    assert (precision, recall) == (1.0, 1.0)
    blackout = {predicted[k] for k, g in gold.items() if g == "venezuela-blackout-2026-11"}
    assert len(blackout) == 1  # two English articles and one Spanish one
    with db.session() as s:
        recent = story_store.recent_stories(s)
        assert {st.id for st in recent} == {predicted[k] for k, g in gold.items() if g}
        story = story_store.story_by_id(s, blackout.pop())
        assert story is not None and story.article_count == 3 and story.source_count == 3
        assert story.path == f"/story/{story.id}/{story.slug}/"
        members = story_store.articles_of(s, story.id)
        assert len(members) == 3
        more = story_store.more_on_story(s, members[0].id)
        assert len(more) == 2 and all(m.source_id != members[0].source_id for m in more)
        assert story_store.story_of(s, members[0].id) == story
        # a story of one gets no "more on this story"
        lone = next(k for k, g in gold.items() if g is None)
        lone_row = story_store.articles_of(s, predicted[lone])[0]
        assert story_store.more_on_story(s, lone_row.id) == []


def test_assign_story_is_idempotent_and_replaces_on_new_text(db: Database) -> None:
    corpus = _in_order()
    first = next(a for a in corpus if a.story == "wcq-tt-canada-2026-11")
    other = next(a for a in corpus if a.story is None)
    with db.session() as s:
        source = get_or_create_source(s, first.source)
        row, _ = save_article(s, _model(first), source_id=source.id, feed_id=None)
        once = assign_story(s, row)
        twice = assign_story(s, row)
        article_id, story_id = row.id, once.story_id
    assert once.is_new and not twice.is_new and twice.story_id == once.story_id
    with db.session() as s:
        row = story_store.articles_of(s, story_id)[0]
        assert assign_story(s, row).story_id == story_id
        path = story_store.story_by_id(s, story_id).path  # type: ignore[union-attr]
        row.title, row.text = other.title, other.text  # the page was rewritten into another story
        s.flush()
        moved = assign_story(s, row)
        # alone before and alone again: the story goes on under its id and slug (its URL), titled anew
        assert not moved.is_new and moved.story_id == story_id
        assert [st.id for st in story_store.recent_stories(s, min_articles=1)] == [story_id]
        story = story_store.story_of(s, article_id)
        assert story is not None and story.path == path and story.title == other.title
        assert (story.article_count, story.source_count) == (1, 1)
        assert story_store.redirect_target(s, story_id) is None


def test_stories_from_worker_made_inputs_are_the_stories_made_on_the_storing_side(tmp_path: Path) -> None:
    """The worker's features and fingerprint (``story_input``) place every demo article where computing them
    while storing does."""
    placed: list[dict[str, int]] = []
    for name, prepare in (("stored", False), ("worker", True)):
        database = Database(f"sqlite:///{tmp_path}/{name}.db")
        database.init()
        story_of: dict[str, int] = {}
        for a in _in_order():
            prepared = story_input(a.title, a.text, a.language) if prepare else None
            with database.session() as s:
                source = get_or_create_source(s, a.source)
                row, result = save_article(s, _model(a), source_id=source.id, feed_id=None)
                story_of[a.slug] = assign_story(
                    s, row, prepared=prepared, new_row=result.value == "new"
                ).story_id
        database.dispose()
        placed.append(story_of)
    assert placed[0] == placed[1]


def test_assign_story_takes_the_prepared_input_only_for_the_text_it_was_made_from(db: Database) -> None:
    first, second = [a for a in _in_order() if a.story is None and a.text][:2]
    # features no text would give, so the stored ones show which were used
    marked = StoryFeatures({"prepared": 1}, frozenset(), first.language)
    prepared = dataclasses.replace(story_input(first.title, first.text, first.language), features=marked)
    with db.session() as s:
        source = get_or_create_source(s, first.source)
        row, _ = save_article(s, _model(first), source_id=source.id, feed_id=None)
        assign_story(s, row, prepared=prepared, new_row=True)
        assert story_store.membership(s, row.id).features == marked.to_json()  # type: ignore[union-attr]
        other, _ = save_article(s, _model(second), source_id=source.id, feed_id=None)
        assign_story(s, other, prepared=prepared, new_row=True)  # made from another text: not used
        own = extract_features(second.title, second.text, second.language)
        assert story_store.membership(s, other.id).features == own.to_json()  # type: ignore[union-attr]
    assert for_article(prepared, first.title, first.text, first.language) is prepared
    assert for_article(prepared, first.title, first.text + " More.", first.language) is not prepared


# The stored features of these texts, computed before the per-word pass was made cheaper: stored features are
# compared with new ones, so the same text must keep giving the same terms, counts, order and names.
PINNED_FEATURES = {
    "Lisbon council": "00bd1f5ff26e7bf9ddf6bff4a7c794ccfa437115b8316d58cc11284a4733b5fd",
    (
        "Le conseil municipal de Montréal a voté jeudi le budget des écoles; São Paulo e Málaga também. "
        "Ǆemal Ω ﬁnal 𝐀bc naïve café."
    ): "1a9e56e42b2de62a6f1e6078de7829b0ac2a815bea03d90f6ff10354b6ff17b0",
    " ".join(
        f"Word{i % 37} number {i} of the long text, said Ms. Ana Pérez." for i in range(400)
    ): "ccfc43a33a9a1c285f6f681d04e1e057b29040a3632bf12183b885b74509a521",
}


@pytest.mark.parametrize("text", list(PINNED_FEATURES), ids=["short", "accents", "long"])
def test_story_features_are_those_stored_before(text: str) -> None:
    features = extract_features("Council of Lisbon: NATO and the EU meet", text, "en")
    encoded = json.dumps(features.to_json(), ensure_ascii=False).encode()
    assert hashlib.sha256(encoded).hexdigest() == PINNED_FEATURES[text]


def _features_word_by_word(title: str, text: str, language: str | None) -> dict[str, Any]:
    """The definition of ``extract_features``, one word at a time: what the quick path must give exactly."""
    terms: Counter[str] = Counter()
    names: set[str] = set()
    words = text.split()
    body = text if len(words) <= stories.MAX_WORDS else " ".join(words[: stories.MAX_WORDS])
    for weight, chunk in ((stories.TITLE_WEIGHT, title), (1, body)):
        previous_end = 0
        for position, match in enumerate(stories._WORD.finditer(chunk)):
            raw = match.group()
            folded = fold(raw)
            sentence_start = previous_end == 0 or stories._BREAK.search(chunk, previous_end, match.start())
            previous_end = match.end()
            in_lead = weight == stories.TITLE_WEIGHT or position < stories.NAME_WORDS
            if folded.isdigit():
                if len(folded) >= 2:
                    terms[folded] += weight
                    if in_lead:
                        names.add(folded)
                continue
            if folded in stories._STOPWORDS or len(folded) < 3:
                continue
            terms[folded[: stories.STEM_CHARS]] += weight
            if in_lead and raw.isupper():
                if len(raw) > 1:
                    names.add(folded)
            elif in_lead and raw[0].isupper() and not sentence_start:
                names.add(folded)
    if len(terms) > stories.MAX_TERMS:
        terms = Counter(dict(sorted(terms.items(), key=lambda kv: (-kv[1], kv[0]))[: stories.MAX_TERMS]))
    return {"v": stories.FEATURES_VERSION, "terms": dict(terms), "names": sorted(names), "language": language}


_WORDISH = st.sampled_from(
    ["The", "the", "NATO", "EU", "A", "Bolívar", "ÉCOLE", "said", "2026", "7", "don't", "O’Neil", "rock'n'roll",
     "snake_case", "Ǆemal", "ﬁnal", "İstanbul", "día", "Mr", "people", "Ω", "x1", "12b", "Lisbon", "lisbon"]
)  # fmt: skip
_GAPS = st.sampled_from(
    [" ", "  ", ". ", ", ", "\n", "! ", "? ", ": ", " — ", " «", "» ", '" ', " (", ") ", "_"]
)


@settings(max_examples=150, deadline=None)
@given(
    title=st.lists(st.tuples(_WORDISH, _GAPS), max_size=12),
    text=st.lists(
        st.tuples(_WORDISH | st.text(max_size=6) | st.integers(10, 999).map(str), _GAPS), max_size=400
    ),
)
def test_story_features_equal_the_word_by_word_definition(
    title: list[tuple[str, str]], text: list[tuple[str, str]]
) -> None:
    title_text = "".join(w + g for w, g in title)
    body = "".join(w + g for w, g in text)
    got = extract_features(title_text, body, "en").to_json()
    want = _features_word_by_word(title_text, body, "en")
    assert got == want
    assert list(got["terms"]) == list(want["terms"])  # the same order: stored features are compared as stored


def test_unrelated_articles_on_the_same_day_stay_apart() -> None:
    clusterer = Clusterer()
    when = datetime(2026, 11, 20, tzinfo=UTC)
    a = extract_features(
        "Budget debate runs past midnight", "The finance minister defended the fuel subsidy cut.", "en"
    )
    b = extract_features(
        "Rugby side wins by a point", "A late penalty decided the match at the national stadium.", "en"
    )
    assert clusterer.similarity(a, b) == 0.0
    placement = clusterer.place(
        1, when, a, text_fingerprint("x", "The finance minister defended the fuel subsidy cut.")
    )
    assert placement.story is None


@pytest.mark.parametrize(
    ("title", "text", "names"),
    [
        (
            "Apagón en Venezuela",
            "Los estados Bolívar, Aragua y Nueva Esparta siguen sin luz.",
            {"bolivar", "aragua", "nueva"},
        ),
        (
            "Blackout",
            "Residents of Bolívar state and Aragua waited 765 minutes.",
            {"bolivar", "aragua", "765"},
        ),
    ],
)
def test_names_are_accent_folded_and_sentence_starts_are_not_names(
    title: str, text: str, names: set[str]
) -> None:
    found = extract_features(title, text).names
    assert names <= found
    assert "los" not in found and "residents" not in found


def test_migration_0004_downgrades_and_upgrades(db: Database) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from gazette.store.db import alembic_config

    cfg = alembic_config(db.engine)
    command.downgrade(cfg, "0003")
    assert not inspect(db.engine).has_table("stories")
    command.upgrade(cfg, "head")
    tables = set(inspect(db.engine).get_table_names())
    assert {"stories", "article_stories", "duplicates"} <= tables


def test_recluster_rebuilds_the_same_stories_as_one_by_one(db: Database) -> None:
    from gazette.pipeline import recluster

    one_by_one = _store_demo(db)
    seen: list[tuple[int, int]] = []
    with db.session() as s:
        report = recluster(s, on_progress=lambda done, total: seen.append((done, total)), batch=10)
    assert report.articles == len(one_by_one) and seen[-1] == (report.articles, report.articles)
    assert report.multi_source_stories == 2 and report.duplicates == 0
    with db.session() as s:
        rebuilt = {}
        for story in story_store.recent_stories(s, limit=1000, min_articles=1):
            for a in story_store.articles_of(s, story.id):
                rebuilt[a.canonical_url.removeprefix("http://127.0.0.1/")] = story.id
    assert report.stories == len(set(rebuilt.values())) == len(set(one_by_one.values()))
    groups_before = {frozenset(k for k in one_by_one if one_by_one[k] == v) for v in one_by_one.values()}
    groups_after = {frozenset(k for k in rebuilt if rebuilt[k] == v) for v in rebuilt.values()}
    assert groups_before == groups_after


def test_batched_scores_equal_the_pairwise_definition() -> None:
    clusterer = Clusterer()
    corpus = _in_order()
    features = {}
    for i, a in enumerate(corpus[:-1]):
        features[i] = extract_features(a.title, a.text, a.language)
        clusterer.add(Item(i, _when(a), features[i], text_fingerprint(a.title, a.text), story=i))
    last = corpus[-1]
    query = extract_features(last.title, last.text, last.language)
    same = [k for k, f in features.items() if f.language in (None, query.language)]
    batched = clusterer._term_cosines(query, same)
    one_by_one = [clusterer.similarity(query, features[k]) for k in same]
    assert batched.tolist() == pytest.approx(one_by_one)
    assert max(one_by_one) > 0.0


def test_stored_features_round_trip_and_stale_ones_are_dropped() -> None:
    f = extract_features(
        "Apagón en Venezuela", "Los estados Bolívar y Aragua siguen sin luz desde el domingo.", "es"
    )
    assert StoryFeatures.from_json(f.to_json()) == f
    assert StoryFeatures.from_json({**f.to_json(), "v": -1}) is None
    assert StoryFeatures.from_json(None) is None


def test_recluster_command_rebuilds_stories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("gazette.commands.maintenance")  # the command ships once docs/cli.md lists it
    from typer.testing import CliRunner

    from gazette.cli import app

    url = f"sqlite:///{tmp_path / 'g.db'}"
    database = Database(url)
    database.init()
    try:
        _store_demo(database)
    finally:
        database.dispose()
    monkeypatch.setenv("GAZETTE_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["recluster", "--batch", "7"])
    assert result.exit_code == 0, result.output
    assert "32 articles in 29 stories (2 from more than one source), 0 near-duplicates" in result.output
    assert "29 story ids kept, 0 redirected" in result.output


def test_window_counts_survive_vocabulary_growth_and_eviction() -> None:
    clusterer = Clusterer()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(60):  # 60 articles x 50 new terms and names each: the counts array must grow twice
        words = [f"w{i}x{j}" for j in range(50)]
        features = StoryFeatures({w: 1 for w in words}, frozenset(words), "en")
        clusterer.add(
            Item(i, start + timedelta(hours=i), features, text_fingerprint("", " ".join(words)), story=i)
        )
    assert len(clusterer.items) == 60
    clusterer.evict_before(start + timedelta(hours=59) + clusterer.retention + timedelta(hours=1))
    assert clusterer.items == {}
    assert not clusterer._df.any()


def test_two_workers_placing_the_same_event_at_once_share_one_story(db: Database) -> None:
    import threading

    pair = [a for a in _in_order() if a.story == "wcq-tt-canada-2026-11"]
    barrier = threading.Barrier(len(pair))
    results: list[int] = []
    errors: list[BaseException] = []

    def work(a: CorpusArticle) -> None:
        try:
            barrier.wait(timeout=30)
            with db.session() as s:
                source = get_or_create_source(s, a.source)
                row, _ = save_article(s, _model(a), source_id=source.id, feed_id=None)
                results.append(assign_story(s, row).story_id)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(a,)) for a in pair]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 2 and results[0] == results[1]


# --- work per article: counted, never timed -------------------------------------------------------------


def _synthetic(i: int, rng: random.Random, vocabulary: list[str]) -> tuple[StoryFeatures, Fingerprint]:
    """An article of 60 words drawn from a Zipf-like vocabulary plus 3 names of its event (20 articles each)."""
    words = rng.choices(vocabulary, weights=[1 / (r + 1) for r in range(len(vocabulary))], k=60)
    event = [f"name{i // 20}x{j}" for j in range(3)]
    terms = Counter(words + event)
    fp = Fingerprint(tuple(rng.getrandbits(32) for _ in range(128)))
    return StoryFeatures(dict(terms), frozenset(event), "en"), fp


def test_placing_an_article_does_bounded_work_whatever_the_window_holds() -> None:
    clusterer = Clusterer(max_postings=40, max_candidates=15)
    rng = random.Random(7)
    vocabulary = [f"v{r}" for r in range(3_000)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    per_article: list[tuple[int, int, int]] = []
    for i in range(1_500):
        features, fp = _synthetic(i, rng, vocabulary)
        when = start + timedelta(seconds=60 * i)  # all inside one window: it only grows
        before = (clusterer.work.postings_read, clusterer.work.scored, clusterer.work.adds)
        placement = clusterer.place(i, when, features, fp)
        clusterer.add(
            Item(i, when, features, fp, story=placement.story if placement.story is not None else i)
        )
        after = (clusterer.work.postings_read, clusterer.work.scored, clusterer.work.adds)
        per_article.append(tuple(b - a for a, b in zip(before, after, strict=True)))  # type: ignore[arg-type]
    assert len(clusterer.items) == 1_500
    terms_and_names = 63
    for postings, scored, adds in per_article:
        assert adds == 1  # one article added, never the window rebuilt
        assert scored <= 2 * clusterer.max_candidates
        assert postings <= terms_and_names * clusterer.max_postings
    late = per_article[-100:]
    assert max(p for p, _, _ in late) < 1_500  # a rebuild, or a scan of the window, would read more
    assert DuplicateIndex.builds >= 1


def test_the_window_is_updated_not_rebuilt_per_article(db: Database) -> None:
    from gazette.pipeline import story_window

    builds = DuplicateIndex.builds
    misses = band_params.cache_info().misses
    corpus = _in_order()
    with db.session() as s:
        source = get_or_create_source(s, corpus[0].source)
        row, _ = save_article(s, _model(corpus[0]), source_id=source.id, feed_id=None)
        assign_story(s, row)
        window = story_window(s)
    assert window.loads == 1
    adds, rows = window.clusterer.work.adds, window.rows_read
    for a in corpus[1:]:
        with db.session() as s:
            source = get_or_create_source(s, a.source)
            row, _ = save_article(s, _model(a), source_id=source.id, feed_id=None)
            assign_story(s, row)
    placed = len(corpus) - 1
    assert window.loads == 1  # never read afresh
    assert window.clusterer.work.adds - adds == placed  # one article added per article placed
    assert window.rows_read == rows  # its own rows go in as they are written: nothing read back
    assert DuplicateIndex.builds - builds == 1  # the window's LSH index, made once
    assert band_params.cache_info().misses - misses <= 1
    with db.session() as s:  # the counts kept per article equal a recount over every member
        for story in story_store.recent_stories(s, limit=1000, min_articles=1):
            kept = (story.article_count, story.source_count, story.first_seen, story.updated_at)
            recounted = story_store.refresh_story(s, story.id)
            assert recounted is not None
            assert kept == (
                recounted.article_count,
                recounted.source_count,
                recounted.first_seen,
                recounted.updated_at,
            )


def test_a_second_process_sees_the_first_ones_stories_and_rebuilds(db_url: str) -> None:
    from gazette.pipeline import recluster, story_window

    first, second = Database(db_url), Database(db_url)  # two engines: two windows, as two processes have
    first.init()
    try:
        blackout = [a for a in _in_order() if a.story == "venezuela-blackout-2026-11"]

        def place(database: Database, a: CorpusArticle) -> int:
            with database.session() as s:
                source = get_or_create_source(s, a.source)
                row, _ = save_article(s, _model(a), source_id=source.id, feed_id=None)
                return assign_story(s, row).story_id

        ids = [place(first, blackout[0]), place(second, blackout[1]), place(first, blackout[2])]
        assert len(set(ids)) == 1
        with first.session() as s:
            window = story_window(s)
        assert window.loads == 1  # the other process's row was read incrementally
        assert window.rows_read == 1  # only the row the other process wrote
        # the other process rewrites an article into another event: a new row, read like any other
        lone, other = [a for a in _in_order() if a.story is None][:2]
        with second.session() as s:
            row = story_store.articles_by_ids(s, [story_store.article_order(s)[0]])[
                story_store.article_order(s)[0]
            ]
            rewritten_id = row.id
            row.title, row.text = other.title, other.text
            s.flush()
            moved = assign_story(s, row).story_id
        assert moved not in ids
        place(first, lone)
        assert window.loads == 1 and window.clusterer.items[rewritten_id].story == moved
        with second.session() as s:
            recluster(s)
        place(first, other)
        assert window.loads == 2  # the rebuild changed the marker: read afresh
        with first.session() as s:
            assert ids[0] in {st.id for st in story_store.recent_stories(s)}
    finally:
        first.dispose()
        second.dispose()


def test_keep_story_ids_keeps_majorities_and_redirects_the_rest() -> None:
    # articles 1-4 were story 10, 5-6 story 20, 7 story 30; the rebuild merges 20 into 10's cluster and
    # splits 30 off nothing
    old = {1: 10, 2: 10, 3: 10, 4: 10, 5: 20, 6: 20, 7: 30}
    new = {1: -1, 2: -1, 3: -1, 4: -2, 5: -1, 6: -1, 7: -3}
    kept, redirects = keep_story_ids(old, new)
    assert kept == {-1: 10, -3: 30}
    assert redirects == {20: -1}
    # a split down the middle keeps no id: the old URL leads to the part that came first
    kept, redirects = keep_story_ids({1: 5, 2: 5}, {1: -1, 2: -2})
    assert kept == {} and redirects == {5: -1}


def test_an_unindexed_window_places_articles_as_the_indexed_one_does() -> None:
    indexed, plain = Clusterer(), Clusterer(indexed=False)
    for i, a in enumerate(_in_order()):
        features = extract_features(a.title, a.text, a.language)
        fp = text_fingerprint(a.title, a.text)
        placements = [c.place(i, _when(a), features, fp) for c in (indexed, plain)]
        assert placements[0] == placements[1]
        story = placements[0].story if placements[0].story is not None else i
        for c in (indexed, plain):
            c.add(Item(i, _when(a), features, fp, story=story, duplicate_of=placements[0].duplicate_of))
    assert plain._postings == {} and plain._copies is None  # nothing was indexed


def test_a_straggler_is_placed_against_a_window_read_for_it(db: Database) -> None:
    from gazette.pipeline import story_window

    corpus = _in_order()
    _store_demo(db)
    old = next(a for a in corpus if a.story == "wcq-tt-canada-2026-11")
    newest = max(_when(a) for a in corpus)
    assert newest - _when(old) > timedelta(days=1)  # older than the kept window reaches
    late = _model(old)
    late.url = late.canonical_url = "http://127.0.0.1/late/copy"
    late.text = old.text + " (Wire copy.)"
    late.content_hash = hashlib.sha256(late.text.encode()).hexdigest()
    with db.session() as s:
        source = get_or_create_source(s, "Late Wire")
        row, _ = save_article(s, late, source_id=source.id, feed_id=None)
        result = assign_story(s, row)
        window = story_window(s)
        original = story_store.articles_of(s, result.story_id)[0]
    assert window.stragglers == 1 and window.loads == 1
    assert result.duplicate_of == original.id and not result.is_new


def _placed_on_a_window_read_whole(s: Any, row: Any) -> tuple[Placement, int]:
    """Where a straggler goes on a window read for it alone from the store (as every straggler was placed
    before its windows were kept), and how many members that window read."""
    clusterer = Clusterer(indexed=False)
    when = story_store.article_time(row)
    members = story_members.window_members(
        s, when - clusterer.window, when + clusterer.window, exclude_id=row.id
    )
    features = _member_features(s, members)
    for m in members:
        found = features[m.article_id]
        assert found is not None
        fp = Fingerprint.from_bytes(m.fingerprint)
        clusterer.add(Item(m.article_id, m.when, found, fp, m.story_id, m.duplicate_of))
    prepared = story_input(row.title, row.text, row.language)
    return clusterer.place(row.id, when, prepared.features, prepared.fingerprint), len(members)


@pytest.mark.parametrize("max_held", [None, 6], ids=["kept", "capped"])
def test_a_run_of_stragglers_is_placed_as_on_windows_read_whole_with_fewer_loads(
    db_url: str, max_held: int | None
) -> None:
    """Kept straggler windows place every straggler as a window read whole for it does; with a cap on the
    members kept (``MAX_HELD``), a window larger than the cap is used once and forgotten."""
    from gazette.pipeline import story_window

    first, second = Database(db_url), Database(db_url)  # two engines: two windows, as two processes have
    first.init()
    corpus = _in_order()
    _store_demo(first)
    newest = max(_when(a) for a in corpus)
    old = [a for a in corpus if newest - _when(a) > timedelta(days=5)]  # older than the kept window reaches
    assert len(old) >= 10
    with first.session() as s:
        rows_before = story_window(s).rows_read
        if max_held is not None:
            story_window(s).straggler_windows.MAX_HELD = max_held
    # Wire services send copies of the old articles: A in date order, B back to front; then the other
    # process rewrites A's copies with the next old article's text (each taken out of its story and placed
    # again, under a new membership row, while this process's kept windows hold the old one); then C sends
    # copies with the text A's first had.
    rewritten = old[1:] + old[:1]
    runs = [
        (first, "Wire A", [(a, a.text) for a in old]),
        (first, "Wire B", [(a, a.text + " (Second wire.)") for a in old[::-1]]),
        (second, "Wire A", [(a, b.text + " (Rewritten.)") for a, b in zip(old, rewritten, strict=True)]),
        (first, "Wire C", [(a, a.text) for a in old]),
    ]
    placed = read_whole = copies = total = 0
    try:
        for database, wire, articles in runs:
            for a, text in articles:
                copy = _model(a)
                copy.url = copy.canonical_url = f"http://127.0.0.1/{wire.replace(' ', '-')}/{a.slug}"
                copy.text = text + " (Wire copy.)"
                copy.content_hash = hashlib.sha256(copy.text.encode()).hexdigest()
                with database.session() as s:
                    source = get_or_create_source(s, wire)
                    row, _ = save_article(s, copy, source_id=source.id, feed_id=None)
                    expected, members = _placed_on_a_window_read_whole(s, row)
                    result = assign_story(s, row)
                if database is first:
                    placed += 1
                    read_whole += members
                    if max_held is not None:
                        with first.session() as s:
                            spans = story_window(s).straggler_windows.spans
                        assert sum(len(span.held) for span in spans) <= max_held
                total += 1
                copies += result.duplicate_of is not None
                assert result.membership_id  # placed, not the stored answer handed back
                assert result.is_new == (expected.story is None)
                if expected.story is not None:
                    assert result.story_id == expected.story
                assert result.duplicate_of == expected.duplicate_of
                assert result.similarity == (1.0 if expected.story is None else expected.similarity)
        with first.session() as s:
            window = story_window(s)
    finally:
        first.dispose()
        second.dispose()
    assert 0 < copies < total  # near-copies found, and articles that are none
    kept = window.straggler_windows
    assert window.stragglers == placed and window.loads == 1
    # only the other process's rows: its own went in as placed
    assert window.rows_read - rows_before == len(old)
    if max_held is None:
        assert kept.loads <= 2 < placed  # each straggler read its window whole before
        assert kept.rows_read < read_whole / 4
    else:
        assert kept.loads > placed / 2  # windows over the cap are read whole each time


def test_a_window_loaded_in_bulk_is_the_one_added_one_by_one() -> None:
    rng = random.Random(11)
    vocabulary = [f"v{r}" for r in range(2_000)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stream = []
    for i in range(900):
        features, fp = _synthetic(i, rng, vocabulary)
        language = "es" if i % 7 == 0 else "en"
        stream.append(
            Item(i, start + timedelta(minutes=9 * i), replace(features, language=language), fp, i // 20)
        )
    # keys met again (one added before the bulk load, one inside it): replaced, as add replaces them
    stream += [replace(stream[80], story=-1), replace(stream[150], story=-2)]
    one_by_one, bulk = Clusterer(max_postings=40), Clusterer(max_postings=40)
    for item in stream[:100]:  # both start from a window that has evicted and freed slots and term ids
        for c in (one_by_one, bulk):
            c.add(item)
    for c in (one_by_one, bulk):
        c.evict_before(stream[99].when + c.retention - timedelta(minutes=400))
        assert c.work.discards > 0
    for item in stream[100:]:
        one_by_one.add(item)
    bulk.add_many(stream[100:], chunk=250)
    assert one_by_one._vocab == bulk._vocab and one_by_one._slot_of == bulk._slot_of
    assert one_by_one.items == bulk.items and one_by_one.work == bulk.work
    assert one_by_one._postings == bulk._postings
    assert one_by_one.copies._prints.keys() == bulk.copies._prints.keys()
    for name in ("_df", "_gen", "_when", "_norm", "_lang"):
        assert np.array_equal(getattr(one_by_one, name), getattr(bulk, name)), name
    for i in range(900, 1_000):  # and they place the next articles alike
        features, fp = _synthetic(i, rng, vocabulary)
        when = start + timedelta(minutes=9 * i)
        placements = [c.place(i, when, features, fp) for c in (one_by_one, bulk)]
        assert placements[0] == placements[1]
        for c in (one_by_one, bulk):
            c.add(Item(i, when, features, fp, placements[0].story if placements[0].story is not None else i))


def test_a_window_read_from_the_store_is_the_one_added_one_by_one(db: Database) -> None:
    _store_demo(db)  # 17 days of articles: reading them from the first date evicts as it goes
    when = min(_when(a) for a in load_corpus())
    window = StoryWindow()
    reference = Clusterer()
    with db.session() as s:
        window.sync(s, when)
        low = when - reference.retention
        members = story_members.window_members(s, low)
        features = _member_features(s, members)
    newest = None
    for m in members:  # what the window did before it loaded in bulk: one add, discard or eviction at a time
        found = features[m.article_id]
        if m.when >= low and found is not None:
            fp = Fingerprint.from_bytes(m.fingerprint)
            reference.add(Item(m.article_id, m.when, found, fp, m.story_id, m.duplicate_of))
        elif m.when < low:
            reference.discard(m.article_id)
        effective = min(m.when, m.fetched_at) if m.fetched_at is not None else m.when
        if newest is None or effective > newest:
            newest = effective
            reference.evict_before(effective)
            low = max(low, effective - reference.retention)
    loaded = window.clusterer
    assert reference.work.discards > 0 and loaded.work == reference.work
    assert loaded.items == reference.items and loaded._vocab == reference._vocab
    assert loaded._postings == reference._postings and loaded._slot_of == reference._slot_of
    for name in ("_df", "_gen", "_when", "_norm", "_lang"):
        assert np.array_equal(getattr(loaded, name), getattr(reference, name)), name


@pytest.mark.parametrize("distinct", [3, 40, 1_000, None])
@pytest.mark.parametrize("size", [51, 250, 1_000, 7_000])
def test_largest_picks_the_set_argpartition_picks(size: int, distinct: int | None) -> None:
    """The candidates kept are argpartition's, ties at the last place included (few distinct scores: many ties)."""
    rng = np.random.default_rng(size * 7 + (distinct or 0))
    for _ in range(20):
        scores = rng.random(size) ** 4 if distinct is None else rng.integers(0, distinct, size) / distinct
        expected = np.argpartition(-scores, MAX_CANDIDATES - 1)[:MAX_CANDIDATES]
        chosen = _largest(scores, MAX_CANDIDATES)
        assert len(chosen) == MAX_CANDIDATES
        assert sorted(chosen.tolist()) == sorted(expected.tolist())


@pytest.mark.parametrize("indexed", [True, False])
def test_a_tie_between_stories_goes_to_the_one_with_the_oldest_candidate(indexed: bool) -> None:
    """Equal best scores: the story of the older article wins, whichever was added first, and a story number
    freed by eviction is taken by a new story without mixing the two."""
    features = StoryFeatures({"harbour": 2, "ferry": 1, "strike": 1}, frozenset({"dover"}), "en")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for older in ("a", "b"):
        clusterer = Clusterer(indexed=indexed)
        dates = (
            {"a": start, "b": start + timedelta(hours=1)}
            if older == "a"
            else {"a": start + timedelta(hours=1), "b": start}
        )
        for key in ("a", "b"):  # added in the same order both times
            clusterer.add(Item(f"article-{key}", dates[key], features, Fingerprint(()), story=key))
        placement = clusterer.place("new", start + timedelta(hours=2), features, Fingerprint(()))
        assert placement.story == older and placement.similarity > clusterer.threshold
    clusterer = Clusterer(indexed=indexed)
    clusterer.add(Item("gone", start, features, Fingerprint(()), story="old"))
    later = start + clusterer.retention + timedelta(days=1)
    clusterer.evict_before(later)
    assert clusterer.items.keys() == set() and clusterer._story_nos == {}
    other = StoryFeatures({"budget": 1, "vote": 2}, frozenset(), "en")
    clusterer.add(Item("kept", later, other, Fingerprint(()), story="new story"))
    clusterer.add(Item("next", later, features, Fingerprint(()), story="next story"))
    assert clusterer.place("query", later, features, Fingerprint(())).story == "next story"
    assert clusterer.place("query", later, other, Fingerprint(())).story == "new story"
