"""Which URLs briefbot may fetch: http(s) only, and never an address on a private, loopback,
link-local or otherwise non-public network, however it is spelled (`0x7f.1`, `::ffff:10.0.0.1`).

Used when an admin adds a source (early, clear refusal) and again on every hop of every fetch.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from retrieval.errors import FetchError, UnsafeURLError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Ranges a test may open with allow_private=True. Link-local (cloud metadata), multicast,
# unspecified and reserved addresses stay refused even then.
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
_LEGACY_IPV4_PART = re.compile(r"^(0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$", re.IGNORECASE)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address of inet_aton-style hosts (`2130706433`, `0x7f.1`, `0177.0.0.1`), which resolvers accept."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_LEGACY_IPV4_PART.match(part) for part in parts):
        return None
    *head, last = [_legacy_part(part) for part in parts]
    if any(value > 255 for value in head) or last >= 256 ** (5 - len(parts)):
        return None
    number = sum(value * 256 ** (3 - i) for i, value in enumerate(head))
    return ipaddress.IPv4Address(number + last)


def _legacy_part(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    return int(part, 8) if len(part) > 1 and part[0] == "0" else int(part)


def _embedded_ipv4(ip: IPAddress) -> IPAddress:
    """IPv6 forms that carry an IPv4 address (`::ffff:10.0.0.1`, 6to4, Teredo) are judged by it."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return ip


def is_refused_address(ip: IPAddress, *, allow_private: bool = False) -> bool:
    ip = _embedded_ipv4(ip)
    if allow_private and (ip.is_loopback or any(ip in net for net in _PRIVATE_NETWORKS)):
        return False
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return legacy_ipv4(host)


def parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, UnicodeError) as exc:
        raise UnsafeURLError("invalid URL") from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise UnsafeURLError("refused scheme")
    if not parsed.host:
        raise UnsafeURLError("invalid URL")
    return parsed


def check_url(url: str, *, allow_private: bool = False, resolver: Resolver = system_resolver) -> IPAddress:
    """The address to connect to, or UnsafeURLError if the scheme or ANY resolved address is refused."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise UnsafeURLError("refused scheme")
    literal = literal_address(parts.hostname or "")
    if literal is not None:  # includes forms httpx will not parse, like `0177.0.0.1`
        addresses = [literal]
    else:
        parsed = parse_url(url)
        try:
            found = resolver(parsed.raw_host.decode("ascii"), port_of(parsed))
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
        except (OSError, UnicodeError, ValueError) as exc:
            raise FetchError("cannot resolve host") from exc
        if not addresses:
            raise FetchError("cannot resolve host")
    if any(is_refused_address(address, allow_private=allow_private) for address in addresses):
        raise UnsafeURLError("refused address")
    return addresses[0]


def port_of(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)
