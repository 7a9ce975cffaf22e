"""BRIEFBOT_REFRESH_MINUTES: the bot re-indexes its configured sources on a timer, in its own process."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast

import pytest
import simcord
from discord.ext import commands

from bot import create_bot
from bot.exts.refresh import ScheduledRefresh
from retrieval.ingest import configured_sources
from retrieval.settings import Settings
from tests.support.discord_env import AskRecorder

ARTICLE = """Title: Ferry service resumes after the storm
Source: Coast Courier
Date: 2026-01-01

The island ferry resumed its crossings on Thursday after three days of storms kept it in port.
"""


def refresh_cog(env: simcord.Env) -> ScheduledRefresh:
    assert isinstance(env.bot, commands.AutoShardedBot)
    cog = env.bot.get_cog("ScheduledRefresh")
    # `load_extension` executes the module afresh, so compare by name, not by this file's imported class.
    assert cog is not None and type(cog).__qualname__ == ScheduledRefresh.__qualname__
    return cast(ScheduledRefresh, cog)


async def test_without_the_setting_there_is_no_refresh_loop(simcord_env: simcord.Env) -> None:
    assert refresh_cog(simcord_env).loop is None


async def test_the_refresh_indexes_new_articles_and_survives_a_failed_run(
    simcord_env: simcord.Env, bot_settings: Settings, bot_service: AskRecorder, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    configured_sources.add_source(bot_service.settings, "folder", str(inbox))  # what /source add does
    settings = bot_settings.model_copy(update={"refresh_minutes": 10})
    await simcord_env.restart_bot(create_bot(settings, bot_service))
    cog = refresh_cog(simcord_env)
    assert cog.loop is not None and cog.loop.is_running()

    (inbox / "2026-01-01-ferry.txt").write_text(ARTICLE, encoding="utf-8")
    await simcord_env.advance_time(10 * 60 + 5)
    assert cog.last_report is not None and cog.last_report.added == 1
    assert any("Ferry" in a.title for a in bot_service.stats().newest)

    (inbox / "broken.txt").write_bytes(b"")  # a bad file is a reported failure, not a crash
    with caplog.at_level(logging.INFO, logger="bot.exts.refresh"):
        await simcord_env.advance_time(10 * 60 + 5)
    assert cog.last_report.added == 0 and len(cog.last_report.failures) == 1
    assert cog.loop.is_running()
    assert "scheduled refresh: added 0" in caplog.text
