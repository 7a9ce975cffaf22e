"""Helpers the cogs share: answering, delivery targets, conversations, limits. Imports no cog."""
