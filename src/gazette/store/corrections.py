"""Store: editors' corrections — overrides that outlive every re-ingest, and the audit of what changed.

An article row always holds what readers see, so listings, counts (their triggers), the search index and the
response cache (which follows the counts' change versions) need nothing of their own. Beside it,
``article_overrides`` keeps for each corrected field the editor's value and the value the pipeline last
extracted. Every write path that refreshes an existing article goes through ``lift`` and ``restore``
(``store.articles.save_article`` and ``file_in_declared_section``): the row is put back to its extracted values,
the write compares and updates as it would without a correction, then the new extracted values are kept in
the overrides and the editor's values go back on top. Recluster, backfill and migrate-db never rewrite these
fields of a stored article (migrate-db copies both tables), so a correction stands until it is reverted.

Fields: ``section`` (a slug), ``title``, ``published`` (ISO-8601), ``author`` and ``places`` (the editor's
added places and removed place keys, applied to the extracted list). ``correct`` changes fields and writes one
``corrections`` row per change in the caller's transaction; a refused correction raises before anything is
written, and the caller's rollback undoes any partial change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gazette import models
from gazette.errors import CorrectionRefused
from gazette.store import stories as story_store
from gazette.store.schema import Article, ArticleLocale, Base, UTCDateTime

logger = logging.getLogger(__name__)

FIELDS = ("section", "title", "published", "author", "places")
EDITOR_METHOD = "editor"  # articles.section_method of a corrected section
_LOCALE_KEYS = (
    "kind",
    "name",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "geonames_id",
    "lat",
    "lon",
    "mentions",
    "spans",
    "confidence",
    "salience",
)


class ArticleOverride(Base):
    """An editor's value for one field of one article, and the value the pipeline last extracted."""

    __tablename__ = "article_overrides"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    extracted: Mapped[Any] = mapped_column(JSON, nullable=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime)


class Correction(Base):
    """One audited change: which field of which article, from what to what, by whom and when."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(20))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(200))
    time: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass
class Changes:
    """What an editor asks for. ``values`` maps section/title/published/author to the new value (a slug, text,
    an aware datetime, text or None for no author); places are added or removed; ``revert`` lists fields."""

    values: dict[str, Any] = field(default_factory=dict)
    add_places: list[models.Locale] = field(default_factory=list)
    remove_places: list[models.Locale] = field(default_factory=list)
    revert: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.values or self.add_places or self.remove_places or self.revert)


# --- values ------------------------------------------------------------------------------------------------


def _locale_dict(loc: ArticleLocale | models.Locale) -> dict[str, Any]:
    out = {key: getattr(loc, key) for key in _LOCALE_KEYS}
    out["spans"] = [list(s) for s in (out["spans"] or [])]
    return out


def _locale_row(position: int, data: dict[str, Any]) -> ArticleLocale:
    return ArticleLocale(position=position, **{key: data.get(key) for key in _LOCALE_KEYS})


def _place_key(loc: dict[str, Any]) -> dict[str, Any]:
    return {k: loc.get(k) for k in ("kind", "name", "country_code", "region_code", "geonames_id")}


def _within(loc: dict[str, Any], key: dict[str, Any]) -> bool:
    """Whether the tagged place ``loc`` is the removed place ``key`` or lies inside it (a removed country takes
    its regions and cities with it, a removed region its cities)."""
    if loc.get("country_code") != key.get("country_code"):
        return False
    if key.get("kind") == "country":
        return True
    if key.get("kind") == "region":
        return loc.get("region_code") is not None and loc.get("region_code") == key.get("region_code")
    return _same_place(loc, key)


def _same_place(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.get("kind") != b.get("kind") or a.get("country_code") != b.get("country_code"):
        return False
    if a.get("kind") == "country":
        return True
    if a.get("kind") == "region":
        return bool(a.get("region_code")) and a.get("region_code") == b.get("region_code")
    if a.get("geonames_id") and b.get("geonames_id"):
        return bool(a.get("geonames_id") == b.get("geonames_id"))
    return (a.get("name"), a.get("region_code")) == (b.get("name"), b.get("region_code"))


def effective_places(extracted: list[dict[str, Any]], value: dict[str, Any]) -> list[dict[str, Any]]:
    """The places readers see: the extracted ones less the removed, then the added ones not already there."""
    kept = [loc for loc in extracted if not any(_within(loc, key) for key in value.get("remove", []))]
    for added in value.get("add", []):
        if not any(_same_place(loc, added) for loc in kept):
            kept.append(added)
    return kept


def place_label(loc: dict[str, Any]) -> str:
    """ "Caracas (VE-A)", "Bolívar (VE-F)", "Venezuela (VE)": a place as the audit shows it."""
    code = loc.get("region_code") if loc.get("kind") != "country" else None
    return f"{loc.get('name')} ({code or loc.get('country_code')})"


def _places_text(places: Iterable[dict[str, Any]]) -> str | None:
    labels = list(dict.fromkeys(place_label(p) for p in places))
    return "; ".join(labels) if labels else None


def _read(row: Article, name: str) -> Any:
    """The row's value of a field, as an override stores it."""
    if name == "section":
        return {"slug": row.section, "confidence": row.section_confidence, "method": row.section_method}
    if name == "title":
        return row.title
    if name == "published":
        return row.published_at.astimezone(UTC).isoformat() if row.published_at else None
    if name == "author":
        return row.author
    return [_locale_dict(loc) for loc in row.locales]


