"""One scheduler for every server's daily brief, each at its own local time.

A `discord.ext.tasks` loop wakes at the next due instant (at least every `MAX_SLEEP_SECONDS`, to see
settings changed meanwhile). For each server this process serves whose brief is due, it first claims
(server, local day) in the store: the claim's primary key makes a second post impossible, after a
restart or from another shard. A brief missed while the bot was down is still posted when it comes
back within `brief_catch_up_hours`. A channel that is gone or not writable is logged, recorded for
the admins' next /settings, and not retried that day (so never in a tight loop).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import discord
from discord.ext import tasks

from bot.store import GuildConfig
from bot.utils.targets import NO_MENTIONS
from retrieval.brief.topics import TopicFilter

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger(__name__)

MAX_SLEEP_SECONDS = 300.0
MIN_SLEEP_SECONDS = 1.0
GONE_PROBLEM = ("The daily brief could not be posted on {day}: its channel is gone. "
                "Pick one with /settings brief-channel.")
FORBIDDEN_PROBLEM = ("The daily brief could not be posted on {day}: I can't send messages with embeds in "
                     "<#{channel}>. Give me those permissions there, or pick another channel.")


@dataclass(frozen=True)
class Plan:
    """When and where one server's brief goes."""

    guild_id: int
    channel_id: int
    at: dt.time
    zone: ZoneInfo
    role_id: int | None = None
    topics: TopicFilter | None = None
    since: dt.datetime | None = None  # no brief is due from before the settings were made

    def due(self, day: dt.date) -> dt.datetime:
        """The UTC instant of `day`'s brief (local wall time; a time skipped by DST moves forward)."""
        return dt.datetime.combine(day, self.at, tzinfo=self.zone).astimezone(dt.UTC)

    def latest_due(self, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
        """The local day and instant of the newest brief due at or before `now`."""
        today = now.astimezone(self.zone).date()
        day = today if self.due(today) <= now else today - dt.timedelta(days=1)
        return day, self.due(day)

    def next_due(self, now: dt.datetime) -> dt.datetime:
        day, _ = self.latest_due(now)
        return self.due(day + dt.timedelta(days=1))


def plan_for(config: GuildConfig, default_channel_id: int | None, default_time: dt.time) -> Plan | None:
    """The server's plan when it set anything about its brief; `.env` fills what it did not set."""
    channel_id = config.brief_channel_id or default_channel_id
    if not config.sets_brief or channel_id is None:
        return None
    try:
        zone = ZoneInfo(config.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    topics = TopicFilter(include=config.topics_include, exclude=config.topics_exclude)
    return Plan(config.guild_id, channel_id, config.brief_time or default_time.replace(tzinfo=None), zone,
                config.brief_role_id, None if topics.is_empty else topics, config.updated_at)


Publish = Callable[[discord.TextChannel | discord.Thread, Plan], Awaitable[discord.Message]]


class BriefScheduler:
    def __init__(self, bot: BriefBot, publish: Publish) -> None:
        self.bot = bot
        self.publish = publish
        self.loop = tasks.loop(seconds=MIN_SLEEP_SECONDS)(self._tick)
        self.loop.before_loop(self.bot.wait_until_ready)

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.cancel()

    def default_channel_for(self, guild_id: int) -> int | None:
        """`.env`'s brief channel, when this server holds it."""
        channel_id = self.bot.settings.brief_channel_id
        channel = self.bot.get_channel(channel_id) if channel_id else None
        guild = getattr(channel, "guild", None)
        return channel_id if guild is not None and guild.id == guild_id else None

    def plans(self, configs: list[GuildConfig]) -> list[Plan]:
        """Plans of the servers this process serves (each shard posts its own servers' briefs)."""
        found = []
        for config in configs:
            if self.bot.get_guild(config.guild_id) is None:
                continue
            plan = plan_for(config, self.default_channel_for(config.guild_id), self.bot.settings.brief_time)
            if plan is not None:
                found.append(plan)
        return found

    async def _tick(self) -> None:
        try:
            await self._run()
        except Exception:  # e.g. the database is unreachable: the loop lives on, and tries again later
            log.exception("the brief scheduler's round failed; trying again in %s s", MAX_SLEEP_SECONDS)
            self.loop.change_interval(seconds=MAX_SLEEP_SECONDS)

    async def _run(self) -> None:
        now = discord.utils.utcnow()
        plans = self.plans(await asyncio.to_thread(self.bot.guild_store.all_guilds))
        for plan in plans:
            await self._post_if_due(plan, now)
        wake = min((p.next_due(now) for p in plans), default=now + dt.timedelta(seconds=MAX_SLEEP_SECONDS))
        seconds = (wake - discord.utils.utcnow()).total_seconds()
        self.loop.change_interval(seconds=min(MAX_SLEEP_SECONDS, max(MIN_SLEEP_SECONDS, seconds)))

    async def _post_if_due(self, plan: Plan, now: dt.datetime) -> None:
        day, due = plan.latest_due(now)
        catch_up = dt.timedelta(hours=self.bot.settings.brief_catch_up_hours)
        if now - due > catch_up or (plan.since is not None and due < plan.since):
            return
        store = self.bot.guild_store
        if not await asyncio.to_thread(store.claim_brief, plan.guild_id, day, due, plan.channel_id):
            return  # posted already (or being posted by another process)
        outcome, message_id, problem = await self._deliver(plan, day)
        await asyncio.to_thread(store.finish_brief, plan.guild_id, day, outcome, message_id, problem)

    async def _deliver(self, plan: Plan, day: dt.date) -> tuple[str, int | None, str | None]:
        """(outcome, header message id, problem for the admins)."""
        channel = await self._channel(plan.channel_id)
        if channel is None:
            log.warning("daily brief of guild %s not posted: channel %s is gone", plan.guild_id, plan.channel_id)
            return "failed", None, GONE_PROBLEM.format(day=day.isoformat())
        me = channel.guild.me
        allowed = channel.permissions_for(me) if me is not None else discord.Permissions.none()
        if not (allowed.send_messages and allowed.embed_links):
            log.warning("daily brief of guild %s not posted: no permission in %s", plan.guild_id, channel.id)
            return "failed", None, FORBIDDEN_PROBLEM.format(day=day.isoformat(), channel=channel.id)
        try:
            posted = await self.publish(channel, plan)
        except discord.Forbidden:
            log.warning("daily brief of guild %s refused in channel %s", plan.guild_id, channel.id)
            return "failed", None, FORBIDDEN_PROBLEM.format(day=day.isoformat(), channel=channel.id)
        except discord.NotFound:
            return "failed", None, GONE_PROBLEM.format(day=day.isoformat())
        except Exception:  # Discord 5xx, an engine error: logged, tomorrow's brief is untouched
            log.exception("daily brief of guild %s failed; next try tomorrow", plan.guild_id)
            return "failed", None, None
        return "posted", posted.id, None

    async def _channel(self, channel_id: int) -> discord.TextChannel | discord.Thread | None:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden):
                return None
        return channel if isinstance(channel, discord.TextChannel | discord.Thread) else None


def role_ping(role_id: int | None) -> tuple[str | None, discord.AllowedMentions]:
    """The daily brief's header content and mentions: the server's brief role, and nothing else. This is
    the only mention the bot ever makes; without a role, none."""
    if role_id is None:
        return None, NO_MENTIONS
    allowed = discord.AllowedMentions(everyone=False, users=False, replied_user=False,
                                      roles=[discord.Object(id=role_id)])
    return f"<@&{role_id}>", allowed


async def takes_over(bot: BriefBot, guild_id: int) -> bool:
    """Whether the server set its own brief, so the scheduler posts it and `.env`'s loop does not."""
    return (await asyncio.to_thread(bot.guild_store.get, guild_id)).sets_brief
