"""The engine's settings know nothing of Discord; the bot's extend them, and `.env.example` still fills both."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.settings import BotSettings
from retrieval.settings import Settings
from tests.conftest import REPO_ROOT

DISCORD_FIELDS = {"discord_token", "dev_guild_id", "brief_channel_id", "brief_time", "user_cooldown_seconds",
                  "user_daily_token_budget", "max_concurrent_answers", "answer_deadline_seconds"}


def _example_keys() -> set[str]:
    lines = (REPO_ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    return {line.split("=", 1)[0].strip() for line in lines if "=" in line and not line.lstrip().startswith("#")}


def _aliases(model: type[Settings]) -> set[str]:
    names: set[str] = set()
    for field in model.model_fields.values():
        alias = field.validation_alias
        names.update(str(choice) for choice in getattr(alias, "choices", ()))
    return names


def test_the_engines_settings_have_no_discord_field() -> None:
    assert not DISCORD_FIELDS & set(Settings.model_fields)
    assert set(BotSettings.model_fields) >= DISCORD_FIELDS


def test_every_line_of_env_example_is_a_setting_of_the_bot() -> None:
    keys = _example_keys()
    assert "DISCORD_TOKEN" in keys and "BRIEFBOT_DATA_DIR" in keys
    assert keys <= _aliases(BotSettings)


def test_env_example_loads_and_blank_values_mean_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in _example_keys():  # the real environment would override the file
        monkeypatch.delenv(key, raising=False)
        monkeypatch.delenv(key.lower(), raising=False)
    env = tmp_path / ".env"
    env.write_text((REPO_ROOT / ".env.example").read_text(encoding="utf-8")
                   + "\nDISCORD_TOKEN=canary-token\nBRIEFBOT_BRIEF_CHANNEL_ID=\n", encoding="utf-8")
    settings = BotSettings(_env_file=env)  # type: ignore[call-arg]
    assert isinstance(settings.discord_token, SecretStr) and "canary-token" not in repr(settings)
    assert settings.brief_channel_id is None and settings.openai_api_key is None and not settings.has_llm
    assert settings.user_cooldown_seconds == 10.0 and settings.top_k == 6
