"""Ingest: the address guard every fetch passes before a socket opens (SSRF and DNS-rebinding defence).

A URL is fetched only when its scheme is http or https and every address its host resolves to is a
public unicast address, unless the host or the address is listed exactly in ``allow_hosts``. "Public" is
decided by the table below, copied from the IANA special-purpose address registries, not by ``ipaddress``'s
``is_global``, whose answer changes with the Python patch release (192.0.0.8 is "global" on 3.11.7). The addresses that passed are returned so the caller connects to them and only them:
resolving a second time at connect time would let a name answer "public" to the check and "loopback"
to the connection.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from gazette.errors import BlockedAddress

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

# What inet_aton accepts: one to four parts, each decimal, octal (leading 0) or hex (0x).
_INET_ATON_RE = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.IGNORECASE)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

# The IANA IPv4 and IPv6 Special-Purpose Address Registries (iana.org/assignments/iana-ipv4-special-registry
# and iana-ipv6-special-registry, as of 2025): each block and its "Globally Reachable" column. The most
# specific block containing an address decides (192.0.0.9/32 is reachable inside the unreachable
# 192.0.0.0/24); a block the registry marks N/A (deprecated relays, ORCHID) is treated as unreachable. The
# IPv6 blocks that embed an IPv4 address (::ffff:0:0/96, 64:ff9b::/96, 2001::/32 Teredo, 2002::/16 6to4) are
# judged by that IPv4 address before this table is consulted.
SPECIAL_PURPOSE: tuple[tuple[str, bool, str], ...] = (
    # IPv4
    ("0.0.0.0/8", False, "this network"),
    ("0.0.0.0/32", False, "this host on this network"),
    ("10.0.0.0/8", False, "private use"),
    ("100.64.0.0/10", False, "shared address space (CGNAT)"),
    ("127.0.0.0/8", False, "loopback"),
    ("169.254.0.0/16", False, "link local"),
    ("172.16.0.0/12", False, "private use"),
    ("192.0.0.0/24", False, "IETF protocol assignments"),
    ("192.0.0.0/29", False, "IPv4 service continuity prefix"),
    ("192.0.0.8/32", False, "IPv4 dummy address"),
    ("192.0.0.9/32", True, "Port Control Protocol anycast"),
    ("192.0.0.10/32", True, "TURN anycast"),
    ("192.0.0.170/32", False, "NAT64/DNS64 discovery"),
    ("192.0.0.171/32", False, "NAT64/DNS64 discovery"),
    ("192.0.2.0/24", False, "documentation (TEST-NET-1)"),
    ("192.31.196.0/24", True, "AS112-v4"),
    ("192.52.193.0/24", True, "AMT"),
    ("192.88.99.0/24", False, "deprecated 6to4 relay anycast"),
    ("192.168.0.0/16", False, "private use"),
    ("192.175.48.0/24", True, "direct delegation AS112 service"),
    ("198.18.0.0/15", False, "benchmarking"),
    ("198.51.100.0/24", False, "documentation (TEST-NET-2)"),
    ("203.0.113.0/24", False, "documentation (TEST-NET-3)"),
    ("240.0.0.0/4", False, "reserved"),
    ("255.255.255.255/32", False, "limited broadcast"),
    # IPv6
    ("::1/128", False, "loopback"),
    ("::/128", False, "unspecified"),
    ("::ffff:0:0/96", False, "IPv4-mapped"),
    ("64:ff9b::/96", True, "IPv4-IPv6 translation"),
    ("64:ff9b:1::/48", False, "local-use IPv4/IPv6 translation"),
    ("100::/64", False, "discard-only"),
    ("100:0:0:1::/64", False, "dummy IPv6 prefix"),
    ("2001::/23", False, "IETF protocol assignments"),
    ("2001::/32", False, "Teredo"),
    ("2001:1::1/128", True, "Port Control Protocol anycast"),
    ("2001:1::2/128", True, "TURN anycast"),
    ("2001:1::3/128", True, "DNS-SD service registration protocol anycast"),
    ("2001:2::/48", False, "benchmarking"),
    ("2001:3::/32", True, "AMT"),
    ("2001:4:112::/48", True, "AS112-v6"),
    ("2001:10::/28", False, "deprecated ORCHID"),
    ("2001:20::/28", True, "ORCHIDv2"),
    ("2001:30::/28", True, "drone remote ID entity tags"),
    ("2001:db8::/32", False, "documentation"),
    ("2002::/16", False, "6to4"),
    ("2620:4f:8000::/48", True, "direct delegation AS112 service"),
    ("3fff::/20", False, "documentation"),
    ("5f00::/16", False, "segment routing (SRv6) SIDs"),
    ("fc00::/7", False, "unique local"),
    ("fe80::/10", False, "link-local unicast"),
)
_MULTICAST_V4 = ipaddress.IPv4Network("224.0.0.0/4")  # the multicast registry, not a unicast destination
# Outside 2000::/3 IANA has allocated no global unicast space (multicast, ULA, link-local and the blocks
# reserved by the IETF included); the special-purpose table then carves inside it.
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")


def _blocks(version: int) -> list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, bool]]:
    nets = [(ipaddress.ip_network(cidr), reachable) for cidr, reachable, _name in SPECIAL_PURPOSE]
    # Most specific first, so the first block that holds an address is the one that decides.
    return sorted(((n, r) for n, r in nets if n.version == version), key=lambda nr: -nr[0].prefixlen)


_SPECIAL_V4 = _blocks(4)
_SPECIAL_V6 = _blocks(6)


def special_purpose(ip: IPAddress) -> tuple[str, bool] | None:
    """The most specific special-purpose block holding ``ip`` and whether it is globally reachable."""
    for net, reachable in _SPECIAL_V4 if ip.version == 4 else _SPECIAL_V6:
        if ip in net:
            return str(net), reachable
    return None


@dataclass(frozen=True)
class Target:
    """A URL that passed the guard: where to connect, and under which name."""

    scheme: str
    host: str  # lower-case, no brackets, as it goes into the Host header and TLS SNI
    port: int
    addresses: tuple[str, ...]  # the checked addresses; connect to these only


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``getaddrinfo`` gives for ``host`` (TCP), in its order, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        addr = str(sockaddr[0]).split("%", 1)[0]
        if addr not in seen:
            seen.append(addr)
    return seen


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host string denotes by itself, with inet_aton's odd forms (``0x7f.1``, ``2130706433``,
    ``0177.0.0.1``, ``0``) read the way the C library would read them; None for a name."""
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    if _INET_ATON_RE.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text.rstrip(".")))
        except OSError:
            return None
    return None


