"""The address guard on its own: every literal form, resolver answers, schemes and the allow-list."""

from __future__ import annotations

import ipaddress

import pytest

from gazette.errors import BlockedAddress
from gazette.ingest.guard import check_url, is_public_address, parse_ip_literal


def public(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("example.com", None),
        ("1.2.3.4.example", None),
        ("0x7g.1", None),
    ],
)
def test_literal_forms_read_like_the_c_library(host: str, address: str | None) -> None:
    parsed = parse_ip_literal(host)
    assert (str(parsed) if parsed else None) == address


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost.invalid.127.0.0.1/",  # a name: resolved below to loopback
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0177.0.0.1/",
        "http://0x7f.1/",
        "http://2130706433/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[2002:7f00:1::]/",
        "http://[::7f00:1]/",
        "http://100.64.0.1/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.0.1/",
        "http://0/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://224.0.0.1/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "https://255.255.255.255/",
    ],
)
def test_non_public_targets_are_refused(url: str) -> None:
    with pytest.raises(BlockedAddress):
        check_url(url, (), resolver=lambda host, port: ["127.0.0.1"])


def test_public_target_passes_with_its_addresses() -> None:
    target = check_url("https://News.Example.com:8443/feed?x=1", (), resolver=public)
    assert target.scheme == "https" and target.host == "news.example.com" and target.port == 8443
    assert target.addresses == ("93.184.216.34",)
    assert check_url("http://93.184.216.34/").addresses == ("93.184.216.34",)


def test_any_non_public_answer_refuses_the_name() -> None:
    with pytest.raises(BlockedAddress):
        check_url("http://mixed.example/", (), resolver=lambda h, p: ["93.184.216.34", "10.0.0.1"])


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://x.example/",
        "gopher://x.example/",
        "data:,x",
        "/etc/passwd",
        "",
        "http://",
    ],
)
def test_schemes_and_hostless_urls_are_refused(url: str) -> None:
    with pytest.raises(BlockedAddress):
        check_url(url, ("x.example",), resolver=public)


def test_allow_list_matches_host_or_address_exactly() -> None:
    loopback = lambda h, p: ["127.0.0.1"]  # noqa: E731
    assert check_url("http://127.0.0.1:8000/", ["127.0.0.1"]).addresses == ("127.0.0.1",)
    assert check_url("http://demo.test/", ["demo.test"], resolver=loopback).addresses == ("127.0.0.1",)
    assert check_url("http://demo.test/", ["127.0.0.1"], resolver=loopback).addresses == ("127.0.0.1",)
    assert check_url("http://[::1]:8000/", ["::1"]).addresses == ("::1",)
    for url in ("http://other.test/", "http://demo.test.evil/", "http://sub.demo.test/"):
        with pytest.raises(BlockedAddress):
            check_url(url, ["demo.test"], resolver=loopback)
    with pytest.raises(BlockedAddress):  # the allowed address does not cover another one
        check_url("http://127.0.0.2/", ["127.0.0.1"])


def test_unresolvable_name_is_refused() -> None:
    def fail(host: str, port: int) -> list[str]:
        raise OSError("no such name")

    with pytest.raises(BlockedAddress) as info:
        check_url("http://nowhere.test/", (), resolver=fail)
    assert "cannot resolve" in info.value.reason
    with pytest.raises(BlockedAddress):
        check_url("http://empty.test/", (), resolver=lambda h, p: [])
    with pytest.raises(BlockedAddress):
        check_url("http://odd.test/", (), resolver=lambda h, p: ["not-an-address"])


def test_is_public_address_judges_embedded_ipv4() -> None:
    assert is_public_address(ipaddress.ip_address("::ffff:93.184.216.34"))
    assert not is_public_address(ipaddress.ip_address("::ffff:10.0.0.1"))
    assert not is_public_address(
        ipaddress.ip_address("2001:0:4136:e378:8000:63bf:80ff:fffe")
    )  # Teredo → 127.0.0.1
    assert is_public_address(ipaddress.ip_address("2606:4700:4700::1111"))
