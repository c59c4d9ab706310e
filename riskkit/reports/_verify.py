"""Is a report what the code and data produce? Outputs compared with a tolerance, and re-runs.

Rounding differs between machines (numpy's SIMD kernels, the BLAS kernels, thread
counts), so two honest runs of a report agree in structure and text but may
differ in the last bits of a number. The comparison here is exact for
everything but numbers, which match when they agree to ``rtol`` (relative):

- every code cell's source, and the kind and order of its outputs (consecutive
  stream outputs of one stream are joined first: how a kernel chunks its output
  varies);
- text outputs (``text/plain``, ``text/html``, ``text/markdown``, ``text/latex``,
  streams, error name and value): the words exactly, each number to ``rtol``;
- images and widget views: present in both (their bytes depend on the renderer).

Before comparing, what legitimately varies between runs is masked: memory
addresses, temporary paths, matplotlib's ``<Figure size ...>`` reprs and
inline base64 images. These rules are the only ones; nothing else is ignored.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riskkit._core.result import Result
from riskkit.exceptions import DataError, InvalidParameterError
from riskkit.reports._manifest import _code_cells, _input_hashes, code_sha256

RTOL = 1e-6
"""Relative tolerance for numbers in report outputs: far above rounding noise
(1e-16 to 1e-12 for well-conditioned figures), far below any printed change."""

_TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex")
_SANITIZE = (
    (re.compile(r"<Figure size \d+x\d+ with \d+ Axes>"), "<Figure>"),
    (re.compile(r"\b0x[0-9a-fA-F]+"), "0xADDRESS"),
    (re.compile(r"/tmp/[^\s'\"<>]+"), "TMPPATH"),
    (re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+"), "data:image;base64,IMAGE"),
)
# a number as printed: sign, digits with thousands separators, decimals, exponent
_NUMBER = re.compile(r"([-+\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?|[-+\u2212]?\.\d+)")


@dataclass(frozen=True)
class Difference:
    """One place where two runs of a report disagree."""

    cell: int  # index of the cell in the notebook
    prompt: int | None  # its execution count in the committed report, In [prompt]
    output: str  # what was compared: "source", "outputs", "output 2 text/html", ...
    old: str  # the committed text around the difference
    new: str  # the re-run's text around the difference

    def __str__(self) -> str:
        return (
            f"cell {self.cell} (In [{self.prompt}]), {self.output}:\n    was: {self.old}\n    now: {self.new}"
        )


@dataclass(frozen=True, repr=False)
class Verification(Result):
    """The outcome of :func:`verify`: the report, what was compared, what differs."""

    report: Path
    rtol: float
    cells: int  # code cells compared
    outputs: int  # outputs compared
    differences: tuple[Difference, ...]

    @property
    def ok(self) -> bool:
        return not self.differences

    def summary(self):
        import pandas as pd

        return pd.DataFrame(
            [(d.cell, d.prompt, d.output, d.old, d.new) for d in self.differences],
            columns=["cell", "prompt", "output", "committed", "re-run"],
        )

    def _count(self) -> str:
        n = len(self.differences)
        return f"{n} difference{'' if n == 1 else 's'}"

    def describe(self) -> str:
        """Plain text: verified, or every difference."""
        head = (
            f"{self.report}: {self.cells} code cells, {self.outputs} outputs compared "
            f"(numbers to rtol {self.rtol:g})"
        )
        if self.ok:
            return f"{head}: the re-run reproduces the report."
        diffs = "\n".join(f"  {d}" for d in self.differences)
        return f"{head}: {self._count()}.\n{diffs}"

    def _headline(self) -> str:
        state = "reproduced" if self.ok else self._count()
        return f"{self.report.name}: {state}, {self.outputs} outputs, rtol={self.rtol:g}"


# --------------------------------------------------------------------------- comparison


def compare_notebooks(
    committed: Any, rerun: Any, /, *, rtol: float = RTOL
) -> tuple[int, int, list[Difference]]:
    """Compare two executed notebooks (nbformat nodes or paths).

    Returns (code cells compared, outputs compared, differences).
    """
    import nbformat

    a, b = (
        nbformat.read(nb, as_version=4) if isinstance(nb, str | os.PathLike) else nb
        for nb in (committed, rerun)
    )
    ca, cb = _code_cells(a), _code_cells(b)
    diffs: list[Difference] = []
    if len(ca) != len(cb):
        diffs.append(Difference(-1, None, "cells", f"{len(ca)} code cells", f"{len(cb)} code cells"))
        return 0, 0, diffs
    n_out = 0
    for (i, x), (_, y) in zip(ca, cb, strict=True):
        if x.source != y.source:
            diffs.append(Difference(i, x.execution_count, "source", _clip(x.source), _clip(y.source)))
            continue
        ox, oy = _outputs(x), _outputs(y)
        if [k for k, _ in ox] != [k for k, _ in oy]:
            diffs.append(
                Difference(
                    i, x.execution_count, "outputs", ", ".join(k for k, _ in ox), ", ".join(k for k, _ in oy)
                )
            )
            continue
        for j, ((kind, tx), (_, ty)) in enumerate(zip(ox, oy, strict=True)):
            n_out += 1
            if tx is None:  # compared by presence
                continue
            where = _first_difference(tx, ty, rtol)
            if where is not None:
                diffs.append(Difference(i, x.execution_count, f"output {j} {kind}", *where))
    return len(ca), n_out, diffs


def _outputs(cell) -> list[tuple[str, str | None]]:
    """(kind, sanitised text or None for presence-only) per output, streams joined."""
    out: list[tuple[str, str | None]] = []
    for o in cell.get("outputs", []):
        t = o["output_type"]
        if t == "stream":
            kind = f"stream {o['name']}"
            if out and out[-1][0] == kind:
                out[-1] = (kind, out[-1][1] + _sanitize(o["text"]))
            else:
                out.append((kind, _sanitize(o["text"])))
        elif t == "error":
            out.append(("error", _sanitize(f"{o['ename']}: {o['evalue']}")))
        else:
            data = o.get("data", {})
            for mime in sorted(data):
                text = data[mime] if mime in _TEXT_MIMES else None
                if isinstance(text, list):
                    text = "".join(text)
                out.append((mime, None if text is None else _sanitize(text)))
    return out


def _sanitize(text: str) -> str:
    for pattern, repl in _SANITIZE:
        text = pattern.sub(repl, text)
    return text


def _number(token: str) -> float:
    return float(token.replace(",", "").replace("\u2212", "-"))


def _first_difference(a: str, b: str, rtol: float) -> tuple[str, str] | None:
    """None when ``a`` and ``b`` have the same words and numbers within ``rtol``;
    else the two texts around the first difference."""
    if a == b:
        return None
    pa, pb = _NUMBER.split(a), _NUMBER.split(b)
    ia = ib = 0  # where the current piece starts in a and in b
    for k, (x, y) in enumerate(zip(pa, pb, strict=False)):
        if x != y and (k % 2 == 0 or not _close(_number(x), _number(y), rtol)):
            return _clip(a[max(0, ia - 50) : ia + len(x) + 50]), _clip(b[max(0, ib - 50) : ib + len(y) + 50])
        ia, ib = ia + len(x), ib + len(y)
    if len(pa) != len(pb):
        return _clip(a[max(0, ia - 50) :]), _clip(b[max(0, ib - 50) :])
    return None


def _close(u: float, v: float, rtol: float) -> bool:
    return abs(u - v) <= rtol * max(abs(u), abs(v))


def _clip(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


# --------------------------------------------------------------------------- verify


def verify(report: str | os.PathLike, /, *, rtol: float = RTOL, timeout: int = 600) -> Verification:
    """Re-run a report from its own folder and compare the outputs.

    Reads ``manifest.json`` and the executed notebook of the report folder,
    checks that the notebook's code is what the manifest recorded and that every
    input file and dataset still has its recorded SHA-256 (an input that changed
    or is missing raises :class:`~riskkit.exceptions.DataError` naming it), runs
    the notebook again with the recorded parameters, and compares every output
    with :func:`compare_notebooks`. Relative file paths are read from the
    current folder, as when the report was made.
    """
    import nbformat

    from riskkit.reports._runner import run

    if not rtol > 0:
        raise InvalidParameterError(f"rtol must be positive; got {rtol!r}.")
    folder = Path(report)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{str(folder)!r} is not a report folder: it has no manifest.json.")
    manifest = json.loads(manifest_path.read_text())
    executed = folder / f"{folder.name}.ipynb"
    if not executed.is_file():
        raise FileNotFoundError(f"report {str(folder)!r} has no executed notebook {executed.name}.")
    committed = nbformat.read(executed, as_version=4)
    recorded = manifest.get("code_sha256")
    if recorded is not None and recorded != code_sha256(committed):
        raise DataError(
            f"the code of {executed} is not the code the report ran (manifest code_sha256 {recorded[:12]}…): "
            "the notebook was edited after the report was made."
        )
    now = _input_hashes(manifest.get("effective_parameters", {}))
    for name, digest in manifest.get("input_files", {}).items():
        if name not in now:
            raise DataError(
                f"input {name!r} of report {folder.name} is missing here "
                f"(relative paths are read from the current folder, {Path.cwd()})."
            )
        if now[name] != digest:
            raise DataError(
                f"input {name!r} of report {folder.name} has changed: SHA-256 {now[name][:12]}… here, "
                f"{digest[:12]}… when the report was made."
            )
    with tempfile.TemporaryDirectory(prefix="riskkit-verify-") as tmp:
        source = Path(tmp) / f"{folder.name}.ipynb"
        clean = nbformat.from_dict(json.loads(nbformat.writes(committed)))
        clean.cells = [c for c in clean.cells if "injected-parameters" not in c.metadata.get("tags", [])]
        for cell in clean.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(clean, source)
        rerun = run(source, parameters=manifest.get("parameters", {}), out=Path(tmp) / "out", timeout=timeout)
        cells, outputs, diffs = compare_notebooks(committed, rerun / f"{folder.name}.ipynb", rtol=rtol)
    return Verification(folder.resolve(), rtol, cells, outputs, tuple(diffs))
