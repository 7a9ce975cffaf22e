"""The `briefbot` command line: index, ask, brief and sources through the same service as the bot."""

from __future__ import annotations

import json
import re
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


# --- issue 10, item 10: rich markup, bracketed errors and terminal escapes ----------------------------

HOSTILE_ARTICLE = (
    "Title: Springfield \x1b]8;;https://evil.example/\x1b\\ballot\x1b]8;;\x1b\\ count [/bold] ends\n"
    "Source: Springfield Wire [/bold][red]\n"
    "URL: https://news.example/ballot\n"
    "Date: 2024-06-19\n\n"
    "The Springfield ballot count ended on Tuesday with 5,000 votes counted.\x1b[2J\x1b[H "
    "Officials said the count \x1b]0;pwned\x07was certified \u202eand final\u202c. "
    "Observers asked voters to read [the notice](https://evil.example/n) and https://evil.example/x.\n"
)
ESCAPE = re.compile(r"[\x1b\x07\x9b\x9d\u202e\u202c]")


def test_a_failing_path_with_rich_markup_is_reported_whole(cli_env: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "corpus" / "reports[" / "bold]"  # the path holds "[/bold]"
    folder.mkdir(parents=True)
    (folder / "broken [red]x[bold].jsonl").write_text('{"id": "1", "text": \n', encoding="utf-8")
    assert main(["--data-dir", str(cli_env), "index", str(tmp_path / "corpus")]) == 0
    err = capsys.readouterr().err.replace("\n", "")  # rich wraps long lines
    assert "skipped" in err and "reports[/bold]" in err and "broken [red]x[bold].jsonl:1" in err


@pytest.mark.parametrize("url", ["http://[fe80::1]/", "http://[::1]:8080/feed", "http://[::ffff:10.0.0.1]/"])
def test_bracketed_parts_of_an_error_are_shown(cli_env: Path, capsys: pytest.CaptureFixture[str], url: str) -> None:
    assert main(["--data-dir", str(cli_env), "sources", "add", "feed", url]) == 2
    assert url in capsys.readouterr().err


def test_ask_and_brief_print_no_terminal_escape_or_foreign_link(cli_env: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "hostile"
    corpus.mkdir()
    (corpus / "2024-06-19-ballot.txt").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    data = str(cli_env)
    assert main(["--data-dir", data, "index", str(corpus)]) == 0
    capsys.readouterr()

    question = "How many votes were counted in Springfield?"
    assert main(["--data-dir", data, "ask", question, "--as-of", "2024-06-20"]) == 0
    answer = capsys.readouterr().out
    assert main(["--data-dir", data, "brief", "--as-of", "2024-06-19"]) == 0
    brief = capsys.readouterr().out
    for printed in (answer, brief):
        assert "5,000" in printed and "Springfield" in printed
        assert not ESCAPE.search(printed), repr(printed)
        assert "evil.example" not in printed
    assert "<https://news.example/ballot>" in answer


@pytest.mark.parametrize("hours", ["-5", "0", "many"])
def test_a_brief_window_that_is_not_a_positive_number_of_hours_is_refused(
    cli_env: Path, capsys: pytest.CaptureFixture[str], hours: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", str(cli_env), "brief", "--hours", hours])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "--hours" in error and "Traceback" not in error

