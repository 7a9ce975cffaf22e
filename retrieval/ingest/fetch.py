"""Fetch feeds and pages safely: SSRF checks on every hop, one total deadline, a cap on decoded bytes.

Every hop (the first URL and each redirect) is resolved once, every address is checked, and the
connection goes to the checked address (the URL's host is kept in `Host` and TLS SNI), so a DNS
answer that changes between check and connect (rebinding) cannot reach a private address.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from retrieval.errors import FetchError
from retrieval.ingest.url_safety import IPAddress, Resolver, check_url, literal_address, parse_url, system_resolver
from retrieval.models import Frozen

if TYPE_CHECKING:
    from retrieval.settings import Settings

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_MAX_REDIRECTS = 5
GZIP_MAGIC = b"\x1f\x8b"
USER_AGENT = "briefbot/0.1 (news briefing bot)"
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
# DNS lookups run here, not in asyncio's default executor, so a hung lookup never delays the deadline.
_RESOLVER_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="briefbot-dns")


class FetchResult(Frozen):
    url: str  # the final URL after redirects
    status: int
    content: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # 304: the caller keeps what it had


@dataclass
class _Redirect:
    location: str


class BoundedBody:
    """Decodes gzip/deflate ourselves with `max_length`, so a compression bomb never inflates past the cap."""

    def __init__(self, content_encoding: str | None, max_bytes: int) -> None:
        self.encoding = (content_encoding or "identity").strip().lower()
        if self.encoding not in {"identity", "gzip", "x-gzip", "deflate"}:
            raise FetchError("unsupported content encoding")
        self.max_bytes = max_bytes
        self.parts: list[bytes] = []
        self.size = 0
        self.decoder: zlib._Decompress | None = None

    def feed(self, data: bytes) -> None:
        if self.encoding == "ended":
            return
        if self.encoding == "identity":
            self._append(data)
            return
        while data:
            if self.decoder is None:
                self.decoder = zlib.decompressobj(self._wbits(data))
            try:
                self._append(self.decoder.decompress(data, self.max_bytes - self.size + 1))
            except zlib.error as exc:
                raise FetchError("bad compressed data") from exc
            data = self.decoder.unconsumed_tail
            if self.decoder.eof:  # another gzip member may follow; anything else is trailing junk
                data, self.decoder = self.decoder.unused_data, None
                if not data.startswith(GZIP_MAGIC):
                    self.encoding = "ended"
                    return

    def _wbits(self, data: bytes) -> int:
        if self.encoding != "deflate":
            return 16 + zlib.MAX_WBITS
        zlib_header = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] * 256 + data[1]) % 31 == 0
        return zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS

    def _append(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise FetchError("too large")
        self.parts.append(data)

    def content(self) -> bytes:
        return b"".join(self.parts)


class SafeFetcher:
    """GET with SSRF checks on every hop, a total deadline, a decoded-size cap and conditional requests."""

    def __init__(
        self,
        timeout_seconds: float,
        max_bytes: int,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.timeout_seconds = timeout_seconds
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        self.resolver = resolver
        self._ssl_context = ssl.create_default_context()

    @classmethod
    def from_settings(cls, settings: Settings) -> SafeFetcher:
        return cls(
            timeout_seconds=settings.fetch_timeout_seconds,
            max_bytes=settings.fetch_max_bytes,
            allow_private=settings.allow_private_urls,
        )

    def check(self, url: str) -> None:
        """Raise UnsafeURLError now if `url` may not be fetched (used when an admin adds a source)."""
        check_url(url, allow_private=self.allow_private, resolver=self.resolver)

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """Synchronous fetch; safe to call from worker threads and from inside a running event loop."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.fetch_async(url, etag=etag, last_modified=last_modified))
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(self.fetch, url, etag=etag, last_modified=last_modified).result()

    async def fetch_async(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self.timeout_seconds), self._client() as client:
                return await self._follow(client, url, headers)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise FetchError("timeout") from exc
        except httpx.ProtocolError as exc:
            raise FetchError("bad HTTP response") from exc
        except httpx.HTTPError as exc:
            raise FetchError("connection failed") from exc

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            trust_env=False, follow_redirects=False, timeout=self.timeout_seconds, verify=self._ssl_context
        )

    async def _follow(self, client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> FetchResult:
        current = url
        for _hop in range(self.max_redirects + 1):
            outcome = await self._fetch_once(client, current, headers)
            if isinstance(outcome, FetchResult):
                return outcome
            current = str(httpx.URL(current).join(outcome.location))
        raise FetchError("too many redirects")

    async def _fetch_once(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str]
    ) -> FetchResult | _Redirect:
        loop = asyncio.get_running_loop()
        address = await loop.run_in_executor(
            _RESOLVER_POOL, lambda: check_url(url, allow_private=self.allow_private, resolver=self.resolver)
        )
        request = _pinned_request(client, parse_url(url), address, headers)
        response = await client.send(request, stream=True)
        try:
            return await self._outcome(url, response)
        finally:
            await response.aclose()

    async def _outcome(self, url: str, response: httpx.Response) -> FetchResult | _Redirect:
        status = response.status_code
        location = response.headers.get("location")
        if status in REDIRECT_STATUSES and location:
            return _Redirect(location)
        if status == 304:
            return _result(url, response, b"", not_modified=True)
        if status >= 400 or status < 200:
            raise FetchError(f"HTTP {status}")
        declared = response.headers.get("content-length", "")
        encoded = "content-encoding" in response.headers
        if not encoded and declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError("too large")
        body = BoundedBody(response.headers.get("content-encoding"), self.max_bytes)
        async for raw in response.aiter_raw():
            body.feed(raw)
        return _result(url, response, body.content())


def _result(url: str, response: httpx.Response, content: bytes, not_modified: bool = False) -> FetchResult:
    return FetchResult(
        url=url,
        status=response.status_code,
        content=content,
        content_type=response.headers.get("content-type"),
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
        not_modified=not_modified,
    )


def _pinned_request(
    client: httpx.AsyncClient, url: httpx.URL, address: IPAddress, headers: dict[str, str]
) -> httpx.Request:
    """A request to the checked address that still names the URL's host (Host header, TLS SNI)."""
    host = url.raw_host.decode("ascii")
    extensions = {} if literal_address(host) is not None else {"sni_hostname": host}
    pinned = url.copy_with(host=str(address))
    headers = {**headers, "Host": url.netloc.decode("ascii")}
    return client.build_request("GET", pinned, headers=headers, extensions=extensions)
