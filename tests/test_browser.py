"""The teaching notebooks in a real browser: JupyterLab on 127.0.0.1 with a token,
headless Chromium driven by Playwright, every cell run, one slider of each explorer
moved, and its figures checked to change. Screenshots go to build/.

Needs Debian's Chromium (``apt-get install chromium``; Playwright's own browser
download is not used) and the ``playwright`` package of the dev extra.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
# notebook -> what its explorer is called in the widget's title
EXPLORERS = {
    "01_correlation_shrinkage.ipynb": "Shrinkage explorer",
    "03_rebalancing_policies.ipynb": "Rebalancing explorer",
    "04_risk_budgeting.ipynb": "Risk contribution explorer",
    "05_hedge_rebalancing.ipynb": "Delta-hedging explorer",
}
SERVER_START_TIMEOUT = 90.0  # seconds for JupyterLab to answer
RUN_ALL_TIMEOUT = 300.0  # seconds for a notebook's cells to finish
UPDATE_TIMEOUT = 120.0  # seconds for an explorer to redraw after a slider moves

pytestmark = pytest.mark.slow


def _chromium() -> str | None:
    return next(
        (shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of the notebooks; always shut down."""
    if _chromium() is None:
        pytest.skip(
            "no Chromium on this machine: install Debian's with `apt-get install chromium` (see README)"
        )
    pytest.importorskip(
        "playwright.sync_api", reason="playwright is missing: install the dev extra (make setup)"
    )
    root = tmp_path_factory.mktemp("lab")
    for name in EXPLORERS:
        shutil.copy(ROOT / "notebooks" / name, root / name)
    settings = root / ".settings"
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    # render every cell (JupyterLab 4 otherwise attaches only the visible ones)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    token, port = secrets.token_hex(16), _free_port()
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={root / '.workspaces'}", "--LabApp.expose_app_in_browser=True",
        "--ServerApp.terminals_enabled=False",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers run as root; the server still listens on 127.0.0.1 only
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(root / ".runtime"), PYDEVD_DISABLE_FILE_VALIDATION="1")
    log = (root / "server.log").open("w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start:\n{(root / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield {"url": url, "token": token, "root": root}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=_chromium(), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield b
        finally:
            b.close()


_ALL_RUN = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext.session) return false;
  const code = panel.content.widgets.filter(w => w.model.type === 'code');
  const kernel = panel.sessionContext.session.kernel;
  const done = code.length > 0 && code.every(w => w.model.executionCount !== null);
  return done && kernel && kernel.status === 'idle';
}"""


_IMAGES = ".jp-CodeCell:has(.widget-html) .jp-OutputArea-output img"
# from the slider's release: the time (ms) when each figure's image changed, read by a MutationObserver
_WATCH = """([sel, before]) => {
  const start = performance.now();
  window.__rkLatency = {start: start, changed: {}};
  const check = () => {
    [...document.querySelectorAll(sel)].forEach((img, i) => {
      if (img.src !== before[i] && !(i in window.__rkLatency.changed))
        window.__rkLatency.changed[i] = performance.now() - start;
    });
  };
  new MutationObserver(check).observe(document.querySelector('.jp-Notebook'),
    {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}"""
LATENCY = BUILD / "explorer_latency.json"


def _record_latency(stem: str, seen: dict, n_figures: int, track_px: float) -> None:
    """Record, not assert (speed is measured, never a test's pass condition): the seconds from
    the slider's release until the last of its explorer's figures showed its new image in
    JupyterLab, into build/explorer_latency.json (and printed). benchmarks/run.py times the
    kernel's side of the same move."""
    times = sorted(seen["changed"].values())
    row = {
        "latency_s": round(times[-1] / 1000, 3) if times else None,
        "first_figure_s": round(times[0] / 1000, 3) if times else None,
        "figures_changed": f"{len(times)} of {n_figures}",
        "slider_track_px": round(track_px),
    }
    table = json.loads(LATENCY.read_text()) if LATENCY.exists() else {}
    table[stem] = row
    LATENCY.write_text(json.dumps(table, indent=1) + "\n")
    print(f"{stem}: slider move shown in {row['latency_s']} s ({row['figures_changed']} figures)")


def _images(cell) -> list[str]:
    return cell.locator(".jp-OutputArea-output img").evaluate_all("els => els.map(e => e.src)")


@pytest.mark.parametrize("notebook", list(EXPLORERS))
def test_explorer_responds_to_its_slider_in_jupyterlab(lab, browser, notebook):
    BUILD.mkdir(exist_ok=True)
    stem = Path(notebook).stem
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # a workspace of its own, so no notebook of an earlier test is restored next to it
        page.goto(
            f"{lab['url']}/lab/workspaces/{stem}/tree/{notebook}?reset&token={lab['token']}", timeout=60_000
        )
        page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=60_000)
        page.wait_for_function(
            "() => window.jupyterapp && document.querySelector('.jp-Notebook')"
            " && !document.querySelector('.jp-Notebook-ExecutionIndicator[data-status=\"busy\"]')",
            timeout=60_000,
        )
        page.wait_for_timeout(2000)  # the kernel connects
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(_ALL_RUN, timeout=RUN_ALL_TIMEOUT * 1000, polling=1000)
        errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
        assert errors.count() == 0, f"{notebook}: a cell raised:\n{errors.first.inner_text()[:2000]}"
        title = EXPLORERS[notebook]
        cell = page.locator(".jp-CodeCell", has=page.locator(".widget-html", has_text=title))
        assert cell.count() == 1, f"{notebook}: the {title} is not shown as a widget"
        slider = cell.locator(".widget-slider").first
        slider.scroll_into_view_if_needed()
        before = _images(cell)
        assert before, f"{notebook}: the explorer shows no figure"
        cell.screenshot(path=str(BUILD / f"browser_{stem}_before.png"))
        handle = slider.locator(".noUi-handle").first
        box = handle.bounding_box()
        track = slider.locator(".noUi-target").first.bounding_box()["width"]
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2, steps=10)
        page.evaluate(_WATCH, [_IMAGES, before])
        page.mouse.up()  # continuous_update=False: the new value goes to the kernel on release
        page.wait_for_function(
            "([sel, before]) => { const imgs = [...document.querySelectorAll(sel)].map(e => e.src);"
            " return imgs.length === before.length && imgs.some((s, i) => s !== before[i]); }",
            arg=[_IMAGES, before],
            timeout=UPDATE_TIMEOUT * 1000,
            polling=500,
        )
        page.wait_for_timeout(1500)  # every figure of the move has arrived (each one its own message)
        after = _images(cell)
        assert after != before
        _record_latency(stem, page.evaluate("() => window.__rkLatency"), len(before), track)
        cell.screenshot(path=str(BUILD / f"browser_{stem}_after.png"))
    finally:
        page.close()
        _shutdown_kernels(lab)


def _shutdown_kernels(lab) -> None:
    """Stop the kernels this test started (each notebook has its own)."""
    base, token = lab["url"], lab["token"]
    with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=10) as r:
        kernels = json.load(r)
    for k in kernels:
        req = urllib.request.Request(f"{base}/api/kernels/{k['id']}?token={token}", method="DELETE")
        urllib.request.urlopen(req, timeout=30).close()
