"""A grid's summary: ``summary.csv`` for machines, ``summary.html`` for people.

The page is self-contained (no CDN, no external file): a sortable table of every
member with a link to its report, its status, parameters and key figures side
by side; members whose alert figure is set are highlighted; charts compare the
members on the figures the notebook named (``key_figures(..., compare=...)``).
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from riskkit._core.formats import figure
from riskkit.reports._manifest import _LAYOUT, label

_STATUS_COLOURS = {
    "ok": "#e7f5e9",
    "reused": "#eef3fb",
    "failed": "#fde2e1",
    "lost": "#fde2e1",
    "cancelled": "#f2f2f2",
}

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem; color: #1f2933; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; } p.counts { color: #52606d; margin-top: 0; }
table { border-collapse: collapse; font-size: .85rem; margin-top: 1rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #e4e7eb; text-align: right; white-space: nowrap; }
th { background: #f5f7fa; cursor: pointer; position: sticky; top: 0; user-select: none;
     white-space: normal; max-width: 7rem; vertical-align: bottom; }
td:first-child, th:first-child { position: sticky; left: 0; background: #fff; z-index: 1; text-align: left; }
th:first-child { background: #f5f7fa; z-index: 2; }
th:hover { background: #e4e7eb; } td.text { text-align: left; }
tr.alert td { background: #fff4d6; } tr.alert td:first-child { border-left: 4px solid #e5a000; }
td.status { font-weight: 600; } td.long { max-width: 22rem; overflow: hidden; text-overflow: ellipsis; }
th.parameter { font-family: ui-monospace, monospace; font-weight: 500; } p.shared { font-size: .85rem; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.charts img { border: 1px solid #e4e7eb; max-width: 46rem; } .legend { font-size: .85rem; color: #52606d; }
"""

_SORT_SCRIPT = """
document.querySelectorAll("table.grid th").forEach((th, col) => th.addEventListener("click", () => {
  const body = th.closest("table").tBodies[0], rows = Array.from(body.rows);
  const asc = th.dataset.order !== "asc"; th.dataset.order = asc ? "asc" : "desc";
  const key = r => { const c = r.cells[col]; const v = c.dataset.value ?? c.textContent;
                     const n = parseFloat(v); return isNaN(n) ? v.toLowerCase() : n; };
  rows.sort((a, b) => { const x = key(a), y = key(b);
                        return (x > y ? 1 : x < y ? -1 : 0) * (asc ? 1 : -1); });
  rows.forEach(r => body.appendChild(r));
}));
"""


_RUN = ("attempts", "seconds", "error")  # how a member ran, after what it found


def write_summary(table, folder: Path, *, title: str, layout: Mapping[str, Any]) -> None:
    """Write ``summary.csv`` and ``summary.html`` of ``table`` into ``folder``.

    The CSV holds every column; numbers to 12 significant digits, so that float
    noise (1000000.0000000001) does not pose as information."""
    table.to_csv(folder / "summary.csv", float_format="%.12g")
    (folder / "summary.html").write_text(summary_html(table, title=title, layout=layout), encoding="utf-8")


def summary_html(table, *, title: str, layout: Mapping[str, Any]) -> str:
    """The page: counts, charts, the parameters every member shares, then one
    sortable row per member (status, the parameters that differ, key figures as
    the notebook formats them, how it ran) linking to its report."""
    alert = layout.get("alert")
    formats = {"seconds": ".1f"} | dict(layout.get("formats") or {})
    counts = table["status"].value_counts()
    said = ", ".join(f"{n} {s}" for s, n in counts.items())
    charts = "".join(_chart(table, spec, formats) for spec in layout.get("compare", []))
    legend = (
        f"<p class='legend'>Highlighted: members whose <b>{html.escape(label(str(alert)))}</b> is set.</p>"
        if alert and alert in table.columns
        else ""
    )
    figures = set(layout.get("order") or ())
    params = [
        c for c in table.columns
        if c not in ("status", "report", *_RUN) and c.removesuffix(" (result)") not in figures
    ]  # fmt: skip
    shared = [c for c in params if len(table) > 1 and table[c].map(figure).nunique(dropna=False) == 1]
    said_shared = ", ".join(
        f"<code>{html.escape(c)}</code> = {html.escape(figure(table[c].iloc[0]))}" for c in shared
    )
    shared_line = f"<p class='shared'>Every member has {said_shared}.</p>" if shared else ""
    shown = table.drop(columns=shared)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='counts'>{len(table)} members: {html.escape(said)}. "
        "Click a column to sort; a member's name opens its report.</p>"
        f"{f'<div class=charts>{charts}</div>' if charts else ''}{shared_line}{legend}"
        f"{_table_html(shown, alert, formats, set(params))}<script>{_SORT_SCRIPT}</script></body></html>\n"
    )


