"""A text progress bar for messages that are edited while work runs (`/reindex`). Pure."""

from __future__ import annotations

BAR_WIDTH_CELLS = 20
_FULL, _EMPTY = "█", "░"


def percent_done(done: int, total: int) -> int:
    """Whole percent, never 100 before the last item is done and never outside 0..100."""
    if total <= 0:
        return 0
    share = max(0, min(done, total)) * 100 // total
    return 100 if done >= total else min(share, 99)


def progress_bar(done: int, total: int, *, width: int = BAR_WIDTH_CELLS) -> str:
    """`` `██████░░░░░░` 50% ``: in a code span, so every cell has the same width in the Discord client."""
    percent = percent_done(done, total)
    filled = percent * width // 100
    return f"`{_FULL * filled}{_EMPTY * (width - filled)}` {percent}%"


__all__ = ["BAR_WIDTH_CELLS", "percent_done", "progress_bar"]
