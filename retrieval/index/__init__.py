"""Chunks, the embedder, the Chroma store and the incremental indexer."""
