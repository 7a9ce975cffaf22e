"""Each server's daily brief at its own local time: posted once, at the right instant (SimCord's clock,
never a sleep), across restarts, with the server's brief role as the only mention; a gone channel is
told to the admins at their next /settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import simcord

from bot import create_bot
from retrieval.settings import Settings
from tests.support.corpus import TODAY_ARTICLE, TODAY_FILE, write_folder
from tests.support.discord_env import World, make_world, message_payloads

START = datetime(2026, 1, 1, tzinfo=UTC)  # SimCord's clock starts here


@pytest.fixture
def today_indexed(bot_service: Any, tmp_path: Path) -> None:
    bot_service.index([write_folder(tmp_path, "today", **{TODAY_FILE: TODAY_ARTICLE})])


async def advance_to(env: simcord.Env, at: datetime) -> None:
    await env.advance_time((at - env.now()).total_seconds())


def headers(env: simcord.Env, world: World) -> list[dict[str, Any]]:
    """The daily brief headers the bot posted in the world's channel."""
    path = f"/channels/{world.channel.id}/messages"
    return [p for method, where, p in message_payloads(env) if method == "POST" and where == path
            and any("Brief" in str(e.get("title", "")) for e in p.get("embeds", []))]


async def schedule(world: World, *, zone: str, at: str = "07:00") -> None:
    for name, options in (("settings brief-channel", {"channel": world.channel}),
                          ("settings timezone", {"name": zone}), ("settings brief-time", {"time": at})):
        result = await world.admin.slash(world.channel, name, **options)
        assert result.response is not None and result.response.embeds, result.response


@pytest.mark.usefixtures("today_indexed")
async def test_two_time_zones_each_get_their_brief_once_at_their_own_seven_oclock(simcord_env: simcord.Env) -> None:
    paris, new_york = make_world(simcord_env), make_world(simcord_env)
    await schedule(paris, zone="Europe/Paris")  # 07:00 CET = 06:00 UTC
    await schedule(new_york, zone="America/New_York")  # 07:00 EST = 12:00 UTC

    await advance_to(simcord_env, START + timedelta(hours=5, minutes=59, seconds=59))
    assert not headers(simcord_env, paris) and not headers(simcord_env, new_york)
    await advance_to(simcord_env, START + timedelta(hours=6, seconds=2))
    assert len(headers(simcord_env, paris)) == 1 and not headers(simcord_env, new_york)
    await advance_to(simcord_env, START + timedelta(hours=11, minutes=59, seconds=59))
    assert not headers(simcord_env, new_york)
    await advance_to(simcord_env, START + timedelta(hours=12, seconds=2))
    assert len(headers(simcord_env, new_york)) == 1
    await advance_to(simcord_env, START + timedelta(hours=23))
    assert len(headers(simcord_env, paris)) == 1 and len(headers(simcord_env, new_york)) == 1
    store = simcord_env.bot.guild_store  # type: ignore[attr-defined]
    (posted,) = store.posted_briefs(paris.guild.id)
    assert posted.day == date(2026, 1, 1) and posted.outcome == "posted" and posted.message_id


@pytest.mark.usefixtures("today_indexed")
async def test_a_restart_between_two_briefs_neither_posts_twice_nor_misses_one(
    simcord_env: simcord.Env, bot_settings: Settings, bot_service: Any
) -> None:
    world = make_world(simcord_env)
    await schedule(world, zone="UTC")
    await advance_to(simcord_env, START + timedelta(hours=7, seconds=5))
    assert len(headers(simcord_env, world)) == 1
    await simcord_env.restart_bot(create_bot(bot_settings, bot_service))  # just after today's brief
    await advance_to(simcord_env, START + timedelta(hours=12))
    assert len(headers(simcord_env, world)) == 1  # not posted again

    await simcord_env.bot.unload_extension("bot.exts.brief")  # the bot is down over tomorrow's 07:00 ...
    await advance_to(simcord_env, START + timedelta(days=1, hours=7, minutes=30))
    assert len(headers(simcord_env, world)) == 1
    await simcord_env.restart_bot(create_bot(bot_settings, bot_service))  # ... and back at 07:30
    await simcord_env.settle()
    assert len(headers(simcord_env, world)) == 2  # the missed brief is posted on return, once
    await advance_to(simcord_env, START + timedelta(days=1, hours=20))
    assert len(headers(simcord_env, world)) == 2


@pytest.mark.usefixtures("today_indexed")
async def test_the_brief_role_is_the_only_mention_and_only_on_the_brief_header(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    readers = world.guild.create_role("Readers")
    await schedule(world, zone="UTC")
    shown = await world.admin.slash(world.channel, "settings brief-role", role=readers)
    assert shown.response is not None and f"<@&{readers.id}>" in str(shown.response.embeds[0].to_dict())
    await advance_to(simcord_env, START + timedelta(hours=7, seconds=5))

    (header,) = headers(simcord_env, world)
    assert header["content"] == f"<@&{readers.id}>"
    assert header["allowed_mentions"] == {"parse": [], "roles": [str(readers.id)]} or \
        header["allowed_mentions"] == {"parse": [], "roles": [readers.id]}
    others = [p for _, _, p in message_payloads(simcord_env) if p is not header]
    assert others
    for payload in others:
        allowed = payload.get("allowed_mentions")
        assert allowed is not None and allowed.get("parse") == [], payload
        assert not allowed.get("roles") and not allowed.get("users") and not allowed.get("replied_user")


@pytest.mark.usefixtures("today_indexed")
async def test_a_gone_channel_is_logged_told_to_admins_once_and_not_retried(
    simcord_env: simcord.Env, caplog: pytest.LogCaptureFixture
) -> None:
    world = make_world(simcord_env)
    doomed = world.guild.create_text_channel("briefs")
    await schedule(world, zone="UTC")
    await world.admin.slash(world.channel, "settings brief-channel", channel=doomed)
    simcord_env.backend.delete_channel(doomed.id)
    requests_before = len(simcord_env.http_requests)
    await advance_to(simcord_env, START + timedelta(hours=10))
    assert len(simcord_env.http_requests) - requests_before <= 2  # at most a fetch of the channel: no loop
    assert any("channel" in r.getMessage() and "gone" in r.getMessage() for r in caplog.records)

    told = await world.admin.slash(world.channel, "settings show")
    assert told.response is not None and "its channel is gone" in (told.response.embeds[0].description or "")
    again = await world.admin.slash(world.channel, "settings show")
    assert again.response is not None and not again.response.embeds[0].description
