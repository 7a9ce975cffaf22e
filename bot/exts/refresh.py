"""BRIEFBOT_REFRESH_MINUTES: re-index the configured sources on a timer, inside the bot's process.

It shares /reindex's lock, so the two never overlap; a failed refresh is logged and the next one still runs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.utils.guild_sources import refresh_guilds
from retrieval.errors import BriefbotError
from retrieval.models import IndexReport

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger(__name__)


class ScheduledRefresh(commands.Cog):
    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self.last_report: IndexReport | None = None
        minutes = bot.settings.refresh_minutes
        self.loop = tasks.loop(minutes=minutes)(self.refresh) if minutes and minutes > 0 else None

    async def cog_load(self) -> None:
        if self.loop is not None:
            self.loop.start()

    async def cog_unload(self) -> None:
        if self.loop is not None:
            self.loop.cancel()

    async def refresh(self) -> None:
        """One refresh; never raises, so the loop keeps its schedule."""
        if self.bot.reindex_lock.locked():
            log.info("scheduled refresh skipped: a re-index is already running")
            return
        async with self.bot.reindex_lock:
            try:
                self.last_report = await asyncio.to_thread(self.bot.service.index, None)
                await refresh_guilds(self.bot)  # each server's own feeds and pages too
            except BriefbotError as exc:
                log.warning("scheduled refresh failed: %s", exc)
                return
            except Exception:
                log.exception("scheduled refresh failed")
                return
        report = self.last_report
        log.info(
            "scheduled refresh: added %d, updated %d, unchanged %d, removed %d, failures %d",
            report.added, report.updated, report.unchanged, report.removed, len(report.failures),
        )


async def setup(bot: BriefBot) -> None:
    await bot.add_cog(ScheduledRefresh(bot))
