"""Report grids: one report per parameter set, in worker processes or on Dask."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from riskkit._core.result import Result
from riskkit.exceptions import InvalidParameterError
from riskkit.reports._manifest import _collect_key_figures
from riskkit.reports._parameters import _checked, _read_yaml, effective_parameters, notebook_parameters
from riskkit.reports._runner import ReportError, _run
from riskkit.reports._summary import layout_of, write_summary


def load_grid(path: str | os.PathLike, /) -> list[dict[str, Any]]:
    """The parameter sets of a YAML grid file; see :func:`expand_grid` for the forms."""
    return expand_grid(_read_yaml(path), where=str(path))


def expand_grid(spec: Any, /, *, where: str = "grid") -> list[dict[str, Any]]:
    """Parameter sets from a grid specification.

    Forms (YAML or Python):

    - ``{"grid": {name: [values...], ...}}``: the cartesian product, first name slowest;
    - ``{"runs": [{name: value, ...}, ...]}`` or a bare list of mappings: explicit sets;
      a set's ``member: <name>`` names its report (else ``<notebook>-NNN``);
    - either may add ``"base": {name: value}``, parameters shared by every set.
    """
    if isinstance(spec, list):
        spec = {"runs": spec}
    if not isinstance(spec, Mapping) or not ({"grid", "runs"} & set(spec)):
        raise InvalidParameterError(
            f"{where}: give 'grid' (name: list of values) or 'runs' (a list of mappings)."
        )
    extra = set(spec) - {"grid", "runs", "base"}
    if extra:
        raise InvalidParameterError(f"{where}: unknown keys {sorted(extra)}; valid: grid, runs, base.")
    base = spec.get("base") or {}
    if not isinstance(base, Mapping):
        raise InvalidParameterError(f"{where}: 'base' must be a mapping of name: value.")
    sets: list[dict[str, Any]] = []
    if "grid" in spec:
        grid = spec["grid"]
        if not isinstance(grid, Mapping) or not grid:
            raise InvalidParameterError(
                f"{where}: 'grid' must be a non-empty mapping of name: list of values."
            )
        for k, v in grid.items():
            if not isinstance(v, list) or not v:
                raise InvalidParameterError(
                    f"{where}: grid values of {k!r} must be a non-empty list; got {v!r}."
                )
        sets += [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]
    if "runs" in spec:
        runs = spec["runs"]
        if not isinstance(runs, list) or not all(isinstance(r, Mapping) for r in runs):
            raise InvalidParameterError(f"{where}: 'runs' must be a list of mappings name: value.")
        sets += [dict(r) for r in runs]
    if not sets:
        raise InvalidParameterError(f"{where}: the grid has no parameter sets.")
    return [dict(base) | s for s in sets]


STATUSES = ("ok", "reused", "failed", "lost", "cancelled")
"""What became of a grid member: ``ok`` (run now), ``reused`` (its report was
already there and current), ``failed`` (the notebook raised), ``lost`` (its
kernel or worker died, after every retry), ``cancelled`` (interrupted)."""


class GridInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`run_grid`: ``result`` is the grid as it stood, with
    the members in flight or not started marked ``cancelled``; the summary was
    written."""

    def __init__(self, result: GridResult):
        super().__init__(f"grid interrupted; summary written in {result.folder}")
        self.result = result


@dataclass(frozen=True, eq=False, repr=False)
class GridResult(Result):
    """The reports of a grid: ``folder`` holds one report per member, ``summary.csv``
    and ``summary.html``; :meth:`summary` is the same table (one row per member:
    status, attempts, seconds, error, report, parameters, key figures)."""

    folder: Path
    table: Any = field(repr=False)  # pandas DataFrame, index: member
    failed: tuple[str, ...] = ()
    layout: Mapping[str, Any] = field(default_factory=dict, repr=False)  # as key_figures() declared it

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self):
        """One row per member (a copy)."""
        return self.table.copy()

    def counts(self) -> str:
        """What became of the members, e.g. ``"25 members: 20 ok, 3 reused, 2 failed"``."""
        from riskkit._core.validation import count  # (it imports pandas: not at the CLI's start)

        counts = self.table["status"].value_counts()
        said = ", ".join(f"{counts[s]} {s}" for s in STATUSES if s in counts)
        return f"{count(len(self.table), 'member')}: {said}"

    def _headline(self) -> str:
        return f"{self.counts()}; {self.folder}"

    def _display_table(self):
        return self.table.head(20)