def _write(row: Article, name: str, stored: Any) -> None:
    """Put a stored value (an override's ``value`` or ``extracted``) on the row."""
    if name == "section":
        if isinstance(stored, str):  # the editor's slug
            row.section, row.section_confidence, row.section_method = stored, 1.0, EDITOR_METHOD
        else:
            stored = stored or {}
            row.section = stored.get("slug")
            row.section_confidence = stored.get("confidence")
            row.section_method = stored.get("method")
    elif name == "title":
        row.title = stored
    elif name == "published":
        row.published_at = datetime.fromisoformat(stored) if stored else None
    elif name == "author":
        row.author = stored
    else:
        row.locales = [_locale_row(i, loc) for i, loc in enumerate(stored or [])]


def _shown(name: str, stored: Any) -> str | None:
    """A stored value as the audit writes it (text; None for none)."""
    if name == "section":
        return (stored.get("slug") if isinstance(stored, dict) else stored) or None
    if name == "places":
        return _places_text(stored or [])
    return stored if stored is None else str(stored)


def _encode(name: str, value: Any) -> Any:
    if name == "published":
        return value.astimezone(UTC).isoformat() if value is not None else None
    return value


# --- the write paths -----------------------------------------------------------------------------------------


def overrides_of(session: Session, article_id: int) -> dict[str, ArticleOverride]:
    """The article's overrides by field (empty when it was never corrected)."""
    rows = session.scalars(select(ArticleOverride).where(ArticleOverride.article_id == article_id))
    return {o.field: o for o in rows}


def _lock(session: Session, row: Article) -> None:
    """On PostgreSQL, hold the article's row (read afresh) until the transaction ends, so that a refresh and an
    editor's correction of the same article run one after the other instead of writing over each other
    (SQLite runs one writer at a time already)."""
    if session.get_bind().dialect.name == "postgresql":
        session.refresh(row, with_for_update=True)


def lift(session: Session, row: Article) -> dict[str, ArticleOverride]:
    """Put the row's extracted values back (not its places, which a refresh rewrites whole) before a write
    path compares the stored article with a fetched one; returns the overrides for ``restore``."""
    if row.id is None:
        return {}
    _lock(session, row)
    overrides = overrides_of(session, row.id)
    for name, override in overrides.items():
        if name != "places":
            _write(row, name, override.extracted)
    return overrides


def restore(
    session: Session, row: Article, overrides: dict[str, ArticleOverride], *, places_rewritten: bool
) -> None:
    """Keep what the write path left on the row as the new extracted values, and put the editor's back."""
    for name, override in overrides.items():
        if name == "places":
            if not places_rewritten:
                continue
            extracted = _read(row, name)
            override.extracted = extracted
            _write(row, name, effective_places(extracted, override.value or {}))
            continue
        override.extracted = _read(row, name)
        _write(row, name, override.value)
    if overrides:
        logger.info(
            "article %s refreshed; the editor's %s kept",
            row.id,
            ", ".join(sorted(overrides)),
            extra={"article_id": row.id},
        )


