"""Two servers, each with a feed of its own on a local HTTP server, for the tenant tests."""

from __future__ import annotations

import json
from dataclasses import dataclass

import simcord

from tests.support.discord_env import World, make_world
from tests.support.http_server import LocalServer

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{outlet}</title><link>https://{site}/</link>
  <item>
    <title>{title}</title><link>https://{site}/news/lighthouse</link>
    <pubDate>Wed, 31 Dec 2025 09:00:00 GMT</pubDate>
    <description>{text}</description>
  </item>
</channel></rss>"""
QUESTION = "Who restored the lamp of the old harbour lighthouse?"
ALPHA = {"outlet": "Alpha Harbour News", "site": "alpha.example", "title": "Keeper Varga restores the lighthouse lamp",
         "text": "The old harbour lighthouse shines again after keeper Tomas Varga restored its lamp by hand. "
                 "Varga spent eleven weeks polishing the lens and rewiring the lamp, the harbour board said. "
                 "The lighthouse lamp was first lit in 1891 and had been dark since the storm."}
BETA = {"outlet": "Beta Coast Post", "site": "beta.example",
        "title": "Engineer Okonkwo relights the harbour lighthouse",
        "text": "Engineer Adaeze Okonkwo restored the lamp of the old harbour lighthouse, the coast guard said. "
                "Okonkwo replaced the burnt lamp and the cracked lens with parts made in the town's workshop. "
                "The harbour lighthouse had stood dark for two winters before Okonkwo's repairs."}


@dataclass
class Guilds:
    a: World
    b: World
    feed_a: str
    feed_b: str


def serve_feeds(server: LocalServer) -> tuple[str, str]:
    return (server.route("/alpha.xml", FEED.format(**ALPHA), content_type="application/rss+xml"),
            server.route("/beta.xml", FEED.format(**BETA), content_type="application/rss+xml"))


async def two_guilds_with_feeds(env: simcord.Env, server: LocalServer) -> Guilds:
    """Guild A adds and indexes the Alpha feed, guild B the Beta feed."""
    feed_a, feed_b = serve_feeds(server)
    a, b = make_world(env), make_world(env)
    for world, feed in ((a, feed_a), (b, feed_b)):
        added = await world.admin.slash(world.channel, "source add", kind="feed", value=feed)
        assert added.response is not None and "Added" in added.response.content, added.response
        done = await world.admin.slash(world.channel, "reindex")
        assert done.response is not None and "1 added" in done.response.content, done.response.content
    return Guilds(a, b, feed_a, feed_b)


def sent_since(env: simcord.Env, cursor: int) -> str:
    """Everything the bot sent to Discord since `cursor` (payloads, as JSON text)."""
    return json.dumps([r.json for r in env.http_requests[cursor:]], ensure_ascii=False)
