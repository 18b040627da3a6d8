"""The registry of hostile cases: the 32 rows of shared/HOSTILE.md (some split in two) and the issue's extras.

Each case names its HOSTILE.md row (0: from the issue only), the fixture files it serves, and what must
happen. Tests say which case they cover with ``@case("name")``; ``test_registry.py`` checks that every case
has a test and a line in README.md, and the session summary prints how many passed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Case:
    row: int  # HOSTILE.md row; 0 for a case the issue adds
    expect: str
    fixtures: tuple[str, ...] = ()


CASES: dict[str, Case] = {
    # -- transport and addresses ---------------------------------------------------------------------
    "ssrf_literals": Case(1, "loopback/link-local/CGNAT/odd IPv4 forms refused before any socket opens"),
    "ssrf_redirect": Case(2, "an allowed host 302-ing to a private address is refused at that hop"),
    "dns_rebind": Case(3, "a name answering public then 127.0.0.1 is connected only to the checked address"),
    "scheme_abuse": Case(4, "file://, /etc/passwd, gopher://, ftp://, data: feed URLs refused, never opened"),
    "redirect_schemes": Case(
        0, "redirects to file://, ftp://, gopher://, data: refused", ("redirect_target.txt",)
    ),
    "gzip_bomb": Case(7, "gzip body inflating far past the cap is cut at the cap after decompression"),
    "br_bomb": Case(7, "brotli body inflating far past the cap is cut at the cap after decompression"),
    "magic_gzip": Case(8, "gzip bytes without Content-Encoding get the same cap"),
    "big_body": Case(0, "a 2 GB body (streamed) is cut at the byte cap"),
    "slowloris": Case(9, "one byte every 5 s is cut by the total deadline"),
    "endless_chunked": Case(9, "a chunked body that never ends is cut by the cap or the deadline"),
    "truncated": Case(
        10, "a reset mid-body fails the feed; no ETag/Last-Modified saved", ("truncated_feed.xml",)
    ),
    "redirect_loop": Case(11, "A→B→A fails with TooManyRedirects"),
    "redirect_chain": Case(11, "20 and 30 hop chains stop after at most 5 hops"),
    "retry_after": Case(12, "429/503 Retry-After (seconds, HTTP date, huge) honoured, clamped, for the host"),
    "lying_length": Case(
        31, "Content-Length shorter or longer than the body: handled, capped", ("rss_basic.xml",)
    ),
    # -- XML and feed parsing ----------------------------------------------------------------------------
    "billion_laughs": Case(5, "nested entities refused quickly", ("billion_laughs.xml",)),
    "billion_laughs_utf16": Case(5, "the UTF-16 variant refused too", ("billion_laughs.xml",)),
    "xxe_file": Case(6, "SYSTEM file:///etc/passwd entity: nothing read", ("xxe_file.xml",)),
    "xxe_dtd": Case(6, "remote DTD: no network call", ("xxe_dtd.xml",)),
    "deep_nesting": Case(0, "10,000 nested elements: a typed error or a clean parse, no crash"),
    "huge_feed": Case(29, "100,000 items: capped per fetch, bounded time"),
    "huge_title": Case(29, "a 100 KB title is truncated", ("huge_title.xml",)),
    "redos_author": Case(19, "a@ + a.×16000 + ! author parsed quickly", ("redos_author.xml",)),
    "redos_tags": Case(20, "200 KB of unclosed <title: linear time"),
    "poison_feed": Case(
        30, "a feed the parser chokes on is recorded; the batch carries on", ("poison_feed.xml",)
    ),
    # -- content that must not execute --------------------------------------------------------------------
    "xss_content": Case(
        13,
        "<script>, onerror, onload, JaVaScRiPt:, java&#x09;script: neutralized",
        ("xss_content.html", "xss_feed.xml"),
    ),
    "iframe_js": Case(14, "iframe with javascript: src and children dropped", ("iframe_js.html",)),
    "xss_title": Case(
        15,
        "&lt;script&gt; and &amp;lt; in title/author shown as text in HTML, RSS, JSON",
        ("xss_title.xml", "xss_title.html"),
    ),
    "xss_link": Case(16, "item link javascript:, enclosure data:text/html dropped", ("xss_link.xml",)),
    "svg_script": Case(
        17,
        "an SVG with <script> as an image is never served inline from our origin",
        ("svg_script.svg", "svg_page.html"),
    ),
    "error_reflect": Case(18, "srcset/paths holding <script> escaped in error pages"),
    "css_expression": Case(0, "CSS expression() and url(javascript:) removed", ("css_expression.html",)),
    "meta_refresh_base": Case(
        0, "<meta http-equiv=refresh> and <base href> hijack removed", ("meta_refresh_base.html",)
    ),
    "object_embed": Case(0, "<object>, <embed>, <form> dropped", ("object_embed.html",)),
    "rtl_override": Case(0, "right-to-left override characters removed from titles", ("rtl_override.xml",)),
    "json_feed_html": Case(
        0, "HTML in a JSON Feed's title/summary/content is inert", ("json_feed_html.json",)
    ),
    "entity_variants": Case(
        0, "entity-encoded and mixed-case payloads in authors and summaries inert", ("entity_variants.xml",)
    ),
    # -- identity and duplicates -----------------------------------------------------------------------------
    "guid_dupes": Case(22, "3 items sharing one GUID: 3 articles, stable on refetch", ("guid_dupes.xml",)),
    "guid_scheme_flip": Case(
        23, "GUIDs flip http→https: no new articles", ("guid_flip_a.xml", "guid_flip_b.xml")
    ),
    "guid_rewrite": Case(
        24, "GUIDs /123 → /slug: matched, no duplicates", ("guid_rewrite_a.xml", "guid_rewrite_b.xml")
    ),
    "guid_churn": Case(0, "GUIDs change on every fetch: no duplicates"),
    "tracking_params": Case(25, "one article under 5 tracking URLs: one article", ("tracking_params.xml",)),
    "long_fields": Case(
        0, "3 KB URLs, GUIDs, ETags and Last-Modified values never abort a run (PostgreSQL too)"
    ),
    "nul_ctrl": Case(
        26,
        "NUL, U+FFFE, lone surrogates stripped; PostgreSQL insert succeeds",
        ("nul_ctrl.xml", "nul_ctrl.html"),
    ),
    # -- encodings ------------------------------------------------------------------------------------------------
    "charset_lies": Case(27, "UTF-8 labelled Latin-1, late <meta charset>, cp1252 without charset → Bolívar"),
    "mojibake": Case(28, "BolÃ­var and BolĂ­var repaired to Bolívar"),
    "utf8_bom": Case(0, "a UTF-8 BOM page and feed read correctly", ("utf8_bom.xml",)),
    "iso_8859_2": Case(0, "an ISO-8859-2 page without charset reads as Polish, not mojibake"),
    # -- input to our own server ---------------------------------------------------------------------------------
    "path_traversal": Case(21, "../ in static, archive, article, asset URLs → 404; files keyed by hash"),
    "query_abuse": Case(32, 'search ", *, NEAR(, unbalanced (, 10 KB query → 4xx or results, never 500'),
    "malformed_query": Case(0, "huge or malformed query strings on pages and API → 4xx or results"),
    # -- round two, pipeline side (issue 9, items 3–5) --------------------------------------------------------
    "redos_text": Case(
        0,
        "300 KB of abbreviations, digits and periods, capitalised words, one long word: stored whole; "
        "enrichment reads enrich.max_chars",
        ("hostile_text.html",),
    ),
    "hash_forgery": Case(
        0,
        "a feed with no (or another) source carrying a stored article's text: stored apart, never overwrites",
        ("publisher_feed.xml", "forged_feed.xml"),
    ),
    "hash_same_publisher": Case(
        0,
        "the same source's text under a new URL and title: a duplicate, nothing overwritten",
        ("republished_feed.xml",),
    ),
    "extraction_transient": Case(
        0,
        "the extractor breaking (ImportError) is transient: validators kept, pages stored next run",
        ("transient_feed.xml",),
    ),
    "missing_package": Case(
        0, "extraction libraries that cannot import: one line and exit 1, not a failure per article"
    ),
    # -- issue 9, round two: what a reader of the code found ------------------------------------------------
    "encoding_smuggling": Case(
        0,
        "UTF-7, HZ, ISO-2022, EBCDIC feeds refused; UTF-16/32 (with or without BOM) and a header charset that "
        "contradicts the prolog decoded once, every guard run on the decoded text",
        ("smuggle_entities.xml", "smuggle_author.xml", "smuggle_items.xml"),
    ),
    "stacked_encoding": Case(
        0, "gzip, gzip with concatenated members and every order of two layers: one cap over all layers"
    ),
    "plain_text_titles": Case(
        0,
        "text titles with angle brackets keep their words (Atom type=text, RSS Vec&lt;T&gt;)",
        ("plain_titles.xml",),
    ),
    "legacy_cjk": Case(
        0,
        "an EUC-JP / Shift_JIS / GBK feed without a declared encoding and BOM-less UTF-32BE read correctly",
        ("euc_jp_feed.xml",),
    ),
    "content_location": Case(
        0,
        "relative links of a feed served with Content-Location resolve against it",
        ("content_location.xml",),
    ),
    "pinned_transport": Case(0, "pinning works through public httpx/httpcore API, not HTTPTransport._pool"),
    "special_addresses": Case(
        0, "IANA special-purpose ranges (192.0.0.8, 3fff::1 …) refused whatever the Python patch release"
    ),
    # -- round two, our own output (issue 9, items 6, 7, 14, 15) ---------------------------------------------
    "feed_description_markup": Case(
        0,
        "text that looks like markup (<img onerror>) leaves our RSS as escaped text in <p>, never an element",
    ),
    "undated_feed_item": Case(
        0, "an article with no date is dated and sorted by its fetch time in every feed"
    ),
    "api_bent_cursors": Case(
        0, "Infinity, NaN, 5,000-deep and over-long cursors and unknown filters: 400 with the error object"
    ),
    # -- HOSTILE.md's invariants, as far as a hostile server can test them (process faults: tests/faults) ----
    "inv_no_loss": Case(
        0, "I1: pages that failed mid-run are ingested by a re-run; nothing lost behind a 304"
    ),
    "inv_unique_key": Case(
        0, "I2: one article from two feeds is stored once; the key is a UNIQUE constraint"
    ),
    "inv_validators_last": Case(0, "I3: ETag/Last-Modified change only with a complete, parsed answer"),
    "inv_clean_publishing": Case(
        0, "I4: uncommitted rows never published; static build leaves only whole files"
    ),
    "inv_lease_expiry": Case(
        0, "I5: a feed lease expires; a dead holder's lease is taken over; released after"
    ),
}


def case(name: str) -> pytest.MarkDecorator:
    """Mark a test as covering hostile case ``name`` (must be registered)."""
    if name not in CASES:
        raise KeyError(f"unregistered hostile case {name!r}")
    return pytest.mark.hostile_case(name)
