"""The package's layout: one topic per subpackage, imports pointing one way.

Each topic (a subpackage, or a module beside them) says in its docstring what it
may import (a line ``May import: riskkit.data, ...``); every import in its files,
at the top or inside a function, must be one of those (or of its own topic).
"""

import ast
import re
from pathlib import Path

import pytest

import riskkit

PACKAGE = Path(riskkit.__file__).parent
FREE = {"__init__", "__main__"}  # the package's face and the entry point import what they hand on


def _topics() -> dict[str, Path]:
    """Topic name -> the file holding its docstring."""
    found = {}
    for path in sorted(PACKAGE.iterdir()):
        if path.is_dir() and (path / "__init__.py").exists():
            found[path.name] = path / "__init__.py"
        elif path.suffix == ".py" and path.stem not in FREE:
            found[path.stem] = path
    return found


def _allowed(doc_file: Path) -> set[str]:
    doc = ast.get_docstring(ast.parse(doc_file.read_text())) or ""
    match = re.search(r"^May import: (.*?)\.\s*$", doc, flags=re.M | re.S)
    assert match, f"{doc_file.relative_to(PACKAGE.parent)}: the docstring has no 'May import:' line"
    line = match.group(1).split("\n\n")[0]
    return {m.split(" ")[0].strip(",") for m in re.findall(r"riskkit(?:\.\w+)?(?: \(\w+[^)]*\))?", line)}


def _imports(path: Path) -> set[str]:
    """The riskkit topics a file imports, as ``riskkit.<topic>`` (or ``riskkit``)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "riskkit":
            parts = node.module.split(".")
            names = [f"riskkit.{a.name}" for a in node.names] if len(parts) == 1 else [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.split(".")[0] == "riskkit"]
        for name in names:
            parts = name.split(".")
            out.add(".".join(parts[:2]) if len(parts) > 1 else "riskkit")
    return out


TOPICS = _topics()


def test_every_topic_is_a_subpackage_or_a_small_set_of_modules():
    """The listing shows the topics: no private module lies loose at the top."""
    loose = [p.name for p in PACKAGE.glob("_*.py") if p.stem not in FREE]
    assert loose == []
    assert {
        "data",
        "shrinkage",
        "decomposition",
        "allocation",
        "rebalancing",
        "hedging",
        "explorers",
        "reports",
    } <= {name for name, path in TOPICS.items() if path.name == "__init__.py"}


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_a_topic_imports_only_what_its_docstring_allows(topic):
    doc_file = TOPICS[topic]
    allowed = _allowed(doc_file) | {f"riskkit.{topic}"}
    files = sorted(doc_file.parent.rglob("*.py")) if doc_file.name == "__init__.py" else [doc_file]
    wrong = {}
    for path in files:
        if path.name == "__main__.py":
            continue
        extra = _imports(path) - allowed
        if extra:
            wrong[str(path.relative_to(PACKAGE.parent))] = sorted(extra)
    assert wrong == {}, f"{topic} may import {sorted(allowed)}; these files import more: {wrong}"


def test_the_allowed_imports_point_one_way():
    """No two topics may import each other: the layers form no circle."""
    graph = {f"riskkit.{t}": _allowed(p) - {"riskkit"} for t, p in TOPICS.items()}
    circles = sorted((a, b) for a in graph for b in graph[a] if a < b and a in graph.get(b, ()))
    assert circles == []


def test_the_former_top_level_modules_are_the_same_modules_under_their_old_names():
    import importlib

    for old, new in riskkit._MOVED.items():
        module = importlib.import_module(f"riskkit.{old}")
        assert module is importlib.import_module(new) is getattr(riskkit, old)
    from riskkit.policies import Calendar

    from riskkit.rebalancing.policies import Calendar as Same

    assert Calendar is Same
