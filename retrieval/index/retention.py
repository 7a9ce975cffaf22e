"""Retention: articles published before a cutoff are forgotten, with everything stored for them.

`BRIEFBOT_ARTICLE_RETENTION_DAYS` (unset: keep everything) expires articles at each index run, and
`briefbot prune --before DATE` does it once. Either way the articles go through
`ChromaStore.delete_articles`, which removes their chunks and vectors, their lexical entries and
their record (which carries the outlets their near-duplicates were merged into) together: the
lexical record is marked pending first and removed last, so an interrupted removal is finished by
the next run. Undated articles never expire.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from retrieval.models import Article


def cutoff_day(retention_days: int | None, today: date) -> date | None:
    """The first day still kept, or None when everything is kept."""
    return None if retention_days is None else today - timedelta(days=retention_days)


def recent(articles: Sequence[Article], cutoff: date | None) -> list[Article]:
    """The articles a run may (re-)index: none published before the cutoff comes back from a feed."""
    if cutoff is None:
        return list(articles)
    return [a for a in articles if a.published is None or a.published >= cutoff]


def split_expired(
    stays: Iterable[str], live: Mapping[str, Mapping[str, Any]], cutoff: date | None
) -> tuple[list[str], list[str]]:
    """(still staying, expired) among the live articles a run would otherwise keep."""
    kept: list[str] = []
    expired: list[str] = []
    first_day = cutoff.toordinal() if cutoff else None
    for article_id in stays:
        day = int(live[article_id].get("published_day", -1) or -1)
        (expired if first_day is not None and 0 <= day < first_day else kept).append(article_id)
    return kept, expired
