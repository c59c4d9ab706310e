"""Report grids survive failures: killed kernels and workers, Ctrl-C, unreachable
schedulers; they resume; warm kernels give exactly a cold run's outputs."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from riskkit import reports
from riskkit.cli import main as cli
from riskkit.exceptions import InvalidParameterError
from tests.test_reports import _notebook

ROOT = Path(__file__).resolve().parent.parent
PARAMS = "x = 1  # which member\nrate = 0.5  # a rate"
# member 13 kills the process that runs it: its kernel (an out-of-memory kill looks like this)
KILL_KERNEL = (
    "import os, signal\n"
    "if x == 13:\n"
    "    os.kill(os.getpid(), signal.SIGKILL)\n"
    "import riskkit.reports as r\n"
    "r.key_figures({'double': 2 * x, 'rate': rate, 'alerts': int(x > 3)}, alert='alerts', "
    "compare=[('double', 'rate'), 'double'])"
)


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_a_killed_kernel_is_retried_then_lost_and_every_member_is_a_row(tmp_path, capsys):
    nb = _notebook(tmp_path / "t.ipynb", KILL_KERNEL, PARAMS)
    result = reports.run_grid(nb, {"grid": {"x": [1, 13, 4]}}, out=tmp_path, workers=2, retries=1)
    s = result.summary()
    assert list(s["status"]) == ["ok", "lost", "ok"] and result.failed == ("t-002",)
    assert list(s["attempts"]) == [1, 2, 1] and (s["seconds"] > 0).all()
    assert "kernel died" in s.loc["t-002", "error"]
    assert list(s["double"].iloc[[0, 2]]) == [2, 8]
    assert _leftovers(result.folder) == []  # no .tmp-, .old- or attempt logs
    assert (result.folder / "summary.csv").is_file()
    page = (result.folder / "summary.html").read_text()
    assert "href='t-001/t-001.html'" in page and "href='t-002" not in page  # links to what exists
    assert "<tr class=alert>" in page and page.count("<tr class=alert>") == 1  # x = 4 alerts
    assert page.count("data:image/png;base64,") == 2 and "<script>" in page and "http" not in page
    progress = capsys.readouterr().err
    # 3 cells a member (parameters, injected parameters, body); member 13 runs twice and dies in its
    # third: 10 cells run, and the bar counts the 2 it will never run, ending full
    assert "grid" in progress and "12/12 " in progress and "13/12" not in progress


@pytest.mark.slow
def test_resume_reruns_only_what_is_missing_or_stale(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", KILL_KERNEL, PARAMS)
    grid = {"grid": {"x": [1, 2, 3, 4]}}
    first = reports.run_grid(nb, grid, out=tmp_path, workers=2, progress=False)
    assert set(first.summary()["status"]) == {"ok"}
    stamp = {m: (first.folder / m / "manifest.json").stat().st_mtime_ns for m in first.summary().index}
    # as if the first grid had been interrupted before its last two members
    for m in ("t-003", "t-004"):
        for p in sorted((first.folder / m).iterdir()):
            p.unlink()
        (first.folder / m).rmdir()
    again = reports.run_grid(nb, grid, out=tmp_path, workers=2, progress=False)
    s = again.summary()
    assert list(s["status"]) == ["reused", "reused", "ok", "ok"] and again.ok
    assert list(s["double"]) == [2, 4, 6, 8]  # key figures of reused members from their manifests
    assert all(
        (again.folder / m / "manifest.json").stat().st_mtime_ns == stamp[m] for m in ("t-001", "t-002")
    )
    # a changed parameter makes a member stale; --force runs everything
    changed = reports.run_grid(nb, {"grid": {"x": [1, 2, 3, 4]}, "base": {"rate": 0.25}}, out=tmp_path,
                               workers=2, progress=False)  # fmt: skip
    assert set(changed.summary()["status"]) == {"ok"}
    forced = reports.run_grid(nb, grid, out=tmp_path, workers=2, progress=False, force=True)
    assert set(forced.summary()["status"]) == {"ok"}


def test_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, capsys):
    pytest.importorskip("distributed")
    nb = _notebook(tmp_path / "t.ipynb", "pass", PARAMS)
    grid = tmp_path / "g.yaml"
    grid.write_text("grid:\n  x: [1, 2]\n")
    t0 = time.perf_counter()
    with pytest.raises(
        InvalidParameterError, match=r"scheduler: cannot reach a Dask scheduler at 'tcp://127.0.0.1:9'"
    ):
        reports.run_grid(
            nb, {"grid": {"x": [1]}}, out=tmp_path, scheduler="tcp://127.0.0.1:9", progress=False
        )
    assert time.perf_counter() - t0 < 60
    capsys.readouterr()
    code = cli(
        ["report", str(nb), "--grid", str(grid), "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cannot reach a Dask scheduler" in err
    # and every member is still a row
    summary = pd.read_csv(tmp_path / "t-grid" / "summary.csv", index_col=0)
    assert list(summary["status"]) == ["cancelled", "cancelled"]


def test_bad_grid_options_are_refused(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", "pass", PARAMS)
    for bad in ({"retries": -1}, {"retries": 1.5}, {"workers": 0}):
        with pytest.raises(InvalidParameterError, match=next(iter(bad))):
            reports.run_grid(nb, [{"x": 1}], out=tmp_path, progress=False, **bad)


@pytest.mark.slow
def test_ctrl_c_cancels_what_is_in_flight_and_writes_the_summary(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", "import time\ntime.sleep(0.2 if x == 1 else 60)", PARAMS)
    grid = tmp_path / "g.yaml"
    grid.write_text("grid:\n  x: [1, 2, 3, 4]\n")
    cmd = [sys.executable, "-m", "riskkit", "report", str(nb), "--grid", str(grid), "--out", str(tmp_path),
           "--workers", "2", "--quiet"]  # fmt: skip
    # as typed at a terminal: a suite started in the background (`make test &`) ignores SIGINT, and
    # a Python started from it would inherit that and never see the Ctrl-C
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    folder = tmp_path / "t-grid"
    deadline = time.monotonic() + 120
    while not (folder / "t-001" / "manifest.json").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)  # members 2 and 3 are running, 4 waits
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err == f"riskkit: interrupted; 4 members: 1 ok, 3 cancelled; summary: {folder / 'summary.html'}\n"
    summary = pd.read_csv(folder / "summary.csv", index_col=0)
    assert list(summary["status"]) == ["ok", "cancelled", "cancelled", "cancelled"]
    assert list(summary["attempts"]) == [1, 1, 1, 0]  # 2 and 3 had started; 4 never did
    assert _leftovers(folder) == [] and sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["t-001"]


@pytest.mark.slow
def test_a_killed_dask_worker_is_lost_not_a_traceback(tmp_path):
    distributed = pytest.importorskip("distributed")
    import dask

    # member 13 kills its Dask worker (the kernel's parent process), as an out-of-memory kill would
    body = "import os, signal\nif x == 13:\n    os.kill(os.getppid(), signal.SIGKILL)\nprint(x)"
    nb = _notebook(tmp_path / "t.ipynb", body, PARAMS)
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cl,
    ):
        members = [{"x": 1}, {"x": 13}, {"x": 4}]
        result = reports.run_grid(nb, members, out=tmp_path, scheduler=cl.scheduler_address, retries=1,
                                  progress=False)  # fmt: skip
    s = result.summary()
    assert list(s["status"]) == ["ok", "lost", "ok"]
    assert s.loc["t-002", "attempts"] == 2 and "KilledWorker" in s.loc["t-002", "error"]
    assert _leftovers(result.folder) == []


@pytest.mark.slow
@pytest.mark.parametrize("notebook", sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_warm_and_forked_kernels_give_exactly_a_cold_kernels_outputs(tmp_path, notebook):
    """A kernel warmed by imports, and one forked from the grid's fork server
    (issue 17), give what a cold kernel gives, to the last digit."""
    from riskkit.reports import _zygote
    from riskkit.reports._kernels import Kernel, kernel_env
    from riskkit.reports._parameters import notebook_parameters
    from riskkit.reports._runner import _run

    nb = ROOT / "notebooks" / f"{notebook}.ipynb"
    declared = notebook_parameters(nb)
    zygote = _zygote.Zygote(kernel_env(), cwd=str(ROOT)) if _zygote.supported() else None
    made = {}
    try:
        for kind in ("cold", "warm", "forked"):
            if kind == "forked" and zygote is None:
                continue
            kernel = Kernel(cwd=str(ROOT), warm=kind != "cold", zygote=zygote if kind == "forked" else None)
            if kind == "forked":
                assert isinstance(kernel.manager.provisioner.process, _zygote.ForkedProcess)
            made[kind] = _run(nb, declared, {}, out=tmp_path / kind, name="r", kernel=kernel, timeout=600)
    finally:
        if zygote is not None:
            zygote.close()
    cold = json.loads((made["cold"] / "manifest.json").read_text())
    for kind in set(made) - {"cold"}:
        _, outputs, diffs = reports.compare_notebooks(
            made[kind] / "r.ipynb", made["cold"] / "r.ipynb", rtol=1e-300
        )
        assert outputs > 10 and diffs == [], kind
        assert json.loads((made[kind] / "manifest.json").read_text())["key_figures"] == cold["key_figures"]


@pytest.mark.slow
def test_a_long_grid_does_not_leak_descriptors(tmp_path):
    """A grid of 100 members ran out of descriptors (select() refuses fds >= 1024):
    each member's notebook client kept its zmq context open. Now the count stays flat."""
    import gc
    import os

    nb = _notebook(tmp_path / "t.ipynb", "print(x)", PARAMS)

    def open_fds() -> int:
        gc.collect()
        return len(os.listdir("/proc/self/fd"))

    reports.run_grid(nb, [{"x": i} for i in range(2)], out=tmp_path, name="warm", progress=False)
    before = open_fds()
    result = reports.run_grid(nb, [{"x": i} for i in range(16)], out=tmp_path, name="g", progress=False)
    assert list(result.summary()["status"].unique()) == ["ok"]
    assert open_fds() - before <= 4


