"""A full rebuild killed with SIGKILL at any point leaves the live index complete and queryable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retrieval.store import ChromaStore
from tests.conftest import make_settings

QUESTION_VECTOR_TEXT = "Which harbour bought new cranes?"


def _write_corpus(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        sentences = " ".join(
            f"Harbour {n} bought {n + s} cranes in week {s}, the port authority said." for s in range(12)
        )
        (folder / f"2024-05-{n % 28 + 1:02d}-harbour-{n}.txt").write_text(sentences, encoding="utf-8")


def _cli(data_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BRIEFBOT_DATA_DIR": str(data_dir), "OPENAI_API_KEY": "", "OPENAI_BASE_URL": "",
           "CHROMA_HOST": ""}
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _snapshot(data_dir: Path, embeddings) -> tuple[str, int, list[str]]:
    store = ChromaStore.from_settings(make_settings(data_dir), embeddings)
    hits = store.query(embeddings.embed_query(QUESTION_VECTOR_TEXT), k=5)
    return store.active_generation(), store.count_chunks(), [c.id for c, _ in hits]


@pytest.mark.slow
@pytest.mark.parametrize("kill_after_seconds", [0.3, 2.5, 6.0])
def test_killed_rebuild_leaves_old_index_live(tmp_path: Path, embeddings, kill_after_seconds: float) -> None:
    corpus, data_dir = tmp_path / "corpus", tmp_path / "data"
    _write_corpus(corpus, 120)
    assert _cli(data_dir, "index", str(corpus)).wait(timeout=300) == 0
    before = _snapshot(data_dir, embeddings)

    rebuild = _cli(data_dir, "index", "--rebuild", str(corpus))
    time.sleep(kill_after_seconds)
    if rebuild.poll() is None:
        rebuild.send_signal(signal.SIGKILL)
    rebuild.wait(timeout=60)

    assert _snapshot(data_dir, embeddings) == before  # same generation, same chunks, same answers
    # The next rebuild cleans up (or supersedes) the staging left behind, then switches.
    assert _cli(data_dir, "index", "--rebuild", str(corpus)).wait(timeout=300) == 0
    generation, chunks, hits = _snapshot(data_dir, embeddings)
    assert generation != before[0] and chunks == before[1] and set(hits) == set(before[2])
    store = ChromaStore.from_settings(make_settings(data_dir), embeddings)
    assert set(store.list_generations()) == {before[0], generation}
