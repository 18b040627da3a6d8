"""Text repair (mojibake, invisible characters) and language identification."""

from __future__ import annotations

import codecs
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
