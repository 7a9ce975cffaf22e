"""Conversation memory: which earlier turns a follow-up continues, kept in memory by message and thread id.

A follow-up is a reply to one of the bot's answers or a message in a thread the bot started from an
answer. After a restart the memory is empty, so turns are rebuilt from the reply chain: every answer
embed carries its question as title and its text as description.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.render import messages as render
from retrieval.models import Turn

if TYPE_CHECKING:
    from bot.app import BriefBot

MAX_HISTORY_TURNS = 6  # turns sent to the service; older ones are trimmed (and the user is told)
MAX_STORED_TURNS = 50  # per conversation, so memory stays bounded however long a thread gets
MAX_REMEMBERED_MESSAGES = 5000  # bounded memory: the oldest conversations are forgotten first
MAX_REPLY_CHAIN_HOPS = 12
MAX_THREAD_MESSAGES_READ = 100  # how far back a reply chain is followed when rebuilding after a restart


@dataclass(frozen=True)
class History:
    """A conversation so far; only the last `keep` turns go to the service (the rest are trimmed)."""

    all_turns: tuple[Turn, ...] = ()
    keep: int = MAX_HISTORY_TURNS

    @property
    def turns(self) -> tuple[Turn, ...]:
        return self.all_turns[-self.keep :] if self.keep > 0 else ()

    @property
    def dropped(self) -> int:
        return len(self.all_turns) - len(self.turns)


class ConversationStore:
    """Turns so far, keyed by the id of each answer message and of each conversation thread."""

    def __init__(self, capacity: int = MAX_REMEMBERED_MESSAGES) -> None:
        self._turns: OrderedDict[int, tuple[Turn, ...]] = OrderedDict()
        self._capacity = capacity

    def get(self, key: int) -> tuple[Turn, ...] | None:
        turns = self._turns.get(key)
        if turns is not None:
            self._turns.move_to_end(key)
        return turns

    def remember(self, keys: Sequence[int], turns: Sequence[Turn]) -> None:
        for key in keys:
            self._turns[key] = tuple(turns)[-MAX_STORED_TURNS:]
            self._turns.move_to_end(key)
        while len(self._turns) > self._capacity:
            self._turns.popitem(last=False)

    def is_conversation(self, key: int) -> bool:
        return key in self._turns


def turn_from_answer_message(message: discord.Message) -> Turn | None:
    """Read back one turn from an answer the bot posted (question = title, answer = description).

    Only a footer that says the model wrote it makes the text the model's own turn; anything else
    (an extractive answer, a footer in a later message) is treated as quoted source text.
    """
    if not message.embeds:
        return None
    first = message.embeds[0]
    if not first.title or not first.description:
        return None
    footers = [line for embed in message.embeds for line in (embed.footer.text or "").split("\n")]
    mode = "llm" if render.LLM_ANSWER_FOOTER in footers else "extractive"
    return Turn(question=first.title, answer=first.description, mode=mode)


async def rebuild_from_reply_chain(message: discord.Message, bot_user_id: int) -> tuple[Turn, ...]:
    """Walk replies backwards from `message` (the bot's answer) and collect the bot's earlier turns."""
    turns: list[Turn] = []
    current: discord.Message | None = message
    for _ in range(MAX_REPLY_CHAIN_HOPS):
        if current is None:
            break
        if current.author.id == bot_user_id:
            turn = turn_from_answer_message(current)
            if turn is not None:
                turns.append(turn)
        current = await replied_message(current)
    turns.reverse()
    return tuple(turns)


async def replied_message(message: discord.Message) -> discord.Message | None:
    """The message this one replies to: resolved by Discord, cached, or fetched; None if it is gone."""
    reference = message.reference
    if reference is None or reference.message_id is None:
        return None
    if isinstance(reference.resolved, discord.Message):
        return reference.resolved
    if reference.cached_message is not None:
        return reference.cached_message
    try:
        return await message.channel.fetch_message(reference.message_id)
    except discord.HTTPException:
        return None


async def rebuild_thread(thread: discord.Thread, bot_user_id: int) -> tuple[Turn, ...]:
    """Turns of a thread the bot started from an answer: the starter answer, then its answers inside."""
    turns: list[Turn] = []
    parent = thread.parent
    if isinstance(parent, discord.TextChannel):
        try:  # a thread started from a message shares that message's id
            starter = await parent.fetch_message(thread.id)
        except discord.HTTPException:
            starter = None
        if starter is not None and starter.author.id == bot_user_id:
            turn = turn_from_answer_message(starter)
            if turn is not None:
                turns.append(turn)
    try:
        async for message in thread.history(limit=MAX_THREAD_MESSAGES_READ, oldest_first=True):
            if message.author.id == bot_user_id:
                turn = turn_from_answer_message(message)
                if turn is not None:
                    turns.append(turn)
    except discord.HTTPException:
        pass
    return tuple(turns)


async def thread_turns(bot: BriefBot, thread: discord.Thread) -> tuple[Turn, ...]:
    """The conversation of a follow-up thread, from memory or rebuilt from the thread itself."""
    remembered = bot.conversations.get(thread.id)
    if remembered is not None:
        return remembered
    return await rebuild_thread(thread, bot.user.id if bot.user else 0)


def is_my_thread(channel: object, bot: BriefBot) -> bool:
    return bot.user is not None and is_thread_started_by(channel, bot.user.id)


def is_thread_started_by(channel: object, bot_user_id: int) -> bool:
    return isinstance(channel, discord.Thread) and channel.owner_id == bot_user_id
