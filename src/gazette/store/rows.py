"""Store: what the one-article writers share — a title's slug, and a row written by a plain statement made the
session's persistent object."""

from __future__ import annotations

import functools
from collections.abc import Hashable
from typing import Any, TypeVar, cast

from slugify import slugify
from sqlalchemy.orm import Session, configure_mappers, make_transient_to_detached

T = TypeVar("T")


@functools.lru_cache(maxsize=256)
def title_slug(title: str, max_length: int) -> str:
    """``slugify`` of a title, cut at a word boundary ('' when nothing is left): the article's slug and the
    slug of the story it starts are made from one title, in one transaction (kept for a few recent titles)."""
    return slugify(title, max_length=max_length, word_boundary=True)


def persistent(session: Session, model: type[T], values: dict[str, Any]) -> T:
    """The row just written with ``values`` (its primary key among them), as the session's persistent object:
    what ``model(**values)`` made detached and added gives, without the attribute events of each assignment
    (the values go straight into the new object's dict, which detaching then takes as loaded)."""
    row: T = _class_manager(cast(Hashable, model)).new_instance()
    row.__dict__.update(values)
    make_transient_to_detached(row)
    session.add(row)
    return row


@functools.cache
def _class_manager(model: Any) -> Any:
    """The model's instrumentation, its mappers configured (which constructing a first object would do)."""
    configure_mappers()
    return model.__mapper__.class_manager
