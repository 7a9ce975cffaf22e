"""Dates in answers and briefs are Discord timestamps: each reader sees their own calendar day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from bot.render.timestamps import discord_date


def test_a_publication_day_is_noon_utc_so_it_is_the_same_day_from_utc_minus_11_to_plus_11() -> None:
    shown = discord_date(date(2024, 6, 19))
    assert shown == "<t:1718798400:D>"
    instant = datetime.fromtimestamp(int(shown[3:-3]), UTC)
    for hours in range(-11, 12):
        assert instant.astimezone(timezone(timedelta(hours=hours))).date() == date(2024, 6, 19)

