"""Locales stage: the readings of one candidate, prepared once per article and scored each round.

A reading's score is its prior, what the article's other names lend its country and region (``votes.py``), and
what does not change between rounds, prepared once by ``plan_readings``: the big city over its namesake region,
the source's country, the container after a comma ("Maracay, Aragua"). The tagger (``resolve.py``) scores each
candidate's plan three rounds over with ``score_readings`` and picks the best.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from gazette.enrich.locales.gazetteer import DEMONYM, Place
from gazette.enrich.locales.rules import Candidate, Link
from gazette.enrich.locales.votes import Votes, counties_of

AREA = "area"  # a continent, sea or named area from names.AREAS: resolves others, never a page locale
COUNTRY_SHARE = 2.0  # what a town's reading gains when all the article's other names lie in its country
# What a town reading gains when a country's name is written as local news writes a town's (``local_usage``) and
# the article's other names lie in the town's country: enough for a town of 10,000 to outweigh the country's
# prior (8). Measured with the fourth-round model, LGL country 0.9750 with 3 and the following word alone, 0.9753
# with 4, 0.9760 with 4 and the address and age cases; GeoVirus and TR-News unchanged.
LOCAL_USAGE = 4.0
# What a region reading gains when the text says the name is a region: "Washington state", "the state of Oregon",
# or a list of names that are mostly regions of one country ("Michigan, Oregon, New Mexico and Ohio", "Alberta,
# Manitoba, Ontario and New Brunswick"); and what a country reading gains in a list of countries ("China, Canada
# and the Soviet Union"). The same as a container naming the region: the words name its kind as a
# container names its place (set so, not tuned on the bench).
NAMED_REGION = 8.0


class Scored(NamedTuple):
    """One reading of a candidate with its score and the support it drew from the other places."""

    score: float
    place_index: int
    flags: int
    country_support: float
    region_support: float


class PlannedReading(NamedTuple):
    """One reading of a candidate with what scores it apart from the article's current readings."""

    link: Link
    country_code: str
    region_code: str | None
    prior: float
    country_off: int  # 2: country support never counts; 1: only with support for the region; 0: always
    possible: (
        float | None
    )  # what the regions and counties the other names may lie in lend (towns only), else None
    before_local: tuple[float, ...]
    local_town: bool  # a town reading of a country's name in local usage ("Lebanon Police")
    after_local: tuple[float, ...]
    # A town reading of a name that is also another country's capital ("Paris", Texas): that country's code.
    capital_country: str | None = None


class Plan(NamedTuple):
    """A candidate's readings as ``Tagger._plan`` prepares them, scored each round by ``_score_readings``."""

    key: str
    towns_only: bool
    readings: list[PlannedReading]


