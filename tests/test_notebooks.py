"""Notebooks: stored clean, thin, parameterised, and executable with their defaults."""

import ast
import hashlib
import json
import re
import shutil
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


def _code(nb) -> list[str]:
    return [
        c.source
        for c in nb.cells
        if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]


# Every notebook executes with its defaults in the test suite: its committed report is checked
# here to hold exactly the notebook's code with default parameters, and tests/test_verify.py
# (part of `make test`) re-executes that report and compares every output.
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_report_is_the_current_notebook_with_defaults(path):
    folder = ROOT / "reports" / path.stem
    executed = nbformat.read(folder / f"{path.stem}.ipynb", as_version=4)
    assert _code(executed) == _code(nbformat.read(path, as_version=4)), (
        f"reports/{path.stem} is stale: run `make reports` and commit it"
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["notebook_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["parameters"] == {}
    errors = [
        o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
    if "rk.plotting." in path.read_text():  # figures are rendered, not just their text repr
        pngs = [o for c in executed.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
        assert pngs, f"{path.name}: no figure rendered as an image"
        assert "data:image/png" in (folder / f"{path.stem}.html").read_text()


def test_risk_report_on_stock_data_is_committed_and_current():
    folder = ROOT / "reports" / "risk_report_sp500"
    executed = nbformat.read(folder / "risk_report_sp500.ipynb", as_version=4)
    assert _code(executed) == _code(nbformat.read(ROOT / "notebooks" / "risk_report.ipynb", as_version=4))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["parameters"] == reports.load_parameters(ROOT / "notebooks" / "risk_report_sp500.yaml")
    assert "dataset:sp500_stocks" in manifest["input_files"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_formulas_render_without_mathjax(path):
    """TeX in markdown is converted to MathML in the HTML (browsers render it offline)."""
    nb = nbformat.read(path, as_version=4)
    tex = sum(c.source.count("$") for c in nb.cells if c.cell_type == "markdown")
    html = (ROOT / "reports" / path.stem / f"{path.stem}.html").read_text()
    if tex:
        assert "<math" in html
    assert "\\sigma" not in html and "\\Sigma" not in html and "\\sqrt" not in html


def test_example_grid_file_is_valid():
    sets = reports.load_grid(ROOT / "notebooks" / "risk_report_grid.yaml")
    assert len(sets) == 6
    for s in sets:
        reports.check_parameters(ROOT / "notebooks" / "risk_report.ipynb", s)


@pytest.mark.slow
def test_main_report_twice_gives_identical_outputs_and_manifest(tmp_path):
    nb = ROOT / "notebooks" / "risk_report.ipynb"
    a = reports.run(nb, out=tmp_path / "a")
    b = reports.run(nb, out=tmp_path / "b")
    cells = [nbformat.read(p / "risk_report.ipynb", as_version=4).cells for p in (a, b)]
    assert [c.get("outputs") for c in cells[0]] == [c.get("outputs") for c in cells[1]]
    ma, mb = (json.loads((p / "manifest.json").read_text()) for p in (a, b))
    assert ma.pop("created_utc") and mb.pop("created_utc")
    assert ma == mb and ma["key_figures"]["volatility"] > 0
    assert (a / "risk_report.html").read_text() == (b / "risk_report.html").read_text()


@pytest.mark.slow
def test_html_report_renders_its_figures_in_a_headless_browser(tmp_path):
    """Chromium renders the committed report; its figures show as coloured pixels,
    which vanish when the images are removed from the same page."""
    if not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
        pytest.skip(
            "no Chromium on this machine (Debian: apt-get install chromium); `make screenshot` needs it too"
        )
    import numpy as np
    from PIL import Image

    html = ROOT / "reports" / "risk_report" / "risk_report.html"
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r"<img [^>]*>", "", html.read_text()))

    def coloured(png):
        a = np.asarray(Image.open(png).convert("RGB")).astype(int)
        return float(((a.max(axis=-1) - a.min(axis=-1)) > 60).mean())

    with_figures = coloured(reports.screenshot(html, tmp_path / "report.png"))
    without = coloured(reports.screenshot(bare, tmp_path / "bare.png"))
    assert with_figures > 0.02 and without < with_figures / 10
