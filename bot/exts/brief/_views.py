"""A story's buttons (Sources, Disagreements, Ask) and the Ask modal; persistent across restarts.

The buttons are `DynamicItem`s: their custom_id `brief:{kind}:{story_key}` is all a click needs, and
the story itself (article ids, sides, sources) is read back from the `BriefStore`. Registered once with
`bot.add_dynamic_items`, they work on messages posted before the bot last restarted.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.render import messages as render
from bot.render.brief import render_story_disagreements, render_story_sources
from bot.render.safe import safe_line
from bot.render.text_split import truncate
from bot.utils.answering import GENERIC_APOLOGY, AskRequest
from bot.utils.brief_store import StoredStory, brief_store_for
from bot.utils.conversations import History
from bot.utils.interactions import send_ephemeral
from bot.utils.limits import refusal
from bot.utils.targets import InteractionTarget
from bot.utils.tenancy import tenants_for, visible_to
from retrieval.errors import BriefbotError

if TYPE_CHECKING:
    from bot.app import BriefBot

log = logging.getLogger(__name__)

MAX_STORY_QUESTION_CHARS = 500
MODAL_TITLE_CHARS = 45  # Discord's limit for a modal title
STORY_ONLY_NOTE = "Answered from this story's articles only."
GONE_MESSAGE = "This brief is no longer stored, so its buttons can't answer. Run /brief for a fresh one."
BUTTONS: dict[str, tuple[str, str]] = {  # kind: (label, emoji)
    "sources": ("Sources", "📰"),
    "disagreements": ("Disagreements", "⚖️"),
    "ask": ("Ask", "❓"),
}


def story_view(key: str, *, disputed: bool = True) -> discord.ui.View:
    """The story's buttons (Disagreements only when the story has one); no timeout, so they outlive the
    process via their custom_ids."""
    view = discord.ui.View(timeout=None)
    for kind in BUTTONS:
        if kind != "disagreements" or disputed:
            view.add_item(StoryButton(kind, key))
    return view


class StoryButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"brief:(?P<kind>sources|disagreements|ask):(?P<key>[0-9a-f]{16})",
):
    def __init__(self, kind: str, key: str) -> None:
        label, emoji = BUTTONS[kind]
        super().__init__(
            discord.ui.Button(
                label=label, emoji=emoji, style=discord.ButtonStyle.secondary, custom_id=f"brief:{kind}:{key}"
            )
        )
        self.kind = kind
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> StoryButton:
        return cls(match["kind"], match["key"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: BriefBot = interaction.client  # type: ignore[assignment]
        stored = await asyncio.to_thread(brief_store_for(bot.settings).load, self.key)
        # Its articles decide, not who posted it: a key two servers share is the same global brief.
        if stored is not None and not visible_to(stored.story.article_ids, interaction.guild_id):
            stored = None  # another server's story: as if it did not exist
        if stored is None:
            await send_ephemeral(interaction, render.render_error(GONE_MESSAGE))
        elif self.kind == "ask":
            await interaction.response.send_modal(AskStoryModal(stored))
        elif self.kind == "sources":
            await send_ephemeral(interaction, render_story_sources(stored.story, stored.sources))
        else:
            await send_ephemeral(interaction, render_story_disagreements(stored.story, stored.sources))


class AskStoryModal(discord.ui.Modal):
    """A question answered from this story's articles only."""

    question: discord.ui.TextInput[AskStoryModal] = discord.ui.TextInput(
        label="Your question about this story",
        style=discord.TextStyle.paragraph,
        max_length=MAX_STORY_QUESTION_CHARS,
        custom_id="question",
    )

    def __init__(self, stored: StoredStory) -> None:
        title = truncate(f"Ask: {safe_line(stored.story.headline, limit=MODAL_TITLE_CHARS * 2)}", MODAL_TITLE_CHARS)
        super().__init__(title=title, custom_id=f"brief:askmodal:{stored.key}")
        self.stored = stored

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """The same gate and pipeline as `/ask`: budget, cooldown, concurrency slot and deadline."""
        bot: BriefBot = interaction.client  # type: ignore[assignment]
        refused = refusal(bot.budget, bot.cooldown, interaction.user.id)
        if refused:
            await send_ephemeral(interaction, render.render_error(refused))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        request = AskRequest(interaction.user.id, tuple(self.stored.story.article_ids), (STORY_ONLY_NOTE,),
                             tenants=tenants_for(interaction.guild_id))
        await bot.answerer.answer(
            self.question.value, History(()), InteractionTarget(interaction, ephemeral=True), request=request
        )

    async def on_error(  # type: ignore[override]  # discord.py's View and Modal signatures differ
        self, interaction: discord.Interaction, error: Exception, /
    ) -> None:
        if isinstance(error, BriefbotError):
            text = str(error)
        else:
            log.error("answering a story question failed", exc_info=error)
            text = GENERIC_APOLOGY
        await send_ephemeral(interaction, render.render_error(text))
