"""Where answers go: an interaction's original response (`/ask`) or a reply to a message (mentions).

Every send and edit passes `allowed_mentions=NO_MENTIONS` explicitly (the bot default is the same),
so model output or article text can never ping anyone. Deliveries that hit a Discord 5xx (or 429) are
retried once; edits are idempotent and the retry of a followup only happens after Discord said no.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TypeVar

import discord

from bot.errors import DeliveryError
from bot.render.messages import RenderedMessage

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
DELIVERY_RETRY_DELAY_SECONDS = 0.5
MAX_RATE_LIMIT_RETRIES = 3  # discord.py already waits out most 429s; these are the ones that escape
MAX_RETRY_AFTER_SECONDS = 10.0
INTERACTION_TOKEN_SECONDS = 15 * 60  # Discord: an interaction's token works for 15 minutes
DELIVERY_MARGIN_SECONDS = 60.0  # an interaction answer stops this long before expiry, to still say so
T = TypeVar("T")


async def with_retry(action: Callable[[], Awaitable[T]], what: str) -> T:
    """Run a delivery; retry a Discord 5xx once and a 429 a few times, else raise `DeliveryError`.

    Both mean Discord did not take the message, so a retried followup cannot post it twice.
    """
    server_retries, rate_limited = 1, 0
    while True:
        try:
            return await action()
        except discord.HTTPException as exc:
            if exc.status == 429 and rate_limited < MAX_RATE_LIMIT_RETRIES:
                rate_limited += 1
                log.warning("%s was rate limited (HTTP 429); retry %d of %d", what, rate_limited,
                            MAX_RATE_LIMIT_RETRIES)
                delay = _retry_after_seconds(exc) or DELIVERY_RETRY_DELAY_SECONDS * rate_limited
            elif exc.status >= 500 and server_retries:
                server_retries -= 1
                log.warning("%s failed with HTTP %s; retrying once", what, exc.status)
                delay = DELIVERY_RETRY_DELAY_SECONDS
            else:
                raise DeliveryError(f"{what}: HTTP {exc.status} {exc.text}") from exc
        await asyncio.sleep(delay)


def _retry_after_seconds(exc: discord.HTTPException) -> float:
    """Discord's Retry-After header when the response has one (capped), else 0."""
    headers = getattr(exc.response, "headers", None) or {}
    try:
        return min(float(headers.get("Retry-After", 0)), MAX_RETRY_AFTER_SECONDS)
    except (TypeError, ValueError):
        return 0.0


class InteractionTarget:
    """The deferred response of a slash command or modal; extra parts of a long answer become followups.

    Nothing is sent once the interaction token has expired: Discord would refuse it, and a late
    answer is better dropped (and logged) than retried.
    """

    def __init__(self, interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
        self.interaction = interaction
        self.ephemeral = ephemeral
        self.expires_at = interaction.created_at + dt.timedelta(seconds=INTERACTION_TOKEN_SECONDS)

    def seconds_left(self) -> float:
        return (self.expires_at - discord.utils.utcnow()).total_seconds() - DELIVERY_MARGIN_SECONDS

    def expired(self) -> bool:
        return discord.utils.utcnow() >= self.expires_at

    async def show(self, content: str) -> None:
        if self.expired():
            log.debug("interaction token expired; preview not shown")
            return
        await self.interaction.edit_original_response(content=content, allowed_mentions=NO_MENTIONS)

    async def deliver(self, messages: Sequence[RenderedMessage]) -> list[discord.Message]:
        if self.expired():
            raise DeliveryError("the interaction token expired before the answer was ready")
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
            ephemeral=self.ephemeral,
            wait=True,
        )

    async def fail(self, text: str) -> None:
        """Ephemeral when still possible; after a public defer the "thinking" message becomes the notice."""
        if self.expired():
            log.warning("interaction token expired; the user could not be told: %s", text)
            return
        if not self.interaction.response.is_done():
            await self.interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        await self.interaction.edit_original_response(content=text, embeds=[], allowed_mentions=NO_MENTIONS)


class MessageTarget:
    """A reply to the user's message: a placeholder first, edited as the answer streams and lands."""

    def __init__(self, message: discord.Message) -> None:
        self.message = message
        self.placeholder: discord.Message | None = None

    def seconds_left(self) -> float:
        return float("inf")  # channel messages have no token to expire

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
