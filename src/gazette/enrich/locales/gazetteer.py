"""Locales stage: the gazetteer of countries, first-level regions and cities, shipped prebuilt with Gazette.

``data/gazetteer.zip`` is built from the packaged data sets by ``builder.py`` (run ``python
scripts/build_gazetteer.py``) and read here in about a second: no command builds it and nothing is cached per user.
The file records a digest of what it was built from (the builder's code and the hand-written names it reads);
when they have changed since, the gazetteer is built in memory instead (slow, with a warning) so a checkout never
tags with stale names, and ``tests/enrich/test_gazetteer.py`` fails until the file is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import zipfile
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazette.enrich.locales import names as handnames

logger = logging.getLogger(__name__)

# Bump when the layout of the shipped file changes.
FORMAT_VERSION = 2  # 2: the towns of each US county
SHIPPED_PATH = Path(__file__).with_name("data") / "gazetteer.zip"

# Flags carried by each (name → place) link.
EXACT_CASE = 1  # abbreviations: "US", "UK", "NSW" match only as written
DEMONYM = 2  # "Venezuelan" points at Venezuela but is not itself a toponym
ALTERNATE = 4  # an alternate city name, weaker than the main one
AFTER_COMMA = 8  # only right after "Town, " (AP state abbreviations, postal codes)
_FLAG_BITS = 4  # a link is stored as place index << 4 | flags

KINDS = ("country", "region", "city", "county")

# The hand-written names the builder reads (the tagger's own word lists are left out: editing them needs no
# rebuild).
BUILDER_NAMES = (
    "COUNTRY_DISPLAY",
    "COUNTRY_POINTS",
    "COUNTRY_ALIASES",
    "COUNTRY_ABBREVIATIONS",
    "DEMONYMS",
    "CITY_ABBREVIATIONS",
    "REGION_DISPLAY",
    "REGION_POINTS",
    "REGION_ALIASES",
    "REGION_ABBREVIATIONS",
    "US_AP_ABBREVIATIONS",
    "JUNK_WORDS",
    "JUNK_PHRASES",
)


@dataclass(slots=True)
class Place:
    """One gazetteer entry."""

    kind: str  # "country" | "region" | "city" | "county"
    name: str
    country_code: str
    region_code: str | None
    region_name: str | None
    geonames_id: int | None
    lat: float | None
    lon: float | None
    population: int
    capital: bool = False


@dataclass
class Gazetteer:
    """Places, the names that point at them, and display names for countries and regions."""

    places: list[Place]
    names: dict[str, list[tuple[int, int]]]  # folded name → [(place index, flags)]
    exact: dict[str, set[str]]  # folded name → surfaces that EXACT_CASE links must match as written
    country_names: dict[str, str]  # alpha-2 → English short name
    region_index: dict[str, int] = field(default_factory=dict)  # ISO 3166-2 → place index
    country_index: dict[str, int] = field(default_factory=dict)  # alpha-2 → place index
    # A US town's place index → the counties it lies in ("Paris" → Henry County, Tennessee), from the ZIP data.
    county_of: dict[int, tuple[int, ...]] = field(default_factory=dict)


def builder_digest() -> str:
    """A digest of what the gazetteer is built from: the builder's code and the hand-written names it reads."""
    digest = hashlib.sha256(f"format {FORMAT_VERSION}\n".encode())
    digest.update(Path(__file__).with_name("builder.py").read_bytes())
    for name in BUILDER_NAMES:
        value = getattr(handnames, name)
        if isinstance(value, frozenset | set):
            value = sorted(value)
        digest.update(f"{name}={value!r}\n".encode())
    return digest.hexdigest()[:16]


def load_gazetteer(path: Path | None = None) -> Gazetteer:
    """The shipped gazetteer (or the file at ``path``); built in memory when the file is missing or stale."""
    path = path or SHIPPED_PATH
    try:
        with zipfile.ZipFile(path) as archive:
            meta = _read_meta(archive)
            if meta.get("digest") == builder_digest():
                return _read_gazetteer(archive, meta)
        logger.warning(
            "gazetteer file %s is older than its builder; building it in memory "
            "(run `python scripts/build_gazetteer.py` to rebuild the file)",
            path,
        )
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        logger.warning("gazetteer file %s unreadable (%s); building it in memory", path, exc)
    from gazette.enrich.locales.builder import build_gazetteer

    return build_gazetteer()


def read_gazetteer_meta(path: Path) -> dict[str, Any]:
    """The small part of a gazetteer file: format, digest, source package versions, counts."""
    with zipfile.ZipFile(path) as archive:
        return _read_meta(archive)


def _read_meta(archive: zipfile.ZipFile) -> dict[str, Any]:
    meta = json.loads(archive.read("meta.json"))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        raise ValueError(f"not a gazetteer file of format {FORMAT_VERSION}")
    return meta


def _lines(archive: zipfile.ZipFile, member: str) -> list[str]:
    text = archive.read(member).decode("utf-8")
    return text.split("\n") if text else []


def _numbers(archive: zipfile.ZipFile, member: str, typecode: str) -> list[Any]:
    values = array(typecode)
    values.frombytes(archive.read(member))
    if sys.byteorder != "little":
        values.byteswap()
    return values.tolist()


