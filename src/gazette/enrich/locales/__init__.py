"""Locales stage: the places an article is about, resolved to region and country (``tag_locales``)."""

from __future__ import annotations

import logging

from gazette import models
from gazette.config import ENRICH_MAX_CHARS
from gazette.enrich import readable_text
from gazette.enrich.locales.builder import build_gazetteer
from gazette.enrich.locales.gazetteer import Gazetteer, Place, load_gazetteer
from gazette.enrich.locales.resolve import Mention, Tagger, get_tagger
from gazette.textfold import fold_keeping_length

logger = logging.getLogger(__name__)

__all__ = [
    "Gazetteer",
    "Mention",
    "Tagger",
    "build_gazetteer",
    "find_mentions",
    "fold_keeping_length",
    "get_tagger",
    "load_gazetteer",
    "locale_line",
    "place_locale",
    "tag_locales",
]

KINDS = ("country", "region", "city")
TITLE_WEIGHT = 3.0
DEMONYM_WEIGHT = 0.5


def find_mentions(text: str, *, source_country: str | None = None) -> list[Mention]:
    """Every resolved place mention in ``text`` (demonyms included, flagged ``demonym``)."""
    return get_tagger().find_mentions(text, source_country=source_country)


def tag_locales(
    text: str,
    *,
    title: str | None = None,
    source_country: str | None = None,
    max_chars: int = ENRICH_MAX_CHARS,
) -> list[models.Locale]:
    """The places ``text`` is about, one ``Locale`` per place, most salient first.

    Only the first ``max_chars`` characters of ``text`` are read (``enrich.max_chars``).

    Spans are character offsets into ``text``. A place named in the title adds to salience (and to
    ``mentions``) but has no span; a place named only in the title is kept, with no spans.
    """
    text = readable_text(text, max_chars)
    tagger = get_tagger()
    title = readable_text(title or "", max_chars)
    joined = f"{title}\n\n{text}" if title else text
    offset = len(title) + 2 if title else 0
    mentions = tagger.find_mentions(joined, source_country=source_country)
    by_place: dict[int, models.Locale] = {}
    confidences: dict[int, list[float]] = {}
    length = max(1, len(text))
    for m in mentions:
        p = m.place
        if p.kind not in KINDS:
            continue  # counties help resolve the towns around them but are not page locales
        loc = by_place.get(m.place_index)
        if loc is None:
            loc = place_locale(p, tagger.gazetteer, confidence=0.0, salience=0.0)
            by_place[m.place_index] = loc
            confidences[m.place_index] = []
        loc.mentions += 1
        confidences[m.place_index].append(m.confidence)
        weight = DEMONYM_WEIGHT if m.demonym else 1.0
        if m.start < offset:
            loc.salience += TITLE_WEIGHT * weight
        else:
            start, end = m.start - offset, m.end - offset
            loc.spans.append((start, end))
            # Earlier mentions weigh more: the lede names what the story is about.
            loc.salience += weight * (1.0 + 0.5 * (1.0 - start / length))
    for idx, loc in by_place.items():
        loc.confidence = round(max(confidences[idx]), 3)
        loc.salience = round(loc.salience, 3)
    return sorted(by_place.values(), key=lambda loc: (-loc.salience, loc.name))


def place_locale(place: Place, gazetteer: Gazetteer, *, confidence: float, salience: float) -> models.Locale:
    """A gazetteer place as a page locale, named with its country's name, before any mention is counted."""
    return models.Locale(
        name=place.name,
        kind=place.kind,
        country_code=place.country_code,
        country_name=gazetteer.country_names.get(place.country_code, place.country_code),
        region_code=place.region_code,
        region_name=place.region_name,
        geonames_id=place.geonames_id,
        lat=place.lat,
        lon=place.lon,
        mentions=0,
        spans=[],
        confidence=confidence,
        salience=salience,
    )


def locale_line(locales: list[models.Locale]) -> str:
    """'Bolívar, Nueva Esparta, Aragua, VENEZUELA': regions by salience (a city counts for its region),
    then countries in upper case. When the places lie in several countries, each region names its own, so that
    no region is left for the reader to place: 'Bolívar (Colombia), Distrito Capital (Venezuela), COLOMBIA,
    VENEZUELA'."""
    regions: dict[str, tuple[str, float, int, str]] = {}
    countries: dict[str, tuple[str, float, int]] = {}
    for order, loc in enumerate(locales):
        if loc.kind in ("region", "city") and loc.region_code and loc.region_name and loc.country_code:
            name, sal, first, cc = regions.get(
                loc.region_code, (loc.region_name, 0.0, order, loc.country_code)
            )
            regions[loc.region_code] = (name, sal + loc.salience, first, cc)
        if loc.country_code:
            cname = loc.country_name or loc.country_code
            name, sal, first = countries.get(loc.country_code, (cname, 0.0, order))
            countries[loc.country_code] = (name, sal + loc.salience, first)
    ordered_regions = sorted(regions.values(), key=lambda v: (-v[1], v[2]))
    ordered_countries = sorted(countries.values(), key=lambda v: (-v[1], v[2]))
    if len(countries) > 1:
        region_labels = [f"{name} ({countries[cc][0]})" for name, _, _, cc in ordered_regions]
    else:
        region_labels = [name for name, _, _, _ in ordered_regions]
    return ", ".join(region_labels + [c[0].upper() for c in ordered_countries])
