"""`make docs`: the Sphinx build (offline, warnings as errors) documents every public name."""

import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import riskkit

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("sphinx", reason='the docs extra is not installed: pip install -e ".[docs]"')
pytest.importorskip("numpydoc", reason='the docs extra is not installed: pip install -e ".[docs]"')
pytest.importorskip("myst_parser", reason='the docs extra is not installed: pip install -e ".[docs]"')

# every public module under its own name (riskkit.policies is riskkit.rebalancing.policies), on the
# page of the subpackage that holds it (api/rebalancing.html); rk.Costs is a class, not a module
MODULES = sorted({getattr(riskkit, m).__name__ for m in riskkit.__all__ if inspect.ismodule(getattr(riskkit, m))})
PAGES = sorted({m.split(".")[1] for m in MODULES})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    run = subprocess.run(  # the command of `make docs`
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-E", "-q",
         str(ROOT / "docs"), str(out)],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-4000:]
    assert run.stderr == ""  # not one warning
    return out


@pytest.mark.docs
@pytest.mark.slow
def test_readme_is_the_landing_page(site):
    page = (site / "index.html").read_text()
    first = next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("# "))
    assert f'{first[2:].strip()}<a class="headerlink"' in page


@pytest.mark.docs
@pytest.mark.slow
def test_api_reference_documents_every_public_name(site):
    api = (site / "api" / "index.html").read_text()
    assert api.index("conventions.html") < min(api.index(f"{page}.html") for page in PAGES)
    conventions = (site / "api" / "conventions.html").read_text()
    assert "simple returns" in conventions and "periods_per_year" in conventions
    missing = []
    for m in MODULES:
        page = (site / "api" / f"{m.split('.')[1]}.html").read_text()
        for name in getattr(importlib.import_module(m), "__all__", []):
            if not re.search(rf'id="{re.escape(m)}\.{re.escape(name)}"', page):
                missing.append(f"{m}.{name}")
    assert missing == []


@pytest.mark.docs
@pytest.mark.slow
def test_gallery_shows_every_committed_report(site):
    gallery = (site / "gallery.html").read_text()
    committed = sorted(p for p in (ROOT / "reports").glob("*/*.html") if p.stem == p.parent.name)
    assert committed
    for report in committed:
        link = f"reports/{report.stem}/{report.name}"
        assert f'href="{link}"' in gallery
        assert (site / link).read_bytes() == report.read_bytes()
