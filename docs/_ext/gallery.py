"""The report gallery: a card for each committed report, with a thumbnail of its first figure.

The committed reports (``reports/NAME/NAME.html``) stay the one source: at build time each
report is copied beside the pages (``reports/NAME/NAME.html`` in the site) and the first
PNG figure embedded in it (a base64 ``<img>``) is decoded, downscaled to ``WIDTH`` pixels
with Pillow (a matplotlib dependency) and written to ``_static/gallery/NAME.png`` in the
site; nothing of it is committed. The card shows the notebook's first heading and its
dataset (the ``data`` parameter of the report's manifest).
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

WIDTH = 480
THUMBS = "_static/gallery"
_FIGURE = re.compile(rb'<img[^>]*\ssrc="data:image/png;base64,([A-Za-z0-9+/=\s]+)"')
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Report:
    """A committed report: its folder name, title, one line, HTML file."""

    name: str
    title: str
    line: str
    page: Path

    @property
    def link(self) -> str:
        return f"reports/{self.name}/{self.page.name}"

    @property
    def thumbnail(self) -> str:
        return f"{THUMBS}/{self.name}.png"


def _title(executed: Path, default: str) -> str:
    """The executed notebook's first heading (``# 01 · Title``), else ``default``."""
    if not executed.is_file():
        return default
    cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    first = next((c for c in cells if c["cell_type"] == "markdown"), None)
    source = "".join(first["source"]) if first else ""
    return source.splitlines()[0][2:].strip() if source.startswith("# ") else default


def _line(manifest: Path) -> str:
    """One line about the run: the notebook it executes and its dataset."""
    if not manifest.is_file():
        return ""
    info = json.loads(manifest.read_text(encoding="utf-8"))
    params = info.get("effective_parameters") or info.get("parameters") or {}
    notebook = Path(str(info.get("notebook", ""))).name
    parts = [f"notebooks/{notebook}" if notebook else ""]
    parts.append(f"data: {params['data']}" if params.get("data") else "")
    return " · ".join(p for p in parts if p)


def reports(root: Path) -> list[Report]:
    """Each committed report under ``root/reports``, in folder order."""
    found = []
    for page in sorted(root.glob("reports/*/*.html")):
        if page.stem != page.parent.name:
            continue
        title = _title(page.with_suffix(".ipynb"), page.stem)
        found.append(Report(page.stem, title, _line(page.parent / "manifest.json"), page))
    return found


def first_figure(page: Path) -> bytes | None:
    """The bytes of the first base64 PNG ``<img>`` of a report's HTML, or None."""
    match = _FIGURE.search(page.read_bytes())
    if match is None:
        return None
    try:
        data = base64.b64decode(b"".join(match[1].split()), validate=True)
    except binascii.Error:
        return None
    return data if data.startswith(PNG_MAGIC) else None


def thumbnail(png: bytes, width: int = WIDTH) -> bytes:
    """``png`` downscaled to ``width`` pixels wide (never enlarged), as PNG bytes."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image = image.convert("RGBA") if image.mode not in ("RGB", "RGBA") else image
        if image.width > width:
            image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def cards(found: list[Report]) -> str:
    """The gallery's card grid as HTML."""
    items = []
    for r in found:
        items.append(
            '<div class="col"><div class="card h-100 riskkit-report">'
            f'<a href="{r.link}"><img class="card-img-top" src="{r.thumbnail}" '
            f'alt="first figure of {html.escape(r.name)}" loading="lazy"></a>'
            '<div class="card-body">'
            f'<p class="card-title"><a href="{r.link}"><b>{html.escape(r.title)}</b></a></p>'
            f'<p class="card-text"><code>{html.escape(r.name)}</code>'
            + (f" · {html.escape(r.line)}" if r.line else "")
            + "</p></div></div></div>"
        )
    grid = '<div class="row row-cols-1 row-cols-md-2 row-cols-xl-3 g-4 report-gallery">'
    return grid + "\n" + "\n".join(items) + "\n</div>"


def _source_read(app, docname, source):
    if docname == app.config.gallery_page:
        found = reports(Path(app.config.gallery_root))
        source[0] += f"\n```{{raw}} html\n{cards(found)}\n```\n"


def _build_finished(app, exception):
    """Copy each report beside the pages and write its thumbnail."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    (out / THUMBS).mkdir(parents=True, exist_ok=True)
    for r in reports(Path(app.config.gallery_root)):
        (out / r.link).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(r.page, out / r.link)
        png = first_figure(r.page)
        if png is None:
            from sphinx.util import logging

            logging.getLogger(__name__).warning("report %s has no PNG figure for its thumbnail", r.name)
            continue
        (out / r.thumbnail).write_bytes(thumbnail(png))


def setup(app):
    app.add_config_value("gallery_root", "", "html")
    app.add_config_value("gallery_page", "gallery", "html")
    app.connect("source-read", _source_read)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
