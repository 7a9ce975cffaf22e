"""Follow-ups: what an earlier turn's question is about, and which articles the conversation already used.

"When does it take effect, and who signed it?" names nothing; it is about the law the thread started
with. The question is resolved against the earlier turns (the newest one that names its own subject)
for retrieval, and the articles the earlier answers cited are searched again beside fresh retrieval, so
a follow-up is refused only when neither holds the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.models import Turn

# Words that point back at something the question itself does not name.
_REFERS_BACK = re.compile(
    r"\b(?:it|its|it's|they|them|their|theirs|this|that|these|those|he|him|his|she|her|hers|"
    r"the same|similar|else|other|another|also|too|then)\b|^\s*(?:and|but|so|what about|how about)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][a-zA-Z'’.-]*[a-zA-Z]\b|\b\d")


def refers_back(question: str) -> bool:
    """True when the question leans on an earlier one: a pronoun or "similar", and no name of its own."""
    return bool(_REFERS_BACK.search(question)) and not _NAME.search(question)


def topic_question(history: Sequence[Turn]) -> str | None:
    """The newest earlier question that names its own subject (else the first one): what "it" means."""
    if not history:
        return None
    return next((t.question for t in reversed(history) if not refers_back(t.question)), history[0].question)


def resolved_question(question: str, history: Sequence[Turn]) -> str:
    """The question as the offline answer reads it: a follow-up that leans on an earlier question ("When
    does it take effect?") carries that question's subject, so the sentences about it can answer."""
    topic = topic_question(history)
    return f"{question} {topic}" if topic is not None and refers_back(question) else question


def retrieval_query(question: str, history: Sequence[Turn], recent_turns: int) -> str:
    """The question resolved against the conversation: the last `recent_turns` questions before it, and the
    subject it refers back to when that came earlier still ("it" three turns after "the new law")."""
    earlier = [turn.question for turn in history[-recent_turns:]] if recent_turns > 0 else []
    topic = topic_question(history)
    if topic is not None and topic not in earlier and refers_back(question):
        earlier.insert(0, topic)
    return " ".join([*earlier, question])


def earlier_article_ids(history: Sequence[Turn]) -> tuple[str, ...]:
    """The articles the conversation's answers cited, newest turn first, each once."""
    return tuple(dict.fromkeys(a for turn in reversed(history) for a in turn.article_ids))
