"""The index's single writer across machines: with PostgreSQL, an advisory lock held on a connection.
A second writer is refused at once; the lock goes when its holder releases it or its connection dies."""

from __future__ import annotations

from pathlib import Path

import pytest
from filelock import FileLock, Timeout

from retrieval.index.writer_lock import PostgresAdvisoryLock, writer_lock_from_settings
from tests.conftest import make_settings


def test_without_postgresql_the_lock_is_the_file_lock(tmp_path: Path) -> None:
    assert isinstance(writer_lock_from_settings(make_settings(tmp_path / "data")), FileLock)


def test_a_second_writer_is_refused_until_the_first_lets_go(tmp_path: Path, postgres_url: str) -> None:
    settings = make_settings(tmp_path / "data", database_url=postgres_url)
    first, second = writer_lock_from_settings(settings), writer_lock_from_settings(settings)
    assert isinstance(first, PostgresAdvisoryLock)
    first.acquire()
    with pytest.raises(Timeout):
        second.acquire()
    first.release()
    second.acquire()
    second.release()


def test_a_writer_that_dies_leaves_no_lock_behind(tmp_path: Path, postgres_url: str) -> None:
    settings = make_settings(tmp_path / "data", database_url=postgres_url)
    dying, other = PostgresAdvisoryLock(postgres_url), writer_lock_from_settings(settings)
    dying.acquire()
    assert dying._connection is not None
    dying._connection.invalidate()  # the process (or its host) went away: the server ends the session
    other.acquire()
    other.release()


def test_a_reindex_while_another_machine_indexes_is_told_so(tmp_path: Path, postgres_url: str, fake_embeddings) -> None:
    from retrieval.errors import ReindexRunningError
    from tests.support.corpus import unseeded_service

    service = unseeded_service(tmp_path, fake_embeddings, database_url=postgres_url)
    elsewhere = PostgresAdvisoryLock(postgres_url)
    elsewhere.acquire()
    with pytest.raises(ReindexRunningError):
        service.index([tmp_path / "no-seeds"])
    elsewhere.release()
    service.index([tmp_path / "no-seeds"])