def run_grid(
    notebook: str | os.PathLike,
    grid: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    /,
    *,
    out: str | os.PathLike = "reports",
    name: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    retries: int = 0,
    force: bool = False,
    progress: bool = True,
    timeout: int = 600,
) -> GridResult:
    """One report per parameter set of ``grid``, run in parallel; nothing is lost.

    ``grid``: a list of parameter mappings, or a specification for
    :func:`expand_grid`. Every set is checked against the notebook before any
    runs. Members run ``workers`` at a time on this machine (default: the number
    of cores), each in a kernel of its own started warm ahead of time, or on the
    Dask cluster whose scheduler is at ``scheduler`` (``tcp://host:8786``; the
    workers must see the notebook and ``out`` at the same paths). Reports go to
    ``out/<name>/<notebook>-NNN``.

    Every member ends as a row of ``summary.csv`` and ``summary.html``, whatever
    happens: a notebook that raises is ``failed`` with its error; a member whose
    kernel or worker dies is run again up to ``retries`` times, then ``lost``; on
    Ctrl-C the members not finished are ``cancelled``, the summary is written and
    :class:`GridInterrupted` is raised. Temporary folders are always removed.

    Re-running a grid resumes it: a member whose report exists and whose
    manifest matches (notebook, parameters, input hashes, riskkit version) is
    ``reused`` without running; ``force=True`` runs every member again.
    """

    if not (isinstance(retries, int) and retries >= 0):
        raise InvalidParameterError(f"retries must be a whole number >= 0; got {retries!r}.")
    if workers is not None and not (isinstance(workers, int) and workers >= 1):
        raise InvalidParameterError(f"workers must be at least 1; got {workers!r}.")
    nb_path = Path(notebook).resolve()
    sets = expand_grid(grid) if isinstance(grid, Mapping) else [dict(g) for g in grid]
    if not sets:
        raise InvalidParameterError("the grid has no parameter sets.")
    declared = notebook_parameters(nb_path)
    names = _member_names(sets, nb_path, declared)
    checked = [_checked(nb_path.name, declared, s) for s in sets]
    name = name or f"{nb_path.stem}-grid"
    folder = Path(out).resolve() / name
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [
        {"notebook": str(nb_path), "parameters": p, "out": str(folder), "name": n, "timeout": timeout,
         "cwd": os.getcwd()}
        for n, p in zip(names, checked, strict=True)
    ]  # fmt: skip
    records: dict[str, dict[str, Any] | None] = {j["name"]: None for j in jobs}
    todo = []
    for job in jobs:
        reused = None if force else _reusable(job, nb_path, declared)
        if reused is None:
            todo.append(job)
        else:
            records[job["name"]] = reused
    _tidy(folder)  # what a run killed outright (SIGKILL, power cut) left behind
    cells = _code_cells(nb_path)
    interrupted, reason = False, "interrupted before it finished"
    try:
        if todo:
            client = _connect(scheduler) if scheduler else None  # before the bar: a failure is one line
            with _progress(sum(cells + bool(j["parameters"]) for j in todo), progress) as bar:
                bar = _Bar(bar, cells)
                if client is not None:
                    _run_dask(todo, records, bar=bar, retries=retries, client=client)
                else:
                    _run_local(todo, records, bar=bar, retries=retries, workers=workers)
    except KeyboardInterrupt:
        interrupted = True
    except BaseException as exc:
        reason = f"not run: {exc}"
        raise
    finally:
        for job in jobs:
            if records[job["name"]] is None:  # attempts made so far, from the log _tidy removes
                records[job["name"]] = _record(job, "cancelled", reason) | _attempts(job)
                shutil.rmtree(folder / f"{job['name']}.failed", ignore_errors=True)
        _tidy(folder)
        layout = _layout(folder)
        table = _table(jobs, records, folder, declared, layout.get("order", ()))
        write_summary(table, folder, title=f"{nb_path.name}: grid of {len(jobs)} reports", layout=layout)
    result = GridResult(
        folder=folder,
        table=table,
        failed=tuple(m for m, s in table["status"].items() if s not in ("ok", "reused")),
        layout=layout,
    )
    if interrupted:
        raise GridInterrupted(result)
    return result


