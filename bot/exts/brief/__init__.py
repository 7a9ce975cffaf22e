"""`/brief`, the daily brief and the persistent story buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.brief._cog import BriefCommands

if TYPE_CHECKING:
    from bot.app import BriefBot


async def setup(bot: BriefBot) -> None:
    await bot.add_cog(BriefCommands(bot))  # registers the persistent story buttons too
