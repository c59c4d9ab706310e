"""Run parameterised notebooks into reports, atomically.

Contents
--------
run         execute one notebook with papermill -> executed notebook, HTML
            without code, manifest.json; all or nothing
run_all     every notebook of a folder with its default parameters

A report is a folder ``OUT/<notebook stem>/`` holding ``<stem>.ipynb``,
``<stem>.html`` and ``manifest.json``. It is built in a temporary folder
beside it and moved into place only when every step succeeded; a failing
notebook is kept, error included, in ``OUT/<stem>.failed/`` and the existing
report, if any, is left untouched.

This module runs notebooks and knows nothing of finance.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["ReportError", "run", "run_all"]

_VERSIONS_OF = (
    "riskkit",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "statsmodels",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "ipykernel",
)


class ReportError(RuntimeError):
    """A notebook failed; ``failed_path`` holds the executed copy with the error."""

    def __init__(self, message: str, failed_path: Path | None = None):
        super().__init__(message)
        self.failed_path = failed_path


def run(
    notebook: str | os.PathLike,
    /,
    *,
    parameters: Mapping[str, Any] | None = None,
    out: str | os.PathLike = "reports",
    name: str | None = None,
    kernel_name: str = "python3",
    timeout: int = 600,
) -> Path:
    """Execute ``notebook`` with ``parameters`` and write the report folder.

    Returns the report folder ``out/name`` (``name`` defaults to the
    notebook's stem). Raises :class:`ReportError` when the notebook fails.
    """
    import papermill as pm

    nb_path = Path(notebook).resolve()
    if not nb_path.is_file():
        raise FileNotFoundError(f"notebook {str(notebook)!r} does not exist.")
    params = dict(parameters or {})
    name = name or nb_path.stem
    out_dir = Path(out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / name
    failed = out_dir / f"{name}.failed"
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=out_dir))
    executed = tmp / f"{name}.ipynb"
    # figures must render inline whatever backend the caller runs with (MPLBACKEND=Agg hides them)
    backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        try:
            pm.execute_notebook(
                str(nb_path),
                str(executed),
                parameters=params,
                kernel_name=kernel_name,
                progress_bar=False,
                execution_timeout=timeout,
                cwd=str(Path.cwd()),
            )
        except Exception as exc:
            shutil.rmtree(failed, ignore_errors=True)
            if executed.exists():
                failed.mkdir()
                shutil.move(str(executed), failed / executed.name)
            raise ReportError(
                f"notebook {nb_path.name} failed; the executed copy with the error is in {failed}.\n{exc}",
                failed_path=failed,
            ) from exc
        _write_html(executed, tmp / f"{name}.html")
        manifest = _manifest(nb_path, params)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        _swap_into_place(tmp, final)
        shutil.rmtree(failed, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = backend
    return final


def run_all(folder: str | os.PathLike, /, *, out: str | os.PathLike = "reports") -> list[Path]:
    """Run every ``*.ipynb`` of ``folder`` (sorted) with its defaults; stop at the first failure."""
    notebooks = sorted(Path(folder).glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {str(folder)!r}.")
    return [run(nb, out=out) for nb in notebooks]


def _write_html(executed: Path, target: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    target.write_text(body, encoding="utf-8")


def _swap_into_place(tmp: Path, final: Path) -> None:
    """Replace ``final`` by ``tmp`` with renames only, never half-overwriting it."""
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}")
        final.rename(old)
    try:
        tmp.rename(final)
    except OSError:
        if old is not None:
            old.rename(final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _manifest(notebook: Path, params: Mapping[str, Any]) -> dict[str, Any]:
    versions = {}
    for dist in _VERSIONS_OF:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "notebook": notebook.name,
        "notebook_sha256": _sha256(notebook),
        "parameters": dict(params),
        "input_files": _input_hashes(params),
        "versions": versions,
        "python": platform.python_version(),
        "git_commit": _git(notebook.parent, "rev-parse", "HEAD"),
        "git_dirty": bool(_git(notebook.parent, "status", "--porcelain", "--untracked-files=no")),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _input_hashes(params: Mapping[str, Any]) -> dict[str, str]:
    """SHA-256 of every parameter that names an existing file. (Bundled datasets passed by
    name are not hashed yet: the notebook's own code resolves them.)"""
    hashes = {}
    for value in params.values():
        if not isinstance(value, str):
            continue
        path = Path(value)
        if path.is_file():
            hashes[str(path)] = _sha256(path)
    return hashes


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _git(where: Path, *args: str) -> str | None:
    """Output of a git command in ``where``, or None outside a checkout."""
    try:
        res = subprocess.run(
            ["git", *args], cwd=where, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (res.stdout.strip() or None) if res.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m riskkit.reports", description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", help="the notebook to run")
    parser.add_argument("--all", metavar="FOLDER", help="run every notebook of FOLDER with its defaults")
    parser.add_argument("--out", default="reports", help="where reports go (default: reports)")
    args = parser.parse_args(argv)
    if not args.all and not args.notebook:
        parser.error("give a NOTEBOOK or --all FOLDER")
    try:
        paths = run_all(args.all, out=args.out) if args.all else [run(args.notebook, out=args.out)]
    except ReportError as exc:
        print(f"riskkit: report failed: {exc}", file=sys.stderr)
        return 1
    for p in paths:
        print(f"report written: {p}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
