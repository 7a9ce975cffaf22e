"""The `commands.AutoShardedBot` subclass: intents, shared state, command-tree sync, the last-resort error handler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

import discord
from discord import app_commands
from discord.ext import commands

from bot.render import messages as render
from bot.settings import BotSettings
from bot.store import GuildStore
from bot.utils.answering import GENERIC_APOLOGY, Answerer
from bot.utils.conversations import ConversationStore
from bot.utils.interactions import ADMIN_ONLY_MESSAGE, send_ephemeral
from bot.utils.limits import Cooldown, TokenBudget
from bot.utils.targets import NO_MENTIONS
from retrieval.brief.models import Brief
from retrieval.brief.topics import TopicFilter
from retrieval.errors import BriefbotError
from retrieval.index.listing import ArticleMatches
from retrieval.ingest.configured_sources import SourcesConfig
from retrieval.llm import Completion
from retrieval.models import Answer, IndexProgress, IndexReport, IndexStats, ScoredChunk, Turn

log = logging.getLogger(__name__)

# Loaded by name, in this order, each through its `setup(bot)`; the brief also registers its persistent buttons.
EXTENSIONS = (
    "bot.exts.ask",
    "bot.exts.mentions",
    "bot.exts.brief",
    "bot.exts.source_admin",
    "bot.exts.refresh",
    "bot.exts.settings",
)


class BriefbotServiceLike(Protocol):
    """What the bot calls on `retrieval.service.BriefbotService` (all synchronous, run off the loop)."""

    def ask(
        self,
        question: str,
        *,
        as_of: datetime | None = None,
        history: Sequence[Turn] = (),
        on_partial: Callable[[str], None] | None = None,
        on_usage: Callable[[Completion], None] | None = None,
        on_sources: Callable[[Sequence[ScoredChunk]], None] | None = None,
        article_ids: Sequence[str] | None = None,
        tenants: frozenset[str] | None = None,
    ) -> Answer: ...
    def brief(
        self, *, as_of: datetime | None = None, topic: str | None = None, window_hours: int = 24,
        on_usage: Callable[[Completion], None] | None = None, may_call: Callable[[], bool] | None = None,
        tenants: frozenset[str] | None = None, topics: TopicFilter | None = None,
    ) -> Brief: ...
    def index(
        self, paths: Sequence[Path] | None = None, *, progress: Callable[[IndexProgress], None] | None = None
    ) -> IndexReport: ...
    def index_tenant(
        self, tenant: str, config: SourcesConfig, *, include_global: bool = False,
        progress: Callable[[IndexProgress], None] | None = None,
    ) -> IndexReport: ...
    def forget_tenant(self, tenant: str) -> int: ...
    def stats(self, *, tenants: frozenset[str] | None = None) -> IndexStats: ...
    def find_articles(
        self, query: str, *, limit: int = ..., tenants: frozenset[str] | None = None
    ) -> ArticleMatches: ...
    def list_titles_and_outlets(self, *, tenants: frozenset[str] | None = None) -> list[str]: ...


class BriefBot(commands.AutoShardedBot):
    """Holds the one service and the per-process state every handler shares. Sharded: one process runs
    every shard it is given (Discord's recommended count unless BRIEFBOT_SHARD_COUNT says otherwise), so
    the bot keeps working past 2,500 servers per shard; per-server state lives in the database."""

    def __init__(
        self, settings: BotSettings, service: BriefbotServiceLike, guild_store: GuildStore | None = None
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,  # no prefix commands; mentions are questions
            intents=discord.Intents.default(),  # no privileged intents: mentions and replies carry content
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            shard_count=settings.shard_count,
            shard_ids=settings.shard_id_list,  # type: ignore[arg-type]  # None (all shards) is discord.py's default
        )
        self.settings = settings
        self.service = service
        # Per-server settings, sources and posted briefs: in the database, never only in this process.
        self.guild_store = guild_store or GuildStore.from_settings(settings, clock=lambda: discord.utils.utcnow())
        self.conversations = ConversationStore()
        self.cooldown = Cooldown(settings.user_cooldown_seconds)
        self.budget = TokenBudget(settings.user_daily_token_budget)
        self.reindex_lock = asyncio.Lock()  # /reindex and the scheduled refresh never overlap
        self.answerer = Answerer(
            service.ask,
            max_concurrent=settings.max_concurrent_answers,
            deadline_seconds=settings.answer_deadline_seconds,
            # Sources are previewed while an LLM writes; an extractive answer is there at once anyway.
            preview_sources=settings.has_llm,
            budget=self.budget,
        )
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """To the dev guild when configured (instant), else globally (can take a while to appear)."""
        if self.settings.dev_guild_id:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), self.settings.dev_guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d commands globally", len(synced))

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """One short ephemeral message; the traceback goes to the log only."""
        original = getattr(error, "original", error)
        if isinstance(error, app_commands.MissingPermissions):
            text = ADMIN_ONLY_MESSAGE
        elif isinstance(error, app_commands.CheckFailure):
            text = "You can't use this command here."
        elif isinstance(original, BriefbotError):
            text = str(original)
        else:
            log.error("command %s failed", interaction.command and interaction.command.name, exc_info=original)
            text = GENERIC_APOLOGY
        await send_ephemeral(interaction, render.render_error(text))


