"""The Discord bot: `create_bot(settings)` builds it, `run_bot(settings)` runs it with DISCORD_TOKEN."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrieval.errors import BriefbotError
from retrieval.settings import Settings

if TYPE_CHECKING:
    from discord.ext import commands

    from bot.app import BriefbotServiceLike
    from retrieval.service import BriefbotService


class DiscordTokenMissingError(BriefbotError):
    """`briefbot run` needs the bot token."""


def create_bot(
    settings: Settings | None = None, service: BriefbotService | BriefbotServiceLike | None = None
) -> commands.Bot:
    """The whole bot from settings (read from the environment when none are given)."""
    from bot.app import BriefBot

    settings = settings or Settings()
    if service is None:
        from retrieval.service import BriefbotService

        service = BriefbotService.from_settings(settings)
    return BriefBot(settings, service)


def run_bot(settings: Settings) -> None:
    """Connect to Discord and serve until stopped. Logging is configured by the caller (the CLI)."""
    if settings.discord_token is None:
        raise DiscordTokenMissingError(
            "DISCORD_TOKEN is not set. Create a bot in the Discord developer portal and put its token "
            "in .env (see README, \"Run it in your server\")."
        )
    bot = create_bot(settings)
    bot.run(settings.discord_token.get_secret_value(), log_handler=None)


__all__ = ["DiscordTokenMissingError", "create_bot", "run_bot"]
