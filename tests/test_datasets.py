"""riskkit.datasets: bundled data load, list, provenance, regeneration, installed wheel."""

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskkit import calendar as cal
from riskkit import datasets
from riskkit.exceptions import InvalidParameterError

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = {
    # name: (rows, assets, first, last, periods per year)
    "crypto_sim": (2192, 12, "2019-01-01", "2024-12-31", 365),
    "sp500_stocks": (8313, 20, "1990-01-02", "2022-12-28", 252),
    "sp500_index": (8313, 1, "1990-01-02", "2022-12-28", 252),
    "factor_etfs": (2264, 5, "2014-01-02", "2022-12-28", 252),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_load_every_dataset(name):
    rows, n, first, last, ppy = EXPECTED[name]
    p = datasets.load(name)
    assert p.shape == (rows, n)
    assert p.index[0] == pd.Timestamp(first) and p.index[-1] == pd.Timestamp(last)
    assert cal.infer_periods_per_year(p) == ppy == datasets.info(name).periods_per_year
    assert set(datasets.groups(name).index) == set(p.columns)


def test_real_stock_values_match_the_source_rows():
    p = datasets.load("sp500_stocks")
    # first and last rows of skfolio's sp500_dataset.csv.gz, as published
    assert p.loc["1990-01-02", "AAPL"] == 0.264 and p.loc["1990-01-02", "XOM"] == 4.068
    assert p.loc["2022-12-28", "MSFT"] == 233.434 and p.loc["2022-12-28", "UNH"] == 524.422
    assert datasets.load("sp500_index").loc["2022-12-28", "SP500"] == 3783.22
    assert list(datasets.load("factor_etfs").columns) == ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]


def test_simulated_dataset_is_marked_and_matches_its_truth():
    d = datasets.info("crypto_sim")
    assert d.simulated and "SIMULATED" in d.title
    p = datasets.load("crypto_sim")
    assert all(c.endswith("_SIM") for c in p.columns)
    m = datasets.simulated("crypto_sim")
    np.testing.assert_allclose(p.to_numpy(), m.prices.to_numpy(), rtol=1e-9)
    assert m.true_covariance.shape == (12, 12)


def test_regeneration_is_byte_identical(tmp_path):
    path = datasets.write_simulated(tmp_path)
    assert path.read_bytes() == (ROOT / "data" / "crypto_sim.csv").read_bytes()


def test_list_and_unknown_names():
    table = datasets.list_datasets()
    assert list(table.index) == list(EXPECTED)
    assert table.loc["crypto_sim", "simulated"] and not table.loc["sp500_stocks", "simulated"]
    with pytest.raises(
        InvalidParameterError, match="'nope' is not a bundled dataset; available: 'crypto_sim'"
    ):
        datasets.load("nope")
    with pytest.raises(InvalidParameterError, match="real market data"):
        datasets.simulated("sp500_stocks")


def test_data_readme_documents_every_file():
    readme = (ROOT / "data" / "README.md").read_text()
    for name in EXPECTED:
        assert datasets.info(name).file in readme
    assert "BSD-3-Clause" in readme and "SIMULATED" in readme


@pytest.mark.slow
def test_datasets_load_from_an_installed_wheel(tmp_path):
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("riskkit-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(site)
    assert "riskkit/_data/crypto_sim.csv" in names and "riskkit/_data/sp500_stocks.csv.gz" in names
    code = (
        "import riskkit, riskkit.datasets as d; "
        "assert '_data' in str(d.data_dir()), d.data_dir(); "
        "assert str(riskkit.__file__).startswith(%r), riskkit.__file__; "
        "print(d.load('sp500_stocks').shape, d.load('crypto_sim').shape)" % str(site)
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(8313, 20) (2192, 12)"
