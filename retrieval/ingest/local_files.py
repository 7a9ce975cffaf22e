"""Which files a folder source holds, and what a failure to read one keeps in the index.

A folder is read without ever leaving it: a link (to a file or a folder) that resolves outside the
folder is refused, not followed. A failure that may be passing (missing, unreadable, empty) keeps the
articles indexed from that file or folder (`kept_source`; the indexer says how many in the failure's
reason); a refused link, or a single file given as a
folder source, keeps nothing, so whatever it once exposed is removed at the next index.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from retrieval.models import Failure

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSONL_SUFFIXES
NOT_FOUND = "not found"
EMPTY_FILE = "empty file"
EMPTY_FOLDER = "no article files in it"
LINK_OUTSIDE = "refused: a link to outside the folder"
NOT_A_FOLDER = "refused: a folder source must be a folder, not a single file"
REFUSED_REASONS = frozenset({LINK_OUTSIDE, NOT_A_FOLDER})
_JSONL_LINE = re.compile(r"^(?P<file>.+\.(?:jsonl|ndjson)):\d+$", re.IGNORECASE)


def folder_files(root: Path) -> tuple[list[Path], list[Failure]]:
    """Supported regular files under `root`, each once; links that lead out of it are refused."""
    base = root.resolve()
    found: dict[Path, Path] = {}  # real file -> the first path naming it
    failures: list[Failure] = []

    def unreadable(exc: OSError) -> None:
        failures.append(Failure(origin=str(exc.filename or root), reason=f"unreadable: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):  # never enters a linked folder
        here = Path(dirpath)
        linked = [here / name for name in dirnames if (here / name).is_symlink()]
        failures.extend(Failure(origin=str(p), reason=LINK_OUTSIDE) for p in linked if not _inside(p, base))
        for name in sorted(filenames):
            path = here / name
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            if not _inside(path, base):
                failures.append(Failure(origin=str(path), reason=LINK_OUTSIDE))
            elif path.is_file():  # a regular file (or a link to one inside); not a FIFO, device or dead link
                found.setdefault(path.resolve(), path)
    return sorted(found.values()), failures


def _inside(path: Path, base: Path) -> bool:
    return path.resolve().is_relative_to(base)


def kept_source(failure: Failure) -> str | None:
    """The file, folder, feed or page whose indexed articles a failure keeps; None for a refusal.

    A bad line of a JSONL file keeps the whole file: which stored article it held can't be known.
    """
    if failure.reason in REFUSED_REASONS:
        return None
    line = _JSONL_LINE.match(failure.origin)
    return line.group("file") if line else failure.origin
