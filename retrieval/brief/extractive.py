"""The extractive story: a summary, MMR key points and the disagreements `contradictions` finds, all cited.

A summary and a key point are sentences that state news on their own: never an outlet's learnt
boilerplate, an intro (podcast, editor's note, byline), or a fragment that leans on the sentence
before it ("That kind of success…").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from retrieval.brief.boilerplate import BoilerplateModel
from retrieval.brief.models import ContradictionSide, KeyPoint, Story, StoryContradiction
from retrieval.brief.stories import (
    MAX_ARTICLES_PER_STORY,
    MAX_KEY_POINTS,
    MAX_SENTENCES_PER_ARTICLE,
    CachedEmbeddings,
    Numbering,
    StoryGroup,
    headline,
)
from retrieval.claims.disagreements import find_disagreements_in_texts
from retrieval.models import Article, Citation
from retrieval.text.cues import is_intro
from retrieval.text.instructions import is_instruction, news_sentences
from retrieval.text.sentences import split_sentences

MIN_POINT_CHARS = 40
MAX_POINT_CHARS = 240  # a key point is short; longer sentences are quote walls
MAX_SUMMARY_CHARS = 420  # the second summary sentence only while both fit
MIN_POINT_WORDS = 6
MMR_LAMBDA = 0.7  # weight of centrality against novelty
SAME_SENTENCE_COSINE = 0.9  # another outlet's sentence this close says the same: cite it too
SIDE_SUPPORT_COSINE = 0.55
BRIEFING_POINT_BONUS = 0.05
SUMMARY_SENTENCES = 2

_SENTENCE_END = re.compile(r"[.!][\"'”’)]*$")  # a statement: questions and teasers are not key points
_SIDES = re.compile(r"^(?:while|whereas|although|though)\s+(?P<a>.+?),\s+(?P<b>.+)$", re.IGNORECASE)
_LEANS_BACK = frozenset(
    """it its he she they them his her their but and so yet also still such then which or nor plus however
    meanwhile instead thus hence otherwise likewise besides anyway""".split()  # noqa: SIM905 - a word list
)
_DEMONSTRATIVES = frozenset({"this", "that", "these", "those"})
_TIME_WORDS = frozenset({"week", "weekend", "year", "month", "morning", "afternoon", "evening", "season", "spring",
                         "summer", "fall", "autumn", "winter", "time", "day", "is", "was"})
_SIDE_BREAK = re.compile(r";\s+|,?\s+(?:but|while|whereas)\s+|,\s+however,\s+", re.IGNORECASE)


@dataclass(frozen=True)
class _Sentence:
    article: Article
    text: str
    from_briefing: bool = False


def extractive_story(
    group: StoryGroup, numbering: Numbering, vectors: CachedEmbeddings, boilerplate: BoilerplateModel | None = None
) -> Story:
    furniture = boilerplate or BoilerplateModel()
    central = group.articles[0]
    summary = _summary(central, furniture)
    pool = [c for c in _candidates(group, furniture) if c.text not in summary]
    return Story(
        headline=headline(central),
        summary=" ".join(summary),
        summary_citations=tuple(numbering.cite(central, s) for s in summary if s in central.text)
        or (numbering.cite(central, summary[0]),),
        key_points=_key_points(pool, summary, numbering, vectors),
        contradictions=(*_briefing_contradictions(group, numbering, vectors), *_detected(group, numbering, vectors)),
        coverage=len(group.outlets),
        outlets=group.outlets,
        single_source=len(group.outlets) == 1,
        article_ids=tuple(a.id for a in group.articles),
        latest=group.latest,
    )


def _summary(central: Article, furniture: BoilerplateModel) -> list[str]:
    """The central article's first one or two sentences that state the news on their own."""
    sentences = news_sentences(central.text)
    fit = [s for s in sentences if len(s) >= MIN_POINT_CHARS and _news(central, s, furniture)]
    summary = fit[:1]
    if len(fit) > 1 and len(fit[0]) + len(fit[1]) < MAX_SUMMARY_CHARS and _stands_alone(fit[1]):
        summary.append(fit[1])
    fallback = [s for s in sentences if not _boilerplate(central, s, furniture)][:1]
    return summary or fallback or sentences[:1] or [central.title]


def _candidates(group: StoryGroup, furniture: BoilerplateModel | None = None) -> list[_Sentence]:
    furniture = furniture or BoilerplateModel()
    found: list[_Sentence] = []
    for article in group.articles[:MAX_ARTICLES_PER_STORY]:
        found.extend(_Sentence(article, line, True) for line in article.key_points if not is_instruction(line))
        sentences = split_sentences(article.text)[:MAX_SENTENCES_PER_ARTICLE]
        found.extend(_Sentence(article, s) for s in sentences if _point_like(s) and _news(article, s, furniture))
    return [c for c in found if c.text]


def _point_like(sentence: str) -> bool:
    """A whole, short sentence: not a link teaser, a headline run into the text, or a quote wall."""
    return (MIN_POINT_CHARS <= len(sentence) <= MAX_POINT_CHARS and bool(_SENTENCE_END.search(sentence))
            and len(sentence.split()) >= MIN_POINT_WORDS and not is_instruction(sentence))


def _boilerplate(article: Article, sentence: str, furniture: BoilerplateModel) -> bool:
    return is_intro(sentence) or any(furniture.is_boilerplate(o, sentence) for o in {article.outlet, *article.outlets})


def _news(article: Article, sentence: str, furniture: BoilerplateModel) -> bool:
    """Reads as news on its own: not the outlet's furniture, not an intro, not leaning on what came before."""
    return not _boilerplate(article, sentence, furniture) and _stands_alone(sentence)


