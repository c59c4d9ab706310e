"""Notebooks: stored clean, thin, parameterised, and executable with their defaults."""

import ast
from pathlib import Path

import nbformat
import pytest

from riskkit import reports

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ is empty"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs; clear them before committing"
            assert cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_layout_markdown_then_one_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    tree = ast.parse(tagged[0].source)
    lines = tagged[0].source.splitlines()
    for node in tree.body:
        assert isinstance(node, ast.Assign | ast.AnnAssign), "the parameters cell holds assignments only"
        value = node.value.operand if isinstance(node.value, ast.UnaryOp) else node.value  # -10.0 too
        assert isinstance(value, ast.Constant | ast.List | ast.Dict | ast.Tuple), "literal values only"
        assert "#" in lines[node.lineno - 1], f"parameter on line {node.lineno} needs a comment"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_define_no_functions_or_classes(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            for node in ast.walk(ast.parse(cell.source)):
                assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Lambda), (
                    f"{path.name}: move code needed twice into riskkit"
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_report_exists(path):
    folder = ROOT / "reports" / path.stem
    for name in (f"{path.stem}.ipynb", f"{path.stem}.html", "manifest.json"):
        assert (folder / name).is_file(), f"run `make report` and commit reports/{path.stem}/{name}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_with_defaults(path, tmp_path):
    out = reports.run(path, out=tmp_path)
    nb = nbformat.read(out / f"{path.stem}.ipynb", as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    if "rk.plotting." in path.read_text():  # figures are rendered, not just their text repr
        pngs = [
            o
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.outputs
            if "image/png" in o.get("data", {})
        ]
        assert pngs, f"{path.name}: no figure rendered as an image"
        assert "data:image/png" in (out / f"{path.stem}.html").read_text()