def correct(
    session: Session, row: Article, changes: Changes, *, by: str, now: datetime | None = None
) -> list[Correction]:
    """Apply an editor's changes to the article and audit each one; returns the audit rows written.

    Raises ``CorrectionRefused`` (before writing anything) for a field both set and reverted, a revert of a
    field that is not corrected, or when nothing would change.
    """
    now = now or datetime.now(UTC)
    for name in changes.revert:
        if name not in FIELDS:
            raise CorrectionRefused(f"unknown field {name!r}; one of {', '.join(FIELDS)}")
    both = set(changes.revert) & (
        set(changes.values) | ({"places"} if changes.add_places or changes.remove_places else set())
    )
    if both:
        raise CorrectionRefused(f"{', '.join(sorted(both))}: cannot be corrected and reverted at once")
    if not changes:
        raise CorrectionRefused("nothing to change: give a field to correct or --revert FIELD")
    _lock(session, row)
    overrides = overrides_of(session, row.id)
    for name in changes.revert:
        if name not in overrides:
            raise CorrectionRefused(f"nothing to revert: the {name} of this article is not corrected")
    audit: list[Correction] = []

    def note(name: str, old: str | None, new: str | None) -> None:
        audit.append(Correction(article_id=row.id, field=name, old=old, new=new, by=by, time=now))

    for name in dict.fromkeys(changes.revert):
        gone = overrides.pop(name)
        before = _shown(name, _read(row, name))
        _write(row, name, gone.extracted)
        session.delete(gone)
        note(name, before, _shown(name, gone.extracted))

    for name, value in changes.values.items():
        if name not in FIELDS or name == "places":
            raise CorrectionRefused(f"unknown field {name!r}")
        stored = _encode(name, value)
        current = _read(row, name)
        if _shown(name, current) == _shown(name, stored):
            continue
        override = overrides.get(name)
        if override is None:
            override = ArticleOverride(article_id=row.id, field=name, extracted=current, time=now)
            session.add(override)
            overrides[name] = override
        override.value, override.time = stored, now
        _write(row, name, stored)
        note(name, _shown(name, current), _shown(name, stored))

    if changes.add_places or changes.remove_places:
        _correct_places(session, row, changes, overrides, now, note)

    if not audit:
        raise CorrectionRefused("nothing to change: the article already reads so")
    session.add_all(audit)
    session.flush()
    for change in audit:
        if change.field == "title" and change.old is not None and change.new is not None:
            story_store.follow_title(session, row.id, change.old, change.new)
    logger.info(
        "article %s corrected by %s: %s",
        row.id,
        by,
        ", ".join(c.field for c in audit),
        extra={"article_id": row.id},
    )
    return audit


def _correct_places(
    session: Session,
    row: Article,
    changes: Changes,
    overrides: dict[str, ArticleOverride],
    now: datetime,
    note: Any,
) -> None:
    current = _read(row, "places")
    override = overrides.get("places")
    extracted = override.extracted if override is not None else current
    value = dict(override.value) if override is not None and override.value else {}
    add: list[dict[str, Any]] = list(value.get("add", []))
    remove: list[dict[str, Any]] = list(value.get("remove", []))
    for loc in changes.remove_places:
        key = _place_key(_locale_dict(loc))
        add = [a for a in add if not _within(a, key)]
        if not any(_same_place(r, key) for r in remove):
            remove.append(key)
    for loc in changes.add_places:
        data = _locale_dict(loc)
        remove = [r for r in remove if not _same_place(r, data)]
        if not any(_same_place(a, data) for a in add):
            add.append(data)
    new_value = {"add": add, "remove": remove}
    after = effective_places(extracted, new_value)
    if _places_text(after) == _places_text(current):
        return
    if override is None:
        override = ArticleOverride(article_id=row.id, field="places", extracted=extracted, time=now)
        session.add(override)
    override.value, override.time = new_value, now
    _write(row, "places", after)
    note("places", _places_text(current), _places_text(after))


# --- reading -----------------------------------------------------------------------------------------------


def history(session: Session, article_id: int) -> list[Correction]:
    """Every audited change of the article, oldest first."""
    return list(
        session.scalars(
            select(Correction)
            .where(Correction.article_id == article_id)
            .order_by(Correction.time, Correction.id)
        )
    )


def corrected_on(session: Session, article_id: int) -> datetime | None:
    """When the article was last corrected (or a correction reverted); None when never."""
    value = session.scalar(select(func.max(Correction.time)).where(Correction.article_id == article_id))
    if value is None:
        return None
    if not isinstance(value, datetime):  # SQLite hands an aggregate back as text
        value = datetime.fromisoformat(str(value))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
