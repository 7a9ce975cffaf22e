"""Where each index generation's lexical file lives, and the one-time build of a missing one.

An index made before the lexical index existed (a Chroma collection alone) is migrated on first
open: it is built once from the store into a temporary folder, then renamed into place, so a
crash mid-way leaves nothing half-built that would be taken for a whole one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from retrieval.index.lexical import FORMAT, LexicalStore
from retrieval.models import Chunk

log = logging.getLogger(__name__)

LEXICAL_DIR = "lexical"
BUILT_KEY = "built_from_store"
MIGRATION_BATCH_CHUNKS = 2000


class ChunkSource(Protocol):
    """What a migration reads from the store (`ChromaStore`)."""

    def iter_articles(self, generation: str | None = None) -> Iterator[dict[str, Any]]: ...

    def iter_chunks(self) -> Iterator[Chunk]: ...


class LexicalFiles:
    """`<index_dir>/lexical/<generation>/` (see `lexical`), opened once per process and generation."""

    def __init__(self, index_dir: Path) -> None:
        self.directory = index_dir / LEXICAL_DIR
        self._open: dict[str, LexicalStore] = {}
        self._lock = threading.Lock()

    def path(self, generation: str) -> Path:
        return self.directory / generation

    def exists(self, generation: str) -> bool:
        return self.path(generation).exists()

    def open(self, generation: str) -> LexicalStore:
        """This generation's file, created empty if missing (a new generation being built)."""
        with self._lock:
            if generation not in self._open:
                self._open[generation] = LexicalStore(self.path(generation))
            return self._open[generation]

    def live(self, store: ChunkSource, generation: str) -> LexicalStore:
        """The live generation's lexical index; built from the store first when the index predates
        it, or predates its current format."""
        if self.exists(generation) and self.open(generation).info("format") != FORMAT:
            log.warning("the lexical index of %s has an older format; rebuilding it from the store", generation)
            self.drop(generation)
        if not self.exists(generation):
            self.migrate(store, generation)
        return self.open(generation)

    def migrate(self, store: ChunkSource, generation: str) -> None:
        """Build the file from the store's live records and chunks, once (see the module docstring)."""
        records = list(store.iter_articles())
        if records:  # a brand-new data dir has nothing to migrate: say nothing misleading
            log.info("building the lexical index of %s from the store (once, for an index made before it)",
                     generation)
        staging = self.directory / f"{generation}.building-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        built = LexicalStore(staging)
        counts: dict[str, int] = {}
        batch: list[Chunk] = []
        for chunk in store.iter_chunks():
            counts[chunk.article_id] = counts.get(chunk.article_id, 0) + 1
            batch.append(chunk)
            if len(batch) >= MIGRATION_BATCH_CHUNKS:
                built.add_chunks(batch)
                batch = []
        built.add_chunks(batch)
        built.put_records(records, counts)
        built.flush()
        built.set_info(BUILT_KEY, "1")
        built.close()
        with contextlib.suppress(OSError):  # another process finished the same migration first: keep that
            os.rename(staging, self.path(generation))
        shutil.rmtree(staging, ignore_errors=True)

    def drop(self, generation: str) -> None:
        with self._lock:
            opened = self._open.pop(generation, None)
        if opened is not None:
            opened.close()
        shutil.rmtree(self.path(generation), ignore_errors=True)

    def flush(self) -> None:
        """Commit every open generation's buffered writes (an index run's end)."""
        with self._lock:
            opened = list(self._open.values())
        for lexical in opened:
            lexical.flush()
