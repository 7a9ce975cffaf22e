"""What every command handler shares: the ephemeral notice and the server-side admin check.

Imports no cog, so cogs and the bot class can both use it without a circle.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.utils.targets import NO_MENTIONS

log = logging.getLogger(__name__)

ADMIN_ONLY_MESSAGE = "Only members with the Manage Server permission can use this command."


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral notice whether or not the interaction was already acknowledged."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.error("could not send an error notice: %s", exc)


def is_index_admin(member: discord.Member | discord.User) -> bool:
    """Manage Server (or Administrator) on the guild itself; channel overwrites don't count."""
    if not isinstance(member, discord.Member):
        return False
    permissions = member.guild_permissions
    return permissions.administrator or permissions.manage_guild


def require_index_admin(interaction: discord.Interaction) -> bool:
    """Runtime re-check behind `default_member_permissions`, which server admins can override."""
    if not is_index_admin(interaction.user):
        raise app_commands.MissingPermissions(["manage_guild"])
    return True
