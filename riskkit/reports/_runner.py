"""One report: a notebook executed by papermill into a folder, all or nothing."""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
import shutil
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from riskkit.reports._imports import LOCK as IMPORTS
from riskkit.reports._kernels import Kernel, in_background, shutdown_when_started, start_in_background
from riskkit.reports._manifest import _collect_key_figures, _manifest, finish
from riskkit.reports._parameters import Parameter, _checked, notebook_parameters
from riskkit.reports._render import _write_html

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class ReportError(RuntimeError):
    """A notebook failed; ``failed_path`` holds the executed copy with the error.

    ``cell`` (execution count), ``ename`` and ``evalue`` describe the failing
    cell's exception when the notebook itself raised; ``lost`` is true when the
    kernel died (killed, out of memory) rather than the notebook raising.
    When the exception was a riskkit error, ``input_error`` says whether it is
    about the input (a :class:`~riskkit.exceptions.DataError`, or a parameter
    value: an ``InvalidParameterError`` or ``InvalidTypeError``) and ``fixes``
    holds its suggested keyword arguments (``err.fixes``), best first, as read
    from the kernel before it was shut down.
    """

    def __init__(
        self,
        message: str,
        failed_path: Path | None = None,
        *,
        cell: int | None = None,
        ename: str | None = None,
        evalue: str | None = None,
        lost: bool = False,
        fixes: tuple[dict[str, Any], ...] = (),
        input_error: bool = False,
    ):
        super().__init__(message)
        self.lost = lost
        self.fixes = tuple(fixes)
        self.input_error = input_error
        self.failed_path = failed_path
        self.cell = cell
        self.ename = ename
        self.evalue = evalue


def run(
    notebook: str | os.PathLike,
    /,
    *,
    parameters: Mapping[str, Any] | None = None,
    out: str | os.PathLike = "reports",
    name: str | None = None,
    kernel_name: str = "python3",
    timeout: int = 600,
    progress: bool | None = None,
) -> Path:
    """Execute ``notebook`` with ``parameters`` and write the report folder.

    The parameters are checked first (:func:`check_parameters`). Returns the
    report folder ``out/name`` (``name`` defaults to the notebook's stem).
    Raises :class:`ReportError` when the notebook fails; its message holds the
    failing cell's error. ``progress`` writes the code cells done out of the total
    to stderr as they finish, on one line; None (the default): only when stderr is
    a terminal.
    """
    nb_path = Path(notebook).resolve()
    declared = notebook_parameters(nb_path)
    params = _checked(nb_path.name, declared, parameters)
    # the kernel boots while papermill and nbformat are imported here
    kernel = start_in_background(kernel_name, cwd=str(Path.cwd()))
    if progress is None:
        progress = sys.stderr.isatty()
    on_cell = _Progress(nb_path, injected=bool(params)) if progress else None
    try:
        return _run(nb_path, declared, params, out=out, name=name, kernel=kernel, timeout=timeout,
                    on_cell=on_cell)  # fmt: skip
    finally:
        if on_cell is not None:
            on_cell.close()


