"""Issue 6, item 8 (clean exit): 50 chunks upserted by a process that then exits normally are all
found by a fresh `ChromaStore` on the same folder, with both `get()` and `query()`.

50 chunks stay far below Chroma's HNSW `sync_threshold` (1,000), so the vectors were never flushed
as an HNSW file by the writer: reopening must rebuild them from Chroma's write-ahead log. The writer
is a separate process so nothing is shared through Chroma's in-process client cache.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from retrieval.index.store import ChromaStore
from tests.conftest import REPO_ROOT, make_settings

CHUNKS = 50

WRITER = textwrap.dedent(f"""
    import sys
    from datetime import date
    from pathlib import Path

    from retrieval.index.embeddings import LocalMiniLMEmbeddings
    from retrieval.index.indexer import Indexer
    from retrieval.models import Article
    from retrieval.index.store import ChromaStore
    from tests.conftest import make_settings

    settings = make_settings(Path(sys.argv[1]))
    embeddings = LocalMiniLMEmbeddings()
    store = ChromaStore.from_settings(settings, embeddings)
    articles = [
        Article(id=f"dur{{n:02d}}", title=f"Ferry line {{n}}", published=date(2024, 3, 1 + n % 28),
                outlet="Wire", origin="durability",
                text=f"Ferry line {{n}} to island {{n * 7}} restarted after {{n}} weeks of repairs, the operator said.")
        for n in range({CHUNKS})
    ]
    report = Indexer(store, embeddings, settings.data_dir / "index.lock").index(articles)
    print(report.chunks_embedded, store.count_chunks())
""")


def test_clean_exit_after_50_upserts_then_reopen_finds_all_with_get_and_query(tmp_path: Path, embeddings) -> None:
    data_dir = tmp_path / "data"
    writer = subprocess.run([sys.executable, "-c", WRITER, str(data_dir)], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert writer.returncode == 0, writer.stderr[-2000:]
    assert writer.stdout.split() == [str(CHUNKS), str(CHUNKS)]

    reopened = ChromaStore.from_settings(make_settings(data_dir), embeddings)
    chunk_col, _ = reopened.collections()
    stored = chunk_col.get(include=["embeddings", "documents"])
    documents, vectors = stored["documents"] or [], stored["embeddings"]
    assert sorted(stored["ids"]) == sorted(f"dur{n:02d}:0" for n in range(CHUNKS))
    assert reopened.count_chunks() == CHUNKS and reopened.count_articles() == CHUNKS
    assert len(documents) == CHUNKS and all("restarted after" in doc for doc in documents)
    assert vectors is not None and len(vectors) == CHUNKS

    for chunk_id, vector in zip(stored["ids"], list(vectors), strict=True):
        [(top, similarity)] = reopened.query(list(vector), k=1)
        assert top.id == chunk_id and similarity > 0.99
    question = embeddings.embed_query("Which ferry line to island 203 restarted?")
    assert reopened.query(question, k=3)[0][0].article_id == "dur29"
