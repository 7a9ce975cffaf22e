"""`/settings`: a server's own settings, set by its admins and shown back in an embed.

Every subcommand is Manage Server only twice over: Discord hides the group (`default_member_permissions`)
and the bot re-checks the member's guild permissions, because a channel overwrite can open the command
to others. Autocomplete answers nobody else either. A delivery problem of the daily brief (a channel
gone or not writable) is told to the admins with the next /settings they use.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import zoneinfo
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.render import messages as render
from bot.render.settings import render_settings
from bot.store import GuildConfig
from bot.utils.guild_sources import forget_guild
from bot.utils.interactions import is_index_admin, require_index_admin, send_ephemeral
from bot.utils.targets import NO_MENTIONS

if TYPE_CHECKING:
    from bot.app import BriefBot

HH_MM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)", re.ASCII)
BAD_TIME_MESSAGE = "The time must look like 07:30 (24-hour HH:MM, in the server's time zone)."
BAD_ZONE_MESSAGE = "That is not a time zone I know. Pick one from the list, e.g. Europe/Paris."
MAX_TERMS = 25
MAX_TERM_CHARS = 60
MAX_CHOICES = 25
TopicAction = Literal["include", "exclude", "clear"]
AnswerMode = Literal["all", "add", "remove"]


@cache
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def parse_time(text: str) -> dt.time | None:
    match = HH_MM.fullmatch(text.strip())
    return dt.time(int(match[1]), int(match[2])) if match else None


def parse_terms(text: str) -> tuple[str, ...]:
    """Comma-separated words or outlet names, trimmed, de-duplicated, bounded."""
    terms = [t.strip()[:MAX_TERM_CHARS] for t in text.split(",")]
    return tuple(dict.fromkeys(t for t in terms if t))[:MAX_TERMS]


class ServerSettings(commands.Cog):
    settings = app_commands.Group(
        name="settings",
        description="This server's settings for briefbot (admins only).",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
    )

    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    async def _update(self, interaction: discord.Interaction, **changes: Any) -> None:
        """Store the change (if any), then show every setting, with any delivery problem first."""
        assert interaction.guild_id is not None  # guild_only
        store = self.bot.guild_store
        guild_id = interaction.guild_id
        config: GuildConfig = await asyncio.to_thread(store.update, guild_id, **changes) if changes else \
            await asyncio.to_thread(store.get, guild_id)
        problem = await asyncio.to_thread(store.take_problem, guild_id)
        embed = render_settings(config, default_channel_id=self._default_channel(interaction.guild),
                                default_time=self.bot.settings.brief_time, problem=problem)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    def _default_channel(self, guild: discord.Guild | None) -> int | None:
        """`.env`'s brief channel, when it is in this server."""
        channel_id = self.bot.settings.brief_channel_id
        if guild is None or channel_id is None:
            return None
        return channel_id if guild.get_channel_or_thread(channel_id) is not None else None

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Left (or removed from) a server: what it added and set goes with it."""
        await forget_guild(self.bot, guild.id)

    @settings.command(name="show", description="Show this server's settings.")
    @app_commands.check(require_index_admin)
    async def show(self, interaction: discord.Interaction) -> None:
        await self._update(interaction)

    @settings.command(name="brief-channel", description="Where the daily brief is posted (empty: the default).")
    @app_commands.check(require_index_admin)
    async def brief_channel(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        await self._update(interaction, brief_channel_id=channel.id if channel else None)

    @settings.command(name="brief-time", description="When the daily brief is posted, HH:MM in the server's time zone.")
    @app_commands.check(require_index_admin)
    async def brief_time(self, interaction: discord.Interaction, time: app_commands.Range[str, 1, 5]) -> None:
        parsed = parse_time(time)
        if parsed is None:
            await send_ephemeral(interaction, render.render_error(BAD_TIME_MESSAGE))
            return
        await self._update(interaction, brief_time=parsed)

    @settings.command(name="timezone", description="The server's time zone for the brief (IANA, e.g. Europe/Paris).")
    @app_commands.check(require_index_admin)
    async def timezone(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 64]) -> None:
        if name.strip() not in time_zones():
            await send_ephemeral(interaction, render.render_error(BAD_ZONE_MESSAGE))
            return
        await self._update(interaction, timezone=name.strip())

    @timezone.autocomplete("name")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not is_index_admin(interaction.user):  # checks don't run for autocomplete: this is the check
            return []
        wanted = current.strip().casefold()
        found = [z for z in time_zones() if wanted in z.casefold()][:MAX_CHOICES]
        return [app_commands.Choice(name=z, value=z) for z in found]

    @settings.command(name="topics", description="Words or outlets the daily brief includes or excludes.")
    @app_commands.describe(action="include, exclude, or clear both lists", terms="Comma-separated words or outlets")
    @app_commands.check(require_index_admin)
    async def topics(self, interaction: discord.Interaction, action: TopicAction,
                     terms: app_commands.Range[str, 0, 1000] = "") -> None:
        if action == "clear":
            await self._update(interaction, topics_include=(), topics_exclude=())
            return
        await self._update(interaction, **{f"topics_{action}": parse_terms(terms)})

    @settings.command(name="answer-channels", description="Where mentions are answered: all channels, or a list.")
    @app_commands.describe(mode="all, or add/remove one channel of the list (threads follow their channel)")
    @app_commands.check(require_index_admin)
    async def answer_channels(self, interaction: discord.Interaction, mode: AnswerMode,
                              channel: discord.TextChannel | None = None) -> None:
        if mode == "all":
            await self._update(interaction, answer_channel_ids=None)
            return
        if channel is None:
            await send_ephemeral(interaction, render.render_error("Name the channel to add or remove."))
            return
        assert interaction.guild_id is not None
        current = (await asyncio.to_thread(self.bot.guild_store.get, interaction.guild_id)).answer_channel_ids
        chosen = list(current or ())
        if mode == "add" and channel.id not in chosen:
            chosen.append(channel.id)
        if mode == "remove":
            chosen = [c for c in chosen if c != channel.id]
        await self._update(interaction, answer_channel_ids=tuple(chosen))

    @settings.command(name="brief-role", description="A role to mention when the daily brief is posted (empty: off).")
    @app_commands.check(require_index_admin)
    async def brief_role(self, interaction: discord.Interaction, role: discord.Role | None = None) -> None:
        await self._update(interaction, brief_role_id=role.id if role else None)


async def setup(bot: BriefBot) -> None:
    await bot.add_cog(ServerSettings(bot))


__all__ = ["BAD_TIME_MESSAGE", "BAD_ZONE_MESSAGE", "ServerSettings", "parse_terms", "parse_time", "setup"]
