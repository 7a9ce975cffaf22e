"""The bot's settings: the engine's (`retrieval.settings.Settings`) plus Discord and per-user limits.

One object, built once by the command line (`BotSettings()` reads the environment and `.env`) and passed
down; the engine receives it as its `Settings` and never sees more than those fields' names.
"""

from __future__ import annotations

from datetime import time

from pydantic import Field, SecretStr, field_validator

from retrieval.settings import Settings, env_name


class BotSettings(Settings):
    """`.env.example`'s Discord section: the token, where and when the brief goes, the per-user limits."""

    # --- Discord
    discord_token: SecretStr | None = Field(None, validation_alias=env_name("DISCORD_TOKEN"))
    dev_guild_id: int | None = Field(None, validation_alias=env_name("BRIEFBOT_DEV_GUILD_ID"))
    brief_channel_id: int | None = Field(None, validation_alias=env_name("BRIEFBOT_BRIEF_CHANNEL_ID"))
    brief_time: time = Field(time(7, 0), validation_alias=env_name("BRIEFBOT_BRIEF_TIME"))
    brief_retention_days: int = Field(30, ge=0, validation_alias=env_name("BRIEFBOT_BRIEF_RETENTION_DAYS"))
    refresh_minutes: int | None = Field(None, validation_alias=env_name("BRIEFBOT_REFRESH_MINUTES"))
    max_concurrent_answers: int = Field(4, validation_alias=env_name("BRIEFBOT_MAX_CONCURRENT_ANSWERS"))
    user_cooldown_seconds: float = Field(10.0, validation_alias=env_name("BRIEFBOT_USER_COOLDOWN_SECONDS"))
    user_daily_token_budget: int = Field(20000, validation_alias=env_name("BRIEFBOT_USER_DAILY_TOKEN_BUDGET"))
    answer_deadline_seconds: float = Field(120.0, validation_alias=env_name("BRIEFBOT_ANSWER_DEADLINE_SECONDS"))
    # Shards: empty lets Discord recommend a count (AutoShardedBot), one shard per 2,500 servers at most.
    shard_count: int | None = Field(None, ge=1, validation_alias=env_name("BRIEFBOT_SHARD_COUNT"))
    # The shards this process runs, e.g. 0,1,2,3 (needs BRIEFBOT_SHARD_COUNT); empty: all of them.
    shard_ids: str | None = Field(None, pattern=r"^\s*\d+(\s*,\s*\d+)*\s*$",
                                  validation_alias=env_name("BRIEFBOT_SHARD_IDS"))
    # Whether /reindex in a server also re-indexes the operator's global sources (sources.toml, seeds/),
    # besides that server's own. On by default, so a single-server install behaves as before.
    guild_reindex_includes_global: bool = Field(True, validation_alias=env_name("BRIEFBOT_GUILD_REINDEX_GLOBAL"))
    # A daily brief missed while the bot was down is still posted when it comes back within this many hours.
    brief_catch_up_hours: float = Field(6.0, ge=0, validation_alias=env_name("BRIEFBOT_BRIEF_CATCH_UP_HOURS"))

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("dev_guild_id", "brief_channel_id", "refresh_minutes", "shard_count", "shard_ids",
                     mode="before")
    @classmethod
    def _blank_id_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def shard_id_list(self) -> list[int] | None:
        """BRIEFBOT_SHARD_IDS as numbers (None: every shard runs in this process)."""
        return [int(part) for part in self.shard_ids.split(",")] if self.shard_ids else None
