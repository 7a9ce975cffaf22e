"""A deterministic fake embedder for pure unit tests, in the manner of langchain-chroma's tests.

The same text always gives the same vector (a hash-seeded random unit vector), different texts give
unrelated ones, and nothing is loaded: for tests of numbering, claims and rendering, where what is
checked does not depend on meaning. Anything that tests retrieval quality or the store uses the real model.
"""

from __future__ import annotations

import numpy as np
from langchain_core.embeddings import DeterministicFakeEmbedding

FAKE_DIMENSION = 64


class FakeEmbeddings(DeterministicFakeEmbedding):
    """`DeterministicFakeEmbedding` with the `model_id` and `dimension` every briefbot embedder has."""

    model_id: str = "fake-deterministic-64"

    def __init__(self) -> None:
        super().__init__(size=FAKE_DIMENSION)

    @property
    def dimension(self) -> int:
        return self.size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [_unit(vector) for vector in super().embed_documents(texts)]

    def embed_query(self, text: str) -> list[float]:
        return _unit(super().embed_query(text))


def _unit(vector: list[float]) -> list[float]:
    """Unit length, as the real embedder's vectors are (cosine is then a dot product)."""
    array = np.asarray(vector, dtype=np.float64)
    return (array / np.linalg.norm(array)).tolist()
