"""`/brief [topic] [date]` and the daily brief: one service call off the loop, pure rendering, then send.

The daily brief is a `discord.ext.tasks` loop at `settings.brief_time` (UTC), started only when
`settings.brief_channel_id` is set. A failed post (Discord 5xx, Missing Permissions, an engine error)
is logged and the loop simply waits for the next day: it never crashes or retries in a tight loop.
A server that set its own brief with /settings is posted by `_schedule` instead, at its local time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.exts.brief._schedule import BriefScheduler, Plan, role_ping, takes_over
from bot.exts.brief._views import StoryButton, story_view
from bot.render import messages as render
from bot.render.brief import BriefMessage, render_brief
from bot.utils.answering import Metering
from bot.utils.brief_store import BriefStore, brief_store_for
from bot.utils.interactions import send_ephemeral
from bot.utils.limits import refusal
from bot.utils.targets import NO_MENTIONS
from bot.utils.tenancy import tenants_for
from retrieval.brief.models import Brief
from retrieval.brief.topics import TopicFilter
from retrieval.errors import BriefbotError, DateOutOfRangeError
from retrieval.search.windows import window_out_of_range, window_start

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger(__name__)

MAX_TOPIC_CHARS = 100
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440
BAD_DATE_MESSAGE = "The date must look like 2024-06-19 (YYYY-MM-DD, UTC)."
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
END_OF_DAY = dt.time(23, 59, 59, tzinfo=dt.UTC)
BRIEF_WINDOW_HOURS = 24
OnQueued = Callable[[int], Awaitable[None]]


def brief_as_of(day: str | None, *, now: dt.datetime) -> dt.datetime:
    """`now` for today (or no date); the end of that UTC day for another date.

    ValueError if malformed; `DateOutOfRangeError` for a day whose window leaves the calendar
    (0000-…, or 0001-01-01, whose 24 hours before begin before year 1).
    """
    if not day:
        return now
    if not ISO_DAY.fullmatch(day.strip()):
        raise ValueError(f"not YYYY-MM-DD: {day!r}")
    if int(day.strip()[:4]) < dt.MINYEAR:
        raise window_out_of_range(BRIEF_WINDOW_HOURS)
    parsed = dt.date.fromisoformat(day.strip())
    as_of = now if parsed == now.date() else dt.datetime.combine(parsed, END_OF_DAY)
    window_start(as_of, BRIEF_WINDOW_HOURS)
    return as_of


def utc_time(at: dt.time) -> dt.time:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


class BriefCommands(commands.Cog):
    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot
        self.store: BriefStore = brief_store_for(bot.settings)
        self.daily_brief = tasks.loop(time=utc_time(bot.settings.brief_time))(self._daily_brief)
        self.daily_brief.before_loop(self._until_ready)
        self.schedule = BriefScheduler(bot, self.publish_brief)  # servers' own briefs, at their local time

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(StoryButton)  # story buttons of earlier processes keep working
        self.schedule.start()
        if self.bot.settings.brief_channel_id:
            self.daily_brief.start()

    async def cog_unload(self) -> None:
        self.daily_brief.cancel()
        self.schedule.stop()
        self.bot.remove_dynamic_items(StoryButton)

    def _build(self, as_of: dt.datetime, topic: str | None, metering: Metering,
               guild_id: int | None, topics: TopicFilter | None = None) -> Built:
        """Worker thread: the server's brief (its LLM calls charged to whoever asked), its stories stored
        for the buttons as that server's (None: a DM); for an empty brief, the newest day with articles."""
        tenants = tenants_for(guild_id)
        brief = self.bot.service.brief(
            as_of=as_of, topic=topic, window_hours=BRIEF_WINDOW_HOURS,
            on_usage=metering.on_usage, may_call=metering.may_call, tenants=tenants, topics=topics,
        )
        self.store.save(brief, guild_id=guild_id)
        return Built(brief, None if brief.stories else _newest_day(self.bot, tenants))

    async def _limited_build(
        self, user_id: int | None, as_of: dt.datetime, topic: str | None, on_queued: OnQueued,
        guild_id: int | None, topics: TopicFilter | None = None,
    ) -> Built:
        """Like every answer: in a concurrency slot, within the user's budget, their tokens metered."""
        return await self.bot.answerer.limited(
            user_id, on_queued,
            lambda metering: asyncio.to_thread(self._build, as_of, topic, metering, guild_id, topics),
        )

    # --- /brief ----------------------------------------------------------------------------
    @app_commands.command(name="brief", description="The news brief: stories, cited key points, disagreements.")
    @app_commands.describe(topic="Only stories about this", date="Day to brief, YYYY-MM-DD (UTC); default today")
    async def brief(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, MAX_TOPIC_CHARS] | None = None,
        date: str | None = None,
    ) -> None:
        try:
            as_of = brief_as_of(date, now=discord.utils.utcnow())
        except ValueError:
            await send_ephemeral(interaction, render.render_error(BAD_DATE_MESSAGE))
            return
        except DateOutOfRangeError as exc:
            await send_ephemeral(interaction, render.render_error(str(exc)))
            return
        refused = refusal(self.bot.budget, self.bot.cooldown, interaction.user.id)  # the same gate as /ask
        if refused:
            await send_ephemeral(interaction, render.render_error(refused))
            return
        await interaction.response.defer(thinking=True)

        async def show_queued(position: int) -> None:
            await interaction.edit_original_response(
                content=render.render_wait_notice(position), allowed_mentions=NO_MENTIONS
            )

        try:
            built = await self._limited_build(interaction.user.id, as_of, topic, show_queued,
                                              interaction.guild_id)
        except BriefbotError as exc:  # e.g. the budget was spent by work queued ahead of this brief
            await interaction.edit_original_response(
                content=render.render_error(str(exc)), embeds=[], allowed_mentions=NO_MENTIONS
            )
            return
        head, *rest = _rendered(built)
        posted = await interaction.edit_original_response(
            content=None, embeds=head.message.embeds, allowed_mentions=NO_MENTIONS
        )
        thread = await _thread_for(posted, built.brief) if rest else None
        if thread is not None:
            await _send_all(thread, rest)
            return
        for part in rest:  # no thread here (a DM, or no permission): the stories follow in the channel
            await interaction.followup.send(
                embeds=part.message.embeds, view=_view(part), allowed_mentions=NO_MENTIONS
            )

    # --- the daily brief -------------------------------------------------------------------
    async def _until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def _daily_brief(self) -> None:
        """One attempt a day; whatever fails is logged and tomorrow's run is untouched."""
        try:
            await self.post_daily_brief()
        except discord.HTTPException as exc:
            log.warning("daily brief not posted (HTTP %s, code %s: %s); next try tomorrow", exc.status, exc.code,
                        exc.text)
        except Exception:
            log.exception("daily brief failed; next try tomorrow")

    async def post_daily_brief(self) -> None:
        channel_id = self.bot.settings.brief_channel_id
        if channel_id is None:
            return
        channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            log.warning("brief channel %s is not a text channel; no daily brief", channel_id)
            return
        if await takes_over(self.bot, channel.guild.id):
            return  # the server set its own brief: the scheduler posts it
        await self.publish_brief(channel)

    async def publish_brief(self, channel: discord.TextChannel | discord.Thread, plan: Plan | None = None
                            ) -> discord.Message:
        """Build and post a daily brief (the server's articles, its topics, its brief role); returns the header."""
        built = await self._limited_build(None, discord.utils.utcnow(), None, _not_told,
                                          plan.guild_id if plan else channel.guild.id, plan.topics if plan else None)
        head, *rest = _rendered(built)
        content, mentions = role_ping(plan.role_id if plan else None)
        posted = await channel.send(content=content, embeds=head.message.embeds, allowed_mentions=mentions)
        where = (await _thread_for(posted, built.brief) if rest else None) or channel
        await _send_all(where, rest)
        return posted


