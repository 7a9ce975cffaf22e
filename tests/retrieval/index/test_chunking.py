"""Chunking: deterministic ids, ≤ 1,000 characters, whole sentences, key points stored once."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.index.chunking import (
    CHUNK_MAX_CHARS,
    chunk_article,
    text_for_embedding,
    text_for_lexical,
)
from retrieval.models import Article
from retrieval.text.sentences import split_sentences

SENTENCES = [
    f"Sentence number {i} says that the council voted {i * 3} to {i + 1} on the harbour plan." for i in range(60)
]


def make_article(text: str, **fields: object) -> Article:
    values: dict[str, object] = {
        "id": "art1", "title": "Harbour plan vote", "url": "https://example.org/a",
        "published": date(2024, 3, 8), "outlet": "example.org", "text": text,
    }
    values.update(fields)
    return Article.model_validate(values)


def long_text() -> str:
    paragraphs = [" ".join(SENTENCES[i: i + 4]) for i in range(0, len(SENTENCES), 4)]
    return "\n\n".join(paragraphs)


def test_ids_are_deterministic_sequential_and_chunks_fit() -> None:
    article = make_article(long_text())
    first, second = chunk_article(article), chunk_article(article)
    assert [c.id for c in first] == [c.id for c in second] == [f"art1:{n}" for n in range(len(first))]
    assert [c.text for c in first] == [c.text for c in second]
    assert len(first) > 3
    assert all(len(c.text) <= CHUNK_MAX_CHARS for c in first)
    assert all(c.n == n and c.article_id == "art1" for n, c in enumerate(first))


def test_chunks_carry_article_metadata() -> None:
    chunk = chunk_article(make_article(long_text()))[2]
    assert (chunk.title, chunk.url, chunk.published, chunk.outlet, chunk.kind) == (
        "Harbour plan vote", "https://example.org/a", date(2024, 3, 8), "example.org", "body",
    )


def test_sentence_boundaries_are_respected_and_nothing_is_lost_or_repeated() -> None:
    chunks = chunk_article(make_article(long_text()), max_chars=300)
    pieces = [s for c in chunks for s in split_sentences(c.text)]
    assert pieces == SENTENCES  # every sentence whole, once, in order: no overlap, no cut
    assert all(c.text.endswith(".") for c in chunks)


def test_a_sentence_longer_than_the_limit_is_cut_at_word_boundaries() -> None:
    words = [f"word{i}" for i in range(400)]
    chunks = chunk_article(make_article(" ".join(words)), max_chars=200)
    assert all(len(c.text) <= 200 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == words


def test_key_points_and_contradictions_get_their_own_chunks_once() -> None:
    article = make_article(
        "The council met on Tuesday. It approved the harbour plan.",
        key_points=("Plan approved 7 to 2", "Work starts in May"),
        contradictions=("One outlet says 6 to 3",),
    )
    chunks = chunk_article(article)
    kinds = [c.kind for c in chunks]
    assert kinds == ["body", "key_point", "contradiction"]
    assert "Plan approved" not in chunks[0].text
    joined = "\n".join(c.text for c in chunks)
    for point in (*article.key_points, *article.contradictions):
        assert joined.count(point) == 1


def test_split_sentences_keeps_abbreviations_and_quotes() -> None:
    text = 'Mr. Smith met U.S. officials on Jan. 5. He said "We agree." Prices rose 4.5 percent!\n\nNew paragraph'
    assert split_sentences(text) == [
        "Mr. Smith met U.S. officials on Jan. 5.",
        'He said "We agree."',
        "Prices rose 4.5 percent!",
        "New paragraph",
    ]


def test_texts_for_retrieval_include_the_title() -> None:
    chunk = chunk_article(make_article(long_text()))[1]
    assert text_for_embedding(chunk).startswith("Harbour plan vote\n")
    assert chunk.text in text_for_lexical(chunk) and "Harbour plan vote" in text_for_lexical(chunk)


def test_empty_text_gives_no_body_chunk() -> None:
    assert chunk_article(make_article("   \n\n  ")) == []


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .!?\n\"A1"), max_size=3000), st.integers(20, 1000))
def test_any_text_is_chunked_within_the_limit_without_losing_words(text: str, max_chars: int) -> None:
    chunks = chunk_article(make_article(text), max_chars=max_chars)
    assert all(0 < len(c.text) <= max_chars for c in chunks)
    assert " ".join(c.text for c in chunks).split() == text.split()


def test_an_overlap_repeats_the_closing_sentences_of_the_previous_chunk_whole() -> None:
    chunks = chunk_article(make_article(long_text()), max_chars=300, overlap_chars=120)
    sentences = [split_sentences(c.text) for c in chunks]
    assert all(len(c.text) <= 300 for c in chunks)
    for previous, current in pairwise(sentences):
        carried = next(n for n in range(len(current)) if current[n] not in previous)
        assert 1 <= carried < len(previous)  # the last sentence (one is 80-odd chars) comes again, never all
        assert current[:carried] == previous[-carried:]
        assert sum(len(s) + 1 for s in current[:carried]) - 1 <= 120
    new = [s for n, piece in enumerate(sentences) for s in (piece if n == 0 else piece[1:])]
    assert new == SENTENCES  # apart from the repeated sentence, each once, in order


def test_no_overlap_when_the_closing_sentence_is_longer_than_the_overlap() -> None:
    plain = chunk_article(make_article(long_text()), max_chars=300)
    assert [c.text for c in chunk_article(make_article(long_text()), max_chars=300, overlap_chars=50)] == [
        c.text for c in plain]


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .!?\n\"A1"), max_size=3000), st.integers(20, 1000), st.integers(0, 400))
def test_any_text_with_an_overlap_stays_within_the_limit(text: str, max_chars: int, overlap: int) -> None:
    chunks = chunk_article(make_article(text), max_chars=max_chars, overlap_chars=overlap)
    assert all(0 < len(c.text) <= max_chars for c in chunks)
    assert set(" ".join(c.text for c in chunks).split()) == set(text.split())