_MEMBER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _member_names(sets: list[dict[str, Any]], nb_path: Path, declared) -> list[str]:
    """Each member's name, and its folder's: the set's ``member`` entry (taken out
    of it), else ``<notebook>-NNN`` by position."""
    width = max(3, len(str(len(sets))))
    names = []
    for i, s in enumerate(sets, start=1):
        given = s.pop("member", None) if "member" not in declared else None
        if given is None:
            names.append(f"{nb_path.stem}-{i:0{width}d}")
        elif _usable_name(given):
            names.append(given)
        else:
            raise InvalidParameterError(
                f"member: {given!r} (set {i}) cannot name a report folder; use letters, digits, '.', '-' "
                "and '_', starting with a letter or digit."
            )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidParameterError(
            f"member: each member needs its own name; repeated: {', '.join(repeated)}."
        )
    return names


def _usable_name(given: Any) -> bool:
    """A member name that is a folder of its own in the grid's folder."""
    return (
        isinstance(given, str)
        and _MEMBER_NAME.fullmatch(given) is not None
        and not given.endswith(".failed")
        and given not in ("summary.csv", "summary.html")
    )


def _layout(folder: Path) -> dict[str, Any]:
    return layout_of(sorted(folder.glob("*/*.ipynb")))


def _code_cells(nb_path: Path) -> int:
    import nbformat

    return sum(c.cell_type == "code" for c in nbformat.read(nb_path, as_version=4).cells)


def _record(job: Mapping[str, Any], status: str, error: str = "", **more: Any) -> dict[str, Any]:
    return {"member": job["name"], "status": status, "error": error, "key_figures": {}, "attempts": 0,
            "seconds": float("nan")} | more  # fmt: skip


