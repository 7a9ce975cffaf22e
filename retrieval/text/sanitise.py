"""The one sanitiser for text that came from articles, feeds or a model, before any output shows it.

Article text never speaks as the bot: a link survives only when its host is a cited article's own,
masked links and fake citations (`[[2]](https://elsewhere)`) are neutralised, and zero-width,
bidirectional and control characters and terminal escape sequences (CSI, OSC, OSC 8 links) are
removed. URLs the bot shows itself go through `safe_url` first. Pure functions; the Discord and
command-line renderers call them (mentions are neutralised there, by discord.py's own helper).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from retrieval.ingest.url_safety import ALLOWED_SCHEMES, literal_address
from retrieval.text.markers import NUMBERED_BRACKETS

MAX_SAFE_TEXT_CHARS = 20_000  # a whole answer fits; every renderer cuts further to its own limit
MAX_URL_CHARS = 2_048

# Terminal escape sequences: CSI (ESC [ or 8-bit 0x9b), OSC / DCS / SOS / PM / APC strings up to their
# terminator (BEL or ST), and the remaining two-character ESC sequences. Leftover C0/C1 bytes go later.
_TERMINAL_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-Z\\^-~]?"  # a final `[` or `]` is left: it may open a citation
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"  # unterminated: introducer only
    r"|\x1b[ -~]?"
)
_KEPT_CONTROLS = frozenset("\n\t")
_LINE_SEPARATORS = {"\u2028": "\n", "\u2029": "\n", "\r\n": "\n", "\r": "\n", "\x85": "\n"}

_SCHEME = r"(?:[a-z][a-z0-9+.\-]{0,20}:/{1,3}|(?<![:/])/{2,}(?=[\w\[])|www\.)"  # `//host`: scheme-relative
# `[label](url)`, `![alt](url)`, `[label](<url> "title")`; the label may hold one level of brackets.
_MASKED_LINK = re.compile(
    r"!?\[(?P<label>(?:\[[^\[\]\n]*\]|[^\[\]\n])*)\]\(\s*<?(?P<url>[^\s<>]*?)>?"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?\s*\)",
    re.IGNORECASE,
)
# A bare or `<wrapped>` URL; an IPv6 literal host `[2001:db8::1]` right after the scheme (or userinfo)
# counts as part of it, a bracket later on does not: "…/x[1]" leaves the citation marker `[1]` standing.
_BARE_URL = re.compile(
    r"<?" + _SCHEME + r"(?=[^\s<>()\]])(?:[^\s<>\[\]()]*@)?(?:\[[^\]\s]*\])?[^\s<>\[\]()]*>?", re.IGNORECASE
)
_URL_TRAILING = ".,;:!?'\"”’>"
_UNSAFE_URL_CHAR = re.compile(r"[\s<>\"'`\\|{}^]")


def strip_controls(text: str) -> str:
    """Terminal escapes, control characters (newline and tab kept) and invisible format characters
    (zero-width, bidi overrides and isolates, tag characters) removed; line separators become newlines."""
    text = _TERMINAL_ESCAPE.sub("", text)
    for separator, newline in _LINE_SEPARATORS.items():
        text = text.replace(separator, newline)
    return "".join(ch for ch in text if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))


def cap(text: str, max_chars: int, ellipsis: str = "…") -> str:
    return text if len(text) <= max_chars else text[: max(0, max_chars - len(ellipsis))].rstrip() + ellipsis


def url_host(url: str) -> str | None:
    """The host a browser would open, normalised (lowercase, no trailing dot, punycode, canonical IP),
    or None when the URL is not plain http(s) or could be read two ways (a backslash, an encoded host)."""
    url = url.strip().strip("<>")
    if url[:4].lower() == "www.":
        url = "http://" + url
    if "\\" in url or any(unicodedata.category(ch) in ("Cc", "Cf", "Zs") for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  # raises ValueError on a bad port
    except ValueError:
        return None
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not host or "%" in host:
        return None
    host = host.rstrip(".")
    address = literal_address(host)
    if address is not None:
        return address.compressed
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return host.removeprefix("www.") or None


def safe_url(url: str | None) -> str | None:
    """A URL the bot may wrap in `<…>` or a masked link: http(s), a readable host, no space, angle
    bracket, quote, backslash or control character; None otherwise (then it is shown without a link)."""
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")) or len(url) > MAX_URL_CHARS:
        return None
    if _UNSAFE_URL_CHAR.search(url) or "](" in url or url_host(url) is None:
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        return None
    return url


def strip_foreign_urls(text: str, allowed_urls: Iterable[str | None]) -> str:
    """Links, images and bare URLs whose host is not one of `allowed_urls`' hosts removed (a masked
    link keeps its label, a fake citation's label is dropped, an image goes altogether)."""
    allowed = {host for u in allowed_urls if u and (host := url_host(u))}

    def keep(url: str) -> bool:  # a second `//` inside (`…/a?u=https://evil`) would read as a second link
        url = url.strip("<>")
        return url_host(url) in allowed and safe_url(url) is not None and url.count("//") == 1

    def masked(match: re.Match[str]) -> str:
        label, url, image = match.group("label"), match.group("url"), match.group(0).startswith("!")
        if keep(url) and "[" not in label and "]" not in label:
            return ("!" if image else "") + f"[{label}]({url})"
        return "" if image else NUMBERED_BRACKETS.sub("", label).replace("[", "(").replace("]", ")")

    def bare(match: re.Match[str]) -> str:
        found = match.group(0)
        core = found.rstrip(_URL_TRAILING)
        return found if keep(core) else found[len(core):].lstrip(">")

    text = _MASKED_LINK.sub(masked, text)
    text = _BARE_URL.sub(bare, text)
    text = re.sub(r"(?<=\S)[ \t]+([.,;:!?])(?=\s|$)", r"\1", text)
    return re.sub(r"(?<=\S)[ \t]{2,}(?=\S)", " ", text).strip(" \t")


def sanitise(text: str | None, allowed_urls: Iterable[str | None] = (), *, max_chars: int = MAX_SAFE_TEXT_CHARS) -> str:
    """Article-derived text made safe to show: no controls or escapes, no foreign links, capped."""
    if not text:
        return ""
    return cap(strip_foreign_urls(strip_controls(text[: max_chars * 4]), allowed_urls), max_chars)


def sanitise_line(text: str | None, allowed_urls: Iterable[str | None] = (), *, max_chars: int = 300) -> str:
    """`sanitise`, then onto one line (titles, outlet names, thread names)."""
    return sanitise(" ".join((text or "").split()), allowed_urls, max_chars=max_chars)
