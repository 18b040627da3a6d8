"""Extract stage, text: decoding a page's bytes, repairing mojibake and dangerous characters, language.

``decode_html`` turns bytes into text: BOM, valid UTF-8, the declared charset (header, then ``<meta>``), then a
guess among the single-byte encodings news pages actually use, scored by how natural each reading looks
(charset_normalizer alone misreads short Spanish windows-1252 as windows-1250 and Polish ISO-8859-2 as
ISO-8859-10; it is consulted only for CJK multi-byte encodings).

``repair_text`` runs ftfy, then fixes what ftfy leaves behind on real news pages:

- UTF-8 read as Windows-1250 / ISO-8859-2 when the second byte decoded to an invisible character.
  "í" is C3 AD in UTF-8; read as cp1250 it becomes "Ă" + SOFT HYPHEN, which ftfy does not undo
  ("BolĂ\\u00advar"). Runs of cp1250 characters that re-encode to valid UTF-8 are decoded back when the
  result is a Latin letter or typographic punctuation.
- The same mojibake after something dropped the soft hyphen ("BolĂvar", as on the seed page). The byte is
  gone, so this is a guess: an upper-case "Ă" or "Ã" between two lower-case ASCII letters is read as "í".
  No language writes a capital Ă/Ã inside a lower-case word, and C3 AD ("í") is by far the most common
  UTF-8 pair whose second byte is invisible in cp1250/cp1252 (the others, C3 81/83/88/8D/8F/90/98/9D, are
  capitals that do not occur inside lower-case words either).

Then it removes NUL and other C0/C1 controls (keeping newline and tab), noncharacters (U+FFFE, U+FFFF,
U+FDD0–U+FDEF), lone surrogates, soft hyphens (invisible, and they split words for search) and bidi
embedding/override/isolate controls (U+202A–U+202E, U+2066–U+2069, used to disguise text), and returns NFC.

ftfy itself is consulted only when it could change something: text in which none of its steps finds work (no
mojibake by its own badness test, no C1 control, Latin ligature, line separator, terminal escape or control
it removes, already NFC) is what ftfy would return, and most pages are such text. The check reads the text
once, where ftfy's per-line steps cost about 1.5 ms a page (docs/benchmarks.md, "Extraction").
"""

from __future__ import annotations

import codecs
import logging
import re
import threading
import unicodedata
from typing import Any

import ftfy
import ftfy.badness
import ftfy.chardata

logger = logging.getLogger(__name__)

_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,  # input is already text; "&lt;" in a title is what the publisher wrote
    uncurl_quotes=False,  # keep the publisher's typography
    fix_character_width=False,  # full-width forms are legitimate in CJK text
    explain=False,
)


def _chars(codec: str, first: int, last: int) -> str:
    out = []
    for b in range(first, last + 1):
        try:
            out.append(bytes([b]).decode(codec))
        except UnicodeDecodeError:
            continue
    return re.escape("".join(out))


_CONT = _chars("cp1250", 0x80, 0xBF)
_MOJIBAKE_1250 = re.compile(
    f"(?:[{_chars('cp1250', 0xC2, 0xDF)}][{_CONT}]"
    f"|[{_chars('cp1250', 0xE0, 0xEF)}][{_CONT}]{{2}}"
    f"|[{_chars('cp1250', 0xF0, 0xF4)}][{_CONT}]{{3}})+"
)
# Each run starts with one of these. The run pattern, a repeated alternation, is tried at every
# position of the text; this class is searched first, at a fraction of the cost, and finds none on most pages.
_LEAD_1250 = re.compile(f"[{_chars('cp1250', 0xC2, 0xF4)}]")
_LOST_SOFT_HYPHEN = re.compile(r"(?<=[a-z])[\u0102\u00c3](?=[a-z])")
_SURROGATES = re.compile("[\ud800-\udfff]")
_UNWANTED_BEFORE_FTFY = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\u00ad\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]"
)
_UNWANTED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u202a-\u202e\u2066-\u2069\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]"
)


