"""Admin commands: `/reindex` (progress, summary, one at a time) and `/source add|remove` (URLs
through the SSRF rules). Both are admins only: Discord's permission and the bot's own re-check."""

from __future__ import annotations

from typing import Any

import discord
import pytest
import simcord
from discord import app_commands
from filelock import FileLock

from bot.app import BriefBot
from bot.exts.ask import REINDEX_RUNNING_MESSAGE
from bot.exts.source_admin import UNSAFE_URL_MESSAGE
from bot.utils.interactions import ADMIN_ONLY_MESSAGE, is_index_admin
from retrieval.settings import Settings
from tests.support.discord_env import assert_nobody_pinged, make_world

MANAGE_GUILD = str(discord.Permissions(manage_guild=True).value)


def _original_edits(env: simcord.Env) -> list[str]:
    return [
        str(r.json.get("content"))
        for r in env.http_requests
        if r.method == "PATCH" and r.path.endswith("/messages/@original") and isinstance(r.json, dict)
    ]


async def test_a_member_without_manage_server_cannot_even_invoke_reindex(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    assert "reindex" not in world.alice.available_commands(world.channel)
    assert "reindex" in world.admin.available_commands(world.channel)
    with pytest.raises(simcord.SetupError, match="default-member-permissions"):
        await world.alice.slash(world.channel, "reindex")


async def test_the_bot_rechecks_manage_server_when_discord_lets_a_member_through(
    simcord_env: simcord.Env,
) -> None:
    world = make_world(simcord_env)
    # A channel overwrite satisfies Discord's command visibility, but it is not Manage Server on the guild.
    sneaky_channel = world.guild.create_text_channel(
        "ops", overwrites={world.alice: discord.PermissionOverwrite(manage_guild=True)}
    )
    assert "reindex" in world.alice.available_commands(sneaky_channel)
    guild = simcord_env.bot.get_guild(world.guild.id)
    assert guild is not None
    alice, boss = await guild.fetch_member(world.alice.id), await guild.fetch_member(world.admin.id)
    assert sneaky_channel.id in {c.id for c in guild.channels}
    assert not is_index_admin(alice) and is_index_admin(boss)

    result = await world.alice.slash(sneaky_channel, "reindex")

    assert result.ephemeral and result.response is not None
    assert ADMIN_ONLY_MESSAGE in result.response.content
    (error,) = simcord_env.errors  # the check failure went through the tree's error handler
    assert isinstance(error, app_commands.MissingPermissions)
    assert not any("Re-index" in c for c in _original_edits(simcord_env))


async def test_an_admin_sees_progress_and_a_summary(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    result = await world.admin.slash(world.channel, "reindex")

    callback = next(r for r in simcord_env.http_requests if r.path.endswith("/callback"))
    assert callback.json == {"type": 5} and result.response is not None
    edits = _original_edits(simcord_env)
    progress = [e for e in edits if e.startswith("🔄 Re-indexing:")]
    assert progress and "of 3 articles done" in progress[0]
    assert "unchanged" in progress[0] and "failed" in progress[0] and "%" in progress[0]
    summary = result.response.content
    assert summary.startswith("✅ Re-index finished")
    assert "3 unchanged" in summary and "0 failed" in summary  # the fixture indexed the same 3 files
    assert edits[-1] == summary
    assert_nobody_pinged(simcord_env)


async def test_a_second_reindex_while_one_runs_is_refused_politely(
    simcord_env: simcord.Env, bot_settings: Settings
) -> None:
    world = make_world(simcord_env)
    bot = simcord_env.bot
    assert isinstance(bot, BriefBot) and bot.get_cog("BriefbotCommands") is not None
    async with bot.reindex_lock:  # a /reindex (or the scheduled refresh) of this bot is in progress
        refused = await world.admin.slash(world.channel, "reindex")
    assert refused.ephemeral and refused.response is not None
    assert REINDEX_RUNNING_MESSAGE in refused.response.content

    # Another process (e.g. `briefbot index`) holds the index's single-writer lock.
    with FileLock(str(bot_settings.data_dir / "index.lock")):
        busy = await world.admin.slash(world.channel, "reindex")
    assert busy.response is not None
    assert "already running" in busy.response.content and "Traceback" not in busy.response.content

    done = await world.admin.slash(world.channel, "reindex")  # and afterwards it works again
    assert done.response is not None and done.response.content.startswith("✅ Re-index finished")


# --- 6. /source add|remove: admins only, and URLs through the SSRF rules ----------------------------


def _synced(env: simcord.Env, name: str) -> dict[str, Any]:
    (sync,) = [r for r in env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert isinstance(sync.json, list)
    return next(c for c in sync.json if c["name"] == name)


async def test_source_commands_are_admin_only_in_the_payload_and_at_run_time(
    simcord_env: simcord.Env, bot_settings: Settings
) -> None:
    for name in ("source", "reindex"):
        assert str(_synced(simcord_env, name)["default_member_permissions"]) == MANAGE_GUILD
    world = make_world(simcord_env)
    assert "source add" not in world.alice.available_commands(world.channel)
    sneaky = world.guild.create_text_channel("ops", overwrites={world.alice: discord.PermissionOverwrite(
        manage_guild=True)})
    assert "source add" in world.alice.available_commands(sneaky)  # Discord lets her in here ...

    refused = await world.alice.slash(sneaky, "source add", kind="url", value="https://93.184.216.34/news")
    assert refused.ephemeral and refused.response is not None
    assert ADMIN_ONLY_MESSAGE in refused.response.content  # ... the bot does not
    (error,) = simcord_env.errors  # the re-check failed, and went through the tree's error handler
    assert isinstance(error, app_commands.MissingPermissions)
    assert not bot_settings.sources_file.exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/feed", "http://localhost/rss", "http://169.254.169.254/",
                                 "http://10.0.0.5/admin", "http://[::1]/", "file:///etc/passwd"])
async def test_an_admin_cannot_add_a_private_or_local_url(
    simcord_env: simcord.Env, bot_settings: Settings, url: str
) -> None:
    world = make_world(simcord_env)
    result = await world.admin.slash(world.channel, "source add", kind="feed", value=url)
    assert result.ephemeral and result.response is not None
    assert UNSAFE_URL_MESSAGE in result.response.content
    assert not bot_settings.sources_file.exists() or url not in bot_settings.sources_file.read_text()


async def test_an_admin_adds_and_removes_sources(simcord_env: simcord.Env, bot_settings: Settings) -> None:
    world = make_world(simcord_env)
    public = "https://93.184.216.34/news"  # a literal public address: checked without DNS
    added = await world.admin.slash(world.channel, "source add", kind="url", value=public)
    assert added.response is not None and added.response.content.startswith(f"✅ Added url <{public}>")
    store = simcord_env.bot.guild_store  # type: ignore[attr-defined]
    assert [s.value for s in store.sources(world.guild.id)] == [public]  # this server's, not sources.toml
    assert not bot_settings.sources_file.exists()

    removed = await world.admin.slash(world.channel, "source remove", kind="url", value=public)
    assert removed.ephemeral and removed.response is not None and "Removed" in removed.response.content
    assert store.sources(world.guild.id) == []
    missing = await world.admin.slash(world.channel, "source remove", kind="feed", value=public)
    assert missing.response is not None and "not a configured feed" in missing.response.content
    assert_nobody_pinged(simcord_env)
