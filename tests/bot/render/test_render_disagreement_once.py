"""Issue 13: a disagreement notice is shown once — in the answer's text, not again as a field."""

from __future__ import annotations

from bot.render import messages as render
from retrieval.claims.disagreements import describe
from retrieval.models import Answer, Citation, Disagreement

NOTICE = Disagreement(topic="the figure (flights cancelled)", sides=(("5,500", (1,)), ("4,500", (2,))))


def _citation(n: int) -> Citation:
    return Citation(n=n, article_id=f"a{n}", chunk_id=f"a{n}:0", title=f"Story {n}", outlet="Outlet")


def test_the_notice_in_the_text_is_not_repeated_as_a_field() -> None:
    answer = Answer(question="How many flights did Delta cancel?", text=f"Delta cancelled flights [1].\n\n"
                    f"{describe(NOTICE)}", citations=(_citation(1), _citation(2)), disagreements=(NOTICE,))
    (message,) = render.render_answer(answer)
    shown = " ".join([e.description or "" for e in message.embeds]
                     + [f"{f.name} {f.value}" for e in message.embeds for f in e.fields])
    assert shown.count("Sources disagree") == 1
    assert "5,500, say [1]" in (message.embeds[0].description or "")
    assert "How many flights did Delta cancel" not in describe(NOTICE)
