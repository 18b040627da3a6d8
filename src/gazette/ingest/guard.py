"""Ingest: the address guard every fetch passes before a socket opens (SSRF and DNS-rebinding defence).

A URL is fetched only when its scheme is http or https and every address its host resolves to is a
public (``ipaddress`` ``is_global``) unicast address, unless the host or the address is listed exactly in
``allow_hosts``. The addresses that passed are returned so the caller connects to them and only them:
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
    """True for a global unicast address; addresses embedding an IPv4 one are judged by that one."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip.teredo is not None:
            embedded = ip.teredo[1]
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    # is_global alone would pass IPv4-compatible forms such as ::7f00:1 (reserved ::/8) and multicast.
    return bool(ip.is_global) and not (ip.is_multicast or ip.is_reserved)


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
