"""Issue 6, item 6: the whole LLM fault matrix through the bot, against the OpenAI-compatible test server.

`tests/test_bot_llm.py` covers 429, 500, a read timeout and a cut stream through Discord, and
`tests/test_llm_answer.py` every fault at the answerer. This adds the rest through Discord: 429 with a
Retry-After that is honoured, 503, a connect timeout (a listener whose accept queue is full, so the
SYN is never answered), malformed JSON, `choices: []`, `content: null`, `finish_reason: "length"`.
For each: requests bounded (counted), exactly one message for the user, no traceback or secret in
any Discord payload.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import simcord
from pydantic import SecretStr

from retrieval.settings import Settings
from tests.conftest import make_settings
from tests.support.discord_env import make_world
from tests.support.openai_server import Behaviour, FakeOpenAIServer, ok, status

QUESTION = "Why did Putin visit North Korea?"
API_KEY = "sk-fault-matrix-canary-0123456789"
LLM_TIMEOUT_SECONDS = 1.0
MAX_RETRIES = 1
FAULTS = {
    "503": status(503),
    "malformed-json": Behaviour("malformed"),
    "choices-empty": Behaviour("no_choices"),
    "content-null": Behaviour("null_content"),
}


@pytest.fixture
def blackhole() -> Iterator[str]:
    """A base URL on 127.0.0.1 that never completes a TCP handshake: connects time out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(3):  # fill the accept queue; later SYNs are dropped
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(listener.getsockname())
        fillers.append(filler)
    time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        for sock in [*fillers, listener]:
            sock.close()


@pytest.fixture
def llm_base_url(request: pytest.FixtureRequest, openai_server: FakeOpenAIServer) -> str:
    if getattr(request, "param", "fake") == "blackhole":
        return str(request.getfixturevalue("blackhole"))
    return openai_server.base_url


@pytest.fixture
def bot_settings(tmp_path: Path, corpus: Path, llm_base_url: str) -> Settings:
    return make_settings(
        tmp_path / "data", seeds_dir=corpus, user_cooldown_seconds=0.0, openai_base_url=llm_base_url,
        openai_api_key=SecretStr(API_KEY), llm_timeout_seconds=LLM_TIMEOUT_SECONDS, llm_max_retries=MAX_RETRIES,
    )


def _assert_one_clean_message(env: simcord.Env, result: simcord.InteractionResult) -> str:
    """Exactly one message for the user; nothing in any Discord payload leaks a traceback or the key."""
    assert result.response is not None and not result.followups
    bodies = json.dumps([r.json for r in env.http_requests], default=str)
    for leak in ("Traceback", API_KEY, "APIConnectionError", "openai."):
        assert leak not in bodies, leak
    embeds = result.response.embeds
    return " ".join([result.response.content or "", *(e.description or "" for e in embeds),
                     *((e.footer.text or "") for e in embeds)])


@pytest.mark.simcord(settle_timeout=30)
@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
async def test_each_fault_gives_one_extractive_answer_with_bounded_requests(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer, fault: Behaviour
) -> None:
    world = make_world(simcord_env)
    openai_server.default = fault
    result = await world.alice.slash(world.channel, "ask", question=QUESTION)

    text = _assert_one_clean_message(simcord_env, result)
    assert "extractive" in text.lower() and "[1]" in text
    assert 1 <= len(openai_server.chat_requests) <= 1 + MAX_RETRIES


@pytest.mark.simcord(settle_timeout=30)
@pytest.mark.parametrize("llm_base_url", ["blackhole"], indirect=True)
async def test_a_connect_timeout_gives_one_extractive_answer(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    started = time.monotonic()
    result = await world.alice.slash(world.channel, "ask", question=QUESTION)

    text = _assert_one_clean_message(simcord_env, result)
    assert "extractive" in text.lower()
    # every attempt really waited for the connect timeout, and the attempts are bounded
    elapsed = time.monotonic() - started
    assert (1 + MAX_RETRIES) * LLM_TIMEOUT_SECONDS <= elapsed < (1 + MAX_RETRIES) * (LLM_TIMEOUT_SECONDS + 2) + 5


@pytest.mark.simcord(settle_timeout=30)
async def test_429_with_retry_after_is_honoured_then_answered_once(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer
) -> None:
    world = make_world(simcord_env)
    openai_server.script(status(429, retry_after="1"))
    started = time.monotonic()
    result = await world.alice.slash(world.channel, "ask", question=QUESTION)
    assert time.monotonic() - started >= 1.0  # waited as the server asked

    text = _assert_one_clean_message(simcord_env, result)
    assert "LLM answer" in text
    first, second = openai_server.chat_requests[:2]
    assert len(openai_server.chat_requests) == 2
    assert first.body["messages"] == second.body["messages"]


@pytest.mark.simcord(settle_timeout=30)
async def test_finish_reason_length_keeps_the_answer_and_says_so_in_one_message(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer
) -> None:
    world = make_world(simcord_env)
    openai_server.default = ok("Putin visited North Korea to deepen military ties [1]. He also", "length")
    result = await world.alice.slash(world.channel, "ask", question=QUESTION)

    text = _assert_one_clean_message(simcord_env, result)
    assert "deepen military ties" in text
    assert len(openai_server.chat_requests) == 1  # a length stop is an answer, never retried
    assert all(isinstance(r.body.get("max_tokens") or r.body.get("max_completion_tokens"), int)
               for r in openai_server.chat_requests)