# Characters on which one of ftfy's steps (other than its mojibake test) acts, with the steps ``_FTFY_CONFIG``
# leaves on: C1 controls, Latin ligatures, line breaks other than "\n", surrogates, terminal escapes (they
# start with ESC, one of its controls) and the controls it removes. Read from ftfy's own tables.
_FTFY_ACTS_ON = re.compile(
    "["
    + re.escape(
        "".join(map(chr, sorted(set(ftfy.chardata.LIGATURES) | set(ftfy.chardata.CONTROL_CHARS))))
        + "\r\u2028\u2029\x1b"
    )
    + "\x80-\x9f\ud800-\udfff]"
)
# Every way ftfy's badness pattern can match starts at most 2 characters before a non-ASCII one and is at most
# 7 long, so it is searched for only around non-ASCII characters (tests/extract/test_text.py reads both bounds
# from the pattern itself). Characters a few apart share one window, so that no text costs much more than
# ftfy's own search of the whole of it.
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f](?:[\x00-\x7f]{0,8}[^\x00-\x7f])*")
_BAD_BEFORE, _BAD_AFTER = 2, 7
# Its one anchored case ("^[ÃÂ] ") at the start of a line, where ftfy's per-line segments begin.
_BAD_LINE_START = re.compile("\n[\u00c3\u00c2] ")


def _ftfy_idle(text: str) -> bool:
    """True when ``ftfy.fix_text(text, config=_FTFY_CONFIG)`` would return ``text`` unchanged: ftfy fixes each
    line on its own, and on a line none of its steps acts on (its mojibake step only where
    ``ftfy.badness.is_bad`` finds some), one pass changes nothing and it stops. False means "ask ftfy"."""
    if len(text) > _FTFY_CONFIG.max_decode_length or _FTFY_ACTS_ON.search(text):
        return False
    if not unicodedata.is_normalized("NFC", text) or _BAD_LINE_START.search(text):
        return False
    bad = ftfy.badness.BADNESS_RE.search
    for run in _NON_ASCII_RUN.finditer(text):
        if bad(text, max(0, run.start() - _BAD_BEFORE), run.end() + _BAD_AFTER):
            return False
    return True


def _plausible(decoded: str) -> bool:
    for ch in decoded:
        code = ord(ch)
        if 0xA0 <= code <= 0x17F:
            continue
        if 0x2010 <= code <= 0x203A or code in (0x20AC, 0x2122):
            continue
        return False
    return True


def _fix_cp1250_run(match: re.Match[str]) -> str:
    run = match.group(0)
    try:
        decoded = run.encode("cp1250").decode("utf-8")
    except UnicodeError:
        return run
    if not _plausible(decoded):
        return run
    letters = [c for c in run if c.isalpha()]
    # All-capitals Central European text ("PĂŞUNE") must not turn into a lower-case letter.
    if len(letters) >= 2 and all(c.isupper() for c in letters) and any(c.islower() for c in decoded):
        return run
    return decoded


def _fix_cp1250(text: str) -> str:
    if not _LEAD_1250.search(text):
        return text
    for _ in range(3):  # mojibake can be layered (encoded twice); each pass peels one layer
        fixed = _MOJIBAKE_1250.sub(_fix_cp1250_run, text)
        if fixed == text:
            break
        text = fixed
    return text


def _drop_surrogates(s: str) -> str:
    """Join valid surrogate pairs into their character and drop lone surrogates."""
    if not _SURROGATES.search(s):
        return s
    return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")


