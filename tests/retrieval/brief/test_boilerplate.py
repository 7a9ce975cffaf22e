"""Boilerplate is learnt from what an outlet repeats, and never becomes a brief's summary or key point."""

from __future__ import annotations

from datetime import UTC, date, datetime

from retrieval.brief.boilerplate import learnt_from
from retrieval.brief.build import build_brief
from retrieval.models import Article
from retrieval.text.cues import is_intro

CROSSWORD = "Play the USA TODAY Daily Crossword Puzzle."
NEWS = [
    "The city council approved a new budget of 40 million dollars for the public library system on Monday.",
    "Residents of the river district welcomed the decision after months of heated public hearings downtown.",
    "The mayor said construction of two new branch libraries would begin early next spring in the suburbs.",
    "That kind of success rarely comes without a long fight, the council's oldest member told reporters.",
    "Opposition members argued the money should have gone to road repairs across the northern districts.",
]


def _article(n: int, body: list[str], outlet: str = "usatoday.com", day: int = 20) -> Article:
    return Article(id=f"a{n}", title=f"Story number {n} about the library budget", text=" ".join(body),
                   outlet=outlet, published=date(2024, 6, day), url=f"https://www.usatoday.com/{n}")


def test_a_sentence_one_outlet_repeats_in_three_articles_is_boilerplate_and_news_is_not() -> None:
    places = ["valley", "harbour", "capital"]
    articles = [_article(n, [f"A report on the weather in the {place} today.", CROSSWORD])
                for n, place in enumerate(places)]
    model = learnt_from(articles)
    assert model.is_boilerplate("usatoday.com", "Play the USA TODAY daily crossword puzzle!")  # case folded
    assert not model.is_boilerplate("cnn.com", CROSSWORD)  # another outlet's furniture is its own
    assert not model.is_boilerplate("usatoday.com", "A report on the weather in the harbour today.")
    assert not learnt_from(articles[:2]).is_boilerplate("usatoday.com", CROSSWORD)  # twice is not a habit


def test_intros_editors_notes_and_bylines_are_not_the_news() -> None:
    assert is_intro("On Thursday's episode of the podcast, we look at the race.")
    assert is_intro("Editor's note: This story has been updated.")
    assert is_intro("By Jane Doe, USA TODAY")
    assert not is_intro("The Senate passed the bill on Thursday by a vote of 52 to 48.")


def test_the_extractive_story_states_the_news_without_furniture_or_fragments(fake_embeddings) -> None:
    intro = "On Thursday's episode of the show, our reporters talk about the city and its books."
    story_article = _article(0, [intro, *NEWS, CROSSWORD])
    teams = ["Lions", "Bears", "Eagles"]
    others = [_article(n, [f"The {team} won a football match in the old stadium last night.", CROSSWORD], day=1)
              for n, team in enumerate(teams, 1)]
    sample = [(a.outlet, a.id, a.text) for a in others]
    brief = build_brief([story_article, *others], as_of=datetime(2024, 6, 20, 23, tzinfo=UTC),
                        embeddings=fake_embeddings, boilerplate=learnt_from([story_article], sample))
    (story,) = brief.stories
    assert story.summary.startswith("The city council approved a new budget")
    points = [p.text for p in story.key_points]
    assert 1 <= len(points) <= 3
    assert CROSSWORD not in points and not any(p.startswith("That kind of success") for p in points)
    assert [s.n for s in story.sources] == [1] and {c.n for c in story.citations()} == {1}


def test_the_store_lends_an_outlets_earlier_chunks_of_the_sample_window_only(service, monkeypatch) -> None:
    """Read from the lexical article table by day, never by a Chroma `where` (which scans every record)."""
    from chromadb.api.models.Collection import Collection

    from retrieval.brief import boilerplate

    earlier = [_article(n, [f"Earlier news number {n} from the river district.", CROSSWORD], day=n + 1)
               for n in range(3)]
    ancient = [Article(id=f"old{n}", title=f"Old story {n} about the harbour", outlet="usatoday.com",
                       text=f"Old news {n}. Subscribe to the Harbour Weekly today.", published=date(2020, 1, n + 1))
               for n in range(3)]
    service.indexer.index([*earlier, *ancient])
    monkeypatch.setattr(Collection, "get", lambda *a, **k: (_ for _ in ()).throw(AssertionError("Chroma read")))
    boilerplate._cache.clear()
    model = boilerplate.from_store(service.store, [_article(9, NEWS, day=20)])
    assert model.is_boilerplate("usatoday.com", CROSSWORD)  # learnt from the three earlier articles
    assert not model.is_boilerplate("usatoday.com", "Subscribe to the Harbour Weekly today.")  # years before
    assert not model.is_boilerplate("usatoday.com", NEWS[0])
