"""`/sources query:` matching: typed words against titles, outlets and web addresses."""

from __future__ import annotations

from retrieval.index.listing import matching_records, record_words

RECORDS = [
    {"id": "1", "title": "Louisiana law requires the Ten Commandments", "outlet": "USA Today",
     "url": "https://www.usatoday.com/story/news/2024/06/19/louisiana-law/1", "published": "2024-06-19"},
    {"id": "2", "title": "Putin lands in Pyongyang", "outlet": "cnn.com",
     "url": "https://edition.cnn.com/2024/06/18/asia/putin-pyongyang", "published": "2024-06-18"},
    {"id": "3", "title": "Korean pact worries Washington", "outlet": "CNN",
     "url": "https://www.cnn.com/2024/06/20/politics/pact", "published": "2024-06-20",
     "outlets": '["CNN", "Reuters"]'},
]


def _ids(query: str, limit: int = 10) -> tuple[list[str], int]:
    found, total = matching_records(RECORDS, query, limit=limit)
    return [str(r["id"]) for r in found], total


def test_an_outlet_or_its_domain_finds_its_articles_newest_first() -> None:
    assert _ids("cnn") == (["3", "2"], 2)
    assert _ids("CNN.com") == (["3", "2"], 2)
    assert _ids("usatoday") == (["1"], 1)
    assert _ids("reuters") == (["3"], 1)  # an outlet that also carried the story


def test_title_words_match_at_word_starts_case_insensitively() -> None:
    assert _ids("korea") == (["3"], 1)
    assert _ids("PUTIN pyongyang") == (["2"], 1)
    assert _ids("law") == (["1"], 1)  # in the title and the address; "outlawed" would not match


def test_no_match_and_no_words_find_nothing_and_the_limit_keeps_the_total() -> None:
    assert _ids("bbc") == ([], 0)
    assert _ids("  ?! ") == ([], 0)
    assert _ids("2024", limit=1) == (["3"], 3)


def test_record_words_include_host_and_path() -> None:
    assert {"edition", "cnn", "com", "asia", "putin", "pyongyang"} <= record_words(RECORDS[1])
