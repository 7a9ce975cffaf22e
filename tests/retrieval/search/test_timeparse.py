"""Time windows are found only where a question names a time, relative to `as_of`."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from retrieval.search.timeparse import find_time_window

AS_OF = datetime(2024, 3, 14, 18, 30)  # a Thursday


@pytest.mark.parametrize(
    ("question", "window"),
    [
        ("What did the council decide this week?", (date(2024, 3, 11), date(2024, 3, 14))),
        ("Who resigned yesterday?", (date(2024, 3, 13), date(2024, 3, 14))),
        ("What happened today in Paris?", (date(2024, 3, 14), date(2024, 3, 14))),
        ("What did the Fed do last week?", (date(2024, 3, 4), date(2024, 3, 10))),
        ("Which bill passed last month?", (date(2024, 2, 1), date(2024, 2, 29))),
        ("What happened in March?", (date(2024, 3, 1), date(2024, 3, 31))),
        ("Who won the vote in November?", (date(2023, 11, 1), date(2023, 11, 30))),  # the latest past November
        ("What changed in Sept. 2022?", (date(2022, 9, 1), date(2022, 9, 30))),
        ("Who won the election in 2023?", (date(2023, 1, 1), date(2023, 12, 31))),
        ("What happened over the past two weeks?", (date(2024, 2, 29), date(2024, 3, 14))),
        ("What has the team done this year?", (date(2024, 1, 1), date(2024, 3, 14))),
    ],
)
def test_time_expressions_become_windows_relative_to_as_of(question: str, window: tuple[date, date]) -> None:
    assert find_time_window(question, AS_OF) == window


@pytest.mark.parametrize(
    "question",
    ["Who is the CEO of the harbour authority?", "Which team won the may day parade trophy?", "What is 2023 in hex?"],
)
def test_questions_without_a_time_get_no_window(question: str) -> None:
    assert find_time_window(question, AS_OF) is None


def test_window_follows_as_of() -> None:
    assert find_time_window("Who spoke this week?", date(2024, 12, 6)) == (date(2024, 12, 2), date(2024, 12, 6))