class Built(NamedTuple):
    brief: Brief
    newest_day: dt.date | None  # set for an empty brief: the newest day that has articles


def _newest_day(bot: BriefBot, tenants: frozenset[str] | None = None) -> dt.date | None:
    """Worker thread: the publication day of the newest indexed article (None for an empty index)."""
    return next((a.published for a in bot.service.stats(tenants=tenants).newest if a.published), None)


def _rendered(built: Built) -> list[BriefMessage]:
    return render_brief(built.brief, today=discord.utils.utcnow().date(), newest_day=built.newest_day)


async def _thread_for(head: discord.Message, brief: Brief) -> discord.Thread | None:
    """The stories go in a thread under the header; None where the bot cannot open one (a DM, a thread,
    no permission), and they go in the channel instead."""
    if not isinstance(head.channel, discord.TextChannel):
        return None
    try:
        return await head.create_thread(
            name=f"Brief {brief.as_of.date().isoformat()}", auto_archive_duration=THREAD_ARCHIVE_MINUTES
        )
    except discord.HTTPException as exc:
        log.info("could not open a thread for the brief (%s); posting in the channel", exc)
        return None


async def _send_all(where: discord.abc.Messageable, parts: Sequence[BriefMessage]) -> None:
    for part in parts:
        await where.send(embeds=part.message.embeds, view=_view(part), allowed_mentions=NO_MENTIONS)


async def _not_told(position: int) -> None:
    """The daily brief queues silently behind answers being written."""


def _view(part: BriefMessage) -> discord.ui.View:
    return story_view(part.story_key, disputed=part.disputed) if part.story_key else discord.utils.MISSING


__all__ = ["BAD_DATE_MESSAGE", "BriefCommands", "brief_as_of"]
