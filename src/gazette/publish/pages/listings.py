"""Publish: the listing pages — a section, source, locale or topic watch, page by page, and the search page —
and every listing the static build and the sitemap enumerate."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

from gazette.errors import NotFound
from gazette.publish.pages.base import Listing, Rendered, SiteBase
from gazette.publish.search import SEARCH_HELP_URL
from gazette.store import listings
from gazette.store import watches as watch_store
from gazette.store.db import Session
from gazette.store.listings import ArticleFilter, PlaceListing


class ListingPages(SiteBase):
    """Listings by section, source, locale and watch; the search page; the enumeration of listings."""

    def section_listing(self, slug: str) -> Listing:
        with self.db.session() as s:
            if not self.is_section(s, slug):
                raise NotFound(f"no section {slug!r}")
        name = self.settings.section_name(slug)
        return Listing(
            name, f"/{slug}/", ArticleFilter(section=slug), "section", f"{name}: the latest articles."
        )

    def source_listing(self, slug: str) -> Listing:
        with self.db.session() as s:
            src = listings.source_by_slug(s, slug)
            if src is None:
                raise NotFound(f"no source {slug!r}")
            return Listing(src.name, f"/source/{src.slug}/", ArticleFilter(source_id=src.id), "source")

    def locale_listing(self, country_slug: str, region_slug: str | None = None) -> Listing:
        with self.db.session() as s:
            place = listings.find_place(s, country_slug, region_slug)
        if place is None:
            raise NotFound("no such locale")
        if place.kind == "region":
            flt = ArticleFilter(country_code=place.country_code, region_code=place.region_code)
            title = f"{place.name}, {place.country_name}"
        else:
            flt = ArticleFilter(country_code=place.country_code)
            title = place.name
        return Listing(title, place.path, flt, "locale")

    def watch_listing(self, slug: str) -> Listing:
        """A topic watch's listing: the articles it matched, newest first."""
        with self.db.session() as s:
            watch = watch_store.watch_by_slug(s, slug)
            if watch is None:
                raise NotFound(f"no watch {slug!r}")
            return watch_listing(watch)

    def watch_listings(self, session: Session) -> list[Listing]:
        """Every topic watch's listing (the static build writes each with its feeds)."""
        return [watch_listing(w) for w in watch_store.list_watches(session)]

    def site_listing(self) -> Listing:
        return Listing(self.settings.site.title, "/", ArticleFilter(), "site")

    def listing_page(self, listing: Listing, number: int = 1) -> Rendered:
        """One page of a section, source or locale listing (404 past the last page)."""
        with self.db.session() as s:
            page = listings.page_of(s, listing.flt, number, self.page_size)
            if number < 1 or (number > 1 and number > page.pages):
                raise NotFound(f"no page {number} of {listing.path}")
            place: PlaceListing | None = None
            if listing.kind == "locale":
                parts = listing.path.strip("/").split("/")
                place = listings.find_place(s, parts[1], parts[2] if len(parts) > 2 else None)
            body = self._render(
                "listing.html",
                nav=self._nav(s),
                listing=listing,
                page=page,
                place=place,
                page_path=self.page_path,
            )
            return Rendered(body, last_modified=listings.latest_change(s, listing.flt), max_age=120)

    def search(
        self,
        query: str,
        flt: ArticleFilter,
        number: int,
        form: dict[str, str],
        ignored: Sequence[object] = (),
    ) -> Rendered:
        """The search page; ``ignored`` names the filters given but not understood (the results leave them out)."""
        with self.db.session() as s:
            hits, total = listings.search_articles(
                s, query, flt, limit=self.page_size, offset=(max(1, number) - 1) * self.page_size
            )
            counts = listings.section_counts(s)
            pages = max(1, -(-total // self.page_size))

            def page_link(n: int) -> str:
                params = {"q": query, **{k: v for k, v in form.items() if v}, "page": str(n)}
                return f"{self.href('/search')}?{urlencode(params)}"

            body = self._render(
                "search.html",
                nav=self._nav(s),
                query=query,
                form=form,
                ignored=ignored,
                hits=hits,
                total=total,
                number=number,
                pages=pages,
                page_link=page_link,
                sections=self.sections_in_order(counts),
                sources=listings.sources_with_counts(s),
                places=listings.list_places(s),
                search_help_url=SEARCH_HELP_URL,
            )
            return Rendered(body, last_modified=listings.latest_change(s), max_age=0)

    def listings_all(self, session: Session) -> Iterator[Listing]:
        """Every section, source and locale listing that has articles."""
        for slug, name in self.sections_in_order(listings.section_counts(session)):
            yield Listing(name, f"/{slug}/", ArticleFilter(section=slug), "section")
        for src, _n in listings.sources_with_counts(session):
            yield Listing(src.name, f"/source/{src.slug}/", ArticleFilter(source_id=src.id), "source")
        for country in listings.list_places(session):
            yield Listing(
                country.name, country.path, ArticleFilter(country_code=country.country_code), "locale"
            )
            for region in country.regions:
                flt = ArticleFilter(country_code=region.country_code, region_code=region.region_code)
                yield Listing(f"{region.name}, {country.name}", region.path, flt, "locale")


def watch_listing(watch: Any) -> Listing:
    """The listing of a ``store.watch_schema.Watch``; its description says what it matches, never where it
    sends it."""
    shown = ", ".join(f"{key} {value}" for key, value in sorted(watch.filters.items()) if value)
    description = (
        f"Articles stored since {watch.created_at:%Y-%m-%d} that match \u201c{watch.query}\u201d"
        + (f" ({shown})" if shown else "")
        + "."
    )
    return Listing(watch.name, watch.path, ArticleFilter(watch_id=watch.id), "watch", description)
