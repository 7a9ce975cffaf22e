"""`/sources` and `/reindex` as a member and an admin see them under SimCord: articles, outlets and
linked newest articles; a query lists its matches or says none match; the index's internals only for
admins (checked by the bot, since Discord cannot hide one option); a re-index with a bar and a percentage."""

from __future__ import annotations

import re

import simcord

from bot.render.status import DETAIL_ADMIN_ONLY_MESSAGE
from tests.support.discord_env import assert_nobody_pinged, make_world

HANOI = "[Putin arrives in Hanoi to talk trade and energy](https://example.org/putin-hanoi) · Daily Ledger · 2024-06-21"
PACT = "[US warns over Russia and North Korea defence pact](https://example.org/us-warns-pact) · "
INTERNALS = ("chunk", "mbedder", "minilm", "generation")


def _embed_text(result: simcord.InteractionResult) -> str:
    assert result.ephemeral and result.response is not None
    (embed,) = result.response.embeds
    return str(embed.to_dict())


async def test_sources_shows_articles_outlets_and_linked_newest_articles_without_internals(
    simcord_env: simcord.Env,
) -> None:
    world = make_world(simcord_env)
    result = await world.alice.slash(world.channel, "sources")
    assert result.ephemeral and result.response is not None
    (embed,) = result.response.embeds
    assert re.match(r"\*\*3 articles\*\* from \*\*\d+ outlets\*\* · last updated \d{4}-", embed.description or "")
    fields = {f.name: str(f.value) for f in embed.fields}
    outlets = fields["Outlets"].split("\n")
    assert len(outlets) == 3 and all(line.endswith(" · 1 article") for line in outlets), outlets
    assert "Daily Ledger · 1 article" in outlets
    newest = (embed.description or "").split("**Newest articles**\n")[1].split("\n")
    assert newest[0] == HANOI and newest[1].startswith(PACT)  # newest first, each entry whole
    shown = str(embed.to_dict()).casefold()
    assert not any(word in shown for word in INTERNALS)
    assert_nobody_pinged(simcord_env)


async def test_a_query_lists_the_articles_matching_title_outlet_or_address(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    by_outlet = await world.alice.slash(world.channel, "sources", query="LEDGER")
    assert "**1 article** matches." in _embed_text(by_outlet) and HANOI in _embed_text(by_outlet)
    by_site = await world.alice.slash(world.channel, "sources", query="example.org")
    text = _embed_text(by_site)
    assert "**2 articles** match." in text and text.index("Hanoi") < text.index("US warns")
    by_title = await world.alice.slash(world.channel, "sources", query="defence pact")
    assert PACT in _embed_text(by_title) and "Hanoi" not in _embed_text(by_title)


async def test_a_query_that_matches_nothing_says_so(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    result = await world.alice.slash(world.channel, "sources", query="cnn")
    assert result.response is not None
    (embed,) = result.response.embeds
    assert embed.title == "Articles matching “cnn”"
    assert (embed.description or "").startswith("No indexed article matches “cnn”.")


async def test_the_index_detail_is_for_admins_only(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    refused = await world.alice.slash(world.channel, "sources", detail=True)
    assert refused.ephemeral and refused.response is not None
    assert DETAIL_ADMIN_ONLY_MESSAGE in refused.response.content and not refused.response.embeds
    allowed = await world.admin.slash(world.channel, "sources", detail=True)
    assert allowed.ephemeral and allowed.response is not None
    (embed,) = allowed.response.embeds
    detail = embed.fields[-1]
    assert detail.name == "Index detail (admins)"
    assert re.search(r"\d+ chunks \(searchable passages\) · embedder `[^`]+` · generation `[^`]+`", str(detail.value))


async def test_reindex_edits_in_a_bar_and_a_percentage_then_a_plain_summary(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    result = await world.admin.slash(world.channel, "reindex")
    edits = [
        str(r.json.get("content")) for r in simcord_env.http_requests
        if r.method == "PATCH" and r.path.endswith("/messages/@original") and isinstance(r.json, dict)
    ]
    progress = [e for e in edits if e.startswith("🔄")]
    assert progress, edits
    assert all(re.search(r"^`[█░]{20}` \d{1,3}%$", e, re.M) for e in progress if "of 3 articles" in e), progress
    assert any("of 3 articles done" in e for e in progress)
    assert result.response is not None
    summary = result.response.content
    assert re.fullmatch(
        r"✅ Re-index finished in \d+\.\d s: 0 added, 0 updated, 3 unchanged, 0 removed, 0 failed\.", summary
    ), summary
    assert edits[-1] == summary
