"""Building and starting the bot: intents, command sync (dev guild or global), the missing-token error."""

from __future__ import annotations

from typing import Any

import discord
import pytest
import simcord

from bot import DiscordTokenMissingError, create_bot, run_bot
from retrieval.settings import Settings
from tests.support.discord_env import make_world

DEV_GUILD_ID = 1456074443980811111


async def test_the_bot_needs_no_privileged_intent(bot_settings: Settings, bot_service: Any) -> None:
    bot = create_bot(bot_settings, bot_service)
    assert not bot.intents.message_content and not bot.intents.members and not bot.intents.presences
    assert bot.allowed_mentions is not None and bot.allowed_mentions.to_dict()["parse"] == []
    # A portal with every privileged intent switched off still lets it connect and serve.
    async with simcord.run(bot, approved_intents=discord.Intents.default()) as env:
        world = make_world(env)
        assert {"ask", "sources"} <= set(world.alice.available_commands(world.channel))


async def test_commands_sync_to_the_dev_guild_when_configured(bot_settings: Settings, bot_service: Any) -> None:
    settings = bot_settings.model_copy(update={"dev_guild_id": DEV_GUILD_ID})
    async with simcord.run(create_bot(settings, bot_service)) as env:
        synced = [r.path for r in env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]
        assert synced == [f"/applications/{env.backend.application_id}/guilds/{DEV_GUILD_ID}/commands"]
        dev = make_world(env, guild_id=DEV_GUILD_ID)
        assert {"ask", "sources", "reindex"} <= set(dev.admin.available_commands(dev.channel))
        other = env.create_guild("Elsewhere")
        stranger = other.add_member(env.create_user("stranger"))
        assert stranger.available_commands(other.create_text_channel("x")) == ()


async def test_commands_sync_globally_without_a_dev_guild(simcord_env: simcord.Env) -> None:
    synced = [r.path for r in simcord_env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert synced == [f"/applications/{simcord_env.backend.application_id}/commands"]


def test_run_without_a_token_fails_with_a_clear_message(bot_settings: Settings) -> None:
    with pytest.raises(DiscordTokenMissingError, match="DISCORD_TOKEN is not set"):
        run_bot(bot_settings)


def test_the_start_up_heap_is_frozen_out_of_the_collectors_view() -> None:
    """`briefbot run` freezes what start-up built, so full collections don't stall the event loop."""
    import gc

    from bot import freeze_startup_heap

    alive = [object() for _ in range(10)]
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() >= len(alive)
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
