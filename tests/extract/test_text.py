"""Text repair (mojibake, invisible characters) and language identification."""

from __future__ import annotations

import codecs
import unicodedata
from typing import Any

import ftfy
import ftfy.badness
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazette.extract import text as text_module
from gazette.extract.text import decode_html, detect_language, normalize_charset, repair_text


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("Bol\u0102\u00advar", "Bolívar"),  # the seed page: UTF-8 read as cp1250, ftfy leaves it
        ("Bol\u00c3\u00advar", "Bolívar"),  # UTF-8 read as cp1252: ftfy's own repair
        ("Bol\u0102var", "Bolívar"),  # the seed page as served: the soft hyphen was lost
        ("Bol\u00c3var", "Bolívar"),
        (
            "Locales: Bol\u0102var, Nueva Esparta, Aragua, VENEZUELA",
            "Locales: Bolívar, Nueva Esparta, Aragua, VENEZUELA",
        ),
        ("se\u00c3\u00b1or", "señor"),
        ("se\u0102\u00b1or", "señor"),
        (
            "\u00e2\u20ac\u015bquoted\u00e2\u20ac\u0165",
            "\u201cquoted\u201d",
        ),  # cp1250 mojibake of curly quotes
        ("Kraj\u0102\u0142w", "Krajów"),
        ("\u00c5\u0081\u00c3\u00b3d\u00c5\u00ba", "Łódź"),  # cp1252-style, C1 byte kept: ftfy's repair
    ],
)
def test_mojibake_is_repaired(broken: str, fixed: str) -> None:
    assert repair_text(broken) == fixed


@pytest.mark.parametrize(
    "clean",
    [
        "Łódź, Kraków, Škoda, Žižek, Ştefan cel Mare",
        "São Paulo e Brasília",
        "PĂŞUNE ȘI PĂDURE",  # Romanian capitals stay capitals
        "Ăsta e bun",
        "ÉCOLE NORMALE",
        "Ёжик в тумане",
        "東京都の人口",
        "“Quoted” — ‘single’ … 10 €",
        "line one\n\tline two",
        "fish &amp; chips &lt;b&gt;",  # already text: entities are not decoded again
    ],
)
def test_clean_text_is_left_alone(clean: str) -> None:
    assert repair_text(clean) == clean


def test_invisible_and_dangerous_characters_are_stripped() -> None:
    dirty = "a\x00b\x07c\ufffed\uffffe\ud800f\u202eg\u2066h\u2069i\u00adj\x8fk\r\nl"
    assert repair_text(dirty) == "abcdefghijk\nl"


def test_surrogate_pairs_are_joined() -> None:
    assert repair_text("ok \ud83d\ude00") == "ok \U0001f600"


def test_nfc() -> None:
    assert repair_text("cafe\u0301") == "café"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=200))
