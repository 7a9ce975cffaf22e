"""Pure rendering of a server's settings (`/settings show` and every change's reply)."""

from __future__ import annotations

from datetime import time

import discord

from bot.render.messages import ANSWER_COLOUR
from bot.render.safe import safe_line
from bot.store import GuildConfig

DEFAULT_MARK = "(default)"
PROBLEM_PREFIX = "⚠️ "


def _channel(channel_id: int | None) -> str:
    return f"<#{channel_id}>" if channel_id else "none"


def _terms(terms: tuple[str, ...]) -> str:
    return ", ".join(safe_line(t, limit=60) for t in terms) if terms else "none"


def render_settings(config: GuildConfig, *, default_channel_id: int | None, default_time: time,
                    problem: str | None = None) -> discord.Embed:
    """The server's settings, each marked when it is the operator's default; a delivery problem first."""
    brief_channel = _channel(config.brief_channel_id) if config.brief_channel_id else \
        f"{_channel(default_channel_id)} {DEFAULT_MARK}"
    brief_time = config.brief_time or default_time
    zone = config.timezone or "UTC"
    time_mark = "" if config.brief_time or config.timezone else f" {DEFAULT_MARK}"
    if config.answer_channel_ids is None:
        answers = "every channel"
    elif not config.answer_channel_ids:
        answers = "no channel (slash commands still work)"
    else:
        answers = ", ".join(_channel(c) for c in config.answer_channel_ids) + " (and their threads)"
    embed = discord.Embed(title="Server settings", colour=ANSWER_COLOUR)
    if problem:
        embed.description = PROBLEM_PREFIX + safe_line(problem, limit=300)
    embed.add_field(name="Daily brief channel", value=brief_channel, inline=False)
    embed.add_field(name="Brief time", value=f"{brief_time.strftime('%H:%M')} {zone}{time_mark}", inline=False)
    embed.add_field(name="Topics included", value=_terms(config.topics_include), inline=True)
    embed.add_field(name="Topics excluded", value=_terms(config.topics_exclude), inline=True)
    embed.add_field(name="Answers mentions in", value=answers, inline=False)
    role = f"<@&{config.brief_role_id}>" if config.brief_role_id else "off"
    embed.add_field(name="Role mentioned with the brief", value=role, inline=False)
    return embed
