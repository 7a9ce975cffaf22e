"""Server mode (CHROMA_HOST set) against a real `chroma run` on 127.0.0.1."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from retrieval.index.chroma_client import client_from_settings
from retrieval.index.store import ChromaStore
from retrieval.ingest.loaders import load_path
from retrieval.models import Article
from retrieval.search.hybrid import HybridSearcher
from retrieval.service import BriefbotService
from tests.conftest import SEEDS_DIR, make_settings
from tests.support.chroma_server import chroma_server  # noqa: F401 - fixture

pytestmark = pytest.mark.chroma_server


def _service(tmp_path: Path, chroma_server, embeddings) -> BriefbotService:  # noqa: F811
    host, port = chroma_server
    settings = make_settings(tmp_path / "data", chroma_host=host, chroma_port=port)
    store = ChromaStore.from_settings(settings, embeddings)
    return BriefbotService(settings, embeddings, store, HybridSearcher(store, embeddings))


def test_settings_with_chroma_host_build_an_http_client(tmp_path: Path, chroma_server) -> None:  # noqa: F811
    host, port = chroma_server
    client = client_from_settings(make_settings(tmp_path / "data", chroma_host=host, chroma_port=port))
    assert client.heartbeat() > 0
    assert not (tmp_path / "data" / "index" / "chroma").exists()  # nothing embedded on local disk


def test_incremental_index_swap_and_answer_against_server(tmp_path: Path, chroma_server, embeddings) -> None:  # noqa: F811
    service = _service(tmp_path, chroma_server, embeddings)
    first = service.index([SEEDS_DIR])
    assert first.added == 1
    assert service.index([SEEDS_DIR]).chunks_embedded == 0  # unchanged: no embedding

    extra = Article(id="srv-extra", title="Vietnam visit", published=date(2024, 6, 20), outlet="wire",
                    text="After North Korea, Putin travelled to Hanoi, where he met Vietnam's leaders.",
                    origin="extra")
    before = service.store.active_generation()
    seeds, _ = load_path(SEEDS_DIR)
    report = service.indexer.index([*seeds, extra], rebuild=True)
    assert report.added == 2 and service.store.active_generation() != before

    answer = service.ask("Where did Putin travel after North Korea?")
    assert not answer.refused
    assert any(c.article_id == "srv-extra" for c in answer.citations)
