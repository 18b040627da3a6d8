"""The address guard on its own: every literal form, resolver answers, schemes and the allow-list."""

from __future__ import annotations

import ipaddress

import pytest

from gazette.errors import BlockedAddress
from gazette.ingest.guard import (
    SPECIAL_PURPOSE,
    check_url,
    is_public_address,
    parse_ip_literal,
    special_purpose,
)


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


# One address inside each block of the IANA special-purpose registries, with the answer the registry gives
# (written out here, not read from the table, so a wrong row in the table fails). Python's own is_global
# disagrees on several of these depending on the patch release (192.0.0.8 is "global" on 3.11.7).
SPECIAL_SAMPLES = [
    ("0.1.2.3", False, "0.0.0.0/8"),
    ("0.0.0.0", False, "0.0.0.0/32"),
    ("10.20.30.40", False, "10.0.0.0/8"),
    ("100.100.1.1", False, "100.64.0.0/10"),
    ("127.8.8.8", False, "127.0.0.0/8"),
    ("169.254.169.254", False, "169.254.0.0/16"),
    ("172.31.255.1", False, "172.16.0.0/12"),
    ("192.0.0.100", False, "192.0.0.0/24"),
    ("192.0.0.3", False, "192.0.0.0/29"),
    ("192.0.0.8", False, "192.0.0.8/32"),
    ("192.0.0.9", True, "192.0.0.9/32"),
    ("192.0.0.10", True, "192.0.0.10/32"),
    ("192.0.0.170", False, "192.0.0.170/32"),
    ("192.0.0.171", False, "192.0.0.171/32"),
    ("192.0.2.7", False, "192.0.2.0/24"),
    ("192.31.196.1", True, "192.31.196.0/24"),
    ("192.52.193.1", True, "192.52.193.0/24"),
    ("192.88.99.1", False, "192.88.99.0/24"),
    ("192.168.1.1", False, "192.168.0.0/16"),
    ("192.175.48.6", True, "192.175.48.0/24"),
    ("198.19.0.1", False, "198.18.0.0/15"),
    ("198.51.100.9", False, "198.51.100.0/24"),
    ("203.0.113.9", False, "203.0.113.0/24"),
    ("250.1.2.3", False, "240.0.0.0/4"),
    ("255.255.255.255", False, "255.255.255.255/32"),
    ("::1", False, "::1/128"),
    ("::", False, "::/128"),
    ("::ffff:7f00:1", False, "::ffff:0:0/96"),
    ("64:ff9b::5db8:d822", True, "64:ff9b::/96"),  # embeds 93.184.216.34
    ("64:ff9b:1::1", False, "64:ff9b:1::/48"),
    ("100::1", False, "100::/64"),
    ("100:0:0:1::1", False, "100:0:0:1::/64"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False, "2001::/32"),  # Teredo (judged by the embedded client)
    ("2001:1::1", True, "2001:1::1/128"),
    ("2001:1::2", True, "2001:1::2/128"),
    ("2001:1::3", True, "2001:1::3/128"),
    ("2001:1::4", False, "2001::/23"),
    ("2001:2::1", False, "2001:2::/48"),
    ("2001:3::1", True, "2001:3::/32"),
    ("2001:4:112::1", True, "2001:4:112::/48"),
    ("2001:10::1", False, "2001:10::/28"),
    ("2001:20::1", True, "2001:20::/28"),
    ("2001:30::1", True, "2001:30::/28"),
    ("2001:db8::1", False, "2001:db8::/32"),
    ("2002:7f00:1::1", False, "2002::/16"),  # 6to4 of 127.0.0.1
    ("2620:4f:8000::1", True, "2620:4f:8000::/48"),
    ("3fff::1", False, "3fff::/20"),
    ("5f00::1", False, "5f00::/16"),
    ("fd12:3456::1", False, "fc00::/7"),
    ("fe80::1", False, "fe80::/10"),
]


@pytest.mark.parametrize(("address", "public", "block"), SPECIAL_SAMPLES)
def test_iana_special_purpose_block(address: str, public: bool, block: str) -> None:
    ip = ipaddress.ip_address(address)
    assert is_public_address(ip) is public
    holder = special_purpose(ip)
    assert holder is not None and holder[0] == str(ipaddress.ip_network(block))
    url = f"http://[{address}]/" if ":" in address else f"http://{address}/"
    if public:
        assert check_url(url).addresses == (str(ip),)
    else:
        with pytest.raises(BlockedAddress):
            check_url(url)


def test_every_registry_block_has_a_sample() -> None:
    sampled = {str(ipaddress.ip_network(block)) for _, _, block in SPECIAL_SAMPLES}
    table = {str(ipaddress.ip_network(cidr)) for cidr, _, _ in SPECIAL_PURPOSE}
    assert table == sampled


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("224.0.0.1", False),  # multicast: not a unicast destination
        ("239.255.255.250", False),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("ff02::1", False),
        ("4000::1", False),  # outside 2000::/3: not allocated as global unicast
        ("::7f00:1", False),  # IPv4-compatible (deprecated), in ::/8
        ("2002:5db8:d822::1", True),  # 6to4 of a public address
    ],
)
def test_addresses_outside_the_special_registry(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public
