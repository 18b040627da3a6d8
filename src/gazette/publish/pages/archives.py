"""Publish: the date archive — a day's articles (``/archive/YYYY/MM/DD/``, then ``page/N/``) and a month's
days (``/archive/YYYY/MM/``)."""

from __future__ import annotations

from gazette.errors import NotFound
from gazette.publish.pages.base import Rendered, SiteBase
from gazette.publish.pages.formatting import check_date
from gazette.store import listings
from gazette.store.listings import ArticleFilter


class ArchivePages(SiteBase):
    """The archive of a day and of a month."""

    def archive_day(self, year: str, month: str, day: str, n: int = 1) -> Rendered:
        """A day's articles, newest first, a page at a time like the other listings (``page/N/`` past the
        first); 404 for a day without articles or past its last page."""
        date_path = f"{year}/{month}/{day}"
        check_date(year, month, day)
        flt = ArticleFilter(date_prefix=date_path)
        with self.db.session() as s:
            page = listings.page_of(s, flt, n, self.page_size)
            if not page.articles or n < 1:
                raise NotFound(f"no articles on {date_path}" if n == 1 else f"no page {n} of {date_path}")
            prev_day, next_day = listings.neighbour_days(s, date_path)
            body = self._render(
                "archive_day.html",
                nav=self._nav(s),
                day=date_path,
                path=f"/archive/{date_path}/",
                page=page,
                page_path=self.page_path,
                prev_day=prev_day,
                next_day=next_day,
            )
            return Rendered(body, last_modified=listings.latest_change(s, flt), max_age=300)

    def archive_month(self, year: str, month: str) -> Rendered:
        check_date(year, month, "01")
        key = f"{year}/{month}"
        with self.db.session() as s:
            days = listings.day_counts(s, key)
            if not days:
                raise NotFound(f"no articles in {key}")
            prev_month, next_month = listings.neighbour_months(s, key)
            body = self._render(
                "archive_month.html",
                nav=self._nav(s),
                month=key,
                days=days,
                prev_month=prev_month,
                next_month=next_month,
            )
            flt = ArticleFilter(date_prefix=key)
            return Rendered(body, last_modified=listings.latest_change(s, flt), max_age=300)
