"""Locales stage: how much an article's other place names support each reading of a name.

Each distinct name supports the country and the region of its current reading; the tagger (``resolve.py``) adds
that support to each reading's prior, three rounds over, and picks the best.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from gazette.enrich.locales.gazetteer import Place
from gazette.textfold import fold_keeping_length

# Support for another country from which a lone small town abroad is dropped: two towns, or a town and the
# country's name ("Chaguaramas" beside Port of Spain and Trinidad is not the town in Guárico; 3.0 before, the same
# bench figures to the third decimal).
LONE_TOWN_SUPPORT = 2.5
VILLAGE = 5000
COUNTRY_FROM_COUNTRY = 1.0
COUNTRY_FROM_PLACE = 1.5
REGION_FROM_PLACE = 2.5
COUNTRY_CAP = 4.5
REGION_CAP = 5.0
# A name that may lie in several regions ("Lebanon", "Boone County") lends each of them a share of this, whatever
# reading it holds now: two ambiguous names that share a state pull each other there. The share is this over the
# square root of the name's regions, not over their number: "Columbus" (in a dozen states) beside "Colfax County"
# and "Richland" still says something of Nebraska. 5-fold CV with the fourth-round recogniser, over the number ->
# over its square root: LGL region 0.814 -> 0.817, Acc@161 0.873 -> 0.875; TR-News region 0.890 -> 0.892, Acc@161
# 0.882 -> 0.883, country 0.968 -> 0.969, found 0.902 -> 0.901; GeoVirus unchanged. (The whole 1.5 to each region:
# LGL found 0.820 -> 0.819 and country 0.976 -> 0.975.)
POSSIBLE_REGION = 1.5
POSSIBLE_CAP = 3.0
# The same for a US county: a name lends each county it may lie in (as the county, or as a town in it) this over
# the square root of their number ("Paris" beside "Henry County": Paris, Tennessee lies in Henry County, Paris,
# Illinois does not, though both states have a Henry County and a Paris). Two names meet in one county far more
# rarely than in one state, so the share is larger than a state's. 5-fold CV on LGL with the shipped recogniser
# (county points from the ZIP data in all runs): Acc@161 0.889 without it, 0.904 with 2, 0.910 with 4, 0.913 with
# 6 (8 the same, 12 0.912); region 0.817, 0.836, 0.844, 0.848; precision and recall unchanged.
POSSIBLE_COUNTY = 6.0
COUNTY_CAP = 4.0


@dataclass(slots=True)
class Votes:
    """How much the article's other names support each country and region.

    Each distinct name supports the country and region of its current reading once: a name repeated ten times is
    not ten witnesses, and a country named is weaker evidence than a town in it.
    """

    country: dict[str, dict[str, float]]
    region: dict[str, dict[str, float]]
    country_total: dict[str, float]
    region_total: dict[str, float]
    possible: dict[str, dict[str, float]] = field(default_factory=dict)
    possible_total: dict[str, float] = field(default_factory=dict)
    named: frozenset[str] = frozenset()  # the names whose reading lies in a country
    county: dict[int, dict[str, float]] = field(default_factory=dict)  # county place index → name → share

    @classmethod
    def count(
        cls,
        places: list[Place],
        readings: Iterable[tuple[str, int, float]],
        capital_districts: dict[int, str],
    ) -> Votes:
        """``readings``: each name, its current reading and how sure that reading is (0–1): a town whose
        namesake elsewhere is far likelier lends its region little."""
        first: dict[str, tuple[int, float]] = {}
        for key, place_index, sure in readings:
            first.setdefault(key, (place_index, sure))
        country: dict[str, dict[str, float]] = defaultdict(dict)
        region: dict[str, dict[str, float]] = defaultdict(dict)
        for key, (place_index, sure) in first.items():
            p = places[place_index]
            if not p.country_code:
                continue  # a continent or a sea supports no country
            if p.kind == "country":
                country[p.country_code][key] = COUNTRY_FROM_COUNTRY
            else:
                country[p.country_code][key] = COUNTRY_FROM_PLACE
                region_code = p.region_code or capital_districts.get(place_index)
                if region_code:
                    region[region_code][key] = REGION_FROM_PLACE * sure
        return cls(
            dict(country),
            dict(region),
            {c: sum(v.values()) for c, v in country.items()},
            {r: sum(v.values()) for r, v in region.items()},
            named=frozenset(k for v in country.values() for k in v),
        )

    def country_support(self, country_code: str, key: str) -> float:
        """The support of the other names for a country (a name never supports itself)."""
        own = self.country.get(country_code, {}).get(key, 0.0)
        return min(COUNTRY_CAP, self.country_total.get(country_code, 0.0) - own)

    def country_share(self, country_code: str, key: str) -> float:
        """The share of the article's other names whose reading lies in this country (0–1)."""
        others = len(self.named) - (key in self.named)
        if others <= 0:
            return 0.0
        in_country = self.country.get(country_code, {})
        return (len(in_country) - (key in in_country)) / others

    def region_support(self, region_code: str | None, key: str) -> float:
        if not region_code:
            return 0.0
        own = self.region.get(region_code, {}).get(key, 0.0)
        return min(REGION_CAP, self.region_total.get(region_code, 0.0) - own)

    def possible_support(self, region_code: str | None, key: str) -> float:
        """What the other names lend a region they may lie in (``add_possible``)."""
        if not region_code:
            return 0.0
        own = self.possible.get(region_code, {}).get(key, 0.0)
        return min(POSSIBLE_CAP, self.possible_total.get(region_code, 0.0) - own)

    def county_support(self, counties: Iterable[int], key: str) -> float:
        """What the other names lend the counties a reading lies in (``county_votes``): each name once."""
        lent: dict[str, float] = {}
        for county in counties:
            for other, share in self.county.get(county, {}).items():
                if other != key and share > lent.get(other, 0.0):
                    lent[other] = share
        return min(COUNTY_CAP, sum(lent.values()))

    def add_counties(self, county: dict[int, dict[str, float]]) -> None:
        """Take the counties each name may lie in (``county_votes``, counted once per article)."""
        self.county = county

    def add_possible(self, possible: tuple[dict[str, dict[str, float]], dict[str, float]]) -> None:
        """Take the regions each name may lie in (``possible_votes``, counted once per article)."""
        self.possible, self.possible_total = possible

    def elsewhere(self, key: str) -> float:
        """The strongest support any country draws from names other than ``key``."""
        return max((self.country_total[c] - v.get(key, 0.0) for c, v in self.country.items()), default=0.0)