def _read_gazetteer(archive: zipfile.ZipFile, meta: dict[str, Any]) -> Gazetteer:
    # Column by column, so that the loops run in C; codes are indexes into short tables, so each country and
    # region code is one shared string.
    countries: list[str] = meta["countries"]
    kinds = [KINDS[k] for k in _numbers(archive, "place_kind", "B")]
    names_of_places = _lines(archive, "place_name")
    country_codes = [countries[i] for i in _numbers(archive, "place_country", "H")]
    region_places = _numbers(archive, "place_region", "i")  # the region's place index, -1 for none
    region_places_in_order = [i for i, kind in enumerate(kinds) if kind == "region"]
    code_at = dict(zip(region_places_in_order, _lines(archive, "region_code"), strict=True))
    region_code_of = [None if i < 0 else code_at[i] for i in region_places]
    region_name_of = [None if i < 0 else names_of_places[i] for i in region_places]
    capitals = [False] * len(kinds)
    for idx in meta["capitals"]:
        capitals[idx] = True
    lats = [None if x != x else x for x in _numbers(archive, "place_lat", "d")]
    lons = [None if x != x else x for x in _numbers(archive, "place_lon", "d")]
    geonames_ids = [None if x < 0 else x for x in _numbers(archive, "place_geonames_id", "q")]
    places = list(
        map(
            Place,
            kinds,
            names_of_places,
            country_codes,
            region_code_of,
            region_name_of,
            geonames_ids,
            lats,
            lons,
            _numbers(archive, "place_population", "q"),
            capitals,
        )
    )
    region_index = {p.region_code: i for i, p in enumerate(places) if p.kind == "region" and p.region_code}
    country_index = {p.country_code: i for i, p in enumerate(places) if p.kind == "country"}
    mask = (1 << _FLAG_BITS) - 1
    pairs = [(code >> _FLAG_BITS, code & mask) for code in _numbers(archive, "name_links", "I")]
    names: dict[str, list[tuple[int, int]]] = {}
    at = 0
    for key, count in zip(_lines(archive, "name_keys"), _numbers(archive, "name_counts", "I"), strict=True):
        names[key] = pairs[at : at + count]
        at += count
    exact = {key: set(surfaces) for key, surfaces in meta["exact"].items()}
    county_of: dict[int, tuple[int, ...]] = {}
    town_counties = _numbers(archive, "town_counties", "I")
    for town, county in zip(town_counties[::2], town_counties[1::2], strict=True):
        county_of[town] = (*county_of.get(town, ()), county)
    return Gazetteer(places, names, exact, meta["country_names"], region_index, country_index, county_of)


def write_gazetteer_file(gaz: Gazetteer, path: Path, sources: dict[str, str]) -> None:
    """Write ``gaz`` as a gazetteer file: a zip of columns (text lines and little-endian numbers) that reads
    back without parsing, byte for byte the same each build."""
    places = gaz.places
    region_at = {p.region_code: i for i, p in enumerate(places) if p.kind == "region" and p.region_code}
    for i, p in enumerate(places):
        at = region_at.get(p.region_code or "")
        if p.kind == "region" and (at != i or p.region_name != p.name):
            raise ValueError(f"region {p.name!r} must carry its own code once, and its name as region_name")
        shown = places[at].name if at is not None else None
        if p.kind != "region" and (p.region_name != shown or (p.region_code and at is None)):
            raise ValueError(f"{p.kind} {p.name!r} must name a region of the gazetteer, as it is shown")
    texts = [p.name for p in places] + list(gaz.names)
    if any("\n" in text for text in texts):
        raise ValueError("a name holds a line break")
    countries = sorted({p.country_code for p in places})
    country_at = {cc: i for i, cc in enumerate(countries)}
    meta = {
        "format": FORMAT_VERSION,
        "digest": builder_digest(),
        "sources": sources,
        "places": len(places),
        "names": len(gaz.names),
        "countries": countries,
        "country_names": gaz.country_names,
        "capitals": [i for i, p in enumerate(places) if p.capital],
        "exact": {key: sorted(surfaces) for key, surfaces in gaz.exact.items()},
    }
    nan = float("nan")
    region_places = [region_at.get(p.region_code or "", -1) for p in places]
    members: dict[str, bytes] = {
        "meta.json": json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8"),
        "place_kind": _pack("B", [KINDS.index(p.kind) for p in places]),
        "place_name": "\n".join(p.name for p in places).encode("utf-8"),
        "place_country": _pack("H", [country_at[p.country_code] for p in places]),
        "place_region": _pack("i", region_places),
        "region_code": "\n".join(p.region_code or "" for p in places if p.kind == "region").encode("utf-8"),
        "place_geonames_id": _pack("q", [-1 if p.geonames_id is None else p.geonames_id for p in places]),
        "place_lat": _pack("d", [nan if p.lat is None else p.lat for p in places]),
        "place_lon": _pack("d", [nan if p.lon is None else p.lon for p in places]),
        "place_population": _pack("q", [p.population for p in places]),
        "name_keys": "\n".join(gaz.names).encode("utf-8"),
        "name_counts": _pack("I", [len(links) for links in gaz.names.values()]),
        "name_links": _pack("I", [i << _FLAG_BITS | f for links in gaz.names.values() for i, f in links]),
        "town_counties": _pack(
            "I", [i for town, counties in gaz.county_of.items() for c in counties for i in (town, c)]
        ),
    }
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for member, data in members.items():
            info = zipfile.ZipInfo(member, date_time=(2026, 1, 1, 0, 0, 0))  # no timestamps: same bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    tmp.replace(path)


def _pack(typecode: str, values: list[int] | list[float]) -> bytes:
    packed = array(typecode, values)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()
