"""The one Snowball tokeniser with its two stop lists: BM25's tokens and a question's content terms."""

from __future__ import annotations

from retrieval.text.stems import bm25_terms, content_stem, content_stems


def test_both_uses_stem_alike_and_differ_only_in_words_and_stop_words() -> None:
    text = "Officials said the U.S. launches were delayed"
    assert bm25_terms(text) == ["offici", "said", "launch", "were", "delay"]  # one-letter words are no token
    assert content_stems(text) == ["offici", "u.", "launch", "delay"]  # "U.S." is a word; "said" stops
    assert [content_stem(w) for w in ("the", "Launches", "--")] == ["", "launch", ""]
