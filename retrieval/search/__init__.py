"""Hybrid retrieval (dense + BM25) and time expressions in questions."""
