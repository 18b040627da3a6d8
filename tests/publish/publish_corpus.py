"""A small, hand-written corpus for the publish tests, stored through the real store on a real database.

Expectations the tests rely on (kept here, next to the data):
- 3 sources: "Harbour Ledger" (republishes full text), "Valley Courier" (brief only), "Diario del Llano" (Spanish).
- 5 sections: politics-government (7 articles), business-finance (6), science-technology (6), health (5),
  environment (3) — 27 articles, with page_size 5 the politics section has 2 pages.
- One article with no publication date ("date unknown"), one whose stored html carries script, an onerror
  handler and a javascript: link, one whose original URL is javascript: (must never be linked).
- Venezuela articles carry locales Bolívar (region), Nueva Esparta (region), Maracay (a city in Aragua) and
  the country, with salience in that order — the "Locales:" line is "Bolívar, Nueva Esparta, Aragua, VENEZUELA".
- The word "desalination" appears in exactly 3 articles; "quarterly" in exactly 2.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from gazette import models
from gazette.config import Settings
from gazette.publish.app import create_app
from gazette.publish.cache import cached_app
from gazette.publish.connection import UVICORN_OPTIONS
from gazette.store import articles as article_store
from gazette.store import subscriptions as feed_store
from gazette.store.db import Database
from tests.conftest import make_settings

SECTIONS = {
    "politics-government": "Politics and Government",
    "business-finance": "Business and Finance",
    "science-technology": "Science and Technology",
    "health": "Health",
    "environment": "Environment",
}
BASE_DAY = datetime(2026, 2, 10, 8, 0, tzinfo=UTC)

VENEZUELA = [
    models.Locale("Bolívar", "region", "VE", "Venezuela", "VE-F", "Bolívar", salience=0.9, mentions=3),
    models.Locale("Nueva Esparta", "region", "VE", "Venezuela", "VE-O", "Nueva Esparta", salience=0.7),
    models.Locale("Maracay", "city", "VE", "Venezuela", "VE-D", "Aragua", salience=0.5),
    models.Locale("Venezuela", "country", "VE", "Venezuela", salience=0.4),
]
COLOMBIA = [models.Locale("Antioquia", "region", "CO", "Colombia", "CO-ANT", "Antioquia", salience=0.8)]
SPAIN = [models.Locale("Andalucía", "region", "ES", "Spain", "ES-AN", "Andalucía", salience=0.6)]

# (section, source, title, paragraphs, locales)
STORIES: list[tuple[str, str, str, list[str], list[models.Locale]]] = [
    (
        "politics-government",
        "Harbour Ledger",
        "Assembly debates the harbour budget",
        [
            "The city assembly spent the evening on the harbour budget.",
            "Members asked for a quarterly report on dredging costs.",
        ],
        [],
    ),
    (
        "politics-government",
        "Valley Courier",
        "Released prisoners face travel bans",
        [
            "Prisoners released in Bolívar and Nueva Esparta must report to officials every week.",
            "Families in Maracay describe a freedom with conditions.",
            "Lawyers say the bans have no end date.",
        ],
        VENEZUELA,
    ),
    (
        "politics-government",
        "Diario del Llano",
        "El consejo aprueba el presupuesto regional",
        [
            "El consejo regional aprobó el presupuesto con nueve votos a favor.",
            "La oposición pidió más fondos para escuelas rurales.",
        ],
        [],
    ),
    (
        "politics-government",
        "Harbour Ledger",
        "Mayor names a new port commissioner",
        ["The mayor named a former pilot as port commissioner.", "The appointment needs one more vote."],
        [],
    ),
    (
        "politics-government",
        "Valley Courier",
        "Election observers publish their findings",
        [
            "Observers from four countries published findings on the regional vote.",
            "They noted long queues in Antioquia.",
        ],
        COLOMBIA,
    ),
    (
        "politics-government",
        "Harbour Ledger",
        "Council delays the ferry tender",
        ["The council delayed the ferry tender by a month.", "Operators had asked for clearer rules."],
        [],
    ),
    (
        "politics-government",
        "Diario del Llano",
        "Sin fecha: la asamblea vecinal se reúne",
        ["La asamblea vecinal se reunió en la plaza mayor.", "Los vecinos pidieron mejor alumbrado."],
        [],
    ),
    (
        "business-finance",
        "Harbour Ledger",
        "Shipping firm reports quarterly gains",
        [
            "The shipping firm reported quarterly gains on higher freight rates.",
            "Its shares rose in early trading.",
        ],
        [],
    ),
    (
        "business-finance",
        "Valley Courier",
        "Orchard cooperative borrows for cold storage",
        [
            "The orchard cooperative borrowed to build cold storage.",
            "Growers expect fewer losses after harvest.",
        ],
        [],
    ),
    (
        "business-finance",
        "Diario del Llano",
        "Los ganaderos venden más carne al exterior",
        [
            "Los ganaderos del llano vendieron más carne al exterior este año.",
            "El precio del ganado subió un diez por ciento.",
        ],
        SPAIN,
    ),
    (
        "business-finance",
        "Harbour Ledger",
        "Fish market moves to the east quay",
        ["The fish market will move to the east quay in spring.", "Traders welcomed the larger hall."],
        [],
    ),
    (
        "business-finance",
        "Valley Courier",
        "Bakery chain opens its tenth shop",
        ["A regional bakery chain opened its tenth shop downtown.", "It hired twenty people."],
        [],
    ),
    (
        "business-finance",
        "Harbour Ledger",
        "Insurers raise flood premiums",
        ["Insurers raised flood premiums for houses near the river.", "Owners can appeal the new rates."],
        [],
    ),
    (
        "science-technology",
        "Harbour Ledger",
        "Desalination plant passes its first test",
        ["Engineers ran the desalination plant at full power for a week.", "Output met the design target."],
        [],
    ),
    (
        "science-technology",
        "Valley Courier",
        "Students build a weather balloon",
        [
            "Students launched a weather balloon that reached thirty kilometres.",
            "Its camera survived the landing.",
        ],
        [],
    ),
    (
        "science-technology",
        "Diario del Llano",
        "Investigadores estudian el suelo del llano",
        ["Investigadores estudian cómo retiene agua el suelo del llano.", "El estudio durará dos años."],
        [],
    ),
    (
        "science-technology",
        "Harbour Ledger",
        "New sensors watch the sea wall",
        ["New sensors now watch the sea wall for cracks.", "Data goes to the harbour office every minute."],
        [],
    ),
    (
        "science-technology",
        "Valley Courier",
        "Library lends telescopes",
        ["The library now lends small telescopes for a week at a time.", "The waiting list is long."],
        [],
    ),
    (
        "science-technology",
        "Harbour Ledger",
        "Solar pumps for the desalination works",
        ["Solar pumps will power part of the desalination works.", "The trial starts in summer."],
        [],
    ),
    (
        "health",
        "Valley Courier",
        "Clinic extends evening hours",
        ["The valley clinic extends its evening hours from Monday.", "Two more nurses join the staff."],
        [],
    ),
    (
        "health",
        "Harbour Ledger",
        "Dock workers get free hearing checks",
        ["Dock workers can get free hearing checks this month.", "Noise at the cranes is the main concern."],
        [],
    ),
    (
        "health",
        "Diario del Llano",
        "Campaña de vacunación en las escuelas",
        ["La campaña de vacunación llega a las escuelas rurales.", "Los padres deben firmar un permiso."],
        [],
    ),
    (
        "health",
        "Valley Courier",
        "Hospital opens a children's ward",
        ["The hospital opened a children's ward with twelve beds.", "Local donors paid for the toys."],
        [],
    ),
    (
        "health",
        "Harbour Ledger",
        "Water board tests wells after the storm",
        ["The water board tested wells after the storm.", "All samples were clean."],
        [],
    ),
    (
        "environment",
        "Harbour Ledger",
        "Desalination brine worries divers",
        [
            "Divers fear that brine from the desalination outlet harms the reef.",
            "The operator promised a study.",
        ],
        [],
    ),
    (
        "environment",
        "Valley Courier",
        "Volunteers plant a thousand oaks",
        ["Volunteers planted a thousand oaks along the valley road.", "Schools will water them in summer."],
        [],
    ),
    (
        "environment",
        "Diario del Llano",
        "El río recupera sus peces",
        ["El río recupera sus peces tras años de limpieza.", "Los pescadores celebran la noticia."],
        [],
    ),
]

NASTY_HTML = (
    '<p>Safe paragraph.</p><script>alert("x")</script>'
    '<img src="https://img.example/a.png" onerror="alert(1)" alt="a picture">'
    '<a href="javascript:alert(2)">bad link</a> <a href="https://ok.example/">good link</a>'
)


def build_articles() -> list[tuple[str, models.Article]]:
    """(source name, article) for the whole corpus; deterministic."""
    out: list[tuple[str, models.Article]] = []
    for i, (section, source, title, paras, locales) in enumerate(STORIES):
        text = "\n\n".join(paras)
        published: datetime | None = BASE_DAY + timedelta(days=i // 3, hours=i % 3)
        if title.startswith("Sin fecha"):
            published = None
        url = f"https://{source.lower().replace(' ', '-')}.example/news/{i}"
        first_end = len(paras[0])
        brief = [models.BriefSentence(0, paras[0], 0, first_end)]
        if len(paras) > 1:
            start = text.index(paras[1])
            brief.append(models.BriefSentence(1, paras[1], start, start + len(paras[1])))
        if title == "Released prisoners face travel bans":
            brief[1] = models.BriefSentence(
                1,
                "Families in Maracay say freedom comes with conditions.",
                brief[1].source_start,
                brief[1].source_end,
                "rewritten",
                "supported",
            )
        html = "".join(f"<p>{p}</p>" for p in paras)
        if title == "Assembly debates the harbour budget":
            html = NASTY_HTML
        if title == "Council delays the ferry tender":
            url = "javascript:alert(3)"
        article = models.Article(
            url=url,
            canonical_url=f"https://canonical.example/{i}",
            title=title,
            text=text,
            html=html,
            published_at=published,
            fetched_at=BASE_DAY + timedelta(days=20, minutes=i),
            language="es" if source == "Diario del Llano" else "en",
            content_hash=f"hash-{i}",
            source=source,
            section=models.SectionAssignment(SECTIONS[section], section, 0.9, "feed"),
            locales=list(locales),
            brief=brief,
        )
        out.append((source, article))
    return out


def fill(db: Database, articles: list[tuple[str, models.Article]] | None = None) -> None:
    """Store the corpus (or the given articles) through store.save_article."""
    with db.session() as s:
        feed_ids: dict[str, tuple[int, int | None]] = {}
        for name, republish in (
            ("Harbour Ledger", True),
            ("Valley Courier", False),
            ("Diario del Llano", False),
        ):
            feed = feed_store.add_feed(
                s,
                f"https://{name.lower().replace(' ', '-')}.example/feed.xml",
                source=name,
                republish_full_text=republish,
            )
            feed_ids[name] = (feed.id, feed.source_id)
        for source, article in articles if articles is not None else build_articles():
            feed_id, source_id = feed_ids[source]
            article_store.save_article(s, article, source_id=source_id, feed_id=feed_id)


def assign_stories(db: Database) -> None:
    """Place every stored article that has no story yet, oldest first (by date, then id), as ingest does."""
    from gazette.pipeline import assign_story
    from gazette.store import stories as story_store

    with db.session() as s:
        order = story_store.article_order(s)
    for article_id in order:
        with db.session() as s:
            if story_store.membership(s, article_id) is None:
                row = story_store.articles_by_ids(s, [article_id])[article_id]
                assign_story(s, row)


def corpus_settings(url: str, **site: object) -> Settings:
    return make_settings(
        url, site={"title": "Test Gazette", "base_url": "http://gazette.test", "page_size": 5, **site}
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[tuple[Settings, Database]]:
    """Settings and a migrated SQLite database holding the corpus."""
    settings = corpus_settings(f"sqlite:///{tmp_path}/corpus.db")
    db = Database(settings.database_url)
    db.init()
    fill(db)
    try:
        yield settings, db
    finally:
        db.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """The app under uvicorn in a background thread on a free 127.0.0.1 port (or ``port``); ``cache=True``
    puts the response cache in front, as `gazette serve` does."""

    def __init__(
        self, settings: Settings, db: Database, *, port: int | None = None, cache: bool = False
    ) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        app: Any = create_app(settings, db)
        options: dict[str, Any] = {"log_level": "warning"}
        if cache:  # as `gazette serve` runs it: the cache in front, uvicorn as it is configured there
            app = cached_app(app, db, check_interval=0.0)
            options = UVICORN_OPTIONS
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, lifespan="off", **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextmanager
def section_hosts_server(folder: Path, base_domain: str) -> Iterator[LiveServer]:
    """The corpus in ``folder`` served with section hosts on under ``base_domain``, behind the response cache
    (what `gazette serve` runs)."""
    port = free_port()
    settings = corpus_settings(
        f"sqlite:///{folder}/corpus.db",
        base_url=f"http://127.0.0.1:{port}",
        section_hosts=True,
        base_domain=base_domain,
    )
    db = Database(settings.database_url)
    db.init()
    fill(db)
    try:
        with LiveServer(settings, db, port=port, cache=True) as server:
            yield server
    finally:
        db.dispose()
