"""An indexed article made an `Article` again: its record in the article table (`retrieval.index.catalog`)
and its chunks' texts, the body's joined and the key points and contradictions split back into items.

Used for a brief's window and `/sources` (newest, matches), so neither reads Chroma.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date

from retrieval.models import Article


def stored_article(record: dict[str, object], parts: Sequence[tuple[int, str, str]] = ()) -> Article:
    """The article a record describes; `parts` are its chunks' (n, kind, text) (none: an empty text)."""
    published = str(record.get("published") or "")
    outlets = record.get("outlets")
    try:
        outlet_list = tuple(json.loads(str(outlets))) if outlets else ()
    except json.JSONDecodeError:
        outlet_list = ()
    return Article(
        id=str(record["id"]),
        title=str(record.get("title", "")),
        url=str(record.get("url") or "") or None,
        published=date.fromisoformat(published) if published else None,
        outlet=str(record.get("outlet", "unknown")),
        text=" ".join(text for _, kind, text in parts if kind == "body"),
        key_points=_bullet_items(text for _, kind, text in parts if kind == "key_point"),
        contradictions=_bullet_items(text for _, kind, text in parts if kind == "contradiction"),
        outlets=outlet_list,
        origin=str(record.get("origin", "")),
    )


def _bullet_items(chunk_texts: Iterable[str]) -> tuple[str, ...]:
    """Key-point chunks hold `- item` lines separated by blank lines; get the items back."""
    items = (line.strip().removeprefix("- ").strip() for text in chunk_texts for line in text.split("\n\n"))
    return tuple(item for item in items if item)
