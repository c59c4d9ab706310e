"""riskkit.reports: atomic, reproducible report runs."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from riskkit import reports


def _notebook(path, body: str, param: str = "x = 2  # a number"):
    params = new_code_cell(param)
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell("# t"), params, new_code_cell(body)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_report_written_with_html_and_manifest(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", "print(x * 21)")
    data = tmp_path / "prices.csv"
    data.write_text("date,A\n2024-01-01,1\n")
    out = reports.run(nb, parameters={"x": 2, "file": str(data)}, out=tmp_path / "reports")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "t.html", "t.ipynb"]
    executed = nbformat.read(out / "t.ipynb", as_version=4)
    assert executed.cells[-1].outputs[0].text == "42\n"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"] == {"x": 2, "file": str(data)}
    assert len(manifest["input_files"][str(data)]) == 64
    assert manifest["versions"]["riskkit"] and manifest["python"]
    html = (out / "t.html").read_text()
    assert "42" in html and "print(x" not in html  # code cells are hidden


@pytest.mark.slow
def test_failed_run_leaves_existing_report_untouched(tmp_path):
    good = _notebook(tmp_path / "t.ipynb", "print('fine')")
    out = reports.run(good, out=tmp_path / "r")
    before = (out / "t.ipynb").read_bytes()
    _notebook(tmp_path / "t.ipynb", "raise ValueError('boom in cell')")
    with pytest.raises(reports.ReportError, match="boom in cell") as info:
        reports.run(tmp_path / "t.ipynb", out=tmp_path / "r")
    assert (out / "t.ipynb").read_bytes() == before
    failed = info.value.failed_path
    assert failed.name == "t.failed" and (failed / "t.ipynb").is_file()
    assert not list((tmp_path / "r").glob(".tmp-*"))


@pytest.mark.slow
def test_same_inputs_give_identical_outputs_and_manifest(tmp_path):
    nb = _notebook(
        tmp_path / "t.ipynb",
        "import numpy as np\nprint(np.random.default_rng(x).normal(size=3).round(6))",
    )
    a = reports.run(nb, out=tmp_path / "a")
    b = reports.run(nb, out=tmp_path / "b")
    cells = [nbformat.read(p / "t.ipynb", as_version=4).cells for p in (a, b)]
    assert [c.get("outputs") for c in cells[0]] == [c.get("outputs") for c in cells[1]]
    ma, mb = (json.loads((p / "manifest.json").read_text()) for p in (a, b))
    ma.pop("created_utc"), mb.pop("created_utc")
    assert ma == mb
