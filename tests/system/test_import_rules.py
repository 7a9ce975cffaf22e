"""The layout's rules, read from the code's own imports (ast): `bot → retrieval → prompts`, never back,
and no import circle between modules. An import inside a function counts like any other: a lazy import
hides a circle from Python, not from a reader."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

ROOT = REPO_ROOT
PACKAGES = ("bot", "retrieval", "prompts")
FORBIDDEN = {
    "retrieval": ("discord", "bot"),
    "prompts": ("discord", "bot", "retrieval"),
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    return {
        module_name(path, root): path
        for package in PACKAGES
        for path in sorted((root / package).rglob("*.py"))
    }


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of the nodes under `if TYPE_CHECKING:`: those imports never run, so they make no circle."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    return hidden


def imported_names(path: Path, name: str, *, runtime_only: bool = False) -> Iterator[str]:
    """Every module an import statement names, absolute, with `from x import y` as `x.y` (y may be a module).
    `runtime_only` leaves out the imports under `if TYPE_CHECKING:`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    hidden = _type_checking_only(tree) if runtime_only else set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Edges between project modules only; `from pkg import sub` points at the submodule itself."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_names(path, name, runtime_only=True):
            if imported in modules and imported != name:
                targets.add(imported)
        # `from a.b import c` yields both a.b and a.b.c; keep only the most specific one that exists
        graph[name] = {t for t in targets if not any(o.startswith(t + ".") for o in targets)}
    return graph


def rule_breaks(modules: dict[str, Path]) -> list[str]:
    breaks = []
    for name, path in modules.items():
        top = name.split(".")[0]
        for imported in imported_names(path, name):
            if imported.split(".")[0] in FORBIDDEN.get(top, ()):
                breaks.append(f"{name} imports {imported}")
    return sorted(set(breaks))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_dependencies_go_one_way_bot_retrieval_prompts() -> None:
    assert rule_breaks(project_modules()) == []


def test_no_module_is_part_of_an_import_circle() -> None:
    assert cycles(import_graph(project_modules())) == []


def _write(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return project_modules(root)


def test_the_rules_catch_discord_in_the_engine_and_the_engine_in_prompts(tmp_path: Path) -> None:
    modules = _write(tmp_path, {
        "retrieval/__init__.py": "",
        "retrieval/index/__init__.py": "",
        "retrieval/index/store.py": "import discord\n",
        "retrieval/answer.py": "def f():\n    from bot.render import messages\n",
        "prompts/__init__.py": "from retrieval.index import store\n",
        "bot/__init__.py": "import retrieval.index.store\n",
    })
    assert rule_breaks(modules) == [
        "prompts imports retrieval.index",
        "prompts imports retrieval.index.store",
        "retrieval.answer imports bot.render",
        "retrieval.answer imports bot.render.messages",
        "retrieval.index.store imports discord",
    ]


@pytest.mark.parametrize("lazy", [False, True])
def test_a_circle_is_found_even_through_a_lazy_or_relative_import(tmp_path: Path, lazy: bool) -> None:
    back = "def f():\n    from bot import app\n" if lazy else "from . import app\n"
    modules = _write(tmp_path, {
        "bot/__init__.py": "",
        "bot/app.py": "from bot.exts import ask, brief\n",
        "bot/exts/__init__.py": "",
        "bot/exts/ask.py": "from bot.utils import interactions\n",
        "bot/utils/__init__.py": "",
        "bot/utils/interactions.py": back.replace("from . import app", "from .. import app"),
        "bot/render.py": "import bot.app\n",
        "bot/exts/brief.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.app import X\n",
    })
    assert cycles(import_graph(modules)) == [["bot.app", "bot.exts.ask", "bot.utils.interactions"]]
