"""What a configured-sources run (`/reindex`, `briefbot index`, the refresh timer) may remove: articles
of configured sources that no longer hold them, and of sources an admin removed; never an article
indexed with `briefbot index PATH` that no configured source brought in. How an article came in is
kept on its record (`via`) and changes without re-embedding. Real Chroma in temp dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.index.records import VIA_CONFIGURED, VIA_PATH
from retrieval.ingest import configured_sources
from retrieval.service import BriefbotService
from tests.support.corpus import DAM, FERRY, MINE, PORT, indexed_texts, unseeded_service, write_folder


@pytest.fixture
def service(tmp_path: Path, embeddings) -> BriefbotService:
    return unseeded_service(tmp_path, embeddings)


def _via(service: BriefbotService) -> dict[str, str]:
    texts = {a.id: a.text for a in service.articles()}
    return {texts[str(r["id"])]: str(r.get("via")) for r in service.store.iter_articles()}


@pytest.mark.parametrize("with_a_configured_folder", [False, True])
def test_a_configured_run_never_removes_what_an_explicit_path_indexed(
    service: BriefbotService, tmp_path: Path, with_a_configured_folder: bool
) -> None:
    if with_a_configured_folder:
        configured_sources.add_source(service.settings, "folder", str(write_folder(tmp_path, "feeds", port=PORT)))
    manual = write_folder(tmp_path, "manual", ferry=FERRY, dam=DAM)
    assert service.index([manual]).added == 2

    for _ in range(2):  # /reindex, then the refresh timer: both index the configured sources
        report = service.index()
        assert report.removed == 0 and {FERRY, DAM} <= indexed_texts(service)
    assert _via(service)[FERRY] == VIA_PATH


def test_a_configured_run_removes_what_a_present_source_dropped_and_what_a_removed_source_held(
    service: BriefbotService, tmp_path: Path
) -> None:
    kept_folder = write_folder(tmp_path, "kept", port=PORT, dam=DAM)
    dropped_folder = write_folder(tmp_path, "dropped", mine=MINE)
    for folder in (kept_folder, dropped_folder):
        configured_sources.add_source(service.settings, "folder", str(folder))
    service.index([write_folder(tmp_path, "manual", ferry=FERRY)])
    service.index()
    (kept_folder / "dam.txt").unlink()
    configured_sources.remove_source(service.settings, "folder", str(dropped_folder))

    report = service.index()

    assert report.removed == 2 and indexed_texts(service) == {PORT, FERRY}


def test_a_path_article_a_configured_source_takes_over_is_not_embedded_again_and_goes_with_it(
    service: BriefbotService, tmp_path: Path
) -> None:
    shared = write_folder(tmp_path, "shared", port=PORT, mine=MINE)
    service.index([shared])
    configured_sources.add_source(service.settings, "folder", str(shared))

    taken_over = service.index()

    assert (taken_over.unchanged, taken_over.chunks_embedded) == (2, 0)
    assert _via(service) == {PORT: VIA_CONFIGURED, MINE: VIA_CONFIGURED}
    configured_sources.remove_source(service.settings, "folder", str(shared))
    assert service.index().removed == 2 and indexed_texts(service) == set()


def test_a_path_run_over_a_configured_folder_leaves_its_articles_that_sources(
    service: BriefbotService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    news = write_folder(tmp_path, "news", port=PORT, mine=MINE)
    configured_sources.add_source(service.settings, "folder", str(news))
    service.index()
    (news / "mine.txt").write_text(MINE + " Two hundred jobs go.", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    service.index([Path("news")])  # relative: another spelling of the same folder

    assert _via(service) == {PORT: VIA_CONFIGURED, MINE + " Two hundred jobs go.": VIA_CONFIGURED}
    news.rename(tmp_path / "unmounted")
    missing = service.index()  # the configured folder is missing: it keeps both, whatever touched them
    assert missing.removed == 0 and len(indexed_texts(service)) == 2
    configured_sources.remove_source(service.settings, "folder", str(news))
    assert service.index().removed == 2


def test_an_index_from_before_the_field_counts_as_configured(service: BriefbotService, tmp_path: Path) -> None:
    news = write_folder(tmp_path, "news", port=PORT, dam=DAM)
    configured_sources.add_source(service.settings, "folder", str(news))
    service.index()
    _, records = service.store.collections()
    records.update(ids=[a.id for a in service.articles()], metadatas=[{"via": None}, {"via": None}])
    assert all("via" not in r for r in service.store.iter_articles())
    (news / "dam.txt").unlink()

    report = service.index()

    assert (report.removed, report.chunks_embedded) == (1, 0) and indexed_texts(service) == {PORT}
    assert all("via" not in r for r in service.store.iter_articles())  # unchanged: not even rewritten


def test_an_explicit_path_run_still_removes_only_within_its_path(service: BriefbotService, tmp_path: Path) -> None:
    news = write_folder(tmp_path, "news", port=PORT)
    configured_sources.add_source(service.settings, "folder", str(news))
    service.index()
    manual = write_folder(tmp_path, "manual", ferry=FERRY, dam=DAM)
    service.index([manual])
    (manual / "dam.txt").unlink()
    (news / "port.txt").unlink()  # gone from a configured folder, but this run is only about `manual`

    report = service.index([manual])

    assert report.removed == 1 and indexed_texts(service) == {FERRY, PORT}
