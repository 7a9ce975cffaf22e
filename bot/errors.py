"""Errors of the bot alone (the engine's are in `retrieval.errors`); `str(exc)` is safe to show a user."""

from __future__ import annotations

from retrieval.errors import BriefbotError


class BudgetExceededError(BriefbotError):
    """A user has spent their daily token budget."""


class DeliveryError(Exception):
    """Discord refused the answer itself, even after a retry."""
