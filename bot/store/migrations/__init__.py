"""Alembic migrations of the settings store, applied at start-up by `bot.store.migrate.upgrade`."""
