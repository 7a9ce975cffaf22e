"""One article per story: the same canonical URL, or near-identical text (MinHash LSH over word shingles).

Briefs count coverage, so every outlet that carried a merged story is kept in `Article.outlets`.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from datasketch import MinHash, MinHashLSH

from retrieval.models import Article

TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "igshid", "mc_cid",
     "mc_eid", "ref", "ref_src", "ref_url", "_hsenc", "_hsmi", "cmpid", "ocid", "smid"}
)
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}

MINHASH_PERMUTATIONS = 128
LSH_THRESHOLD = 0.7  # finds candidates; every candidate is then checked exactly
# Exact Jaccard of word 4-gram sets of the opening words. Copies of one story (syndication, feed
# summaries with a different dateline or credit) score above 0.8; the same outlet's follow-ups on
# later days score 0.2-0.71 on the dev corpus and must stay apart, because answers depend on dates.
NEAR_DUPLICATE_JACCARD = 0.8
MAX_DAYS_APART = 2  # dated texts further apart are updates, not copies, however similar
MIN_WORDS_FOR_TEXT_MATCH = 25  # shorter texts (headlines, stubs) only merge by URL
MAX_WORDS_FOR_TEXT_MATCH = 300  # copies of one story share their opening; this bounds the cost
_CHARS_PER_WORD = 12  # generous, to cut the text before the regex sees it
_WORD = re.compile(r"\w+")
_UNKNOWN_OUTLET = "unknown"


def canonical_url(url: str) -> str:
    """Lowercase scheme and host; no default port, credentials, fragment, tracking parameters, trailing /."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return text
    host = parts.hostname.rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path.rstrip("/") or "/"
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in query if not _tracking(key)]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(kept)), ""))


def _tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def story_url(url: str | None) -> str | None:
    """The canonical URL if it can name one story; a site's front page (path `/`) cannot."""
    if not url:
        return None
    canonical = canonical_url(url)
    parts = urlsplit(canonical)
    if parts.scheme not in DEFAULT_PORTS or (parts.path == "/" and not parts.query):
        return None
    return canonical


def article_id_for_url(url: str) -> str:
    """Stable id from the canonical URL, so the same story gets the same id from any feed."""
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()[:12]


def shingles(text: str) -> set[int]:
    """CRC32s of the word 4-grams of the opening words: fast, deterministic, and enough to tell copies."""
    opening = text[: MAX_WORDS_FOR_TEXT_MATCH * _CHARS_PER_WORD].lower()
    words = _WORD.findall(opening)[:MAX_WORDS_FOR_TEXT_MATCH]
    if len(words) < MIN_WORDS_FOR_TEXT_MATCH:
        return set()
    grams = zip(words, words[1:], words[2:], words[3:], strict=False)
    return {zlib.crc32("\x1f".join(gram).encode("utf-8")) for gram in grams}


def _identity(value: int) -> int:
    return value


def jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def merge_duplicates(articles: list[Article]) -> tuple[list[Article], int]:
    """Keep one article per story (first-seen order); return them and how many were merged away."""
    groups = _UnionFind(len(articles))
    first_with_key: dict[str, int] = {}
    for index, article in enumerate(articles):
        url = story_url(article.url)
        for key in (f"id:{article.id}", f"url:{url}" if url else None):  # equal ids are one article too
            if key is not None:
                groups.union(first_with_key.setdefault(key, index), index)
    for a, b in _near_duplicate_pairs(articles):
        groups.union(a, b)
    members: dict[int, list[int]] = {}
    for index in range(len(articles)):
        members.setdefault(groups.find(index), []).append(index)
    merged = [_merge([articles[i] for i in group]) for group in sorted(members.values(), key=min)]
    return merged, len(articles) - len(merged)


def _near_duplicate_pairs(articles: list[Article]) -> list[tuple[int, int]]:
    shingle_sets = [shingles(article.text) for article in articles]
    candidates = [i for i, found in enumerate(shingle_sets) if found]
    if len(candidates) < 2:
        return []
    hashed = [list(shingle_sets[i]) for i in candidates]
    signatures = MinHash.bulk(hashed, num_perm=MINHASH_PERMUTATIONS, hashfunc=_identity)
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=MINHASH_PERMUTATIONS)
    pairs: list[tuple[int, int]] = []
    for index, signature in zip(candidates, signatures, strict=True):
        for other in lsh.query(signature):
            similar = jaccard(shingle_sets[index], shingle_sets[other]) >= NEAR_DUPLICATE_JACCARD
            if similar and _close_in_time(articles[index], articles[other]):
                pairs.append((other, index))
        lsh.insert(index, signature)
    return pairs


def _close_in_time(a: Article, b: Article) -> bool:
    if a.published is None or b.published is None:
        return True
    return abs((a.published - b.published).days) <= MAX_DAYS_APART


def _merge(group: list[Article]) -> Article:
    """The fullest text represents the story (ties: smallest id, so the choice is stable across runs)."""
    if len(group) == 1:
        article = group[0]
        return article if article.outlets else article.model_copy(update={"outlets": (article.outlet,)})
    keeper = min(group, key=lambda article: (-len(article.text), article.id))
    outlets = [keeper.outlet, *(o for article in group for o in (article.outlets or (article.outlet,)))]
    known = [o for o in dict.fromkeys(outlets) if o != _UNKNOWN_OUTLET or o == keeper.outlet]
    return keeper.model_copy(
        update={
            "outlets": tuple(known),
            "url": keeper.url or next((a.url for a in group if a.url), None),
            "published": keeper.published or min((a.published for a in group if a.published), default=None),
        }
    )


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, index: int) -> int:
        while self.parent[index] != index:
            self.parent[index] = self.parent[self.parent[index]]
            index = self.parent[index]
        return index

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)
