"""One host per section: the live site routes by the Host header (over real HTTP on 127.0.0.1), the static
build writes one folder per host, and everything stays as it was with the setting off."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gazette.config import Settings, load_settings
from gazette.errors import ConfigError
from gazette.publish.hosts import SectionHosts
from gazette.publish.static import build_site
from gazette.store.db import Database
from tests.publish.publish_corpus import LiveServer, corpus_settings, fill, free_port, section_hosts_server

GAZETTE = [sys.executable, "-c", "from gazette.cli import app; app()"]
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
DOMAIN = "example.test"
_CANONICAL = re.compile(r'<link rel="canonical" href="([^"]+)">')
_HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The corpus served with section hosts on, behind the response cache (what `gazette serve` runs)."""
    with section_hosts_server(tmp_path_factory.mktemp("hosts"), DOMAIN) as server:
        yield server


def _get(server: LiveServer, host: str, path: str) -> httpx.Response:
    with httpx.Client(base_url=server.base_url, follow_redirects=False, timeout=10) as client:
        return client.get(path, headers={"Host": host})


def _host(server: LiveServer, section: str | None = None) -> str:
    return f"{section}.{DOMAIN}:{server.port}" if section else f"{DOMAIN}:{server.port}"


def _origin(server: LiveServer, section: str | None = None) -> str:
    return f"http://{_host(server, section)}"


def _canonical(html: str) -> str:
    found = _CANONICAL.search(html)
    assert found is not None
    return found.group(1)


def _article_links(html: str, origin: str) -> list[str]:
    return [h for h in _HREF.findall(html) if h.startswith(origin + "/content/")]


# --- settings ----------------------------------------------------------------------------------------


def test_section_hosts_are_off_by_default_and_need_a_base_domain() -> None:
    settings = Settings()
    assert settings.site.section_hosts is False and settings.site.base_domain == ""
    assert SectionHosts.from_settings(settings) is None
    with pytest.raises(ConfigError, match=r"site\.base_domain"):
        load_settings(env={"GAZETTE_SITE_SECTION_HOSTS": "true"})
    with pytest.raises(ConfigError, match=r"site\.base_domain"):
        load_settings(
            env={"GAZETTE_SITE_SECTION_HOSTS": "true", "GAZETTE_SITE_BASE_DOMAIN": "https://x.org/"}
        )
    hosts = SectionHosts.from_settings(
        load_settings(
            env={
                "GAZETTE_SITE_SECTION_HOSTS": "true",
                "GAZETTE_SITE_BASE_DOMAIN": "Example.ORG",
                "GAZETTE_SITE_BASE_URL": "https://news.example.org",
            }
        )
    )
    assert hosts is not None
    assert hosts.url("/politics-government/page/2/") == "https://politics-government.example.org/page/2/"
    assert (
        hosts.url("/content/2026/02/10/x.html", "health")
        == "https://health.example.org/content/2026/02/10/x.html"
    )
    assert hosts.url("/source/x/") == "https://example.org/source/x/"
    assert hosts.section_of("Health.example.org:443") == "health"
    assert hosts.section_of("example.org") is None and hosts.section_of("health.example.net") is None


# --- the live site -----------------------------------------------------------------------------------


def test_section_host_serves_its_section_at_root_with_pagination(hosted: LiveServer) -> None:
    politics = _host(hosted, "politics-government")
    home = _get(hosted, politics, "/")
    assert home.status_code == 200
    assert "<h1>Politics and Government</h1>" in home.text
    assert _canonical(home.text) == _origin(hosted, "politics-government") + "/"
    assert f'href="{_origin(hosted, "politics-government")}/feed.rss"' in home.text
    assert f'href="{_origin(hosted, "politics-government")}/page/2/"' in home.text
    assert len(_article_links(home.text, _origin(hosted, "politics-government"))) >= 5
    second = _get(hosted, politics, "/page/2/")
    assert second.status_code == 200
    assert _canonical(second.text) == _origin(hosted, "politics-government") + "/page/2/"
    assert _get(hosted, politics, "/page/3/").status_code == 404


def test_article_answers_on_its_section_host_and_301_elsewhere(hosted: LiveServer) -> None:
    origin = _origin(hosted, "politics-government")
    url = _article_links(_get(hosted, _host(hosted, "politics-government"), "/").text, origin)[0]
    path = url.removeprefix(origin)
    page = _get(hosted, _host(hosted, "politics-government"), path)
    assert page.status_code == 200
    assert _canonical(page.text) == url
    assert f'id="permalink" href="{url}"' in page.text
    for wrong in (_host(hosted), _host(hosted, "health"), f"127.0.0.1:{hosted.port}"):
        moved = _get(hosted, wrong, path + "?view=print")
        assert moved.status_code == 301, wrong
        assert moved.headers["location"] == url + "?view=print"


