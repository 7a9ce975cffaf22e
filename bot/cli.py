"""`briefbot` command line: the same service the Discord bot uses."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.settings import BotSettings
from bot.utils import redact
from retrieval.errors import BriefbotError, UnsafeURLError
from retrieval.models import Answer, IndexProgress, IndexReport
from retrieval.text.sanitise import safe_url, sanitise, sanitise_line, strip_controls

if TYPE_CHECKING:
    from retrieval.service import BriefbotService

console = Console(stderr=True)
QUIET_LOGGERS = ("bm25s", "chromadb", "httpx", "httpcore", "openai", "discord", "trafilatura")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = _settings(args)
    configure_logging(settings.log_level)
    try:
        return int(args.handler(args, settings) or 0)
    except BriefbotError as exc:
        console.print(f"[red]error:[/red] {_plain(str(exc))}")
        return 2


def configure_logging(level: str) -> None:
    """Our log level for our code; chatty libraries stay at WARNING unless asked for DEBUG."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact.install()
    if level.upper() != "DEBUG":
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)


def _settings(args: argparse.Namespace) -> BotSettings:
    overrides = {"data_dir": Path(args.data_dir)} if getattr(args, "data_dir", None) else {}
    return BotSettings(**overrides)  # type: ignore[arg-type]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="briefbot", description=__doc__)
    parser.add_argument("--data-dir", help="index and state folder (default: BRIEFBOT_DATA_DIR or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    index = sub.add_parser("index", help="index files/folders, or every configured source")
    index.add_argument("paths", nargs="*", type=Path)
    index.add_argument("--rebuild", action="store_true", help="build a new index and switch to it atomically")
    index.set_defaults(handler=_cmd_index)

    ask = sub.add_parser("ask", help="answer a question with citations")
    ask.add_argument("question")
    ask.add_argument("--as-of", type=_parse_datetime, help="answer as of this date (YYYY-MM-DD)")
    ask.add_argument("--json", action="store_true")
    ask.set_defaults(handler=_cmd_ask)

    brief = sub.add_parser("brief", help="print the brief of a time window")
    brief.add_argument("--topic")
    brief.add_argument("--as-of", type=_parse_datetime)
    brief.add_argument("--hours", type=_positive_int, default=24, help="window length before --as-of (default 24)")
    brief.add_argument("--json", action="store_true")
    brief.set_defaults(handler=_cmd_brief)

    evaluate = sub.add_parser("eval", help="retrieval and answer evaluation on a realtimeqa-dev folder")
    evaluate.add_argument("dir", type=Path)
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--folds", choices=["week"], help="also every figure per held-out week (mean, spread, "
                          "worst week) and the refusal threshold chosen across weeks")
    evaluate.set_defaults(handler=_cmd_eval)

    conflicts = sub.add_parser("eval-conflicts", help="contradiction detection on an rgb-conflicts folder")
    conflicts.add_argument("dir", type=Path)
    conflicts.add_argument("--json", action="store_true")
    conflicts.set_defaults(handler=_cmd_eval_conflicts)

    sources = sub.add_parser("sources", help="list, add or remove configured sources")
    sources.add_argument("action", choices=["list", "add", "remove"])
    sources.add_argument("kind", nargs="?", choices=["folder", "feed", "url"])
    sources.add_argument("value", nargs="?")
    sources.set_defaults(handler=_cmd_sources)

    prune = sub.add_parser("prune", help="remove every article published before a date, with its chunks")
    prune.add_argument("--before", type=_parse_date, required=True, help="first day kept (YYYY-MM-DD)")
    prune.set_defaults(handler=_cmd_prune)

    run = sub.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    run.set_defaults(handler=_cmd_run)
    return parser


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be a whole number of hours, at least 1")
    return number


def _parse_datetime(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (use YYYY-MM-DD)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(hour=23, minute=59) if len(value) <= 10 else parsed
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _service(settings: BotSettings) -> BriefbotService:
    from retrieval.service import BriefbotService

    return BriefbotService.from_settings(settings)


def _cmd_index(args: argparse.Namespace, settings: BotSettings) -> int:
    service = _service(settings)
    with _progress_bar() as on_progress:
        report = service.index(args.paths or None, rebuild=args.rebuild, progress=on_progress)
    _print_report(report)
    return 0


def _progress_bar() -> AbstractContextManager[Callable[[IndexProgress], None]]:
    """A rich progress bar fed by IndexProgress updates."""
    @contextmanager
    def bar() -> Iterator[Callable[[IndexProgress], None]]:
        columns = (TextColumn("indexing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.fields[detail]}"))
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("index", total=None, detail="")

            def update(p: IndexProgress) -> None:
                detail = f"unchanged {p.unchanged}, failed {p.failed}"
                progress.update(task, total=p.total, completed=p.done, detail=detail)

            yield update

    return bar()


def _print_report(report: IndexReport) -> None:
    console.print(
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"removed {report.removed}, merged duplicates {report.merged_duplicates}, "
        f"chunks embedded {report.chunks_embedded}, failures {len(report.failures)} "
        f"({report.seconds:.1f} s)"
    )
    for failure in report.failures:
        console.print(f"  [yellow]skipped[/yellow] {_plain(failure.origin)}: {_plain(failure.reason)}")


def _plain(text: str) -> str:
    """Path- or article-derived text for the rich console: no escapes, and `[...]` shown, never parsed."""
    return escape(strip_controls(text))


def _cmd_ask(args: argparse.Namespace, settings: BotSettings) -> int:
    answer = _service(settings).ask(args.question, as_of=args.as_of)
    if args.json:
        print(answer.model_dump_json(indent=2))
    else:
        print(format_answer(answer))
    return 0


def format_answer(answer: Answer) -> str:
    """Plain-text answer with a numbered source list (title, outlet, date, link), every article-derived
    part through the one sanitiser: no terminal escapes, no link to a host the sources do not own."""
    allowed = [c.url for c in answer.citations]
    lines = [sanitise(answer.text, allowed)]
    for d in answer.disagreements:
        sides = "; ".join(f"{sanitise(text, allowed)} {''.join(f'[{n}]' for n in cites)}" for text, cites in d.sides)
        lines.append(f"Sources disagree on {sanitise_line(d.topic)}: {sides}")
    if answer.note:
        lines.append(f"({sanitise(answer.note)})")
    if answer.citations:
        lines.append("\nSources:")
        for c in answer.citations:
            when = c.published.isoformat() if c.published else "undated"
            url = safe_url(c.url)
            link = f" <{url}>" if url else ""
            lines.append(f"[{c.n}] {sanitise_line(c.title)} — {sanitise_line(c.outlet)}, {when}{link}")
    return "\n".join(lines)


def _cmd_brief(args: argparse.Namespace, settings: BotSettings) -> int:
    service = _service(settings)
    brief = service.brief(as_of=args.as_of, topic=args.topic, window_hours=args.hours)
    if args.json:
        print(brief.model_dump_json(indent=2))
    else:
        from bot.render.markdown import render_brief_markdown

        print(render_brief_markdown(brief))
    return 0


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


def _cmd_prune(args: argparse.Namespace, settings: BotSettings) -> int:
    report = _service(settings).prune(args.before)
    console.print(f"removed {report.removed} article(s) published before {args.before.isoformat()}")
    return 0


def _cmd_eval(args: argparse.Namespace, settings: BotSettings) -> int:
    from retrieval.eval.realtimeqa import run_eval

    result = run_eval(args.dir, settings, by_week=args.folds == "week")
    _print_result(result, args.json)
    return 0


def _cmd_eval_conflicts(args: argparse.Namespace, settings: BotSettings) -> int:
    from retrieval.eval.conflicts import evaluate_conflicts
    from retrieval.index.embeddings import embeddings_from_settings

    result = evaluate_conflicts(args.dir / "cases.jsonl", embeddings_from_settings(settings))
    _print_result(result, args.json)
    return 0


def _print_result(result: dict[str, object], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


def _cmd_sources(args: argparse.Namespace, settings: BotSettings) -> int:
    from retrieval.ingest import configured_sources

    handlers: dict[str, Callable[[], object]] = {
        "list": lambda: configured_sources.list_sources(settings),
        "add": lambda: configured_sources.add_source(settings, _need(args.kind, "kind"), _need(args.value, "value")),
        "remove": lambda: configured_sources.remove_source(
            settings, _need(args.kind, "kind"), _need(args.value, "value")
        ),
    }
    try:
        config = handlers[args.action]()
    except UnsafeURLError as exc:
        raise BriefbotError(
            f"{args.value}: {exc}. Sources must be http(s) URLs that do not point at loopback, private, "
            "link-local or reserved addresses."
        ) from exc
    print(config.model_dump_json(indent=2) if hasattr(config, "model_dump_json") else config)
    return 0


def _need(value: str | None, name: str) -> str:
    if not value:
        raise BriefbotError(f"`briefbot sources add|remove` needs a {name} (folder, feed or url, then the value).")
    return value


def _cmd_run(args: argparse.Namespace, settings: BotSettings) -> int:
    from bot import run_bot

    run_bot(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
