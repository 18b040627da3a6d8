"""The JSON API under /api/: listing with filters and cursor pagination, one article, sections, locales, sources, search."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient


def walk(client: TestClient, path: str, **params: str) -> list[dict[str, Any]]:
    """Every item of a cursor-paginated list."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        answer = response.json()
        items.extend(answer["items"])
        cursor = answer["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")


def test_articles_cursor_pagination_visits_every_article_once(client: TestClient) -> None:
    items = walk(client, "/api/articles", limit="4")
    assert len(items) == 27
    assert len({item["id"] for item in items}) == 27
    keys = [item["published_at"] or item["fetched_at"] for item in items]
    assert keys == sorted(keys, reverse=True)
    first = items[0]
    assert set(first) >= {
        "id",
        "url",
        "path",
        "title",
        "source",
        "section",
        "published_at",
        "language",
        "locales",
    }
    assert first["url"] == f"http://gazette.test{first['path']}"
    assert client.get(first["path"]).status_code == 200


def test_article_filters(client: TestClient) -> None:
    assert len(walk(client, "/api/articles", section="health")) == 5
    assert len(walk(client, "/api/articles", source="diario-del-llano")) == 6
    assert len(walk(client, "/api/articles", language="es")) == 6
    venezuela = walk(client, "/api/articles", locale="venezuela")
    assert [a["locales"] for a in venezuela] == [["Bolívar", "Nueva Esparta", "Aragua", "VENEZUELA"]]
    assert len(walk(client, "/api/articles", locale="venezuela/aragua")) == 1
    assert len(walk(client, "/api/articles", **{"from": "2026-02-17", "to": "2026-02-18"})) == 6
    both = client.get("/api/articles", params={"section": "health", "source": "valley-courier"}).json()
    assert both["filters"] == {"section": "health", "source": "valley-courier"}
    assert {a["source"]["slug"] for a in both["items"]} == {"valley-courier"}
    assert {a["section"]["slug"] for a in both["items"]} == {"health"}


def test_one_article_with_brief_and_places(client: TestClient) -> None:
    items = walk(client, "/api/articles", limit="100")
    prisoners = next(a for a in items if a["title"] == "Released prisoners face travel bans")
    data = client.get(f"/api/articles/{prisoners['id']}").json()
    assert data["text"] is None  # Valley Courier does not allow republishing
    assert [b["kind"] for b in data["brief"]] == ["extracted", "rewritten"]
    assert data["brief"][1]["source_passage"] == "Families in Maracay describe a freedom with conditions."
    assert {p["name"] for p in data["places"]} == {"Bolívar", "Nueva Esparta", "Maracay", "Venezuela"}
    harbour = next(a for a in items if a["title"] == "Assembly debates the harbour budget")
    assert "quarterly report" in client.get(f"/api/articles/{harbour['id']}").json()["text"]
    ferry = next(a for a in items if a["title"] == "Council delays the ferry tender")
    assert ferry["original_url"] is None  # a javascript: URL is never handed out
    assert client.get("/api/articles/999999").status_code == 404


def test_sections_locales_sources(client: TestClient) -> None:
    sections = client.get("/api/sections").json()["items"]
    assert [(s["slug"], s["count"]) for s in sections] == [
        ("politics-government", 7),
        ("business-finance", 6),
        ("science-technology", 6),
        ("health", 5),
        ("environment", 3),
    ]
    locales = client.get("/api/locales").json()["items"]
    venezuela = next(c for c in locales if c["slug"] == "venezuela")
    assert venezuela["country_code"] == "VE" and venezuela["path"] == "/locale/venezuela/"
    assert {r["slug"] for r in venezuela["regions"]} == {"bolivar", "nueva-esparta", "aragua"}
    sources = client.get("/api/sources").json()["items"]
    assert [(s["slug"], s["count"]) for s in sources] == [
        ("diario-del-llano", 6),
        ("harbour-ledger", 12),
        ("valley-courier", 9),
    ]


def test_search_endpoint(client: TestClient) -> None:
    answer = client.get("/api/search", params={"q": "desalination", "limit": "2"}).json()
    assert answer["total"] == 3 and len(answer["items"]) == 2
    assert all("<mark>" in item["snippet_html"] for item in answer["items"])
    rest = client.get("/api/search", params={"q": "desalination", "cursor": answer["next_cursor"]}).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    titles = {i["title"] for i in answer["items"] + rest["items"]}
    assert len(titles) == 3
    filtered = client.get("/api/search", params={"q": "desalination", "section": "environment"}).json()
    assert [i["title"] for i in filtered["items"]] == ["Desalination brine worries divers"]
    assert client.get("/api/search").status_code == 400  # q is required


def test_openapi_document(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    listing = spec["paths"]["/api/articles"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert names == {"section", "source", "locale", "language", "from", "to", "cursor", "limit"}
    assert all(p.get("description") for p in listing["parameters"])
    assert not any(path.startswith("/content") for path in spec["paths"])  # pages are not API
    # errors are documented as the API answers them: 400/404 with an error object, never FastAPI's 422
    assert set(listing["responses"]) == {"200", "400", "404"}
    assert "422" not in client.get("/api/openapi.json").text
    bad = client.get("/api/articles", params={"limit": "0"})
    assert bad.status_code == 400 and set(bad.json()["error"]) == {"status", "message"}
