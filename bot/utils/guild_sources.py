"""A server's own feeds and pages: kept in the settings store, indexed as that server's tenant.

Shared by `/source` (add, remove) and `/reindex`. Folders are never a server's: only feeds and pages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.utils.brief_store import brief_store_for
from retrieval.errors import ReindexRunningError, SourceError
from retrieval.ingest.configured_sources import SourcesConfig, checked_remote_url
from retrieval.models import IndexProgress, IndexReport, guild_tenant

if TYPE_CHECKING:
    from bot.app import BriefBot
    from bot.settings import BotSettings
    from bot.store import GuildStore

log = logging.getLogger(__name__)

FORGET_ATTEMPTS = 10
FORGET_RETRY_SECONDS = 30.0


def add_guild_source(settings: BotSettings, store: GuildStore, guild_id: int, kind: str, value: str) -> None:
    """Add a feed or page for one server (checked against the SSRF rules first); twice is a no-op."""
    store.add_source(guild_id, kind, checked_remote_url(settings, value))


def remove_guild_source(store: GuildStore, guild_id: int, kind: str, value: str) -> None:
    if not store.remove_source(guild_id, kind, value.strip()):
        raise SourceError(f"not a configured {kind}: {value.strip()}")


def guild_config(store: GuildStore, guild_id: int) -> SourcesConfig:
    sources = store.sources(guild_id)
    return SourcesConfig(feeds=tuple(s.value for s in sources if s.kind == "feed"),
                         urls=tuple(s.value for s in sources if s.kind == "url"))


async def reindex_guild(
    bot: BriefBot, guild_id: int | None, progress: Callable[[IndexProgress], None]
) -> IndexReport:
    """`/reindex` in a server: the global sources when the operator allows it, then the server's own
    (which also removes the articles of a source the server removed)."""
    include_global = bot.settings.guild_reindex_includes_global
    if guild_id is None:
        return await asyncio.to_thread(bot.service.index, None, progress=progress)
    config = await asyncio.to_thread(guild_config, bot.guild_store, guild_id)
    return await asyncio.to_thread(bot.service.index_tenant, guild_tenant(guild_id), config,
                                   include_global=include_global, progress=progress)


async def forget_guild(bot: BriefBot, guild_id: int) -> None:
    """The bot left a server: its brief stories, articles (chunks, lexical entries), sources and settings
    go. Waits for a running re-index rather than failing; another server's are never touched."""
    stories = await asyncio.to_thread(brief_store_for(bot.settings).forget_guild, guild_id)  # no index lock
    for attempt in range(FORGET_ATTEMPTS):
        try:
            removed = await asyncio.to_thread(bot.service.forget_tenant, guild_tenant(guild_id))
            break
        except ReindexRunningError:
            await asyncio.sleep(FORGET_RETRY_SECONDS * (attempt + 1))
    else:
        log.error("guild %s left, but its articles could not be removed (the index stayed busy)", guild_id)
        return
    await asyncio.to_thread(bot.guild_store.forget_guild, guild_id)
    log.info("left guild %s: removed its %d articles, %d brief stories, its sources and settings",
             guild_id, removed, stories)


async def refresh_guilds(bot: BriefBot) -> int:
    """The timed refresh for servers' own sources: each server this process serves, one at a time.
    Returns how many were re-indexed; one server's failure is logged and the others still run."""
    done = 0
    for guild_id in await asyncio.to_thread(bot.guild_store.guilds_with_sources):
        if bot.get_guild(guild_id) is None:
            continue  # another shard's server
        config = await asyncio.to_thread(guild_config, bot.guild_store, guild_id)
        try:
            await asyncio.to_thread(bot.service.index_tenant, guild_tenant(guild_id), config)
            done += 1
        except Exception:
            log.exception("scheduled refresh of guild %s's sources failed", guild_id)
    return done
