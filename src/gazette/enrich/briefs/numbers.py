"""Enrichment, briefs: find the numbers a text states (digits or words, with their units)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "%": "percent", "percent": "percent", "per cent": "percent", "por ciento": "percent",
    "percentage points": "points", "points": "points", "puntos": "points",
    "$": "$", "dollar": "$", "dollars": "$", "usd": "$", "dólares": "$", "dolares": "$",
    "€": "€", "euro": "€", "euros": "€", "eur": "€",
    "£": "£", "pound": "£", "pounds": "£", "gbp": "£", "libras": "£", "¥": "¥", "yen": "¥",
    "km/h": "km/h", "kph": "km/h", "kmh": "km/h", "kilometres per hour": "km/h", "kilometers per hour": "km/h",
    "kilómetros por hora": "km/h", "mph": "mph", "miles per hour": "mph",
    "km": "km", "kilometre": "km", "kilometres": "km", "kilometer": "km", "kilometers": "km",
    "kilómetros": "km", "kilometros": "km", "mile": "mile", "miles": "mile",
    "kg": "kg", "kilogram": "kg", "kilograms": "kg", "kilos": "kg", "kilogramos": "kg",
    "tonne": "t", "tonnes": "t", "ton": "t", "tons": "t", "toneladas": "t",
    "metre": "m", "metres": "m", "meter": "m", "meters": "m", "metros": "m",
    "foot": "ft", "feet": "ft", "ft": "ft", "degree": "deg", "degrees": "deg", "°": "deg", "grados": "deg",
    "year": "year", "years": "year", "años": "year", "anos": "year", "año": "year",
    "month": "month", "months": "month", "meses": "month", "mes": "month",
    "week": "week", "weeks": "week", "semanas": "week", "day": "day", "days": "day", "días": "day",
    "dias": "day", "hour": "hour", "hours": "hour", "horas": "hour", "minute": "minute",
    "minutes": "minute", "minutos": "minute",
}  # fmt: skip
_MULTIPLIERS = {
    "thousand": 1e3, "k": 1e3, "mil": 1e3, "million": 1e6, "millions": 1e6, "m": 1e6, "mn": 1e6,
    "millón": 1e6, "millon": 1e6, "millones": 1e6, "billion": 1e9, "billions": 1e9, "bn": 1e9,
    "trillion": 1e12, "billones": 1e12,
}  # fmt: skip
_SMALL = {
    "zero": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
    "cero": 0, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15,
    "dieciséis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19, "veinte": 20,
    "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80,
    "noventa": 90, "cien": 100, "ciento": 100, "doscientos": 200, "trescientos": 300,
    "cuatrocientos": 400, "quinientos": 500, "seiscientos": 600, "setecientos": 700,
    "ochocientos": 800, "novecientos": 900,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "mil": 1e3,
           "millón": 1e6, "millones": 1e6}  # fmt: skip
_NUMBER_WORDS = set(_SMALL) | set(_SCALES) | {"one", "and", "y"}

_UNIT_ALT = "|".join(sorted((re.escape(u) for u in _UNITS if u not in "$€£¥"), key=len, reverse=True))
_MULT_ALT = "|".join(sorted(_MULTIPLIERS, key=len, reverse=True))
_DIGITS = re.compile(
    rf"(?P<cur>[$€£¥])?\s?(?<![\w.,])(?P<num>\d+(?:[.,]\d+)*)(?P<ord>st|nd|rd|th|º|ª)?"
    rf"(?:\s?(?P<mult>{_MULT_ALT})\b)?(?:\s?(?P<unit>{_UNIT_ALT})(?!\w))?",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)


@dataclass(frozen=True)
class NumberMention:
    """A number in a text: the values its spelling allows, and its unit if one follows."""

    text: str
    values: frozenset[float]
    unit: str | None
    start: int
    end: int


def _readings(num: str) -> set[float]:
    """Values a digit string may mean: "3,500" is 3500 (English) or 3.5 (Spanish)."""
    out: set[float] = set()
    groups = re.split(r"[.,]", num)
    seps = re.findall(r"[.,]", num)
    if not seps:
        return {float(num)}
    if all(len(g) == 3 for g in groups[1:]):
        out.add(float("".join(groups)))  # separators group thousands
    if len(seps) == 1 or len(set(seps)) == 2:
        whole = "".join(groups[:-1])
        out.add(float(f"{whole}.{groups[-1]}"))
    return out


def _canonical(value: float) -> float:
    return round(value, 6)


def find_numbers(text: str) -> list[NumberMention]:
    """Numbers stated in ``text``: digits ("3.5 million", "$20bn", "20th", "45%") and words
    ("two hundred", "twenty-five", "dos mil"). "one" counts only before a scale or unit word."""
    mentions: list[NumberMention] = []
    taken: list[tuple[int, int]] = []
    for match in _DIGITS.finditer(text):
        values = _readings(match.group("num"))
        mult = match.group("mult")
        if mult:
            mult_key = mult.lower()
            if mult_key in {"m", "k"} and mult != mult_key and not match.group("cur"):
                mult_key = ""  # "5 M" without a currency is more likely a unit or a label
            values = {v * _MULTIPLIERS.get(mult_key, 1) for v in values}
        unit = match.group("unit")
        unit_key = _UNITS.get(unit.lower()) if unit else None
        if match.group("cur"):
            unit_key = _UNITS[match.group("cur")]
        mentions.append(
            NumberMention(
                match.group(0).strip(),
                frozenset(_canonical(v) for v in values),
                unit_key,
                match.start(),
                match.end(),
            )
        )
        taken.append((match.start(), match.end()))
    for mention in _spelled_numbers(text):
        if not any(start < mention.end and mention.start < end for start, end in taken):
            mentions.append(mention)
    mentions.sort(key=lambda m: m.start)
    return mentions


def _spelled_numbers(text: str) -> list[NumberMention]:
    words = list(_WORDS.finditer(text))
    out: list[NumberMention] = []
    i = 0
    while i < len(words):
        parts = words[i].group(0).lower().split("-")
        if not all(p in _NUMBER_WORDS for p in parts) or parts[0] in {"and", "y"}:
            i += 1
            continue
        j = i
        tokens: list[str] = []
        while j < len(words) and all(p in _NUMBER_WORDS for p in words[j].group(0).lower().split("-")):
            if j > i and text[words[j - 1].end() : words[j].start()].strip() not in {"", "-"}:
                break
            tokens.extend(words[j].group(0).lower().split("-"))
            j += 1
        while tokens and tokens[-1] in {"and", "y"}:
            tokens.pop()
            j -= 1
        next_word = words[j].group(0).lower() if j < len(words) else ""
        if tokens == ["one"] and next_word not in _UNITS:
            i = j
            continue
        if all(t in {"one", "and", "y"} or t in _SCALES for t in tokens) and "one" not in tokens:
            i = j  # "thousand" or "million" alone ("thousands of") is no figure
            continue
        value = _words_value(tokens)
        start, end = words[i].start(), words[j - 1].end()
        unit = _UNITS.get(next_word) if next_word in _UNITS and next_word not in _MULTIPLIERS else None
        out.append(NumberMention(text[start:end], frozenset({_canonical(value)}), unit, start, end))
        i = j
    return out


def _words_value(tokens: list[str]) -> float:
    total = 0.0
    current = 0.0
    for token in tokens:
        if token in {"and", "y"}:
            continue
        if token == "one":
            current += 1
        elif token in _SMALL:
            current += _SMALL[token]
        elif token == "hundred":
            current = (current or 1) * 100
        elif token in _SCALES:
            total += (current or 1) * _SCALES[token]
            current = 0
    return total + current
