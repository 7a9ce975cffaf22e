"""bench/index_variants.py: a variant's lexical text is what BM25 indexes, and only while that index is built."""

from __future__ import annotations

from datetime import date

from retrieval.index import lexical
from retrieval.index.chunking import chunk_article, text_for_lexical
from retrieval.index.lexical import LexicalStore
from retrieval.models import Article, Chunk
from tests.system.test_loop_lag import load_bench


def _chunks() -> list[Chunk]:
    article = Article(id="a1", title="Harbour plan vote", url="https://example.org/a", published=date(2024, 3, 8),
                      outlet="example.org", text="The council met on Tuesday and approved it.")
    return chunk_article(article)


def test_the_lexical_text_of_a_variant_decides_what_bm25_finds_and_is_restored_after() -> None:
    variants = load_bench("index_variants")

    with variants.lexical_text("none"):
        without_title = LexicalStore.from_chunks(_chunks())
    with variants.lexical_text("title+outlet"):
        with_outlet = LexicalStore.from_chunks(_chunks())
    shipped = LexicalStore.from_chunks(_chunks())

    assert without_title.search("harbour", 5) == []
    assert [c.id for c, _ in shipped.search("harbour", 5)] == ["a1:0"]
    assert [c.id for c, _ in with_outlet.search("example", 5)] == ["a1:0"]
    assert shipped.search("example", 5) == []
    assert lexical.text_for_lexical is text_for_lexical
