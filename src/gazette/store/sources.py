"""Store: publishers (sources) — created when a feed names them, read by pages."""

from __future__ import annotations

from slugify import slugify
from sqlalchemy import select
from sqlalchemy.orm import Session

from gazette.store.schema import Source


def source_slug(name: str) -> str:
    return slugify(name, max_length=80) or "source"


def get_or_create_source(
    session: Session,
    name: str,
    *,
    home_url: str | None = None,
    country: str | None = None,
    republish_full_text: bool | None = None,
) -> Source:
    """The source called ``name``, created on first use; given attributes update it."""
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        slug = base = source_slug(name)
        n = 2
        while session.scalar(select(Source.id).where(Source.slug == slug)) is not None:
            slug, n = f"{base}-{n}", n + 1
        source = Source(name=name, slug=slug, republish_full_text=bool(republish_full_text))
        session.add(source)
    if home_url and not source.home_url:
        source.home_url = home_url
    if country:
        source.country = country.upper()[:2]
    if republish_full_text is not None:
        source.republish_full_text = republish_full_text
    session.flush()
    return source


def list_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).order_by(Source.name)))
