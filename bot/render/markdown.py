"""The brief as Markdown for the command line, shaped like the seed briefing: summary, `Key points`,
`Contradictions`, then the sources. Pure: a `Brief` in, text out, already sanitised (no terminal escape,
no link to a host that is not one of the brief's own sources)."""

from __future__ import annotations

from bot.render.brief import brief_title, coverage_line, markers
from retrieval.brief.models import Brief, BriefSource, Story
from retrieval.text.sanitise import safe_url, strip_controls, strip_foreign_urls


def render_brief_markdown(brief: Brief) -> str:
    lines = [f"# {brief_title(brief)}", ""]  # the words of the Discord header: "Brief · 2024-06-19"
    if brief.note:
        lines += [f"_{brief.note}_", ""]
    if not brief.stories:
        lines.append("No articles in this window.")
    for number, story in enumerate(brief.stories, 1):
        lines += _story_lines(number, story)
    if brief.sources:
        lines.append("Sources")
        lines += [_source_line(source) for source in brief.sources]
    text = strip_controls("\n".join(lines).rstrip() + "\n")
    return strip_foreign_urls(text, [safe_url(s.url) for s in brief.all_sources()])


def _story_lines(number: int, story: Story) -> list[str]:
    coverage = coverage_line(story)
    if not story.single_source:
        coverage += f": {', '.join(story.outlets)}"
    lines = [f"## {number}. {story.headline}", f"_{coverage}_", "",
             f"{story.summary} {markers(story.summary_citations)}", ""]
    if story.key_points:
        lines.append("Key points")
        lines += [f"- {point.text} {markers(point.citations)}" for point in story.key_points]
        lines.append("")
    if story.contradictions:
        lines.append("Contradictions")
        for contradiction in story.contradictions:
            lines.append(f"- {contradiction.claim}")
            lines += [f"  - {side.says} {markers(side.citations)}" for side in contradiction.sides]
        lines.append("")
    if story.sources:  # a story numbered on its own lists its own sources
        lines += ["Sources", *(_source_line(source) for source in story.sources), ""]
    return lines


def _source_line(source: BriefSource) -> str:
    parts = [source.title, source.outlet]
    if source.published:
        parts.append(source.published.isoformat())
    if source.url:
        parts.append(source.url)
    return f"[{source.n}] " + " — ".join(parts)
