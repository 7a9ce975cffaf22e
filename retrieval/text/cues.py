"""Words that say what a sentence does rather than what it reports: it negates, it gives a reason, or it is
a publication's note about its own page. One vocabulary each; the stages that read them name their uses.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

# --- negation ---------------------------------------------------------------------------------------
NEGATIONS = frozenset({"not", "no", "never", "n't", "none", "neither", "nor", "without"})
# "without" negates a phrase ("launched on Feb. 14 without fanfare"), not what its clause asserts.
CLAUSE_NEGATIONS = NEGATIONS - {"without"}


def negation_pattern(words: Collection[str]) -> re.Pattern[str]:
    """Any of `words` in a text, any case: whole words, and a clitic ("n't") at a word's end in either
    apostrophe ("didn’t")."""
    whole = "|".join(re.escape(w) for w in sorted(words) if "'" not in w)
    clitics = [re.escape(w).replace("'", "[’']") + r"\b" for w in sorted(words) if "'" in w]
    return re.compile("|".join([rf"\b(?:{whole})\b", *clitics]), re.IGNORECASE)


CLAUSE_NEGATION = negation_pattern(CLAUSE_NEGATIONS)

# --- reasons ----------------------------------------------------------------------------------------
# The cue words that open an explanation, by name. Not "after": the next stop of a trip is no reason for it.
EXPLANATION_CUES: dict[str, str] = {
    "because": "because", "due to": "due to", "as a result": "as a result", "in order to": "in order to",
    "so that": "so that", "amid": "amid", "aim to": "aim(?:s|ed)? to", "goal": "goal", "purpose": "purpose",
    "reason": "reason", "cause": "caus(?:e|ed|es)", "causing": "causing", "led to": "led to",
    "fear": "fear(?:s|ing)?", "concern": "concerns?", "worry": "worr(?:y|ies|ied)", "designed to": "designed to",
    "intended to": "intended to", "meant to": "meant to", "seek to": "seek(?:s|ing)? to",
    "in an effort to": "in an effort to", "following": "following",
}
# The lead's reason slots (retrieval/answer/lead.py) leave these out: its weights were fitted with the
# cue list it had then, which did not hold them; adding them would need the fit checked again.
NOT_A_LEADS_REASON = frozenset({"goal", "purpose", "causing", "fear", "concern", "worry", "following"})


def cue_pattern(names: Sequence[str]) -> re.Pattern[str]:
    """The named cues of EXPLANATION_CUES as one whole-word pattern, any case."""
    return re.compile(rf"\b(?:{'|'.join(EXPLANATION_CUES[n] for n in names)})\b", re.IGNORECASE)


EXPLANATION = cue_pattern(list(EXPLANATION_CUES))
REASON = cue_pattern([n for n in EXPLANATION_CUES if n not in NOT_A_LEADS_REASON])

# --- a page's notes about itself --------------------------------------------------------------------
_EDITORS_NOTE = r"editor'?s?[’']?s? note"
_PAGES = ("story", "article", "post")


def _this_page(pages: Sequence[str], verbs: Sequence[str], states: Sequence[str]) -> str:
    return rf"this (?:{'|'.join(pages)}) (?:{'|'.join(verbs)}) (?:{'|'.join(states)})"


# Anywhere in a sentence: a label, a correction or an update ("An earlier version of this story...").
_NOTE_ANYWHERE = re.compile(
    rf"^(?:opinion|analysis|correction|clarification|update|{_EDITORS_NOTE})\s*:|because of an? "
    r"(?:editing|reporting|production) error|an earlier version of this|"
    + _this_page((*_PAGES, "report"), ("was", "has been"), ("updated", "corrected")),
    re.IGNORECASE)
# At a text's start: what introduces instead of reporting (a podcast intro, an editor's note, a byline).
_NOTE_AT_START = re.compile(
    r"^(?:(?:on|in)\s+(?:today's|this week's|\w+day's|the latest|this)\s+(?:\w+\s+){0,3}?"
    r"(?:episode|edition|show|podcast|installment|newsletter)"
    rf"|{_EDITORS_NOTE}|programming note|"
    + _this_page(_PAGES, ("was", "has been", "is"), ("updated", "corrected", "part of"))
    + r"|(?:listen|watch|subscribe|sign up)\b|(?:by|from)\s+[A-Z][\w.'’-]+"
    r"(?:\s+[A-Z][\w.'’-]+){0,3}\s*(?:,|\||$)|welcome to\b|hello,? and welcome|(?:photo|image|video) "
    r"(?:credit|courtesy)|this is (?:an? )?(?:edition|episode))",
    re.IGNORECASE,
)


def is_page_note(sentence: str) -> bool:
    """A publication's note about its own text (a correction, an update, an opinion label), anywhere in
    the sentence: it reports no news, so it never answers."""
    return bool(_NOTE_ANYWHERE.search(sentence))


def is_intro(sentence: str) -> bool:
    """An opener that introduces instead of reporting: a podcast intro, an editor's note, a byline."""
    return bool(_NOTE_AT_START.match(sentence.strip(" \"'“”‘’*_-—")))
