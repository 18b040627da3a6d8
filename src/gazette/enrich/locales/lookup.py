"""Locales stage: finding one gazetteer place from what an editor types — "Name, CC", an ISO code or a GeoNames id.

A lookup answers every place the words can mean, never a guess: the caller says "ambiguous" when there is more
than one, and lists them. Only the gazetteer's public shape (``places``, ``names``, ``region_index``,
``country_index``) is read, so this stays apart from how the tagger resolves mentions in running text.
"""

from __future__ import annotations

import re

from gazette.enrich.locales.gazetteer import ALTERNATE, DEMONYM, Gazetteer, Place
from gazette.textfold import fold_keeping_length

KINDS = ("country", "region", "city")
_ISO_3166_2 = re.compile(r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$")
_ALPHA_2 = re.compile(r"^[A-Za-z]{2}$")


def find_places(gazetteer: Gazetteer, query: str) -> list[Place]:
    """Every place ``query`` can name, best-known first (empty: none).

    - a GeoNames id ("3646738"): the place with that id;
    - an ISO 3166-2 code ("VE-F") or an ISO 3166-1 alpha-2 code ("VE"): that region or country;
    - "Name, CC" ("Valencia, ES"): the places called Name in country CC; names that are a place's main name
      win over alternate names, and demonyms ("Venezuelan") never count;
    - a bare name: the places called so anywhere.
    """
    query = " ".join(query.split())
    if not query:
        return []
    if query.isdigit():
        wanted = int(query)
        return [p for p in gazetteer.places if p.geonames_id == wanted and p.kind in KINDS][:1]
    if _ISO_3166_2.match(query):
        idx = gazetteer.region_index.get(query.upper())
        return [gazetteer.places[idx]] if idx is not None else []
    name, _, country = query.rpartition(",")
    if not name:
        name, country = query, ""
    country = country.strip().upper()
    if not country and _ALPHA_2.match(query) and query.isupper():
        idx = gazetteer.country_index.get(query)
        if idx is not None:
            return [gazetteer.places[idx]]
    if country and not _ALPHA_2.match(country):
        # "Springfield, Illinois": the part after the comma is a region's name or code, not a country
        return _by_name(gazetteer, name, None, region=country)
    return _by_name(gazetteer, name, country or None)


def _by_name(gazetteer: Gazetteer, name: str, country: str | None, region: str | None = None) -> list[Place]:
    links = gazetteer.names.get(fold_keeping_length(name.strip()), [])
    found: list[tuple[int, Place]] = []
    seen: set[int] = set()
    for idx, flags in links:
        if flags & DEMONYM or idx in seen:
            continue
        place = gazetteer.places[idx]
        if place.kind not in KINDS or (country and place.country_code != country):
            continue
        if region and not _in_region(place, region):
            continue
        seen.add(idx)
        found.append((flags, place))
    main = [p for flags, p in found if not flags & ALTERNATE]
    places = main or [p for _, p in found]
    order = {"country": 0, "region": 1, "city": 2}
    return sorted(places, key=lambda p: (order[p.kind], -(p.population or 0), p.name))


def _in_region(place: Place, region: str) -> bool:
    wanted = fold_keeping_length(region)
    return bool(place.region_code and place.region_code.upper() == region) or (
        place.region_name is not None and fold_keeping_length(place.region_name) == wanted
    )


def describe(place: Place) -> str:
    """How a candidate is listed to an editor: "Valencia (city, ES-VC, GeoNames 2509954)"."""
    where = place.region_code or place.country_code
    gid = f", GeoNames {place.geonames_id}" if place.geonames_id else ""
    return f"{place.name} ({place.kind}, {where}{gid})"
