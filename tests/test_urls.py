"""URL canonicalization: one article under many URLs gets one key; the key is stable."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazette.urls import canonicalize_url, is_http_url, same_site, url_identity

CANONICAL = "https://news.example.com/world/2026/02/20/bolivar-story.html"


@pytest.mark.parametrize(
    "variant",
    [
        CANONICAL,
        "HTTPS://News.Example.COM/world/2026/02/20/bolivar-story.html",
        "https://news.example.com:443/world/2026/02/20/bolivar-story.html",
        "https://news.example.com/world/2026/02/20/bolivar-story.html#comments",
        "https://news.example.com/world/2026/02/20/bolivar-story.html?utm_source=rss&utm_medium=feed",
        "https://news.example.com/world/2026/02/20/bolivar-story.html?fbclid=IwAR0abc&gclid=x1",
        "https://news.example.com/world/./2026/02/20/../20/bolivar-story.html",
        "https://news.example.com/world/2026/02/20/bolivar%2Dstory.html",
        "  https://news.example.com/world/2026/02/20/bolivar-story.html\n",
        "https://user:secret@news.example.com/world/2026/02/20/bolivar-story.html",
        "https://news.example.com./world/2026/02/20/bolivar-story.html?mc_cid=1&mc_eid=2&igshid=3&_ga=4&yclid=5",
    ],
)
def test_tracking_variants_collapse_to_one_url(variant: str) -> None:
    assert canonicalize_url(variant) == CANONICAL


def test_query_kept_sorted_and_escapes_normalized() -> None:
    url = "http://example.com/search?q=caf%c3%a9&b=2&a=1&utm_campaign=x&a=0"
    assert canonicalize_url(url) == "http://example.com/search?a=1&a=0&b=2&q=caf%C3%A9"


def test_non_ascii_and_spaces_are_percent_encoded() -> None:
    assert canonicalize_url("http://example.com/Bolívar city") == "http://example.com/Bol%C3%ADvar%20city"


def test_idn_host_becomes_punycode() -> None:
    assert canonicalize_url("http://Bücher.example/") == "http://xn--bcher-kva.example/"


def test_path_case_trailing_slash_and_scheme_are_kept() -> None:
    assert canonicalize_url("http://example.com/News/") == "http://example.com/News/"
    assert canonicalize_url("http://example.com/News") == "http://example.com/News"
    assert canonicalize_url("http://example.com") == "http://example.com/"
    assert canonicalize_url("http://example.com:8080/a") == "http://example.com:8080/a"
    assert canonicalize_url("http://example.com/a").startswith("http://")


def test_meaningful_params_are_kept() -> None:
    assert (
        canonicalize_url("https://example.com/story?id=42&ref=main")
        == "https://example.com/story?id=42&ref=main"
    )


@pytest.mark.parametrize(
    "url", ["mailto:a@example.com", "file:///etc/passwd", "/relative/path", "", "javascript:alert(1)"]
)
def test_non_http_input_is_only_trimmed(url: str) -> None:
    assert canonicalize_url(f" {url} ") == url


def test_url_identity_ignores_scheme_and_www() -> None:
    assert url_identity("http://www.example.com/a?utm_source=x") == url_identity("https://example.com/a")
    assert url_identity("https://example.com/a") != url_identity("https://example.com/b")


def test_same_site() -> None:
    assert same_site("https://www.example.com/a", "http://example.com/b")
    assert same_site("https://EXAMPLE.com./a", "https://example.com/b")
    assert not same_site("https://example.com/a", "https://example.org/a")
    assert not same_site("https://blog.example.com/a", "https://example.com/a")
    assert not same_site("not a url", "not a url")


def test_is_http_url() -> None:
    assert is_http_url("https://example.com/x")
    assert is_http_url("HTTP://example.com")
    for bad in [
        "javascript:alert(1)",
        "ftp://example.com/",
        "https://",
        "//example.com/a",
        "",
        None,
        "http://[::1",
    ]:
        assert not is_http_url(bad)


_host = st.sampled_from(["example.com", "WWW.Example.org", "bücher.example", "127.0.0.1", "[::1]", "a.b.c."])
_segment = st.text(alphabet="aZ09-._~%!$&'()*+,;=:@ /é?#\\", max_size=8)
_param = st.tuples(
    st.sampled_from(["utm_source", "q", "id", "fbclid", "A", "b%20c", "x+y", ""]),
    st.text(alphabet="az09%+=é &/?", max_size=6),
)


@st.composite
def _urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTPS", "ftp"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":0080"]))
    path = "/".join(draw(st.lists(_segment, max_size=4)))
    params = "&".join(f"{k}={v}" for k, v in draw(st.lists(_param, max_size=4)))
    frag = draw(st.sampled_from(["", "#x", "#"]))
    return f"{scheme}://{draw(_host)}{port}/{path}?{params}{frag}"


@settings(max_examples=400, deadline=None)
@given(st.one_of(_urls(), st.text(max_size=60)))
def test_canonicalize_is_idempotent_and_never_raises(url: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    if is_http_url(once):
        assert "#" not in once
        query = once.partition("?")[2]
        names = [item.partition("=")[0].lower() for item in query.split("&")]
        assert not any(n.startswith("utm_") or n == "fbclid" for n in names)


_plain_segment = st.text(alphabet="abcXYZ019-_~é", min_size=1, max_size=6)
_meaningful = st.tuples(
    st.sampled_from(["id", "page", "q", "ref", "story"]), st.text(alphabet="az09é", max_size=4)
)


@st.composite
def _article(draw: st.DrawFn) -> tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]:
    host = draw(st.sampled_from(["news.example.com", "example.org", "diario.example.es"]))
    path = tuple(draw(st.lists(_plain_segment, min_size=1, max_size=3)))
    params = tuple(sorted(draw(st.lists(_meaningful, max_size=2, unique_by=lambda p: p[0]))))
    return host, path, params


def _render(article: tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]], noise: list[str]) -> str:
    host, path, params = article
    query = [f"{k}={v}" for k, v in params] + noise
    return f"https://{host}/{'/'.join(path)}" + ("?" + "&".join(query) if query else "") + "#frag"


_noise = st.lists(
    st.sampled_from(
        ["utm_source=rss", "utm_medium=feed", "fbclid=IwAR1", "gclid=Cj0", "mc_cid=9", "_ga=2.1"]
    ),
    max_size=3,
)


@settings(max_examples=400, deadline=None)
@given(_article(), _article(), _noise, _noise)
def test_distinct_articles_stay_distinct_and_tracking_collapses(
    a: tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]],
    b: tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]],
    noise_a: list[str],
    noise_b: list[str],
) -> None:
    # The same article with different tracking noise: one key.
    assert canonicalize_url(_render(a, noise_a)) == canonicalize_url(_render(a, noise_b))
    # Two different articles: two keys, whatever the noise.
    if a != b:
        assert canonicalize_url(_render(a, noise_a)) != canonicalize_url(_render(b, noise_b))


def test_distinct_corpus_urls_stay_distinct() -> None:
    corpus = [
        "https://news.example.com/world/2026/02/20/story.html",
        "https://news.example.com/world/2026/02/20/story.html?page=2",
        "https://news.example.com/world/2026/02/20/story.html?id=1",
        "https://news.example.com/world/2026/02/20/story.html?id=2",
        "https://news.example.com/world/2026/02/20/Story.html",
        "https://news.example.com/world/2026/02/20/story.html/",
        "https://news.example.com/world/2026/02/21/story.html",
        "https://news.example.com:8443/world/2026/02/20/story.html",
        "https://blog.example.com/world/2026/02/20/story.html",
        "https://news.example.com/world/2026/02/20/story%2Fpart.html",
        "https://news.example.com/story?q=a%26b",
        "https://news.example.com/story?q=a&b",
        "https://news.example.com/story?q=a+b",
        "https://news.example.com/story?q=a%2Bb",
        "https://news.example.com/story?ref=rss",
        "https://news.example.com/story",
        "https://news.example.com/Bolívar",
        "https://news.example.com/Bolivar",
    ]
    keys = [canonicalize_url(u) for u in corpus]
    assert len(set(keys)) == len(corpus)
