"""Publish: the date archive — a day's articles (``/archive/YYYY/MM/DD/``) and a month's days
(``/archive/YYYY/MM/``)."""

from __future__ import annotations

from gazette.errors import NotFound
from gazette.publish.pages.base import Rendered, SiteBase
from gazette.publish.pages.formatting import check_date
from gazette.store import listings
from gazette.store.listings import ArticleFilter


class ArchivePages(SiteBase):
    """The archive of a day and of a month."""

    def archive_day(self, year: str, month: str, day: str) -> Rendered:
        date_path = f"{year}/{month}/{day}"
        check_date(year, month, day)
        with self.db.session() as s:
            arts = listings.list_articles(s, ArticleFilter(date_prefix=date_path), limit=1000)
            if not arts:
                raise NotFound(f"no articles on {date_path}")
            prev_day, next_day = listings.neighbour_days(s, date_path)
            body = self._render(
                "archive_day.html",
                nav=self._nav(s),
                day=date_path,
                articles=arts,
                prev_day=prev_day,
                next_day=next_day,
            )
            return Rendered(body, last_modified=max(a.updated_at or a.fetched_at for a in arts), max_age=300)

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
