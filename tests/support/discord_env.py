"""SimCord fixtures for the bot: a real service on a small real index in a temp dir, and a guild to ask in.

Import the fixtures a test module needs by name (`from tests.support.discord_env import ...`);
a module overrides `bot_settings` to point the service at the fake OpenAI server.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord

from bot import create_bot
from retrieval.models import Turn
from retrieval.settings import Settings
from tests.conftest import SEEDS_DIR, make_settings

# Two small articles next to the seed, so answers can cite more than one outlet.
EXTRA_ARTICLES = {
    "2024-06-20-us-warns-pyongyang-pact.txt": """Title: US warns over Russia and North Korea defence pact
Source: Example Wire
URL: https://example.org/us-warns-pact
Date: 2024-06-20

The United States said on Thursday that the new defence pact between Russia and North Korea should
concern every country that supports peace on the Korean peninsula. State Department officials said
Washington would work with South Korea and Japan to counter any transfer of weapons. The White House
added that the pact showed how isolated Moscow had become since the invasion of Ukraine.
""",
    "2024-06-21-putin-vietnam-trade.txt": """Title: Putin arrives in Hanoi to talk trade and energy
Source: Daily Ledger
URL: https://example.org/putin-hanoi
Date: 2024-06-21

Vladimir Putin arrived in Vietnam after leaving Pyongyang, seeking new trade and energy deals.
Vietnamese leaders welcomed him with a ceremony in Hanoi. The two countries signed agreements on
education, energy and nuclear research, while Western diplomats criticised the visit.
""",
}


@dataclass
class World:
    """One guild with a text channel, an ordinary member, an admin (Manage Server) and the bot's user."""

    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle
    alice: simcord.MemberActor
    admin: simcord.MemberActor
    me: discord.ClientUser  # the bot, for mentions and for telling its messages apart


def make_world(env: simcord.Env, guild_id: int | None = None) -> World:
    guild = env.create_guild("News Room", id=guild_id)
    channel = guild.create_text_channel("general")
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    alice = guild.add_member(env.create_user("alice"))
    admin = guild.add_member(env.create_user("boss"), roles=[admins])
    assert env.bot.user is not None, "the bot logs in before a test builds its world"
    return World(guild, channel, alice, admin, env.bot.user)


def write_corpus(folder: Path) -> Path:
    """The repo's seeds plus the extra articles, in a folder the test owns."""
    folder.mkdir(parents=True, exist_ok=True)
    for seed in SEEDS_DIR.glob("*.txt"):
        shutil.copy(seed, folder / seed.name)
    for name, text in EXTRA_ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def make_service(settings: Settings, embeddings: Any) -> Any:
    """The real service, with the session's local embedder and an LLM client only when configured."""
    from retrieval.index.store import ChromaStore
    from retrieval.search.hybrid import HybridSearcher
    from retrieval.service import BriefbotService

    store = ChromaStore.from_settings(settings, embeddings)
    chat = None
    if settings.has_llm:
        from retrieval.llm import ChatClient

        chat = ChatClient.from_settings(settings)
    return BriefbotService(settings, embeddings, store, HybridSearcher(store, embeddings), chat)


@dataclass(frozen=True)
class AskCall:
    question: str
    history: tuple[Turn, ...]


class AskRecorder:
    """The real service, unchanged, that also remembers what each `ask` was given (question, history)."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self.asks: list[AskCall] = []

    def ask(self, question: str, **kwargs: Any) -> Any:
        self.asks.append(AskCall(question, tuple(kwargs.get("history", ()))))
        return self.service.ask(question, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.service, name)


def message_payloads(env: simcord.Env) -> list[tuple[str, str, dict[str, Any]]]:
    """Every recorded REST payload that carries message content or embeds (sends, edits, responses)."""
    found = []
    for request in env.http_requests:
        body = request.json
        if not isinstance(body, dict):
            continue
        for candidate in (body, body.get("data"), body.get("message")):
            if isinstance(candidate, dict) and ("content" in candidate or "embeds" in candidate):
                found.append((request.method, request.path, candidate))
    return found


def assert_nobody_pinged(env: simcord.Env) -> int:
    """`allowed_mentions` present and parsing nothing on every message payload; returns how many."""
    payloads = message_payloads(env)
    for method, path, payload in payloads:
        allowed = payload.get("allowed_mentions")
        assert allowed is not None, f"{method} {path} has no allowed_mentions: {payload}"
        assert allowed.get("parse") == [], (method, path, allowed)
        assert not allowed.get("users") and not allowed.get("roles"), (method, path, allowed)
        assert not allowed.get("replied_user"), (method, path, allowed)
    return len(payloads)


@pytest.fixture(scope="session")
def indexed_template(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> tuple[Path, Path]:
    """The corpus and its index, built once per session; each test gets a copy of the index."""
    root = tmp_path_factory.mktemp("bot-index")
    corpus = write_corpus(root / "corpus")
    settings = make_settings(root / "data", seeds_dir=corpus)
    make_service(settings, embeddings).index([corpus])
    return corpus, root / "data"


@pytest.fixture
def corpus(indexed_template: tuple[Path, Path]) -> Path:
    """Shared and never modified, so article origins (file paths) match the template index."""
    return indexed_template[0]


@pytest.fixture
def bot_settings(tmp_path: Path, corpus: Path) -> Settings:
    """No LLM (extractive answers), no cooldown unless a test asks for one."""
    return make_settings(tmp_path / "data", seeds_dir=corpus, user_cooldown_seconds=0.0)


@pytest.fixture
def bot_service(bot_settings: Settings, embeddings: Any, indexed_template: tuple[Path, Path]) -> AskRecorder:
    """A real service on this test's own copy of the index."""
    shutil.copytree(indexed_template[1], bot_settings.data_dir, dirs_exist_ok=True)
    return AskRecorder(make_service(bot_settings, embeddings))


@pytest.fixture
def simcord_bot(bot_settings: Settings, bot_service: Any) -> discord.Client:
    return create_bot(bot_settings, bot_service)


def fire_slash(
    env: simcord.Env, actor: simcord.MemberActor, channel: simcord.ChannelHandle, name: str, **options: Any
) -> simcord.InteractionResult:
    """Invoke a slash command without waiting for the bot, so several can run at once.

    `actor.slash` settles the bot after each call (one interaction at a time); concurrency tests and
    the acknowledgement benchmark need many in flight, then one `await env.settle(...)`. This mirrors
    SimCord's own `_slash`, including its visibility and option checks.
    """
    from simcord import interactions
    from simcord.actors import _resolve_visible_command
    from simcord.enums import AppCommandType, InteractionType

    root = _resolve_visible_command(actor, channel.id, name, AppCommandType.CHAT_INPUT)
    leaf, nesting = interactions.walk_to_subcommand(root, [])
    leaf_options, _resolved = interactions.build_options(actor, name, leaf, options, channel_id=channel.id)
    data = {
        "id": root["id"],
        "name": root["name"],
        "type": AppCommandType.CHAT_INPUT,
        "options": interactions.nest_options(root, nesting, leaf_options),
    }
    record, payload = interactions.base_payload(
        env.backend,
        type=InteractionType.APPLICATION_COMMAND,
        channel_id=channel.id,
        guild_id=actor.guild.id,
        user_id=actor.id,
        data=data,
    )
    env.backend.emit("INTERACTION_CREATE", payload)
    return simcord.InteractionResult(env, record)
