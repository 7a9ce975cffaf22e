"""A full rebuild killed with SIGKILL at any point leaves the live index complete and queryable.

Kill points are found by watching the rebuild's staging collection in Chroma's SQLite file (read-only):
before it exists, as soon as it exists (before any HNSW flush), and after enough rows for Chroma to
have flushed its HNSW index at least once (sync_threshold is 1,000 by default).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from retrieval.index.store import ChromaStore
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

QUESTION = "Which harbour bought new cranes in week 7?"
ARTICLES = 450
POLL_SECONDS = 0.05


def _write_corpus(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(ARTICLES):
        sentences = " ".join(
            f"Harbour {n} of port district {n % 17} bought {n + s} cranes in week {s}, the authority said."
            for s in range(36)
        )
        (folder / f"2024-05-{n % 28 + 1:02d}-harbour-{n}.txt").write_text(sentences, encoding="utf-8")


def _cli(data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BRIEFBOT_DATA_DIR": str(data_dir), "OPENAI_API_KEY": "", "OPENAI_BASE_URL": "",
           "CHROMA_HOST": ""}
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _rows(data_dir: Path, collection: str) -> int | None:
    """Rows Chroma has written for a collection, or None while it does not exist."""
    db = data_dir / "index" / "chroma" / "chroma.sqlite3"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
        found = con.execute("select id from collections where name = ?", (collection,)).fetchone()
        if found is None:
            return None
        queued = con.execute("select count(*) from embeddings_queue where topic like ?", (f"%{found[0]}%",))
        stored = con.execute(
            "select count(*) from embeddings e join segments s on e.segment_id = s.id where s.collection = ?",
            (found[0],),
        )
        return max(int(queued.fetchone()[0]), int(stored.fetchone()[0]))


SNAPSHOT_SCRIPT = """
import json, sys
from pathlib import Path
import numpy as np
from retrieval.index.embeddings import LocalMiniLMEmbeddings
from retrieval.settings import Settings
from retrieval.index.store import ChromaStore
embeddings = LocalMiniLMEmbeddings()
store = ChromaStore.from_settings(Settings(_env_file=None, data_dir=Path(sys.argv[1]), chroma_host=None), embeddings)
question = np.asarray(embeddings.embed_query(sys.argv[2]), dtype=np.float32)
stored = store.collections()[0].get(include=["embeddings"])
exact = sorted((np.asarray(stored["embeddings"], dtype=np.float32) @ question).tolist(), reverse=True)[:5]
hits = store.query(question.tolist(), k=5)
print(json.dumps([store.active_generation(), sorted(c.id for c in store.iter_chunks()), exact, len(hits)]))
"""


def _snapshot(data_dir: Path) -> tuple[str, list[str], list[float], int]:
    """(live generation, every chunk id, exact top-5 similarities over the stored vectors, hits a query
    returns), read by a fresh process as a restarted bot would. The stored vectors are compared, not
    the HNSW answer: this synthetic corpus is nearly all look-alike sentences, on which HNSW's
    approximate top-5 can differ between two opens of the very same files."""
    out = subprocess.run([sys.executable, "-c", SNAPSHOT_SCRIPT, str(data_dir), QUESTION],
                         check=True, capture_output=True, text=True, timeout=300).stdout
    generation, ids, scores, hits = json.loads(out)
    return generation, ids, [round(score, 4) for score in scores], hits


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("crash")
    corpus, data_dir = root / "corpus", root / "data"
    _write_corpus(corpus)
    assert _cli(data_dir, "index", str(corpus)).wait(timeout=900) == 0
    return corpus, data_dir


KillPoint = Callable[[Path], bool]
KILL_POINTS: dict[str, KillPoint] = {
    "before-staging": lambda data: True,
    "staging-created": lambda data: _rows(data, "briefbot_g2_chunks") is not None,
    "after-first-hnsw-flush": lambda data: (_rows(data, "briefbot_g2_chunks") or 0) > 1200,
}


@pytest.mark.parametrize("kill_point", list(KILL_POINTS))
def test_killed_rebuild_leaves_old_index_live(tmp_path: Path, indexed, embeddings, kill_point: str) -> None:
    corpus, original = indexed
    data_dir = tmp_path / "data"
    shutil.copytree(original, data_dir)
    before = _snapshot(data_dir)
    assert before[3] == 5

    rebuild = _cli(data_dir, "index", "--rebuild", str(corpus))
    reached = KILL_POINTS[kill_point]
    while not reached(data_dir):
        assert rebuild.poll() is None, f"the rebuild finished before the kill point {kill_point!r}"
        time.sleep(POLL_SECONDS)
    rebuild.send_signal(signal.SIGKILL)
    rebuild.wait(timeout=60)

    assert _snapshot(data_dir) == before  # same generation, same chunks, same answers
    # The next rebuild drops the staging left behind, then switches.
    assert _cli(data_dir, "index", "--rebuild", str(corpus)).wait(timeout=900) == 0
    generation, ids, scores, hits = _snapshot(data_dir)
    # The new generation holds exactly the same chunks, vectors (to rounding) and answers as well.
    assert generation != before[0] and ids == before[1]
    assert hits == 5 and scores == pytest.approx(before[2], abs=1e-3)
    store = ChromaStore.from_settings(make_settings(data_dir), embeddings)
    assert set(store.list_generations()) == {before[0], generation}
