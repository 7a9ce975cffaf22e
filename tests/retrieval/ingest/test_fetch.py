"""SafeFetcher against real servers on 127.0.0.1: SSRF refusals, deadlines, size caps, redirects, 304."""

from __future__ import annotations

import gzip
import socket
import time
import tracemalloc
import zlib
from typing import TYPE_CHECKING

import pytest

from retrieval.errors import FetchError, UnsafeURLError
from retrieval.ingest.fetch import SafeFetcher
from retrieval.ingest.url_safety import check_url, legacy_ipv4
from retrieval.settings import Settings

if TYPE_CHECKING:
    from tests.support.http_server import LocalServer


DEADLINE_SECONDS = 1.0
SLACK_SECONDS = 1.0  # scheduling slack on a loaded 2-core machine
MAX_BYTES = 1_000_000


def fetcher(allow_private: bool, **overrides: object) -> SafeFetcher:
    options: dict[str, object] = {"timeout_seconds": DEADLINE_SECONDS, "max_bytes": MAX_BYTES}
    options.update({"max_redirects": 3, **overrides})
    return SafeFetcher(allow_private=allow_private, **options)  # type: ignore[arg-type]


REFUSED_ADDRESSES = [
    "http://127.0.0.1:{port}/",
    "http://localhost:{port}/",
    "http://2130706433:{port}/",  # decimal 127.0.0.1
    "http://0x7f.1:{port}/",  # hex + short form
    "http://0x7f000001:{port}/",
    "http://0177.0.0.1:{port}/",  # octal
    "http://127.1:{port}/",
    "http://[::1]:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:10.0.0.1]:{port}/",
    "http://[2002:7f00:1::]:{port}/",  # 6to4 wrapping 127.0.0.1
    "http://[::ffff:7f00:1]:{port}/",
    "http://[::127.0.0.1]:{port}/",  # IPv4-compatible (deprecated)
    "http://[64:ff9b::7f00:1]:{port}/",  # NAT64
    "http://[fe80::1%25eth0]:{port}/",  # link-local with a zone
    "http://0:{port}/",
    "http://0.0.0.0:{port}/",  # reaches loopback on Linux
    "http://[::]:{port}/",
    "http://10.0.0.1:{port}/",
    "http://172.16.5.4:{port}/",
    "http://192.168.1.1:{port}/",
    "http://100.64.0.1:{port}/",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fe80::1]:{port}/",
    "http://[fc00::1]:{port}/",
    "http://224.0.0.1:{port}/",
    "http://240.0.0.1:{port}/",
    "http://255.255.255.255:{port}/",
]
REFUSED_SCHEMES = [
    "file:///etc/passwd",
    "ftp://127.0.0.1:{port}/",
    "gopher://127.0.0.1:{port}/_GET",
    "data:text/plain,hello",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("template", REFUSED_ADDRESSES + REFUSED_SCHEMES)
def test_ssrf_url_is_refused_before_any_connection(template: str, canary_server: LocalServer) -> None:
    url = template.format(port=canary_server.port)
    started = time.monotonic()
    with pytest.raises(UnsafeURLError) as refused:
        fetcher(allow_private=False).fetch(url)
    assert str(refused.value) in {"refused address", "refused scheme"}
    assert time.monotonic() - started < DEADLINE_SECONDS
    assert canary_server.connections == 0
    assert canary_server.requests == []


def test_canary_is_reachable_when_a_test_allows_loopback(canary_server: LocalServer) -> None:
    """Proves the canary would have recorded a connection, so the SSRF test above can fail."""
    result = fetcher(allow_private=True).fetch(canary_server.url("/"))
    assert result.content == b"canary reached"
    assert canary_server.connections == 1


def test_private_addresses_are_refused_by_default_settings() -> None:
    assert SafeFetcher.from_settings(Settings()).allow_private is False
    with pytest.raises(UnsafeURLError):
        SafeFetcher.from_settings(Settings()).check("http://127.0.0.1/")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://0.0.0.0:{port}/", "refused address"),
        ("http://169.254.169.254/latest/meta-data/", "refused address"),
        ("file:///etc/passwd", "refused scheme"),
    ],
)
def test_every_redirect_hop_is_checked_again(
    target: str, reason: str, local_server: LocalServer, canary_server: LocalServer
) -> None:
    start = local_server.redirect("/go", target.format(port=canary_server.port))
    with pytest.raises(UnsafeURLError, match=reason):
        fetcher(allow_private=True).fetch(start)
    assert local_server.paths_requested() == ["/go"]
    assert canary_server.connections == 0


def test_any_private_address_among_several_is_refused() -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.1.2.3"]

    with pytest.raises(UnsafeURLError, match="refused address"):
        check_url("http://mixed.example.test/", resolver=resolver)


def test_connection_is_pinned_to_the_checked_address(local_server: LocalServer) -> None:
    """The name is not resolvable by the system, so success means httpx used our checked address."""
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    local_server.route("/feed", "pinned", content_type="text/plain")
    local_server.redirect("/old", "/feed")
    url = f"http://feeds.briefbot.invalid:{local_server.port}/old"
    result = fetcher(allow_private=True, resolver=resolver).fetch(url)
    assert result.content == b"pinned"
    assert result.url == f"http://feeds.briefbot.invalid:{local_server.port}/feed"
    assert lookups == ["feeds.briefbot.invalid", "feeds.briefbot.invalid"]  # once per hop
    hosts = {request.headers["host"] for request in local_server.requests}
    assert hosts == {f"feeds.briefbot.invalid:{local_server.port}"}


