"""The offline answer: the retrieved sentences that best answer the question, each cited, or a refusal.

With no LLM this is what users read, so it picks sentences that *answer* (they hold the kind of thing
the question asks for: a name for "who", a number for "how many") rather than ones that only restate it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.answer.asked_fact import asked_values, two_sides
from retrieval.answer.lead import SourceFacts, choose_lead
from retrieval.answer.numbering import SourceNumbering
from retrieval.answer.question_kinds import answer_type_match, question_kind
from retrieval.answer.sentence_vectors import SENTENCE_VECTORS
from retrieval.answer.terms import coverage, novelty, weighted_terms
from retrieval.claims.values import compatible
from retrieval.models import Answer, Citation, ScoredChunk
from retrieval.text.cues import is_page_note
from retrieval.text.instructions import is_instruction
from retrieval.text.markers import marker
from retrieval.text.sentences import split_sentences
from retrieval.text.stems import WORD, content_stems

REFUSAL_TEXT = "I couldn't find this in my sources."
MIN_SENTENCE_CHARS = 25
MAX_SENTENCE_CHARS = 600
MAX_SENTENCES_PER_CHUNK = 40
# How a sentence is chosen: weights of parts in [0, 1], from a coarse grid on the dev set (similarity
# dominates; the other parts each moved answer accuracy by a point or two).
SIMILARITY_WEIGHT = 0.55
COVERAGE_WEIGHT = 0.15
ANSWER_TYPE_WEIGHT = 0.20
RANK_WEIGHT = 0.05
LENGTH_WEIGHT = 0.25  # longer sentences carry more facts; saturates at LENGTH_SATURATION_CHARS
LENGTH_SATURATION_CHARS = 300
RESTATING_PENALTY = 0.15  # a sentence that adds (almost) nothing beyond the question's own words
RESTATING_NOVELTY = 0.25  # share of new content words under which a sentence only restates
SECONDARY_SENTENCE_FLOOR = 0.6  # a 2nd/3rd sentence needs this share of the best score and evidence
# Two sentences say the same thing (an article's body sentence and its own key-point bullet, one outlet's
# copy of another's) when their meaning is this close, or when most of the shorter one's words are in
# the other: the answer then gives only the first.
NEAR_DUPLICATE_COSINE = 0.9
NEAR_DUPLICATE_WORD_JACCARD = 0.7
NEAR_DUPLICATE_WORD_CONTAINMENT = 0.7  # an outlet's paraphrase of another's history shares ~3/4 of its words
# Whether to answer at all: evidence of the best sentence (see `evidence_score`), compared with
# `Settings.refusal_threshold` (0.40: chosen by `briefbot eval --folds week`, the best refusal rate minus
# false refusal rate on the other 11 weeks for every held-out week; past it false refusals climb fast).
EVIDENCE_SIMILARITY_WEIGHT = 0.5  # the rest is coverage of the question's terms
UNTYPED_EVIDENCE_FACTOR = 0.6  # a sentence without the asked-for kind of thing (or a why/how question)

@dataclass(frozen=True)
class _Candidate:
    """One sentence of one retrieved chunk, with the parts of its score (kept apart for evaluation)."""

    sentence: str
    source: int  # index into the retrieved sources, 0 = best ranked
    similarity: float
    coverage: float
    answer_type: float
    restating: bool
    vector: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32), compare=False, repr=False)

    def score(self, n_sources: int) -> float:
        """How likely this sentence is to hold the answer, relative to the other candidates."""
        rank_prior = 1.0 - self.source / max(n_sources, 1)
        length = min(len(self.sentence), LENGTH_SATURATION_CHARS) / LENGTH_SATURATION_CHARS
        return (
            SIMILARITY_WEIGHT * self.similarity
            + COVERAGE_WEIGHT * self.coverage
            + ANSWER_TYPE_WEIGHT * self.answer_type
            + RANK_WEIGHT * rank_prior
            + LENGTH_WEIGHT * length
            - (RESTATING_PENALTY if self.restating else 0.0)
        )

    @property
    def evidence(self) -> float:
        """How well this sentence supports an answer: relevance (meaning and the question's own terms) times
        whether it holds a thing of the asked-for kind. Rank-free, so comparable across questions."""
        relevance = EVIDENCE_SIMILARITY_WEIGHT * self.similarity + (1 - EVIDENCE_SIMILARITY_WEIGHT) * self.coverage
        return relevance * (1.0 if self.answer_type >= 1.0 else UNTYPED_EVIDENCE_FACTOR)


def extractive_answer(
    question: str,
    sources: Sequence[ScoredChunk],
    embeddings: Embeddings,
    *,
    refusal_threshold: float,
    max_sentences: int = 3,
) -> Answer:
    """Answer with up to `max_sentences` retrieved sentences, each followed by `[n]`; refuse on weak evidence."""
    answer, evidence = answer_and_evidence(question, sources, embeddings, max_sentences=max_sentences)
    return answer if evidence >= refusal_threshold else refusal(question)


def answer_and_evidence(
    question: str, sources: Sequence[ScoredChunk], embeddings: Embeddings, *, max_sentences: int = 3
) -> tuple[Answer, float]:
    """The best answer the sources allow, never refused unless empty, and its evidence score.

    Kept apart from the refusal decision so the evaluation can sweep thresholds without re-embedding.
    """
    candidates = score_sentences(question, sources, embeddings)
    if not candidates:
        return refusal(question), float("-inf")
    kind = question_kind(question)

    def article_of(i: int) -> str:
        return sources[i].chunk.article_id

    def is_note(i: int) -> bool:
        return sources[i].chunk.kind == "contradiction"

    by_score = sorted(candidates, key=lambda c: c.score(len(sources)), reverse=True)
    facts = SourceFacts(len(sources), article_of, lambda i: sources[i].chunk.published, is_note)
    lead = choose_lead(by_score, kind, question, weighted_terms(question), facts)
    news = [c for c in by_score if not is_page_note(c.sentence)]  # the lead's own pool leaves them out too
    ranked = [lead, *(c for c in news if c is not lead)]
    chosen = _pick(ranked, len(sources), max_sentences, question)
    sides = two_sides(lead, ranked, kind, question, article_of, is_note)
    context = [c for c in by_score[:1] if c is not lead and c in news]  # the best match, as context
    given = _after_lead(chosen, sides, context, max_sentences, question)
    return _compose(question, given, sources), evidence_score(candidates)


def _after_lead(
    chosen: list[_Candidate], sides: list[_Candidate], context: list[_Candidate], limit: int, question: str
) -> list[_Candidate]:
    """The lead, then both sides of a dispute, then the best match for context, then the rest as room
    allows (at most `limit` in all); nothing that repeats a sentence already given."""
    lead, given = chosen[0], [chosen[0]]
    for candidate in [*dict.fromkeys(sides), *context, *chosen[1:]]:
        if candidate is lead or candidate in given:
            continue
        if candidate in sides or not _repeats(candidate, given, question):
            given.append(candidate)
    return given[:limit]


def refusal(question: str) -> Answer:
    return Answer(question=question, text=REFUSAL_TEXT, refused=True, mode="extractive")


def evidence_score(candidates: Sequence[_Candidate]) -> float:
    """The strongest evidence any sentence gives; compared with `Settings.refusal_threshold`."""
    return max((c.evidence for c in candidates), default=float("-inf"))


def score_sentences(question: str, sources: Sequence[ScoredChunk], embeddings: Embeddings) -> list[_Candidate]:
    """Every usable sentence of the sources with its score parts; sentences are embedded in one batch."""
    pairs = [(i, s) for i, src in enumerate(sources) for s in _sentences(src.chunk.text)]
    if not pairs:
        return []
    vectors = SENTENCE_VECTORS.embed(embeddings, [s for _, s in pairs])
    query = np.asarray(embeddings.embed_query(question), dtype=np.float32)
    similarities = vectors @ query / np.clip(np.linalg.norm(vectors, axis=1) * np.linalg.norm(query), 1e-9, None)
    terms = weighted_terms(question)
    kind = question_kind(question)
    question_stems = set(terms)
    return [
        _Candidate(
            sentence=sentence,
            source=i,
            similarity=float(max(similarities[j], 0.0)),
            coverage=coverage(terms, sentence),
            answer_type=answer_type_match(kind, sentence, question),
            restating=novelty(sentence, question_stems) < RESTATING_NOVELTY,
            vector=vectors[j],
        )
        for j, (i, sentence) in enumerate(pairs)
    ]


def _pick(ranked: list[_Candidate], n_sources: int, limit: int, question: str) -> list[_Candidate]:
    """The best sentences, one per chunk (more sources, more chances), each nearly as likely and as
    relevant as the best one, and no two saying the same thing."""
    score_floor = max(c.score(n_sources) for c in ranked) * SECONDARY_SENTENCE_FLOOR
    evidence_floor = max(c.evidence for c in ranked) * SECONDARY_SENTENCE_FLOOR
    chosen: list[_Candidate] = []
    for candidate in ranked:
        if len(chosen) >= limit or (chosen and candidate.score(n_sources) < score_floor):
            break  # the first one leads whatever its score: it may hold the asked value
        if any(c.source == candidate.source for c in chosen):
            continue
        if chosen and (candidate.evidence < evidence_floor or _repeats(candidate, chosen, question)):
            continue
        chosen.append(candidate)
    return chosen


def _repeats(candidate: _Candidate, chosen: Sequence[_Candidate], question: str) -> bool:
    """Does `candidate` say what a chosen sentence already says (see NEAR_DUPLICATE_*)?"""
    kind = question_kind(question)
    words = set(content_stems(candidate.sentence))
    for other in chosen:
        if _values_differ(candidate.sentence, other.sentence, kind, question):
            continue  # two accounts of one fact (40,000 against 15,000) are both given
        other_words = set(content_stems(other.sentence))
        shared = len(words & other_words)
        if words and other_words and (
            shared / len(words | other_words) >= NEAR_DUPLICATE_WORD_JACCARD
            or shared / min(len(words), len(other_words)) >= NEAR_DUPLICATE_WORD_CONTAINMENT
        ):
            return True
        if _cosine(candidate.vector, other.vector) >= NEAR_DUPLICATE_COSINE:
            return True
    return False


def _values_differ(left: str, right: str, kind: str, question: str) -> bool:
    """Do the two sentences give different values of the asked kind (40,000 against 15,000)?"""
    left_values, right_values = asked_values(kind, left, question), asked_values(kind, right, question)
    return bool(left_values and right_values) and not any(compatible(v, w) for v in left_values for w in right_values)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    if a.size == 0 or a.shape != b.shape:
        return 0.0
    return float(a @ b / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-9))


def _compose(question: str, chosen: list[_Candidate], sources: Sequence[ScoredChunk]) -> Answer:
    """`sentence [n]` for each chosen sentence, n its article's number; an article's citation quotes
    the first of its sentences used."""
    numbering = SourceNumbering.of(sources)
    citations: dict[int, Citation] = {}
    parts: list[str] = []
    for candidate in chosen:
        n, chunk = numbering.retrieved[candidate.source]
        if n not in citations:
            citations[n] = numbering.article(n).citation(chunk, candidate.sentence)
        parts.append(f"{candidate.sentence} {marker(n)}")
    ordered = tuple(sorted(citations.values(), key=lambda c: c.n))
    return Answer(question=question, text=" ".join(parts), citations=ordered, mode="extractive")


def _sentences(text: str) -> list[str]:
    """Whole sentences of a chunk (exact substrings of it, so a quote can be checked against its source);
    never one that gives orders to the reader or to a model, which the bot would then present as news."""
    sentences = (s.lstrip("-*• ") for s in split_sentences(text))  # key-point chunks are bullet lists
    found = [
        s for s in sentences
        if MIN_SENTENCE_CHARS <= len(s) <= MAX_SENTENCE_CHARS and WORD.search(s) and not is_instruction(s)
    ]
    return found[:MAX_SENTENCES_PER_CHUNK]
