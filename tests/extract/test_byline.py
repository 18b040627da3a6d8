"""The byline reader gives trafilatura's author answer, and finds the elements trafilatura's expressions find."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from trafilatura.metadata import extract_author
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from gazette.extract.byline import byline_candidates, extract_byline

FIXTURES = Path(__file__).parent / "fixtures"

# Each page states what makes it a case: which rule of trafilatura's reader it exercises.
PAGES = {
    "plain byline": '<html><body><p class="byline">By Ana Pérez</p><p>Text.</p></body></html>',
    "byline inside comments is pruned": (
        '<html><body><div id="comments"><span class="author">Troll Name</span></div>'
        '<div class="author-name">Rui Costa</div></body></html>'
    ),
    "a date inside the byline is dropped, its tail kept": (
        '<html><body><div class="byline">By Lena Ortiz<time>Monday</time>, Lisbon</div></body></html>'
    ),
    "too short, then the next expression": (
        '<html><body><span class="author">AB</span><h3 id="zuozhe-box">Wang Wei</h3></body></html>'
    ),
    "last resort by data-component": (
        '<html><body><section data-component="Byline">Kim Lee and Sam Roe</section></body></html>'
    ),
    "an <author> element and a <rel> child": (
        "<html><body><author>Jo Bloggs</author><p><rel>me</rel>Pat Doe</p></body></html>"
    ),
    "figure captions and quotes are no bylines": (
        '<html><body><figure><span class="author">Photo: Agency</span></figure>'
        '<div class="quote"><span class="byline">Quoted Person</span></div>'
        '<span class="writer">Ines Duarte</span></body></html>'
    ),
    "no byline at all": "<html><body><p>Nothing here names anyone.</p></body></html>",
}


def _pages() -> list[tuple[str, str]]:
    found = list(PAGES.items())
    found += [
        (f.name, f.read_text(encoding="utf-8", errors="replace")) for f in sorted(FIXTURES.glob("*.html"))
    ]
    return found


@pytest.mark.parametrize(("name", "html"), _pages(), ids=[name for name, _ in _pages()])
def test_byline_is_trafilaturas_author(name: str, html: str) -> None:
    tree = lxml.html.document_fromstring(html)
    found, pruned = byline_candidates(tree)
    assert found == [expression(tree) for expression in AUTHOR_XPATHS]
    assert pruned == {el for expression in AUTHOR_DISCARD_XPATHS for el in expression(tree)}
    assert extract_byline(tree) == extract_author(tree)


def test_the_cases_cover_each_rule() -> None:
    answers = {name: extract_byline(lxml.html.document_fromstring(html)) for name, html in PAGES.items()}
    assert answers["plain byline"] == "Ana Pérez"
    assert answers["byline inside comments is pruned"] == "Rui Costa"
    assert (
        answers["a date inside the byline is dropped, its tail kept"] == "Lena Ortiz; Lisbon"
    )  # trafilatura joins names with ";"
    assert answers["too short, then the next expression"] == "Wang Wei"
    assert answers["no byline at all"] is None
