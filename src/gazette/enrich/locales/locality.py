"""Locales stage: how local an article's geography is, read for the toponym recogniser's features.

A town's paper names towns of one county or state, a wire story places in several countries; the same name with
the same context is a place more often in the first. Three things are read from the article's candidates, never
from its source: the share of its names that have a reading in its most shared first-level region
(``locality``), that region itself (``top_region``: a name with a reading there is likelier a place), and for each
name how near its nearest town or county reading lies to another name's (``nearest_other``: "Hays and Victoria",
Kansas towns 15 km apart). All read the gazetteer's readings, no word of the text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from gazette.enrich.locales.rules import is_demonym

if TYPE_CHECKING:
    from gazette.enrich.locales.gazetteer import Place
    from gazette.enrich.locales.resolve import Found

# The share of an article's names with a reading in its most shared region, by band: "low" under 0.3, "mid" under
# 0.5, "high" from 0.5; "few" when the article has fewer than three names (or none with a region).
LOCALITY_EDGES = (0.3, 0.5)
LOCALITY_MIN_NAMES = 3
# The distance to the nearest reading of another name, in bands (km); "far" beyond the last.
NEAREST_EDGES = (10, 25, 50, 100)
_NEAREST_LABELS = (*(f"<{edge}" for edge in NEAREST_EDGES), "far")
_KM_PER_DEGREE = 111.2
_EDGES = (np.array(NEAREST_EDGES, dtype=float) / _KM_PER_DEGREE) ** 2  # squared, in degrees of latitude
_BLOCK = 256  # rows of the distance matrix at a time
_NEAR_KINDS = ("city", "county")
# The region most shared (``top_region``) counts a name a rule objects to at each of its mentions this much (a
# clean name 1): enough to break a tie, too little to outvote the article's clean names. 0.1 to 0.3 read the same
# (5-fold CV, LGL R 0.8501-0.8505); 1 let the candidates that are no place pick the region.
OBJECTED_WEIGHT = 0.2
# ... and lends each of its regions its weight over the number of its regions to this power: a name of a dozen
# states says a little less of where the article is ("Bolívar" and "Simón", a cyclist's names, made a Colombian
# story West Virginian). 0.1: LGL R 0.8494 against 0.8505 without it; 0.25 and 0.5 cost TR-News recall; 1 (a
# share to each) LGL R 0.8438.
REGIONS_DAMPING = 0.1
# Saints' names ("St. Peter and St. Paul", a church in a Cairo story) are towns of one state (Minnesota) as often
# as a town's paper's names are: left out of the most shared region, or it drew "Alexandria" there.
_SAINT_PREFIXES = ("st. ", "st ", "saint ", "ste. ", "sainte ")
_SAINT_WORDS = ("st", "saint")


class Geography(NamedTuple):
    """What the recogniser's features read from the article's candidates as a whole (``geography``)."""

    locality: str
    top_region: str | None
    nearest: dict[str, str]


def geography(found: Iterable[Found]) -> Geography:
    """The article's ``locality``, its ``top_region`` and each name's ``nearest_other``, read from its own
    candidates (not a name inside a longer one, a demonym, an area or a street) in one pass."""
    names: dict[str, list[Place]] = {}
    clean: set[str] = set()  # the names with a mention that no rule objects to
    weight: dict[str, float] = {}  # what each name lends its regions (a saint's name nothing)
    for f in found:
        if f.outer is not None or f.origin != "gazetteer" or is_demonym(f.candidate):
            continue
        key = f.context.key
        names.setdefault(key, f.context.readings)
        if not f.objections:
            clean.add(key)
        if not key.startswith(_SAINT_PREFIXES) and f.context.prev_key not in _SAINT_WORDS:
            weight[key] = max(weight.get(key, 0.0), OBJECTED_WEIGHT if f.objections else 1.0)
    return Geography(
        locality([names[key] for key in clean]),
        top_region([(names[key], w) for key, w in weight.items()]),
        nearest_other(names),
    )


def locality(names: list[list[Place]]) -> str:
    """The band of the share of the article's names (each given by its readings; those no rule objects to) with
    a reading in the region that most of them share: "high" for a town's paper naming towns of its state."""
    in_region: dict[str, int] = defaultdict(int)
    for readings in names:
        for code in {p.region_code for p in readings if p.region_code}:
            in_region[code] += 1
    if len(names) < LOCALITY_MIN_NAMES or not in_region:
        return "few"
    share = max(in_region.values()) / len(names)
    if share < LOCALITY_EDGES[0]:
        return "low"
    return "mid" if share < LOCALITY_EDGES[1] else "high"


def top_region(names: list[tuple[list[Place], float]]) -> str | None:
    """The first-level region most of the article's names (each given by its readings and its weight, lent to
    its regions damped by their number: ``REGIONS_DAMPING``) may lie in. A tie goes to the region whose names have
    the fewest other regions, then by its code (the last in order), so that the same article always reads the
    same region."""
    weight: dict[str, float] = defaultdict(float)
    soft: dict[str, float] = defaultdict(float)
    for readings, w in names:
        codes = {p.region_code for p in readings if p.region_code}
        lent = w / len(codes) ** REGIONS_DAMPING if codes else 0.0
        for code in codes:
            weight[code] += lent
            soft[code] += 1 / len(codes)
    if not weight:
        return None
    return max(weight, key=lambda code: (weight[code], soft[code], code))


def nearest_other(names: dict[str, list[Place]]) -> dict[str, str]:
    """For each name (with its readings) that has a town or county reading, the band of the distance from its
    nearest such reading to one of another name ("far" from 100 km)."""
    keys: list[str] = []
    offsets: list[int] = []
    owner: list[int] = []
    lats: list[float] = []
    lons: list[float] = []
    for key, readings in names.items():
        first = len(lats)
        for p in readings:
            if p.kind in _NEAR_KINDS and p.lat is not None and p.lon is not None:
                lats.append(p.lat)
                lons.append(p.lon)
                owner.append(len(keys))
        if len(lats) > first:
            keys.append(key)
            offsets.append(first)
    if len(keys) < 2:
        return dict.fromkeys(keys, "far")
    lat = np.array(lats)
    lon = np.array(lons)
    ids = np.array(owner)
    nearest = np.empty(len(lats))
    # Squared equirectangular distances in degrees of latitude, a block of rows at a time: exact enough within
    # 100 km (a point across the date line only looks far), and the matrix stays small.
    for start in range(0, len(lats), _BLOCK):
        end = start + _BLOCK
        dlat = lat[None, :] - lat[start:end, None]
        dlon = (lon[None, :] - lon[start:end, None]) * np.cos(np.radians(lat[start:end, None]))
        squared = dlat * dlat + dlon * dlon
        squared[ids[None, :] == ids[start:end, None]] = np.inf  # a name's own readings do not count
        nearest[start:end] = squared.min(axis=1)
    bands = np.searchsorted(_EDGES, np.minimum.reduceat(nearest, offsets), side="right")
    return {key: _NEAREST_LABELS[band] for key, band in zip(keys, bands.tolist(), strict=True)}
