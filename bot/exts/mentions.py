"""Questions by message: a mention asks; a reply to an answer, or a message in a follow-up thread, continues.

The bot has no Message Content intent. Discord still gives a bot the text of messages that mention
it, and a reply pings (mentions) the author of the replied-to message, so replies to the bot's own
messages are readable. Messages that neither mention nor reply to the bot arrive without text and
are ignored.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.render import messages as render
from bot.utils.answering import AskRequest
from bot.utils.conversations import (
    History,
    is_thread_started_by,
    rebuild_from_reply_chain,
    replied_message,
    thread_turns,
)
from bot.utils.limits import refusal
from bot.utils.targets import NO_MENTIONS, MessageTarget
from bot.utils.tenancy import tenants_for
from retrieval.models import Turn

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger(__name__)

UNREADABLE_REPLY = (
    "I can't read replies to slash-command answers (Discord hides their text from bots). "
    "Mention me in your reply, or ask in the answer's thread."
)
REFUSAL_SHOWN_SECONDS = 5.0  # a cooldown or budget notice in the channel deletes itself after this
EMPTY_MENTION = "Ask me a question after the mention, e.g. “@briefbot what did the US say?”."


class ConversationListener(commands.Cog):
    def __init__(self, bot: BriefBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.guild is None:
            return
        replied = await replied_message(message)
        reply_to_me = replied is not None and replied.author.id == me.id
        in_my_thread = is_thread_started_by(message.channel, me.id)
        mentioned = any(user.id == me.id for user in message.mentions)
        if not (mentioned or reply_to_me or in_my_thread):
            return
        if not await self._answers_in(message):
            return
        question = re.sub(rf"<@!?{me.id}>", "", message.content).strip()
        if not question:
            await self._explain_unreadable(message, mentioned=mentioned, reply_to_me=reply_to_me)
            return
        earlier = await self._earlier_turns(message, replied if reply_to_me else None, in_my_thread)
        await self._answer(message, question, earlier)

    async def _answer(self, message: discord.Message, question: str, earlier: tuple[Turn, ...]) -> None:
        refused = refusal(self.bot.budget, self.bot.cooldown, message.author.id)
        if refused:
            await message.reply(
                render.render_error(refused),
                mention_author=False,
                allowed_mentions=NO_MENTIONS,
                delete_after=max(self.bot.cooldown.seconds, REFUSAL_SHOWN_SECONDS),
            )
            return
        target = MessageTarget(message)
        try:
            await target.show(render.render_partial(""))
        except discord.HTTPException as exc:  # e.g. no Send Messages here: nothing we can say
            log.warning("cannot reply in channel %s: %s", message.channel.id, exc)
            return
        delivered = await self.bot.answerer.answer(
            question, History(earlier), target,
            request=AskRequest(message.author.id, tenants=tenants_for(message.guild.id if message.guild else None))
        )
        if delivered is None:
            return
        keys = [m.id for m in delivered.messages]
        if is_thread_started_by(message.channel, self.bot.user.id if self.bot.user else 0):
            keys.append(message.channel.id)
        self.bot.conversations.remember(keys, delivered.turns)

    async def _answers_in(self, message: discord.Message) -> bool:
        """The server's answer-channels setting: every channel, or a list (a thread follows its parent)."""
        assert message.guild is not None
        config = await asyncio.to_thread(self.bot.guild_store.get, message.guild.id)
        if config.answer_channel_ids is None:
            return True
        channel = message.channel
        channel_id = channel.parent_id if isinstance(channel, discord.Thread) else channel.id
        return channel_id in config.answer_channel_ids

    async def _earlier_turns(
        self, message: discord.Message, replied: discord.Message | None, in_my_thread: bool
    ) -> tuple[Turn, ...]:
        """From memory when we have it, else rebuilt from Discord (after a restart)."""
        me_id = self.bot.user.id if self.bot.user else 0
        remembered = self.bot.conversations.get(replied.id) if replied is not None else None
        if remembered is not None:
            return remembered
        if in_my_thread and isinstance(message.channel, discord.Thread):
            return await thread_turns(self.bot, message.channel)
        if replied is not None:
            return await rebuild_from_reply_chain(replied, me_id)
        return ()

    async def _explain_unreadable(self, message: discord.Message, *, mentioned: bool, reply_to_me: bool) -> None:
        """A ping without readable text: say what to do instead of ignoring the user."""
        if not mentioned:
            return  # a plain message in a follow-up thread: not for us
        text = UNREADABLE_REPLY if reply_to_me else EMPTY_MENTION
        try:
            await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.info("could not explain an unreadable message: %s", exc)



async def setup(bot: BriefBot) -> None:
    await bot.add_cog(ConversationListener(bot))
