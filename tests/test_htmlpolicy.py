"""htmlpolicy: the three sanitizer policies (and the text-only one) that every nh3 call in Gazette uses."""

from __future__ import annotations

import pytest

from gazette import htmlpolicy
from gazette.htmlpolicy import ARTICLE, LINK_REL, RENDER, SUMMARY, TEXT

HOSTILE = (
    '<p onclick="x()">Hi <script>alert(1)</script><style>p{}</style><!-- note -->'
    '<a href="javascript:alert(1)">js</a> <a href="https://ok.example/">ok</a>'
    '<img src="https://img.example/a.png" alt="A" onerror="x()"></p>'
)


@pytest.mark.parametrize(
    "policy", [ARTICLE, SUMMARY, RENDER, TEXT], ids=["article", "summary", "render", "text"]
)
def test_every_policy_drops_script_handlers_comments_and_bad_schemes(policy: htmlpolicy.Policy) -> None:
    out = policy.clean(HOSTILE)
    for gone in ("alert", "script", "p{}", "onclick", "onerror", "note", "javascript"):
        assert gone not in out
    assert "Hi" in out and "ok" in out


@pytest.mark.parametrize("policy", [ARTICLE, SUMMARY, RENDER], ids=["article", "summary", "render"])
def test_links_are_marked_for_the_reader(policy: htmlpolicy.Policy) -> None:
    assert f'<a href="https://ok.example/" rel="{LINK_REL}">ok</a>' in policy.clean(HOSTILE)


def test_what_each_policy_keeps() -> None:
    assert "<img" not in ARTICLE.clean(HOSTILE)  # hotlinked images track readers
    assert '<img src="https://img.example/a.png" alt="A">' in SUMMARY.clean(HOSTILE)
    assert '<img src="https://img.example/a.png" alt="A">' in RENDER.clean(HOSTILE)
    assert TEXT.clean(HOSTILE) == "Hi js ok"
    assert ARTICLE.clean("<svg><text>drawn</text></svg><p>kept</p>") == "<p>kept</p>"


def test_the_caller_resolves_relative_links() -> None:
    out = ARTICLE.clean('<a href="/a">a</a>', url_relative=lambda url: "https://site.example" + url)
    assert out == f'<a href="https://site.example/a" rel="{LINK_REL}">a</a>'
