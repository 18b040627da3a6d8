"""The fetcher's foundations (issue 9, items 17 and 18): connections pinned through public httpx/httpcore
API only, and private addresses decided by the IANA special-purpose registries, not by the Python release."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gazette.errors import BlockedAddress, FetchError
from tests.hostile.cases import case
from tests.hostile.conftest import CONNECTS, Desk
from tests.hostile.server import ALLOWED_NAME

# Addresses Python 3.11.7's ipaddress calls global although IANA marks them not globally reachable.
SPECIAL = ["192.0.0.8", "192.0.0.100", "192.88.99.1", "3fff::1"]


def _literal(address: str, port: int, path: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}{path}"


@case("special_addresses")
def test_special_purpose_literals_and_names_are_refused_before_any_socket(desk: Desk) -> None:
    desk.seed()
    port = desk.server.port
    urls = [_literal(a, port, f"/canary/literal-{i}") for i, a in enumerate(SPECIAL)]
    for i, address in enumerate(SPECIAL):
        desk.resolver.answers[f"special{i}.test"] = [[address]]
        urls.append(desk.server.url(f"/canary/name-{i}", f"special{i}.test"))
    with CONNECTS.active() as connects, desk.fetcher() as fetcher:
        for url in urls:
            with pytest.raises(BlockedAddress) as err:
                fetcher.fetch(url)
            assert "not public" in err.value.reason
    assert connects == []  # refused by the guard, not by the test's firewall
    report = desk.ingest(*urls)
    assert report.feeds_failed == len(urls) and report.new == 0
    for url in urls:
        assert "not public" in desk.failed(report, url)
    desk.assert_clean()


@case("special_addresses")
@pytest.mark.parametrize("address", SPECIAL)
def test_redirect_to_a_special_purpose_address_is_refused_at_that_hop(desk: Desk, address: str) -> None:
    desk.seed()
    url = desk.server.redirect("/moved.xml", _literal(address, desk.server.port, "/canary/redirected"))
    item_feed = (
        f'<rss version="2.0"><channel><title>Bait</title><link>{desk.base}/</link><item><title>Dummy</title>'
        f"<link>{_literal(address, desk.server.port, '/canary/item')}</link></item></channel></rss>"
    )
    bait = desk.server.static("/bait.xml", item_feed.encode(), "application/rss+xml")
    with CONNECTS.active() as connects, desk.fetcher() as fetcher:
        with pytest.raises(BlockedAddress):
            fetcher.fetch(url)
    assert {addr for addr, _ in connects} <= {"127.0.0.1"}  # only the allowed first hop connected
    report = desk.ingest(url, bait)
    desk.failed(report, url)
    refused = [f for f in report.failures if f.url not in (url, bait)]
    assert refused and all("not public" in f.reason for f in refused), refused
    desk.assert_clean()


@case("pinned_transport")
def test_pinning_does_not_depend_on_httpx_private_pool(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """The day httpx renames HTTPTransport's private ``_pool`` (simulated here), fetching still works and
    still connects only to the checked address; the old pinning replaced that attribute and broke."""
    original = httpx.HTTPTransport.__init__

    def renamed(self: httpx.HTTPTransport, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._renamed_pool = self.__dict__.pop("_pool")  # type: ignore[attr-defined]

    monkeypatch.setattr(httpx.HTTPTransport, "__init__", renamed)
    desk.server.static("/pinned.xml", desk.fixture("rss_basic.xml"), "application/rss+xml")
    desk.resolver.answers["rebind3.test"] = [["93.184.216.34"], ["127.0.0.1"]]
    with CONNECTS.active() as connects, desk.fetcher() as fetcher:
        doc = fetcher.fetch(desk.server.url("/pinned.xml"))
        assert doc.content == desk.fixture("rss_basic.xml")
        with pytest.raises(FetchError) as err:
            fetcher.fetch(desk.server.url("/canary/rebind", "rebind3.test"))
    assert not isinstance(err.value, BlockedAddress)  # passed the check, then the pinned connect failed
    assert {addr for addr, _ in connects} == {"127.0.0.1", "93.184.216.34"}
    assert desk.resolver.calls.count("rebind3.test") == 1
    # The name, not the address, went out in the Host header.
    assert [h.host for h in desk.server.hits] == [ALLOWED_NAME, ALLOWED_NAME]  # robots.txt, then the feed
    desk.assert_no_forbidden_hits()


@case("pinned_transport")
def test_transport_is_httpx_public_extension_point(desk: Desk) -> None:
    """The fetcher's transport is a ``BaseTransport`` of its own, not httpx's HTTPTransport with its
    internals replaced; errors come out as httpx's public exception classes, mapped to FetchError."""
    from gazette.ingest.transport import PinnedTransport

    assert issubclass(PinnedTransport, httpx.BaseTransport)
    assert not issubclass(PinnedTransport, httpx.HTTPTransport)
    closed = desk.server.url("/closed")
    desk.server.add("/closed", lambda h: h.reset())
    with desk.fetcher() as fetcher, pytest.raises(FetchError) as err:
        fetcher.fetch(closed)
    assert "broken response" in err.value.reason or "ReadError" in err.value.reason, err.value.reason
