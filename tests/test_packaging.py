"""The built distributions: the wheel is a complete install, the sdist a checkout whose tests pass."""

import email
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import riskkit

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

_BUILD = (
    "import sys, hatchling.build as b; print(b.build_wheel(sys.argv[1])); print(b.build_sdist(sys.argv[1]))"
)


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """Wheel and sdist built offline by the venv's hatchling (the PEP 517 hooks, no isolation)."""
    out = tmp_path_factory.mktemp("dist")
    run = subprocess.run(
        [sys.executable, "-c", _BUILD, str(out)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    wheel, sdist = (out / name for name in run.stdout.split())
    return wheel, sdist


def test_wheel_ships_notebooks_data_licence_and_types(dists):
    wheel, _ = dists
    version = riskkit.__version__
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = email.message_from_bytes(zf.read(f"riskkit-{version}.dist-info/METADATA"))
        for nb in (ROOT / "notebooks").iterdir():  # byte for byte the checkout's, the one source
            assert zf.read(f"riskkit/_notebooks/{nb.name}") == nb.read_bytes()
        assert zf.read(f"riskkit-{version}.dist-info/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
    assert {"riskkit/py.typed", "riskkit/_data/crypto_sim.csv", "riskkit/_data/README.md"} <= names
    assert not any(n.startswith(("tests/", "reports/", "notebooks/", "riskkit/_notebooks/.")) for n in names)
    assert meta["License-Expression"] == "BSD-3-Clause" and meta["License-File"] == "LICENSE"
    assert meta["Requires-Python"] == ">=3.11"
    classifiers = meta.get_all("Classifier")
    for v in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {v}" in classifiers
    assert "Typing :: Typed" in classifiers
    assert not any(c.startswith("License ::") for c in classifiers)  # PEP 639: the expression says it
    assert {"notebooks", "docs", "dev", "dask"} <= set(meta.get_all("Provides-Extra"))


def test_installed_wheel_finds_its_notebooks_by_name(dists, tmp_path):
    wheel, _ = dists
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    run = subprocess.run(
        [sys.executable, "-m", "riskkit", "report", "risk_report", "--help"],
        capture_output=True, text=True, cwd=tmp_path, check=False,
        env={**os.environ, "PYTHONPATH": str(site)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "parameters of risk_report:" in run.stdout and "hedge_band (float" in run.stdout
    where = subprocess.run(
        [sys.executable, "-c", "from riskkit._core.packaged import notebooks_dir as d; print(d())"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site)}, check=True,
    )  # fmt: skip
    assert where.stdout.strip() == str(site / "riskkit" / "_notebooks")


def test_sdist_is_a_checkout_whose_own_tests_pass(dists, tmp_path):
    _, sdist = dists
    with tarfile.open(sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
        tf.extractall(tmp_path, filter="data")
    needs = ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "constraints.txt",
             "notebooks/risk_report.ipynb", "reports/risk_report/manifest.json",
             "data/crypto_sim.csv", "tests/conftest.py", "docs/conf.py", "riskkit/py.typed")  # fmt: skip
    for needed in needs:
        assert needed in names, needed
    assert not any(n.startswith(("docs/_build", "reports/.tmp-")) or ".failed/" in n for n in names)
    top = tmp_path / sdist.name.removesuffix(".tar.gz")
    # the tests that read notebooks/, reports/ and data/ of the tree they sit in
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "not slow", "-p", "no:cacheprovider",
         "tests/test_notebooks.py", "tests/test_datasets.py", "tests/test_cli.py"],
        capture_output=True, text=True, cwd=top, env={**os.environ, "PYTHONPATH": str(top)}, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:]
    assert " passed" in run.stdout.splitlines()[-1] and "failed" not in run.stdout.splitlines()[-1]
