"""The riskkit command line."""

import subprocess
import sys

import pytest

import riskkit
from riskkit.cli import main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"riskkit {riskkit.__version__}"


def test_datasets_listing_and_info(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in ("crypto_sim", "sp500_stocks", "sp500_index", "factor_etfs"):
        assert name in out
    assert main(["datasets", "--info", "sp500_stocks"]) == 0
    assert "BSD-3-Clause" in capsys.readouterr().out
    assert main(["datasets", "--info", "nope"]) == 2
    assert "not a bundled dataset" in capsys.readouterr().err


def test_console_script_installed():
    exe = subprocess.run(
        [sys.executable, "-m", "riskkit.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert exe.returncode == 0 and exe.stdout.startswith("riskkit ")


def _nb(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    params = new_code_cell("x = 2  # a number\nlabel = 'a'  # some text\nweights = {}  # by asset")
    params.metadata["tags"] = ["parameters"]
    body = new_code_cell("assert x != 13, 'x is unlucky'\nprint(x, label, weights)")
    nb = new_notebook(cells=[new_markdown_cell("# t"), params, body])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    return path


def test_report_help_lists_the_notebook_parameters(tmp_path, capsys):
    assert main(["report", str(_nb(tmp_path)), "--help"]) == 0
    out = capsys.readouterr().out
    assert "riskkit report" in out and "--grid" in out
    assert "x (int, default 2): a number" in out and "weights (mapping, default {}): by asset" in out


def test_report_rejects_unknown_and_mistyped_parameters(tmp_path, capsys):
    nb = str(_nb(tmp_path))
    assert main(["report", nb, "-p", "y", "1", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "no parameter 'y'" in err and "label (str, default 'a')" in err
    assert main(["report", nb, "-p", "x", "1.5", "--out", str(tmp_path / "r")]) == 2
    assert "parameter 'x' takes an int" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_report_runs_with_values_and_file_and_prints_failures(tmp_path, capsys):
    nb = str(_nb(tmp_path))
    (tmp_path / "p.yaml").write_text("x: 7\nweights: {BTC: 0.5}\n")
    rc = main(
        ["report", nb, "-f", str(tmp_path / "p.yaml"), "-p", "label", "12", "--out", str(tmp_path / "r")]
    )
    assert rc == 0 and f"report written: {tmp_path / 'r' / 't'}" in capsys.readouterr().out
    executed = (tmp_path / "r" / "t" / "t.ipynb").read_text()
    assert "7 12 {'BTC': 0.5}" in executed  # -p label 12 stays text; the file's values are typed
    assert main(["report", nb, "-p", "x", "13", "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "AssertionError: x is unlucky" in err and "t.failed" in err


def test_report_help_on_a_shipped_notebook_by_its_bare_name(capsys):
    from riskkit._core.packaged import notebooks_dir

    assert main(["report", "risk_report", "--help"]) == 0
    out = capsys.readouterr().out
    declared = riskkit.reports.notebook_parameters(notebooks_dir() / "risk_report.ipynb")
    for p in declared.values():
        assert f"  {p.describe()}" in out
    assert main(["report", "risk_reprt"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("riskkit: error: 'risk_reprt' is neither a file nor a .ipynb file shipped with")
    assert "shipped: 00_data_tour, 01_correlation_shrinkage" in err and "risk_report." in err


@pytest.mark.slow
def test_report_by_bare_name_runs_the_shipped_notebook_into_the_current_folder(tmp_path, monkeypatch, capsys):
    import riskkit._core.packaged

    shipped = tmp_path / "shipped"
    shipped.mkdir()
    _nb(shipped)
    (shipped / "seven.yaml").write_text("x: 7\n")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.setattr(riskkit._core.packaged, "notebooks_dir", lambda: shipped)
    monkeypatch.chdir(here)
    assert main(["report", "t", "-f", "seven", "-p", "label", "b"]) == 0
    assert f"report written: {here / 't'}" in capsys.readouterr().out
    assert "7 b {}" in (here / "t" / "t.ipynb").read_text()
    assert main(["report", "t", "--out", "elsewhere"]) == 0
    assert (here / "elsewhere" / "t" / "manifest.json").is_file()


_WITHOUT_PAPERMILL = """
import sys
sys.modules["papermill"] = None  # import papermill fails as when it is not installed
from riskkit.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (["report", "risk_report"], 2),
        (["report", "--help"], 0),
        (["report", "risk_report", "--help"], 0),
        (["verify", "reports/risk_report"], 2),
    ],
)
def test_missing_notebooks_extra_is_one_line_naming_the_install(argv, status):
    run = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PAPERMILL, *argv], capture_output=True, text=True, check=False
    )
    assert run.returncode == status
    assert run.stderr == (
        "riskkit: error: reports need the notebooks extra (papermill is not installed): "
        'pip install "riskkit[notebooks]"\n'
    )
    if "--help" in argv:
        assert "usage: riskkit report" in run.stdout


@pytest.mark.slow
def test_a_data_error_in_a_notebook_names_the_p_options_that_fix_it(tmp_path, capsys):
    """Issue 14: an error raised in a notebook because of the data exits 2 and says
    which -p fixes it (the error's .fixes, read from the kernel)."""
    import numpy as np
    import pandas as pd

    from tests.test_reports import _notebook

    idx = pd.date_range("2024-01-01", periods=30, name="date")
    frame = pd.DataFrame({"A": np.linspace(10, 12, 30), "B": np.linspace(20, 25, 30)}, index=idx)
    frame.iloc[10:12, 0] = np.nan
    frame.to_csv(tmp_path / "gaps.csv")
    nb = _notebook(
        tmp_path / "t.ipynb",
        "import riskkit as rk\n"
        "data = rk.data.load(file, missing=missing, ffill_limit=ffill_limit or None)\n"
        "print(len(data.prices))",
        'file: str = ""  # a price file\nmissing: str = "raise"  # gaps\nffill_limit: int = 0  # longest',
    )
    args = ["report", str(nb), "-p", "file", str(tmp_path / "gaps.csv"), "--out", str(tmp_path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "MissingDataError" in err and "'A' on 2 date(s): 2024-01-11, 2024-01-12" in err
    assert "try: -p missing ffill -p ffill_limit 2  or: -p missing drop" in err
    # three lines: the error once, where the failed notebook is, the fix; no traceback of riskkit's insides
    lines = err.splitlines()
    assert len(lines) == 3 and err.count("MissingDataError") == 1 and "File " not in err
    assert lines[0].startswith("riskkit: report failed: MissingDataError: ")
    assert lines[1] == f"riskkit: the notebook as run, with the error: {tmp_path / 't.failed'}"
    assert main([*args, "-p", "missing", "ffill", "-p", "ffill_limit", "2"]) == 0
    # a notebook's own bug stays exit 1, with no hint, and with its traceback
    bug = _notebook(tmp_path / "b.ipynb", "1 / 0")
    assert main(["report", str(bug), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "try:" not in err and "ZeroDivisionError" in err and "1 / 0" in err
