"""BM25 is fitted in a child process for big corpora (so the bot's event loop keeps its GIL), with the
same scores as fitting in-process, and falls back to in-process when no child can run."""

from __future__ import annotations

import logging
import sys
from datetime import date

import numpy as np
import pytest

from retrieval.index import bm25_fit
from retrieval.index.chunking import chunk_article
from retrieval.models import Article
from retrieval.search.hybrid import LexicalIndex

QUESTION = "Which harbour in Hollis bought cranes?"


def _chunks() -> list:
    articles = [
        Article(id=f"a{n}", title=f"Harbour {n}", url=None, published=date(2024, 5, 1 + n % 28), outlet="x",
                text=f"The Hollis harbour {n} bought {n} cranes. Officials in district {n % 7} approved dredging.")
        for n in range(60)
    ]
    return [c for a in articles for c in chunk_article(a)]


def test_a_child_process_fit_scores_exactly_like_an_in_process_fit() -> None:
    chunks = _chunks()
    here = LexicalIndex.build(chunks, child_min_chunks=10**9)
    child = LexicalIndex.build(chunks, child_min_chunks=1)
    assert np.allclose(here.scores(QUESTION), child.scores(QUESTION))
    assert child.scores(QUESTION).max() > 0
    assert child.chunks == here.chunks


def test_the_fit_falls_back_to_this_process_when_no_child_can_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with caplog.at_level(logging.WARNING, logger="retrieval.index.bm25_fit"):
        index = LexicalIndex.build(_chunks(), child_min_chunks=1)
    assert index.scores(QUESTION).max() > 0
    assert "fitting in this process" in caplog.text


def test_an_empty_corpus_fits_to_no_model_in_a_child_too() -> None:
    assert bm25_fit.fit_bm25_in_child([]) is None
