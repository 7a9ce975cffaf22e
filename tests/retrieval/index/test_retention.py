"""Retention: BRIEFBOT_ARTICLE_RETENTION_DAYS expires old articles at each index run, and
`briefbot prune --before DATE` does it once; chunks, lexical entries and records go together."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from retrieval.models import Article
from retrieval.service import BriefbotService
from tests.support.corpus import unseeded_service

TODAY = datetime.now(UTC).date()


def news(aid: str, published: date | None, word: str) -> Article:
    return Article(id=aid, title=f"{word} news", text=f"The {word} story: the {word} council voted again.",
                   published=published, outlet="a.example", url=f"https://a.example/{aid}")


def everywhere(service: BriefbotService, word: str) -> tuple[bool, bool, bool]:
    """Is an article about `word` in Chroma's chunks, in the lexical index, in the records?"""
    in_chroma = any(word in c.text for c in service.store.iter_chunks())
    in_lexical = bool(service.store.lexical().search(word, depth=5))
    in_records = any(word in str(r.get("title")) for r in service.store.iter_articles())
    return in_chroma, in_lexical, in_records


ARTICLES = [news("old", TODAY - timedelta(days=40), "walrus"), news("new", TODAY - timedelta(days=2), "otter"),
            news("undated", None, "heron")]


def test_an_index_run_expires_articles_past_the_retention(tmp_path: Path, fake_embeddings) -> None:
    for name in ("all", "month"):
        (tmp_path / name).mkdir()
    keeping = unseeded_service(tmp_path / "all", fake_embeddings)
    keeping.indexer.index(ARTICLES)
    assert everywhere(keeping, "walrus") == (True, True, True)  # the default keeps everything

    service = unseeded_service(tmp_path / "month", fake_embeddings, article_retention_days=30)
    service.indexer.index(ARTICLES[1:])
    service.indexer.index(ARTICLES)  # the feed still carries the old article: it does not come back
    assert everywhere(service, "walrus") == (False, False, False)
    assert everywhere(service, "otter") == (True, True, True) and everywhere(service, "heron")[0]

    aged = unseeded_service(tmp_path / "month", fake_embeddings, article_retention_days=1)
    report = aged.indexer.index([])
    assert report.removed == 1 and everywhere(aged, "otter") == (False, False, False)
    assert aged.stats().articles == 1  # undated articles never expire


def test_prune_before_a_date_from_the_command_line(
    tmp_path: Path, fake_embeddings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service = unseeded_service(tmp_path, fake_embeddings)
    service.indexer.index(ARTICLES)
    cutoff = TODAY - timedelta(days=10)
    monkeypatch.setattr("bot.cli._service", lambda settings: service)

    assert main(["--data-dir", str(tmp_path / "data"), "prune", "--before", cutoff.isoformat()]) == 0

    assert "removed 1 article" in capsys.readouterr().err
    assert everywhere(service, "walrus") == (False, False, False) and everywhere(service, "otter")[0]
    assert service.stats().articles == 2


def test_prune_refuses_a_bad_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--data-dir", str(tmp_path), "prune", "--before", "last week"])
    assert "not a date" in capsys.readouterr().err