def test_unresolvable_host_is_a_fetch_error() -> None:
    def resolver(host: str, port: int) -> list[str]:
        raise socket.gaierror("no such host")

    with pytest.raises(FetchError, match="cannot resolve host"):
        fetcher(allow_private=False, resolver=resolver).fetch("http://nowhere.invalid/")


@pytest.mark.parametrize(
    ("host", "expected"),
    [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"), ("10.1", "10.0.0.1"),
     ("1.2.3.4", "1.2.3.4"), ("example.com", None), ("256.1.1.1", None), ("08.1", None)],
)
def test_legacy_ipv4_forms_are_decoded_like_inet_aton(host: str, expected: str | None) -> None:
    decoded = legacy_ipv4(host)
    assert (str(decoded) if decoded else None) == expected
    if expected is not None:
        assert socket.inet_ntoa(socket.inet_aton(host)) == expected


def test_never_answering_server_is_cut_at_the_deadline(local_server: LocalServer) -> None:
    url = local_server.hang("/feed")
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^timeout$"):
        fetcher(allow_private=True).fetch(url)
    assert time.monotonic() - started < DEADLINE_SECONDS + SLACK_SECONDS


def test_trickling_response_is_cut_at_the_total_deadline(local_server: LocalServer) -> None:
    """One byte every 0.2 s never trips a per-read timeout; only a total deadline stops it."""
    url = local_server.trickle("/feed", b"x" * 100, interval_seconds=0.2)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^timeout$"):
        fetcher(allow_private=True).fetch(url)
    assert time.monotonic() - started < DEADLINE_SECONDS + SLACK_SECONDS
    assert local_server.paths_requested() == ["/feed"]


def test_redirect_loop_stops_at_the_limit(local_server: LocalServer) -> None:
    local_server.redirect("/a", "/b")
    local_server.redirect("/b", "/a")
    with pytest.raises(FetchError, match="too many redirects"):
        fetcher(allow_private=True, max_redirects=3).fetch(local_server.url("/a"))
    assert len(local_server.requests) == 4  # the first request and three redirects


def test_gzip_bomb_is_cut_on_decoded_bytes_with_bounded_memory(local_server: LocalServer) -> None:
    url = local_server.gzip_bomb("/bomb.xml", decoded_bytes=50_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="too large"):
            fetcher(allow_private=True).fetch(url)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_bytes < 8 * MAX_BYTES


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_bodies_within_the_cap_are_decoded(encoding: str, local_server: LocalServer) -> None:
    text = ("Una noticia de política en español. " * 2000).encode("utf-8")
    if encoding == "gzip":
        body = gzip.compress(text)
    elif encoding == "deflate":
        body = zlib.compress(text)
    else:
        compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body = compressor.compress(text) + compressor.flush()
    header = "gzip" if encoding == "gzip" else "deflate"
    url = local_server.route("/page", body, headers={"Content-Encoding": header})
    assert fetcher(allow_private=True).fetch(url).content == text


def test_gzip_members_are_joined_and_trailing_junk_ignored(local_server: LocalServer) -> None:
    body = gzip.compress(b"first half, ") + gzip.compress(b"second half") + b"\r\n\x00junk"
    url = local_server.route("/members", body, headers={"Content-Encoding": "gzip"})
    assert fetcher(allow_private=True).fetch(url).content == b"first half, second half"


def test_declared_length_over_the_cap_is_refused(local_server: LocalServer) -> None:
    url = local_server.route("/big", b"a" * (MAX_BYTES + 1))
    with pytest.raises(FetchError, match="too large"):
        fetcher(allow_private=True).fetch(url)


def test_http_error_status_is_reported(local_server: LocalServer) -> None:
    with pytest.raises(FetchError, match=r"^HTTP 404$"):
        fetcher(allow_private=True).fetch(local_server.url("/missing"))


def test_connection_refused_is_a_fetch_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    with pytest.raises(FetchError, match="connection failed"):
        fetcher(allow_private=True).fetch(f"http://127.0.0.1:{free_port}/")


def test_etag_and_last_modified_give_304(local_server: LocalServer) -> None:
    modified = "Wed, 21 Oct 2026 07:28:00 GMT"
    url = local_server.route("/feed.xml", "<rss/>", etag='"v1"', last_modified=modified)
    first = fetcher(allow_private=True).fetch(url)
    assert (first.content, first.etag, first.last_modified) == (b"<rss/>", '"v1"', modified)
    assert not first.not_modified

    by_etag = fetcher(allow_private=True).fetch(url, etag=first.etag)
    by_date = fetcher(allow_private=True).fetch(url, last_modified=first.last_modified)
    assert by_etag.not_modified and by_date.not_modified
    assert by_etag.content == b"" and by_etag.status == 304
    assert local_server.requests[1].headers["if-none-match"] == '"v1"'
    assert local_server.requests[2].headers["if-modified-since"] == modified

    changed = fetcher(allow_private=True).fetch(url, etag='"v0"')
    assert not changed.not_modified and changed.content == b"<rss/>"


async def test_fetch_works_from_inside_a_running_event_loop(local_server: LocalServer) -> None:
    url = local_server.route("/x", "from a loop")
    assert fetcher(allow_private=True).fetch(url).content == b"from a loop"
    assert (await fetcher(allow_private=True).fetch_async(url)).content == b"from a loop"
