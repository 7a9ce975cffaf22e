"""retrieval/text is what every stage shares, so it imports none of them: index, search, answer, claims,
brief, eval and the service may import it, never the other way (one home per concept, no circle)."""

from __future__ import annotations

from pathlib import Path

from tests.system.test_import_rules import imported_names, project_modules

STAGES = ("index", "search", "answer", "claims", "brief", "eval", "service")


def stage_imports(modules: dict[str, Path]) -> list[str]:
    """Every import of a stage by a retrieval/text module."""
    found = set()
    for name, path in modules.items():
        if not name.startswith("retrieval.text"):
            continue
        found |= {f"{name} imports {imported}" for imported in imported_names(path, name)
                  if imported.split(".")[:2] in [["retrieval", stage] for stage in STAGES]}
    return sorted(found)


def test_the_shared_text_modules_import_no_stage() -> None:
    assert stage_imports(project_modules()) == []


def test_the_rule_catches_a_text_module_reaching_into_a_stage(tmp_path: Path) -> None:
    for relative, text in {"retrieval/__init__.py": "", "retrieval/text/__init__.py": "",
                           "retrieval/text/cues.py": "from retrieval.answer.lead import choose_lead\n",
                           "retrieval/answer/lead.py": "from retrieval.text.cues import REASON\n"}.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text, encoding="utf-8")
    assert stage_imports(project_modules(tmp_path)) == [
        "retrieval.text.cues imports retrieval.answer.lead",
        "retrieval.text.cues imports retrieval.answer.lead.choose_lead",
    ]