def test_base_domain_section_paths_answer_301_to_the_section_host(hosted: LiveServer) -> None:
    origin = _origin(hosted, "politics-government")
    for path, target in (
        ("/politics-government/", "/"),
        ("/politics-government/page/2/", "/page/2/"),
        ("/politics-government/feed.atom", "/feed.atom"),
    ):
        moved = _get(hosted, _host(hosted), path)
        assert moved.status_code == 301, path
        assert moved.headers["location"] == origin + target
    # a base-domain page asked on a section host goes back to the base domain
    moved = _get(hosted, _host(hosted, "politics-government"), "/source/harbour-ledger/")
    assert moved.status_code == 301
    assert moved.headers["location"] == _origin(hosted) + "/source/harbour-ledger/"


def test_unknown_host_gets_the_base_domain_site(hosted: LiveServer) -> None:
    front = _get(hosted, _host(hosted), "/")
    assert front.status_code == 200 and _canonical(front.text) == _origin(hosted) + "/"
    for host in (f"127.0.0.1:{hosted.port}", "news.other.invalid", f"no-such-section.{DOMAIN}:{hosted.port}"):
        other = _get(hosted, host, "/")
        assert other.status_code == 200, host
        assert other.text == front.text, host
    assert _get(hosted, f"127.0.0.1:{hosted.port}", "/source/harbour-ledger/").status_code == 200


def test_front_page_links_sections_and_articles_on_their_hosts(hosted: LiveServer) -> None:
    front = _get(hosted, _host(hosted), "/").text
    for section in ("politics-government", "business-finance", "health"):
        assert f'href="{_origin(hosted, section)}/"' in front
    assert _article_links(front, _origin(hosted, "health"))
    assert not _article_links(front, _origin(hosted))  # every corpus article has a section
    assert f'href="{_origin(hosted)}/source/harbour-ledger/"' in front


def test_response_cache_is_keyed_by_host(hosted: LiveServer) -> None:
    answers: dict[str, list[str]] = {}
    for _round in range(2):
        for section in ("politics-government", "health", None):
            answers.setdefault(str(section), []).append(_get(hosted, _host(hosted, section), "/").text)
    assert all(first == again for first, again in answers.values())
    assert "<h1>Health</h1>" in answers["health"][1]
    assert "<h1>Politics and Government</h1>" in answers["politics-government"][1]
    assert len({first for first, _ in answers.values()}) == 3


def test_feeds_use_the_section_host(hosted: LiveServer) -> None:
    origin = _origin(hosted, "health")
    rss = ET.fromstring(_get(hosted, _host(hosted, "health"), "/feed.rss").content)
    links = [item.findtext("link") for item in rss.iter("item")]
    assert links and all(link and link.startswith(origin + "/content/") for link in links)
    assert rss.findtext("channel/link") == origin + "/"
    site_feed = json.loads(_get(hosted, _host(hosted), "/feed.json").text)
    assert site_feed["feed_url"] == _origin(hosted) + "/feed.json"
    for item in site_feed["items"]:
        host = httpx.URL(item["url"]).host
        assert host.endswith("." + DOMAIN) and host != DOMAIN


def test_api_article_urls_name_the_section_host(hosted: LiveServer) -> None:
    answer = _get(hosted, _host(hosted), "/api/articles?section=health").json()
    assert answer["items"]
    assert all(item["url"].startswith(_origin(hosted, "health") + "/content/") for item in answer["items"])


def test_each_host_has_its_own_sitemap_and_robots(hosted: LiveServer) -> None:
    origin = _origin(hosted, "politics-government")
    sitemap = ET.fromstring(_get(hosted, _host(hosted, "politics-government"), "/sitemap.xml").content)
    locs = [loc.text or "" for loc in sitemap.iter(f"{SITEMAP}loc")]
    assert origin + "/" in locs and origin + "/page/2/" in locs
    assert sum(1 for loc in locs if loc.startswith(origin + "/content/")) == 7
    assert all(loc.startswith(origin + "/") for loc in locs)
    base = ET.fromstring(_get(hosted, _host(hosted), "/sitemap.xml").content)
    base_locs = [loc.text or "" for loc in base.iter(f"{SITEMAP}loc")]
    assert _origin(hosted) + "/" in base_locs and _origin(hosted) + "/source/harbour-ledger/" in base_locs
    assert all(loc.startswith(_origin(hosted) + "/") for loc in base_locs)
    robots = _get(hosted, _host(hosted, "politics-government"), "/robots.txt").text
    assert f"Sitemap: {origin}/sitemap.xml" in robots
    assert f"Sitemap: {_origin(hosted)}/sitemap.xml" in _get(hosted, _host(hosted), "/robots.txt").text


def test_section_host_pages_allow_the_search_form_on_the_base_domain(hosted: LiveServer) -> None:
    page = _get(hosted, _host(hosted, "health"), "/")
    assert f'action="{_origin(hosted)}/search"' in page.text
    assert f"form-action 'self' {_origin(hosted)}" in page.headers["content-security-policy"]


