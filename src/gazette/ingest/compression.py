"""Ingest: a response body's Content-Encoding layers (gzip, deflate, br) undone under one byte cap.

Each layer is a generator that pulls compressed pieces from the layer below it and yields decoded pieces
of at most ``PIECE`` bytes, so a layer never holds more than one piece in and one piece out. Every byte a
layer yields is charged to one account shared by all layers, and the account refuses (``TooLarge``) the
moment the total passes the cap: with ``gzip, gzip`` the inner gzip stream and the document it inflates
to both count, and no layer can run ahead of the cap while another holds its output. Memory is the final
body (at most the cap) plus a few pieces per layer.

Concatenated gzip members are read one after another (RFC 1952 allows them); raw deflate without the
zlib header is accepted (some servers send it). More than ``MAX_LAYERS`` layers is refused: no server
stacks more, and each layer is another multiplier for a bomb.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Iterator

import brotli

from gazette.errors import FetchError, TooLarge

logger = logging.getLogger(__name__)

SUPPORTED = frozenset({"gzip", "x-gzip", "deflate", "br"})
MAX_LAYERS = 2
PIECE = 64 * 1024  # the most one layer decodes in one step
GZIP_MAGIC = b"\x1f\x8b"
_RAW_DEFLATE_PROBE = 1024  # bytes kept to retry as raw deflate when the zlib header is missing


def parse_content_encoding(url: str, header: str) -> list[str]:
    """The layers named by a Content-Encoding header, in the order they were applied; ``identity`` dropped.

    Raises ``FetchError`` for an unsupported coding or more than ``MAX_LAYERS`` layers.
    """
    layers = [e.strip().lower() for e in header.split(",") if e.strip() and e.strip().lower() != "identity"]
    for layer in layers:
        if layer not in SUPPORTED:
            raise FetchError(url, f"unsupported Content-Encoding {layer[:40]!r}")
    if len(layers) > MAX_LAYERS:
        raise FetchError(url, f"{len(layers)} Content-Encoding layers; at most {MAX_LAYERS} are decoded")
    return layers


class _Account:
    """Decoded bytes across every layer, against one cap."""

    def __init__(self, url: str, cap: int) -> None:
        self.url = url
        self.cap = cap
        self.total = 0

    def charge(self, n: int) -> None:
        self.total += n
        if self.total > self.cap:
            raise TooLarge(self.url, f"body over the cap of {self.cap} bytes after decompression")


def _starts_member(data: bytes) -> bool | None:
    """Whether ``data``, the bytes after a finished gzip member, start another member: ``None`` while they are
    too few to tell (keep them for the next piece), ``False`` for trailing bytes that are ignored."""
    if len(data) < 2:
        return None
    if not data.startswith(GZIP_MAGIC):
        logger.debug("ignored %d bytes after the last gzip member", len(data))
        return False
    return True


def _zlib_layer(pieces: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    gzip = encoding in ("gzip", "x-gzip")
    wbits = 16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS
    z = zlib.decompressobj(wbits)
    raw_tried = gzip  # only deflate gets a second try as raw deflate
    probe = b""  # deflate input seen while nothing came out yet, to replay as raw deflate
    between = b""  # gzip: bytes after a member's end, until they show whether another member follows
    produced = False
    for piece in pieces:
        if between:
            piece, between = between + piece, b""
        if z.eof and gzip:
            starts = _starts_member(piece)
            if starts is None:
                between = piece
            if not starts:
                continue
            z = zlib.decompressobj(wbits)
        elif z.eof:
            continue  # trailing bytes after a deflate stream: nothing more to decode
        if not raw_tried and not produced and len(probe) < _RAW_DEFLATE_PROBE:
            probe += piece
        pending = piece
        while pending or not z.eof:
            try:
                out = z.decompress(pending, PIECE)
            except zlib.error:
                if raw_tried or produced:
                    raise
                raw_tried = True
                z = zlib.decompressobj(-zlib.MAX_WBITS)
                pending = probe
                continue
            if out:
                produced = True
                yield out
            if z.eof and gzip and z.unused_data:
                rest = z.unused_data
                starts = _starts_member(rest)
                if starts is None:
                    between = rest
                if not starts:
                    break
                z = zlib.decompressobj(wbits)  # the next member of a concatenated gzip body
                pending = rest
                continue
            pending = z.unconsumed_tail
            if not pending and len(out) < PIECE:
                break  # all input used and nothing held back: wait for the next piece
    if not z.eof:
        tail = z.flush()
        if tail:
            yield tail


def _brotli_layer(pieces: Iterable[bytes]) -> Iterator[bytes]:
    br = brotli.Decompressor()
    for piece in pieces:
        if br.is_finished():
            continue
        out = br.process(piece, output_buffer_limit=PIECE)
        if out:
            yield out
        while not br.can_accept_more_data():
            out = br.process(b"", output_buffer_limit=PIECE)
            if not out:
                break
            yield out
    while not br.is_finished():  # output the decoder still holds once the input has ended
        out = br.process(b"", output_buffer_limit=PIECE)
        if not out:
            break
        yield out


def _charged(pieces: Iterable[bytes], account: _Account) -> Iterator[bytes]:
    for piece in pieces:
        account.charge(len(piece))
        yield piece


def decode_body(url: str, raw: Iterable[bytes], layers: list[str], cap: int) -> bytes:
    """Undo ``layers`` (as listed in Content-Encoding, so the last applied is undone first) over ``raw``.

    Raises ``TooLarge`` when the bytes decoded by all layers together pass ``cap``, ``FetchError`` when a
    layer is not valid compressed data.
    """
    account = _Account(url, cap)
    stream: Iterable[bytes] = raw
    for layer in reversed(layers):
        decoded = _brotli_layer(stream) if layer == "br" else _zlib_layer(stream, layer)
        stream = _charged(decoded, account)
    parts: list[bytes] = []
    try:
        for piece in stream:
            parts.append(piece)
    except (zlib.error, brotli.error) as exc:
        raise FetchError(url, f"cannot decode {', '.join(layers)} body ({exc})") from exc
    return b"".join(parts)


def inflate_gzip_file(url: str, body: bytes, cap: int) -> bytes | None:
    """A gzip file served without Content-Encoding (a ``.xml.gz`` feed), inflated under ``cap``.

    None when ``body`` is not gzip data after all; ``TooLarge`` past the cap.
    """
    if not body.startswith(GZIP_MAGIC):
        return None
    try:
        return decode_body(url, [body], ["gzip"], cap)
    except TooLarge as exc:
        raise TooLarge(url, f"gzip body over the cap of {cap} bytes after decompression") from exc
    except FetchError:
        return None
