"""The bot is an AutoShardedBot: with two shards, servers on either shard are served, and each gets its
own daily brief from the one scheduler (its state in the database, not in one shard's memory)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import discord
import pytest
import simcord

from retrieval.settings import Settings
from tests.bot.test_guild_briefs import START, advance_to, headers, schedule
from tests.conftest import make_settings
from tests.support.discord_env import make_world

SHARDS = 2


@pytest.fixture
def bot_settings(tmp_path: Path, corpus: Path) -> Settings:
    return make_settings(tmp_path / "data", seeds_dir=corpus, user_cooldown_seconds=0.0, shard_count=SHARDS)


def _guild_id_on(shard: int) -> int:
    """A guild snowflake that Discord's rule, (id >> 22) % shards, puts on `shard`."""
    timestamp = (1_456_074_443_980_800_000 >> 22) + 100
    while timestamp % SHARDS != shard:
        timestamp += 1
    return timestamp << 22


async def test_servers_on_two_shards_are_answered_and_briefed(simcord_env: simcord.Env) -> None:
    assert isinstance(simcord_env.bot, discord.AutoShardedClient) and simcord_env.bot.shard_count == SHARDS
    worlds = [make_world(simcord_env, guild_id=_guild_id_on(shard)) for shard in range(SHARDS)]
    assert sorted((w.guild.id >> 22) % SHARDS for w in worlds) == list(range(SHARDS))
    for world in worlds:
        asked = await world.alice.slash(world.channel, "ask", question="Why did Putin visit North Korea?")
        assert asked.response is not None and asked.response.embeds
        await schedule(world, zone="UTC")
    await advance_to(simcord_env, START + timedelta(hours=7, seconds=5))
    assert [len(headers(simcord_env, w)) for w in worlds] == [1] * SHARDS