def test_off_by_default_a_section_host_name_changes_nothing(tmp_path: Path) -> None:
    port = free_port()
    settings = corpus_settings(
        f"sqlite:///{tmp_path}/c.db", base_url=f"http://127.0.0.1:{port}", base_domain=DOMAIN
    )
    db = Database(settings.database_url)
    db.init()
    fill(db)
    try:
        with LiveServer(settings, db, port=port) as server:
            section = _get(server, f"politics-government.{DOMAIN}", "/politics-government/")
            assert section.status_code == 200
            assert _canonical(section.text) == server.base_url + "/politics-government/"
            front = _get(server, f"politics-government.{DOMAIN}", "/")
            assert _canonical(front.text) == server.base_url + "/"
    finally:
        db.dispose()


# --- the static build --------------------------------------------------------------------------------


def test_build_writes_one_folder_per_host(tmp_path: Path) -> None:
    settings = corpus_settings(
        f"sqlite:///{tmp_path}/c.db",
        base_url="https://gazette.example.org",
        section_hosts=True,
        base_domain="example.org",
    )
    db = Database(settings.database_url)
    db.init()
    fill(db)
    try:
        report = build_site(settings, db, tmp_path / "out")
        again = build_site(settings, db, tmp_path / "out")  # incremental: nothing changed, nothing written
        one_host = tmp_path / "one-host"
        build_site(settings, db, one_host)
        # switched off, the next build leaves one site at the top and no host folder behind
        build_site(corpus_settings(settings.database_url, base_url="https://example.org"), db, one_host)
    finally:
        db.dispose()
    assert (one_host / "index.html").is_file() and (one_host / "_headers").is_file()
    assert sorted(p.name for p in one_host.iterdir() if p.name.endswith(".org")) == []
    assert again.written == [] and again.removed == [] and sorted(again.unchanged) == sorted(report.written)
    out = tmp_path / "out"
    assert report.broken == []
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == sorted(
        [
            "example.org",
            "politics-government.example.org",
            "business-finance.example.org",
            "science-technology.example.org",
            "health.example.org",
            "environment.example.org",
        ]
    )
    politics = out / "politics-government.example.org"
    home = (politics / "index.html").read_text()
    assert "<h1>Politics and Government</h1>" in home
    assert _canonical(home) == "https://politics-government.example.org/"
    assert (
        _canonical((politics / "page/2/index.html").read_text())
        == "https://politics-government.example.org/page/2/"
    )
    articles = sorted(politics.glob("content/*/*/*/*.html"))
    assert len(articles) == 7
    first = articles[0]
    url = "https://politics-government.example.org/" + first.relative_to(politics).as_posix()
    assert _canonical(first.read_text()) == url
    assert not (out / "example.org/content").exists()
    assert not (out / "example.org/politics-government").exists()
    front = (out / "example.org/index.html").read_text()
    assert 'href="https://politics-government.example.org/"' in front
    assert _canonical(front) == "https://example.org/"
    for folder in folders:
        for name in ("robots.txt", "sitemap.xml", "404.html", "_headers"):
            assert (out / folder / name).is_file(), (folder, name)
        assert list((out / folder / "assets").glob("gazette.*.css")), folder
        locs = [loc.text or "" for loc in ET.parse(out / folder / "sitemap.xml").iter(f"{SITEMAP}loc")]
        assert locs and all(loc.startswith(f"https://{folder}/") for loc in locs), folder
    rss = ET.parse(politics / "feed.rss")
    assert all(
        (link.text or "").startswith("https://politics-government.example.org/content/")
        for link in rss.iter("link")
        if "/content/" in (link.text or "")
    )
    assert (politics / "feed.json").is_file() and (
        out / "example.org/source/harbour-ledger/index.html"
    ).is_file()


@pytest.mark.parametrize("command", ["serve", "run"])
def test_gazette_serve_and_run_route_by_host(tmp_path: Path, command: str) -> None:
    """The real `gazette serve` and `gazette run` processes, configured by a file, answer each host with its
    own site."""
    db_url = f"sqlite:///{tmp_path}/c.db"
    db = Database(db_url)
    db.init()
    fill(db)
    db.dispose()
    port = free_port()
    config = tmp_path / "gazette.toml"
    config.write_text(
        f'database_url = "{db_url}"\n[site]\nbase_url = "http://127.0.0.1:{port}"\npage_size = 5\n'
        f'section_hosts = true\nbase_domain = "{DOMAIN}"\n',
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [*GAZETTE, command, "--port", str(port), "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        origin = f"http://politics-government.{DOMAIN}:{port}"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=False, timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    home = client.get("/", headers={"Host": f"politics-government.{DOMAIN}:{port}"})
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and time.monotonic() < deadline, "gazette serve did not start"
                    time.sleep(0.2)
            assert home.status_code == 200 and "<h1>Politics and Government</h1>" in home.text
            assert _canonical(home.text) == origin + "/"
            moved = client.get("/politics-government/page/2/", headers={"Host": f"{DOMAIN}:{port}"})
            assert moved.status_code == 301 and moved.headers["location"] == origin + "/page/2/"
            front = client.get("/", headers={"Host": f"{DOMAIN}:{port}"})
            assert _canonical(front.text) == f"http://{DOMAIN}:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
