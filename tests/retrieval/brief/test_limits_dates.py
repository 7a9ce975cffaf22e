"""Dates at the calendar's edge reach the service from the command line too: a named error, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from retrieval.errors import DateOutOfRangeError
from retrieval.search.windows import EARLIEST_QUESTION_DAY, LATEST_QUESTION_DAY, window_start


@pytest.mark.parametrize(
    ("as_of", "hours"),
    [
        (datetime(1, 1, 1, 23, 59, 59, tzinfo=UTC), 24),
        (datetime(1, 1, 2, 0, 0, tzinfo=UTC), 25),
        (datetime(2024, 6, 20, tzinfo=UTC), 10**12),  # `briefbot brief --hours` beyond any timedelta
        (datetime(2024, 6, 20, tzinfo=UTC), 24 * 800_000),  # before year 1
    ],
)
def test_a_brief_window_that_leaves_the_calendar_is_out_of_range(service, as_of: datetime, hours: int) -> None:
    with pytest.raises(DateOutOfRangeError, match=r"^That date is out of range"):
        service.brief(as_of=as_of, window_hours=hours)


def test_the_last_day_of_the_calendar_briefs_an_empty_window(service) -> None:
    brief = service.brief(as_of=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC))
    assert brief.stories == () and window_start(brief.as_of, 24).isoformat() == "9999-12-30"


@pytest.mark.parametrize(
    ("question", "as_of"),
    [
        ("What happened this week?", datetime(9999, 12, 31, tzinfo=UTC)),  # the week ends in year 10000
        ("What happened in the past 999 years?", datetime(900, 1, 1, tzinfo=UTC)),
        ("What happened yesterday?", datetime(1, 1, 1, tzinfo=UTC)),
        ("Any news?", datetime(9999, 12, 31, tzinfo=UTC)),
    ],
)
def test_a_question_day_too_close_to_the_calendars_edge_is_out_of_range(
    service, question: str, as_of: datetime
) -> None:
    with pytest.raises(DateOutOfRangeError) as raised:
        service.ask(question, as_of=as_of)
    assert str(raised.value) == (
        f"That date is out of range. Use a day between {EARLIEST_QUESTION_DAY} and {LATEST_QUESTION_DAY}."
    )
