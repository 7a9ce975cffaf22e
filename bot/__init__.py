"""The Discord bot: `create_bot(settings)` builds it, `run_bot(settings)` runs it with DISCORD_TOKEN."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from bot.settings import BotSettings
from retrieval.errors import BriefbotError

if TYPE_CHECKING:
    from discord.ext import commands

    from bot.app import BriefbotServiceLike
    from retrieval.service import BriefbotService


class DiscordTokenMissingError(BriefbotError):
    """`briefbot run` needs the bot token."""


def create_bot(
    settings: BotSettings | None = None, service: BriefbotService | BriefbotServiceLike | None = None
) -> commands.AutoShardedBot:
    """The whole bot from settings (read from the environment when none are given)."""
    from bot.app import BriefBot

    settings = settings or BotSettings()
    if service is None:
        from retrieval.service import BriefbotService

        service = BriefbotService.from_settings(settings)
    return BriefBot(settings, service)


def run_bot(settings: BotSettings) -> None:
    """Connect to Discord and serve until stopped. Logging is configured by the caller (the CLI)."""
    if settings.discord_token is None:
        raise DiscordTokenMissingError(
            "DISCORD_TOKEN is not set. Create a bot in the Discord developer portal and put its token "
            "in .env (see README, \"Run it in your server\")."
        )
    bot = create_bot(settings)
    freeze_startup_heap()
    bot.run(settings.discord_token.get_secret_value(), log_handler=None)


def freeze_startup_heap() -> None:
    """What is alive after start-up (the model, the index, caches) lives as long as the process. Taking
    it out of the collector's view keeps full collections from walking it all with the GIL held: in a
    big heap one such pause measured 322 ms, which the event loop feels as lag (docs/reliability.md)."""
    gc.collect()
    gc.freeze()


__all__ = ["DiscordTokenMissingError", "create_bot", "freeze_startup_heap", "run_bot"]
