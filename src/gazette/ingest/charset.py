"""Ingest: a feed's bytes decoded once, before any check or parser sees them.

The checks in :mod:`gazette.ingest.feed_parser` (entity declarations, item cap, long author runs) read text, and
feedparser is handed UTF-8 that says so; so both read the document the same way, whatever it declared.
Reading the bytes one way and letting the parser read them another is how a UTF-7 ``+ADw-!ENTITY`` once
slipped past the checks and expanded inside feedparser.

The encoding is decided in this order of authority (feedparser's, except for the byte-order mark, below):

1. a byte-order mark, or the byte shape of ``<`` in UTF-16/UTF-32 (XML 1.0 appendix F: no 8-bit encoding
   puts NUL bytes there);
2. the charset of the HTTP Content-Type;
3. the ``encoding`` of the XML declaration;
4. nothing declared: UTF-8 when the bytes are UTF-8 (a few broken sequences are replaced, when almost every
   high byte sits in a well-formed UTF-8 sequence), else a legacy CJK multi-byte encoding when
   charset_normalizer finds one that reads the bytes, else UTF-8 with replacements when most high bytes are
   UTF-8-shaped, else windows-1252 — bytes that a legacy encoding can read are never turned into U+FFFD.

A declared encoding that cannot read the bytes (more than 1% errors) is treated as undeclared; a Western
single-byte label on valid multi-byte UTF-8 is taken for the lie it nearly always is, and ISO-8859-1 and
ASCII labels are read as windows-1252, as browsers read them. A label for UTF-16/32 on bytes that do not
have that shape is ignored, as feedparser ignores it. (feedparser itself lets the header outrank a
byte-order mark; a mark cannot be wrong about the bytes it starts, so here it comes first.) An encoding that is
not ASCII-compatible — UTF-7, HZ, ISO-2022-*, EBCDIC code pages and the like, where ASCII bytes can mean
something else or be swallowed by an escape — is refused outright (``FeedError``), wherever it was
declared; UTF-16 and UTF-32 are read and re-encoded.
"""

from __future__ import annotations

import codecs
import functools
import logging
import re
import warnings
from dataclasses import dataclass

from gazette.errors import FeedError