def test_repair_never_raises_and_output_is_clean(s: str) -> None:
    out = repair_text(s)
    assert isinstance(out, str)
    assert "\x00" not in out
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in out)
    assert not any(c in out for c in "\ufffe\uffff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert not any(ord(c) < 32 and c not in "\n\t" for c in out)
    assert unicodedata.is_normalized("NFC", out)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdeñíóĂÃ\u00ad±§ŁĹľ\u20ac\u00a0 .", max_size=40))
def test_repair_is_stable_on_its_output(s: str) -> None:
    once = repair_text(s)
    assert repair_text(once) == once


# -- when ftfy is consulted ---------------------------------------------------------------------------

# Every character ftfy's badness pattern names, the ones its other steps act on, a combining mark, and the
# ASCII its pattern reads around them: strings of these hit its rules often.
_BADNESS_CHARS = sorted({c for c in ftfy.badness.BADNESS_RE.pattern if not c.isascii()})
_FTFY_ALPHABET = "".join(_BADNESS_CHARS) + "ﬁĳ\u0301\u2028\x85\x1b\ufeff" + "aZ .,!?\n-°×"


def test_ftfy_config_is_the_one_the_check_assumes() -> None:
    # _ftfy_idle knows the steps ftfy runs with this configuration; the ones it leaves off must stay off.
    config = text_module._FTFY_CONFIG
    assert config.unescape_html is False
    assert config.uncurl_quotes is False
    assert config.fix_character_width is False


def test_badness_windows_cover_every_match() -> None:
    """The windows searched around non-ASCII runs hold every match of ftfy's pattern: each alternative has a
    non-ASCII element within _BAD_BEFORE characters of its start, and no match is longer than _BAD_AFTER."""
    from re import _parser as sre_parse  # type: ignore[attr-defined]

    tree = sre_parse.parse(ftfy.badness.BADNESS_RE.pattern, ftfy.badness.BADNESS_RE.flags)
    assert tree.getwidth()[1] <= text_module._BAD_AFTER

    def may_be_ascii(item: tuple[Any, Any]) -> bool:
        op, arg = item
        if op is sre_parse.LITERAL:
            return bool(arg < 128)
        if op is sre_parse.IN:
            return any(
                o in (sre_parse.NEGATE, sre_parse.CATEGORY)
                or (o is sre_parse.LITERAL and a < 128)
                or (o is sre_parse.RANGE and a[0] < 128)
                for o, a in arg
            )
        return op in (sre_parse.ANY, sre_parse.NOT_LITERAL)

    ((branch, (_, alternatives)),) = tree.data
    assert branch is sre_parse.BRANCH
    anchored = 0
    for alternative in alternatives:
        before = 0
        for op, arg in alternative.data:
            if op is sre_parse.AT:
                anchored += 1  # "^": only at the start of the text or, per ftfy's line, after "\n"
                continue
            if op is sre_parse.MAX_REPEAT:
                low, high, sub = arg
                assert all(may_be_ascii(x) for x in sub.data)
                before += high
                continue
            if not may_be_ascii((op, arg)):
                break
            before += 1
        else:
            raise AssertionError(f"an alternative that may match ASCII alone: {alternative}")
        assert before <= text_module._BAD_BEFORE
    assert anchored == 1
    assert "^[ÃÂ][ ]" in ftfy.badness.BADNESS_RE.pattern  # the case _BAD_LINE_START covers


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from("ab XYZ.,\n"), st.sampled_from(_FTFY_ALPHABET)), max_size=30).map(
        "".join
    )
)
def test_ftfy_is_skipped_only_where_it_changes_nothing(s: str) -> None:
    if text_module._ftfy_idle(s):
        assert ftfy.fix_text(s, config=text_module._FTFY_CONFIG) == s
    # the windowed search finds what ftfy's own test finds on the whole text
    lines_bad = any(ftfy.badness.is_bad(line) for line in s.splitlines(keepends=True))
    assert not (text_module._ftfy_idle(s) and lines_bad)


@pytest.mark.parametrize(
    "clean",
    ["Łódź, Kraków", "“Quoted” — ‘single’ … 10 €", "São Paulo\nÉCOLE", "東京都の人口", "plain ascii"],
)
def test_clean_text_skips_ftfy(clean: str) -> None:
    assert text_module._ftfy_idle(clean)


@pytest.mark.parametrize(
    "broken",
    [
        "Bol\u00c3\u00advar",
        "se\u00c3\u00b1or",
        "\u00c5\u0081\u00c3\u00b3d",
        "ﬁsh",
        "a\x85b",
        "cafe\u0301",
        "1\nÃ y",
    ],
)
def test_text_ftfy_would_change_is_given_to_it(broken: str) -> None:
    assert not text_module._ftfy_idle(broken)
    assert ftfy.fix_text(broken, config=text_module._FTFY_CONFIG) != broken


def test_detect_language() -> None:
    assert (
        detect_language(
            "The recent release of political prisoners is proving to be a far more nuanced process."
        )
        == "en"
    )
    assert detect_language("El señor Bolívar llegó ayer a Caracas para reunirse con la oposición.") == "es"
    assert detect_language("Le président a annoncé mardi une réforme des retraites très contestée.") == "fr"


@pytest.mark.parametrize("text", ["", "hi", "12345 67890 !!!", "BBC News"])
def test_detect_language_unsure(text: str) -> None:
    assert detect_language(text) is None


# -- decoding ---------------------------------------------------------------------------------------

