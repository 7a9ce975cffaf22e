"""Posted brief stories on disk, so a story's buttons still work after the bot restarts.

One small JSON file per story key under `settings.data_dir / "briefs"`: the story (its article ids,
contradictions and citations) and the brief's sources it cites. Written atomically, read on click.
Files older than the retention period are deleted when a new brief is saved, so a daily brief does not
fill the disk; their buttons then say the brief is gone.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

from bot.render.brief import story_key
from retrieval.brief.models import Brief, BriefSource, Story
from retrieval.files import write_atomically
from retrieval.models import Frozen

KEY_PATTERN = re.compile(r"[0-9a-f]{16}")
SECONDS_PER_DAY = 86_400

log = logging.getLogger(__name__)


class StoredStory(Frozen):
    key: str
    story: Story
    sources: tuple[BriefSource, ...]


class BriefStore:
    def __init__(self, folder: Path, retention_days: int = 0) -> None:
        """`retention_days` 0 keeps every story forever."""
        self.folder = folder
        self.retention_days = retention_days

    def save(self, brief: Brief) -> list[str]:
        """Keep every story of the brief (and drop expired ones); returns their keys in story order."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.prune()
        keys = []
        for story in brief.stories:
            key = story_key(brief, story)
            cited = {c.n for c in story.citations()}
            own = story.sources or tuple(
                s for s in brief.sources if s.n in cited or s.article_id in story.article_ids)
            write_atomically(self._path(key), StoredStory(key=key, story=story, sources=own).model_dump_json())
            keys.append(key)
        return keys

    def load(self, key: str) -> StoredStory | None:
        """The stored story, or None for an unknown (or malformed) key."""
        if not KEY_PATTERN.fullmatch(key):
            return None
        path = self._path(key)
        if not path.is_file():
            return None
        return StoredStory.model_validate_json(path.read_text(encoding="utf-8"))

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

    def _path(self, key: str) -> Path:
        """A story's file name is only ever its hex key (a button's custom_id is user input)."""
        if not KEY_PATTERN.fullmatch(key):
            raise ValueError("a story key is 16 hex digits")
        return self.folder / f"{key}.json"
