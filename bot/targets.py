"""Where answers go: an interaction's original response (`/ask`) or a reply to a message (mentions).

Every send and edit passes `allowed_mentions=NO_MENTIONS` explicitly (the bot default is the same),
so model output or article text can never ping anyone. Deliveries that hit a Discord 5xx are
retried once; edits are idempotent and the retry of a followup only happens after Discord said no.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TypeVar

import discord

from bot.answering import DeliveryError
from bot.render import RenderedMessage

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
DELIVERY_RETRY_DELAY_SECONDS = 0.5
T = TypeVar("T")


async def with_retry(action: Callable[[], Awaitable[T]], what: str) -> T:
    """Run a delivery; on a Discord 5xx wait briefly and try once more, else raise `DeliveryError`."""
    try:
        return await action()
    except discord.HTTPException as exc:
        if exc.status < 500:
            raise DeliveryError(f"{what}: HTTP {exc.status} {exc.text}") from exc
        log.warning("%s failed with HTTP %s; retrying once", what, exc.status)
    await asyncio.sleep(DELIVERY_RETRY_DELAY_SECONDS)
    try:
        return await action()
    except discord.HTTPException as exc:
        raise DeliveryError(f"{what}: HTTP {exc.status} {exc.text} (after one retry)") from exc


class InteractionTarget:
    """The deferred response of a slash command; extra parts of a long answer become followups."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction

    async def show(self, content: str) -> None:
        await self.interaction.edit_original_response(content=content, allowed_mentions=NO_MENTIONS)

    async def deliver(self, messages: Sequence[RenderedMessage]) -> list[discord.Message]:
        sent: list[discord.Message] = []
        first, *rest = messages
        original = await with_retry(
            lambda: self.interaction.edit_original_response(
                content=first.content or None, embeds=first.embeds, allowed_mentions=NO_MENTIONS
            ),
            "editing the answer into the original response",
        )
        sent.append(original)
        for part in rest:
            sent.append(await with_retry(partial(self._followup, part), "sending an answer followup"))
        return sent

    async def _followup(self, part: RenderedMessage) -> discord.Message:
        return await self.interaction.followup.send(
            content=part.content or discord.utils.MISSING,
            embeds=part.embeds,
            allowed_mentions=NO_MENTIONS,
            wait=True,
        )

    async def fail(self, text: str) -> None:
        """Ephemeral when still possible; after a public defer the "thinking" message becomes the notice."""
        if not self.interaction.response.is_done():
            await self.interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await self.interaction.edit_original_response(content=text, embeds=[], allowed_mentions=NO_MENTIONS)


class MessageTarget:
    """A reply to the user's message: a placeholder first, edited as the answer streams and lands."""

    def __init__(self, message: discord.Message) -> None:
        self.message = message
        self.placeholder: discord.Message | None = None

    async def show(self, content: str) -> None:
        if self.placeholder is None:
            self.placeholder = await self.message.reply(content, mention_author=False, allowed_mentions=NO_MENTIONS)
        else:
            await self.placeholder.edit(content=content, allowed_mentions=NO_MENTIONS)

    async def deliver(self, messages: Sequence[RenderedMessage]) -> list[discord.Message]:
        first, *rest = messages
        placeholder = self.placeholder
        if placeholder is None:
            head = await with_retry(
                lambda: self.message.reply(
                    content=first.content or None,
                    embeds=first.embeds,
                    mention_author=False,
                    allowed_mentions=NO_MENTIONS,
                ),
                "replying with the answer",
            )
        else:
            head = await with_retry(
                lambda: placeholder.edit(
                    content=first.content or None, embeds=first.embeds, allowed_mentions=NO_MENTIONS
                ),
                "editing the answer into the placeholder",
            )
        sent = [head]
        for part in rest:
            sent.append(
                await with_retry(
                    partial(self._send_part, part),
                    "sending an answer part",
                )
            )
        return sent

    async def _send_part(self, part: RenderedMessage) -> discord.Message:
        return await self.message.channel.send(
            content=part.content or None, embeds=part.embeds, allowed_mentions=NO_MENTIONS
        )

    async def fail(self, text: str) -> None:
        await self.show(text)
