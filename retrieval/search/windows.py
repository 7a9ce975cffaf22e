"""Date windows that cannot overflow: a day at the calendar's edge becomes a named error, not a crash.

`datetime` stops at 0001-01-01 and 9999-12-31, so "the 24 hours before 0001-01-01" or "this week" on
9999-12-31 raise `OverflowError` deep inside date arithmetic. The service checks here first, and the
bot and the command line show `DateOutOfRangeError`'s short message instead of a traceback.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from retrieval.errors import DateOutOfRangeError

OUT_OF_RANGE_MESSAGE = "That date is out of range. Use a day between {first} and {last}."
# Questions name windows up to "the past 999 years" around their day, plus a few days of slack.
QUESTION_MARGIN_DAYS = 1000 * 366
EARLIEST_QUESTION_DAY = date.min + timedelta(days=QUESTION_MARGIN_DAYS)
LATEST_QUESTION_DAY = date.max - timedelta(days=QUESTION_MARGIN_DAYS)


def out_of_range(first: date, last: date) -> DateOutOfRangeError:
    return DateOutOfRangeError(OUT_OF_RANGE_MESSAGE.format(first=first.isoformat(), last=last.isoformat()))


def window_start(as_of: datetime, window_hours: int) -> date:
    """The first day of the `window_hours` before `as_of` (a brief's window)."""
    try:
        return (as_of - timedelta(hours=window_hours)).date()
    except OverflowError:
        raise window_out_of_range(window_hours) from None


def window_out_of_range(window_hours: int) -> DateOutOfRangeError:
    """The error for a window of `window_hours` that would begin before the calendar does."""
    days = min(-(-max(0, window_hours) // 24), (date.max - date.min).days)  # whole days, rounded up
    return out_of_range(date.min + timedelta(days=days), date.max)


def check_question_day(as_of: datetime | date) -> None:
    """A question's "today" leaves room for every window a question can name around it."""
    day = as_of.date() if isinstance(as_of, datetime) else as_of
    if not EARLIEST_QUESTION_DAY <= day <= LATEST_QUESTION_DAY:
        raise out_of_range(EARLIEST_QUESTION_DAY, LATEST_QUESTION_DAY)