def _reusable(job: Mapping[str, Any], nb_path: Path, declared) -> dict[str, Any] | None:
    """The record of a member whose report is already there and current, else None."""
    from riskkit.reports._manifest import _input_hashes, _sha256

    try:
        manifest = json.loads((Path(job["out"]) / job["name"] / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    effective = effective_parameters(declared, job["parameters"])
    current = (
        manifest.get("notebook_sha256") == _sha256(nb_path)
        and _plain_json(manifest.get("parameters")) == _plain_json(job["parameters"])
        and manifest.get("input_files") == _input_hashes(effective)
        and manifest.get("versions", {}).get("riskkit") == _riskkit_version()
    )
    if not current:
        return None
    return _record(job, "reused", key_figures=manifest.get("key_figures", {}), attempts=0, seconds=0.0)


def _plain_json(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


def _riskkit_version() -> str:
    import riskkit

    return riskkit.__version__


# --------------------------------------------------------------------------- one member


def _attempt_log(job: Mapping[str, Any]) -> Path:
    return Path(job["out"]) / ".attempts" / job["name"]


def _run_member(job: Mapping[str, Any], kernel: Any = None, on_cell: Any = None) -> dict[str, Any]:
    """Run one member; returns its record and never raises. ``kernel``: a started
    :class:`Kernel` (or None to start one). Each attempt is logged beside the
    reports, so a member re-run after its worker died counts its attempts and its
    time from the first start, wherever it ran."""
    from riskkit.reports._kernels import Kernel

    log = _attempt_log(job)
    log.parent.mkdir(exist_ok=True)
    with open(log, "a") as fh:
        fh.write(f"{time.time()}\n")
    try:
        nb_path = Path(job["notebook"])
        declared = notebook_parameters(nb_path)
        if kernel is None:
            kernel = Kernel(cwd=job["cwd"])
        folder = _run(nb_path, declared, job["parameters"], out=job["out"], name=job["name"], kernel=kernel,
                      timeout=job["timeout"], on_cell=on_cell)  # fmt: skip
        executed = json.loads((folder / f"{job['name']}.ipynb").read_text(encoding="utf-8"))
        record = _record(job, "ok", key_figures=_collect_key_figures(executed))  # in the notebook's order
    except ReportError as exc:
        error = f"{exc.ename}: {exc.evalue}" if exc.ename else str(exc).splitlines()[-1]
        record = _record(job, "lost" if exc.lost else "failed", error)
    except Exception as exc:  # a member must report, not take the grid down
        record = _record(job, "failed", f"{type(exc).__name__}: {exc}")
    return record | _attempts(job)


def _attempts(job: Mapping[str, Any]) -> dict[str, Any]:
    try:
        starts = [float(x) for x in _attempt_log(job).read_text().split()]
    except (OSError, ValueError):
        return {"attempts": 0}
    return {"attempts": len(starts), "seconds": time.time() - starts[0]} if starts else {"attempts": 0}


# --------------------------------------------------------------------------- local: threads and warm kernels


def _run_local(todo: list[dict], records: dict, *, bar, retries: int, workers: int | None) -> None:
    """Members on this machine, ``workers`` at a time. The CPU work happens in
    each member's kernel process; the threads here only drive them."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    from riskkit.reports._kernels import KernelPool, close_thread_loop

    workers = min(workers or os.cpu_count() or 1, len(todo))
    pool = KernelPool(workers, len(todo), cwd=os.getcwd())

    def member(job: dict) -> dict:
        try:
            kernel = pool.take()
            try:
                return _run_member(job, kernel, lambda **_: bar.cell(job["name"]))
            finally:
                pool.release(kernel)
        finally:
            close_thread_loop()

    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="riskkit-grid")
    pending = {executor.submit(member, job): job for job in todo}
    try:
        while pending:
            done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for fut in done:
                job = pending.pop(fut)
                record = fut.result()
                bar.done(job)
                if record["status"] == "lost" and record["attempts"] <= retries:
                    pool.expect(1)
                    bar.again(job)
                    pending[executor.submit(member, job)] = job
                else:
                    records[job["name"]] = record
    except KeyboardInterrupt:
        pool.close(kill_running=True)  # the members in flight stop at once
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.close()
        executor.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------- Dask


def _run_member_remote(job: Mapping[str, Any], topic: str) -> dict[str, Any]:
    """A member on a Dask worker; its cells are reported to the client as events."""
    from distributed import get_worker

    from riskkit.reports._kernels import close_thread_loop

    worker = get_worker()
    try:
        return _run_member(job, on_cell=lambda **_: worker.log_event(topic, job["name"]))
    finally:
        close_thread_loop()


def _connect(scheduler: str):
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("--scheduler needs dask.distributed: pip install 'riskkit[dask]'.") from None
    try:
        return Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise InvalidParameterError(
            f"scheduler: cannot reach a Dask scheduler at {scheduler!r} ({type(exc).__name__}); "
            "check the address (tcp://HOST:8786) and that `dask scheduler` is running there."
        ) from None


def _run_dask(todo: list[dict], records: dict, *, bar, retries: int, client) -> None:
    from distributed import as_completed

    topic = f"riskkit-grid-{time.time_ns()}"
    with client:
        client.subscribe_topic(topic, lambda event: bar.cell(event[1]))

        def submit(job: dict):
            key = f"riskkit-report-{job['name']}-{time.time_ns()}"
            return client.submit(_run_member_remote, job, topic, key=key, pure=False)

        futures = {submit(job): job for job in todo}
        queue = as_completed(list(futures))
        try:
            for fut in queue:
                job = futures.pop(fut)
                try:
                    record = fut.result()
                except Exception as exc:  # KilledWorker: the worker died running it, every time
                    record = _record(job, "lost", f"{type(exc).__name__}: {exc}") | _attempts(job)
                # let go of the result at once: a worker that dies later while holding it would
                # make the scheduler run the member again, writing into the grid behind our back
                fut.release()
                bar.done(job)
                if record["status"] == "lost" and record["attempts"] <= retries:
                    bar.again(job)
                    new = submit(job)
                    futures[new] = job
                    queue.add(new)
                else:
                    records[job["name"]] = record
        except KeyboardInterrupt:
            client.cancel(list(futures))
            raise
        finally:
            client.unsubscribe_topic(topic)


# --------------------------------------------------------------------------- the summary


def _tidy(folder: Path) -> None:
    """Remove what runs leave behind when a process dies mid-report."""
    for leftover in [*folder.glob(".tmp-*"), *folder.glob(".old-*"), folder / ".attempts"]:
        shutil.rmtree(leftover, ignore_errors=True)


def _table(jobs: list[dict], records: Mapping[str, dict], folder: Path, declared, order: Sequence[str] = ()):
    """One row per member: status, the parameters any member sets (with the
    notebook's default where a member does not), key figures (in the notebook's
    ``order``), attempts, seconds, error and the report's relative path."""
    import pandas as pd

    params = [k for k in declared if any(k in job["parameters"] for job in jobs)]  # the notebook's order
    rows, figures = [], []
    for job in jobs:
        r = records[job["name"]]
        report = folder / job["name"] / f"{job['name']}.html"
        linked = report.is_file() and r["status"] in ("ok", "reused")
        row = {"member": job["name"], "status": r["status"]}
        used = effective_parameters(declared, job["parameters"])
        row |= {k: _cell(used[k]) for k in params}
        named = {(f"{k} (result)" if k in row else k): v for k, v in r["key_figures"].items()}
        figures += [k for k in named if k not in figures]
        row |= named | {
            "attempts": r["attempts"],
            "seconds": round(r["seconds"], 2) if r["seconds"] == r["seconds"] else None,
            "error": r["error"],
            "report": f"{job['name']}/{job['name']}.html" if linked else "",
        }
        rows.append(row)
    rank = {k: i for i, k in enumerate(order)}
    figures.sort(key=lambda k: rank.get(k.removesuffix(" (result)"), len(rank)))
    columns = ["status", *params, *figures, "attempts", "seconds", "error", "report"]
    return pd.DataFrame(rows).set_index("member").reindex(columns=columns)


def _cell(v: Any) -> Any:
    return json.dumps(v, sort_keys=True) if isinstance(v, list | dict) else v


class _Bar:
    """The grid's progress in cells: a step per cell a member runs (from any
    thread), and the rest of a member's cells when it ends early (failed, lost),
    so that the bar ends full; a retried member's cells are added again."""

    def __init__(self, bar, cells: int):
        self._bar, self._cells, self._lock = bar, cells, threading.Lock()
        self._ran: dict[str, int] = {}
        self._ended: set[str] = set()  # a Dask event can arrive after its member's result

    def _of(self, job: Mapping[str, Any]) -> int:
        return self._cells + bool(job["parameters"])

    def cell(self, member: str) -> None:
        with self._lock:
            if member not in self._ended:
                self._ran[member] = self._ran.get(member, 0) + 1
                self._bar.update(1)

    def done(self, job: Mapping[str, Any]) -> None:
        with self._lock:
            self._ended.add(job["name"])
            left = self._of(job) - self._ran.pop(job["name"], 0)
            if left > 0:
                self._bar.update(left)

    def again(self, job: Mapping[str, Any]) -> None:
        with self._lock:
            self._ended.discard(job["name"])
            self._bar.total += self._of(job)
            self._bar.refresh()


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(
        total=total, desc="grid", unit="cell", disable=not enabled, file=sys.stderr, dynamic_ncols=True
    )
