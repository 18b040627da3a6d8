"""store/sources.py: publishers created when a feed names them, one slug each, attributes updated in place."""

from __future__ import annotations

from gazette.store import sources as source_store
from gazette.store.db import Database


def test_a_source_is_created_once_and_updated_in_place(db: Database) -> None:
    with db.session() as s:
        first = source_store.get_or_create_source(s, "El Diario", home_url="https://eldiario.example/")
        again = source_store.get_or_create_source(s, "El Diario", country="ve", republish_full_text=True)
        assert again.id == first.id
        assert (again.slug, again.home_url, again.country) == ("el-diario", "https://eldiario.example/", "VE")
        assert again.republish_full_text is True
        source_store.get_or_create_source(s, "El Diario", home_url="https://other.example/")
        assert again.home_url == "https://eldiario.example/"  # the first home page is kept
    with db.session() as s:
        assert [src.name for src in source_store.list_sources(s)] == ["El Diario"]


def test_names_that_slug_alike_get_distinct_slugs(db: Database) -> None:
    with db.session() as s:
        slugs = [
            source_store.get_or_create_source(s, name).slug
            for name in ("El Diario", "El diario!", "¡El Diario")
        ]
    assert slugs == ["el-diario", "el-diario-2", "el-diario-3"]
    assert source_store.source_slug("???") == "source"
