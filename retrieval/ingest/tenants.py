"""Whose an article is. The operator's sources (sources.toml, the command line) are the global tenant,
seen by every server; what one server adds is that server's tenant, retrievable by that server only.

A server's article gets the tenant in its id (`guild:1/...`), so two servers that add the same feed
each have their own copy: removing it from one (or the bot leaving that server) never removes the
other's. Each tenant keeps its own ETag state, so one server's fetch never makes another's a 304.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from retrieval.models import GLOBAL_TENANT, Article, IndexReport
from retrieval.settings import Settings

TENANTS_DIR = "tenants"


def tagged(articles: Iterable[Article], tenant: str) -> list[Article]:
    """The articles as `tenant`'s: its name in their ids (unless global) and in their `tenant` field."""
    if tenant == GLOBAL_TENANT:
        return [a.model_copy(update={"tenant": GLOBAL_TENANT}) for a in articles]
    return [a.model_copy(update={"id": f"{tenant}/{a.id}", "tenant": tenant}) for a in articles]


def tenant_of_article_id(article_id: str) -> str:
    """The tenant an article id belongs to (see `tagged`)."""
    head, sep, _ = article_id.partition("/")
    return head if sep and head.startswith("guild:") else GLOBAL_TENANT


def state_dir(settings: Settings, tenant: str) -> Path:
    """Where a tenant's feed ETags live (the global tenant keeps the data dir, as before)."""
    if tenant == GLOBAL_TENANT:
        return settings.data_dir
    folder = settings.data_dir / TENANTS_DIR / tenant.replace(":", "_")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def combined(first: IndexReport, second: IndexReport) -> IndexReport:
    """Two runs' reports as one (a server's sources, then the global ones)."""
    return IndexReport(
        added=first.added + second.added, updated=first.updated + second.updated,
        unchanged=first.unchanged + second.unchanged, removed=first.removed + second.removed,
        merged_duplicates=first.merged_duplicates + second.merged_duplicates,
        chunks_embedded=first.chunks_embedded + second.chunks_embedded,
        failures=(*first.failures, *second.failures), seconds=round(first.seconds + second.seconds, 3),
    )
