"""`/source add|remove kind value`: admins manage what is indexed (folders, feeds, pages).

Restricted like `/reindex`: Discord hides the group from members without Manage Server
(`default_member_permissions`), and the bot re-checks at run time, because a server admin can
open it to others with a channel permission overwrite. URLs go through the same SSRF rules as
fetching (`retrieval.source_config.add_source` validates with `retrieval.url_safety.check_url`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.app import send_ephemeral
from bot.commands import require_index_admin
from bot.text_split import truncate
from retrieval.errors import FetchError, SourceError, UnsafeURLError
from retrieval.source_config import SourceKind, add_source, remove_source

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger(__name__)

MAX_SOURCE_VALUE_CHARS = 500
UNSAFE_URL_MESSAGE = "That URL is not allowed: it points to a private, local or non-web address."
UNREACHABLE_URL_MESSAGE = "That URL's host could not be resolved."


class SourceAdmin(commands.Cog):
    source = app_commands.Group(
        name="source",
        description="Add or remove an indexed source (admins only).",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    @source.command(name="add", description="Add a folder, RSS/Atom feed or web page; /reindex picks it up.")
    @app_commands.describe(kind="What the value is", value="A folder path on the bot's host, or a URL")
    @app_commands.check(require_index_admin)
    async def add(
        self,
        interaction: discord.Interaction,
        kind: SourceKind,
        value: app_commands.Range[str, 1, MAX_SOURCE_VALUE_CHARS],
    ) -> None:
        await self._change(interaction, "add", kind, value)

    @source.command(name="remove", description="Stop indexing a folder, feed or web page.")
    @app_commands.describe(kind="What the value is", value="Exactly as it was added")
    @app_commands.check(require_index_admin)
    async def remove(
        self,
        interaction: discord.Interaction,
        kind: SourceKind,
        value: app_commands.Range[str, 1, MAX_SOURCE_VALUE_CHARS],
    ) -> None:
        await self._change(interaction, "remove", kind, value)

    async def _change(self, interaction: discord.Interaction, action: str, kind: str, value: str) -> None:
        """One short ephemeral line either way; refusals never echo a resolved address."""
        change = add_source if action == "add" else remove_source
        try:
            await asyncio.to_thread(change, self.bot.settings, kind, value)
        except UnsafeURLError:
            log.info("refused unsafe source URL from user %s", interaction.user.id)
            await send_ephemeral(interaction, render.render_error(UNSAFE_URL_MESSAGE))
            return
        except FetchError:
            await send_ephemeral(interaction, render.render_error(UNREACHABLE_URL_MESSAGE))
            return
        except SourceError as exc:
            await send_ephemeral(interaction, render.render_error(str(exc)))
            return
        done = "Added" if action == "add" else "Removed"
        shown = truncate(value.strip(), 200)
        shown = discord.utils.escape_markdown(shown) if kind == "folder" else f"<{shown}>"  # <>: no preview
        await send_ephemeral(interaction, f"✅ {done} {kind} {shown}. Run /reindex to update the index.")


__all__ = ["UNSAFE_URL_MESSAGE", "SourceAdmin"]
