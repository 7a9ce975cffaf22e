"""The bot leaving a server takes that server's posted brief stories off the disk: the stories only it
posted and those of its own articles go, while a story another server posted too (the same global
brief) stays, and that server's buttons still answer."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
import simcord

from bot.utils.brief_store import BRIEFS_FOLDER, BriefStore, StoredStory
from retrieval.settings import Settings
from tests.bot.guild_feeds import ALPHA, two_guilds_with_feeds
from tests.conftest import make_settings
from tests.support.discord_env import World
from tests.support.http_server import LocalServer

FEED_DAY = "2025-12-31"  # each server's own feed article
GLOBAL_DAY, OTHER_GLOBAL_DAY = "2024-06-20", "2024-06-21"  # the operator's articles only


@pytest.fixture
def bot_settings(tmp_path: Path, corpus: Path) -> Settings:
    return make_settings(tmp_path / "data", seeds_dir=corpus, user_cooldown_seconds=0.0, allow_private_urls=True)


def stored(store: BriefStore, key: str) -> StoredStory:
    found = store.load(key)
    assert found is not None, key
    return found


async def brief_keys(world: World, day: str) -> tuple[list[discord.Message], set[str]]:
    """Post /brief for `day` in the world; its story messages and their story keys."""
    done = await world.alice.slash(world.channel, "brief", date=day)
    assert done.response is not None
    stories = [m for m in world.channel.threads[-1].history() if m.components]
    keys = {c.custom_id.rsplit(":", 1)[1] for m in stories for row in m.components
            if isinstance(row, discord.ActionRow) for c in row.children
            if isinstance(c, discord.Button) and c.custom_id}
    assert stories and keys
    return stories, keys


async def test_leaving_a_server_removes_the_stories_only_it_held_and_the_others_still_answer(
    simcord_env: simcord.Env, local_server: LocalServer, bot_settings: Settings
) -> None:
    guilds = await two_guilds_with_feeds(simcord_env, local_server)
    a, b = guilds.a.guild.id, guilds.b.guild.id
    _, a_feed = await brief_keys(guilds.a, FEED_DAY)
    _, a_global = await brief_keys(guilds.a, GLOBAL_DAY)
    _, a_alone = await brief_keys(guilds.a, OTHER_GLOBAL_DAY)
    b_feed_stories, b_feed = await brief_keys(guilds.b, FEED_DAY)
    b_global_stories, b_global = await brief_keys(guilds.b, GLOBAL_DAY)
    store = BriefStore(bot_settings.data_dir / BRIEFS_FOLDER)
    assert a_global == b_global  # the same global brief: the two servers share its stories' files
    assert all(stored(store, k).cites_guild(a) for k in a_feed)
    assert all(set(stored(store, k).guild_ids) == {a, b} for k in a_global)
    assert all(stored(store, k).guild_ids == (a,) for k in a_alone)

    simcord_env.backend.remove_guild(a)  # kicked, or left: Discord sends GUILD_DELETE
    await simcord_env.settle()

    left = {p.stem for p in store.folder.glob("*.json")}
    assert not left & (a_feed | a_alone)  # what only A held is gone
    assert b_feed | b_global <= left
    assert all(stored(store, k).guild_ids == (b,) for k in b_feed | b_global)
    for stories in (b_feed_stories, b_global_stories):
        shown = await guilds.b.alice.click(stories[0], label="Sources")
        assert shown.response is not None and "Sources for" in shown.response.content
        assert "no longer stored" not in shown.response.content and ALPHA["outlet"] not in shown.response.content