def is_public_address(ip: IPAddress) -> bool:
    """True for a globally reachable unicast address by the IANA registries (``SPECIAL_PURPOSE``); IPv6
    addresses embedding an IPv4 one (mapped, 6to4, Teredo, NAT64) are judged by that one."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip.teredo is not None:
            embedded = ip.teredo[1]
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
        if ip not in _GLOBAL_UNICAST_V6:
            return False
    elif ip in _MULTICAST_V4:
        return False
    block = special_purpose(ip)
    return block is None or block[1]


def check_url(
    url: str,
    allow_hosts: Iterable[str] = (),
    resolver: Resolver | None = None,
) -> Target:
    """Refuse (``BlockedAddress``) a URL whose scheme or any resolved address is not allowed.

    Returns the target with the checked addresses. A host or address in ``allow_hosts`` (matched exactly,
    case-insensitively) is exempt from the public-address rule; nothing is exempt from the scheme rule.
    """
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError as exc:
        raise BlockedAddress(url, f"unreadable URL ({exc})") from exc
    if scheme not in ALLOWED_SCHEMES:
        raise BlockedAddress(url, f"scheme {scheme or '(none)'!r} is not fetched")
    if not host:
        raise BlockedAddress(url, "no host in URL")
    if port is None:
        port = DEFAULT_PORTS[scheme]
    allowed = {h.strip().lower().strip("[]") for h in allow_hosts if h.strip()}
    host_allowed = host in allowed or host.rstrip(".") in allowed

    literal = parse_ip_literal(host)
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = (resolver or system_resolver)(host, port)
        except (OSError, UnicodeError) as exc:
            # Not an address problem, but nothing can be checked, so nothing is fetched.
            raise BlockedAddress(url, f"cannot resolve host {host!r}") from exc
        if not addresses:
            raise BlockedAddress(url, f"host {host!r} resolves to no address")

    checked: list[str] = []
    for raw in addresses:
        ip = parse_ip_literal(raw)
        if ip is None:
            raise BlockedAddress(url, f"resolver gave a non-address {raw!r}")
        if not (host_allowed or str(ip) in allowed or is_public_address(ip)):
            logger.warning("refused %s: %s resolves to non-public address %s", url, host, ip)
            raise BlockedAddress(url, f"address {ip} is not public")
        checked.append(str(ip))
    return Target(scheme=scheme, host=host, port=port, addresses=tuple(checked))
