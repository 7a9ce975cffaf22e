"""Where each tenant's chunks live: the operator's (global) ones in `<gen>_chunks`, as before tenants
existed, and each server's in a collection of its own, `<gen>_chunks_g<guild id>`.

Why not one collection with a `where` on the tenant field: Chroma applies a metadata filter before
its vector search by scanning the metadata, which made a server's view of 30,000 chunks ~50x slower
than an unfiltered search (bench/tenant_filter.py). One collection per tenant makes every query an
unfiltered one, and a server's view the union of two: nothing of another server's is ever a
candidate, and nothing is filtered after the fact. Article records stay in one `<gen>_articles`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from retrieval.models import GLOBAL_TENANT

GUILD_PREFIX = "guild:"
_COLLECTION = re.compile(r"^(?P<generation>.+)_(?:chunks(?:_g(?P<guild>\d+))?|articles)$")


def chunk_collection_name(generation: str, tenant: str) -> str:
    """The chunk collection of one tenant in one generation."""
    if tenant == GLOBAL_TENANT:
        return f"{generation}_chunks"
    guild = tenant.removeprefix(GUILD_PREFIX)
    if not tenant.startswith(GUILD_PREFIX) or not guild.isdigit():
        raise ValueError(f"not a tenant: {tenant!r}")
    return f"{generation}_chunks_g{guild}"


def generation_of(name: str) -> str | None:
    """The generation a collection belongs to (None: not one of the index's collections)."""
    match = _COLLECTION.match(name)
    return match["generation"] if match else None


def chunk_tenant_of(name: str, generation: str) -> str | None:
    """Whose chunks a collection of `generation` holds (None: not a chunk collection of it)."""
    match = _COLLECTION.match(name)
    if not match or match["generation"] != generation or name.endswith("_articles"):
        return None
    return GLOBAL_TENANT if match["guild"] is None else GUILD_PREFIX + match["guild"]


def chunk_tenants(names: Iterable[str], generation: str) -> list[str]:
    """The tenants that have a chunk collection in `generation`, the global one first."""
    found = {t for t in (chunk_tenant_of(n, generation) for n in names) if t is not None}
    return sorted(found, key=lambda t: (t != GLOBAL_TENANT, t))


def best_of(lists: Sequence[Sequence[tuple[str, float]]], k: int) -> list[tuple[int, str, float]]:
    """The k most similar of several collections' (chunk id, similarity) lists, as (list index, chunk
    id, similarity), best first: similarities share one scale (one embedder, one distance); ties go by
    chunk id, so the order never depends on the lists' order."""
    pooled = [(n, chunk_id, score) for n, hits in enumerate(lists) for chunk_id, score in hits]
    return sorted(pooled, key=lambda hit: (-hit[2], hit[1]))[:k]
