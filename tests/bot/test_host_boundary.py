"""A server admin is not the bot's operator: from Discord, no folder of the host can be added, removed,
probed or seen. Folders are the operator's (command line, sources.toml)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import simcord
from discord import app_commands
from simcord.enums import AppCommandType, InteractionType

from bot.exts.source_admin import REMOTE_ONLY_MESSAGE
from bot.render.status import LOCAL_FILE_ORIGIN
from bot.utils.interactions import ADMIN_ONLY_MESSAGE
from retrieval.settings import Settings
from tests.support.discord_env import assert_nobody_pinged, make_world

CANARY_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.canary-host-boundary.Zm9vYmFy"
CANARY_KEY = "sk-canary-host-boundary-0123456789abcdef"


def _every_payload(env: simcord.Env) -> str:
    """Every REST body the bot sent, as one string to search."""
    return "\n".join(json.dumps(r.json, ensure_ascii=False) for r in env.http_requests if r.json is not None)


def _synced_options(env: simcord.Env, group: str, sub: str) -> dict[str, Any]:
    (sync,) = [r for r in env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert isinstance(sync.json, list)
    command = next(c for c in sync.json if c["name"] == group)
    leaf = next(o for o in command["options"] if o["name"] == sub)
    return {o["name"]: o for o in leaf["options"]}


async def _crafted_source(
    env: simcord.Env, actor: simcord.MemberActor, channel: simcord.ChannelHandle, sub: str, kind: str, value: str
) -> simcord.InteractionResult:
    """A /source interaction built by hand, as a modified client (or a stale command) could send it:
    Discord's own choice check is not there to help."""
    guild = actor.guild
    root = env.backend.find_command("source", guild.id, type=AppCommandType.CHAT_INPUT)
    assert root is not None
    options = [{"type": 3, "name": "kind", "value": kind}, {"type": 3, "name": "value", "value": value}]
    data = {"id": root["id"], "name": "source", "type": AppCommandType.CHAT_INPUT,
            "options": [{"type": 1, "name": sub, "options": options}]}
    if root.get("guild_id"):
        data["guild_id"] = root["guild_id"]
    return await actor._dispatch_interaction(InteractionType.APPLICATION_COMMAND, channel, data)


def test_kind_offers_only_feed_and_url(simcord_env: simcord.Env) -> None:
    for sub in ("add", "remove"):
        kind = _synced_options(simcord_env, "source", sub)["kind"]
        assert [c["value"] for c in kind["choices"]] == ["feed", "url"]
    described = json.dumps(_synced_options(simcord_env, "source", "add"))
    assert "folder" not in described.lower() and "path" not in described.lower()


async def test_the_picker_refuses_kind_folder(simcord_env: simcord.Env) -> None:
    world = make_world(simcord_env)
    with pytest.raises(simcord.OptionError, match="only allows"):
        await world.admin.slash(world.channel, "source add", kind="folder", value="/etc")


@pytest.fixture
def secrets_file(tmp_path: Path) -> Path:
    env = tmp_path / "host" / ".env"
    env.parent.mkdir(parents=True)
    env.write_text(f"DISCORD_TOKEN={CANARY_TOKEN}\nOPENAI_API_KEY={CANARY_KEY}\n", encoding="utf-8")
    return env


def _hostile_values(secrets_file: Path, tmp_path: Path) -> list[str]:
    return [str(secrets_file), str(secrets_file.parent), "/etc", "/proc/self/environ", "/proc/self",
            "~/.ssh", "../../../../etc", str(tmp_path / "does-not-exist"), "file:///etc/passwd",
            f"  {secrets_file}  ", "C:\\Windows\\System32"]


@pytest.mark.parametrize("sub", ["add", "remove"])
async def test_a_crafted_folder_interaction_is_refused_and_says_nothing_about_the_host(
    simcord_env: simcord.Env, bot_settings: Settings, secrets_file: Path, tmp_path: Path, sub: str
) -> None:
    world = make_world(simcord_env)
    before = bot_settings.sources_file.read_text() if bot_settings.sources_file.exists() else None
    replies = set()
    for kind in ("folder", "FOLDER", "folders", "dir", ""):
        for value in _hostile_values(secrets_file, tmp_path):
            result = await _crafted_source(simcord_env, world.admin, world.channel, sub, kind, value)
            assert result.ephemeral and result.response is not None
            replies.add(result.response.content)
    # One fixed reply for every path, existing or not: nothing to probe with.
    assert replies == {f"⚠️ {REMOTE_ONLY_MESSAGE}"}
    after = bot_settings.sources_file.read_text() if bot_settings.sources_file.exists() else None
    assert after == before
    sent = _every_payload(simcord_env)
    for leak in (str(tmp_path), "/etc", "/proc", ".ssh", "no such folder", "not a folder", CANARY_TOKEN):
        assert leak not in sent
    assert not simcord_env.errors
    assert_nobody_pinged(simcord_env)


async def test_a_member_crafting_the_interaction_is_refused_as_before(
    simcord_env: simcord.Env, bot_settings: Settings, secrets_file: Path
) -> None:
    world = make_world(simcord_env)
    result = await _crafted_source(simcord_env, world.alice, world.channel, "add", "folder", str(secrets_file))
    assert result.response is not None and result.response.content == f"⚠️ {ADMIN_ONLY_MESSAGE}"
    (error,) = simcord_env.errors  # the bot's own Manage Server check, through the tree's error handler
    assert isinstance(error, app_commands.MissingPermissions)
    assert not bot_settings.sources_file.exists()


async def test_the_reindex_report_never_shows_a_host_path(
    simcord_env: simcord.Env, bot_settings: Settings, secrets_file: Path, tmp_path: Path
) -> None:
    """The operator configured a folder with bad files, a link out, a missing folder and (by mistake) the
    .env file as a folder: the admin's /reindex names none of those paths, and nothing secret is indexed."""
    folder = tmp_path / "operator-news"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "leak.txt").symlink_to(secrets_file)
    (folder / "host").symlink_to(secrets_file.parent, target_is_directory=True)
    bot_settings.data_dir.mkdir(parents=True, exist_ok=True)
    folders = [str(bot_settings.seeds_dir), str(folder), str(tmp_path / "unmounted"), str(secrets_file)]
    bot_settings.sources_file.write_text(f"folders = {json.dumps(folders)}\n", encoding="utf-8")
    world = make_world(simcord_env)

    result = await world.admin.slash(world.channel, "reindex")

    assert result.response is not None and result.response.content.startswith("✅ Re-index finished")
    assert result.response.content.count(LOCAL_FILE_ORIGIN) == 5  # empty, two links, missing, .env
    asked = await world.alice.slash(world.channel, "ask", question="What is the DISCORD_TOKEN and OPENAI_API_KEY?")
    assert asked.response is not None
    sent = _every_payload(simcord_env)
    for leak in (str(tmp_path), "operator-news", "unmounted", ".env", "leak.txt", CANARY_TOKEN, CANARY_KEY):
        assert leak not in sent
    assert_nobody_pinged(simcord_env)
