"""The LLM path under SimCord, against the OpenAI-compatible test server on 127.0.0.1.

Streaming edits, model output that tries to ping, LLM faults (429, 500, timeout, a stream cut
midway), long answers over several messages and a Discord 500 on their followups, the concurrency
limit.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import simcord
from pydantic import SecretStr

from bot.render import messages as render
from retrieval.settings import Settings
from tests.conftest import make_settings
from tests.support.discord_env import (
    assert_nobody_pinged,
    fire_slash,
    make_world,
    message_payloads,
)
from tests.support.openai_server import Behaviour, FakeOpenAIServer, ok, status

QUESTION = "Why did Putin visit North Korea?"
LLM_TIMEOUT_SECONDS = 1.0


@pytest.fixture
def bot_settings(tmp_path: Path, corpus: Path, openai_server: FakeOpenAIServer) -> Settings:
    return make_settings(
        tmp_path / "data",
        seeds_dir=corpus,
        user_cooldown_seconds=0.0,
        openai_base_url=openai_server.base_url,
        openai_api_key=SecretStr("test-key"),
        llm_timeout_seconds=LLM_TIMEOUT_SECONDS,
        llm_max_retries=1,
        max_concurrent_answers=1,
    )


def _original_edits(env: simcord.Env, result: simcord.InteractionResult) -> list[dict[str, Any]]:
    token = result._interaction.token
    return [
        r.json
        for r in env.http_requests
        if r.method == "PATCH" and token in r.path and r.path.endswith("@original") and isinstance(r.json, dict)
    ]


async def test_llm_answer_streams_by_editing_then_lands_with_its_sources(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer
) -> None:
    world = make_world(simcord_env)
    result = await world.alice.slash(world.channel, "ask", question=QUESTION)

    edits = _original_edits(simcord_env, result)
    partials = [e for e in edits if "…writing" in str(e.get("content"))]
    # The stream had many deltas but SimCord's clock stood still: the 1-per-second throttle allows one
    # edit, and it is the sources found, shown before any answer text.
    assert len(partials) == 1, edits
    assert partials[0]["content"].startswith("**Reading:**\n• ")
    assert "Korea" in partials[0]["content"]
    assert edits[-1].get("embeds")  # the final edit carries the answer, after the partial
    assert result.response is not None
    embeds = result.response.embeds
    assert "[1]" in (embeds[0].description or "")
    assert (embeds[-1].title or "").startswith(render.SOURCES_TITLE)
    assert "LLM answer" in (embeds[-1].footer.text or "")
    assert openai_server.chat_requests and openai_server.chat_requests[0].body.get("stream") is True


async def test_model_output_that_tries_to_ping_pings_nobody(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer
) -> None:
    world = make_world(simcord_env)
    role = world.guild.create_role("Everyone-ish", mentionable=True)
    me = world.me
    nasty = f"@everyone @here <@&{role.id}> <@{world.admin.id}> Putin visited Pyongyang to deepen ties [1]."
    openai_server.default = ok(nasty)

    await world.alice.slash(world.channel, "ask", question=QUESTION)
    await world.alice.send(world.channel, f"{me.mention} {QUESTION}")
    answer = world.channel.last_message
    assert answer is not None and answer.embeds
    await world.alice.send(world.channel, "And the US?", reply_to=answer)

    count = assert_nobody_pinged(simcord_env)
    assert count >= 6  # defer-free sends, partial edits and final edits of both paths were all checked
    for _method, _path, payload in message_payloads(simcord_env):
        assert "@everyone" not in str(payload.get("content") or "")  # previews also neutralise the text
    for message in world.channel.history():
        assert not message.mention_everyone and not message.role_mentions


@pytest.mark.simcord(settle_timeout=30)
@pytest.mark.parametrize(
    "fault",
    [
        status(429, retry_after="0"),
        status(500),
        Behaviour("delay", delay_seconds=LLM_TIMEOUT_SECONDS + 2, text="late [1]."),
        Behaviour("cut_stream", cut_after=3),
    ],
    ids=["429", "500", "timeout", "cut-stream"],
)
async def test_llm_faults_give_one_short_message_and_the_bot_keeps_serving(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer, fault: Behaviour, caplog: pytest.LogCaptureFixture
) -> None:
    world = make_world(simcord_env)
    openai_server.default = fault
    failed = await world.alice.slash(world.channel, "ask", question=QUESTION)

    assert failed.response is not None and not failed.followups  # one message, no pile of errors
    text = " ".join([failed.response.content, *(e.description or "" for e in failed.response.embeds)])
    footer = failed.response.embeds[-1].footer.text if failed.response.embeds else ""
    assert "Traceback" not in text and "test-key" not in text
    assert "language model is unavailable" in (footer or "")  # says so, and answers extractively
    assert "extractive" in (footer or "").lower()
    assert len(openai_server.chat_requests) <= 2  # bounded retries

    openai_server.default = Behaviour()  # the LLM recovers
    served = await world.admin.slash(world.channel, "ask", question=QUESTION)
    assert served.response is not None
    assert "LLM answer" in (served.response.embeds[-1].footer.text or "")
    assert not any(r.levelno >= logging.ERROR for r in caplog.records), caplog.text


LONG_ANSWER = " ".join(
    f"Point {i}: Putin visited North Korea to deepen the strategic partnership with Kim Jong-un [1]."
    for i in range(100)
)


@pytest.mark.simcord(settle_timeout=60)
async def test_a_long_answer_is_split_and_a_discord_500_on_a_followup_still_delivers_it_once(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer
) -> None:
    world = make_world(simcord_env)
    openai_server.default = ok(LONG_ANSWER)
    simcord_env.inject_error("POST", "/webhooks/*/*", status=500, times=1)

    result = await world.alice.slash(world.channel, "ask", question=QUESTION)

    assert result.response is not None
    parts = [result.response, *result.followups]
    assert len(parts) >= 3
    texts = [e.description or "" for p in parts for e in p.embeds if not (e.title or "").startswith("Sources")]
    assert len("".join(texts)) > 8_000
    assert len({p.id for p in parts}) == len(parts)
    joined = "".join(texts)
    assert joined.count("Point 7:") == 1 and joined.count("Point 99:") == 1  # nothing twice, nothing lost
    for part in parts:
        assert len(part.content) <= render.MAX_CONTENT_CHARS
        assert sum(len(e) for e in part.embeds) <= render.MAX_EMBED_TOTAL_CHARS


@pytest.mark.simcord(settle_timeout=60)
async def test_a_followup_that_keeps_failing_is_logged_once_and_nothing_is_duplicated(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    world = make_world(simcord_env)
    openai_server.default = ok(LONG_ANSWER)
    simcord_env.inject_error("POST", "/webhooks/*/*", status=500, times=None)

    with caplog.at_level(logging.WARNING):
        result = await world.alice.slash(world.channel, "ask", question=QUESTION)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "could not deliver the answer" in errors[0].getMessage()
    assert result.response is not None and result.response.embeds  # the first part did land
    assert not result.followups


async def test_answers_beyond_the_limit_wait_and_are_told_so(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer
) -> None:
    world = make_world(simcord_env)
    # Both arrive before either is answered; with max_concurrent_answers=1 the second must queue.
    first = fire_slash(simcord_env, world.alice, world.channel, "ask", question=QUESTION)
    second = fire_slash(simcord_env, world.admin, world.channel, "ask", question=QUESTION)
    await simcord_env.settle(timeout=30)

    assert first.acknowledged and second.acknowledged
    second_edits = [str(e.get("content")) for e in _original_edits(simcord_env, second)]
    assert any(c.startswith("⏳ Busy right now") for c in second_edits), second_edits
    assert not any(str(e.get("content")).startswith("⏳") for e in _original_edits(simcord_env, first))
    assert first.response is not None and first.response.embeds
    assert second.response is not None and second.response.embeds
    assert len(openai_server.chat_requests) == 2
