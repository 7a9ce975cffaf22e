"""Posted brief stories on disk, so a story's buttons still work after the bot restarts.

One small JSON file per story key under `settings.data_dir / "briefs"`: the story (its article ids,
contradictions and citations), the brief's sources it cites, and which servers posted it. Written
atomically, read on click. Files older than the retention period are deleted when a new brief is saved,
so a daily brief does not fill the disk; their buttons then say the brief is gone. When the bot leaves a
server, the server is taken off each story it posted, and a story no one holds any more is deleted.
Changes to a file take a file lock beside the folder (several bot processes share one data dir).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock
from pydantic import model_validator

from bot.render.brief import story_key
from retrieval.brief.models import Brief, BriefSource, Story
from retrieval.files import write_atomically
from retrieval.ingest.tenants import tenant_of_article_id
from retrieval.models import Frozen, guild_tenant

if TYPE_CHECKING:
    from bot.settings import BotSettings

BRIEFS_FOLDER = "briefs"
KEY_PATTERN = re.compile(r"[0-9a-f]{16}")
SECONDS_PER_DAY = 86_400

log = logging.getLogger(__name__)


class StoredStory(Frozen):
    key: str
    story: Story
    sources: tuple[BriefSource, ...]
    guild_ids: tuple[int, ...] = ()  # the servers that posted it (one key can be two servers' brief)
    outside_servers: bool = False  # posted in a DM, or before servers were recorded: no leave removes it

    @model_validator(mode="before")
    @classmethod
    def _unrecorded(cls, data: Any) -> Any:
        """A file from before servers were recorded: who posted it is unknown, so it is kept on a leave
        (unless it cites the leaving server's own articles) and goes with the retention."""
        if isinstance(data, dict) and "guild_ids" not in data:
            return {**data, "outside_servers": True}
        return data

    def cites_guild(self, guild_id: int) -> bool:
        """Whether the story holds that server's own articles (then no other server could ever see it)."""
        return any(tenant_of_article_id(i) == guild_tenant(guild_id) for i in self.story.article_ids)


class BriefStore:
    def __init__(self, folder: Path, retention_days: int = 0) -> None:
        """`retention_days` 0 keeps every story forever."""
        self.folder = folder
        self.retention_days = retention_days
        self._lock = FileLock(folder.with_suffix(".lock"))

    def save(self, brief: Brief, *, guild_id: int | None) -> list[str]:
        """Keep every story of the brief for the server posting it (None: a DM), and drop expired ones;
        returns their keys in story order. A story another server posted too is kept for both."""
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = []
        with self._lock:
            self.prune()
            for story in brief.stories:
                fresh = StoredStory(key=story_key(brief, story), story=story, sources=_cited(brief, story),
                                    guild_ids=() if guild_id is None else (guild_id,),
                                    outside_servers=guild_id is None)
                write_atomically(self._path(fresh.key), self._merged(fresh).model_dump_json())
                keys.append(fresh.key)
        return keys

    def load(self, key: str) -> StoredStory | None:
        """The stored story, or None for an unknown (or malformed) key."""
        if not KEY_PATTERN.fullmatch(key):
            return None
        return self._read(self._path(key))

    def forget_guild(self, guild_id: int) -> int:
        """The bot left a server: it is taken off every story it posted, and a story no one holds any
        more (or one citing that server's own articles) is deleted; returns how many files went. Another
        server's stories are never touched. Each file keeps its age, so the retention still counts."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        with self._lock:
            for path, stored in self._stories():
                if stored.cites_guild(guild_id):
                    removed += _unlink(path)
                elif guild_id in stored.guild_ids:
                    removed += self._drop_holder(path, stored, guild_id)
        return removed

    def prune(self, now: float | None = None) -> int:
        """Delete stories not written for `retention_days`; returns how many went."""
        if self.retention_days <= 0 or not self.folder.is_dir():
            return 0
        cutoff = (time.time() if now is None else now) - self.retention_days * SECONDS_PER_DAY
        removed = 0
        for path in self.folder.glob("*.json"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another brief pruned it first
                continue
        if removed:
            log.info("Removed %d brief stories older than %d days", removed, self.retention_days)
        return removed

    def _merged(self, fresh: StoredStory) -> StoredStory:
        """The story as just written, still held by whoever held its key before."""
        old = self._read(self._path(fresh.key))
        if old is None:
            return fresh
        return fresh.model_copy(update={"guild_ids": tuple(sorted({*old.guild_ids, *fresh.guild_ids})),
                                        "outside_servers": old.outside_servers or fresh.outside_servers})

    def _drop_holder(self, path: Path, stored: StoredStory, guild_id: int) -> int:
        """Takes the server off the story: 1 when that deleted the file, else 0."""
        rest = tuple(g for g in stored.guild_ids if g != guild_id)
        if not rest and not stored.outside_servers:
            return _unlink(path)
        written = path.stat()
        write_atomically(path, stored.model_copy(update={"guild_ids": rest}).model_dump_json())
        os.utime(path, ns=(written.st_atime_ns, written.st_mtime_ns))
        return 0

    def _stories(self) -> Iterator[tuple[Path, StoredStory]]:
        """Every readable story file; an unreadable one is logged and left alone."""
        for path in sorted(self.folder.glob("*.json")):
            try:
                stored = self._read(path)
            except ValueError:
                log.warning("brief story %s is unreadable; left as it is", path.name)
                continue
            if stored is not None:
                yield path, stored

    def _read(self, path: Path) -> StoredStory | None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        return StoredStory.model_validate_json(text)

    def _path(self, key: str) -> Path:
        """A story's file name is only ever its hex key (a button's custom_id is user input)."""
        if not KEY_PATTERN.fullmatch(key):
            raise ValueError("a story key is 16 hex digits")
        return self.folder / f"{key}.json"


def brief_store_for(settings: BotSettings) -> BriefStore:
    """The brief store of the bot's data dir: the one the cog saves to, clicks read and a leave tidies."""
    return BriefStore(settings.data_dir / BRIEFS_FOLDER, settings.brief_retention_days)


def _cited(brief: Brief, story: Story) -> tuple[BriefSource, ...]:
    """The story's own sources, or the brief's sources it cites."""
    cited = {c.n for c in story.citations()}
    return story.sources or tuple(s for s in brief.sources if s.n in cited or s.article_id in story.article_ids)


def _unlink(path: Path) -> int:
    try:
        path.unlink()
    except FileNotFoundError:  # the retention took it meanwhile
        return 0
    return 1