logger = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf_32_le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf_32_be"),
    (codecs.BOM_UTF8, "utf_8"),
    (codecs.BOM_UTF16_LE, "utf_16_le"),
    (codecs.BOM_UTF16_BE, "utf_16_be"),
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?\bencoding\s*=\s*["']([A-Za-z0-9._:+-]{1,40})["']""")
_EBCDIC_PROLOG = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC
# Western single-byte labels that servers put on UTF-8 by default.
_WESTERN = frozenset({"ascii", "latin_1", "iso8859_1", "cp1252", "iso8859_15"})
_CJK_MULTIBYTE = frozenset(
    {
        "shift_jis", "cp932", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213",
        "gb2312", "gbk", "gb18030", "big5", "big5hkscs", "cp950", "euc_kr", "cp949", "johab",
    }
)  # fmt: skip
_UTF8_SHAPED = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_DETECT_SAMPLE = 64 * 1024
_MIN_HIGH_BYTES = 8  # fewer high bytes are a stray accented letter, not evidence of a multi-byte encoding
_MAX_ERROR_SHARE = 0.01


@dataclass(frozen=True)
class DecodedFeed:
    """The feed's text (no byte-order mark), the Python codec that read it and what decided it."""

    text: str
    encoding: str
    source: str  # "bom", "shape", "header", "prolog", "utf-8", "detected", "fallback"


def _windows_1252_c1(error: UnicodeError) -> tuple[str, int]:
    """Decode windows-1252's five unassigned bytes as the C1 controls the WHATWG standard maps them to."""
    assert isinstance(error, UnicodeDecodeError)
    return "".join(chr(b) for b in error.object[error.start : error.end]), error.end


codecs.register_error("gazette-c1", _windows_1252_c1)


def codec_name(label: str | None) -> str | None:
    """Python's codec name for a charset label (``"UTF-8"`` → ``"utf_8"``); None for an unknown label or a
    codec that is not a text encoding (``zlib``, ``base64``)."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip().strip("\"'").strip().lower())
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name.replace("-", "_")


# Byte sequences that are plain ASCII text in an ASCII-compatible encoding and something else in the
# stateful or escaping ones: an ISO-2022 designation, HZ's shift, UTF-7's base64, Python's escape codecs.
_TRIGGERS = (b"\x1b$B", b"\x1b(J", b"\x1b$)C", b"~{", b"~\n", b"+ADw-", b"\\x41", b"\\u0041")


@functools.cache
def ascii_compatible(codec: str) -> bool:
    """True when every ASCII byte, alone or in any sequence, reads as that ASCII character.

    (JIS X 0201's yen and overline at 0x5C and 0x7E are let through: they are no markup.)
    """
    if codec.startswith(("utf_16", "utf_32")):
        return False
    ascii_bytes = bytes(b for b in range(0x80) if b not in (0x5C, 0x7E))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the escape codecs warn on unknown escapes
        try:
            if ascii_bytes.decode(codec) != ascii_bytes.decode("ascii"):
                return False
            return all(t.decode(codec, "replace") == t.decode("ascii") for t in _TRIGGERS)
        except (UnicodeError, LookupError, ValueError):
            return False


def _refuse(url: str, codec: str, where: str) -> FeedError:
    return FeedError(
        url,
        f"refused: the {where} declares {codec}, an encoding that is not ASCII-compatible (markup can hide in it)",
    )


def _sniff(content: bytes) -> tuple[str, int, str] | None:
    """(codec, bytes to skip, source) from a byte-order mark or the UTF-16/32 shape of the first bytes."""
    for bom, codec in _BOMS:
        if content.startswith(bom):
            # FF FE 00 00 is the UTF-32 LE mark, unless a UTF-16 LE document starts with U+0000 (never XML).
            return codec, len(bom), "bom"
    head = content[:4]
    if len(head) == 4:
        b0, b1, b2, b3 = head
        if b0 == b1 == b2 == 0 and 0 < b3 < 0x80:
            return "utf_32_be", 0, "shape"
        if b1 == b2 == b3 == 0 and 0 < b0 < 0x80:
            return "utf_32_le", 0, "shape"
        if b0 == 0 and b2 == 0 and 0 < b1 < 0x80 and 0 < b3 < 0x80:
            return "utf_16_be", 0, "shape"
        if b1 == 0 and b3 == 0 and 0 < b0 < 0x80 and 0 < b2 < 0x80:
            return "utf_16_le", 0, "shape"
        if head == _EBCDIC_PROLOG:
            return "cp037", 0, "shape"
    return None


def _mostly_utf8(content: bytes, share: int = 95) -> bool:
    """UTF-8 with a few broken sequences rather than a legacy encoding: ``share`` percent of the high
    bytes sit in well-formed UTF-8 sequences (in legacy text they almost never do)."""
    high = len(_HIGH_BYTE.findall(content))
    if not high:
        return False
    shaped = sum(len(m) for m in _UTF8_SHAPED.findall(content))
    return shaped * 100 > high * share


def _readable(content: bytes, codec: str) -> str | None:
    """The text when ``codec`` reads ``content`` with at most 1% of it undecodable; else None."""
    try:
        return content.decode(codec)
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    text = content.decode(codec, "replace")
    return text if text.count("\ufffd") <= len(text) * _MAX_ERROR_SHARE else None


def _jamo(text: str) -> int:
    """Isolated Hangul letters (compatibility jamo): rare in Korean prose, and what Japanese kana turn into
    when EUC-JP bytes are read as EUC-KR — the one confusion between these encodings that decodes cleanly."""
    return sum(1 for ch in text if "\u3130" <= ch <= "\u318f")


def _detect_cjk(content: bytes) -> tuple[str, str] | None:
    """(codec, text) for the legacy CJK encoding that reads ``content`` most plausibly; None if none does."""
    sample = content[:_DETECT_SAMPLE]
    if len(_HIGH_BYTE.findall(sample)) < _MIN_HIGH_BYTES:
        return None
    try:
        from charset_normalizer import from_bytes

        matches = list(from_bytes(sample))
    except Exception:  # a heuristic helper; its failure only costs the guess
        logger.debug("charset_normalizer failed", exc_info=True)
        return None
    readings: list[tuple[int, int, str, str]] = []
    for rank, match in enumerate(matches):
        codec = codec_name(match.encoding)
        if codec not in _CJK_MULTIBYTE:
            continue
        text = _readable(content, codec)
        if text is not None:
            readings.append((_jamo(text), rank, codec, text))
    if not readings:
        return None
    _, _, codec, text = min(readings)
    return codec, text


def _undeclared(content: bytes) -> DecodedFeed:
    try:
        return DecodedFeed(content.decode("utf-8"), "utf_8", "utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(content):
        return DecodedFeed(content.decode("utf-8", "replace"), "utf_8", "utf-8")
    cjk = _detect_cjk(content)
    if cjk is not None:
        return DecodedFeed(cjk[1], cjk[0], "detected")
    if _mostly_utf8(content, share=50):
        # Short UTF-8 with a broken byte: no legacy encoding read it, and most high bytes are UTF-8.
        return DecodedFeed(content.decode("utf-8", "replace"), "utf_8", "utf-8")
    return DecodedFeed(content.decode("cp1252", "gazette-c1"), "cp1252", "fallback")


def decode_feed(url: str, content: bytes, header_charset: str | None) -> DecodedFeed:
    """Decide the encoding of a feed's bytes once and decode them (see the module docstring).

    Raises ``FeedError`` when the deciding declaration names an encoding that is not ASCII-compatible.
    """
    sniffed = _sniff(content)
    if sniffed is not None:
        unit, skip, how = sniffed
        if not unit.startswith(("utf_8", "utf_16", "utf_32")):
            raise _refuse(url, unit, "byte order of the document")
        return DecodedFeed(content[skip:].decode(unit, "replace"), unit, how)
    prolog = _XML_ENCODING.match(content[:1024])
    for label, source in (
        (header_charset, "header"),
        (prolog.group(1).decode("ascii") if prolog else None, "prolog"),
    ):
        codec = codec_name(label)
        if codec is None:
            if label:
                logger.debug("%s: unknown charset %r in the %s; ignored", url, label[:40], source)
            continue
        if codec.startswith(("utf_16", "utf_32")):
            continue  # the bytes are not shaped like UTF-16/32 (step 1 would have seen it): a wrong label
        if not ascii_compatible(codec):
            raise _refuse(url, codec, "HTTP Content-Type" if source == "header" else "XML declaration")
        if codec in _WESTERN and not content.isascii():
            try:
                return DecodedFeed(content.decode("utf-8"), "utf_8", "utf-8")
            except UnicodeDecodeError:
                pass
        if codec in ("latin_1", "iso8859_1", "ascii"):
            # As browsers read them (WHATWG): windows-1252, whose curly quotes servers label "ISO-8859-1".
            return DecodedFeed(content.decode("cp1252", "gazette-c1"), "cp1252", source)
        if codec == "utf_8":
            return (
                _undeclared(content)
                if not _is_utf8(content)
                else DecodedFeed(content.decode(), codec, source)
            )
        text = _readable(content, codec)
        if text is not None:
            return DecodedFeed(text, codec, source)
        logger.debug("%s: the %s's charset %s cannot read the body; guessing", url, source, codec)
        return _undeclared(content)
    return _undeclared(content)


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
