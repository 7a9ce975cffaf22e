"""A server's topic filter for its daily brief: include and exclude words or outlets.

Applied to the window's articles before stories are built, so an excluded article is in no story, no
key point and no source list. A term matches an outlet by name, or a whole word (case-insensitive)
of the title or text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.models import Article, Frozen


class TopicFilter(Frozen):
    include: tuple[str, ...] = ()  # when given, an article must match one of these
    exclude: tuple[str, ...] = ()  # an article matching any of these is left out

    @property
    def is_empty(self) -> bool:
        return not self.include and not self.exclude

    def apply(self, articles: Sequence[Article]) -> list[Article]:
        return [a for a in articles if self.keeps(a)]

    def keeps(self, article: Article) -> bool:
        if any(matches(article, term) for term in self.exclude):
            return False
        return not self.include or any(matches(article, term) for term in self.include)


def matches(article: Article, term: str) -> bool:
    wanted = term.strip().casefold()
    if not wanted:
        return False
    outlets = {o.casefold() for o in (article.outlet, *article.outlets)}
    if wanted in outlets:
        return True
    pattern = re.compile(rf"(?<!\w){re.escape(wanted)}(?!\w)", re.IGNORECASE)
    return bool(pattern.search(article.title) or pattern.search(article.text))
