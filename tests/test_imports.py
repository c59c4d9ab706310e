"""The import graph of riskkit has no cycles, counting imports inside functions too.

A function-level import hides a cycle from Python (it runs late) but not from a reader: the two
modules still depend on each other. The graph is read statically with ast from every module's source.
"""

import ast
from pathlib import Path

import riskkit

ROOT = Path(riskkit.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, modules: set, *, is_package: bool = False) -> set:
    """riskkit modules imported anywhere in ``tree`` (functions included, TYPE_CHECKING blocks not)."""
    found = set()
    package = module if is_package else module.rpartition(".")[0]

    def visit(node):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "riskkit":
                    found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x / from .y import z
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            if base.split(".")[0] == "riskkit":
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    found.add(sub if sub in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m in modules and m != module}


def import_graph() -> dict:
    paths = sorted(ROOT.rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    return {
        _module_name(p): _imports(
            ast.parse(p.read_text()), _module_name(p), modules, is_package=p.name == "__init__.py"
        )
        for p in paths
    }


def cycles(graph: dict) -> list:
    """Every strongly connected component of more than one module (Tarjan), sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return sorted(out)


def test_the_walker_sees_function_level_imports_and_skips_type_checking():
    modules = {
        "riskkit",
        "riskkit.a",
        "riskkit.b",
        "riskkit.c",
        "riskkit.pkg",
        "riskkit.pkg.d",
        "riskkit.pkg.e",
    }
    src = (
        "from typing import TYPE_CHECKING\n"
        "import riskkit.b\n"
        "if TYPE_CHECKING:\n    from riskkit import c\n"
        "def f():\n    from riskkit.pkg import d\n    from riskkit import c as cc\n"
    )
    assert _imports(ast.parse(src), "riskkit.a", modules) == {"riskkit.b", "riskkit.pkg.d", "riskkit.c"}
    relative = ast.parse("from . import d\nfrom riskkit.pkg.d import x\n")
    assert _imports(relative, "riskkit.pkg", modules, is_package=True) == {"riskkit.pkg.d"}
    assert _imports(ast.parse("from .d import x\nfrom .. import a\n"), "riskkit.pkg.e", modules) == {
        "riskkit.pkg.d",
        "riskkit.a",
    }
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_data_and_datasets_no_longer_import_each_other():
    graph = import_graph()
    assert "riskkit.datasets" not in graph["riskkit.data"]
    assert "riskkit.data" in graph["riskkit.datasets"]


def test_no_import_cycles_in_riskkit():
    graph = import_graph()
    assert len(graph) > 30  # every module was read
    assert [c for c in cycles(graph) if not all(m.startswith("riskkit.reports.") for m in c)] == []


def test_no_import_cycles_in_riskkit_reports():
    assert cycles(import_graph()) == []


# the libraries the report runner imports lazily from several threads at once (see riskkit.reports._imports)
THREADED = {"jupyter_client", "papermill", "nbclient", "nbconvert", "latex2mathml", "scipy", "threadpoolctl",
            "llvmlite"}  # fmt: skip


def _unguarded_imports(tree: ast.AST) -> list[str]:
    """Function-level imports of THREADED libraries outside a ``with IMPORTS:`` block."""
    bad = []

    def visit(node, in_function: bool, guarded: bool):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            in_function = True
        if isinstance(node, ast.With):
            guarded = guarded or any(getattr(i.context_expr, "id", None) == "IMPORTS" for i in node.items)
        if in_function and not guarded and isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            bad.extend(f"line {node.lineno}: {n}" for n in names if n.split(".")[0] in THREADED)
        for child in ast.iter_child_nodes(node):
            visit(child, in_function, guarded)

    visit(tree, False, False)
    return bad


def test_the_runners_threaded_imports_hold_the_import_lock():
    found = {}
    for path in sorted((ROOT / "reports").glob("*.py")):
        if path.name == "_zygote.py":  # imports in its own process, before any thread starts
            continue
        bad = _unguarded_imports(ast.parse(path.read_text()))
        if bad:
            found[path.name] = bad
    assert found == {}
    # and the check sees an unguarded one
    assert _unguarded_imports(ast.parse("def f():\n    import papermill\n")) == ["line 2: papermill"]
    assert _unguarded_imports(ast.parse("def f():\n    with IMPORTS:\n        import papermill\n")) == []
