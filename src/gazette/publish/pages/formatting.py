"""Publish: the formatting every page shares (dates, teasers, safe links and HTML, the locale line); most are
template filters or globals too."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from markupsafe import Markup

from gazette.errors import NotFound
from gazette.htmlpolicy import RENDER
from gazette.store import listings
from gazette.store.schema import Article, ArticleLocale

SAFE_SCHEMES = ("http://", "https://")
_IMG_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)")
_YEAR = re.compile(r"[0-9]{4}", re.ASCII)
_TWO = re.compile(r"[0-9]{2}", re.ASCII)


def format_date(value: datetime | None) -> str:
    """ "Fri, February 20, 2026", or "date unknown" — never an empty gap."""
    if value is None:
        return "date unknown"
    v = value.astimezone(UTC)
    return f"{v:%a}, {v:%B} {v.day}, {v.year}"


def gone_notice(when: datetime) -> str:
    """What the permalink of an unpublished article says (no title, no text, no reason)."""
    return f"This article was removed on {format_date(when)} and is no longer available."


def format_day(day: str) -> str:
    """An archive day "2026/02/20" as "Fri, February 20, 2026"."""
    y, m, d = (int(p) for p in day.split("/"))
    return format_date(datetime(y, m, d, tzinfo=UTC))


def format_month(month: str) -> str:
    y, m = (int(p) for p in month.split("/"))
    return f"{date(y, m, 1):%B} {y}"


def safe_url(url: str | None) -> str | None:
    """The URL if it is plain http(s), else None (never link javascript:, data: …)."""
    if not url:
        return None
    stripped = url.strip()
    if stripped.lower().startswith(SAFE_SCHEMES) and urlsplit(stripped).netloc:
        return stripped
    return None


def clean_html(fragment: str) -> Markup:
    """Sanitize stored HTML again at render time (defence in depth): no script, no handlers, http(s) links."""
    cleaned = RENDER.clean(fragment)
    # An image the publisher left without alt text is decoration to a screen reader, not a file name.
    cleaned = _IMG_WITHOUT_ALT.sub('<img alt=""', cleaned)
    return Markup(cleaned)  # noqa: S704 - nh3 output is safe HTML


def paragraphs(text: str) -> list[str]:
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n")]
    return [p for p in parts if p]


def first_lines(article: Article, limit: int = 240) -> str:
    """A teaser: the first brief sentence, else the first paragraph of the text cut at a word.

    Never more than one paragraph, so a source that does not allow republishing is only ever quoted.
    """
    if article.brief:
        return article.brief[0].text
    paras = paragraphs(article.text)
    text = paras[0] if paras else ""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " …"


def locale_labels(locales: list[ArticleLocale]) -> list[tuple[str, str]]:
    """(label, path) for the "Locales:" line: regions by salience (a city counts for its region), then
    countries in upper case, e.g. Bolívar, Nueva Esparta, Aragua, VENEZUELA. When the places lie in several
    countries each region names its own ("Bolívar (Colombia), Distrito Capital (Venezuela), COLOMBIA,
    VENEZUELA"): a name that two countries use is never left for the reader to place."""
    ordered = sorted(locales, key=lambda loc: (-(loc.salience or 0.0), loc.position))
    regions: dict[tuple[str, str], str] = {}  # (country slug, region) → the region's country
    countries: list[tuple[str, str]] = []
    seen_countries: set[str] = set()
    for loc in ordered:
        country = listings.country_label(loc.country_code, loc.country_name) if loc.country_code else ""
        country_slug = listings.place_slug(country) if country else ""
        if loc.kind in ("region", "city"):
            region = loc.region_name or (loc.name if loc.kind == "region" else None)
            if region and country_slug:
                regions.setdefault((country_slug, region), country)
        if country and country not in seen_countries:
            seen_countries.add(country)
            countries.append((country.upper(), f"/locale/{country_slug}/"))
    several = len(countries) > 1
    labelled = [
        (f"{region} ({country})" if several else region, f"/locale/{slug}/{listings.place_slug(region)}/")
        for (slug, region), country in regions.items()
    ]
    return labelled + countries


def source_name(article: Article) -> str:
    return teller_name(
        article.source.name if article.source is not None else None, article.site, article.original_url
    )


def teller_name(source: str | None, site: str | None, url: str) -> str:
    """Who published an article: its source's name, else the site name it gave, else its host."""
    return source or site or urlsplit(url).netloc or "the source"


def check_date(year: str, month: str, day: str) -> None:
    """404 unless the parts are a real calendar day written as YYYY, MM, DD (ASCII digits)."""
    if not (_YEAR.fullmatch(year) and _TWO.fullmatch(month) and _TWO.fullmatch(day)):
        raise NotFound("no such date")
    try:
        date(int(year), int(month), int(day))
    except ValueError as exc:
        raise NotFound("no such date") from exc
