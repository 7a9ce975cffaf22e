"""Which index generation is live, and when an index run last ended: two small files in the index dir.

A pointer file names the live generation; a full rebuild writes a new generation and switches the
pointer atomically, so readers never see a half-built index. Both files are re-read on every call, so
another process's switch or finished run is seen (`ChromaStore.version`).
"""

from __future__ import annotations

import json
from pathlib import Path

from retrieval.files import write_atomically

POINTER_FILE = "ACTIVE_GENERATION"
FIRST_GENERATION = "briefbot_g1"
LAST_INDEXED_FILE = "last_indexed.json"


def live_generation(state_dir: Path) -> str:
    """The generation the pointer names (the first one when there is no pointer yet)."""
    try:
        name = (state_dir / POINTER_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        name = ""
    return name or FIRST_GENERATION


def point_to(state_dir: Path, generation: str) -> None:
    write_atomically(state_dir / POINTER_FILE, generation + "\n")


def last_run_stamp(state_dir: Path) -> int:
    """The last-indexed file's modification time in ns (0: no run yet): changes when a run ends."""
    stamp = state_dir / LAST_INDEXED_FILE
    return stamp.stat().st_mtime_ns if stamp.exists() else 0


def record_last_run(state_dir: Path, when_iso: str) -> None:
    write_atomically(state_dir / LAST_INDEXED_FILE, json.dumps({"last_indexed": when_iso}))


def last_run(state_dir: Path) -> str | None:
    """When the last index run ended (ISO), as recorded; None before the first."""
    try:
        data = json.loads((state_dir / LAST_INDEXED_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return str(data.get("last_indexed")) or None
