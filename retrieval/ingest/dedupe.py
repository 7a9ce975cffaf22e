"""One article per story: the same canonical URL, or near-identical text (MinHash LSH over word shingles).

Briefs count coverage, so every outlet that carried a merged story is kept in `Article.outlets`.
A copy is merged away only when its words are (nearly all) in the article that represents the story,
so no outlet's text is ever replaced by another's: a second feed reusing a story's URL with other
text stays its own article, and `drop_link_conflicts` then keeps the link with its owner.
"""

from __future__ import annotations

import re
import zlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from datasketch import MinHash, MinHashLSH

from retrieval.ingest.provenance import article_id
from retrieval.models import Article, Failure
from retrieval.text.stems import stemmed

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
# A copy merged away must have this share of its word 4-grams (of a short text: its stemmed words) in
# the representative's text: a summary or a shorter copy of the same words, not other words.
COPY_CONTAINMENT = 0.8
MAX_WORDS_FOR_CONTAINMENT = 3000
LINK_TAKEN = "not indexed: another source already has this link with other text"
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


def article_id_for_url(source: str, url: str) -> str:
    """Stable id of the story at `url` as `source` (a feed or page) carries it; tracking parameters
    don't change it, and another source's copy is another article."""
    return article_id(canonical_url(source), canonical_url(url))


def shingles(text: str, max_words: int = MAX_WORDS_FOR_TEXT_MATCH) -> set[int]:
    """CRC32s of the word 4-grams of the opening words: fast, deterministic, and enough to tell copies."""
    opening = text[: max_words * _CHARS_PER_WORD].lower()
    words = _WORD.findall(opening)[:max_words]
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
    merged = [kept for group in sorted(members.values(), key=min) for kept in _merge([articles[i] for i in group])]
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


def _merge(group: list[Article]) -> list[Article]:
    """The story's representative, with every copy whose words it holds merged in; a member whose
    words it does not hold stays its own article. The representative is the copy whose link belongs
    to its own source, else the first seen: a later copy, however long, never displaces the words of
    an earlier outlet."""
    if len(group) == 1:
        article = group[0]
        return [article if article.outlets else article.model_copy(update={"outlets": (article.outlet,)})]
    _, keeper = min(enumerate(group), key=lambda item: (not owns_link(item[1]), item[0]))
    copies = [a for a in group if a is keeper or a.id == keeper.id or is_copy(a, keeper)]
    others = [a for a in group if not any(a is c for c in copies)]
    outlets = [keeper.outlet, *(o for article in copies for o in (article.outlets or (article.outlet,)))]
    known = [o for o in dict.fromkeys(outlets) if o != _UNKNOWN_OUTLET or o == keeper.outlet]
    published = keeper.published or min((a.published for a in copies if a.published), default=None)
    merged = keeper.model_copy(update={"outlets": tuple(known), "published": published})
    return [merged, *_merge(others)] if others else [merged]


def is_copy(copy: Article, keeper: Article) -> bool:
    """Whether (nearly) all of `copy`'s words are in `keeper`'s text, so merging it loses no words."""
    small = shingles(copy.text, MAX_WORDS_FOR_CONTAINMENT)
    if small:
        big = shingles(keeper.text, MAX_WORDS_FOR_CONTAINMENT)
        return len(small & big) >= COPY_CONTAINMENT * len(small)
    words = set(stemmed(_WORD.findall(copy.text.lower()), ()))
    known = set(stemmed(_WORD.findall(f"{keeper.title} {keeper.text}".lower()), ()))
    return bool(words) and len(words & known) >= COPY_CONTAINMENT * len(words)


def owns_link(article: Article) -> bool:
    """The article's link is on its own feed's or page's site (same last two host labels)."""
    if not article.url or not article.origin.startswith(("http://", "https://")):
        return False  # a file's article: its link is whatever the file says
    try:
        link, home = urlsplit(article.url).hostname, urlsplit(article.origin).hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return bool(link and home) and str(link).split(".")[-2:] == str(home).split(".")[-2:]


def drop_link_conflicts(articles: list[Article]) -> tuple[list[Article], list[Failure]]:
    """One article per story link. Copies that merging kept apart (other words under the same link)
    lose the link to its owner (see `owns_link`), else to the first seen; they are reported, not indexed,
    so one source's text never appears under another's link."""
    first: dict[str, Article] = {}
    for article in articles:
        url = story_url(article.url)
        if url is None:
            continue
        held = first.get(url)
        if held is None or (owns_link(article) and not owns_link(held)):
            first[url] = article
    kept: list[Article] = []
    dropped: list[Failure] = []
    for article in articles:
        url = story_url(article.url)
        if url is None or first[url] is article:
            kept.append(article)
        else:
            web = article.origin.startswith(("http://", "https://"))  # a file's path is not for Discord
            reason = f"{LINK_TAKEN} (in {article.origin})" if web else LINK_TAKEN
            dropped.append(Failure(origin=url, reason=reason))
    return kept, dropped


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
