"""A fork server for the kernels of a grid (private; POSIX with pidfd, i.e. Linux).

Starting a kernel costs a new interpreter, ipykernel's imports and then the
imports every report makes (numpy, pandas, scipy, matplotlib, riskkit):
more than a second of CPU per report, paid again by each member of a grid. A
*zygote* pays it once: a process that imports all that, then waits. Each kernel
is a ``fork()`` of it that goes on exactly as ``python -m ipykernel_launcher -f
CONNECTION`` would, in its own session, folder, environment and log.

What a forked kernel does not share with a fresh one is only what the imports
left in memory, as in a warmed kernel (:data:`WARM_UP`):
numpy's global random state is reseeded from the OS in each child (a fresh
process seeds its own; forks would otherwise all draw the same numbers), and
Python's ``random`` reseeds itself at fork. A test compares a forked kernel's
outputs with a fresh one's.

The zygote never starts a thread of its own or an event loop before forking;
BLAS thread pools restart in the child through their fork handlers.

Failures: a kernel exits when the zygote does (ipykernel watches its parent), so
a zygote killed mid-grid loses the members in flight (reported ``lost``, run
again with ``--retries``); the pool then starts kernels the usual way (tested).
When the runner dies, the zygote's stdin closes, it exits, and its kernels follow.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
from typing import Any

WARM_UP = (
    "import numpy, pandas, scipy.linalg, scipy.special, matplotlib.pyplot\n"
    "import riskkit, riskkit.data, riskkit.datasets, riskkit.plotting, riskkit.reports\n"
)
"""Imports run silently in a new kernel before the notebook (and by the zygote once):
what nearly every riskkit notebook imports first, and the bulk of a report's start-up time."""

PRELOAD = (
    # pandas decides at import whether it runs in a terminal (then it fits tables to its width)
    # or in a Jupyter kernel, by asking get_ipython(): it must answer as in the kernels
    "import builtins\n"
    "builtins.get_ipython = lambda: type('Kernel', (), {'kernel': True})()\n"
    "import pandas\n"
    "del builtins.get_ipython\n"
    + WARM_UP
    + "import ipykernel.kernelapp, ipykernel.ipkernel, jupyter_client.session\n"
    # numba and the rebalancing kernels from its disk cache: half a second of each member's first backtest
    + "import riskkit.rebalancing\nriskkit.rebalancing._load_compiled()\n"
)
"""What the zygote imports once for all its kernels."""


def supported() -> bool:
    """Whether kernels can be forked here: fork, and pidfds to watch non-children (Linux >= 5.3)."""
    return hasattr(os, "fork") and hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")


def _readable(fd: int, timeout: float | None) -> bool:
    """Whether ``fd`` is readable within ``timeout`` seconds (None: wait). poll(), not
    select(): a process running a grid holds many descriptors, and select() refuses
    any numbered 1024 or above."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(None if timeout is None else max(0, int(timeout * 1000))))


class ForkedProcess:
    """What jupyter_client needs of a kernel process (``poll``, ``wait``, signals),
    for a kernel forked by the zygote: it is not our child, so it is watched and
    signalled through a pidfd, which cannot hit a recycled pid."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self._fd = os.pidfd_open(pid)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and _readable(self._fd, 0):
            self._exited()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not _readable(self._fd, timeout):
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout or 0)
            self._exited()
        return self.returncode  # type: ignore[return-value]

    def _exited(self) -> None:
        self.returncode = -1  # reaped by the zygote: the status is not ours to read
        os.close(self._fd)

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            signal.pidfd_send_signal(self._fd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """The fork server: started with the environment its kernels will have.
    :meth:`spawn` is thread-safe; :meth:`close` ends the server (not the kernels)."""

    def __init__(self, env: dict[str, str], *, cwd: str | None = None, timeout: float = 120):
        self._lock = threading.Lock()
        # read by ipykernel when the zygote imports it: kernels then do not print their banner,
        # and exit when the zygote does (it does when this process goes: its stdin closes)
        env = dict(env) | {"JPY_PARENT_PID": str(os.getpid())}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "riskkit.reports._zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            text=True,
            start_new_session=True,  # Ctrl-C reaches the runner, which shuts kernels down in order
        )
        self._ask(None, timeout)  # waits for "ready"

    def _ask(self, request: dict | None, timeout: float) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if request is not None:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        if not _readable(self.proc.stdout.fileno(), timeout):
            raise RuntimeError(f"the kernel fork server did not answer within {timeout:.0f} s")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the kernel fork server has stopped")
        return json.loads(line)

    def spawn(
        self, argv: list[str], *, cwd: str, env: dict[str, str], log: str, timeout: float = 30
    ) -> ForkedProcess:
        """A kernel ``ipykernel_launcher argv`` forked in ``cwd`` with ``env``, its
        output appended to the file ``log``."""
        with self._lock:
            reply = self._ask({"argv": argv, "cwd": cwd, "env": env, "log": log}, timeout)
        if "error" in reply:
            raise RuntimeError(f"the kernel fork server could not start a kernel: {reply['error']}")
        return ForkedProcess(int(reply["pid"]))

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def kernel_argv(cmd: list[str]) -> list[str] | None:
    """The launcher arguments when ``cmd`` starts ipykernel in this Python, else None
    (another interpreter or kernel is started the usual way)."""
    if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]:
        same = os.path.realpath(cmd[0]) == os.path.realpath(sys.executable) or cmd[0] in ("python", "python3")
        if same:
            return cmd[3:]
    return None


# --------------------------------------------------------------------------- the server process


def _child(request: dict[str, Any], home: str) -> None:
    """In the forked child: become ``python -m ipykernel_launcher ARGV``; never returns."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel waits for its own subprocesses
        os.setsid()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        out = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.close(null)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
        import numpy

        numpy.random.seed()  # noqa: NPY002 - the legacy global state, from the OS as in a fresh process
        # as ipykernel_launcher: the server's folder is not on the path (init_path adds the cwd)
        sys.path[:] = [p for p in sys.path if p not in ("", home)]
        argv = list(request["argv"])
        import importlib.util

        sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            import atexit

            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _serve() -> None:
    home = os.getcwd()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped as they exit
    exec(compile(PRELOAD, "<riskkit zygote preload>", "exec"), {})
    reply = sys.stdout
    print(json.dumps({"ready": True}), file=reply, flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            pid = os.fork()
        except Exception as exc:
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), file=reply, flush=True)
            continue
        if pid == 0:
            _child(request, home)
        print(json.dumps({"pid": pid}), file=reply, flush=True)


if __name__ == "__main__":
    _serve()
