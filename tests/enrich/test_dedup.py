"""Near-duplicate detection: fingerprints, the LSH index, and duplicates found when articles are stored."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from datasketch import MinHash
from datasketch.hashfunc import sha1_hash32
from hypothesis import given, settings
from hypothesis import strategies as st

from gazette import models
from gazette.enrich.dedup import (
    DUPLICATE_THRESHOLD,
    NUM_PERM,
    SCHEME,
    SEED,
    DuplicateIndex,
    Fingerprint,
    fingerprint,
    normalize_text,
    shingles,
)
from gazette.pipeline import assign_story
from gazette.store import stories as story_store
from gazette.store.articles import save_article
from gazette.store.db import Database
from gazette.store.sources import get_or_create_source

TEXT = (
    "The city council voted on Tuesday to close the old harbour bridge to cars from March, after engineers "
    "found corrosion in three of its steel supports. Cyclists and pedestrians will still be allowed to cross. "
    "The mayor said a replacement would cost about 40 million dollars and could open within four years, "
    "while shop owners on the north bank warned that the closure would cut their trade by half."
)
OTHER = (
    "A record crowd of 22,000 watched the national rugby team beat the visitors by a single point on Saturday, "
    "with a penalty kicked from near the halfway line in the last minute of the match deciding the game."
)


def test_fingerprint_ignores_whitespace_case_and_punctuation() -> None:
    messy = "  the CITY council voted,\n\non Tuesday…  " + TEXT.split("on Tuesday", 1)[1].replace(" ", "\t ")
    assert fingerprint(messy).similarity(fingerprint(TEXT)) == 1.0


def test_unrelated_texts_are_far_apart_and_an_edited_copy_is_close() -> None:
    edited = TEXT.replace("Tuesday", "Wednesday") + " The council meets again next week."
    assert fingerprint(TEXT).similarity(fingerprint(OTHER)) < 0.1
    assert fingerprint(TEXT).similarity(fingerprint(edited)) >= DUPLICATE_THRESHOLD


def test_fingerprint_round_trips_through_bytes_and_empty_text_matches_nothing() -> None:
    fp = fingerprint(TEXT)
    assert Fingerprint.from_bytes(fp.to_bytes()) == fp
    assert len(fp.to_bytes()) == 4 * len(fp.values)
    empty = fingerprint("  \n ")
    assert empty.empty and empty.similarity(empty) == 0.0
    assert Fingerprint.from_bytes(None).empty


# Fingerprints are stored and compared with ones computed later, so their values may never change. These were
# computed by the code before the hashing was batched (datasketch MinHash, one update per sorted shingle).
PINNED_TEXTS = {
    "short": "Lisbon council",
    "accents": (
        "Le conseil municipal de Montréal a voté jeudi le budget des écoles; São Paulo e Málaga também. "
        "Ǆemal Ω ﬁnal 𝐀bc naïve café."
    ),
    "long": " ".join(f"Word{i % 37} number {i} of the long text, said Ms. Ana Pérez." for i in range(400)),
}
PINNED_FINGERPRINTS = {
    "short": (
        (1797383038, 628035361, 794320613, 1667381541),
        "b0d518cbb49aed4d8d09533633671a76dbb7b4c8b3b24d4be23a124e05e0bce1",
    ),
    "accents": (
        (241582633, 3757539, 117391436, 368081858),
        "fb7503a62397750d85cd1cec29c4a1c4a617ba8054432b5f3cf206419de88cfa",
    ),
    "long": (
        (361723, 699207, 1589749, 106696),
        "448d57cd28254eebf6e3991ab08f0f587572d9c73b99da7c24810e4587e85861",
    ),
}


@pytest.mark.parametrize("name", sorted(PINNED_TEXTS))
def test_fingerprint_values_are_those_stored_before(name: str) -> None:
    first, digest = PINNED_FINGERPRINTS[name]
    fp = fingerprint(PINNED_TEXTS[name])
    assert len(fp.values) == NUM_PERM
    assert fp.values[:4] == first
    assert hashlib.sha256(fp.to_bytes()).hexdigest() == digest


def _reference_fingerprint(text: str) -> tuple[int, ...]:
    """datasketch's own path, one hash at a time: what ``fingerprint`` must equal bit for bit."""
    mh = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=sha1_hash32, scheme=SCHEME)
    for shingle in sorted(shingles(text)):
        mh.update(shingle)
    return tuple(int(v) for v in mh.hashvalues)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.sampled_from([TEXT, OTHER, ""]))
