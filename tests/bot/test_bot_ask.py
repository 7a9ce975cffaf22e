"""`/ask`, `/sources` and conversations through the real discord.py bot under SimCord (extractive mode)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord

from bot import create_bot
from bot.render import messages as render
from bot.render.text_split import CITATION
from bot.utils.conversations import MAX_HISTORY_TURNS
from retrieval.settings import Settings
from tests.support.discord_env import AskRecorder, assert_nobody_pinged, make_service, make_world

ANSWERABLE = "Why did Putin visit North Korea?"
UNANSWERABLE = "Who won the 1966 football World Cup final at Wembley?"


def _source_numbers(embeds: list[discord.Embed]) -> set[int]:
    listed = "\n".join(e.description or "" for e in embeds if (e.title or "").startswith(render.SOURCES_TITLE))
    return {int(n) for n in re.findall(r"^\[(\d+)\]", listed, re.M)}


def _cited_numbers(text: str) -> set[int]:
    return {int(n) for marker in CITATION.findall(text) for n in re.findall(r"\d+", marker)}


async def test_ask_defers_first_then_answers_with_sources_matching_its_citations(
    simcord_env: simcord.Env,
) -> None:
    world = make_world(simcord_env)
    result = await world.alice.slash(world.channel, "ask", question=ANSWERABLE)

    paths = [
        (r.method, r.path) for r in simcord_env.http_requests if "/interactions/" in r.path or "/webhooks/" in r.path
    ]
    assert paths[0][1].endswith("/callback")  # acknowledged before any edit or followup
    callback = next(r for r in simcord_env.http_requests if r.path.endswith("/callback"))
    assert callback.json == {"type": 5}  # deferred ("thinking"), public
    assert not result.ephemeral
    assert result.response is not None
    embeds = result.response.embeds
    answer_text = embeds[0].description or ""
    assert embeds[0].title == ANSWERABLE
    cited = _cited_numbers(answer_text)
    assert cited, answer_text
    assert _source_numbers(embeds) == cited
    sources = embeds[-1].description or ""
    assert "](https://" in sources or "· Briefing" in sources  # a masked link, or the briefing (no URL)
    assert result.response.content == ""  # the streamed preview was replaced by the embeds
    assert assert_nobody_pinged(simcord_env) >= 1


async def test_question_without_an_answer_in_the_sources_is_refused(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    result = await world.alice.slash(world.channel, "ask", question=UNANSWERABLE)
    assert result.response is not None
    (embed,) = result.response.embeds
    assert embed.colour == render.REFUSAL_COLOUR
    assert not _cited_numbers(embed.description or "")
    assert not world.channel.threads  # a refusal opens no follow-up thread


async def test_mention_asks_and_a_reply_to_the_answer_continues_the_conversation(
    simcord_env: simcord.Env, bot_service: AskRecorder
) -> None:
    world = make_world(simcord_env)
    me = world.me
    await world.alice.send(world.channel, f"{me.mention} {ANSWERABLE}")
    answer = world.channel.last_message
    assert answer is not None and answer.author.id == me.id
    assert answer.embeds and answer.embeds[0].title == ANSWERABLE

    await world.alice.send(world.channel, "And what did the US say about it?", reply_to=answer)
    follow_up = world.channel.last_message
    assert follow_up is not None and follow_up.author.id == me.id
    assert follow_up.reference is not None  # the bot replies to the follow-up
    first, second = bot_service.asks
    assert first.history == ()
    assert second.question == "And what did the US say about it?"
    assert [t.question for t in second.history] == [ANSWERABLE]
    assert second.history[0].answer == answer.embeds[0].description
    assert_nobody_pinged(simcord_env)


async def test_a_message_in_the_answer_thread_continues_the_conversation(
    simcord_env: simcord.Env, bot_service: AskRecorder
) -> None:
    world = make_world(simcord_env)
    me = world.me
    await world.alice.slash(world.channel, "ask", question=ANSWERABLE)
    (thread,) = world.channel.threads
    hint = thread.last_message
    assert hint is not None and "follow-up" in hint.content.lower()

    await world.alice.send(thread, "Did anyone chat here without me?")  # no mention: text hidden, ignored
    assert thread.last_message is not None and thread.last_message.author.id == world.alice.id

    await world.alice.send(thread, f"{me.mention} And what did the US say?")
    reply = thread.last_message
    assert reply is not None and reply.author.id == me.id and reply.embeds
    await world.alice.send(thread, "Where did he go next?", reply_to=reply)

    questions = [call.question for call in bot_service.asks]
    assert questions == [ANSWERABLE, "And what did the US say?", "Where did he go next?"]
    assert [t.question for t in bot_service.asks[1].history] == [ANSWERABLE]
    assert [t.question for t in bot_service.asks[2].history] == [ANSWERABLE, "And what did the US say?"]


async def test_after_a_restart_the_reply_chain_rebuilds_the_conversation(
    simcord_env: simcord.Env, bot_service: AskRecorder, bot_settings: Settings
) -> None:
    world = make_world(simcord_env)
    me = world.me
    await world.alice.send(world.channel, f"{me.mention} {ANSWERABLE}")
    answer = world.channel.last_message
    assert answer is not None

    await simcord_env.restart_bot(create_bot(bot_settings, bot_service))  # memory is gone
    await world.alice.send(world.channel, "And what did the US say?", reply_to=answer)

    assert [t.question for t in bot_service.asks[-1].history] == [ANSWERABLE]


async def test_a_long_conversation_is_trimmed_and_the_answer_says_so(
    simcord_env: simcord.Env, bot_service: AskRecorder
) -> None:
    world = make_world(simcord_env)
    me = world.me
    await world.alice.send(world.channel, f"{me.mention} {ANSWERABLE}")
    for i in range(MAX_HISTORY_TURNS + 1):
        previous = world.channel.last_message
        assert previous is not None
        await world.alice.send(world.channel, f"Follow-up number {i} about Putin and Kim?", reply_to=previous)

    last = world.channel.last_message
    assert last is not None and last.author.id == me.id
    assert len(bot_service.asks[-1].history) == MAX_HISTORY_TURNS
    footer = last.embeds[-1].footer.text or ""
    assert "oldest exchange(s) were left out" in footer
    assert "left out" not in (bot_service.asks[0].question)


async def test_reply_to_a_slash_answer_without_a_mention_is_explained_not_ignored(
    simcord_env: simcord.Env, bot_service: AskRecorder
) -> None:
    world = make_world(simcord_env)
    result = await world.alice.slash(world.channel, "ask", question=ANSWERABLE)
    assert result.response is not None
    await world.alice.send(world.channel, "and the US?", reply_to=result.response)  # Discord hides the text
    notice = world.channel.last_message
    assert notice is not None and "Mention me" in notice.content
    assert len(bot_service.asks) == 1


async def test_sources_lists_the_index_and_autocompletes_outlets_and_titles(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    result = await world.alice.slash(world.channel, "sources")
    assert result.ephemeral and result.response is not None
    (embed,) = result.response.embeds
    assert re.search(r"\*\*3 articles\*\*", embed.description or ""), embed.description
    assert "Example Wire" in str(embed.fields[0].value)
    choices = await world.alice.autocomplete(world.channel, "sources", "query", "ledger")
    assert [c["value"] for c in choices] == ["Daily Ledger"]
    filtered = await world.alice.slash(world.channel, "sources", query="Daily Ledger")
    assert filtered.response is not None
    assert "Example Wire" not in str(filtered.response.embeds[0].description)


async def test_each_user_has_a_cooldown(
    simcord_env: simcord.Env, bot_settings: Settings, bot_service: AskRecorder
) -> None:
    cooldown = 30.0
    settings = bot_settings.model_copy(update={"user_cooldown_seconds": cooldown})
    await simcord_env.restart_bot(create_bot(settings, bot_service))
    world = make_world(simcord_env)
    first = await world.alice.slash(world.channel, "ask", question=ANSWERABLE)
    second = await world.alice.slash(world.channel, "ask", question=ANSWERABLE)
    other = await world.admin.slash(world.channel, "ask", question=ANSWERABLE)
    assert first.response is not None and first.response.embeds
    assert second.ephemeral and second.response is not None and "Please wait" in second.response.content
    assert other.response is not None and other.response.embeds  # cooldowns are per user
    await simcord_env.advance_time(cooldown)
    third = await world.alice.slash(world.channel, "ask", question=ANSWERABLE)
    assert third.response is not None and third.response.embeds


async def test_a_discord_500_on_delivering_the_answer_is_retried_and_the_answer_lands_once(
    simcord_env: simcord.Env, caplog: pytest.LogCaptureFixture
) -> None:
    world = make_world(simcord_env)
    simcord_env.inject_error("PATCH", "/webhooks/*/*/messages/@original", status=500, times=1)
    with caplog.at_level(logging.WARNING):
        result = await world.alice.slash(world.channel, "ask", question=ANSWERABLE)

    assert result.response is not None and result.response.embeds
    assert not result.followups
    answers = [m for m in world.channel.history() if m.embeds and m.embeds[0].title == ANSWERABLE]
    assert len(answers) == 1
    assert any("retrying once" in r.getMessage() for r in caplog.records)
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


async def test_a_delivery_that_keeps_failing_is_one_clear_logged_failure(
    simcord_env: simcord.Env, caplog: pytest.LogCaptureFixture
) -> None:
    world = make_world(simcord_env)
    simcord_env.inject_error("PATCH", "/webhooks/*/*/messages/@original", status=500, times=None)
    with caplog.at_level(logging.WARNING):
        result = await world.alice.slash(world.channel, "ask", question=ANSWERABLE)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "could not deliver the answer" in errors[0].getMessage()
    assert result.response is not None and not result.response.embeds and not result.followups
    assert not world.channel.threads


async def test_after_a_restart_a_thread_rebuilds_its_conversation_from_discord(
    simcord_env: simcord.Env, bot_service: AskRecorder, bot_settings: Settings
) -> None:
    world = make_world(simcord_env)
    await world.alice.slash(world.channel, "ask", question=ANSWERABLE)
    (thread,) = world.channel.threads

    await simcord_env.restart_bot(create_bot(bot_settings, bot_service))
    me = simcord_env.bot.user
    assert me is not None
    await world.alice.send(thread, f"{me.mention} And what did the US say?")

    assert [t.question for t in bot_service.asks[-1].history] == [ANSWERABLE]


async def test_an_empty_index_gives_one_short_user_safe_message(
    simcord_env: simcord.Env, bot_settings: Settings, embeddings: Any, tmp_path: Path
) -> None:
    empty = bot_settings.model_copy(update={"data_dir": tmp_path / "empty"})
    await simcord_env.restart_bot(create_bot(empty, make_service(empty, embeddings)))
    world = make_world(simcord_env)
    result = await world.alice.slash(world.channel, "ask", question=ANSWERABLE)
    assert result.response is not None and not result.response.embeds and not result.followups
    assert result.response.content.startswith("⚠️ Nothing is indexed yet")
    assert not world.channel.threads
