"""The `briefbot` command line: index, ask, brief and sources through the same service as the bot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import SEEDS_DIR


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean working dir (no developer .env) and no LLM, as on a fresh machine."""
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST", "BRIEFBOT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "data"


def test_index_ask_and_brief_the_seeds(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(cli_env)
    assert main(["--data-dir", data, "index", str(SEEDS_DIR)]) == 0
    assert "added 1" in capsys.readouterr().err

    assert main(["--data-dir", data, "ask", "What worries the US about Russia and North Korea?", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert not answer["refused"] and answer["citations"][0]["published"] == "2024-06-19"
    assert "[1]" in answer["text"]

    assert main(["--data-dir", data, "brief", "--as-of", "2024-06-19"]) == 0
    brief = capsys.readouterr().out
    assert "Key points" in brief and "Contradictions" in brief and "[1]" in brief


def test_asking_an_empty_index_is_a_clear_error(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(cli_env), "ask", "Anything?"]) == 2
    assert "Nothing is indexed yet" in capsys.readouterr().err


def test_an_unsafe_source_is_refused_with_the_rule(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(cli_env), "sources", "add", "feed", "http://169.254.169.254/latest"]) == 2
    err = capsys.readouterr().err
    assert "refused address" in err and "loopback, private" in err
    assert not (cli_env / "sources.toml").exists()
