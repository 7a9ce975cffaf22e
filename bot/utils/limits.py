"""Per-user limits checked before any answer starts: the daily LLM token budget and the cooldown.

`/ask`, mentions, replies, the brief's story "Ask" modal and `/brief` all check `refusal` first and then
run inside `Answerer.limited` (one concurrency limit, the budget re-checked, usage metered), so none of
them can spend more than the others (OWASP LLM10, unbounded consumption). Tokens are counted from the
service's `on_usage` reports of each LLM call and reset at midnight UTC.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import discord

from bot.errors import BudgetExceededError
from retrieval.llm import Completion

BUDGET_MESSAGE = "You have used today's question allowance. It resets at midnight UTC."


def utc_today() -> dt.date:
    """`discord.utils.utcnow` so that SimCord's virtual clock moves the day in tests."""
    return discord.utils.utcnow().date()


class TokenBudget:
    """Tokens spent per user and UTC day; `limit <= 0` means no limit."""

    def __init__(self, limit: int, today: Callable[[], dt.date] = utc_today) -> None:
        self.limit = limit
        self._today = today
        self._spent: dict[tuple[int, dt.date], int] = {}
        self._lock = threading.Lock()  # usage is reported from the service's worker thread

    def spent(self, user_id: int, day: dt.date | None = None) -> int:
        with self._lock:
            return self._spent.get((user_id, day or self._today()), 0)

    def check(self, user_id: int) -> None:
        """Raise `BudgetExceededError` when the user has nothing left today."""
        if self.limit > 0 and self.spent(user_id) >= self.limit:
            raise BudgetExceededError(BUDGET_MESSAGE)

    def meter(self, user_id: int) -> Callable[[Completion], None]:
        """An `on_usage` callback charging this user; the day is fixed when the question is asked."""
        day = self._today()

        def charge(completion: Completion) -> None:
            with self._lock:
                key = (user_id, day)
                self._spent[key] = self._spent.get(key, 0) + completion.total_tokens

        return charge

    def allowance(self, user_id: int) -> Callable[[], bool]:
        """Whether this user may make another LLM call (same day as `meter`): a long job stops once spent."""
        day = self._today()
        return lambda: self.limit <= 0 or self.spent(user_id, day) < self.limit


def refusal(budget: TokenBudget, cooldown: Cooldown, user_id: int) -> str | None:
    """Why this user may not ask now (budget first: it does not start a cooldown), or None."""
    try:
        budget.check(user_id)
    except BudgetExceededError as exc:
        return str(exc)
    wait = cooldown.retry_after(user_id)
    if wait:
        return f"Please wait {wait:.0f} s before asking again."
    return None


__all__ = ["BUDGET_MESSAGE", "TokenBudget", "refusal", "utc_today"]


class Cooldown:
    """Per-user cooldown; `time.monotonic` so tests can move time (SimCord's virtual clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: dict[int, float] = {}

    def retry_after(self, user_id: int) -> float:
        """0 when the user may ask now (and starts their cooldown), else the seconds left."""
        now = time.monotonic()
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            return self.seconds - (now - last)
        self._last[user_id] = now
        return 0.0
