"""Time expressions in a question ("this week", "yesterday", "in March") as a date window.

Only questions that name a time get one; everything else is searched without any recency bias
(on real news a blanket recency prior lowers recall: answers often sit in older articles).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

Window = tuple[date, date]

_MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH_PATTERN = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMBER_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "few": 3, "couple of": 2}
_COUNT = r"(?P<count>\d{1,3}|a|one|two|three|four|five|six|seven|eight|nine|ten|few|couple of)"


def _month_window(year: int, month: int) -> Window:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _last_n(today: date, unit: str, n: int) -> Window:
    days = {"day": 1, "week": 7, "month": 30, "year": 365}[unit]
    return today - timedelta(days=days * n), today


def _named_month(match: re.Match[str], today: date) -> Window:
    month = _MONTHS[match["month"].lower()]
    # "in March" means the latest March that is not in the future.
    year = int(match["year"]) if match["year"] else today.year - (month > today.month)
    start, end = _month_window(year, month)
    return (start, today) if match[0].lower().startswith("since") else (start, end)


def _relative_unit(match: re.Match[str], today: date) -> Window:
    which, unit = match["which"].lower(), match["unit"].lower()
    shift = 0 if which == "this" else -1
    if unit == "week":
        start = _week_start(today) + timedelta(weeks=shift)
        return start, min(start + timedelta(days=6), today)
    if unit == "month":
        month_index = today.year * 12 + today.month - 1 + shift
        start, end = _month_window(month_index // 12, month_index % 12 + 1)
        return start, min(end, today)
    start, end = date(today.year + shift, 1, 1), date(today.year + shift, 12, 31)
    return start, min(end, today)


def _past_count(match: re.Match[str], today: date) -> Window:
    raw = match["count"].lower()
    n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
    return _last_n(today, match["unit"].lower().rstrip("s"), n)


_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str], date], Window]]] = [
    (re.compile(r"\b(today|tonight|this morning|this afternoon|this evening)\b", re.I),
     lambda m, today: (today, today)),
    (re.compile(r"\byesterday\b", re.I), lambda m, today: (today - timedelta(days=1), today)),
    (re.compile(r"\b(?:past|last) " + _COUNT + r" (?P<unit>days?|weeks?|months?|years?)\b", re.I), _past_count),
    (re.compile(r"\b(?P<which>this|last|past) (?P<unit>week|month|year)\b", re.I), _relative_unit),
    (re.compile(r"\b(?:in|during|since|from|of|on) (?:early |mid-?|late )?(?P<month>" + _MONTH_PATTERN
                + r")\.?(?:,? (?P<year>(?:19|20)\d\d))?\b", re.I), _named_month),
    (re.compile(r"\b(?:in|during|of) (?P<year>(?:19|20)\d\d)\b", re.I),
     lambda m, today: (date(int(m["year"]), 1, 1), date(int(m["year"]), 12, 31))),
]


def find_time_window(question: str, as_of: datetime | date | None = None) -> Window | None:
    """The (first, last) day a question asks about, relative to `as_of`; None when it names no time."""
    today = (as_of.date() if isinstance(as_of, datetime) else as_of) or date.today()
    for pattern, window in _RULES:
        match = pattern.search(question)
        if match:
            start, end = window(match, today)
            return (min(start, end), max(start, end))
    return None
