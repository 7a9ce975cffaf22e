"""Slash commands `/ask`, `/sources` and `/reindex`: defer, one service call off the loop, render, send."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.render import messages as render
from bot.render import status
from bot.render.safe import thread_name
from bot.utils.answering import AskRequest, Delivered, ThrottledEditor
from bot.utils.conversations import History, is_my_thread, thread_turns
from bot.utils.guild_sources import reindex_guild
from bot.utils.interactions import is_index_admin, require_index_admin, send_ephemeral
from bot.utils.limits import refusal
from bot.utils.targets import NO_MENTIONS, InteractionTarget
from bot.utils.tenancy import tenants_for
from retrieval.errors import BriefbotError
from retrieval.models import IndexProgress, IndexReport

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440
AUTOCOMPLETE_CACHE_SECONDS = 60.0
REINDEX_RUNNING_MESSAGE = "A re-index is already running. I'll be ready for another one when it finishes."
FOLLOW_UP_HINT = "Ask follow-up questions here: mention me or reply to one of my messages."



class BriefbotCommands(commands.Cog):
    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self.reindex_lock = bot.reindex_lock
        self._choices: dict[frozenset[str], tuple[float, list[str]]] = {}

    # --- /ask ------------------------------------------------------------------------------
    @app_commands.command(name="ask", description="Ask about the indexed news; the answer cites its sources.")
    @app_commands.describe(question="What do you want to know?")
    async def ask(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, MAX_QUESTION_CHARS]
    ) -> None:
        refused = refusal(self.bot.budget, self.bot.cooldown, interaction.user.id)
        if refused:
            await send_ephemeral(interaction, render.render_error(refused))
            return
        await interaction.response.defer(thinking=True)
        channel = interaction.channel
        thread_id = channel.id if isinstance(channel, discord.Thread) and is_my_thread(channel, self.bot) else None
        earlier = await thread_turns(self.bot, channel) if isinstance(channel, discord.Thread) and thread_id else ()
        delivered = await self.bot.answerer.answer(
            question, History(earlier), InteractionTarget(interaction),
            request=AskRequest(interaction.user.id, tenants=tenants_for(interaction.guild_id)),
        )
        if delivered is None:
            return
        keys = [m.id for m in delivered.messages] + ([thread_id] if thread_id else [])
        self.bot.conversations.remember(keys, delivered.turns)
        if thread_id is None and not delivered.answer.refused:
            await self._start_thread(delivered, question)

    async def _start_thread(self, delivered: Delivered, question: str) -> None:
        """Replies to slash-command answers reach bots without their text, so follow-ups get a thread."""
        head = delivered.messages[0]
        if not isinstance(head.channel, discord.TextChannel):
            return
        try:
            thread = await head.create_thread(
                name=thread_name(question),
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
            hint = await thread.send(FOLLOW_UP_HINT, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:  # e.g. no Create Public Threads permission: answer stands alone
            log.info("could not start a follow-up thread: %s", exc)
            return
        self.bot.conversations.remember([thread.id, hint.id], delivered.turns)

    # --- /sources --------------------------------------------------------------------------
    @app_commands.command(name="sources", description="What is indexed: articles, outlets, the newest articles.")
    @app_commands.describe(
        query="Find articles by a word of their title, outlet or site", detail="Index internals (admins only)"
    )
    async def sources(self, interaction: discord.Interaction, query: str | None = None, detail: bool = False) -> None:
        if detail and not is_index_admin(interaction.user):  # an option cannot be hidden: checked here
            await send_ephemeral(interaction, render.render_error(status.DETAIL_ADMIN_ONLY_MESSAGE))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        tenants = tenants_for(interaction.guild_id)
        if query and query.strip():
            found = await asyncio.to_thread(self.bot.service.find_articles, query, tenants=tenants)
            embed = status.render_matches(found)
        else:
            stats = await asyncio.to_thread(self.bot.service.stats, tenants=tenants)
            embed = status.render_stats(stats, detail=detail)
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @sources.autocomplete("query")
    async def sources_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        options = await self._titles_and_outlets(tenants_for(interaction.guild_id))
        return [app_commands.Choice(name=o, value=o) for o in status.autocomplete_choices(options, current)]

    async def _titles_and_outlets(self, tenants: frozenset[str]) -> list[str]:
        """Cached per set of tenants: one server's choices are never another's."""
        now = time.monotonic()
        cached = self._choices.get(tenants)
        if cached is None or now - cached[0] > AUTOCOMPLETE_CACHE_SECONDS:
            options = await asyncio.to_thread(self.bot.service.list_titles_and_outlets, tenants=tenants)
            cached = self._choices[tenants] = (now, list(options))
        return cached[1]

    # --- /reindex --------------------------------------------------------------------------
    @app_commands.command(name="reindex", description="Re-index the configured sources (admins only).")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    @app_commands.check(require_index_admin)
    async def reindex(self, interaction: discord.Interaction) -> None:
        if self.reindex_lock.locked():
            await send_ephemeral(interaction, render.render_error(REINDEX_RUNNING_MESSAGE))
            return
        async with self.reindex_lock:
            await interaction.response.defer(thinking=True)
            report = await self._run_index(interaction)
            self._choices.clear()
        if report is not None:
            await _finish(interaction, status.render_index_report(report))

    async def _run_index(self, interaction: discord.Interaction) -> IndexReport | None:
        async def show(content: str) -> None:
            await interaction.edit_original_response(content=content, allowed_mentions=NO_MENTIONS)

        editor: ThrottledEditor[IndexProgress] = ThrottledEditor(
            asyncio.get_running_loop(), show, status.render_index_progress
        )
        try:
            return await reindex_guild(self.bot, interaction.guild_id, editor.from_worker)
        except BriefbotError as exc:
            await editor.close()
            await _finish(interaction, render.render_error(str(exc)))
        except Exception:
            log.exception("re-index failed")
            await editor.close()
            await _finish(interaction, render.render_error("The re-index failed; the error was logged."))
        finally:
            await editor.close()
        return None


async def _finish(interaction: discord.Interaction, content: str) -> None:
    """The final word of a long command; if the 15-minute token expired, post in the channel."""
    try:
        await interaction.edit_original_response(content=content, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.warning("could not edit the command's message (%s); posting instead", exc)
        channel = interaction.channel
        if isinstance(channel, discord.abc.Messageable):
            await channel.send(content, allowed_mentions=NO_MENTIONS)


async def setup(bot: BriefBot) -> None:
    await bot.add_cog(BriefbotCommands(bot))


__all__ = ["BriefbotCommands", "setup"]
