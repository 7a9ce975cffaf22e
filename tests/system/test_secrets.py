"""Issue 6, item 14: secrets never reach a log line or a Discord payload, even with DEBUG logging.

Canary values stand in for the bot token, the LLM API key and the interaction tokens. Each test first
proves the canary was really in play (the fake LLM server saw the key, the bot's HTTP client holds the
token, the interactions carried their tokens), then that no log record at DEBUG from `discord`,
`discord.http`, `openai`, `httpx`, `httpcore` or `chromadb` (or any other logger) and no recorded
Discord request body contains one.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord
from pydantic import SecretStr

from bot import create_bot
from retrieval.settings import Settings
from tests.conftest import REPO_ROOT, make_settings
from tests.support.discord_env import fire_slash, make_world
from tests.support.openai_server import FakeOpenAIServer, ok, status

API_KEY_CANARY = "sk-canary-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4"
BOT_TOKEN_CANARY = "MTIzNDU2Nzg5MDEyMzQ1Njc4.canary.Zm9vYmFyYmF6cXV4cXV1eHh5enp5"
DEBUG_LOGGERS = ("discord", "discord.http", "discord.gateway", "discord.webhook", "openai", "httpx", "httpcore",
                 "chromadb", "retrieval", "bot")
QUESTION = "Why did Putin visit North Korea?"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in DEBUG_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _logged_text(caplog: pytest.LogCaptureFixture) -> str:
    """Every record as it would be written: message, arguments, exception and stack text."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    parts = []
    for record in caplog.records:
        parts.append(formatter.format(record))
        parts.append(repr(record.args))
        parts.append(repr(getattr(record, "__dict__", {})))
    return "\n".join(parts)


def _assert_absent(canaries: list[str], text: str, where: str) -> None:
    for canary in canaries:
        assert canary not in text, f"a secret canary ({canary[:12]}…) appeared in {where}"


@pytest.fixture
def bot_settings(tmp_path: Path, corpus: Path, openai_server: FakeOpenAIServer) -> Settings:
    return make_settings(
        tmp_path / "data", seeds_dir=corpus, user_cooldown_seconds=0.0,
        openai_base_url=openai_server.base_url, openai_api_key=SecretStr(API_KEY_CANARY),
        discord_token=SecretStr(BOT_TOKEN_CANARY), llm_timeout_seconds=2.0, llm_max_retries=1,
    )


@pytest.fixture
def simcord_bot(bot_settings: Settings, bot_service: Any) -> discord.Client:
    """The real bot, logging in with the canary token (SimCord would otherwise use its own)."""
    bot = create_bot(bot_settings, bot_service)
    real_login = bot.login

    async def login_with_canary(_token: str) -> None:
        await real_login(BOT_TOKEN_CANARY)

    bot.login = login_with_canary  # type: ignore[method-assign,assignment]
    return bot


def test_llm_answers_and_faults_log_no_api_key(debug_logs: pytest.LogCaptureFixture, bot_service: Any,
                                               openai_server: FakeOpenAIServer) -> None:
    openai_server.script(status(500), ok("Putin went to deepen military ties [1]."))
    streamed: list[str] = []
    answer = bot_service.ask(QUESTION, on_partial=streamed.append)
    openai_server.script(status(401), status(401))
    fallback = bot_service.ask(QUESTION)

    assert answer.mode == "llm" and streamed and fallback.text
    assert all(r.headers.get("authorization") == f"Bearer {API_KEY_CANARY}" for r in openai_server.chat_requests)
    assert len(openai_server.chat_requests) >= 3
    assert any(r.name.startswith(("openai", "httpx", "httpcore")) for r in debug_logs.records)
    assert any(r.levelno >= logging.WARNING for r in debug_logs.records)  # the 500 and 401 were logged
    _assert_absent([API_KEY_CANARY], _logged_text(debug_logs), "a log record")
    _assert_absent([API_KEY_CANARY], repr(bot_service.settings) + str(bot_service.settings.model_dump()),
                   "the settings' repr")


async def test_a_discord_session_logs_and_sends_no_token(
    debug_logs: pytest.LogCaptureFixture, simcord_env: simcord.Env, openai_server: FakeOpenAIServer
) -> None:
    world = make_world(simcord_env)
    openai_server.script(status(500), status(500), status(500), status(500))  # one /ask hits LLM faults
    first = await world.alice.slash(world.channel, "ask", question=QUESTION)
    second = fire_slash(simcord_env, world.admin, world.channel, "ask", question="And what did the US say?")
    await simcord_env.settle(timeout=60)
    await world.admin.slash(world.channel, "sources")

    assert simcord_env.bot.http.token == BOT_TOKEN_CANARY
    interaction_tokens = [first._interaction.token, second._interaction.token]
    assert all(len(t) >= 20 for t in interaction_tokens)
    assert any(t in r.path for r in simcord_env.http_requests for t in interaction_tokens)  # used, in URLs only
    assert openai_server.chat_requests
    assert any(r.name.startswith("discord") for r in debug_logs.records)
    canaries = [BOT_TOKEN_CANARY, API_KEY_CANARY, *interaction_tokens]
    _assert_absent(canaries, _logged_text(debug_logs), "a log record")
    bodies = json.dumps([r.json for r in simcord_env.http_requests], default=str)
    _assert_absent(canaries, bodies, "a Discord request body")
    for message in world.channel.history():
        _assert_absent(canaries, str(message.content) + str([e.to_dict() for e in message.embeds]), "a message")


def test_dotenv_is_git_ignored() -> None:
    ignored = {line.strip() for line in (REPO_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()}
    assert ".env" in ignored or "/.env" in ignored
