"""workflows/ is the floor the engine stands on: it imports nothing from engine/ (nor web/, notifications/)."""

from __future__ import annotations

import ast
from pathlib import Path

import workflows

FORBIDDEN = ("engine", "web", "notifications")


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module", "__import__",
        ) and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.append((node.lineno, node.args[0].value))
    return found


def test_workflows_imports_nothing_from_the_engine_or_above():
    folder = Path(workflows.__file__).parent
    files = sorted(folder.rglob("*.py"))
    assert len(files) >= 5
    bad = [f"{p.relative_to(folder.parent)}:{line}: imports {name}" for p in files for line, name in imports_of(p)
           if name.split(".")[0] in FORBIDDEN]
    assert not bad, "\n".join(bad)


def test_the_scan_sees_every_kind_of_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import engine.errors\nfrom engine import x\nimport importlib\nimportlib.import_module('engine.y')\n",
                      encoding="utf-8")
    assert [n for _, n in imports_of(sample)] == ["engine.errors", "engine", "importlib", "engine.y"]


def test_the_engine_re_exports_the_definition_error():
    from engine import errors
    from workflows.errors import DefinitionError

    assert errors.DefinitionError is DefinitionError
