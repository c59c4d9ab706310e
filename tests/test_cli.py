"""The riskkit command line."""

import subprocess
import sys

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
