"""Articles written for the search tests, in English and Spanish, each there to prove one behaviour.

Expectations (the tests rely on them):
- "blackout": "Venezuela blackout leaves Bolívar in the dark" (singular) and "Guayana mines halt after outage"
  (only "blackouts", and "Ciudad Bolivar" without its accent).
- "prisoners" only in "Released prisoners face travel bans"; "Excarcelados" and "Mérida" only in the Spanish
  "Excarcelados cuatro presos en Mérida"; "apagón" / "apagones" only in the Spanish "Apagón deja sin luz a
  Bolívar y Aragua".
- "power cut" is a phrase only in the first blackout article; "Cut flower growers" has both words apart.
- "smelters" is in the title of "Smelters reopen in Guayana" (older) and in the text of the mines article.
- "timetable": two articles with the same words, 30 days apart. "ferry": an old article about it (title and
  text) and a recent one that names it once in passing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gazette import models

DAY = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

# (title, text, language, days after DAY)
ARTICLES: list[tuple[str, str, str, int]] = [
    (
        "Venezuela blackout leaves Bolívar in the dark",
        "A blackout hit the state of Bolívar on Monday. The power cut spread across the region as the grid "
        "failed, and hospitals ran on generators.",
        "en",
        10,
    ),
    (
        "Guayana mines halt after outage",
        "Miners said the blackouts stopped the smelters for two days. Officials in Ciudad Bolivar blamed the "
        "grid and promised repairs.",
        "en",
        11,
    ),
    (
        "Released prisoners face travel bans",
        "The prisoners freed in Caracas must report to a court every week, their lawyers said.",
        "en",
        12,
    ),
    (
        "Excarcelados cuatro presos en Mérida",
        "Los cuatro excarcelados deberán presentarse ante el tribunal cada semana. Sus familias los recibieron "
        "en la plaza.",
        "es",
        13,
    ),
    (
        "Apagón deja sin luz a Bolívar y Aragua",
        "El apagón afectó a tres estados durante la noche. Los vecinos dicen que los cortes se repiten desde "
        "marzo en el oriente del país.",
        "es",
        14,
    ),
    (
        "Assembly passes the harbour budget",
        "The assembly approved the harbour budget after a long debate on power and water prices.",
        "en",
        15,
    ),
    (
        "Cut flower growers look abroad",
        "Growers cut costs as power prices rose, and now sell roses to buyers in Miami.",
        "en",
        16,
    ),
    (
        "Smelters reopen in Guayana",
        "Workers returned to the furnaces on Friday after a week of repairs.",
        "en",
        1,
    ),
    (
        "Ferry timetable for the dry season",
        "The port authority published a new timetable for the island crossings.",
        "en",
        2,
    ),
    (
        "New timetable for the dry season",
        "The port authority published a new timetable for the island crossings.",
        "en",
        32,
    ),
    (
        "Tobago ferry strike ends",
        "The ferry crews went back to work after the ferry company agreed to a new contract; ferry trips "
        "resume on Monday.",
        "en",
        0,
    ),
    (
        "Market prices steady in Scarborough",
        "Vendors said prices held steady this week, though one arrived late because of a delayed ferry.",
        "en",
        60,
    ),
    (
        "Safe words in unsafe markup",
        "The page said <script>alert(1)</script> & more about the harbour cranes.",
        "en",
        3,
    ),
]


def build() -> list[tuple[str, models.Article]]:
    """(source name, article) pairs for ``tests.publish.publish_corpus.fill``; deterministic."""
    out = []
    for i, (title, text, language, days) in enumerate(ARTICLES):
        source = "Diario del Llano" if language == "es" else "Harbour Ledger"
        when = DAY + timedelta(days=days)
        out.append(
            (
                source,
                models.Article(
                    url=f"https://search.example/{i}",
                    canonical_url=f"https://search.example/{i}",
                    title=title,
                    text=text,
                    published_at=when,
                    fetched_at=when,
                    language=language,
                    content_hash=f"search-{i}",
                    source=source,
                ),
            )
        )
    return out


NOW = DAY + timedelta(days=61)  # "today" for the ranking tests: a day after the newest article