def possible_votes(
    places: list[Place], names: Iterable[tuple[str, Iterable[int]]]
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Each name of several regions lends every one of them a share of ``POSSIBLE_REGION`` (over the square root of
    their number), whatever its reading (a name of one region lends it its whole vote through its reading
    already)."""
    possible: dict[str, dict[str, float]] = defaultdict(dict)
    for key, place_indexes in names:
        regions = {
            p.region_code
            for i in place_indexes
            if (p := places[i]).region_code and p.kind in ("city", "county", "region")
        }
        if len(regions) < 2:
            continue
        for region_code in regions:
            possible[region_code][key] = POSSIBLE_REGION / len(regions) ** 0.5
    return dict(possible), {r: sum(v.values()) for r, v in possible.items()}


def counties_of(
    places: list[Place], county_of: dict[int, tuple[int, ...]], place_index: int
) -> tuple[int, ...]:
    """The counties a reading lies in: a county itself, or the counties of a town (``Gazetteer.county_of``)."""
    if places[place_index].kind == "county":
        return (place_index,)
    return county_of.get(place_index, ())


def county_votes(
    places: list[Place], county_of: dict[int, tuple[int, ...]], names: Iterable[tuple[str, Iterable[int]]]
) -> dict[int, dict[str, float]]:
    """Each name lends every county it may lie in a share of ``POSSIBLE_COUNTY`` (over the square root of their
    number), whatever its reading: a town and a county of one name in several states meet in one county only."""
    out: dict[int, dict[str, float]] = defaultdict(dict)
    for key, place_indexes in names:
        counties = {c for i in place_indexes for c in counties_of(places, county_of, i)}
        for county in counties:
            out[county][key] = POSSIBLE_COUNTY / len(counties) ** 0.5
    return dict(out)


def capital_districts(places: list[Place], region_index: dict[str, int]) -> dict[int, str]:
    """A capital with no region of its own lies in the district named after it ("Bogotá" in "Bogotá D.C.")."""
    by_country: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for code, index in region_index.items():
        by_country[places[index].country_code].append((fold_keeping_length(places[index].name), code))
    out = {}
    for index, p in enumerate(places):
        if p.kind == "city" and p.capital and not p.region_code:
            name = fold_keeping_length(p.name)
            for region_name, code in by_country.get(p.country_code, ()):
                if region_name.startswith(name):
                    out[index] = code
                    break
    return out
