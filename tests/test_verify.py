"""Reports reproduce on any machine: outputs compared with a tolerance, `riskkit verify`,
and every committed report re-run and compared (natively and as on an SSE4.2 machine)."""

import copy
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from riskkit import reports
from riskkit.cli import main as cli
from riskkit.exceptions import DataError
from tests.test_reports import _notebook

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = sorted(p.parent for p in (ROOT / "reports").glob("*/manifest.json"))
# the fastest committed reports, re-run as on another CPU in every `make test`
FOREIGN = ["00_data_tour", "02_volatility_decomposition"]


def _nb(*outputs_per_cell):
    cells = []
    for outputs in outputs_per_cell:
        cell = new_code_cell("x")
        cell.outputs = list(outputs)
        cells.append(cell)
    return new_notebook(cells=cells)


def _text(t):
    return new_output("execute_result", data={"text/plain": t}, execution_count=1)


def _diffs(a, b):
    return reports.compare_notebooks(a, b)[2]


# ----------------------------------------------------------------------------- comparison rules


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("vol 0.6159820055766234", "vol 0.6159820055766301"),  # last bits
        ("1,234,567.89 USD", "1,234,567.90 USD"),  # thousands separators, 1e-8 relative
        ("-0.00", "0.00"),  # a signed zero
        ("<Figure size 640x480 with 1 Axes>", "<Figure size 800x600 with 2 Axes>"),
        ("<object at 0x7f3a2b>", "<object at 0x55e1c0>"),
        ("read /tmp/abc/prices.csv", "read /tmp/xyz/prices.csv"),
        ("2.5e-07", "2.5000001e-07"),
    ],
)
def test_noise_and_masked_text_compare_equal(old, new):
    assert _diffs(_nb([_text(old)]), _nb([_text(new)])) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("vol 0.6160", "vol 0.6161"),  # a change in the last printed digit: 1.6e-4 relative
        ("improvement -29.8", "improvement 1.1"),
        ("gap 2.7e-15", "gap 2.0e-15"),  # rounding noise printed: caught, must be fixed at the source
        ("NO TRADE TODAY", "TRADE TODAY"),
        ("BTC 0.5", "ETH 0.5"),
        ("1 2 3", "1 2 3 4"),
    ],
)
def test_real_changes_are_differences(old, new):
    (d,) = _diffs(_nb([_text(old)]), _nb([_text(new)]))
    assert d.cell == 0 and d.output == "output 0 text/plain"
    assert old.split()[0] in d.old


def test_images_by_presence_streams_joined():
    png = {"image/png": "iVBORw0KGgoAAAANSUhEUg==", "text/plain": "<Figure size 640x480 with 1 Axes>"}
    other = {"image/png": "iVBORw0KGgoAAAANSUhEUgXYZ==", "text/plain": "<Figure size 640x480 with 1 Axes>"}
    a = _nb([new_output("display_data", data=png)], [new_output("stream", name="stdout", text="a 1\nb 2\n")])
    b = _nb(
        [new_output("display_data", data=other)],
        [
            new_output("stream", name="stdout", text="a 1\n"),
            new_output("stream", name="stdout", text="b 2\n"),
        ],
    )
    assert _diffs(a, b) == []
    gone = _nb([new_output("display_data", data={"text/plain": "<Figure>"})], [])
    (d,) = _diffs(a, gone)[:1]
    assert d.output == "outputs" and "image/png" in d.old


def test_changed_source_and_cell_count_are_differences():
    a, b = _nb([_text("1")]), _nb([_text("1")])
    b.cells[0].source = "y"
    assert [d.output for d in _diffs(a, b)] == ["source"]
    assert [d.output for d in _diffs(a, _nb([_text("1")], []))] == ["cells"]


def test_a_tampered_committed_report_fails_the_comparison():
    """The validation cannot pass vacuously: one number moved beyond the tolerance,
    or one word changed, in the real committed report is found and shown."""
    path = ROOT / "reports" / "risk_report" / "risk_report.ipynb"
    original = nbformat.read(path, as_version=4)
    assert _diffs(original, copy.deepcopy(original)) == []
    cells, outputs, _ = reports.compare_notebooks(original, original)
    assert cells > 10 and outputs > 20
    key = next(
        (i, j)
        for i, c in enumerate(original.cells)
        if c.cell_type == "code"
        for j, o in enumerate(c.outputs)
        if "riskkit_key_figures" in o.get("metadata", {})
    )
    html = original.cells[key[0]].outputs[key[1]].data["text/html"]
    vol = original.cells[key[0]].outputs[key[1]].metadata["riskkit_key_figures"]["volatility"]
    shown = f"{vol:.1%}"  # as the report formats it (key_figures formats=)
    assert f">{shown}<" in html
    for old, new in ((shown, f"{vol * 1.01:.1%}"), ("volatility", "volatilities")):
        tampered = copy.deepcopy(original)
        out = tampered.cells[key[0]].outputs[key[1]]
        out.data["text/html"] = out.data["text/html"].replace(old, new, 1)
        diffs = _diffs(original, tampered)
        assert len(diffs) == 1 and diffs[0].cell == key[0], diffs
        assert old in diffs[0].old and new in diffs[0].new


