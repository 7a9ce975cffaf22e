"""`/brief`, the daily brief and the story buttons through the real discord.py bot under SimCord."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord
from discord.ext import commands

from bot import create_bot
from bot.exts.brief._cog import BAD_DATE_MESSAGE, BriefCommands, brief_as_of
from bot.render import messages as render
from bot.render.brief import DISAGREEMENTS_HEADING, EMPTY_BRIEF_TEXT
from retrieval.settings import Settings
from tests.support.corpus import TODAY_ARTICLE, TODAY_FILE, write_folder
from tests.support.discord_env import AskRecorder, assert_nobody_pinged, make_world

BRIEF_TIME = time(7, 0)
SEED_DAY = "2024-06-20"  # the window covers the seed (2024-06-19) and the US warning (2024-06-20)


def all_embeds(result: simcord.InteractionResult) -> list[list[discord.Embed]]:
    assert result.response is not None
    return [result.response.embeds, *(f.embeds for f in result.followups)]


def brief_thread(channel: simcord.ChannelHandle) -> list[discord.Message]:
    """The stories of the newest brief: the messages of the thread under its header."""
    return list(channel.threads[-1].history())


def assert_message_limits(embeds: list[discord.Embed]) -> None:
    assert 1 <= len(embeds) <= render.MAX_EMBEDS_PER_MESSAGE
    assert sum(len(e) for e in embeds) <= render.MAX_EMBED_TOTAL_CHARS
    assert all(len(e.description or "") <= render.MAX_EMBED_DESCRIPTION_CHARS for e in embeds)


def answer_messages(result: simcord.InteractionResult) -> list[simcord.ResponseMessage]:
    """A deferred interaction's first followup replaces the "thinking" message, as on Discord."""
    return [m for m in [result.response, *result.followups] if m is not None and (m.embeds or m.content)]


def seed_story(channel: simcord.ChannelHandle) -> discord.Message:
    return next(m for m in brief_thread(channel) if "deny arms trade" in (m.embeds[0].description or ""))


def button_ids(message: simcord.ResponseMessage | discord.Message) -> list[str]:
    if isinstance(message, discord.Message):
        return [c.custom_id or "" for row in message.components if isinstance(row, discord.ActionRow)
                for c in row.children if isinstance(c, discord.Button)]
    return [c["custom_id"] for row in message.components for c in row.get("components", [])]


def briefs_in(channel: simcord.ChannelHandle) -> list[discord.Message]:
    """The channel's brief headers (not the system notices of the threads opened under them)."""
    return [m for m in channel.history() if m.embeds]


def brief_cog(env: simcord.Env) -> BriefCommands:
    assert isinstance(env.bot, commands.AutoShardedBot)
    cog = env.bot.get_cog("BriefCommands")
    assert isinstance(cog, BriefCommands)
    return cog


def channel_posts(env: simcord.Env, channel: simcord.ChannelHandle) -> list[Any]:
    return [r for r in env.http_requests if r.method == "POST" and r.path == f"/channels/{channel.id}/messages"]


