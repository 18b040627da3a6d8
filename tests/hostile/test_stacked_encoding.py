"""Stacked Content-Encoding (issue 9, item 2): ``gzip, gzip`` with concatenated members, ``deflate, br`` and
the other orders — the byte cap holds on the bytes decoded by all layers together, and memory stays within a
small multiple of the cap (measured with tracemalloc, never with a clock)."""

from __future__ import annotations

import functools
import gzip
import os
import tracemalloc
import zlib

import brotli
import pytest

from gazette.errors import FetchError, TooLarge
from tests.hostile.cases import case
from tests.hostile.conftest import FETCH, Desk

CAP = int(FETCH["max_bytes"])  # type: ignore[call-overload]

ENCODERS = {
    "gzip": lambda data: gzip.compress(data, 9),
    "deflate": lambda data: zlib.compress(data, 9),
    "br": lambda data: brotli.compress(data, quality=5),
}


def _members(data: bytes, count: int) -> bytes:
    """``data`` as ``count`` gzip members, concatenated (RFC 1952 allows it; each one restarts the inflater)."""
    step = max(1, len(data) // count)
    return b"".join(gzip.compress(data[i : i + step], 9) for i in range(0, len(data), step))


@functools.cache
def _stacked_bomb() -> bytes:
    """64 MB of zeros gzipped, then gzipped again as 64 concatenated members: about 2 KB on the wire."""
    return _members(gzip.compress(b"\0" * (64 << 20), 9), 64)


def _encode(data: bytes, layers: list[str]) -> bytes:
    for layer in layers:  # in the order Content-Encoding lists them: the first was applied first
        data = ENCODERS[layer](data)
    return data


def _peak_of_fetch(desk: Desk, url: str) -> tuple[BaseException | bytes, int]:
    tracemalloc.start()
    try:
        with desk.fetcher() as fetcher:
            try:
                result: BaseException | bytes = fetcher.fetch(url).content
            except FetchError as exc:
                result = exc
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@case("stacked_encoding")
def test_double_gzip_of_concatenated_members_is_cut_with_bounded_memory(desk: Desk) -> None:
    desk.seed()
    bomb = _stacked_bomb()
    assert len(bomb) < 8 * 1024
    url = desk.server.static(
        "/stacked.xml", bomb, "application/rss+xml", headers={"Content-Encoding": "gzip, gzip"}
    )
    result, peak = _peak_of_fetch(desk, url)
    assert isinstance(result, TooLarge) and "decompression" in result.message
    # Before the fix each outer piece was inflated to the whole cap and all were held at once (68 MB here,
    # 830 MB with a bigger bomb); now one body's worth plus a few 64 KB pieces.
    assert peak < 3 * CAP, peak
    report = desk.ingest(url)
    assert "cap" in desk.failed(report, url)
    desk.assert_clean()


@case("stacked_encoding")
@pytest.mark.parametrize(
    "layers", [["deflate", "br"], ["br", "gzip"], ["br", "br"], ["gzip", "deflate"], ["deflate", "deflate"]]
)
def test_every_order_of_two_layers_is_capped_with_bounded_memory(desk: Desk, layers: list[str]) -> None:
    body = _encode(b"\0" * (48 << 20), layers)
    assert len(body) < CAP // 8
    url = desk.server.static(
        "/two-layers.xml", body, "application/rss+xml", headers={"Content-Encoding": ", ".join(layers)}
    )
    result, peak = _peak_of_fetch(desk, url)
    assert isinstance(result, TooLarge), result
    assert peak < 3 * CAP, peak


@case("stacked_encoding")
def test_the_cap_counts_the_bytes_of_every_layer(desk: Desk) -> None:
    # 1.5 MB that does not compress: the inner gzip stream is as big as the document, so the two layers
    # decode 3 MB together, over the 2 MB cap, although the document alone is under it.
    document = os.urandom(CAP * 3 // 4)
    url = desk.server.static(
        "/random.bin",
        _encode(document, ["gzip", "gzip"]),
        "application/octet-stream",
        headers={"Content-Encoding": "gzip, gzip"},
    )
    result, _ = _peak_of_fetch(desk, url)
    assert isinstance(result, TooLarge), type(result)
    # The same document under one layer is within the cap and comes back whole.
    single = desk.server.static(
        "/random1.bin",
        _encode(document, ["gzip"]),
        "application/octet-stream",
        headers={"Content-Encoding": "gzip"},
    )
    result, _ = _peak_of_fetch(desk, single)
    assert result == document


@case("stacked_encoding")
def test_honest_stacked_feeds_decode_and_three_layers_are_refused(desk: Desk) -> None:
    desk.seed()
    feed = desk.fixture("rss_basic.xml")
    desk.server.static("/basic/second.html", desk.fixture("good_article.html"))
    urls = {}
    for layers in (["gzip", "gzip"], ["deflate", "br"], ["br", "gzip"]):
        name = "-".join(layers)
        body = _encode(feed, layers)
        if layers == ["gzip", "gzip"]:
            body = _members(gzip.compress(feed), 3)  # the outer layer as concatenated members
        urls[name] = desk.server.static(
            f"/stacked-{name}.xml",
            body,
            "application/rss+xml",
            headers={"Content-Encoding": ", ".join(layers)},
        )
    raw_deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    urls["raw-deflate"] = desk.server.static(
        "/raw-deflate.xml",
        raw_deflate.compress(feed) + raw_deflate.flush(),
        "application/rss+xml",
        headers={"Content-Encoding": "deflate"},
    )
    three = desk.server.static(
        "/three.xml",
        _encode(feed, ["gzip", "gzip", "gzip"]),
        "application/rss+xml",
        headers={"Content-Encoding": "gzip, gzip, gzip"},
    )
    with desk.fetcher() as fetcher:
        for url in urls.values():
            assert fetcher.fetch(url).content == feed, url
        with pytest.raises(FetchError) as err:
            fetcher.fetch(three)
        assert "layers" in err.value.reason and not isinstance(err.value, TooLarge)
    report = desk.ingest(*urls.values(), three)
    for url in urls.values():
        assert desk.feed(url).last_error is None, url
    assert "layers" in desk.failed(report, three)
    desk.assert_clean()
