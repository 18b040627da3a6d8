"""Extract: the byline — trafilatura's author reader (``trafilatura.metadata.extract_author``), in one pass.

trafilatura deep-copies the page, prunes what cannot hold a byline (comments, dates, figures …) and then runs
three XPath expressions for byline candidates over the copy. Those expressions test attributes with EXSLT
regular expressions, which lxml evaluates by calling back into Python for every element of the page: that, not
the copy, is most of its cost (about 5 ms a page). Whether an element is pruned or is a candidate depends on
that element alone (its tag and attributes), so one walk over the page with the same tests written in Python
finds the same elements in the same order. A candidate that was pruned, or sits inside a pruned element, is
skipped; every other one is read from a pruned copy of that element alone, which has the text it would have in
the pruned page. ``tests/extract/test_byline.py`` checks the walk against trafilatura's own expressions.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

logger = logging.getLogger(__name__)

AUTHOR_MAX = 120  # trafilatura's length limit for an author (exclusive), as it calls ``extract_metainfo``

# trafilatura.xpaths.AUTHOR_XPATHS, one entry per expression: (tags, or None for any element; the test)
_SPECIFIC_TAGS = frozenset({"a", "address", "div", "link", "p", "span", "strong"})
_GENERIC_TAGS = frozenset({"a", "div", "h3", "h4", "p", "span"})
_DISCARD_TAGS = frozenset({"a", "div", "section", "span"})
_NAMED = frozenset({"author", "time", "figure"})
_OTHER_ATTRIBUTES = frozenset({"itemprop", "rel", "data-testid", "data-component"})
_SPECIFIC_CLASS = re.compile("author-?name|AuthorName|authorName")
_GENERIC_ID = re.compile("author|zuozhe|bianji|xiaobian")
_GENERIC_CLASS = re.compile(
    "author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"
)
_LAST_ID = re.compile("[Aa]uthor")
_LAST_CLASS = re.compile("[Aa]uthor|screenname|writer|[Bb]yline")
# trafilatura.xpaths.AUTHOR_DISCARD_XPATHS
_DISCARD_ID = re.compile("^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)"
    "|print|category|meta-date|meta-reviewer"
)
# A class or id that none of these finds fails every test above (exact values included): a quick rejection.
_ANY_CLASS = re.compile(
    "|".join(r.pattern for r in (_SPECIFIC_CLASS, _GENERIC_CLASS, _LAST_CLASS, _DISCARD_CLASS))
    + "|^(?:byline|username|byl|BBL|comments|title|date)$"
)
_ANY_ID = re.compile("|".join(r.pattern for r in (_GENERIC_ID, _LAST_ID, _DISCARD_ID)))


def _rel_me(el: Any) -> bool:
    # the expression's ``rel='me'`` (no @): a child element <rel> whose text is "me"
    return any(child.tag == "rel" and child.text_content() == "me" for child in el)


def _specific(el: Any, tag: str, get: Any, has_rel: bool) -> bool:
    if tag == "author":
        return True
    if tag not in _SPECIFIC_TAGS:
        return False
    cls = get("class", "")
    return bool(
        get("rel") == "author"
        or get("id") == "author"
        or cls == "author"
        or get("itemprop") == "author name"
        or (has_rel and _rel_me(el))
        or get("data-testid") in ("AuthorCard", "AuthorURL")
        or _SPECIFIC_CLASS.search(cls)
    )


def _generic(tag: str, get: Any) -> bool:
    if tag not in _GENERIC_TAGS:
        return False
    cls = get("class", "")
    return bool(
        cls in ("byline", "username", "byl", "BBL")
        or "author" in get("itemprop", "")
        or _GENERIC_ID.search(get("id", ""))
        or _GENERIC_CLASS.search(cls)
    )


def _last_resort(get: Any) -> bool:
    return bool(
        "Byline" in get("data-component", "")
        or "author" in get("itemprop", "")
        or _LAST_ID.search(get("id", ""))
        or _LAST_CLASS.search(get("class", ""))
    )


def _discarded(tag: str, get: Any, is_root: bool) -> bool:
    if tag in ("time", "figure"):
        return True
    if is_root or tag not in _DISCARD_TAGS:  # the first expression reads below the root (.//*)
        return False
    cls = get("class", "")
    return bool(
        get("id") == "comments"
        or cls in ("comments", "title", "date")
        or _DISCARD_ID.search(get("id", ""))
        or _DISCARD_CLASS.search(cls)
        or "Figure" in get("data-component", "")
    )


def byline_candidates(tree: Any) -> tuple[list[list[Any]], set[Any]]:
    """The elements each of trafilatura's three author expressions selects (in document order), and those its
    pruning removes (``AUTHOR_DISCARD_XPATHS``), found in one walk over the page."""
    found: list[list[Any]] = [[], [], []]
    pruned: set[Any] = set()
    # elements with a <rel> child (almost always none), for the expression's ``rel='me'``
    with_rel = {parent for rel in tree.iter("rel") if (parent := rel.getparent()) is not None}
    class_may: dict[str, bool] = {}  # a page repeats its class names: each is searched once
    for el in tree.iter():  # in document order, as XPath gives each expression's elements
        tag = el.tag
        if not isinstance(tag, str):  # a comment or processing instruction: not an element to XPath's *
            continue
        # Its attribute names first, in one call: class and id are read only where the element has them.
        keys = el.keys()
        if not (
            tag in _NAMED
            or (keys and not _OTHER_ATTRIBUTES.isdisjoint(keys))
            or (with_rel and el in with_rel)
        ):
            may: bool | None = False
            if "class" in keys:
                cls = el.get("class")
                may = class_may.get(cls)
                if may is None:
                    may = class_may[cls] = _ANY_CLASS.search(cls) is not None
            if not (may or ("id" in keys and _ANY_ID.search(el.get("id")))):
                continue  # none of the tests can hold (most elements)
        get = el.get
        if _discarded(tag, get, el is tree):
            pruned.add(el)
        if _specific(el, tag, get, el in with_rel):
            found[0].append(el)
        if _generic(tag, get):
            found[1].append(el)
        if _last_resort(get):
            found[2].append(el)
    return found, pruned


def _pruned_text(el: Any) -> str:
    """The text ``el`` has once the page is pruned, as trafilatura reads it: its pruned elements deleted from
    a copy (the first expression's, then the second's, each in document order; tails kept), then joined."""
    from trafilatura.utils import trim
    from trafilatura.xml import delete_element

    own = copy.deepcopy(el)
    first: list[Any] = []
    second: list[Any] = []
    for inner in own.iterdescendants():
        tag = inner.tag
        if not isinstance(tag, str):
            continue
        if tag in ("time", "figure"):
            second.append(inner)
        elif _discarded(tag, inner.get, False):
            first.append(inner)
    for inner in first + second:
        delete_element(inner)
    return trim(" ".join(own.itertext()))


def extract_byline(tree: Any) -> str | None:
    """The page's author as ``trafilatura.metadata.extract_author`` reads it (the same answer), or None."""
    from trafilatura.json_metadata import normalize_authors

    found, pruned = byline_candidates(tree)
    for candidates in found:
        for el in candidates:
            if el in pruned or any(up in pruned for up in el.iterancestors()):
                continue
            content = _pruned_text(el)
            if content and 2 < len(content) < AUTHOR_MAX:
                return normalize_authors(None, content)
    return None


__all__ = ["byline_candidates", "extract_byline"]
