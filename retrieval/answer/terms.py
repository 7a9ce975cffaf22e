"""The question's content terms and how a sentence covers them: stemmed words without stop words
(`retrieval.text.stems`), names and numbers weighing double (they pin a passage down). Shared by sentence
scoring and lead choice."""

from __future__ import annotations

from retrieval.text.stems import WORD, content_stem, content_stems


def weighted_terms(question: str) -> dict[str, float]:
    """Question content terms; names and numbers weigh double, being what pins a passage down."""
    weights: dict[str, float] = {}
    for index, word in enumerate(WORD.findall(question)):
        term = content_stem(word)
        if not term:
            continue
        is_name = index > 0 and word[0].isupper()
        weights[term] = max(weights.get(term, 0.0), 2.0 if is_name or word[0].isdigit() else 1.0)
    return weights


def coverage(terms: dict[str, float], sentence: str) -> float:
    """Share of the question's term weight that the sentence holds."""
    if not terms:
        return 0.0
    present = set(content_stems(sentence))
    return sum(w for t, w in terms.items() if t in present) / sum(terms.values())


def novelty(sentence: str, question_stems: set[str]) -> float:
    """Share of the sentence's content words that the question does not already contain."""
    words = content_stems(sentence)
    if not words:
        return 0.0
    return sum(1 for w in words if w not in question_stems) / len(words)