def plan_readings(
    places: list[Place],
    prior: Callable[[Link], float],
    candidate: Candidate,
    key: str,
    possible: Votes,
    container: list[Link] | None,
    source_country: str | None,
    local: bool,
    county_of: dict[int, tuple[int, ...]],
    region_countries: frozenset[str] = frozenset(),
) -> Plan:
    """What scores a candidate's readings apart from its article's current readings: computed once.

    ``region_countries``: the countries whose region the text says this name is (``Tagger._named_regions``; "*"
    for any country, "country" when the text says it is a country)."""
    has_region = any(places[link.place_index].kind == "region" for link in candidate.links)
    # "Colombia" is the country, not the town of Colombia in Huila.
    countries_named = {
        places[link.place_index].country_code
        for link in candidate.links
        if places[link.place_index].kind == "country"
    }
    # Which of a town's namesakes: the regions the other names may lie in help choose ("Lebanon" the country
    # is never read as a town for them).
    towns_only = all(places[link.place_index].kind in ("city", "county") for link in candidate.links)
    # "Middle East", "Canadian": the name of an area or a demonym is read as a town of that name only with a
    # container or other names of its region; the article's country alone is no reason.
    area_or_demonym = any(
        places[link.place_index].kind == AREA or link.flags & DEMONYM for link in candidate.links
    )
    capitals = {
        places[link.place_index].country_code
        for link in candidate.links
        if places[link.place_index].capital and places[link.place_index].kind == "city"
    }
    source = source_country.upper() if source_country else None
    readings = []
    for link in candidate.links:
        p = places[link.place_index]
        if p.kind != "country" and p.country_code in countries_named:
            continue
        if p.kind == "region" and (p.region_code or "")[3:] in countries_named:
            continue  # "Taiwan", "Puerto Rico": ISO 3166-2 lists the country as CN-TW, US-PR too
        town = p.kind in ("city", "county")
        # "Italy" in an article on Florida is the country unless a name of the town's own state is there too
        # (Italy, Texas): the article's country alone does not make a country's name a town's. LGL country
        # 0.9747 -> 0.9752 with the third-round model, GeoVirus and TR-News up 0.001.
        country_off = 2 if town and area_or_demonym else 1 if town and countries_named else 0
        before_local = (1.0,) if p.kind == "city" and p.population >= 500_000 and has_region else ()
        after_local = [2.0] if source and p.country_code == source else []
        for container_link in container or ():
            c = places[container_link.place_index]
            if c.kind == "country" and c.country_code == p.country_code:
                after_local.append(6.0)
            elif c.kind == "region" and c.region_code == p.region_code:
                after_local.append(8.0)
        if region_countries and (
            (p.kind == "region" and ("*" in region_countries or p.country_code in region_countries))
            or (p.kind == "country" and "country" in region_countries)
        ):
            after_local.append(NAMED_REGION)
        readings.append(
            PlannedReading(
                link, p.country_code, p.region_code, prior(link), country_off,
                possible.possible_support(p.region_code, key)
                + possible.county_support(counties_of(places, county_of, link.place_index), key)
                if towns_only else None,
                before_local, local and town, tuple(after_local),
                min(capitals - {p.country_code}, default=None) if town and not p.capital else None,
            )
        )  # fmt: skip
    return Plan(key, towns_only, readings)


def score_readings(plan: Plan, votes: Votes) -> list[Scored]:
    """Every reading of one candidate, best first."""
    key = plan.key
    scored = []
    # Many readings share a country or a region: each one's support is asked of the votes once a call.
    by_country: dict[str, float] = {}
    by_region: dict[str | None, float] = {}
    share_of: dict[str, float] = {}
    for r in plan.readings:
        country_support = by_country.get(r.country_code)
        if country_support is None:
            country_support = by_country[r.country_code] = votes.country_support(r.country_code, key)
        region_support = by_region.get(r.region_code)
        if region_support is None:
            region_support = by_region[r.region_code] = votes.region_support(r.region_code, key)
        # Local usage ("Lebanon Police", "a Lebanon woman") speaks for a town only in a country the article's
        # other names lie in ("Jordan police" beside "Syria", or alone, is not the Jordan of Hong Kong; LGL
        # country 0.9760 -> 0.9758 for it).
        local_here = r.local_town and country_support > 0
        if r.country_off == 2 or (r.country_off == 1 and region_support <= 0):
            country_support = 0.0
        elif r.capital_country is not None and region_support <= 0:
            # "Paris" beside "Newark" and "French": a namesake of a capital whose country the article names needs a
            # name of its own state, as a country's name does (TR-News country 0.9708 -> 0.9742, Acc@161 0.8945 ->
            # 0.8977; GeoVirus +0.0005; LGL unchanged. Without "whose country the article names", LGL country
            # fell 0.9754 -> 0.9723: Dublin, Ohio and Belgrade, Minnesota alone in their articles).
            rival = by_country.get(r.capital_country)
            if rival is None:
                rival = by_country[r.capital_country] = votes.country_support(r.capital_country, key)
            if rival > 0:
                country_support = 0.0
        score = r.prior + country_support + region_support
        if r.possible is not None:
            # "Paris" beside "Henry County": a town abroad must outweigh the country of the article's other
            # names (LGL country 0.966 → 0.972 with the shipped model; GeoVirus and TR-News unchanged).
            share = share_of.get(r.country_code)
            if share is None:
                share = share_of[r.country_code] = votes.country_share(r.country_code, key)
            score += COUNTRY_SHARE * share
            score += r.possible
        for bonus in r.before_local:
            score += bonus  # "Jerusalem", "New York": the big city rather than its namesake region
        if local_here:
            score += LOCAL_USAGE
        for bonus in r.after_local:
            score += bonus  # the source's country; the container after a comma
        link = r.link
        scored.append(Scored(score, link.place_index, link.flags, country_support, region_support))
    scored.sort(reverse=True)
    return scored