def test_fingerprint_equals_datasketch_one_shingle_at_a_time(text: str) -> None:
    fp = fingerprint(text)
    assert fp.values == (_reference_fingerprint(text) if shingles(text) else ())


def test_index_rebuilt_from_stored_fingerprints_finds_the_copy() -> None:
    stored = [(1, fingerprint(TEXT).to_bytes()), (2, fingerprint(OTHER).to_bytes())]
    index = DuplicateIndex.from_fingerprints((key, Fingerprint.from_bytes(raw)) for key, raw in stored)
    assert len(index) == 2 and 1 in index
    assert index.query(fingerprint(TEXT.upper())) == [(1, 1.0)]
    assert index.query(fingerprint(TEXT), exclude=1) == []
    index.remove(1)
    assert index.query(fingerprint(TEXT)) == []


@settings(max_examples=50, deadline=None)
@given(
    words=st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzéü", min_size=1, max_size=8), min_size=1, max_size=40
    ),
    gaps=st.lists(st.sampled_from([" ", "  ", "\n", "\t", " \n\n "]), min_size=1, max_size=5),
)
def test_fingerprint_ignores_whitespace_property(words: list[str], gaps: list[str]) -> None:
    plain = " ".join(words)
    spaced = "".join(w + gaps[i % len(gaps)] for i, w in enumerate(words))
    assert normalize_text(plain) == normalize_text(spaced)
    assert fingerprint(plain) == fingerprint(spaced)


def _article(url: str, title: str, text: str, when: datetime) -> models.Article:
    return models.Article(
        url=url,
        canonical_url=url,
        title=title,
        text=text,
        published_at=when,
        fetched_at=when,
        language="en",
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


def test_same_text_under_two_urls_is_a_duplicate(db: Database) -> None:
    when = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with db.session() as s:
        wire = get_or_create_source(s, "Wire")
        paper = get_or_create_source(s, "Paper")
        first, _ = save_article(
            s, _article("http://wire.test/a", "Bridge to close", TEXT, when), source_id=wire.id, feed_id=None
        )
        r1 = assign_story(s, first)
        copy_text = TEXT.replace(" ", "  ") + "\n\n(Wire)"
        second, _ = save_article(
            s,
            _article(
                "http://paper.test/b", "Harbour bridge shut to cars", copy_text, when + timedelta(hours=2)
            ),
            source_id=paper.id,
            feed_id=None,
        )
        r2 = assign_story(s, second)
        other, _ = save_article(
            s,
            _article("http://paper.test/c", "Rugby win", OTHER, when + timedelta(hours=3)),
            source_id=paper.id,
            feed_id=None,
        )
        r3 = assign_story(s, other)
        ids = (first.id, second.id, other.id)
    assert r1.is_new and r1.duplicate_of is None
    assert r2.duplicate_of == ids[0] and r2.story_id == r1.story_id and not r2.is_new
    assert r3.is_new and r3.duplicate_of is None and r3.story_id != r1.story_id
    with db.session() as s:
        copies = story_store.duplicates_of(s, ids[0])
        assert [a.id for a, _ in copies] == [ids[1]]
        assert copies[0][1] >= DUPLICATE_THRESHOLD
        assert [a.id for a, _ in story_store.duplicates_of(s, ids[1])] == [ids[0]]
        assert story_store.duplicates_of(s, ids[2]) == []
        # "More on this story" leaves the copy out
        assert story_store.more_on_story(s, ids[0]) == []
        assert story_store.more_on_story(s, ids[1]) == []
        assert [a.id for a in story_store.articles_of(s, r1.story_id, include_duplicates=False)] == [ids[0]]
