"""Sentence vectors of the offline answer, cached: popular chunks come back often and are not re-embedded."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from langchain_core.embeddings import Embeddings

SENTENCE_CACHE_ENTRIES = 20_000  # ~30 MB of 384-dim float32 vectors; the same chunks come back often


class SentenceVectors:
    """A bounded, thread-safe cache of sentence vectors per embedder: popular chunks are not re-embedded."""

    def __init__(self, max_entries: int) -> None:
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def embed(self, embeddings: Embeddings, sentences: list[str]) -> np.ndarray:
        model = str(getattr(embeddings, "model_id", type(embeddings).__qualname__))
        with self._lock:
            known = {s: self._vectors[(model, s)] for s in sentences if (model, s) in self._vectors}
            for sentence in known:
                self._vectors.move_to_end((model, sentence))
        missing = [s for s in dict.fromkeys(sentences) if s not in known]
        if missing:  # one batch, outside the lock
            fresh = embeddings.embed_documents(missing)
            known |= {s: np.asarray(v, dtype=np.float32) for s, v in zip(missing, fresh, strict=True)}
            with self._lock:
                self._vectors.update(((model, s), known[s]) for s in missing)
                while len(self._vectors) > self._max_entries:
                    self._vectors.popitem(last=False)
        return np.stack([known[s] for s in sentences])


SENTENCE_VECTORS = SentenceVectors(SENTENCE_CACHE_ENTRIES)
