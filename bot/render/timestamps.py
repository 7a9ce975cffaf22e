"""Dates as Discord timestamps (`<t:UNIX:D>`), so each reader sees them in their own time zone and language.

A publication date has no time of day; it is shown as noon UTC of that day, which falls on the same
calendar day everywhere from UTC−11 to UTC+11 (midnight would show the day before in the Americas).
"""

from __future__ import annotations

import datetime as dt

NOON_UTC = dt.time(12, 0, tzinfo=dt.UTC)


def discord_date(day: dt.date) -> str:
    """`<t:…:D>`: the day, written out in the reader's locale ("19 June 2024")."""
    return f"<t:{int(dt.datetime.combine(day, NOON_UTC).timestamp())}:D>"