ES = "<p>El señor Bolívar llegó ayer; “día histórico”, dijo el ministro — según la oposición. ¿Qué pasó?</p>"
PL = (
    "<p>Mieszkańcy Łodzi świętowali; źródła finansowania ogłoszą w przyszłym tygodniu. Zażółć gęślą jaźń.</p>"
)
CS = "<p>Příliš žluťoučký kůň úpěl ďábelské ódy. Vláda v Praze schválila nový zákon o rozpočtu.</p>"
RU = "<p>Президент заявил во вторник, что переговоры продолжатся на следующей неделе в Москве.</p>"


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        (ES, "cp1252"),
        (PL, "iso-8859-2"),
        (PL, "cp1250"),
        (CS, "iso-8859-2"),
        (CS, "cp1250"),
        (RU, "cp1251"),
        ("<p>東京都の人口は増え続けている。政府は火曜日に新しい計画を発表した。</p>", "shift_jis"),
    ],
)
def test_undeclared_encodings_are_guessed(text: str, codec: str) -> None:
    decoded, _ = decode_html(text.encode(codec))
    assert decoded == text


def test_declarations_and_their_lies() -> None:
    # BOMs win over everything and are not part of the text.
    assert decode_html(codecs.BOM_UTF8 + ES.encode(), "iso-8859-1") == (ES, "utf_8")
    assert decode_html(codecs.BOM_UTF16_LE + PL.encode("utf-16-le"))[0] == PL
    # Valid UTF-8 under a Latin-1 header is UTF-8.
    assert decode_html(ES.encode(), "iso-8859-1")[0] == ES
    # Declared UTF-8, sent as Latin-1 / windows-1252.
    assert decode_html(ES.encode("cp1252"), "utf-8")[0] == ES
    assert decode_html(("<meta charset=utf-8>" + ES).encode("cp1252"))[0] == "<meta charset=utf-8>" + ES
    # Latin-1 labels mean windows-1252 (curly quotes in 0x80-0x9F).
    assert decode_html(ES.encode("cp1252"), "ISO-8859-1") == (ES, "cp1252")
    # A <meta> declaration found late in the document.
    late = (
        "<!--"
        + "x" * 3000
        + "--><meta http-equiv='Content-Type' content='text/html; charset=iso-8859-2'>"
        + CS
    )
    assert decode_html(late.encode("iso-8859-2"))[0] == late
    # A stray invalid byte in an otherwise UTF-8 page does not make it Latin-1.
    mostly = ES.encode() * 5 + b"\xff" + ES.encode()
    decoded, codec_name = decode_html(mostly)
    assert codec_name == "utf_8" and decoded.count("Bolívar") == 6


@pytest.mark.parametrize("label", ["zlib", "base64", "hex", "rot13", "utf-7", "bogus", ""])
def test_hostile_or_unknown_labels_are_ignored(label: str) -> None:
    assert normalize_charset(label) is None
    body = b"x\x9c" + ES.encode("cp1252")
    decoded, codec_name = decode_html(body, label)
    assert codec_name == "cp1252" and decoded.endswith(ES)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([None, "utf-8", "latin-1", "utf-16", "zlib", "x"]))
def test_decode_never_raises(content: bytes, declared: str | None) -> None:
    text, codec_name = decode_html(content, declared)
    assert isinstance(text, str) and codecs.lookup(codec_name)


def test_broken_sequences_in_utf8_stay_utf8() -> None:
    # An encoded surrogate (CESU-8) in a page that is otherwise UTF-8: the rest must not turn to mojibake.
    page = b"<meta charset=utf-8><p>Night \xed\xa0\x80 ferry to Bol\xc3\xadvar</p>"
    decoded, codec_name = decode_html(page)
    assert codec_name == "utf_8" and "Bolívar" in decoded
    assert repair_text(decoded) == "<meta charset=utf-8><p>Night  ferry to Bolívar</p>"
    # Latin-1 letters are single high bytes between ASCII letters: never UTF-8-shaped.
    assert (
        decode_html("<p>El señor Bolívar, año</p>".encode("latin-1"), "utf-8")[0]
        == "<p>El señor Bolívar, año</p>"
    )
