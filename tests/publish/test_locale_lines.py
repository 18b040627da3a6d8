"""Places that span countries on pages: each region names its country, and a region page says which one it is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from gazette import models
from gazette.config import Settings
from gazette.publish.app import create_app
from gazette.store.db import Database
from tests.publish.conftest import article_path, parse
from tests.publish.publish_corpus import BASE_DAY, build_articles, corpus_settings, fill

TITLE = "El metro de Bogotá recibe sus primeros trenes"
# As the demo article was tagged: a Colombian Bolívar (Cartagena) beside a Venezuelan Distrito Capital
# (the "avenida Caracas" read as the city), and Bogotá, a city with no region of its own.
BOGOTA = [
    models.Locale("Bogotá", "city", "CO", "Colombia", salience=3.0, mentions=4),
    models.Locale("Cartagena", "city", "CO", "Colombia", "CO-BOL", "Bolívar", salience=1.2),
    models.Locale("Caracas", "city", "VE", "Venezuela", "VE-A", "Distrito Capital", salience=0.9),
    models.Locale("Colombia", "country", "CO", "Colombia", salience=0.5),
]


def bogota_article() -> models.Article:
    text = "La primera línea del metro de Bogotá recibió sus primeros trenes, llegados por Cartagena."
    return models.Article(
        url="https://diario-del-llano.example/news/metro",
        canonical_url="https://canonical.example/metro",
        title=TITLE,
        text=text,
        html=f"<p>{text}</p>",
        published_at=BASE_DAY + timedelta(days=15),
        fetched_at=BASE_DAY + timedelta(days=21),
        language="es",
        content_hash="hash-metro",
        source="Diario del Llano",
        section=models.SectionAssignment("Business and Finance", "business-finance", 0.9, "feed"),
        locales=list(BOGOTA),
        brief=[models.BriefSentence(0, text, 0, len(text))],
    )


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    settings: Settings = corpus_settings(db_url)
    db = Database(db_url)
    db.init()
    fill(db, [*build_articles(), ("Diario del Llano", bogota_article())])
    try:
        yield TestClient(create_app(settings, db), raise_server_exceptions=False)
    finally:
        db.dispose()


def locales_line(html: str) -> str:
    found = re.search(r'<p class="locales">(.*?)</p>', html, re.S)
    assert found, "no Locales line"
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_regions_name_their_country_when_places_span_countries(client: TestClient) -> None:
    page = client.get(article_path(client, TITLE))
    assert page.status_code == 200
    assert locales_line(page.text) == (
        "Locales: Bolívar (Colombia), Distrito Capital (Venezuela), COLOMBIA, VENEZUELA"
    )
    links = {a["href"] for a in parse(page.text).find("a")}
    assert {"/locale/colombia/bolivar/", "/locale/venezuela/distrito-capital/"} <= links

    # The Venezuela page lists the article: its card says the Bolívar is Colombia's.
    venezuela = client.get("/locale/venezuela/")
    assert venezuela.status_code == 200
    assert "Bolívar (Colombia), Distrito Capital (Venezuela), COLOMBIA, VENEZUELA" in venezuela.text


def test_one_country_line_is_unchanged(client: TestClient) -> None:
    page = client.get(article_path(client, "Released prisoners face travel bans"))
    assert locales_line(page.text) == "Locales: Bolívar, Nueva Esparta, Aragua, VENEZUELA"


def test_region_pages_of_one_name_say_which_country(client: TestClient) -> None:
    colombian = client.get("/locale/colombia/bolivar/")
    venezuelan = client.get("/locale/venezuela/bolivar/")
    assert colombian.status_code == venezuelan.status_code == 200
    assert parse(colombian.text).h1 == ["Bolívar, Colombia"]
    assert parse(venezuelan.text).h1 == ["Bolívar, Venezuela"]
    assert TITLE in colombian.text and TITLE not in venezuelan.text
