"""riskkit.reports: atomic, reproducible report runs."""

import json
import os
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from riskkit import reports
from riskkit.exceptions import InvalidParameterError, InvalidTypeError


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
    nb = _notebook(tmp_path / "t.ipynb", "print(x * 21)", "x = 2  # a number\nfile = ''  # a data file")
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
    # self-contained: no script fetched from a CDN (require.js, MathJax, mermaid) when it is opened
    assert "<script" not in html and not re.search(r'(src|href)="https?://', html)


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
def test_a_kernel_that_dies_leaves_the_cells_it_ran_in_the_failed_copy(tmp_path):
    """The notebook is written once, at its end; when the kernel dies first, the
    failed copy still holds what ran until then."""
    path = _notebook(tmp_path / "t.ipynb", "print('before the crash', x)")
    nb = nbformat.read(path, 4)
    nb.cells.append(new_code_cell("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"))
    nb.cells.append(new_code_cell("print('never')"))
    nbformat.write(nb, path)
    with pytest.raises(reports.ReportError, match="kernel died") as info:
        reports.run(path, out=tmp_path / "r")
    assert info.value.lost
    ran = nbformat.read(info.value.failed_path / "t.ipynb", 4)
    outputs = [c.get("outputs", []) for c in ran.cells if c.cell_type == "code"]
    assert outputs[1][0]["text"] == "before the crash 2\n" and outputs[-1] == []
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


PARAMS = (
    "x = 2  # a number\n"
    "rate = 0.5  # a rate\n"
    "label = 'a'  # some text\n"
    "xs = [1, 2]  # a list\n"
    "flag = False  # a switch\n"
    "anything = None  # whatever"
)
BODY = (
    "import riskkit.reports as r\n"
    "assert x != 13, 'x is unlucky'\n"
    "r.key_figures({'double': x * 2, 'third': rate / 3, 'label': label})"
)


