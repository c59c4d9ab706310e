"""`make docs`: the Sphinx build (offline, warnings as errors) documents every public name."""

import base64
import importlib
import inspect
import re
import shutil
import struct
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
MODULES = sorted(
    {getattr(riskkit, m).__name__ for m in riskkit.__all__ if inspect.ismodule(getattr(riskkit, m))}
)
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


@pytest.mark.docs
@pytest.mark.slow
def test_gallery_card_of_each_report_shows_its_first_figure(site):
    gallery = (site / "gallery.html").read_text()
    committed = sorted(p for p in (ROOT / "reports").glob("*/*.html") if p.stem == p.parent.name)
    for report in committed:
        thumb = f"_static/gallery/{report.stem}.png"
        assert f'src="{thumb}"' in gallery, report.stem
        data = (site / thumb).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", thumb
        # the thumbnail is the report's first <img> PNG, downscaled: same aspect ratio, at most 480 wide
        first = re.search(rb'<img[^>]*src="data:image/png;base64,([^"]+)"', report.read_bytes())
        assert first is not None, report.stem
        original = base64.b64decode(first[1])
        width, height = struct.unpack(">II", original[16:24])
        thumb_width, thumb_height = struct.unpack(">II", data[16:24])
        assert thumb_width == min(width, 480)
        assert abs(thumb_height - height * thumb_width / width) <= 1


# the vocabulary decided in issue 23: each term and the former names it replaces
GLOSSARY = {
    "level": ["alpha"],
    "freq": ["frequency"],
    "seed": ["seeds"],
    "proportional": ["cost_bps"],
    "fixed": ["fixed_fee"],
    "min_correlation": ["threshold"],
    "cluster_min_correlation": ["cluster_threshold"],
    "alert_share": ["alert_threshold"],
    "group_alert_share": ["group_alert_threshold"],
    "band": [],
    "band_type": ["kind"],
    "kind": [],
    "periods_per_year": [],
    "units": [],
    "shrinkage": [],
}
REPORT_PARAMETERS_ONLY = {"fixed_fee"}


@pytest.mark.docs
@pytest.mark.slow
def test_glossary_lists_every_term_and_the_names_it_replaces(site):
    api = (site / "api" / "index.html").read_text()
    assert 'href="glossary.html"' in api
    page = (site / "api" / "glossary.html").read_text()
    terms = dict(re.findall(r'<dt id="term-([\w-]+)">(.*?)<a class="headerlink"', page, flags=re.S))
    assert sorted(GLOSSARY) == sorted(t for t in terms if t in GLOSSARY)
    for term, formers in GLOSSARY.items():
        definition = " ".join(page.split(f'<dt id="term-{term}">', 1)[1].split("</dd>", 1)[0].split())
        for former in formers:
            assert "<code" in definition and f">{former}</span>" in definition, (term, former)
            # a former report parameter no function took is answered by the CLI, not by a warning
            warns = "former name, warns until riskkit 0.3"
            said = "answered with" if former in REPORT_PARAMETERS_ONLY else warns
            assert said in definition, term
    assert "0.001" in page and "10 basis" in page  # proportional is a fraction: 10 bp = 0.001


@pytest.mark.docs
@pytest.mark.slow
def test_contents_lists_are_linked_tables(site):
    for m in MODULES:
        doc = importlib.import_module(m).__doc__ or ""
        if "\nContents\n--------\n" not in doc:
            continue
        page = (site / "api" / f"{m.split('.')[1]}.html").read_text()
        section = page.split(f'id="module-{m}"', 1)[1]
        table = section.split('<table class="riskkit-contents', 1)[1].split("</table>", 1)[0]
        first = doc.split("\nContents\n--------\n", 1)[1].split()[0].rstrip(",")
        if first in getattr(importlib.import_module(m), "__all__", []):
            assert f'href="#{m}.{first}"' in table, (m, first)


@pytest.mark.docs
@pytest.mark.slow
def test_math_is_typeset_with_no_network(site):
    """MathJax is served from the build: a page with formulas typesets them in a headless
    Chromium that may reach nothing but the site's own files."""
    playwright = pytest.importorskip("playwright.sync_api")
    browser_path = next((shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None)
    if browser_path is None:
        pytest.skip("no Chromium on the PATH (Debian: apt-get install chromium)")
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    remote = []

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            remote.append(r.request.url)
            r.abort()

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            for name in ("api/conventions.html", "api/shrinkage.html", "gallery.html", "index.html"):
                page = browser.new_page()
                page.route("**/*", route)
                page.goto((site / name).as_uri(), wait_until="load")
                formulas = page.evaluate("document.querySelectorAll('span.math, div.math').length")
                if formulas:
                    page.wait_for_function("window.MathJax?.startup?.promise", timeout=20000)
                    page.evaluate("MathJax.startup.promise")
                    typeset = page.evaluate("document.querySelectorAll('mjx-container').length")
                    assert typeset == formulas, name
                page.close()
        finally:
            browser.close()
    assert remote == []
