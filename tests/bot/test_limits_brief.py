"""Issue 10, item 9: `/brief` (and everything else that can call the LLM) shares `/ask`'s limits.

One cooldown, one concurrency limit and one per-user token budget: the real bot under SimCord, the
real service, the real `openai` client against the test server, which counts the LLM calls.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import simcord
from discord.ext import commands
from pydantic import SecretStr

from bot.app import BriefBot
from bot.utils.limits import BUDGET_MESSAGE
from retrieval.settings import Settings
from tests.conftest import make_settings
from tests.support.discord_env import assert_nobody_pinged, fire_slash, make_world
from tests.support.openai_server import FakeOpenAIServer

SEED_DAY = "2024-06-20"
COOLDOWN_SECONDS = 30.0
TOKENS_PER_CALL = 11 + 7  # the test server's usage for every completion
EPHEMERAL_FLAG = 64


def _settings(tmp_path: Path, corpus: Path, server: FakeOpenAIServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "seeds_dir": corpus, "openai_base_url": server.base_url, "openai_api_key": SecretStr("test-key"),
        "llm_timeout_seconds": 2.0, "llm_max_retries": 0, "max_concurrent_answers": 1,
        "user_cooldown_seconds": COOLDOWN_SECONDS,
    }
    values.update(overrides)
    return make_settings(tmp_path / "data", **values)


@pytest.fixture
def bot_settings(tmp_path: Path, corpus: Path, openai_server: FakeOpenAIServer) -> Settings:
    return _settings(tmp_path, corpus, openai_server)


def the_bot(env: simcord.Env, *, budget: int = 0, cooldown: float = COOLDOWN_SECONDS) -> BriefBot:
    """The running bot, with this test's daily token budget (0: none) and cooldown."""
    assert isinstance(env.bot, commands.AutoShardedBot) and isinstance(env.bot, BriefBot)
    env.bot.budget.limit, env.bot.cooldown.seconds = budget, cooldown
    return env.bot


def callback_of(env: simcord.Env, result: simcord.InteractionResult) -> dict[str, Any]:
    token = result._interaction.token
    (callback,) = [r.json for r in env.http_requests if r.path.endswith(f"{token}/callback")]
    assert isinstance(callback, dict)
    return callback


def assert_ephemeral_refusal(env: simcord.Env, result: simcord.InteractionResult, text: str) -> None:
    """Answered at once, only to the user, with nothing deferred and nothing posted in public."""
    callback = callback_of(env, result)
    assert callback["type"] == 4 and callback["data"]["flags"] & EPHEMERAL_FLAG, callback
    assert text in callback["data"]["content"], callback
    assert result.ephemeral and not result.followups


async def test_three_briefs_in_a_row_the_second_waits_and_every_llm_call_is_charged(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer
) -> None:
    world = make_world(simcord_env)
    bot = the_bot(simcord_env)
    first = await world.alice.slash(world.channel, "brief", date=SEED_DAY)
    assert first.response is not None and first.response.embeds and not first.followups
    calls = len(openai_server.chat_requests)
    stories = [m for m in world.channel.threads[-1].history() if m.components]  # the thread under the header
    assert calls == len(stories)  # one LLM call per story

    second = await world.alice.slash(world.channel, "brief", date=SEED_DAY)
    assert_ephemeral_refusal(simcord_env, second, "Please wait")
    asked = await world.alice.slash(world.channel, "ask", question="Why did Putin visit North Korea?")
    assert_ephemeral_refusal(simcord_env, asked, "Please wait")  # one cooldown for every costly command
    assert len(openai_server.chat_requests) == calls

    await simcord_env.advance_time(COOLDOWN_SECONDS + 1)
    third = await world.alice.slash(world.channel, "brief", date=SEED_DAY)
    assert third.response is not None and third.response.embeds
    assert len(openai_server.chat_requests) == 2 * calls
    assert bot.budget.spent(world.alice.id) == 2 * calls * TOKENS_PER_CALL
    assert bot.budget.spent(world.admin.id) == 0
    assert_nobody_pinged(simcord_env)


async def test_a_spent_budget_stops_the_briefs_llm_calls_then_refuses_without_calling(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer
) -> None:
    world = make_world(simcord_env)
    the_bot(simcord_env, budget=TOKENS_PER_CALL, cooldown=0.0)
    first = await world.alice.slash(world.channel, "brief", date=SEED_DAY)
    stories = [m for m in world.channel.threads[-1].history() if m.components]
    assert len(stories) >= 2
    # The first story's call spends the whole allowance; the others are written extractively, uncalled.
    assert len(openai_server.chat_requests) == 1
    assert first.response is not None and first.response.embeds

    for attempt in ("brief", "ask"):
        options = {"date": SEED_DAY} if attempt == "brief" else {"question": "Why did Putin visit North Korea?"}
        refused = await world.alice.slash(world.channel, attempt, **options)
        assert_ephemeral_refusal(simcord_env, refused, BUDGET_MESSAGE)
    shown = await world.alice.click(stories[0], label="Ask")
    assert shown.modal is not None
    modal = await world.alice.submit_modal(shown, {"question": "Do Russia and North Korea trade arms?"})
    assert_ephemeral_refusal(simcord_env, modal, BUDGET_MESSAGE)
    assert len(openai_server.chat_requests) == 1  # not one call more

    other = await world.admin.slash(world.channel, "brief", date=SEED_DAY)  # the budget is per user
    assert other.response is not None and other.response.embeds and len(openai_server.chat_requests) == 2


async def test_a_brief_waits_for_the_concurrency_limit_like_an_answer(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer
) -> None:
    world = make_world(simcord_env)
    the_bot(simcord_env, cooldown=0.0)
    asked = fire_slash(simcord_env, world.alice, world.channel, "ask", question="Why did Putin visit North Korea?")
    brief = fire_slash(simcord_env, world.admin, world.channel, "brief", date=SEED_DAY)
    await simcord_env.settle(timeout=60)

    token = brief._interaction.token
    edits = [r.json for r in simcord_env.http_requests
             if r.method == "PATCH" and token in r.path and isinstance(r.json, dict)]
    assert any(str(e.get("content")).startswith("⏳ Busy right now") for e in edits), edits
    assert edits[-1].get("embeds") and edits[-1].get("content") is None  # the notice is replaced
    assert asked.response is not None and asked.response.embeds


# --- dates at the calendar's edge ------------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "0000-01-01", "0000-12-31"])
async def test_a_date_whose_window_leaves_the_calendar_is_out_of_range_not_a_crash(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture, day: str
) -> None:
    world = make_world(simcord_env)
    with caplog.at_level(logging.INFO):
        result = await world.alice.slash(world.channel, "brief", date=day)
    assert_ephemeral_refusal(simcord_env, result, "That date is out of range. Use a day between 0001-01-02")
    assert "Traceback" not in callback_of(simcord_env, result)["data"]["content"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.text
    assert not openai_server.chat_requests


@pytest.mark.parametrize("day", ["0001-01-02", "9999-12-31", "9999-12-30"])
async def test_the_first_and_last_days_the_calendar_allows_give_an_empty_brief(
    simcord_env: simcord.Env, caplog: pytest.LogCaptureFixture, day: str
) -> None:
    world = make_world(simcord_env)
    result = await world.alice.slash(world.channel, "brief", date=day)
    assert result.response is not None and not result.ephemeral
    assert result.response.embeds[0].title == f"Brief · {day}"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
