"""Loaders: the seed format, JSONL, and bad input that must never crash or hide other files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from retrieval.ingest.loaders import load_path, load_paths
from retrieval.ingest.provenance import article_id
from retrieval.models import Failure
from tests.conftest import SEEDS_DIR


def test_seed_is_parsed_into_body_key_points_and_contradictions() -> None:
    articles, failures = load_path(SEEDS_DIR)
    assert failures == []
    seed = next(a for a in articles if "Putin" in a.text)
    assert len(seed.key_points) == 3
    assert seed.key_points[0].startswith("Putin visits North Korea")
    assert seed.contradictions == (
        "While Western nations express concern over military cooperation, "
        "Russia and North Korea deny arms trade allegations.",
    )
    assert "Key points" not in seed.text and "Contradictions" not in seed.text
    assert "deny arms trade allegations" not in seed.text  # not indexed twice
    assert seed.published == date(2024, 6, 19)  # derived from the file name
    # No title line: the first key point names it, whole; a briefing's outlet reads "Briefing".
    assert seed.title == "Putin visits North Korea to deepen strategic alliance, first visit in 24 years"
    assert seed.outlet == "Briefing" and seed.outlets == ("Briefing",)


def test_front_matter_and_missing_fields(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "# Storm hits the coast\nDate: 2024-03-02\nURL: https://example.org/storm\n\n"
        "A storm hit the coast on Saturday, cutting power to 40,000 homes.\n", encoding="utf-8"
    )
    (tmp_path / "b.txt").write_text("Only a body here, with no title, date or link at all.", encoding="utf-8")
    articles, failures = load_path(tmp_path)
    assert failures == []
    by_title = {a.title: a for a in articles}
    storm = by_title["Storm hits the coast"]
    assert storm.published == date(2024, 3, 2) and storm.url == "https://example.org/storm"
    other = next(a for a in articles if a is not storm)
    assert other.published is None and other.url is None and other.title.startswith("Only a body here")


def test_jsonl_in_realtimeqa_format(tmp_path: Path) -> None:
    record = {"id": "abc123def456", "url": "https://www.cnn.com/x", "title": "T | CNN",
              "text": "Para one is here.\n\nPara two is here too.", "published": "2022-09-01"}
    (tmp_path / "articles.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    [article], failures = load_path(tmp_path / "articles.jsonl")
    assert failures == []
    # The page's own " | CNN" names the outlet and leaves the title.
    assert (article.outlet, article.title, article.published) == ("CNN", "T", date(2022, 9, 1))
    assert article.id == article_id(str(tmp_path / "articles.jsonl"), "abc123def456")  # the file and its own id


def test_bad_input_gets_a_clear_message_naming_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("A perfectly fine article about the harbour reopening after repairs.", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 owners in Li\xe8ge protest the new tax rules.".encode("latin-1"))
    (tmp_path / "huge.txt").write_bytes(b"a" * 50_000_000)
    (tmp_path / "notext.jsonl").write_text('{"id": "x", "text": ""}\n', encoding="utf-8")
    lines = [json.dumps({"url": "https://e.org/1", "title": "ok", "text": "x" * 50}), "{not json", ""]
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines), encoding="utf-8")

    articles, failures = load_paths([tmp_path])
    reasons = {Path(f.origin).name: f.reason for f in failures}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["binary.txt"] == "binary data, not text"
    assert reasons["huge.txt"].startswith("too large")
    assert reasons["notext.jsonl:1"] == "no article text"
    assert reasons["mixed.jsonl:2"].startswith("parse error: not JSON")
    titles = {a.title for a in articles}
    assert "ok" in titles
    assert any("Liège" in a.text for a in articles)  # wrong encoding decoded, not dropped
    assert any("harbour" in a.text for a in articles)


def test_missing_path_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    articles, failures = load_path(tmp_path / "nope")
    assert articles == [] and failures[0].reason == "not found"


def test_a_folder_source_must_be_a_folder_but_the_command_line_reads_one_file(tmp_path: Path) -> None:
    from retrieval.ingest.loaders import load_folder
    from retrieval.ingest.local_files import NOT_A_FOLDER

    env = tmp_path / ".env"
    env.write_text("DISCORD_TOKEN=canary-token-value-for-the-loader-test\n", encoding="utf-8")
    assert load_folder(env) == ([], [Failure(origin=str(env), reason=NOT_A_FOLDER)])
    [article], failures = load_path(env)  # `briefbot index FILE`: the operator named this file
    assert failures == [] and "canary-token" in article.text


def test_links_out_of_a_folder_are_refused_and_never_read(tmp_path: Path) -> None:
    from retrieval.ingest.local_files import LINK_OUTSIDE

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("The secret planted outside the corpus folder is here.", encoding="utf-8")
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "ok.txt").write_text("An ordinary article about the harbour reopening.", encoding="utf-8")
    (corpus / "a-link.txt").symlink_to(outside / "secret.txt")
    (corpus / "dotdot.md").symlink_to(Path("..") / "outside" / "secret.txt")  # relative, same target
    (corpus / "linked-dir").symlink_to(outside, target_is_directory=True)
    (corpus / "loop").symlink_to(corpus, target_is_directory=True)  # inside: not walked twice, no loop
    (corpus / "again.txt").symlink_to(corpus / "sub" / "ok.txt")

    articles, failures = load_path(corpus)

    assert [a.text for a in articles] == ["An ordinary article about the harbour reopening."]
    assert sorted((Path(f.origin).name, f.reason) for f in failures) == [
        ("a-link.txt", LINK_OUTSIDE), ("dotdot.md", LINK_OUTSIDE), ("linked-dir", LINK_OUTSIDE)]


def test_which_failures_keep_their_articles() -> None:
    from retrieval.ingest.local_files import LINK_OUTSIDE, NOT_A_FOLDER, kept_source

    assert kept_source(Failure(origin="/c/a.jsonl:7", reason="parse error: not JSON")) == "/c/a.jsonl"
    assert kept_source(Failure(origin="/c/gone", reason="not found")) == "/c/gone"
    assert kept_source(Failure(origin="https://x.example/feed", reason="timeout")) == "https://x.example/feed"
    assert kept_source(Failure(origin="/c/l.txt", reason=LINK_OUTSIDE)) is None
    assert kept_source(Failure(origin="/app/.env", reason=NOT_A_FOLDER)) is None
