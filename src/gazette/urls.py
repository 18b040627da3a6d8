"""URL canonicalization shared by ingest (dedup of feed entries) and extract (an article's canonical URL).

Decisions, so one article fetched under several URLs gets one key:

- scheme and host are lowercased, a trailing dot on the host is dropped, IDN hosts become punycode, the
  default port (80 for http, 443 for https) and any ``user:password@`` part are dropped;
- the fragment is dropped (it never reaches the server);
- tracking parameters (``utm_*``, ``fbclid``, ``gclid`` … see ``TRACKING_PARAMS``) are dropped and the
  remaining ones are sorted by name (a stable sort, so repeated names keep their order);
- percent-encoding is normalized: escapes of unreserved characters are decoded, other escapes get upper-case
  hex, characters that may not appear raw (spaces, non-ASCII) are encoded as UTF-8;
- dot segments (``/a/./b/../c``) are resolved and an empty path becomes ``/`` (the same resource by RFC 3986).

Left alone on purpose: the path's case (servers may treat ``/A`` and ``/a`` differently), a trailing slash
(``/news`` and ``/news/`` are distinct resources on many servers), ``+`` in queries, and ``http`` versus
``https`` (a site can serve different things on each; ``url_identity`` gives a scheme- and ``www.``-blind key
for matching when a publisher flips every link to https). Non-http(s) input is only trimmed.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger(__name__)

TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_ga",
        "_gl",
        "yclid",
        "ref_src",
        "ref_url",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mkt_tok",
        "_hsenc",
        "_hsmi",
        "hsctatracking",
        "vero_id",
        "vero_conv",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "s_cid",
        "wickedid",
        "__twitter_impression",
        "ocid",
        "spm",
        "cmpid",
    }
)
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "pk_", "mtm_", "__hs", "hsa_")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
_PATH_SAFE = _UNRESERVED | _SUB_DELIMS | frozenset(":@/")
_QUERY_SAFE = (_UNRESERVED | _SUB_DELIMS | frozenset(":@/?")) - frozenset("&")
_HEX = frozenset("0123456789abcdefABCDEF")
# Browsers drop these anywhere in a URL, so they cannot distinguish two URLs.
_STRIP_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def _clean(url: str) -> str:
    return _STRIP_CHARS.sub("", url).strip(" \u00a0\u200b\ufeff")


def _normalize_escapes(part: str, safe: frozenset[str]) -> str:
    """Decode escaped unreserved characters, upper-case other escapes, escape what may not appear raw."""
    out: list[str] = []
    i = 0
    n = len(part)
    while i < n:
        ch = part[i]
        if ch == "%":
            if i + 2 < n and part[i + 1] in _HEX and part[i + 2] in _HEX:
                byte = int(part[i + 1 : i + 3], 16)
                decoded = chr(byte)
                out.append(decoded if decoded in _UNRESERVED else f"%{byte:02X}")
                i += 3
                continue
            out.append("%25")
        elif ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on an absolute path."""
    if "." not in path:
        return path
    segments = path.split("/")
    output: list[str] = []
    for seg in segments[1:]:
        if seg == ".":
            continue
        if seg == "..":
            if output:
                output.pop()
            continue
        output.append(seg)
    if segments[-1] in (".", ".."):
        output.append("")
    return "/" + "/".join(output)


def _normalize_host(host: str) -> str:
    host = host.lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host  # not a valid IDN; kept as-is so the result stays stable


def _is_tracking(name: str) -> bool:
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """The canonical form of an http(s) URL (see the module docstring); other input is only trimmed.

    Never raises; canonicalize_url(canonicalize_url(u)) == canonicalize_url(u).
    """
    cleaned = _clean(url)
    try:
        parts = urlsplit(cleaned)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            return cleaned
        host = parts.hostname or ""
        try:
            port = parts.port
        except ValueError:
            return cleaned
    except ValueError:
        return cleaned
    if not host:
        return cleaned
    host = _normalize_host(host)
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"

    path = _remove_dot_segments(_normalize_escapes(parts.path or "/", _PATH_SAFE))
    if not path.startswith("/"):
        path = "/" + path

    params: list[tuple[str, str]] = []
    for item in parts.query.split("&"):
        if not item:
            continue
        name, sep, value = item.partition("=")
        name = _normalize_escapes(name, _QUERY_SAFE - frozenset("="))
        if _is_tracking(name):
            continue
        params.append((name, sep + _normalize_escapes(value, _QUERY_SAFE)))
    params.sort(key=lambda p: p[0])
    query = "&".join(name + value for name, value in params)
    return urlunsplit((scheme, netloc, path, query, ""))


def is_http_url(url: str | None) -> bool:
    """True for an absolute http or https URL with a host."""
    if not url:
        return False
    try:
        parts = urlsplit(_clean(url))
        return parts.scheme.lower() in _DEFAULT_PORTS and bool(parts.hostname)
    except ValueError:
        return False


def _site_host(url: str) -> str | None:
    try:
        host = urlsplit(_clean(url)).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    return host[4:] if host.startswith("www.") else host


def same_site(a: str, b: str) -> bool:
    """True when both URLs have the same host, ignoring case, a trailing dot and a leading ``www.``.

    Deliberately stricter than a registrable-domain test: ``news.example.com`` and ``blog.example.com`` are
    different sites here, so a page cannot claim a canonical URL on a sibling host it may not control.
    """
    ha, hb = _site_host(a), _site_host(b)
    return ha is not None and ha == hb


def url_identity(url: str) -> str:
    """A matching key that ignores the scheme and a leading ``www.``: ``example.com/path?query``.

    For dedup only (a publisher that moves every link from http to https should not create new articles);
    never a link to show.
    """
    canonical = canonicalize_url(url)
    if not is_http_url(canonical):
        return canonical
    rest = canonical.split("://", 1)[1]
    return rest[4:] if rest.startswith("www.") else rest


__all__ = ["TRACKING_PARAMS", "canonicalize_url", "is_http_url", "same_site", "url_identity"]
