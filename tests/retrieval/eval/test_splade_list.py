"""bench/splade_list.py: its safetensors reader, and a third list that changes nothing at weight 0 and
ranks by itself at weight 1, never past the question's date."""

from __future__ import annotations

import json
import struct
from datetime import date, datetime
from pathlib import Path

import numpy as np
from scipy import sparse

from retrieval.index.chunking import chunk_article
from retrieval.models import Article, Chunk
from retrieval.search.hybrid import HybridSearcher
from tests.support.fake_embeddings import FakeEmbeddings
from tests.system.test_loop_lag import load_bench

VOCABULARY = 8


def _chunks() -> list[Chunk]:
    days = [date(2024, 3, d) for d in (1, 2, 3, 4)]
    texts = ["Harbour council votes on the plan.", "Rail strike ends after talks.",
             "Harbour plan approved by the council.", "Storm closes the harbour."]
    return [c for i, (day, text) in enumerate(zip(days, texts, strict=True)) for c in chunk_article(
        Article(id=f"a{i}", title=f"Story {i}", url=f"https://example.org/{i}", published=day,
                outlet="example.org", text=text))]


class _FixedModel:
    """Every query weighs vocabulary id 0 alone; the documents' weight on it decides the sparse order."""

    def encode(self, text: str) -> dict[int, float]:
        return {0: 1.0}


def _searcher(weights_on_id0: list[float]) -> tuple[object, HybridSearcher]:
    splade_list, retrieval_eval = load_bench("splade_list"), load_bench("retrieval_eval")
    chunks = _chunks()
    embeddings = FakeEmbeddings()
    vectors = np.array(embeddings.embed_documents([c.text for c in chunks]), dtype=np.float32)
    store = retrieval_eval.ArrayStore(chunks, vectors)
    docs = sparse.csr_matrix((np.array(weights_on_id0, np.float32), ([0, 1, 2, 3], [0, 0, 0, 0])),
                             shape=(4, VOCABULARY))
    return splade_list.ThreeListSearcher(store, embeddings, _FixedModel(), docs), HybridSearcher(store, embeddings)


def test_at_weight_zero_the_third_list_leaves_the_shipped_ranking_as_it_is() -> None:
    three, shipped = _searcher([0.1, 0.9, 0.2, 0.5])
    three.sparse_weight = 0.0
    assert [h.chunk.id for h in three.search("harbour council plan", k=4)] == [
        h.chunk.id for h in shipped.search("harbour council plan", k=4)]


def test_at_weight_one_the_sparse_order_decides_and_nothing_after_as_of_is_returned() -> None:
    three, _ = _searcher([0.1, 0.9, 0.2, 0.5])
    three.sparse_weight = 1.0
    assert [h.chunk.article_id for h in three.search("anything", k=4)] == ["a1", "a3", "a2", "a0"]
    as_of = datetime(2024, 3, 3, 23, 59)
    assert [h.chunk.article_id for h in three.search("anything", k=4, as_of=as_of)] == ["a1", "a2", "a0"]


def test_the_safetensors_reader_returns_each_tensor_with_its_shape(tmp_path: Path) -> None:
    first, second = np.arange(6, dtype=np.float32).reshape(2, 3), np.array([7.5], dtype=np.float32)
    header = {"__metadata__": {}, "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
              "b": {"dtype": "F32", "shape": [1], "data_offsets": [24, 28]}}
    encoded = json.dumps(header).encode()
    path = tmp_path / "model.safetensors"
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + first.tobytes() + second.tobytes())

    tensors = load_bench("splade_list").read_safetensors(path)

    assert set(tensors) == {"a", "b"}
    assert np.array_equal(tensors["a"], first) and np.array_equal(tensors["b"], second)