def test_notebook_parameters_read_names_defaults_comments(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", "pass", PARAMS)
    declared = reports.notebook_parameters(nb)
    assert list(declared) == ["x", "rate", "label", "xs", "flag", "anything"]
    assert declared["rate"].default == 0.5 and declared["rate"].comment == "a rate"
    assert [p.kind for p in declared.values()] == ["int", "float", "str", "list", "bool", "any"]


def test_check_parameters_coerces_and_rejects(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", "pass", PARAMS)
    got = reports.check_parameters(nb, {"rate": 1, "xs": (3,), "anything": {"k": 1}})
    assert got == {"rate": 1.0, "xs": [3], "anything": {"k": 1}} and isinstance(got["rate"], float)
    with pytest.raises(
        InvalidParameterError, match=r"no parameter 'y'[\s\S]*rate \(float, default 0.5\): a rate"
    ):
        reports.check_parameters(nb, {"y": 1})
    for bad in ({"x": 1.5}, {"x": True}, {"flag": 1}, {"label": 3}, {"xs": "ab"}, {"rate": "0.1"}):
        with pytest.raises(InvalidTypeError, match=rf"parameter '{next(iter(bad))}' takes[\s\S]*x \(int"):
            reports.check_parameters(nb, bad)


def test_parameters_cell_must_be_literal_assignments(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", "pass", "x = 2  # ok\ny = x + 1  # computed")
    with pytest.raises(InvalidParameterError, match="'y' must have a literal default"):
        reports.notebook_parameters(nb)


def test_bad_parameters_fail_before_anything_runs(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", BODY, PARAMS)
    with pytest.raises(InvalidTypeError):
        reports.run(nb, parameters={"x": "two"}, out=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_expand_grid_forms():
    product = reports.expand_grid({"grid": {"a": [1, 2], "b": ["x", "y"]}, "base": {"c": 0}})
    assert product == [
        {"c": 0, "a": 1, "b": "x"},
        {"c": 0, "a": 1, "b": "y"},
        {"c": 0, "a": 2, "b": "x"},
        {"c": 0, "a": 2, "b": "y"},
    ]
    assert reports.expand_grid([{"a": 1}, {"b": 2}]) == [{"a": 1}, {"b": 2}]
    assert reports.expand_grid({"runs": [{"a": 1}], "grid": {"a": [5]}}) == [{"a": 5}, {"a": 1}]
    for bad, rule in (
        ({"grid": {"a": 1}}, "non-empty list"),
        ({"grid": {}}, "non-empty mapping"),
        ({"runs": [1, 2]}, "list of mappings"),
        ({"gird": {"a": [1]}}, "give 'grid'"),
        ({"grid": {"a": [1]}, "extra": 1}, "unknown keys"),
    ):
        with pytest.raises(InvalidParameterError, match=rule):
            reports.expand_grid(bad)


def test_load_grid_and_parameters_from_yaml(tmp_path):
    (tmp_path / "g.yaml").write_text("base: {rate: 0.1}\ngrid:\n  x: [1, 3]\n")
    assert reports.load_grid(tmp_path / "g.yaml") == [{"rate": 0.1, "x": 1}, {"rate": 0.1, "x": 3}]
    (tmp_path / "p.yaml").write_text("x: 4\nxs: [1, 2, 3]\n")
    assert reports.load_parameters(tmp_path / "p.yaml") == {"x": 4, "xs": [1, 2, 3]}
    (tmp_path / "bad.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(InvalidParameterError, match="one mapping"):
        reports.load_parameters(tmp_path / "bad.yaml")


@pytest.mark.slow
def test_key_figures_and_dataset_hashes_in_manifest(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", BODY, PARAMS + "\ndata = 'crypto_sim'  # a bundled dataset")
    out = reports.run(nb, parameters={"x": 5}, out=tmp_path / "r")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["key_figures"] == {"double": 10, "third": 0.5 / 3, "label": "a"}
    assert (
        manifest["effective_parameters"]["x"] == 5
        and manifest["effective_parameters"]["data"] == "crypto_sim"
    )
    from riskkit import datasets

    expected = reports._manifest._sha256(datasets.data_dir() / datasets.info("crypto_sim").file)
    assert manifest["input_files"] == {"dataset:crypto_sim": expected}


@pytest.mark.slow
def test_grid_runs_every_member_and_reports_failures(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", BODY, PARAMS)
    result = reports.run_grid(
        nb, {"grid": {"x": [1, 13, 3]}, "base": {"rate": 0.3}}, out=tmp_path, workers=2, progress=False
    )
    s = result.summary()
    assert list(s.index) == ["t-001", "t-002", "t-003"]
    assert list(s["status"]) == ["ok", "failed", "ok"] and result.failed == ("t-002",)
    assert s.loc["t-002", "error"] == "AssertionError: x is unlucky"
    assert s.loc["t-001", "double"] == 2 and s.loc["t-003", "double"] == 6
    assert s.loc["t-003", "third"] == pytest.approx(0.1)
    folder = result.folder
    assert (folder / "t-001" / "t.html").exists() is False and (folder / "t-001" / "t-001.html").is_file()
    assert (folder / "t-002.failed" / "t-002.ipynb").is_file() and (folder / "summary.csv").is_file()
    assert "x is unlucky" in (folder / "summary.html").read_text()


@pytest.mark.slow
def test_grid_on_a_local_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    nb = _notebook(tmp_path / "t.ipynb", BODY, PARAMS)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = reports.run_grid(
            nb, [{"x": 1}, {"x": 13}, {"x": 4, "label": "b"}], out=tmp_path,
            scheduler=cluster.scheduler_address, progress=False,
        )  # fmt: skip
    s = result.summary()
    assert list(s["status"]) == ["ok", "failed", "ok"]
    assert list(s["double"].fillna(-1)) == [2, -1, 8] and s.loc["t-003", "label (result)"] == "b"


def test_the_kernel_folders_of_killed_processes_are_removed_by_the_next_run(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile

    from riskkit.reports import _kernels

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    stale = tmp_path / f"riskkit-kernel-{gone}-abc"
    alive = tmp_path / f"riskkit-kernel-{os.getppid()}-def"
    other = tmp_path / "riskkit-kernel-xyz"  # not ours to judge
    for folder in (stale, alive, other):
        folder.mkdir()
        (folder / "kernel.log").write_text("x")
    monkeypatch.setattr(_kernels, "_SWEPT", False)
    kernel = _kernels.Kernel(warm=False)
    try:
        assert kernel.folder.parent == tmp_path
        assert kernel.folder.name.startswith(f"riskkit-kernel-{os.getpid()}-")
        assert not stale.exists() and alive.exists() and other.exists()
    finally:
        kernel.shutdown()
    assert not kernel.folder.exists()
