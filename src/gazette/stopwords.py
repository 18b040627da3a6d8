"""Stop words: one list per language of the function words that carry no topic, in folded form
(``textfold.fold``), shared by story clustering and the brief verifier.

Only function words belong here (articles, pronouns, prepositions, auxiliaries, "said"). Words that a stage
finds too common for its own purpose (news-time words such as weekdays for clustering) stay with that stage.
Search keeps every word on purpose: a reader's phrase needs its small words.
"""

from __future__ import annotations

from collections.abc import Mapping

STOP_WORDS: Mapping[str, frozenset[str]] = {
    "en": frozenset(
        """
        a about according after again against all also although am an and any are as at be because been before
        being between both but by can could did do does doing during each few for from further had has have having
        he her here hers him his how i if in into is it it's its just may me might more most must my no nor not
        now of off on once one only onto or other our out over own said same say says shall she should since so
        some still such s t than that the their theirs them then there these they this those though through to
        told too under until up upon us very via was we were what when where which while who whom whose why will
        with within without would you your
        """.split()
    ),
    "es": frozenset(
        """
        al ante bajo como con contra cual cuando cuyo de del desde dijo donde durante e el ella ellas ellos en
        entre era eran es esa ese eso esta estas este esto estos fue fueron ha habia han hasta hay la las le les
        lo los mas me mi muy ni no nos o otra otro para pero por porque que quien quienes se segun ser si sin
        sino sobre son su sus tambien tras un una uno unos unas y ya
        """.split()
    ),
    "fr": frozenset(
        "au aux avec ce ces dans des du elle en et il ils la le les leur mais ou par pas pour qui sur un une".split()
    ),
    "pt": frozenset("ao aos com da das do dos em na nas no nos os ou pela pelo um uma".split()),
}


def stop_words(*languages: str) -> frozenset[str]:
    """The stop words of the given languages together (every language Gazette has a list for when none is
    named); a language without a list adds nothing."""
    chosen = languages or tuple(STOP_WORDS)
    return frozenset().union(*(STOP_WORDS.get(lang, frozenset()) for lang in chosen))


__all__ = ["STOP_WORDS", "stop_words"]