def _stands_alone(sentence: str) -> bool:
    """Not a fragment that needs the previous sentence: "That kind of success…", "But he said…"."""
    words = re.findall(r"[\w'’]+", sentence.lower())
    if not words or sentence.rstrip().endswith(("…", "...")):
        return False
    if words[0] in _LEANS_BACK:
        return False
    return not (words[0] in _DEMONSTRATIVES and (len(words) < 2 or words[1] not in _TIME_WORDS))


def _key_points(
    pool: list[_Sentence], summary: list[str], numbering: Numbering, vectors: CachedEmbeddings
) -> tuple[KeyPoint, ...]:
    """MMR: central to the story (close to the mean sentence), unlike the summary and the points chosen."""
    if not pool:
        return ()
    matrix = vectors.matrix([c.text for c in pool])
    mean = matrix.mean(axis=0)
    centrality = matrix @ (mean / (np.linalg.norm(mean) + 1e-9))
    centrality += np.array([BRIEFING_POINT_BONUS if c.from_briefing else 0.0 for c in pool])
    said = (matrix @ vectors.matrix(summary).T).max(axis=1) if summary else np.zeros(len(pool))
    chosen: list[int] = []
    while len(chosen) < min(MAX_KEY_POINTS, len(pool)):
        redundancy = np.maximum(said, (matrix @ matrix[chosen].T).max(axis=1) if chosen else 0.0)
        scores = MMR_LAMBDA * centrality - (1 - MMR_LAMBDA) * redundancy
        scores[chosen] = -np.inf
        scores[redundancy >= SAME_SENTENCE_COSINE] = -np.inf
        best = int(np.argmax(scores))
        if not np.isfinite(scores[best]):
            break
        chosen.append(best)
    return tuple(KeyPoint(text=pool[i].text, citations=_same_said(i, pool, matrix, numbering)) for i in chosen)


def _same_said(index: int, pool: list[_Sentence], matrix: np.ndarray, numbering: Numbering) -> tuple[Citation, ...]:
    """The chosen sentence, plus each other article's sentence that says the same thing."""
    chosen = pool[index]
    citations = {chosen.article.id: numbering.cite(chosen.article, chosen.text)}
    similarities = matrix @ matrix[index]
    for other in np.argsort(-similarities):
        candidate = pool[int(other)]
        if similarities[other] < SAME_SENTENCE_COSINE:
            break
        if candidate.article.id not in citations:
            citations[candidate.article.id] = numbering.cite(candidate.article, candidate.text)
    return tuple(sorted(citations.values(), key=lambda c: c.n))


def _briefing_contradictions(
    group: StoryGroup, numbering: Numbering, vectors: CachedEmbeddings
) -> list[StoryContradiction]:
    """A briefing's "Contradictions" line, cited to it, each side backed by the story's own sentences."""
    body = [c for c in _candidates(group) if not c.from_briefing]
    found = []
    for article in group.articles:
        for line in (c for c in article.contradictions if not is_instruction(c)):
            line_citation = numbering.cite(article, line)
            sides = [
                ContradictionSide(says=says, citations=(line_citation, *_supporting(says, body, numbering, vectors)))
                for says in split_sides(line)
            ]
            found.append(StoryContradiction(claim=line, sides=tuple(sides)))
    return found


def _supporting(says: str, body: list[_Sentence], numbering: Numbering, vectors: CachedEmbeddings) -> list[Citation]:
    if not body:
        return []
    similarities = vectors.matrix([c.text for c in body]) @ vectors.matrix([says])[0]
    best = int(np.argmax(similarities))
    return [numbering.cite(body[best].article, body[best].text)] if similarities[best] >= SIDE_SUPPORT_COSINE else []


def split_sides(line: str) -> list[str]:
    """ "While A, B." → [A, B]; "A, but B" → [A, B]; otherwise the line itself."""
    text = line.strip().rstrip(".")
    match = _SIDES.match(text)
    parts = [match.group("a"), match.group("b")] if match else _SIDE_BREAK.split(text)
    parts = [p.strip(" ,;") for p in parts if p and p.strip(" ,;")]
    if len(parts) < 2:
        return [line.strip()]
    return [p[0].upper() + p[1:] for p in parts]


def _detected(group: StoryGroup, numbering: Numbering, vectors: CachedEmbeddings) -> list[StoryContradiction]:
    """Disagreements between the story's articles, found by `contradictions`, each side cited."""
    articles = group.articles[:MAX_ARTICLES_PER_STORY]
    if len(articles) < 2:
        return []
    # one sentence a paragraph, so a heading is not run into the next sentence
    texts = [("\n\n".join(split_sentences(a.text)[: MAX_SENTENCES_PER_ARTICLE * 2]), a.id) for a in articles]
    found = []
    published = [a.published for a in articles]  # a toll reported on two days is an update, not a dispute
    for disagreement in find_disagreements_in_texts(None, texts, vectors, published):
        sides = []
        for says, numbers in disagreement.sides:
            citations = [c for n in numbers if (c := _quote_citation(articles[n - 1], says, numbering))]
            if citations:
                sides.append(ContradictionSide(says=says, citations=tuple(citations)))
        if len(sides) >= 2:
            found.append(StoryContradiction(claim=f"Sources disagree on {disagreement.topic}", sides=tuple(sides)))
    return found


def _quote_citation(article: Article, says: str, numbering: Numbering) -> Citation | None:
    sentence = next((s for s in split_sentences(article.text) if says.lower() in s.lower()), None)
    return numbering.cite(article, sentence) if sentence else None

