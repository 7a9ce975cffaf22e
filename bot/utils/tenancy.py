"""Which articles a Discord server may see: the operator's (global) ones and its own, never another's."""

from __future__ import annotations

from collections.abc import Iterable

from retrieval.ingest.tenants import tenant_of_article_id
from retrieval.models import GLOBAL_TENANT, guild_tenant


def tenants_for(guild_id: int | None) -> frozenset[str]:
    """A server's tenants; outside a server (a DM), the global articles alone."""
    if guild_id is None:
        return frozenset({GLOBAL_TENANT})
    return frozenset({GLOBAL_TENANT, guild_tenant(guild_id)})


def visible_to(article_ids: Iterable[str], guild_id: int | None) -> bool:
    """Whether a server may see all these articles (a stored story's, behind a button)."""
    allowed = tenants_for(guild_id)
    return all(tenant_of_article_id(i) in allowed for i in article_ids)