class _Progress:
    """``on_cell_executed`` hook: "riskkit: NAME: cell k of N" rewritten in place on stderr.
    N counts the notebook's code cells and the parameters cell papermill injects."""

    def __init__(self, nb_path: Path, *, injected: bool):
        cells = json.loads(nb_path.read_text(encoding="utf-8")).get("cells", [])
        self.total = sum(c.get("cell_type") == "code" for c in cells) + int(injected)
        self.name, self.done, self.shown = nb_path.stem, 0, False

    def __call__(self, **_: Any) -> None:
        self.done += 1
        total = max(self.total, self.done)
        sys.stderr.write(f"\rriskkit: {self.name}: cell {self.done} of {total}")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _run(
    nb_path: Path,
    declared: Mapping[str, Parameter],
    params: Mapping[str, Any],
    *,
    out: str | os.PathLike,
    name: str | None,
    kernel: Future | Kernel,
    timeout: int,
    on_cell: Callable[..., Any] | None = None,
) -> Path:
    """Execute a checked notebook in ``kernel`` (shut down afterwards) into ``out/name``."""
    name = name or nb_path.stem
    out_dir = Path(out).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / name
    failed = out_dir / f"{name}.failed"
    # made as any folder is (mkdtemp's would be private, 0700, and stay so once moved into place)
    tmp = out_dir / f".tmp-{name}-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    executed = tmp / f"{name}.ipynb"
    k: Kernel | None = kernel if isinstance(kernel, Kernel) else None
    running: list = []  # the notebook as nbclient executes it
    stopping: Future | None = None
    try:
        try:
            with IMPORTS:
                import nbformat
                import papermill as pm

            # what does not depend on the outputs is prepared while the kernel works (it mostly
            # waits there); started after papermill's import, with which its own would contend
            prepared = in_background(_prepare, nb_path, declared, params, out_dir)
            k = kernel.result() if isinstance(kernel, Future) else kernel
            nb = _execute(pm, nb_path, executed, params, k, timeout=timeout, on_cell=on_cell, running=running)
        except Exception as exc:
            raise _failure(exc, nb_path, k, executed=executed, failed=failed, running=running) from exc
        finally:
            if k is not None:  # while the HTML is written; waited for below
                stopping = in_background(k.shutdown)
            elif isinstance(kernel, Future):  # the kernel may still be starting: stop it when it is up
                kernel.add_done_callback(shutdown_when_started)
        _drop_timings(nb)
        nbformat.write(nb, executed)
        _write_html(nb, tmp / f"{name}.html")
        manifest = finish(prepared.result(), _collect_key_figures(nb))
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        _swap_into_place(tmp, final)
        shutil.rmtree(failed, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if stopping is not None:
            stopping.result()
    return final


def _execute(
    pm, nb_path: Path, executed: Path, params: Mapping[str, Any], k: Kernel, *,
    timeout: int, on_cell: Callable[..., Any] | None, running: list,
):  # fmt: skip
    """papermill's run of ``nb_path`` into ``executed`` in the started kernel ``k``; the
    notebook as nbclient executes it is appended to ``running`` (kept if the kernel dies)."""
    extra = {"on_cell_executed": on_cell} if on_cell is not None else {}
    with _papermill_quiet():
        return pm.execute_notebook(
            str(nb_path),
            str(executed),
            parameters=dict(params),
            kernel_name=k.manager.kernel_name,
            km=k.manager,
            progress_bar=False,
            execution_timeout=timeout,
            store_widget_state=False,  # model ids change every run; a report has no live widgets
            # papermill would write the whole notebook before and after every cell (74
            # writes, 0.7 s of the main report with the kernel idle); it is written once,
            # when it ends or fails, and by this hook's keeping when the kernel dies
            request_save_on_cell_execute=False,
            on_notebook_start=lambda notebook: running.append(notebook),
            **extra,
        )


def _failure(
    exc: Exception, nb_path: Path, k: Kernel | None, *, executed: Path, failed: Path, running: list
) -> ReportError:
    """The run failed with ``exc``: the executed copy (or the cells run until the kernel
    died) moved to ``failed``, and the error that says what happened."""
    lost = k is not None and not k.alive
    shutil.rmtree(failed, ignore_errors=True)
    if not executed.exists() and running:  # the kernel died: the cells run until then
        import nbformat

        _drop_timings(running[0])
        nbformat.write(running[0], executed)
    if executed.exists():
        failed.mkdir()
        shutil.move(str(executed), failed / executed.name)
    detail = {}
    if isinstance(exc, _execution_error()):
        tb = _ANSI.sub("", "\n".join(exc.traceback[-6:]))
        what = f"cell [{exc.exec_count}] raised {exc.ename}: {exc.evalue}\n{tb}"
        detail = {"cell": exc.exec_count, "ename": exc.ename, "evalue": exc.evalue}
        if k is not None and k.alive:
            detail |= _error_fixes(k)
    elif lost:
        log = k.log_tail() if k is not None else ""
        what = f"the kernel died ({type(exc).__name__}: {exc})" + (f"; its last words:\n{log}" if log else "")
    else:
        what = f"{type(exc).__name__}: {exc}"
    return ReportError(
        f"notebook {nb_path.name} failed; the executed copy with the error is in {failed}.\n{what}",
        failed_path=failed,
        lost=lost and not detail,
        **detail,
    )


_FIXES = (
    "__import__('json').dumps((lambda e, x: {"
    "'fixes': [dict(f) for f in getattr(e, 'fixes', ())], "
    "'input_error': isinstance(e, (x.DataError, x.InvalidParameterError, x.InvalidTypeError))"
    "})(getattr(__import__('sys'), 'last_value', None), __import__('riskkit.exceptions').exceptions), "
    "default=str)"
)


def _error_fixes(kernel: Kernel) -> dict[str, Any]:
    """The suggested fixes of the exception the notebook raised, asked of its kernel
    (IPython keeps it as ``sys.last_value``); nothing when the kernel cannot say."""
    try:
        reply = kernel._silent("", 10, {"x": _FIXES})
        text = reply["user_expressions"]["x"]["data"]["text/plain"]
        found = json.loads(ast.literal_eval(text))
        return {"fixes": tuple(found["fixes"]), "input_error": bool(found["input_error"])}
    except Exception:  # an old riskkit in the kernel, a dead kernel: no fixes to offer
        return {}


def _prepare(nb_path: Path, declared, params, out_dir: Path) -> dict[str, Any]:
    with IMPORTS:
        import latex2mathml.converter  # noqa: F401  (imported here, used by the HTML export)
        import nbconvert  # noqa: F401

    return _manifest(nb_path, declared, params, out_dir)


def _execution_error() -> type:
    with IMPORTS:
        from papermill.exceptions import PapermillExecutionError

    return PapermillExecutionError


def _drop_timings(nb) -> None:
    """Remove what differs between two runs of the same report and says nothing
    about its results (start and end times, durations, temporary paths), so that
    a regenerated report differs from the committed one only where a result
    changed. The manifest keeps the creation time."""
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        nb.metadata.get("papermill", {}).pop(key, None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for key in ("start_time", "end_time", "duration"):
            cell.metadata.get("papermill", {}).pop(key, None)


class _papermill_quiet:
    """Drop the client's "Kernel died while waiting for execute reply" warning: the
    report says so itself. (papermill reads riskkit's parameters cells as riskkit
    does, so its own parameter warnings are left to show.) The filter stays while
    any report runs: a grid's reports run side by side in threads, and the first
    one to end must not take it from the others."""

    _names = ("papermill", "papermill.translators")
    _lock = threading.Lock()
    _running = 0

    @staticmethod
    def filter(record) -> bool:
        return not record.getMessage().startswith("Kernel died")

    def __enter__(self):
        import logging

        with self._lock:
            if type(self)._running == 0:
                for name in self._names:
                    logging.getLogger(name).addFilter(self.filter)
            type(self)._running += 1

    def __exit__(self, *exc):
        import logging

        with self._lock:
            type(self)._running -= 1
            if type(self)._running == 0:
                for name in self._names:
                    logging.getLogger(name).removeFilter(self.filter)


def run_all(folder: str | os.PathLike, /, *, out: str | os.PathLike = "reports") -> list[Path]:
    """Run every ``*.ipynb`` of ``folder`` (sorted) with its defaults; stop at the first failure."""
    notebooks = sorted(Path(folder).glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {str(folder)!r}.")
    return [run(nb, out=out) for nb in notebooks]


def _swap_into_place(tmp: Path, final: Path) -> None:
    """Replace ``final`` by ``tmp`` with renames only, never half-overwriting it."""
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}-{threading.get_ident()}")
        final.rename(old)
    try:
        tmp.rename(final)
    except OSError:
        if old is not None:
            old.rename(final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
