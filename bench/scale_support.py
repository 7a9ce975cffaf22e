"""Helpers of bench/scale.py: an embedder with precomputed vectors, and a `chroma run` process."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.index.embeddings import LocalMiniLMEmbeddings

STARTUP_DEADLINE_SECONDS = 120.0


class BenchEmbeddings(Embeddings):
    """The real model's id and queries; documents get a hash-seeded unit vector (the store is measured,
    not the embedder), unless `real_documents` is set (a brief's clustering)."""

    real_documents = False

    @cached_property
    def real(self) -> LocalMiniLMEmbeddings:
        return LocalMiniLMEmbeddings()

    @property
    def model_id(self) -> str:
        return self.real.model_id

    @property
    def dimension(self) -> int:
        return self.real.dimension

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.real_documents:
            return self.real.embed_documents(texts)
        return [_hash_vector(text, self.dimension) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)


def _hash_vector(text: str, dimension: int) -> list[float]:
    seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    vector = np.random.default_rng(seed).standard_normal(dimension).astype(np.float32)
    return (vector / np.linalg.norm(vector)).tolist()


class ChromaProcess:
    """`with ChromaProcess(path) as (host, port, pid):` a Chroma server on 127.0.0.1, stopped after."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> tuple[str, int, int]:
        self.path.mkdir(parents=True, exist_ok=True)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        chroma = str(Path(sys.executable).with_name("chroma"))
        log = (self.path.parent / f"{self.path.name}.log").open("wb")
        self.process = subprocess.Popen([chroma, "run", "--path", str(self.path), "--host", "127.0.0.1",
                                         "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1.0).status_code == 200:
                    return "127.0.0.1", port, self.process.pid
            except httpx.HTTPError:
                time.sleep(0.5)
        raise RuntimeError("chroma run did not start in time")

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