async def test_brief_renders_within_the_limits_and_shows_the_seeds_contradiction(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    result = await world.alice.slash(world.channel, "brief", date=SEED_DAY)

    callback = next(r for r in simcord_env.http_requests if r.path.endswith("/callback"))
    assert callback.json == {"type": 5} and not result.ephemeral  # deferred first, public
    header = result.response
    assert header is not None and header.embeds[0].title == f"Brief · {SEED_DAY}"
    assert not result.followups  # one header in the channel; the stories are in the thread under it
    (thread,) = world.channel.threads
    stories = brief_thread(world.channel)
    assert len(stories) >= 2 and thread.name == f"Brief {SEED_DAY}"
    for embeds in [header.embeds, *(m.embeds for m in stories)]:
        assert_message_limits(embeds)
    story = seed_story(world.channel)
    text = story.embeds[0].description or ""
    assert DISAGREEMENTS_HEADING in text
    side_lines = [line for line in text.split("\n") if line.startswith("  ◦ ")]
    assert len(side_lines) >= 2 and all(re.search(r"(\[\d+\])+$", line) for line in side_lines)
    assert any("deny arms trade" in line for line in side_lines)
    key = button_ids(story)[0].split(":")[-1]
    assert button_ids(story) == [f"brief:sources:{key}", f"brief:disagreements:{key}", f"brief:ask:{key}"]
    calm = next(m for m in stories if m is not story and DISAGREEMENTS_HEADING not in (m.embeds[0].description or ""))
    assert [b.split(":")[1] for b in button_ids(calm)] == ["sources", "ask"]  # nothing disputed: no button
    assert (story.embeds[-1].footer.text or "") == "1 article · Briefing"  # the seed: one article, one outlet
    assert assert_nobody_pinged(simcord_env) >= 2


async def test_without_thread_permission_the_stories_follow_in_the_channel(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    simcord_env.inject_error("POST", f"/channels/{world.channel.id}/messages/*/threads", status=403, code=50013,
                             message="Missing Permissions", times=None)
    result = await world.alice.slash(world.channel, "brief", date=SEED_DAY)
    assert result.response is not None and result.response.embeds[0].title == f"Brief · {SEED_DAY}"
    assert not world.channel.threads and len(result.followups) >= 2
    assert any("deny arms trade" in (f.embeds[0].description or "") for f in result.followups)
    assert all(f.components for f in result.followups)  # every story keeps its buttons
    assert not simcord_env.errors


def test_brief_dates_are_strict_iso_days_ending_at_midnight_utc() -> None:
    now = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    assert brief_as_of(None, now=now) == now and brief_as_of("2026-01-01", now=now) == now
    assert brief_as_of(" 2024-06-19 ", now=now) == datetime(2024, 6, 19, 23, 59, 59, tzinfo=UTC)
    for bad in ("19/06/2024", "20240619", "2024-W25-3", "2024-6-19", "2024-02-30", "yesterday"):
        with pytest.raises(ValueError):
            brief_as_of(bad, now=now)


async def test_a_bad_date_gets_a_short_ephemeral_message_and_an_empty_window_says_so(
    simcord_env: simcord.Env,
) -> None:
    world = make_world(simcord_env)
    bad = await world.alice.slash(world.channel, "brief", date="19/06/2024")
    assert bad.ephemeral and bad.response is not None and BAD_DATE_MESSAGE in bad.response.content

    empty = await world.alice.slash(world.channel, "brief", date="2030-01-01", topic="anything")
    assert empty.response is not None and not empty.followups and not world.channel.threads
    text = empty.response.embeds[0].description or ""
    assert text.startswith(EMPTY_BRIEF_TEXT)
    assert "The newest articles are from 2024-06-21: try `/brief date:2024-06-21`." in text
    assert_nobody_pinged(simcord_env)


async def test_story_buttons_and_the_ask_modal_work_and_keep_working_after_a_restart(
    simcord_env: simcord.Env, bot_settings: Settings, bot_service: AskRecorder
) -> None:
    world = make_world(simcord_env)
    await world.alice.slash(world.channel, "brief", date=SEED_DAY)
    story = seed_story(world.channel)
    other = next(m for m in brief_thread(world.channel) if m is not story and m.components)

    for restarted in (False, True):
        if restarted:
            await simcord_env.restart_bot(create_bot(bot_settings, bot_service))
        sources = await world.alice.click(story, label="Sources")
        assert sources.ephemeral and sources.response is not None
        assert "Sources for" in sources.response.content and "[" in sources.response.content

        sides = await world.alice.click(story, label="Disagreements")
        assert sides.ephemeral and sides.response is not None
        assert "deny arms trade" in sides.response.content
        assert len(re.findall(r"^  ◦ .+(\[\d+\])+$", sides.response.content, re.M)) >= 2
        assert "Disagreements" not in str(button_ids(other))  # no disagreement: no button to click

        shown = await world.alice.click(story, label="Ask")
        assert shown.modal is not None
        answered = await world.alice.submit_modal(shown, {"question": "Do Russia and North Korea trade arms?"})
        assert answered.ephemeral
        (reply,) = answer_messages(answered)
        sources_embed = reply.embeds[-1]
        assert sources_embed.title == render.SOURCES_TITLE
        listed = sources_embed.description or ""
        assert "North Korea" in listed and "Hanoi" not in listed  # only the story's own articles
    asks = [a.question for a in bot_service.asks]
    assert asks == ["Do Russia and North Korea trade arms?"] * 2

    for stored in (bot_settings.data_dir / "briefs").glob("*.json"):  # tidied away: the button says so
        stored.unlink()
    gone = await world.alice.click(story, label="Sources")
    assert gone.ephemeral and gone.response is not None and "no longer stored" in gone.response.content
    assert assert_nobody_pinged(simcord_env) >= 8


async def test_ask_is_answered_from_the_storys_articles_only(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    question = "What did the United States say about the defence pact?"
    unrestricted = await world.alice.slash(world.channel, "ask", question=question)
    assert "US warns" in "".join(e.description or "" for e in all_embeds(unrestricted)[0])

    await world.alice.slash(world.channel, "brief", date="2024-06-21")
    hanoi = next(m for m in brief_thread(world.channel) if "Hanoi" in (m.embeds[0].title or ""))
    shown = await world.alice.click(hanoi, label="Ask")
    answered = await world.alice.submit_modal(shown, {"question": question})
    (reply,) = answer_messages(answered)
    text = "".join((e.description or "") + (e.footer.text or "") for e in reply.embeds)
    assert "US warns" not in text and "Answered from this story's articles only." in text


# --- the daily brief -----------------------------------------------------------------------------


@pytest.fixture
async def daily(
    simcord_env: simcord.Env, bot_settings: Settings, bot_service: AskRecorder, tmp_path: Path
) -> tuple[simcord.Env, Any]:
    """The bot restarted with a brief channel and time, and an article of SimCord's 'today' indexed."""
    assert not brief_cog(simcord_env).daily_brief.is_running()  # no channel configured: no loop
    bot_service.index([write_folder(tmp_path, "today", **{TODAY_FILE: TODAY_ARTICLE})])
    world = make_world(simcord_env)
    settings = bot_settings.model_copy(update={"brief_channel_id": world.channel.id, "brief_time": BRIEF_TIME})
    await simcord_env.restart_bot(create_bot(settings, bot_service))
    assert brief_cog(simcord_env).daily_brief.is_running()
    return simcord_env, world


async def advance_to(env: simcord.Env, hours: float) -> None:
    """Move SimCord's clock to `hours` after 2026-01-01 00:00 UTC."""
    start = env.now().replace(hour=0, minute=0, second=0, microsecond=0, day=1, month=1, year=2026)
    await env.advance_time((start + timedelta(hours=hours) - env.now()).total_seconds())


async def test_the_daily_brief_posts_at_the_configured_time_and_opens_a_thread(daily: tuple[simcord.Env, Any]) -> None:
    env, world = daily
    await advance_to(env, 6.9)
    assert not channel_posts(env, world.channel)
    await advance_to(env, 7.1)

    (header,) = briefs_in(world.channel)
    assert header.embeds[0].title == "Brief · today, 2026-01-01"
    assert "Harbour city opens new flood barrier" in (header.embeds[0].description or "")
    (thread,) = world.channel.threads
    (story,) = thread.history()
    assert "flood barrier" in (story.embeds[0].title or "").lower()
    assert [b.split(":")[1] for b in button_ids(story)] == ["sources", "ask"]  # nothing disputed
    sources = await world.alice.click(story, label="Sources")
    assert sources.response is not None and "<https://example.org/flood-barrier>" in sources.response.content

    await advance_to(env, 24 + 7.1)  # and again the next day
    assert len(briefs_in(world.channel)) == 2 and len(world.channel.threads) == 2
    assert_nobody_pinged(env)


async def test_a_500_on_the_post_is_survived_and_the_next_day_still_posts(
    daily: tuple[simcord.Env, Any], caplog: pytest.LogCaptureFixture
) -> None:
    env, world = daily
    env.inject_error("POST", f"/channels/{world.channel.id}/messages", status=500)
    with caplog.at_level(logging.WARNING, logger="bot.exts.brief._cog"):
        await advance_to(env, 7.1)
    assert len(channel_posts(env, world.channel)) == 1 and not briefs_in(world.channel)
    assert any("daily brief not posted (HTTP 500" in r.getMessage() for r in caplog.records)
    assert brief_cog(env).daily_brief.is_running()

    await advance_to(env, 24 + 7.1)
    (header,) = briefs_in(world.channel)
    assert header.embeds[0].title == "Brief · today, 2026-01-02"
    assert not env.errors


async def test_missing_permissions_is_logged_once_a_day_without_a_crash_loop(
    daily: tuple[simcord.Env, Any], caplog: pytest.LogCaptureFixture
) -> None:
    env, world = daily
    env.inject_error("POST", f"/channels/{world.channel.id}/messages", status=403, code=50013,
                     message="Missing Permissions", times=None)
    with caplog.at_level(logging.WARNING, logger="bot.exts.brief._cog"):
        await advance_to(env, 3 * 24 + 7.1)
    assert len(channel_posts(env, world.channel)) == 4  # one attempt a day: Jan 1, 2, 3 and 4
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.exts.brief._cog"]
    assert len(warnings) == 4 and all("HTTP 403, code 50013" in w for w in warnings)
    assert brief_cog(env).daily_brief.is_running() and not env.errors
