"""Finding indexed articles by what a reader types into `/sources query:`: title, outlet or web address.

Works on article records (the metadata dicts the store keeps per article, never chunks), so whatever
keeps those records (today the Chroma articles collection) can hand them over unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from contextlib import suppress
from typing import Any

from retrieval.models import Article, Frozen

_WORD = re.compile(r"\w+")


class ArticleMatches(Frozen):
    """The newest matching articles (at most the limit asked for) and how many matched in all."""

    query: str
    total: int
    articles: tuple[Article, ...] = ()


def words(text: str) -> tuple[str, ...]:
    """Case-folded words: "https://www.cnn.com/2024/us-law" gives www, cnn, com, 2024, us, law."""
    return tuple(_WORD.findall(text.casefold()))


def record_words(record: Mapping[str, Any]) -> frozenset[str]:
    """Every word of an article's title, outlet(s) and URL (host and path)."""
    parts = [str(record.get(key) or "") for key in ("title", "outlet", "url")]
    with suppress(json.JSONDecodeError, TypeError):  # a record from before outlets were kept
        parts.extend(str(o) for o in json.loads(str(record.get("outlets") or "[]")))
    return frozenset(w for part in parts for w in words(part))


def matches(query_words: Iterable[str], haystack: frozenset[str]) -> bool:
    """Every typed word starts some word of the article: "korea" finds "Korean", "cnn" finds cnn.com,
    but "law" does not find "outlawed"."""
    return all(any(word.startswith(typed) for word in haystack) for typed in query_words)


def matching_records(
    records: Iterable[Mapping[str, Any]], query: str, *, limit: int
) -> tuple[list[Mapping[str, Any]], int]:
    """The `limit` newest records matching `query`, and the number of all matches.

    A query with no word (only punctuation) matches nothing, rather than everything."""
    typed = words(query)
    if not typed:
        return [], 0
    found = [r for r in records if matches(typed, record_words(r))]
    found.sort(key=lambda r: str(r.get("published") or ""), reverse=True)
    return found[:limit], len(found)


__all__ = ["ArticleMatches", "matches", "matching_records", "record_words", "words"]