# ----------------------------------------------------------------------------- riskkit verify


@pytest.mark.slow
def test_verify_passes_and_catches_tampering_and_changed_inputs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    data = Path("prices.csv")
    data.write_text("date,A\n2024-01-01,1.5\n")
    nb = _notebook(
        tmp_path / "t.ipynb",
        "import pandas as pd\nv = pd.read_csv(file)['A'].iloc[0] * x\nprint(f'value {v:.6f} of {file}')",
        "x = 2.0  # a number\nfile = ''  # a data file",
    )
    folder = reports.run(nb, parameters={"file": "prices.csv", "x": 3.0}, out="r")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["machine"]["numpy_simd"] is not None and manifest["machine"]["blas"]
    assert len(manifest["code_sha256"]) == 64

    result = reports.verify(folder)
    assert result.ok and result.outputs == 1 and "reproduces" in result.describe()
    assert cli(["verify", str(folder)]) == 0

    executed = folder / "t.ipynb"
    good = executed.read_text()
    executed.write_text(good.replace("value 4.500000", "value 4.600000"))
    result = reports.verify(folder)
    assert not result.ok and result.summary()["committed"].str.contains("4.600000").all()
    capsys.readouterr()
    assert cli(["verify", str(folder)]) == 1
    printed = capsys.readouterr().out
    assert (
        "1 difference." in printed and "was: value 4.600000" in printed and "now: value 4.500000" in printed
    )

    executed.write_text(good.replace("* x", "* x * 1.0"))  # code edited after the run
    with pytest.raises(DataError, match="not the code the report ran"):
        reports.verify(folder)
    executed.write_text(good)

    data.write_text("date,A\n2024-01-01,1.6\n")
    with pytest.raises(DataError, match=r"input 'prices.csv' of report t has changed"):
        reports.verify(folder)
    assert cli(["verify", str(folder)]) == 2
    data.unlink()
    with pytest.raises(DataError, match=r"input 'prices.csv' of report t is missing"):
        reports.verify(folder)


# ----------------------------------------------------------------------------- committed reports


def test_committed_reports_come_from_a_committed_tree():
    assert len(COMMITTED) >= 8
    for folder in COMMITTED:
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["git_dirty"] is False, f"{folder.name}: regenerate from a clean tree (make reports)"
        assert {"code_sha256", "machine"} <= set(manifest), f"{folder.name}: regenerate (make reports)"


@pytest.mark.slow
@pytest.mark.parametrize("folder", COMMITTED, ids=lambda p: p.name)
def test_committed_report_reproduces(folder, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = reports.verify(folder)
    assert result.ok, result.describe()


# the profile of ../shared/tools/foreign-cpu x86-64-v2: an SSE4.2 machine without AVX
SSE42 = {
    "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
    "OPENBLAS_CORETYPE": "Nehalem",
    "NUMBA_CPU_NAME": "generic",
}


@pytest.mark.slow
@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="the SSE4.2 profile is x86-64 only")
def test_committed_reports_reproduce_on_an_sse42_machine():
    env = os.environ | SSE42
    cmd = [sys.executable, "-m", "riskkit", "verify", *(f"reports/{name}" for name in FOREIGN)]
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stdout + res.stderr[-3000:]
    assert res.stdout.count("reproduces the report") == len(FOREIGN)


# ----------------------------------------------------------------------------- printing noise


def test_rounding_noise_is_shown_as_such():
    from riskkit.display import difference
    from riskkit.exceptions import InvalidParameterError

    assert difference(2.7e-15) == difference(-2.0e-15) == difference(0.0) == "below 1e-12"
    assert difference(3.26e-5) == "3.3e-05" and difference(-0.5, digits=2) == "-5.00e-01"
    assert difference(1e-9, floor=1e-8) == "below 1e-08" and difference(float("nan")) == "nan"
    with pytest.raises(InvalidParameterError, match="floor must be a positive number"):
        difference(1.0, floor=0)
