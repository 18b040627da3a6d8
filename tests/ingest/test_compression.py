"""Content-Encoding layers undone under one cap (the units; the hostile cases serve them over HTTP)."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from gazette.errors import FetchError, TooLarge
from gazette.ingest.compression import PIECE, decode_body, inflate_gzip_file, parse_content_encoding

URL = "http://feeds.test/x"
DOC = b"<rss>" + b"news " * 20_000 + b"</rss>"


def _chunks(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_header_parsing() -> None:
    assert parse_content_encoding(URL, "gzip, identity, BR") == ["gzip", "br"]
    assert parse_content_encoding(URL, "") == []
    with pytest.raises(FetchError, match="unsupported"):
        parse_content_encoding(URL, "compress")
    with pytest.raises(FetchError, match="layers"):
        parse_content_encoding(URL, "gzip, gzip, gzip")


@pytest.mark.parametrize(
    "layers", [["gzip"], ["deflate"], ["br"], ["gzip", "gzip"], ["deflate", "br"], ["br", "deflate"]]
)
def test_layers_round_trip_in_small_chunks(layers: list[str]) -> None:
    data = DOC
    for layer in layers:
        data = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[layer](data)
    assert decode_body(URL, _chunks(data, 7), layers, 10 * len(DOC)) == DOC


def test_concatenated_members_split_anywhere() -> None:
    body = b"".join(gzip.compress(DOC[i : i + 3333]) for i in range(0, len(DOC), 3333))
    for size in (1, 2, 5, 4096):
        assert decode_body(URL, _chunks(body, size), ["gzip"], 2 * len(DOC)) == DOC


def test_raw_deflate_and_trailing_junk() -> None:
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    assert decode_body(URL, _chunks(raw.compress(DOC) + raw.flush(), 1), ["deflate"], 2 * len(DOC)) == DOC
    assert decode_body(URL, [gzip.compress(DOC) + b"\0\0\0"], ["gzip"], 2 * len(DOC)) == DOC


def test_every_layer_counts_against_the_cap() -> None:
    inner = gzip.compress(DOC, 1)
    body = gzip.compress(inner)
    assert decode_body(URL, [body], ["gzip", "gzip"], len(DOC) + len(inner)) == DOC
    with pytest.raises(TooLarge):
        decode_body(URL, [body], ["gzip", "gzip"], len(DOC) + len(inner) - 1)


def test_pieces_never_exceed_the_piece_size() -> None:
    from gazette.ingest.compression import _zlib_layer

    bomb = gzip.compress(b"\0" * (8 * PIECE))
    assert max(len(p) for p in _zlib_layer([bomb], "gzip")) <= PIECE


def test_garbage_is_a_fetch_error_and_not_gzip_is_none() -> None:
    with pytest.raises(FetchError, match="cannot decode"):
        decode_body(URL, [b"\x1f\x8bnot really gzip"], ["gzip"], 1000)
    assert inflate_gzip_file(URL, b"<rss/>", 1000) is None
    with pytest.raises(TooLarge, match="gzip body"):
        inflate_gzip_file(URL, gzip.compress(b"\0" * 5000), 1000)