def _table_html(table, alert: str | None, formats: Mapping[str, str], params: set[str]) -> str:
    columns = [c for c in table.columns if c != "report"]
    head = "".join(
        f"<th class='parameter' title='parameter'>{html.escape(c)}</th>"
        if c in params
        else f"<th title='{html.escape(c)}'>{html.escape(label(c))}</th>"
        for c in ["member", *columns]
    )
    rows = []
    for member, row in table.iterrows():
        flagged = alert in row.index and _set(row[alert])
        link = row.get("report") or ""
        cells = [
            f"<td class='text'><a href='{html.escape(link)}'>{html.escape(str(member))}</a></td>"
            if link
            else f"<td class='text'>{html.escape(str(member))}</td>"
        ]
        for col in columns:
            v = row[col]
            text = figure(v, formats.get(str(col).removesuffix(" (result)")))
            style = f" style='background:{_STATUS_COLOURS.get(v, '')}'" if col == "status" else ""
            kind = "status" if col == "status" else ("" if _is_number(v) else "text")
            kind += " long" if len(text) > 40 else ""
            extra = f" data-value='{v!r}'" if _is_number(v) else ""
            extra += f" title='{html.escape(text)}'" if len(text) > 40 else ""
            cells.append(f"<td class='{kind.strip()}'{style}{extra}>{html.escape(text)}</td>")
        rows.append(f"<tr{' class=alert' if flagged else ''}>{''.join(cells)}</tr>")
    return f"<table class='grid'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _set(v: Any) -> bool:
    if _is_number(v):
        return v != 0
    return v is True or (isinstance(v, str) and v.lower() in ("true", "yes"))


def _chart(table, spec: str | Sequence[str], formats: Mapping[str, str]) -> str:
    """A PNG (inline) comparing the members on one figure (bars) or two (scatter)."""
    from matplotlib.figure import Figure

    names = [spec] if isinstance(spec, str) else list(spec)
    if not all(n in table.columns for n in names):
        return ""
    data = table[names].apply(lambda c: c.map(lambda v: v if _is_number(v) else math.nan)).dropna()
    if data.empty:
        return ""

    def ticks(name: str):
        """A percentage axis for a figure formatted as one (decimals as the range needs)."""
        from matplotlib.ticker import PercentFormatter, ScalarFormatter

        return PercentFormatter(1.0) if formats.get(name, "").endswith("%") else ScalarFormatter()

    fig = Figure(figsize=(6.4, 4.0), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    if len(names) == 1:
        s = data[names[0]].sort_values()
        ax.barh([str(i) for i in s.index], s.to_numpy(), color="#4c78a8")
        ax.set_xlabel(label(names[0]))
        ax.xaxis.set_major_formatter(ticks(names[0]))
        ax.tick_params(axis="y", labelsize=7)
    else:
        x, y = data[names[0]], data[names[1]]
        ax.scatter(x, y, color="#4c78a8")
        common = os.path.commonprefix([str(m) for m in data.index])  # noqa: RUF071 (names, not paths)
        cut = common.rfind("-") + 1 if len(data) > 1 else 0  # "risk_report-007" is tagged "007"
        for member, xi, yi in zip(data.index, x, y, strict=True):
            tag = str(member)[cut:]
            ax.annotate(tag, (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel(label(names[0]))
        ax.set_ylabel(label(names[1]))
        ax.xaxis.set_major_formatter(ticks(names[0]))
        ax.yaxis.set_major_formatter(ticks(names[1]))
        ax.grid(alpha=0.3)
    ax.set_title(" vs ".join(label(n) for n in reversed(names)), fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    png = base64.b64encode(buf.getvalue()).decode()
    return f"<img alt='{html.escape(' vs '.join(names))}' src='data:image/png;base64,{png}'>"


def layout_of(executed: Sequence[Path]) -> dict[str, Any]:
    """The summary layout a notebook declared with its key figures (the first
    report of ``executed`` that has one)."""
    import nbformat

    for path in executed:
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                if _LAYOUT in output.get("metadata", {}):
                    return dict(output["metadata"][_LAYOUT])
    return {}
