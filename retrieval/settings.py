"""The engine's settings: corpus, storage, models, answering, fetching. Built once and passed down;
nothing else reads os.environ. The bot's own settings (Discord, per-user limits) extend these in
`bot.settings`, so the engine knows nothing of Discord."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def env_name(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Every engine knob, read from the environment and `.env` (see `.env.example`)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True, populate_by_name=True
    )

    # --- corpus and storage
    data_dir: Path = Field(Path("./data"), validation_alias=env_name("BRIEFBOT_DATA_DIR"))
    seeds_dir: Path = Field(Path("./seeds"), validation_alias=env_name("BRIEFBOT_SEEDS_DIR"))
    chroma_host: str | None = Field(None, validation_alias=env_name("CHROMA_HOST"))
    chroma_port: int = Field(8000, validation_alias=env_name("CHROMA_PORT"))
    # Articles published more than this many days ago are removed at each index run (unset: keep all).
    article_retention_days: int | None = Field(
        None, ge=1, validation_alias=env_name("BRIEFBOT_ARTICLE_RETENTION_DAYS"))
    # SQLAlchemy URL of the shared database: empty means an SQLite file in the data dir. A
    # postgresql+psycopg:// URL lets several processes share state, and makes the index's single-writer
    # lock a PostgreSQL advisory lock (a file lock does not hold across machines). Secret: it may hold a password.
    database_url: SecretStr | None = Field(None, validation_alias=env_name("BRIEFBOT_DATABASE_URL"))

    # --- models
    openai_base_url: str | None = Field(None, validation_alias=env_name("OPENAI_BASE_URL"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=env_name("OPENAI_API_KEY"))
    chat_model: str = Field("gpt-4o-mini", validation_alias=env_name("BRIEFBOT_CHAT_MODEL"))
    embeddings: Literal["local", "openai"] = Field("local", validation_alias=env_name("BRIEFBOT_EMBEDDINGS"))
    embedding_model: str = Field(
        "text-embedding-3-small", validation_alias=env_name("BRIEFBOT_EMBEDDING_MODEL")
    )
    llm_timeout_seconds: float = Field(30.0, validation_alias=env_name("BRIEFBOT_LLM_TIMEOUT_SECONDS"))
    llm_max_retries: int = Field(2, validation_alias=env_name("BRIEFBOT_LLM_MAX_RETRIES"))
    llm_max_tokens: int = Field(600, validation_alias=env_name("BRIEFBOT_LLM_MAX_TOKENS"))

    # --- answering
    top_k: int = Field(6, validation_alias=env_name("BRIEFBOT_TOP_K"))
    refusal_threshold: float = Field(0.40, validation_alias=env_name("BRIEFBOT_REFUSAL_THRESHOLD"))

    # --- fetching (sources)
    fetch_timeout_seconds: float = Field(20.0, validation_alias=env_name("BRIEFBOT_FETCH_TIMEOUT_SECONDS"))
    fetch_max_bytes: int = Field(5_000_000, validation_alias=env_name("BRIEFBOT_FETCH_MAX_BYTES"))
    # Only for tests that serve feeds from 127.0.0.1. Never enable in production.
    allow_private_urls: bool = Field(False, validation_alias=env_name("BRIEFBOT_ALLOW_PRIVATE_URLS"))

    log_level: str = Field("INFO", validation_alias=env_name("BRIEFBOT_LOG_LEVEL"))

    @field_validator("openai_base_url", "chroma_host", "article_retention_days", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("openai_api_key", "database_url", mode="before")
    @classmethod
    def _blank_secret_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def has_llm(self) -> bool:
        """With neither a key nor a base URL there is no LLM, and answers are extractive."""
        return bool(self.openai_base_url or self.openai_api_key)

    @property
    def database_url_or_default(self) -> str:
        """The database URL; without one, the SQLite file `briefbot.db` in the data dir."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'briefbot.db').resolve()}"

    @property
    def uses_postgresql(self) -> bool:
        return self.database_url_or_default.startswith("postgresql")

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def sources_file(self) -> Path:
        return self.data_dir / "sources.toml"
