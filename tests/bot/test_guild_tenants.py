"""Two servers with their own sources: what one adds is retrievable by that server only, in answers,
mentions, briefs, buttons, /sources and autocomplete; and the bot leaving one server removes its
articles, sources and settings while the other's answers stay the same. Against SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import simcord

from bot import create_bot
from bot.utils.tenancy import tenants_for, visible_to
from retrieval.models import guild_tenant
from retrieval.settings import Settings
from tests.bot.guild_feeds import ALPHA, BETA, FEED, QUESTION, sent_since, two_guilds_with_feeds
from tests.conftest import make_settings
from tests.support.discord_env import assert_nobody_pinged
from tests.support.http_server import LocalServer


@pytest.fixture(params=["sqlite", "postgresql"])
def bot_settings(request: pytest.FixtureRequest, tmp_path: Path, corpus: Path) -> Settings:
    """Feeds on 127.0.0.1 (allowed for tests only), and the settings store in SQLite or PostgreSQL."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    return make_settings(tmp_path / "data", seeds_dir=corpus, user_cooldown_seconds=0.0,
                         allow_private_urls=True, database_url=url)


def _says(text: str, article: dict[str, str]) -> bool:
    return article["title"].split()[1] in text  # Varga / Okonkwo: each appears only in its own article


async def test_the_same_question_in_two_servers_cites_only_each_servers_own_articles(
    simcord_env: simcord.Env, local_server: LocalServer
) -> None:
    guilds = await two_guilds_with_feeds(simcord_env, local_server)
    for world, own, other in ((guilds.a, ALPHA, BETA), (guilds.b, BETA, ALPHA)):
        cursor = len(simcord_env.http_requests)
        asked = await world.alice.slash(world.channel, "ask", question=QUESTION)
        assert asked.response is not None
        answer = sent_since(simcord_env, cursor)
        assert _says(answer, own) and not _says(answer, other)

        cursor = len(simcord_env.http_requests)
        await world.alice.send(world.channel, f"{world.me.mention} {QUESTION}")
        mention = sent_since(simcord_env, cursor)
        assert _says(mention, own) and not _says(mention, other)

        cursor = len(simcord_env.http_requests)
        await world.alice.slash(world.channel, "sources")
        await world.alice.slash(world.channel, "sources", query="lighthouse")
        listing = sent_since(simcord_env, cursor)
        assert own["outlet"] in listing and other["outlet"] not in listing
        choices = [c["value"] for c in await world.alice.autocomplete(world.channel, "sources", "query", "")]
        assert own["outlet"] in choices and other["outlet"] not in choices
        assert not any(other["title"] == c for c in choices)
    assert_nobody_pinged(simcord_env)


async def test_a_servers_brief_and_its_buttons_hold_only_its_own_and_the_global_articles(
    simcord_env: simcord.Env, local_server: LocalServer
) -> None:
    guilds = await two_guilds_with_feeds(simcord_env, local_server)
    for world, own, other in ((guilds.a, ALPHA, BETA), (guilds.b, BETA, ALPHA)):
        cursor = len(simcord_env.http_requests)
        await world.alice.slash(world.channel, "brief", date="2025-12-31")
        brief = sent_since(simcord_env, cursor)
        assert _says(brief, own) and not _says(brief, other)
        story = next(m for m in world.channel.threads[-1].history() if m.components)
        cursor = len(simcord_env.http_requests)
        shown = await world.alice.click(story, label="Sources")
        assert shown.response is not None
        buttons = sent_since(simcord_env, cursor)
        assert own["outlet"] in buttons and other["outlet"] not in buttons


def test_a_stored_story_is_visible_only_to_servers_that_may_see_all_its_articles() -> None:
    mine, theirs, shared = f"{guild_tenant(1)}/feed:x", f"{guild_tenant(2)}/feed:y", "seeds/a.txt"
    assert visible_to([mine, shared], 1) and visible_to([shared], 2) and visible_to([shared], None)
    assert not visible_to([theirs], 1) and not visible_to([mine, shared], 2) and not visible_to([mine], None)


async def test_leaving_a_server_removes_its_articles_sources_and_settings_and_keeps_the_others(
    simcord_env: simcord.Env, local_server: LocalServer, bot_service: Any
) -> None:
    guilds = await two_guilds_with_feeds(simcord_env, local_server)
    store = simcord_env.bot.guild_store  # type: ignore[attr-defined]
    await guilds.a.admin.slash(guilds.a.channel, "settings brief-time", time="06:30")
    cursor = len(simcord_env.http_requests)
    await guilds.b.alice.slash(guilds.b.channel, "ask", question=QUESTION)
    before = sent_since(simcord_env, cursor)
    a_tenant = guild_tenant(guilds.a.guild.id)
    assert len([r for r in bot_service.store.iter_articles() if str(r["id"]).startswith(a_tenant)]) == 1
    assert store.sources(guilds.a.guild.id) and store.get(guilds.a.guild.id).brief_time is not None

    simcord_env.backend.remove_guild(guilds.a.guild.id)  # kicked, or left: Discord sends GUILD_DELETE
    await simcord_env.settle()

    ids = [str(r["id"]) for r in bot_service.store.iter_articles()]
    assert not any(i.startswith(guild_tenant(guilds.a.guild.id)) for i in ids)
    assert any(i.startswith(guild_tenant(guilds.b.guild.id)) for i in ids) and len(ids) == 4  # 3 global + B's
    assert store.sources(guilds.a.guild.id) == [] and store.get(guilds.a.guild.id).brief_time is None
    assert store.sources(guilds.b.guild.id)
    lexical = bot_service.searcher.search(ALPHA["text"], k=10)
    assert not any(hit.chunk.article_id.startswith(guild_tenant(guilds.a.guild.id)) for hit in lexical)
    cursor = len(simcord_env.http_requests)
    await guilds.b.alice.slash(guilds.b.channel, "ask", question=QUESTION)
    assert _strip_ids(sent_since(simcord_env, cursor)) == _strip_ids(before)


def _strip_ids(text: str) -> str:
    """A payload without the snowflakes and tokens that differ between two identical answers."""
    return re.sub(r"\d{15,}|simcord_interaction_\d+", "#", text)


@pytest.mark.parametrize("bot_settings", ["sqlite"], indirect=True)
async def test_the_timed_refresh_reindexes_each_servers_own_feed_for_that_server_only(
    simcord_env: simcord.Env, local_server: LocalServer, bot_settings: Settings, bot_service: Any
) -> None:
    guilds = await two_guilds_with_feeds(simcord_env, local_server)
    await simcord_env.restart_bot(create_bot(bot_settings.model_copy(update={"refresh_minutes": 10}), bot_service))
    renamed = {**ALPHA, "title": "Keeper Varga lights the harbour beacon again"}
    local_server.route("/alpha.xml", FEED.format(**renamed), content_type="application/rss+xml")
    await simcord_env.advance_time(10 * 60 + 5)

    def titles(guild_id: int) -> set[str]:
        return {a.title for a in bot_service.stats(tenants=tenants_for(guild_id)).newest}

    assert renamed["title"] in titles(guilds.a.guild.id) and ALPHA["title"] not in titles(guilds.a.guild.id)
    assert renamed["title"] not in titles(guilds.b.guild.id) and BETA["title"] in titles(guilds.b.guild.id)
