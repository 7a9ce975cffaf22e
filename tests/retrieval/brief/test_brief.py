"""The brief: its model invariant, the extractive brief on a fixture corpus with the seed, the LLM path."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import openai
import pytest
from pydantic import ValidationError

from retrieval.brief.build import build_brief, split_sides
from retrieval.brief.models import Brief, BriefSource, KeyPoint, Story, check_quotes
from retrieval.ingest.loaders import load_path
from retrieval.llm import ChatClient
from retrieval.models import Article, Citation
from tests.conftest import REPO_ROOT
from tests.support.openai_server import FakeOpenAIServer, ok, status

SEEDS_DIR = REPO_ROOT / "seeds"
AS_OF = datetime(2024, 6, 20, 8, 0, tzinfo=UTC)
SEED_CONTRADICTION = ("While Western nations express concern over military cooperation, "
                      "Russia and North Korea deny arms trade allegations.")

STORM_TEXT = (
    "Typhoon Hagupit killed {dead} people in the central Philippines on Tuesday, the national disaster agency "
    "said. The storm made landfall on Samar island with winds of 195 km/h before moving west. "
    "More than 200,000 residents were evacuated from coastal villages ahead of the storm. "
    "Rescue teams reached flooded towns by boat on Wednesday as power stayed down across the region."
)


def _article(article_id: str, title: str, text: str, outlet: str, published: date | None,
             outlets: tuple[str, ...] = ()) -> Article:
    return Article(id=article_id, title=title, text=text, outlet=outlet, published=published,
                   outlets=outlets or (outlet,), url=f"https://{outlet}/{article_id}")


@pytest.fixture(scope="module")
def seed() -> Article:
    articles, failures = load_path(next(SEEDS_DIR.glob("*putin-north-korea-visit.txt")))
    assert not failures
    return articles[0].model_copy(update={"published": date(2024, 6, 19)})


@pytest.fixture(scope="module")
def corpus(seed: Article) -> list[Article]:
    return [
        seed,
        _article("storm-a", "Typhoon Hagupit kills 12 in the Philippines | Reuters",
                 STORM_TEXT.format(dead=12), "reuters.com", date(2024, 6, 19), ("reuters.com", "apnews.com")),
        _article("storm-b", "Typhoon Hagupit leaves 31 dead in central Philippines",
                 STORM_TEXT.format(dead=31), "bbc.co.uk", date(2024, 6, 19)),  # same day: 12 and 31 clash
        _article("budget", "City council approves new budget for the Riverside library",
                 "The city council of Springfield approved a budget of $4.2 million for the Riverside library "
                 "on Monday. The new wing will open in 2026 and add a children's reading room. Council member "
                 "Ana Ortiz said the vote was the end of a three-year campaign by local parents.",
                 "springfield-news.com", date(2024, 6, 20)),
        _article("old", "Typhoon season begins early in the Philippines",
                 "Typhoon season began early this year, forecasters in Manila said on Monday. They expect more "
                 "storms than usual to reach the Philippines.",
                 "oldnews.com", date(2024, 5, 1)),
    ]


@pytest.fixture(scope="module")
def brief(corpus: list[Article], embeddings) -> Brief:
    return build_brief(corpus, as_of=AS_OF, window_hours=24, embeddings=embeddings)


def _story(brief: Brief, article_id: str) -> Story:
    return next(s for s in brief.stories if article_id in s.article_ids)


# --- the invariant -----------------------------------------------------------------------------------
def test_every_point_is_cited_and_every_quote_is_in_its_article(brief: Brief, corpus: list[Article]) -> None:
    by_id = {a.id: a for a in corpus}
    assert brief.stories
    for story in brief.stories:
        assert 1 <= len(story.key_points) <= 3
        for point in story.key_points:
            assert point.citations
        numbered = {s.n: s for s in story.sources}  # each story numbers its own sources from [1]
        assert sorted(numbered) == list(range(1, len(story.article_ids) + 1))
        for citation in story.citations():
            assert numbered[citation.n].article_id == citation.article_id
            assert citation.quote
    assert check_quotes(brief, by_id) == []


def test_check_quotes_finds_a_quote_the_article_does_not_hold(brief: Brief, corpus: list[Article]) -> None:
    by_id = {a.id: a for a in corpus}
    story = brief.stories[0]
    bad = story.key_points[0].citations[0].model_copy(update={"quote": "A sentence nobody wrote."})
    broken = brief.model_copy(update={"stories": (
        story.model_copy(update={"key_points": (KeyPoint(text="x", citations=(bad,)),)}),)})
    assert check_quotes(broken, by_id) == [bad]


def _citation(n: int, article_id: str) -> Citation:
    return Citation(n=n, article_id=article_id, chunk_id=f"{article_id}:0", title="t", quote="A sentence.")


def test_the_model_refuses_uncited_points_and_unresolved_citations() -> None:
    with pytest.raises(ValidationError):
        KeyPoint(text="An uncited point.", citations=())
    story = Story(headline="h", summary="s", summary_citations=(_citation(1, "a"),),
                  key_points=(KeyPoint(text="p", citations=(_citation(2, "b"),)),),
                  coverage=1, outlets=("x",), single_source=True, article_ids=("a",))
    source = BriefSource(n=1, article_id="a", title="t")
    with pytest.raises(ValidationError, match="does not resolve"):
        Brief(as_of=AS_OF, window_hours=24, stories=(story,), sources=(source,))
    with pytest.raises(ValidationError):
        Story(headline="h", summary="s", summary_citations=(_citation(1, "a"),), coverage=2, outlets=("x",),
              single_source=False, article_ids=("a",))


# --- the extractive brief ----------------------------------------------------------------------------
def test_the_seeds_contradictions_become_a_cited_disagreement(brief: Brief, seed: Article) -> None:
    story = _story(brief, seed.id)
    assert story.single_source and story.coverage == 1
    seed_n = next(s.n for s in story.sources if s.article_id == seed.id)
    contradiction = next(c for c in story.contradictions if c.claim == SEED_CONTRADICTION)
    assert [side.says for side in contradiction.sides] == [
        "Western nations express concern over military cooperation",
        "Russia and North Korea deny arms trade allegations",
    ]
    for side in contradiction.sides:
        assert {c.n for c in side.citations} == {seed_n}
        assert SEED_CONTRADICTION in {c.quote for c in side.citations}
    # each side is backed by the body sentence that says it, not only by the briefing's own line
    quotes = {c.quote for side in contradiction.sides for c in side.citations}
    assert any("denied any arms trade" in q for q in quotes)


def test_the_seeds_key_points_are_cited_evidence(brief: Brief, seed: Article) -> None:
    story = _story(brief, seed.id)
    texts = [p.text for p in story.key_points]
    assert any(p in texts for p in seed.key_points)
    for point in story.key_points:
        assert all(c.article_id == seed.id for c in point.citations)


def test_near_duplicates_are_one_story_counted_per_outlet(brief: Brief) -> None:
    storm = _story(brief, "storm-a")
    assert set(storm.article_ids) == {"storm-a", "storm-b"}
    assert storm.coverage == 3 and not storm.single_source
    assert storm.outlets == ("apnews.com", "bbc.co.uk", "reuters.com")
    assert brief.stories[0] is storm  # most outlets first
    assert storm.headline == "Typhoon Hagupit kills 12 in the Philippines"


def test_a_number_the_outlets_disagree_on_is_a_cited_contradiction(brief: Brief) -> None:
    storm = _story(brief, "storm-a")
    n = {s.article_id: s.n for s in storm.sources}
    contradiction = next(c for c in storm.contradictions if c.claim.startswith("Sources disagree"))
    sides = {side.says: {c.n for c in side.citations} for side in contradiction.sides}
    assert sides == {"12": {n["storm-a"]}, "31": {n["storm-b"]}}
    assert all("killed" in c.quote for side in contradiction.sides for c in side.citations)


def test_the_window_and_the_topic_filter(corpus: list[Article], embeddings) -> None:
    everything = {a for s in build_brief(corpus, as_of=AS_OF, embeddings=embeddings).stories for a in s.article_ids}
    assert "old" not in everything and "budget" in everything
    week = build_brief(corpus, as_of=AS_OF, window_hours=24 * 60, embeddings=embeddings)
    assert "old" in {a for s in week.stories for a in s.article_ids}
    on_topic = build_brief(corpus, as_of=AS_OF, topic="Riverside library budget", embeddings=embeddings)
    assert [s.article_ids for s in on_topic.stories] == [("budget",)]


def test_an_empty_window_gives_an_empty_brief(corpus: list[Article], embeddings) -> None:
    empty = build_brief(corpus, as_of=datetime(2030, 1, 1, tzinfo=UTC), embeddings=embeddings)
    assert empty.stories == () and empty.all_sources() == ()


def test_split_sides() -> None:
    sides = split_sides("Police say 12 died, but hospitals say 20 died.")
    assert sides == ["Police say 12 died", "Hospitals say 20 died"]
    assert split_sides("Nobody agrees on the cause.") == ["Nobody agrees on the cause."]


# --- the LLM path ------------------------------------------------------------------------------------
@pytest.fixture
def chat(openai_server: FakeOpenAIServer) -> ChatClient:
    client = openai.OpenAI(base_url=openai_server.base_url, api_key="test-key", timeout=5, max_retries=0)
    return ChatClient(client, "test-model", max_tokens=600, max_retries=0)


def _storm_corpus(corpus: list[Article]) -> list[Article]:
    return [a for a in corpus if a.id.startswith("storm")]


def _storm_json(n_a: int, n_b: int) -> str:
    return json.dumps({
        "headline": "Typhoon Hagupit hits the central Philippines",
        "summary": "A typhoon struck Samar island and moved west.",
        "summary_citations": [{"source": n_a, "quote": "The storm made landfall on Samar island"}],
        "key_points": [
            {"text": "More than 200,000 people were evacuated.",
             "citations": [{"source": n_a, "quote": "More than 200,000 residents were evacuated"},
                           {"source": 99, "quote": "invented"}]},
            {"text": "Rescuers used boats to reach flooded towns.", "citations": [n_b]},
            {"text": "The president declared a national holiday.",
             "citations": [{"source": n_a, "quote": "The president declared a holiday."}]},
        ],
        "contradictions": [
            {"claim": "The death toll",
             "sides": [{"says": "12 dead", "citations": [{"source": n_a, "quote": "killed 12 people"}]},
                       {"says": "31 dead", "citations": [{"source": n_b, "quote": "killed 31 people"}]}]},
            {"claim": "One-sided", "sides": [{"says": "x", "citations": [{"source": 42, "quote": "y"}]}]},
        ],
    })


def test_llm_story_keeps_only_valid_citations(corpus: list[Article], embeddings, chat: ChatClient,
                                               openai_server: FakeOpenAIServer) -> None:
    openai_server.script(ok("```json\n" + _storm_json(1, 2) + "\n```"))
    brief = build_brief(_storm_corpus(corpus), as_of=AS_OF, embeddings=embeddings, chat=chat)
    assert brief.mode == "llm" and len(brief.stories) == 1
    story = brief.stories[0]
    assert story.headline == "Typhoon Hagupit hits the central Philippines"
    assert [p.text for p in story.key_points] == ["More than 200,000 people were evacuated.",
                                                  "Rescuers used boats to reach flooded towns."]
    assert [c.n for c in story.key_points[0].citations] == [1]  # source 99 dropped
    assert story.key_points[0].citations[0].quote.startswith("More than 200,000 residents were evacuated")
    assert [c.quote for c in story.key_points[1].citations] == [
        "Rescue teams reached flooded towns by boat on Wednesday as power stayed down across the region."]
    assert [c.claim for c in story.contradictions] == ["The death toll"]
    assert check_quotes(brief, {a.id: a for a in corpus}) == []
    prompt = openai_server.chat_requests[0].body["messages"][1]["content"]
    assert '<source id="1"' in prompt and '<source id="2"' in prompt and "killed 31 people" in prompt


def test_briefing_lines_reach_the_prompt_as_claims(seed: Article, embeddings, chat: ChatClient,
                                                     openai_server: FakeOpenAIServer) -> None:
    openai_server.script(ok("not json"))
    build_brief([seed], as_of=AS_OF, embeddings=embeddings, chat=chat)
    prompt = openai_server.chat_requests[0].body["messages"][1]["content"]
    assert "Contradictions (what this briefing claims, not settled fact)" in prompt
    assert SEED_CONTRADICTION in prompt


@pytest.mark.parametrize("reply", [
    pytest.param(ok("Here is the brief: Typhoon Hagupit hit the Philippines [1]."), id="prose"),
    pytest.param(ok('{"headline": "Typhoon", "summary": "s", "key_points": [{"text": '), id="cut-json"),
    pytest.param(ok('{"headline": "Typhoon", "summary": "s", "key_points": "none"}'), id="wrong-shape"),
    pytest.param(ok('{"headline": "T", "summary": "s", "key_points": [{"text": "p", "citations": [7]}]}'),
                 id="no-valid-citation"),
    pytest.param(status(500), id="server-error"),
])
def test_unusable_llm_output_falls_back_to_the_extractive_story(
    reply, corpus: list[Article], embeddings, chat: ChatClient, openai_server: FakeOpenAIServer
) -> None:
    openai_server.script(reply)
    storm = _storm_corpus(corpus)
    brief = build_brief(storm, as_of=AS_OF, embeddings=embeddings, chat=chat)
    extractive = build_brief(storm, as_of=AS_OF, embeddings=embeddings)
    assert brief.mode == "extractive" and brief.note
    assert brief.stories == extractive.stories


def test_a_real_quote_that_does_not_support_the_point_is_refused(
    corpus: list[Article], embeddings, chat: ChatClient, openai_server: FakeOpenAIServer
) -> None:
    reply = {"headline": "Typhoon", "summary": "A typhoon hit.", "key_points": [
        {"text": "Evacuations emptied coastal villages.",
         "citations": [{"source": 1, "quote": "More than 200,000 residents were evacuated from coastal villages"}]},
        {"text": "Stock markets in Tokyo closed higher.",
         "citations": [{"source": 1, "quote": "The storm made landfall on Samar island"}]},
    ]}
    openai_server.script(ok(json.dumps(reply)))
    brief = build_brief(_storm_corpus(corpus), as_of=AS_OF, embeddings=embeddings, chat=chat)
    assert [p.text for p in brief.stories[0].key_points] == ["Evacuations emptied coastal villages."]


def test_a_toll_reported_again_the_next_day_is_an_update_not_a_contradiction(embeddings) -> None:
    """12 dead on the first day and 31 the next is a running figure (bench/disagreements' labelling rule)."""
    first = _article("toll-1", "Typhoon Hagupit kills 12 in the Philippines", STORM_TEXT.format(dead=12),
                     "reuters.com", date(2024, 6, 19))
    next_day = _article("toll-2", "Typhoon Hagupit leaves 31 dead in central Philippines",
                        STORM_TEXT.format(dead=31), "bbc.co.uk", date(2024, 6, 20))
    brief = build_brief([first, next_day], as_of=AS_OF, window_hours=48, embeddings=embeddings)
    storm = _story(brief, "toll-1")
    assert set(storm.article_ids) == {"toll-1", "toll-2"}
    assert not [c for c in storm.contradictions if c.claim.startswith("Sources disagree")]