@pytest.mark.slow
def test_a_dead_fork_server_falls_back_to_usual_kernels(tmp_path):
    from riskkit.reports import _zygote
    from riskkit.reports._kernels import KernelPool

    if not _zygote.supported():
        pytest.skip("no fork server on this platform")
    pool = KernelPool(1, 3, cwd=str(tmp_path), fork=True)
    try:
        first = pool.take()
        assert isinstance(first.manager.provisioner.process, _zygote.ForkedProcess)
        pool._zygote.result().proc.kill()  # the server dies (out of memory, say)
        pool.release(first)
        for _ in range(2):
            kernel = pool.take()
            assert kernel._silent("x = 1", 30)["status"] == "ok"
            pool.release(kernel)
    finally:
        pool.close()


FORMATTED = (
    "import riskkit.reports as r\n"
    "assert x != 13, 'x is unlucky ' + 'and says so at length ' * 5\n"
    "r.key_figures({'portfolio_value': 1e6 + 1e-10, 'share': x / 8, 'big_alerts': int(x > 3)},\n"
    "              alert='big_alerts', compare=[('share', 'portfolio_value')],\n"
    "              formats={'portfolio_value': ',.0f', 'share': '.1%'})"
)


@pytest.mark.slow
def test_named_members_and_a_summary_people_can_read(tmp_path, capsys):
    nb = _notebook(tmp_path / "t.ipynb", FORMATTED, PARAMS)
    grid = tmp_path / "g.yaml"
    grid.write_text(
        "base: {rate: 0.25}\nruns:\n  - {member: fund-a, x: 1}\n  - {member: fund-b, x: 5}\n  - {x: 13}\n"
    )
    code = cli(["report", str(nb), "--grid", str(grid), "--out", str(tmp_path), "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 1 and "1 of 3 reports did not complete: t-003" in err
    folder = tmp_path / "t-grid"
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["fund-a", "fund-b", "t-003.failed"]
    lines = out.splitlines()
    # a line per member (status, seconds, the alert figure, the error cut short), not the whole table
    assert lines[0].split() == ["member", "status", "seconds", "big_alerts", "error"]
    assert lines[1].split()[:2] == ["fund-a", "ok"] and lines[1].split()[3] == "0"
    assert lines[2].split()[3] == "1" and lines[3].startswith("t-003") and lines[3].endswith("…")
    assert (
        lines[-1] == f"grid written: {folder / 'summary.html'} (and summary.csv); 3 members: 2 ok, 1 failed"
    )
    # the CSV: status, parameters, key figures in the notebook's order, then how each member ran;
    # 12 significant digits (the 1e-10 is float noise)
    csv = (folder / "summary.csv").read_text().splitlines()
    assert csv[0] == "member,status,x,rate,portfolio_value,share,big_alerts,attempts,seconds,error,report"
    assert csv[1].startswith("fund-a,ok,1,0.25,1000000,0.125,0,1,")
    page = (folder / "summary.html").read_text()
    # rate is shared: said once above the table, not a column; figures formatted as declared
    assert "Every member has <code>rate</code> = 0.25." in page and ">rate</th>" not in page
    assert ">portfolio value</th>" in page and ">1,000,000</td>" in page and ">62.5%</td>" in page
    assert "data-value='0.625'" in page  # sorted by the number, shown as a percentage
    assert page.count("<tr class=alert>") == 1 and "Highlighted: members whose <b>big alerts</b>" in page
    assert "class='text long'" in page and "title='AssertionError: x is unlucky and says" in page
    assert (
        page.index(">status</th>")
        < page.index(">x</th>")
        < page.index(">share</th>")
        < page.index(">error</th>")
    )
    # folders are made as any folder is (not mkdtemp's private 0700)
    import os

    umask = os.umask(0)
    os.umask(umask)
    assert (folder / "fund-a").stat().st_mode & 0o777 == 0o777 & ~umask


def test_member_names_must_be_folder_names_and_unique(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", "pass", PARAMS)
    for bad, rule in (("../x", "cannot name a report folder"), ("", "cannot name"), (7, "cannot name"),
                      ("summary.csv", "cannot name"), ("a.failed", "cannot name")):  # fmt: skip
        with pytest.raises(InvalidParameterError, match=rf"member: .*\(set 1\) {rule}"):
            reports.run_grid(nb, [{"member": bad, "x": 1}], out=tmp_path, progress=False)
    with pytest.raises(InvalidParameterError, match="each member needs its own name; repeated: a"):
        reports.run_grid(
            nb, {"runs": [{"member": "a"}, {"member": "a", "x": 2}]}, out=tmp_path, progress=False
        )
    assert not (tmp_path / "t-grid").exists()  # refused before anything ran


@pytest.mark.slow
def test_ctrl_c_during_one_report_is_one_line_and_exit_130(tmp_path):
    nb = _notebook(tmp_path / "t.ipynb", "import time\nprint('started', flush=True)\ntime.sleep(60)", PARAMS)
    cmd = [sys.executable, "-m", "riskkit", "report", str(nb), "--out", str(tmp_path / "out")]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    deadline = time.monotonic() + 120
    while not list((tmp_path / "out").glob(".tmp-t-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2.0)  # the notebook is running
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err == "riskkit: interrupted; no report written\n" and out == ""
    assert list((tmp_path / "out").iterdir()) == []  # no report, no temporary folder