def repair_text(s: str) -> str:
    """Fix mojibake and strip invisible or dangerous characters; NFC. Never raises on a ``str``."""
    if not s:
        return ""
    if s.isascii():  # nothing for ftfy to repair; only controls to drop (and ftfy costs per line)
        return _UNWANTED.sub("", s.replace("\r\n", "\n").replace("\r", "\n"))
    text = _drop_surrogates(s)
    # Before ftfy: a run of characters shared by cp1250 and cp1252 encodes to the same bytes in both, so this
    # cannot undo ftfy's own (cp1252) repairs, and ftfy then sees text that is already clean.
    text = _fix_cp1250(text)
    # What ftfy sees should be what a second pass would see; C1 controls stay, ftfy reads them as cp1252.
    text = _UNWANTED_BEFORE_FTFY.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    try:
        if not _ftfy_idle(text):
            text = ftfy.fix_text(text, config=_FTFY_CONFIG)
    except Exception:  # ftfy is a heuristic; a failure must not lose the text
        logger.debug("ftfy failed; continuing without it", exc_info=True)
    # U+FFFD marks bytes lost in decoding: it carries nothing a reader can use.
    text = _fix_cp1250(_UNWANTED.sub("", text).replace("\ufffd", ""))  # ftfy's C1 repairs can complete cp1250
    # Its lookbehind is tried at every position of the text: only text with one of the two letters is searched.
    if "\u0102" in text or "\u00c3" in text:
        text = _LOST_SOFT_HYPHEN.sub("\u00ed", text)
    return unicodedata.normalize("NFC", text)


# -- decoding ---------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# A page may put its declaration late (after a long <head> comment or inline script); browsers stop at
# 1024 bytes, we look further because a wrong guess costs more here than a slower one.
_PRESCAN_BYTES = 32_768
# Each <meta> is scanned only up to the next "<" or ">", so a page of unclosed "<meta" stays linear.
_META_TAG = re.compile(rb"<meta\b([^<>]{0,2048})", re.IGNORECASE)
_CHARSET_ATTR = re.compile(rb"""\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
# What the web means by these labels (WHATWG Encoding Standard): Latin-1 and ASCII are read as windows-1252.
_LABEL_ALIASES = {"latin_1": "cp1252", "ascii": "cp1252", "iso8859_1": "cp1252", "iso8859_9": "cp1254"}
# Single-byte encodings tried, in order of preference, when nothing declares one (ties go to the first).
_GUESSES = ("cp1252", "iso8859_2", "cp1250", "cp1251")
_MULTIBYTE_GUESSES = frozenset(
    {
        "shift_jis",
        "cp932",
        "euc_jp",
        "iso2022_jp",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
        "big5hkscs",
        "euc_kr",
        "cp949",
        "johab",
    }
)
_WORD = re.compile(r"\w+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_UTF8_SHAPED = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_NON_ASCII_LATIN_RUN = re.compile(r"[\u00c0-\u024f]{3,}")


def normalize_charset(label: str | None) -> str | None:
    """Python's codec name for a charset label, with the web's aliases applied; None when unknown."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip().strip("\"'").lower())
    except (LookupError, ValueError):
        return None
    # Python also registers bytes-to-bytes codecs under charset-like names ("zlib", "base64", "hex"); a page
    # must not pick a decompressor. UTF-7 is banned on the web (it smuggles markup past filters).
    if not getattr(info, "_is_text_encoding", True) or info.name in ("utf-7", "utf_7"):
        return None
    name = info.name.replace("-", "_")
    return _LABEL_ALIASES.get(name, name)


def _declared_in_document(head: bytes) -> str | None:
    match = _XML_ENCODING.match(head)
    if not match:
        for tag in _META_TAG.finditer(head):
            match = _CHARSET_ATTR.search(tag.group(1))
            if match:
                break
    if not match:
        return None
    name = normalize_charset(match.group(1).decode("ascii", "ignore"))
    # A document that could be read to find an ASCII <meta> is not UTF-16/32, whatever it says.
    if name and name.startswith(("utf_16", "utf_32")):
        return "utf_8"
    return name


def _mostly_utf8(content: bytes) -> bool:
    """UTF-8 with a few broken sequences (an encoded surrogate, a truncated character), not a legacy encoding.

    In UTF-8 nearly every byte above 0x7F sits in a lead-plus-continuation run; in windows-1252 or Latin-1
    text an accented letter is one high byte between ASCII letters, which never has that shape.
    """
    high = sum(1 for b in content if b >= 0x80) if len(content) < 4096 else len(_HIGH_BYTE.findall(content))
    if not high:
        return False
    shaped = sum(len(m) for m in _UTF8_SHAPED.findall(content))
    return shaped * 100 >= high * 95


