"""Article ids: an article is its source and its own id (or URL) together.

A feed, folder or page can therefore never replace, or remove, another source's article by reusing
its id or its link. Ids are deterministic (a hash), so re-indexing the same source is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

ARTICLE_ID_HEX_CHARS = 16  # 64 bits: no accidental collision in any realistic corpus


def article_id(source: str, native: str) -> str:
    """The stored id of the article `native` (its own id, URL or text key) from `source`."""
    key = json.dumps([source, native], ensure_ascii=False)  # unambiguous: (a, bc) and (ab, c) differ
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:ARTICLE_ID_HEX_CHARS]


def file_source(path: Path) -> str:
    """A file as a source: its absolute path, so `seeds/x.txt` and `/repo/seeds/x.txt` are one file."""
    return os.path.abspath(path)
