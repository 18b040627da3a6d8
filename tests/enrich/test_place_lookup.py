"""The editor's place lookup (enrich/locales/lookup.py) on the real gazetteer: every accepted form, and the
candidates of an ambiguous name."""

from __future__ import annotations

import pytest

from gazette.enrich.locales import Gazetteer, load_gazetteer
from gazette.enrich.locales.lookup import describe, find_places


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Caracas, VE", "Caracas (city, VE-A, GeoNames 3646738)"),
        ("caracas ,  ve", "Caracas (city, VE-A, GeoNames 3646738)"),
        ("3646738", "Caracas (city, VE-A, GeoNames 3646738)"),
        ("VE-F", "Bolívar (region, VE-F)"),
        ("ve-f", "Bolívar (region, VE-F)"),
        ("Bolívar, VE", "Bolívar (region, VE-F)"),  # the region's own name beats "Ciudad Bolívar" (alternate)
        ("VE", "Venezuela (country, VE, GeoNames 3625428)"),
        ("Venezuela, VE", "Venezuela (country, VE, GeoNames 3625428)"),
        ("Springfield, Illinois", "Springfield (city, US-IL, GeoNames 4250542)"),
    ],
)
def test_each_form_names_one_place(gaz: Gazetteer, query: str, expected: str) -> None:
    assert [describe(p) for p in find_places(gaz, query)] == [expected]


def test_an_ambiguous_name_gives_every_candidate(gaz: Gazetteer) -> None:
    both = [describe(p) for p in find_places(gaz, "Cajamarca, PE")]
    assert both == ["Cajamarca (region, PE-CAJ)", "Cajamarca (city, PE-CAJ, GeoNames 3699088)"]
    springfields = find_places(gaz, "Springfield, US")
    assert len(springfields) > 5 and {p.kind for p in springfields} == {"city"}
    assert len({p.region_code for p in springfields}) == len(springfields)


@pytest.mark.parametrize(
    "query", ["", "Atlantis, ZZ", "Venezuelan, VE", "XX-99", "999999999999", "Caracas, PE"]
)
def test_no_place(gaz: Gazetteer, query: str) -> None:
    assert find_places(gaz, query) == []
