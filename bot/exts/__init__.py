"""The cogs, one extension each, loaded by name in `BriefBot.setup_hook`."""
