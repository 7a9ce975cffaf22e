"""The bot's settings store: per-server settings, sources and posted briefs (SQLAlchemy + Alembic)."""

from bot.store.guilds import GuildConfig, GuildSource, GuildStore, PostedBrief

__all__ = ["GuildConfig", "GuildSource", "GuildStore", "PostedBrief"]
