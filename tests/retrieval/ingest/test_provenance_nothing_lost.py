"""Nothing indexed is lost by accident: a path that is missing, unreadable or empty keeps its articles,
with a warning saying so; an article goes only when its source is present and no longer holds it, or
when the source is removed. Real Chroma in a temp dir."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from retrieval.ingest import configured_sources
from retrieval.ingest.loaders import load_path
from retrieval.ingest.local_files import LINK_OUTSIDE, NOT_A_FOLDER
from retrieval.service import BriefbotService
from tests.support.corpus import DAM, FERRY, PORT, indexed_texts, unseeded_service

SECRET = "DISCORD_TOKEN=MTIzNDU2Nzg5MDEyMzQ1Njc4.canary-lost.Zm9v\nOPENAI_API_KEY=sk-canary-lost-0123456789\n"


@pytest.fixture
def service(tmp_path: Path, embeddings) -> BriefbotService:
    return unseeded_service(tmp_path, embeddings)


@pytest.fixture
def news(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "ferry.txt").write_text(FERRY, encoding="utf-8")
    (folder / "dam.md").write_text(DAM, encoding="utf-8")
    (folder / "more.jsonl").write_text(json.dumps({"id": "p1", "text": PORT}) + "\n", encoding="utf-8")
    return folder


def _warning(report, origin: Path) -> str:
    (failure,) = [f for f in report.failures if f.origin == str(origin)]
    return failure.reason


def test_a_folder_moved_away_keeps_its_articles_and_says_so(service: BriefbotService, news: Path) -> None:
    service.index([news])
    news.rename(news.with_name("elsewhere"))

    report = service.index([news])

    assert report.removed == 0 and indexed_texts(service) == {FERRY, DAM, PORT}
    assert _warning(report, news) == "not found; kept its 3 articles indexed before"


@pytest.mark.parametrize("name", ["ferry.txt", "more.jsonl"])
def test_a_file_truncated_to_zero_bytes_keeps_its_article(service: BriefbotService, news: Path, name: str) -> None:
    service.index([news])
    (news / name).write_bytes(b"")

    for report in (service.index([news]), service.index([news / name])):  # the folder, or the file alone
        assert report.removed == 0 and indexed_texts(service) == {FERRY, DAM, PORT}
        assert _warning(report, news / name) == "empty file; kept its 1 article indexed before"


def test_an_unreadable_file_keeps_its_article(
    service: BriefbotService, news: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.index([news])
    real_read = Path.read_bytes

    def read_bytes(path: Path) -> bytes:  # EACCES, as for a file the bot's user may no longer read
        if path.name == "dam.md":
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    report = service.index([news])
    assert report.removed == 0 and indexed_texts(service) == {FERRY, DAM, PORT}
    assert _warning(report, news / "dam.md") == "unreadable: Permission denied; kept its 1 article indexed before"


def test_an_emptied_folder_and_a_broken_jsonl_line_keep_their_articles(service: BriefbotService, news: Path) -> None:
    service.index([news])
    (news / "more.jsonl").write_text('{"id": "p1", "text": "cut off mid-wr\n', encoding="utf-8")
    broken = service.index([news])
    assert broken.removed == 0 and PORT in indexed_texts(service)
    assert "kept its 1 article" in _warning(broken, Path(f"{news / 'more.jsonl'}:1"))

    for child in news.iterdir():  # e.g. a mount point whose disk is not mounted: the folder looks empty
        child.unlink()
    empty = service.index([news])
    assert empty.removed == 0 and indexed_texts(service) == {FERRY, DAM, PORT}
    assert _warning(empty, news) == "no article files in it; kept its 3 articles indexed before"


def test_a_file_deleted_from_a_present_folder_is_removed(service: BriefbotService, news: Path) -> None:
    service.index([news])
    (news / "dam.md").unlink()
    report = service.index([news])
    assert report.removed == 1 and report.failures == () and indexed_texts(service) == {FERRY, PORT}


def test_removing_a_configured_source_removes_its_articles_at_the_next_index(
    service: BriefbotService, news: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "port.txt").write_text(PORT + " Extra.", encoding="utf-8")
    for folder in (news, other):
        configured_sources.add_source(service.settings, "folder", str(folder))
    service.index()
    assert PORT + " Extra." in indexed_texts(service)

    configured_sources.remove_source(service.settings, "folder", str(other))
    report = service.index()

    assert report.removed == 1 and indexed_texts(service) == {FERRY, DAM, PORT}


def test_a_configured_folder_that_is_a_file_is_refused_and_keeps_nothing(
    service: BriefbotService, tmp_path: Path
) -> None:
    env = tmp_path / "app" / ".env"
    env.parent.mkdir()
    env.write_text(SECRET, encoding="utf-8")
    assert service.index([env]).added == 1  # the command line may index one file it is given
    service.store.delete_articles([a.id for a in service.articles()])
    service.indexer.index(load_path(env)[0])  # as a configured run did, before a folder had to be one
    assert any("canary-lost" in t for t in indexed_texts(service))
    with pytest.raises(configured_sources.SourceError, match="not a folder"):
        configured_sources.add_source(service.settings, "folder", str(env))
    service.settings.sources_file.write_text(f"folders = [{json.dumps(str(env))}]\n", encoding="utf-8")

    report = service.index()

    assert [(f.origin, f.reason) for f in report.failures] == [(str(env), NOT_A_FOLDER)]
    assert report.removed == 1 and not any("canary-lost" in t for t in indexed_texts(service))


@pytest.mark.parametrize("link", ["file", "folder"])
def test_a_link_out_of_the_folder_is_refused_and_what_it_exposed_is_removed(
    service: BriefbotService, news: Path, tmp_path: Path, link: str
) -> None:
    outside = tmp_path / "host"
    outside.mkdir()
    (outside / "secrets.txt").write_text(SECRET, encoding="utf-8")
    shutil.copy(outside / "secrets.txt", news / "leak.txt")  # indexed once (say, before this rule)
    service.index([news])
    (news / "leak.txt").unlink()
    if link == "file":
        (news / "leak.txt").symlink_to(outside / "secrets.txt")
    else:
        (news / "leak.txt").mkdir()
        (news / "leak.txt" / "inner").symlink_to(outside, target_is_directory=True)
    (news / "inside.txt").symlink_to(news / "ferry.txt")  # a link within the folder is fine (read once)

    report = service.index([news])

    assert not any("canary-lost" in t for t in indexed_texts(service)) and indexed_texts(service) == {FERRY, DAM, PORT}
    assert [f.reason for f in report.failures] == [LINK_OUTSIDE] and report.removed == 1
