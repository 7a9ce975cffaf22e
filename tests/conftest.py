"""Shared fixtures: real parts in temp dirs (embedded Chroma, the local embedder, the service)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.settings import BotSettings
from retrieval.settings import Settings

pytest_plugins = [
    "tests.support.openai_server",
    "tests.support.http_server",
    "tests.support.discord_env",
    "tests.support.canary_secrets",
    "tests.support.postgres",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_ROOT / "seeds"


def make_settings(data_dir: Path, **overrides: Any) -> BotSettings:
    """Settings for tests: never read the developer's .env or an LLM key from the environment. The bot's
    settings, which the engine takes as its own `Settings`."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "seeds_dir": SEEDS_DIR,
        "openai_base_url": None,
        "openai_api_key": None,
        "chroma_host": None,
        "discord_token": None,
        "embeddings": "local",
        "shard_count": 1,  # SimCord runs an AutoShardedBot with a fixed count (Discord recommends one live)
    }
    values.update(overrides)
    return BotSettings(_env_file=None, **values)


@pytest.fixture(scope="session")
def embeddings():
    """The real local embedder, loaded once per test session."""
    from retrieval.index.embeddings import LocalMiniLMEmbeddings

    return LocalMiniLMEmbeddings()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def service(settings: Settings, embeddings):
    """A real service on an embedded Chroma in a temp dir, with the real local embedder."""
    from retrieval.index.store import ChromaStore
    from retrieval.search.hybrid import HybridSearcher
    from retrieval.service import BriefbotService

    store = ChromaStore.from_settings(settings, embeddings)
    return BriefbotService(settings, embeddings, store, HybridSearcher(store, embeddings))


@pytest.fixture(scope="session")
def fake_embeddings():
    """A deterministic embedder that loads nothing, for tests whose result does not depend on meaning."""
    from tests.support.fake_embeddings import FakeEmbeddings

    return FakeEmbeddings()
