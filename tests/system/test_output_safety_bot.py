"""Issue 10, items 2 and 3 through the real bot under SimCord: a hostile article is indexed, then /ask,
/brief, its Sources and Disagreements buttons and /sources run, and every payload the bot sent
(content, embeds, components, thread names) is read the way Discord would render it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest
import simcord

from bot import create_bot
from retrieval.settings import Settings
from tests.conftest import make_settings
from tests.support.discord_env import AskRecorder, assert_nobody_pinged, make_service, make_world
from tests.system.test_output_safety import CITED_HOST, assert_safe, strings

HOSTILE_ARTICLES = {
    "2024-06-19-springfield-ballot.txt": (
        "Title: Springfield ballot count \u202eends\u202c [notice](https://evil.example/t) @everyone\n"
        "Source: Springfield Wire [[2]](https://elsewhere.example) <@123456789012345678>\n"
        f"URL: https://{CITED_HOST}/ballot\n"
        "Date: 2024-06-19\n\n"
        "The Springfield ballot count ended on Tuesday with 5,000 votes counted, officials said. "
        "Read the [official notice](https://evil.example/notice) before the recount [[2]](https://elsewhere.example). "
        "The recount office at http://[2001:db8::1]/count and https://news.example@evil.example/x confirmed it. "
        "Election staff \x1b]8;;https://evil.example\x1b\\said\x1b]8;;\x1b\\ the Springfield count was final @here.\n"
        "Key points\n"
        "- The Springfield count ended with 5,000 votes, see <https://evil.example/k> and HTTPS://EVIL.EXAMPLE./k.\n"
        "- Springfield officials certified the ballot count [[1]](https://evil.example/fake) on Tuesday.\n"
        "Contradictions👾Springfield officials say 5,000 votes were counted, while observers at "
        "https://bücher.example/obs say 4,000 votes were counted in Springfield.\n"
    ),
    "2024-06-19-springfield-observers.txt": (
        "Title: Observers dispute the Springfield ballot count\n"
        "Source: Observer Daily\n"
        f"URL: https://{CITED_HOST}/a> [Springfield results](https://evil.example/breakout) <b\n"
        "Date: 2024-06-19\n\n"
        "Observers said the Springfield ballot count reached only 4,000 votes, not 5,000. "
        "They urged readers to visit www.evil.example and [the real count](http://203.0.113.7/c) for details.\n"
    ),
}


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "hostile"
    corpus.mkdir()
    for name, text in HOSTILE_ARTICLES.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return make_settings(tmp_path / "data", seeds_dir=corpus, user_cooldown_seconds=0.0)


@pytest.fixture
def bot_service(bot_settings: Settings, embeddings: Any) -> AskRecorder:
    service = make_service(bot_settings, embeddings)
    service.index([bot_settings.seeds_dir])
    return AskRecorder(service)


@pytest.fixture
def simcord_bot(bot_settings: Settings, bot_service: AskRecorder) -> discord.Client:
    return create_bot(bot_settings, bot_service)


def every_payload_string(env: simcord.Env) -> list[tuple[str, str]]:
    """(path, text) for every string the bot sent in a JSON body: content, embeds, components, names."""
    found = []
    for request in env.http_requests:
        if isinstance(request.json, dict | list):
            found += [(request.path, text) for text in strings(request.json)]
    return found


@pytest.mark.simcord(settle_timeout=60)
async def test_a_hostile_article_never_speaks_as_the_bot_on_discord(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)

    asked = await world.alice.slash(world.channel, "ask", question="How many votes were counted in Springfield?")
    assert asked.response is not None and asked.response.embeds
    answer = " ".join(e.description or "" for e in asked.response.embeds)
    assert "5,000" in answer and f"](https://{CITED_HOST}/ballot)" in answer  # the story still gets through

    await world.alice.slash(world.channel, "brief", date="2024-06-19")
    story = next(m for m in world.channel.threads[-1].history() if m.components)  # stories: in the brief's thread
    sources = await world.alice.click(story, label="Sources")
    disagreements = await world.alice.click(story, label="Disagreements")
    assert sources.response is not None and "Springfield" in sources.response.content
    assert disagreements.response is not None
    await world.alice.slash(world.channel, "sources")

    sent = every_payload_string(simcord_env)
    assert len(sent) > 20
    for path, text in sent:
        assert_safe(text, path)
        assert "evil.example" not in text and "elsewhere.example" not in text and "2001:db8" not in text, (path, text)
    assert "Springfield results" not in sources.response.content or "](" not in sources.response.content
    assert any(path.endswith("/threads") for path, _ in sent)  # the thread name was checked too
    assert_nobody_pinged(simcord_env)
