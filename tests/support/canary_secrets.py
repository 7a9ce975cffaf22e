"""`pytest --canary-secrets`: the whole suite with chatty loggers at DEBUG and canary secrets; any leak fails."""
from __future__ import annotations

import json
import logging
import re

import discord
import pytest
from pydantic import SecretStr

from retrieval.settings import Settings

CANARY_API_KEY = "sk-canary-7f3a9c1e5b2d4f60a8e1c3b5d7f9a2c4"
CANARY_BOT_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.canary.Zm9vYmFyYmF6cXV4cXV1eHh5enp5"
CANARY_LOGGERS = ("discord", "discord.http", "openai", "httpx", "httpcore", "chromadb")
_TOKEN_IN_PATH = re.compile(r"/(?:webhooks/\d+|interactions/\d+)/([^/?]{20,})")
LEAKS: list[str] = []


def pytest_addoption(parser):
    parser.addoption("--canary-secrets", action="store_true",
                     help="DEBUG logging for discord/openai/httpx/httpcore/chromadb and canary secrets; fail on a leak")


@pytest.fixture(autouse=True)
def _canary_secrets(request, monkeypatch):
    if not request.config.getoption("--canary-secrets"):
        yield
        return
    caplog = request.getfixturevalue("caplog")
    real_init = Settings.__init__

    def init(self, *args, **values):
        if values.get("openai_api_key") is not None:
            values["openai_api_key"] = SecretStr(CANARY_API_KEY)
        if values.get("discord_token") is not None:
            values["discord_token"] = SecretStr(CANARY_BOT_TOKEN)
        real_init(self, *args, **values)

    monkeypatch.setattr(Settings, "__init__", init)
    real_login = discord.Client.login

    async def login(self, token):
        return await real_login(self, CANARY_BOT_TOKEN)

    monkeypatch.setattr(discord.Client, "login", login)
    for name in CANARY_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield
    env = request.node.funcargs.get("simcord_env")
    tokens: set[str] = set()
    bodies = ""
    if env is not None:
        for r in env.http_requests:
            tokens.update(_TOKEN_IN_PATH.findall(r.path))
        bodies = json.dumps([r.json for r in env.http_requests], default=str)
    logged = caplog.text + "\n".join(repr(r.args) for r in caplog.records)
    for canary in (CANARY_API_KEY, CANARY_BOT_TOKEN, *tokens):
        where = [w for w, text in (("log", logged), ("payload", bodies)) if canary in text]
        if where:
            LEAKS.append(f"{request.node.nodeid}: {canary[:14]}… in {where}")
    assert not any(canary in logged or canary in bodies for canary in (CANARY_API_KEY, CANARY_BOT_TOKEN, *tokens))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not config.getoption("--canary-secrets"):
        return
    terminalreporter.write_line(f"canary leaks: {len(LEAKS)}")
    for leak in LEAKS[:30]:
        terminalreporter.write_line(leak)
