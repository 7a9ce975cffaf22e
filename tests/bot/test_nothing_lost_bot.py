"""`/reindex` through the real discord.py bot under SimCord: what the operator indexed with
`briefbot index PATH` (not a configured source) survives it and is still answered from."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import simcord

from retrieval.settings import Settings
from tests.support.discord_env import AskRecorder, assert_nobody_pinged, make_service, make_world

MINE = ("The copper mine in the eastern hills will close in spring after ninety years, its owners said. "
        "About two hundred miners will lose their jobs when the pits shut.")
QUESTION = "When will the copper mine in the eastern hills close?"


@pytest.fixture
def bot_service(bot_settings: Settings, embeddings: Any, indexed_template: tuple[Path, Path], tmp_path: Path) -> Any:
    """The shared index, plus a folder the operator indexed by hand (`briefbot index manual`)."""
    shutil.copytree(indexed_template[1], bot_settings.data_dir, dirs_exist_ok=True)
    service = make_service(bot_settings, embeddings)
    manual = tmp_path / "manual"
    manual.mkdir()
    (manual / "2024-06-20-mine.txt").write_text(MINE, encoding="utf-8")
    assert service.index([manual]).added == 1
    return AskRecorder(service)


async def test_reindex_keeps_what_the_operator_indexed_by_path(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)

    for _ in range(2):
        reindex = await world.admin.slash(world.channel, "reindex")
        assert reindex.response is not None
        summary = reindex.response.content
        assert summary.startswith("✅ Re-index finished") and "0 removed" in summary, summary

    asked = await world.alice.slash(world.channel, "ask", question=QUESTION)
    assert asked.response is not None
    answer, *_, sources = asked.response.embeds
    assert "close in spring" in (answer.description or "") and "[1]" in (answer.description or "")
    assert "mine" in (sources.description or "").lower()
    assert_nobody_pinged(simcord_env)
