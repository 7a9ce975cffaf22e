"""The settings store on real databases: SQLite in a temp dir and PostgreSQL on 127.0.0.1. Migrations
are applied at start-up and match the tables; a brief is claimed once however many processes try."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.store import GuildStore
from bot.store.tables import Base
from tests.conftest import make_settings

DUE = datetime(2026, 1, 1, 7, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_settings(request: pytest.FixtureRequest, tmp_path: Path):
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    return make_settings(tmp_path / "data", database_url=url)


def test_sqlite_is_the_default_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    GuildStore.from_settings(settings)
    assert (tmp_path / "data" / "briefbot.db").is_file() and not settings.uses_postgresql


def test_start_up_migrates_to_the_tables_the_code_uses_and_twice_is_harmless(database_settings) -> None:
    store = GuildStore.from_settings(database_settings)
    store.update(1, brief_time=time(6, 30))
    again = GuildStore.from_settings(database_settings)  # a restart, or a second process
    assert again.get(1).brief_time == time(6, 30)
    with again.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert {"guild_settings", "guild_sources", "posted_briefs", "alembic_version"} <= set(
            inspect(connection).get_table_names())


def test_settings_sources_and_claims_per_server(database_settings) -> None:
    first, second = GuildStore.from_settings(database_settings), GuildStore.from_settings(database_settings)
    first.update(1, timezone="Europe/Paris", topics_include=("harbour",), answer_channel_ids=(5, 6))
    first.update(2, brief_role_id=99)
    assert second.get(1).topics_include == ("harbour",) and second.get(1).answer_channel_ids == (5, 6)
    assert second.get(2).brief_role_id == 99 and second.get(3).updated_at is None
    assert first.add_source(1, "feed", "https://a.example/rss") and not second.add_source(1, "feed", "https://a.example/rss")
    assert first.add_source(2, "feed", "https://a.example/rss")  # the same feed in another server is its own
    assert first.claim_brief(1, date(2026, 1, 1), DUE, 10)
    assert not second.claim_brief(1, date(2026, 1, 1), DUE, 10)  # another process: no second post
    assert second.claim_brief(2, date(2026, 1, 1), DUE, 11) and first.claim_brief(1, date(2026, 1, 2), DUE, 10)
    first.finish_brief(1, date(2026, 1, 1), "failed", problem="its channel is gone")
    assert second.take_problem(1) == "its channel is gone" and second.take_problem(1) is None

    second.forget_guild(1)
    assert first.get(1).timezone is None and first.sources(1) == [] and first.posted_briefs(1) == []
    assert first.get(2).brief_role_id == 99 and len(first.sources(2)) == 1 and len(first.posted_briefs(2)) == 1