def _implausibility(text: str) -> int:
    """How unlike natural text a decoding looks: symbols inside words, runs of accented letters, controls."""
    penalty = 0
    n = len(text)
    for match in _NON_ASCII.finditer(text):
        i, ch = match.start(), match.group()
        category = unicodedata.category(ch)
        if category[0] == "C":
            penalty += 10
        elif not ch.isalpha() and 0 < i < n - 1 and text[i - 1].isalpha() and text[i + 1].isalpha():
            penalty += 3
        elif ch.isupper() and i > 0 and text[i - 1].islower():
            penalty += 1
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        penalty += 2 * len(_NON_ASCII_LATIN_RUN.findall(word))
        has_latin = any("a" <= c.lower() <= "z" or "\u00c0" <= c <= "\u024f" for c in word)
        if has_latin and any("\u0400" <= c <= "\u04ff" for c in word):
            penalty += 5
    return penalty


def _guess_encoding(content: bytes) -> str:
    sample = content[: _PRESCAN_BYTES * 2]
    high = sum(1 for b in sample if b >= 0x80)
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        # A multi-byte guess needs a few characters' worth of evidence; a stray byte is a Latin letter.
        if high >= 8 and best is not None and normalize_charset(best.encoding) in _MULTIBYTE_GUESSES:
            return normalize_charset(best.encoding) or "cp1252"
    except Exception:  # an optional helper; its failure only costs a guess
        logger.debug("charset_normalizer failed", exc_info=True)
    # Only the non-ASCII stretches matter, with a little context for the in-word checks.
    scores: list[tuple[int, int, str]] = []
    for rank, codec in enumerate(_GUESSES):
        decoded = sample.decode(codec, "replace")
        scores.append((_implausibility(decoded), rank, codec))
    return min(scores)[2]


def decode_html(content: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode a page's bytes; returns (text, codec name). Never raises.

    Order: byte-order mark; valid UTF-8 (also when a header claims Latin-1: valid multi-byte UTF-8 is
    practically never an accident); the Content-Type charset (``declared``); a ``<meta charset>`` or XML
    declaration; then a guess among windows-1252, ISO-8859-2, windows-1250 and windows-1251 by how natural
    the result looks (CJK multi-byte encodings from charset_normalizer). A page declaring UTF-8 that is not
    is guessed too.
    """
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :].decode(codec, "replace"), codec.replace("-", "_")
    header = normalize_charset(declared)
    if header and header.startswith(("utf_16", "utf_32")):
        return content.decode(header, "replace"), header
    try:
        return content.decode("utf-8"), "utf_8"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(content):
        return content.decode("utf-8", "replace"), "utf_8"
    for candidate in (header, _declared_in_document(content[:_PRESCAN_BYTES])):
        if not candidate or candidate == "utf_8":
            continue
        codec = candidate
        try:
            return content.decode(codec), codec
        except UnicodeDecodeError:
            decoded = content.decode(codec, "replace")
            if decoded.count("\ufffd") * 100 <= len(decoded):
                return decoded, codec
        except LookupError:
            continue
    codec = _guess_encoding(content)
    return content.decode(codec, "replace"), codec


_identifier: Any = None
_identifier_lock = threading.Lock()
_MIN_LETTERS = 20
_MIN_PROBABILITY = 0.5


def _get_identifier() -> Any:
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language ("en", "es"), or None when too short or unsure."""
    if not text:
        return None
    sample = text[:5000]
    letters = 0
    for c in sample:  # enough letters: usually within the first words
        if c.isalpha():
            letters += 1
            if letters >= _MIN_LETTERS:
                break
    else:
        return None
    try:
        lang, prob = _get_identifier().classify(sample)
    except Exception:
        logger.debug("language identification failed", exc_info=True)
        return None
    if prob < _MIN_PROBABILITY or len(lang) != 2:
        return None
    return str(lang)


__all__ = ["decode_html", "detect_language", "normalize_charset", "repair_text"]
