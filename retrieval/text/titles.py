"""How a source is named to a reader: a clean title and a readable outlet name, decided at load time.

Outlet names come only from what the source says about itself (a feed's title, a page's
`og:site_name` / trafilatura's sitename, the " | CNN" a page puts after its own titles), matched
against the domain so a section name or a syndicated brand is not taken for the site; failing that,
the registrable domain (`usatoday.com`). Nothing here is a list of outlet names, so no name is ever
made up. Titles lose the search engine's trailing "…" and the site's own " | CNN" / " - The Week"
suffix, but only when the suffix names the site: "Biden - Xi meeting" keeps its dash.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import urlsplit

from tld import get_tld

from retrieval.text.sentences import split_sentences

BRIEFING_OUTLET = "Briefing"  # what a seed briefing with no `Source:` line is attributed to
MAX_DERIVED_TITLE_CHARS = 90  # a title made from a key point or first sentence
MIN_CLAUSE_TITLE_CHARS = 30  # cut at a clause boundary only if this much is left
MAX_SITE_WORDS = 6  # a suffix longer than this is part of the title, not a site name
UNKNOWN_OUTLET = "unknown"

_ELLIPSIS = re.compile(r"\s*(?:…|\.{3,})\s*$")
_SUFFIX = re.compile(r"^(?P<head>.+)(?P<sep>\s[|–—-]\s|\|)(?P<tail>[^|–—]+)$")  # the last separator
_SEGMENTS = re.compile(r"\s+[|–—>:-]\s+|\s*\|\s*|\s*›\s*")
_DANGLING = re.compile(r"[\s,;:|–—-]+$")
_CLAUSE = re.compile(r"[,;:–—]\s")
# Words a title cut off by a search engine ("… displayed in…") ends on; dropped with the ellipsis.
_CUT_TAIL = re.compile(r"(?:\s+(?:a|an|the|in|of|to|for|and|or|but|with|on|at|by|from|as|under|over|into|about|"
                       r"after|before|than|that|this))+$",
                       re.IGNORECASE)


def squash(text: str) -> str:
    """Letters and digits only, lower case, accents dropped: "The Week" → "theweek"."""
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded.lower() if ch.isalnum() and ord(ch) < 128)


def domain_name(url: str | None) -> str:
    """The registrable domain of a URL ("college.usatoday.com" → "usatoday.com"); the host itself for an
    IP address or a single-label host; "" when there is no host."""
    host = (urlsplit(url or "").hostname or "").removeprefix("www.")
    if not host:
        return ""
    found = get_tld(f"http://{host}", as_object=True, fail_silently=True)
    return str(getattr(found, "fld", "") or host)


def _domain_label(url: str | None) -> str:
    found = get_tld(f"http://{domain_name(url)}", as_object=True, fail_silently=True) if url else None
    return squash(str(getattr(found, "domain", "") or ""))


def _site_part(segment: str, url: str | None) -> str | None:
    """`segment` when it names the site of `url`: it spells the domain's name, perhaps with more words
    ("The Week", "CNN Business", "USA TODAY"); a bare domain loses its ending ("CNN.com" → "CNN")."""
    label = _domain_label(url)
    if not label or len(segment.split()) > MAX_SITE_WORDS or not squash(segment).startswith(label):
        return None
    domain = domain_name(url)
    if segment.lower() == domain and "." in domain:
        return segment[: len(domain) - len(domain.split(".", 1)[1]) - 1]
    return segment


def site_name(claimed: str | None, url: str | None) -> str | None:
    """The site's name out of what it calls itself ("USA TODAY - Top Stories" → "USA TODAY"): the part
    that spells the domain, else a short first segment; None when it says nothing usable."""
    claimed = " ".join((claimed or "").split())
    if not claimed:
        return None
    segments = [s.strip() for s in _SEGMENTS.split(claimed) if s.strip()]
    for segment in segments:
        if part := _site_part(segment, url):
            return part
    first = segments[0] if segments else ""
    return first if 0 < len(first.split()) <= MAX_SITE_WORDS else None


def outlet_name(claimed: str | None, url: str | None) -> str:
    """A readable outlet: the site's own name when it gives one, else its domain, else "unknown"."""
    return site_name(claimed, url) or domain_name(url) or UNKNOWN_OUTLET


def title_site_name(title: str, url: str | None) -> str | None:
    """The site name a page puts after its own title ("… | CNN" → "CNN"), if it spells the domain."""
    match = _SUFFIX.match(_ELLIPSIS.sub("", title.strip()))
    return _site_part(match["tail"].strip(), url) if match else None


def clean_title(title: str, *, site: str | None = None, url: str | None = None) -> str:
    """The title without a trailing ellipsis and without its site's suffix; never empty if `title` isn't."""
    original = " ".join(title.split())
    text = original
    names = [squash(n) for n in (site or "", _domain_label(url)) if squash(n)]
    while True:
        cut = bool(_ELLIPSIS.search(text))
        stripped = _ELLIPSIS.sub("", text)
        if cut:
            stripped = _CUT_TAIL.sub("", stripped) or stripped
        match = _SUFFIX.match(stripped)
        if match and _names_site(match["tail"], match["sep"], names, was_cut=cut):
            stripped = match["head"]
        stripped = _DANGLING.sub("", stripped)
        if stripped == text or not stripped:
            break
        text = stripped
    return text or _ELLIPSIS.sub("", original) or original


def _names_site(tail: str, separator: str, names: Sequence[str], *, was_cut: bool) -> bool:
    """Does a title's last segment name the site? A cut-off " | The …" counts when it starts the name."""
    squashed = squash(tail)
    if not squashed or len(tail.split()) > MAX_SITE_WORDS:
        return False
    if any(squashed == n or (squashed.startswith(n) and len(n) >= 3) for n in names):
        return True
    return was_cut and "|" in separator and any(n.startswith(squashed) for n in names)


def derived_title(key_points: Sequence[str], body: str, *, fallback: str) -> str:
    """A title for a text that has none (a seed briefing): its first key point, else its first
    sentence, cut cleanly at a clause or, failing that, a word (no "…": it is a title, not a quote)."""
    source = next((p for p in key_points if p.strip()), "") or next(iter(split_sentences(body)), "")
    text = " ".join(source.split()).rstrip(".!?;:, ")
    if not text:
        return fallback
    if len(text) <= MAX_DERIVED_TITLE_CHARS:
        return text
    head = text[:MAX_DERIVED_TITLE_CHARS]
    clauses = [m.start() for m in _CLAUSE.finditer(head) if m.start() >= MIN_CLAUSE_TITLE_CHARS]
    if clauses:
        return head[: clauses[-1]].rstrip()
    return _DANGLING.sub("", head.rsplit(" ", 1)[0])
