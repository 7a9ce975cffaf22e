"""How chunks and articles are stored as Chroma records (metadata dicts), and read back."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from retrieval.models import GLOBAL_TENANT, Article, Chunk

# How an article came in, kept on its record: a run over the configured sources removes only what
# configured sources brought in, never an article indexed with `briefbot index PATH`. Not part of the
# content hash: a source taking over an article changes its record, never its vectors.
Via = Literal["configured", "path"]
VIA_CONFIGURED: Via = "configured"
VIA_PATH: Via = "path"


def chunk_metadata(chunk: Chunk) -> dict[str, str | int]:
    return {
        "article_id": chunk.article_id,
        "n": chunk.n,
        "title": chunk.title,
        "url": chunk.url or "",
        "published": chunk.published.isoformat() if chunk.published else "",
        "published_day": chunk.published.toordinal() if chunk.published else -1,
        "outlet": chunk.outlet,
        "kind": chunk.kind,
        "tenant": chunk.tenant,
    }


def chunk_from_record(chunk_id: str, document: str, meta: dict[str, Any]) -> Chunk:
    published = meta.get("published") or ""
    return Chunk(
        id=chunk_id,
        article_id=str(meta.get("article_id", chunk_id.rsplit(":", 1)[0])),
        n=int(meta.get("n", 0)),
        text=document,
        title=str(meta.get("title", "")),
        url=str(meta.get("url")) or None,
        published=date.fromisoformat(str(published)) if published else None,
        outlet=str(meta.get("outlet", "unknown")),
        kind=meta.get("kind", "body"),
        tenant=str(meta.get("tenant", GLOBAL_TENANT)),
    )


def record_via(record: Mapping[str, Any]) -> Via:
    """How a stored article came in; a record from before the field existed counts as configured."""
    return VIA_PATH if record.get("via") == VIA_PATH else VIA_CONFIGURED


def article_metadata(
    article: Article, content_hash: str, chunk_count: int, via: Via = VIA_CONFIGURED
) -> dict[str, str | int]:
    return {
        "content_hash": content_hash,
        "chunks": chunk_count,
        "title": article.title,
        "url": article.url or "",
        "published": article.published.isoformat() if article.published else "",
        "published_day": article.published.toordinal() if article.published else -1,
        "outlet": article.outlet,
        "outlets": json.dumps(list(article.outlets or (article.outlet,))),
        "origin": article.origin,
        "via": via,
        "tenant": article.tenant,
    }


def record_tenant(record: Mapping[str, Any]) -> str:
    """Whose a stored article is; a record from before tenants existed is the operator's (global)."""
    return str(record.get("tenant", GLOBAL_TENANT))


def tenant_where(tenants: frozenset[str] | None) -> dict[str, Any] | None:
    """The Chroma `where` that keeps only these tenants' records (None: every record).

    Records written before the field existed have no `tenant` and match no filter: re-index once
    (`briefbot index`) after upgrading, which rewrites every record's metadata without re-embedding."""
    if tenants is None:
        return None
    return {"tenant": {"$in": sorted(tenants)}}


def all_of(*clauses: dict[str, Any] | None) -> dict[str, Any] | None:
    """Chroma `where` clauses combined with `$and` (one clause alone as is; none: None)."""
    present = [c for c in clauses if c]
    if not present:
        return None
    return present[0] if len(present) == 1 else {"$and": present}
