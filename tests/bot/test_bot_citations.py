"""/ask's citations as a reader sees them under SimCord: masked links, readable outlets, and the
same `[n]` in the streamed edits as in the final message (an LLM on the test server streams)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import simcord
from pydantic import SecretStr

from bot.render import messages as render
from bot.utils import answering
from retrieval.answer.numbering import SourceNumbering
from retrieval.settings import Settings
from retrieval.text.sentences import split_sentences
from tests.conftest import make_settings
from tests.support.discord_env import AskRecorder, make_world
from tests.support.openai_server import FakeOpenAIServer, ok

QUESTION = "What did the United States say about the Russia and North Korea defence pact?"
_MARKER = re.compile(r"\[(\d+)\]")
STREAM_PAUSE_SECONDS = 0.05  # the test model writes a delta every 50 ms, so the bot edits while it streams


@pytest.fixture
def bot_settings(tmp_path: Path, corpus: Path, openai_server: FakeOpenAIServer) -> Settings:
    return make_settings(
        tmp_path / "data", seeds_dir=corpus, user_cooldown_seconds=0.0,
        openai_base_url=openai_server.base_url, openai_api_key=SecretStr("test-key"), llm_max_retries=1,
    )


def _model_text(bot_service: AskRecorder) -> str:
    """Two sentences quoted from the first two retrieved articles (so the support check keeps them),
    cited in shapes models use ("【2】", "[source1]"), plus a number no source has."""
    numbering = SourceNumbering.of(bot_service.service.retrieve(QUESTION))
    first, second = (split_sentences(numbering.article(n).chunks[0].text)[0] for n in (1, 2))
    return f"{second} 【2】 {first} [source1] [9]"


async def test_ask_shows_masked_links_readable_outlets_and_the_streamed_numbers(
    simcord_env: simcord.Env, openai_server: FakeOpenAIServer, bot_service: AskRecorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(answering, "EDIT_INTERVAL_SECONDS", 0.0)  # every delta may edit: the stream is visible
    openai_server.script(ok(_model_text(bot_service), delta_pause_seconds=STREAM_PAUSE_SECONDS))
    world = make_world(simcord_env)
    result = await world.alice.slash(world.channel, "ask", question=QUESTION)

    token = result._interaction.token
    edits = [r.json for r in simcord_env.http_requests
             if r.method == "PATCH" and token in r.path and r.path.endswith("@original") and isinstance(r.json, dict)]
    streamed = [str(e["content"]).split("\n\n", 1)[-1] for e in edits if "…writing" in str(e.get("content"))]
    assert result.response is not None
    answer, sources = result.response.embeds[0], result.response.embeds[-1]
    final_numbers = set(_MARKER.findall(answer.description or ""))
    assert final_numbers == {"1", "2"}

    # The streamed text cites exactly as the final message: shapes rewritten, the unknown [9] never shown.
    cited_while_streaming = [text for text in streamed if _MARKER.search(text)]
    assert cited_while_streaming, edits
    for text in streamed:
        assert set(_MARKER.findall(text)) <= final_numbers, text
        assert "【" not in text and "[source" not in text and "[9]" not in text, text
    assert (answer.description or "").startswith(cited_while_streaming[-1].removesuffix("\n\n*…writing*"))

    # Sources: `[n] [Title](url) · Outlet, date`, the outlet as the source names itself, no bare URL.
    assert sources.title == render.SOURCES_TITLE
    lines = (sources.description or "").splitlines()
    assert any(line.startswith("[") and "](https://example.org/" in line for line in lines), lines
    assert any("Example Wire" in line or "Daily Ledger" in line for line in lines), lines
    assert not any(" https://" in line or "<https://" in line for line in lines), lines
    assert all(re.match(r"\[\d+\] ", line) for line in lines), lines
    assert {m for line in lines for m in _MARKER.findall(line.split(" ", 1)[0])} == final_numbers
