"""`/source add|remove kind value`: server admins manage which feeds and pages are indexed for their
server. A server's sources are kept in the settings store and indexed as that server's tenant: no other
server retrieves them (`bot.utils.guild_sources`). The operator's own go in `sources.toml`.

Restricted like `/reindex`: Discord hides the group from members without Manage Server
(`default_member_permissions`), and the bot re-checks at run time, because a server admin can
open it to others with a channel permission overwrite. URLs go through the same SSRF rules as
fetching (`retrieval.ingest.configured_sources.checked_remote_url` validates with
`retrieval.ingest.url_safety.check_url`).

Folders are the operator's (command line, `sources.toml`): a server admin is not the host's owner.
`kind` offers only feed and url, and the bot refuses any other kind a crafted interaction sends,
with one fixed message, so no reply says anything about the host's paths.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.render import messages as render
from bot.render.safe import wrapped_link
from bot.utils.guild_sources import add_guild_source, remove_guild_source
from bot.utils.interactions import require_index_admin, send_ephemeral
from retrieval.errors import FetchError, SourceError, UnsafeURLError
from retrieval.ingest.configured_sources import REMOTE_KINDS, RemoteSourceKind

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger(__name__)

MAX_SOURCE_VALUE_CHARS = 500
UNSAFE_URL_MESSAGE = "That URL is not allowed: it points to a private, local or non-web address."
UNREACHABLE_URL_MESSAGE = "That URL's host could not be resolved."
REMOTE_ONLY_MESSAGE = (
    "From Discord you can add or remove feeds and web pages (`feed`, `url`). Folders on the bot's host "
    "are set by the bot's operator."
)


class SourceAdmin(commands.Cog):
    source = app_commands.Group(
        name="source",
        description="Add or remove an indexed source (admins only).",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    @source.command(name="add", description="Add an RSS/Atom feed or a web page; /reindex picks it up.")
    @app_commands.describe(kind="What the value is", value="The feed's or page's URL")
    @app_commands.check(require_index_admin)
    async def add(
        self,
        interaction: discord.Interaction,
        kind: RemoteSourceKind,
        value: app_commands.Range[str, 1, MAX_SOURCE_VALUE_CHARS],
    ) -> None:
        await self._change(interaction, "add", kind, value)

    @source.command(name="remove", description="Stop indexing a feed or web page.")
    @app_commands.describe(kind="What the value is", value="Exactly as it was added")
    @app_commands.check(require_index_admin)
    async def remove(
        self,
        interaction: discord.Interaction,
        kind: RemoteSourceKind,
        value: app_commands.Range[str, 1, MAX_SOURCE_VALUE_CHARS],
    ) -> None:
        await self._change(interaction, "remove", kind, value)

    async def _change(self, interaction: discord.Interaction, action: str, kind: str, value: str) -> None:
        """One short ephemeral line either way; refusals never echo a resolved address or a path."""
        if kind not in REMOTE_KINDS:  # Discord offers only these; a crafted interaction may not
            log.warning("refused /source %s of kind %r from user %s", action, kind, interaction.user.id)
            await send_ephemeral(interaction, render.render_error(REMOTE_ONLY_MESSAGE))
            return
        guild_id = interaction.guild_id
        assert guild_id is not None  # guild_only: a server's sources are that server's alone
        store = self.bot.guild_store
        try:
            if action == "add":
                await asyncio.to_thread(add_guild_source, self.bot.settings, store, guild_id, kind, value)
            else:
                await asyncio.to_thread(remove_guild_source, store, guild_id, kind, value)
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
        shown = wrapped_link(value.strip()) or "(not shown)"  # <>: no preview, and no breakout
        await send_ephemeral(interaction, f"✅ {done} {kind} {shown}. Run /reindex to update the index.")


async def setup(bot: BriefBot) -> None:
    await bot.add_cog(SourceAdmin(bot))


__all__ = ["REMOTE_ONLY_MESSAGE", "UNSAFE_URL_MESSAGE", "SourceAdmin", "setup"]
