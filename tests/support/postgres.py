"""A real PostgreSQL on 127.0.0.1 for the tests, started once per session with initdb and pg_ctl.

Tests that need it are skipped, saying why, when the server binaries are absent (`.ci/run` installs
the Debian `postgresql` package). initdb refuses to run as root, so as root the cluster belongs to
the `postgres` system user (via runuser). Each test gets its own fresh database.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN_DIRS = ("/usr/local/bin", "/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin",
               "/usr/lib/postgresql/15/bin")
START_TIMEOUT_SECONDS = 30
SUPERUSER = "briefbot"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    return next((str(Path(d) / name) for d in PG_BIN_DIRS if (Path(d) / name).exists()), None)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The server's base URL (`postgresql+psycopg://briefbot@127.0.0.1:PORT`)."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed (no initdb/pg_ctl); `apt-get install postgresql` or run .ci/run")
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres").pw_name
        except KeyError:
            pytest.skip("running as root without a `postgres` user: initdb refuses to run as root")
    root = Path(tempfile.mkdtemp(prefix="briefbot-pg-"))
    if owner:
        shutil.chown(root, user=owner)
    data, port = root / "data", _free_port()
    subprocess.run(_as_owner([initdb, "-D", str(data), "-A", "trust", "-U", SUPERUSER, "--no-sync", "-E", "UTF8"],
                             owner), check=True, capture_output=True, timeout=START_TIMEOUT_SECONDS)
    options = f"-h 127.0.0.1 -p {port} -k {root} -F"
    subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
                             owner), check=True, capture_output=True, timeout=START_TIMEOUT_SECONDS)
    try:
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], owner),
                       capture_output=True, timeout=START_TIMEOUT_SECONDS)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database of its own for one test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    plain = postgres_server.replace("+psycopg", "")
    with psycopg.connect(f"{plain}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # a generated identifier, never user input
    return f"{postgres_server}/{name}"
