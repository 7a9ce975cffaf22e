"""Article pages → `Article`: decode whatever bytes came, then let trafilatura find the main text.

Decoding is ours (BOM, HTTP charset, <meta charset>, UTF-8, then detection) because pages arrive as
Latin-1, UTF-16, broken UTF-8 or with NUL bytes, and lxml refuses strings with control characters.
"""

from __future__ import annotations

import codecs
import re
from datetime import date

import charset_normalizer
import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import set_date_params

from retrieval.errors import LoadError
from retrieval.ingest.dedupe import article_id_for_url, canonical_url, story_url
from retrieval.models import Article
from retrieval.text.titles import clean_title, derived_title, outlet_name

UNTITLED = "(untitled)"
MIN_PAGE_TEXT_CHARS = 40  # less than this is a stub, a paywall or an error page, not an article
META_SNIFF_BYTES = 4096
DETECT_SAMPLE_BYTES = 200_000
CHAOS_TOLERANCE = 0.01
_WESTERN_CODE_PAGES = {"cp1252", "latin_1", "iso8859_15"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Browsers read these labels as windows-1252 (WHATWG Encoding Standard); so do we.
_AS_WINDOWS_1252 = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "ascii", "us-ascii", "cp819"}
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DROPPED_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "svg")
_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote", "section")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def decode_html(content: bytes, content_type: str | None = None) -> str:
    """Text of an HTML or XML document, never raising, with NUL and other control characters removed."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return _clean(content.decode(encoding, errors="replace"))
    header = _HEADER_CHARSET.search(content_type or "")
    meta = _META_CHARSET.search(content[:META_SNIFF_BYTES])
    declared = header.group(1) if header else meta.group(1).decode("ascii", "ignore") if meta else None
    encoding = _known_encoding(declared) or _guess_encoding(content)
    return _clean(content.decode(encoding, errors="replace"))


def _known_encoding(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _AS_WINDOWS_1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _guess_encoding(content: bytes) -> str:
    try:
        content.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    matches = list(charset_normalizer.from_bytes(content[:DETECT_SAMPLE_BYTES]))
    if not matches:
        return "cp1252"
    least_chaos = min(match.chaos for match in matches)
    calm = [match.encoding for match in matches if match.chaos <= least_chaos + CHAOS_TOLERANCE]
    # Latin text fits several single-byte code pages equally well; browsers' default is windows-1252.
    if any(encoding in _WESTERN_CODE_PAGES for encoding in calm):
        return "cp1252"
    return _known_encoding(calm[0]) or "cp1252"


def _clean(text: str) -> str:
    return _CONTROL_CHARS.sub("", text)


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (feed summaries): no scripts or styles, one line per block."""
    if not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(_clean(html), create_parent="div")
    except (etree.ParserError, ValueError):
        return " ".join(_clean(html).split())
    etree.strip_elements(root, *_DROPPED_TAGS, with_tail=False)
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    lines = (_SPACES.sub(" ", line).strip() for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)


def extract_page(
    content: bytes, url: str, *, content_type: str | None = None, origin: str | None = None
) -> Article:
    """One article from a fetched page: main text, title, outlet, date and canonical URL."""
    html = decode_html(content, content_type)
    try:
        document = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_images=False,
            # Only stated dates (meta tags, structured data, URL): no guesses from "Copyright 2026".
            date_extraction_params=set_date_params(extensive=False),
        )
    except (ValueError, etree.LxmlError) as exc:
        raise LoadError(f"parse error: {type(exc).__name__}") from exc
    text = getattr(document, "text", None) or ""
    if len(text) < MIN_PAGE_TEXT_CHARS:
        text = _fallback_text(html)
    if len(text) < MIN_PAGE_TEXT_CHARS:
        raise LoadError("parse error: no article text")
    page_url = _page_url(getattr(document, "url", None), url)
    outlet = outlet_name(getattr(document, "sitename", None), page_url)
    title = (getattr(document, "title", None) or "").strip()
    return Article(
        id=article_id_for_url(origin or url, page_url),
        title=clean_title(title, site=outlet, url=page_url) if title else derived_title((), text, fallback=UNTITLED),
        url=page_url,
        published=parse_iso_date(getattr(document, "date", None)),
        outlet=outlet,
        outlets=(outlet,),
        text=text,
        origin=origin or url,
    )


def _fallback_text(html: str) -> str:
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    body = root.find("body")
    return html_to_text(lxml.html.tostring(body if body is not None else root, encoding="unicode"))


def _page_url(declared: object, fetched: str) -> str:
    """The page's own canonical URL, unless it is missing or points at a front page (a common mistake)."""
    usable = isinstance(declared, str) and declared.lower().startswith(("http://", "https://"))
    if usable and (story_url(str(declared)) is not None or story_url(fetched) is None):
        return canonical_url(str(declared))
    return canonical_url(fetched)


def parse_iso_date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None

