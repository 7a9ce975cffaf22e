"""`/settings`: shown back in an embed, stored per server, and Manage Server only: in Discord's payload,
at run time when a channel overwrite lets a member in, and in autocomplete."""

from __future__ import annotations

from typing import Any

import discord
import pytest
import simcord
from simcord.builders import ChannelHandle

from bot.exts.settings import BAD_TIME_MESSAGE, BAD_ZONE_MESSAGE
from bot.utils.interactions import ADMIN_ONLY_MESSAGE
from tests.support.discord_env import World, assert_nobody_pinged, make_world

MANAGE_GUILD = str(discord.Permissions(manage_guild=True).value)
CHANGES: list[tuple[str, dict[str, Any]]] = [
    ("settings brief-time", {"time": "06:15"}),
    ("settings timezone", {"name": "Europe/Paris"}),
    ("settings topics", {"action": "exclude", "terms": "sport"}),
    ("settings answer-channels", {"mode": "all"}),
    ("settings brief-role", {}),
    ("settings brief-channel", {}),
    ("settings show", {}),
]


def _store(env: simcord.Env) -> Any:
    return env.bot.guild_store  # type: ignore[attr-defined]


def _sneaky(world: World) -> simcord.ChannelHandle:
    """A channel whose overwrite grants Alice Manage Server: Discord then shows her the commands."""
    return world.guild.create_text_channel(
        "ops", overwrites={world.alice: discord.PermissionOverwrite(manage_guild=True)})


async def test_settings_are_admin_only_in_the_payload(simcord_env: simcord.Env) -> None:
    (sync,) = [r for r in simcord_env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert isinstance(sync.json, list)
    group = next(c for c in sync.json if c["name"] == "settings")
    assert str(group["default_member_permissions"]) == MANAGE_GUILD
    world = make_world(simcord_env)
    assert not any(c.startswith("settings") for c in world.alice.available_commands(world.channel))
    with pytest.raises(simcord.SetupError, match="default-member-permissions"):
        await world.alice.slash(world.channel, "settings show")


@pytest.mark.parametrize(("name", "options"), CHANGES)
async def test_a_member_let_in_by_a_channel_overwrite_changes_nothing(
    simcord_env: simcord.Env, name: str, options: dict[str, Any]
) -> None:
    world = make_world(simcord_env)
    sneaky = _sneaky(world)
    assert name in world.alice.available_commands(sneaky)  # Discord lets her in here ...
    if name == "settings brief-channel":
        options = {"channel": sneaky}
    refused = await world.alice.slash(sneaky, name, **options)
    assert refused.ephemeral and refused.response is not None
    assert ADMIN_ONLY_MESSAGE in refused.response.content and not refused.response.embeds  # ... the bot does not
    assert _store(simcord_env).get(world.guild.id).updated_at is None  # nothing was stored
    simcord_env.errors.clear()


async def test_timezone_autocomplete_answers_admins_only(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    sneaky = _sneaky(world)
    assert await world.alice.autocomplete(sneaky, "settings timezone", "name", "paris") == []
    offered = await world.admin.autocomplete(world.channel, "settings timezone", "name", "paris")
    assert [c["value"] for c in offered] == ["Europe/Paris"]


async def test_an_admin_sets_and_sees_each_setting_and_bad_values_are_refused(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    readers = world.guild.create_role("Readers")
    shown = await world.admin.slash(world.channel, "settings show")
    assert shown.ephemeral and shown.response is not None
    fields = {f.name: f.value for f in shown.response.embeds[0].fields}
    assert fields["Brief time"] == "07:00 UTC (default)" and fields["Answers mentions in"] == "every channel"
    assert fields["Role mentioned with the brief"] == "off"

    for name, options in [("settings brief-channel", {"channel": world.channel}),
                          ("settings brief-time", {"time": "6:30"}), ("settings timezone", {"name": "Asia/Tokyo"}),
                          ("settings topics", {"action": "include", "terms": "harbour, Coast Courier"}),
                          ("settings answer-channels", {"mode": "add", "channel": world.channel}),
                          ("settings brief-role", {"role": readers})]:
        result = await world.admin.slash(world.channel, name, **options)
        assert result.response is not None and result.response.embeds, (name, result.response)
    fields = {f.name: f.value for f in result.response.embeds[0].fields}
    assert fields["Daily brief channel"] == f"<#{world.channel.id}>"
    assert fields["Brief time"] == "06:30 Asia/Tokyo"
    assert fields["Topics included"] == "harbour, Coast Courier"
    assert fields["Answers mentions in"].startswith(f"<#{world.channel.id}>")
    assert fields["Role mentioned with the brief"] == f"<@&{readers.id}>"

    for name, options, message in [("settings brief-time", {"time": "25:00"}, BAD_TIME_MESSAGE),
                                   ("settings timezone", {"name": "Mars/Olympus"}, BAD_ZONE_MESSAGE)]:
        refused = await world.admin.slash(world.channel, name, **options)
        assert refused.response is not None and message in refused.response.content
    config = _store(simcord_env).get(world.guild.id)
    assert config.timezone == "Asia/Tokyo" and config.brief_time is not None and config.brief_time.hour == 6
    assert_nobody_pinged(simcord_env)  # the role is shown in an embed, never pinged


async def test_mentions_are_answered_only_in_the_listed_channels_and_their_threads(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    quiet = world.guild.create_text_channel("quiet")
    await world.admin.slash(world.channel, "settings answer-channels", mode="add", channel=world.channel)
    question = f"{world.me.mention} Why did Putin visit North Korea?"

    before = len(simcord_env.http_requests)
    await world.alice.send(quiet, question)
    assert not [r for r in simcord_env.http_requests[before:] if r.method == "POST" and "messages" in r.path]
    await world.alice.send(world.channel, question)
    answer = world.channel.last_message
    assert answer is not None and answer.author.id == world.me.id and answer.embeds


    talk = ChannelHandle(simcord_env, world.guild,
                         simcord_env.backend.create_thread(world.channel.id, "talk", world.alice.id))
    await world.alice.send(talk, question)  # a thread follows its parent channel's setting
    reply = talk.last_message
    assert reply is not None and reply.author.id == world.me.id and reply.embeds
    quiet_talk = ChannelHandle(simcord_env, world.guild,
                               simcord_env.backend.create_thread(quiet.id, "chat", world.alice.id))
    before = len(simcord_env.http_requests)
    await world.alice.send(quiet_talk, question)
    assert not [r for r in simcord_env.http_requests[before:] if r.method == "POST" and "messages" in r.path]
