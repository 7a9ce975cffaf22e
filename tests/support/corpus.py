"""Small articles and folders for the index tests, and a service on a temp index with no seeds, so
what is indexed is exactly what a test wrote."""

from __future__ import annotations

from pathlib import Path

from langchain_core.embeddings import Embeddings

from retrieval.index.store import ChromaStore
from retrieval.search.hybrid import HybridSearcher
from retrieval.service import BriefbotService
from tests.conftest import make_settings

FERRY = "Ferry fares on the northern route rise by ten percent from Monday, the operator announced today."
DAM = "Inspectors found three hairline cracks in the spillway of the northern dam during a routine survey."
PORT = "The port reopened on Friday after a week of repairs to the breakwater damaged by the winter storm."
MINE = "The copper mine in the eastern hills will close in spring after ninety years, its owners said."
# SimCord's clock starts on 2026-01-01; an article of that day gives the daily brief a story.
TODAY_ARTICLE = """Title: Harbour city opens new flood barrier
Source: Coast Courier
URL: https://example.org/flood-barrier
Date: 2026-01-01

The harbour city opened its new flood barrier on Thursday after six years of construction.
Engineers said the barrier can hold back a storm surge of four metres. The mayor said the project
cost 310 million euros, and residents near the river welcomed the end of the building works.
"""
TODAY_FILE = "2026-01-01-flood-barrier"


def unseeded_service(tmp_path: Path, embeddings: Embeddings, **overrides: object) -> BriefbotService:
    """The real service on an embedded Chroma in `tmp_path`, with an empty seeds folder."""
    (tmp_path / "no-seeds").mkdir(exist_ok=True)
    settings = make_settings(tmp_path / "data", seeds_dir=tmp_path / "no-seeds", **overrides)
    store = ChromaStore.from_settings(settings, embeddings)
    return BriefbotService(settings, embeddings, store, HybridSearcher(store, embeddings))


def write_folder(root: Path, name: str, **files: str) -> Path:
    """A folder `root/name` holding one `.txt` article per keyword argument."""
    folder = root / name
    folder.mkdir()
    for file_name, text in files.items():
        (folder / f"{file_name}.txt").write_text(text, encoding="utf-8")
    return folder


def indexed_texts(service: BriefbotService) -> set[str]:
    return {a.text for a in service.articles()}
