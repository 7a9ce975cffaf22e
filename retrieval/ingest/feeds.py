"""RSS/Atom bytes → `Article`s. feedparser only ever sees bytes we fetched ourselves.

feedparser is handed a BytesIO, never bytes or str: given a bare string it fetches URLs and opens
local files whose name equals the string. DTDs with an internal subset and entity declarations
(billion laughs, external entities) are refused before parsing; a plain DOCTYPE is removed.
"""

from __future__ import annotations

import codecs
import io
import re
import time
from datetime import date
from typing import Any
from urllib.parse import urljoin

import feedparser

from retrieval.errors import LoadError
from retrieval.ingest.dedupe import article_id_for_url, canonical_url, story_url
from retrieval.ingest.pages import html_to_text
from retrieval.ingest.provenance import article_id
from retrieval.models import Article, Failure, Frozen
from retrieval.text.titles import clean_title, derived_title, outlet_name

MAX_ENTRIES_PER_FEED = 500
MAX_TITLE_CHARS = 300
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_PLAIN_DOCTYPE = re.compile(r"<!DOCTYPE\s[^>\[]*>", re.IGNORECASE)  # no internal subset
_CDATA = re.compile(r"<!\[CDATA\[.*?\]\]>", re.DOTALL)
_UTF16_WITHOUT_BOM = {b"<\x00?\x00": "utf-16-le", b"\x00<\x00?": "utf-16-be"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}


class ParsedFeed(Frozen):
    title: str
    articles: tuple[Article, ...] = ()
    failures: tuple[Failure, ...] = ()
    bozo: bool = False  # malformed, but entries were still recovered


def guard_xml(content: bytes) -> bytes:
    """The document without a plain DOCTYPE; LoadError if it declares entities or an internal DTD subset."""
    original, encoding = _text_for_scan(content)
    # CDATA is only text (feeds embed whole HTML pages in it): blank it, keeping every position.
    text = _CDATA.sub(lambda match: " " * len(match.group()), original)
    if _ENTITY_DECLARATION.search(text):
        raise LoadError("parse error: entity declarations are not allowed")
    if not _DOCTYPE.search(text):
        return content
    plain = _PLAIN_DOCTYPE.search(text)
    if plain is None or len(_DOCTYPE.findall(text)) > 1:
        raise LoadError("parse error: DOCTYPE with an internal subset is not allowed")
    if encoding == "latin-1":  # one character per byte: cut the same span out of the bytes
        return content[: plain.start()] + content[plain.end() :]
    return (original[: plain.start()] + original[plain.end() :]).encode(encoding)


def _text_for_scan(content: bytes) -> tuple[str, str]:
    """Wide encodings decoded properly; anything ASCII-compatible read as Latin-1 (byte for byte)."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if content.startswith(bom):
            return content.decode(encoding, errors="replace"), encoding
    encoding = _UTF16_WITHOUT_BOM.get(content[:4], "latin-1")
    return content.decode(encoding, errors="replace"), encoding


def parse_feed(
    content: bytes, *, feed_url: str, content_type: str | None = None, base_url: str | None = None
) -> ParsedFeed:
    """Entries of an RSS or Atom document; a malformed (bozo) feed is used if entries survive.

    `feed_url` is the configured address (the articles' origin); `base_url`, where the document
    finally came from after redirects, resolves relative links.
    """
    safe = guard_xml(content)
    base = base_url or feed_url
    headers = {"content-location": base, "content-type": content_type or "application/xml"}
    parsed = feedparser.parse(io.BytesIO(safe), response_headers=headers, sanitize_html=True)
    if not parsed.entries:
        if parsed.bozo:
            raise LoadError(f"parse error: {_bozo_reason(parsed)}")
        if not parsed.get("version"):  # e.g. an HTML page given as a feed
            raise LoadError("parse error: not a feed")
    outlet = outlet_name(_plain(parsed.feed.get("title", "")), _site_link(parsed.feed, base))
    articles: list[Article] = []
    failures: list[Failure] = []
    for position, entry in enumerate(parsed.entries[:MAX_ENTRIES_PER_FEED]):
        article = entry_to_article(entry, feed_url=feed_url, outlet=outlet, base_url=base)
        if article is None:
            origin = f"{feed_url} entry {position + 1}"
            failures.append(Failure(origin=origin, reason="parse error: empty entry"))
        else:
            articles.append(article)
    bozo = bool(parsed.bozo)
    return ParsedFeed(title=outlet, articles=tuple(articles), failures=tuple(failures), bozo=bozo)


def _site_link(feed: Any, base: str) -> str:
    """The site the feed is about (its `<link>`), whose domain names the outlet better than the feed host's
    ("rss.cnn.com"); the feed's own address when it gives none."""
    link = feed.get("link")
    return link if isinstance(link, str) and link.lower().startswith(("http://", "https://")) else base


def _bozo_reason(parsed: Any) -> str:
    exception = parsed.get("bozo_exception")
    message = str(exception).splitlines()[0] if exception else "malformed feed"
    return message[:120]


def entry_to_article(entry: Any, *, feed_url: str, outlet: str, base_url: str | None = None) -> Article | None:
    """An Article from one entry; missing fields are derived (title from text, outlet from the host)."""
    url = _entry_url(entry, base_url or feed_url)
    text = _entry_text(entry)
    title = _plain(entry.get("title", ""))[:MAX_TITLE_CHARS]
    if not text and not title:
        return None
    source = entry.get("source") or {}
    claimed = _plain(source.get("title", ""))
    entry_outlet = outlet_name(claimed, source.get("href") or url) if claimed else outlet
    story = story_url(url)
    return Article(  # the id keeps the raw title: cleaning it may change, an article's id may not
        id=article_id_for_url(feed_url, story) if story else _fallback_id(feed_url, entry, title, text),
        title=clean_title(title, site=entry_outlet, url=url) if title else _first_words(text),
        url=url,
        published=_entry_date(entry),
        outlet=entry_outlet,
        outlets=(entry_outlet,),
        text=text or title,  # a headline-only entry is still news; full text may be fetched later
        origin=feed_url,
    )


def _entry_url(entry: Any, feed_url: str) -> str | None:
    for candidate in (entry.get("link"), entry.get("id")):
        if isinstance(candidate, str) and candidate.strip():
            absolute = urljoin(feed_url, candidate.strip())
            if absolute.lower().startswith(("http://", "https://")):
                return canonical_url(absolute)
    return None


def _entry_text(entry: Any) -> str:
    parts = list(entry.get("content") or [])
    if entry.get("summary_detail"):
        parts.append(entry["summary_detail"])
    for part in parts:
        value = part.get("value") or ""
        kind = (part.get("type") or "text/html").lower()
        text = html_to_text(value) if kind in _HTML_TYPES else " ".join(value.split())
        if text:
            return text
    return html_to_text(entry.get("summary") or "")


def _entry_date(entry: Any) -> date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            return date(value.tm_year, value.tm_mon, value.tm_mday)
    return None


def _fallback_id(feed_url: str, entry: Any, title: str, text: str) -> str:
    """An entry without a story link: its guid, else its title and opening, within this feed."""
    guid = entry.get("id")
    return article_id(canonical_url(feed_url), f"{guid}" if guid else f"{title}\n{text[:200]}")


def _plain(value: object) -> str:
    return " ".join(html_to_text(value).split()) if isinstance(value, str) else ""


def _first_words(text: str) -> str:
    return derived_title((), text, fallback=text[:MAX_TITLE_CHARS])
