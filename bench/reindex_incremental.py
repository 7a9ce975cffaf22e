"""Incremental re-indexing on real news: unchanged articles cost nothing, changed ones only their chunks.

1. Index the first N articles of DIR/articles.jsonl into a fresh data dir (timed: the full index).
2. Re-index the same, unchanged articles (timed): prints its fraction of the full index time.
3. Change the text of 10 articles and re-index: prints the chunks embedded, which must equal the
   chunks of those 10 articles, and checks that no article has stale or duplicate chunks.

    python bench/reindex_incremental.py --data ../shared/eval/realtimeqa-dev [--limit N]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from retrieval.index.chunking import chunk_article
from retrieval.index.embeddings import LocalMiniLMEmbeddings
from retrieval.index.indexer import Indexer
from retrieval.index.store import ChromaStore
from retrieval.ingest.loaders import load_path
from retrieval.models import Article
from retrieval.settings import Settings

CHANGED_ARTICLES = 10


def timed_index(indexer: Indexer, articles: list[Article]) -> tuple[float, int]:
    started = time.perf_counter()
    report = indexer.index(articles, remove_scope=lambda origin: True)
    return time.perf_counter() - started, report.chunks_embedded


def changed(articles: list[Article]) -> list[Article]:
    """The same corpus with the first CHANGED_ARTICLES articles edited (a correction appended)."""
    edits = [a.model_copy(update={"text": a.text + "\n\nCorrection: an earlier version misstated a date."})
             for a in articles[:CHANGED_ARTICLES]]
    return edits + articles[CHANGED_ARTICLES:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    articles, _ = load_path(args.data / "articles.jsonl")
    articles = articles[: args.limit] if args.limit else articles
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), chroma_host=None)  # type: ignore[call-arg]
        embeddings = LocalMiniLMEmbeddings()
        embeddings.embed_query("warm up")  # model load is not indexing time
        store = ChromaStore.from_settings(settings, embeddings)
        indexer = Indexer(store, embeddings, settings.data_dir / "index.lock")
        full_seconds, _ = timed_index(indexer, articles)
        unchanged_seconds, unchanged_embedded = timed_index(indexer, articles)
        edited = changed(articles)
        _, changed_embedded = timed_index(indexer, edited)
        expected = sum(len(chunk_article(a)) for a in edited[:CHANGED_ARTICLES])
        per_article = Counter(c.article_id for c in store.iter_chunks())
        stale = sum(1 for a in edited if per_article[a.id] != len(chunk_article(a)))
    print(json.dumps({
        "articles": len(articles), "chunks": sum(per_article.values()),
        "full_index_seconds": round(full_seconds, 2),
        "reindex_unchanged_seconds": round(unchanged_seconds, 3),
        "reindex_unchanged_fraction": round(unchanged_seconds / full_seconds, 5),
        "reindex_unchanged_chunks_embedded": unchanged_embedded,
        "changed_articles": CHANGED_ARTICLES,
        "changed_chunks_embedded": changed_embedded,
        "changed_articles_chunks": expected,
        "articles_with_stale_or_missing_chunks": stale,
    }, indent=2))


if __name__ == "__main__":
    main()
