"""Kernels for reports: started quietly, warmed before they are needed, one per report.

A report always runs in a kernel of its own, started for it and shut down after
it: nothing one report does can leak into another. What is saved is the waiting:

- the kernel talks over IPC sockets in a private folder, not TCP ports (no
  ports to find, and no "running over TCP without encryption" warning);
- its own stderr goes to a log file, shown only when the kernel dies;
- it is started in the background while the runner does its own work, and warmed
  by importing the libraries reports use, silently (no output, no execution
  count, no history), so the notebook's first cells do not pay for the imports;
- a :class:`KernelPool` keeps kernels warm ahead of the reports of a grid.

A warmed kernel gives exactly the outputs of a cold one (tested): importing a
module that the notebook imports anyway changes nothing it can see.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from riskkit.reports._imports import LOCK as IMPORTS
from riskkit.reports._zygote import WARM_UP, kernel_argv

_INLINE = "module://matplotlib_inline.backend_inline"


class Kernel:
    """A started kernel: ``manager`` is its jupyter_client KernelManager."""

    def __init__(
        self,
        kernel_name: str = "python3",
        *,
        cwd: str | None = None,
        warm: bool = True,
        timeout: float = 60,
        zygote: Any = None,
    ):
        _sweep_stale_folders()
        self.folder = Path(tempfile.mkdtemp(prefix=f"riskkit-kernel-{os.getpid()}-"))
        self._log = open(self.folder / "kernel.log", "w")
        self.manager = _manager_class()(kernel_name=kernel_name, transport="ipc", ip=str(self.folder / "ipc"))
        self.manager.zygote, self.manager.log_path = zygote, str(self.folder / "kernel.log")
        env = kernel_env()
        try:
            self.manager.start_kernel(stdout=self._log, stderr=self._log, cwd=cwd or os.getcwd(), env=env)
            if warm:
                self._warm(timeout)
        except BaseException:
            self.shutdown()
            raise

    def _client(self):
        """A blocking client of the kernel (for silent requests). Its class was imported
        with the manager's: importing here would wait for the import lock, held while
        the runner imports papermill, and hold the warm-up back."""
        info = self.manager.get_connection_info(session=True)
        client = self.manager.blocking_client_class(
            **info, connection_file=self.manager.connection_file, parent=self.manager
        )
        client.start_channels()
        return client

    def _silent(self, code: str, timeout: float, expressions: dict[str, str] | None = None) -> dict:
        """Run ``code`` without output, history or execution count; the reply's content.

        The request is sent at once: zmq holds it until the kernel's shell socket is
        up, and the kernel answers it when it has started. (jupyter_client's
        ``wait_for_ready`` would add a kernel_info round trip and then wait for 0.2 s
        of silence on IOPub, which a silent request never reads.)
        """
        import time
        from queue import Empty

        client = self._client()
        deadline = time.monotonic() + timeout
        try:
            msg_id = client.execute(
                code, silent=True, store_history=False, user_expressions=expressions or {}
            )
            while True:
                try:
                    reply = client.get_shell_msg(timeout=0.5)
                except Empty:
                    if not self.alive:
                        raise RuntimeError(f"the kernel died while starting:\n{self.log_tail()}") from None
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"the kernel did not answer in {timeout:g} s") from None
                    continue
                if reply["parent_header"].get("msg_id") == msg_id:
                    return reply["content"]
        finally:
            client.stop_channels()

    def _warm(self, timeout: float) -> None:
        self._silent(WARM_UP, timeout)

    @property
    def alive(self) -> bool:
        return self.manager.has_kernel and self.manager.is_alive()

    def log_tail(self, n: int = 1500) -> str:
        """The end of the kernel's own stderr (a crash message, if any)."""
        try:
            self._log.flush()
            return (self.folder / "kernel.log").read_text(errors="replace")[-n:]
        except (OSError, ValueError):
            return ""

    def shutdown(self) -> None:
        try:
            if self.manager.has_kernel:
                self.manager.shutdown_kernel(now=True)
        except Exception:
            pass
        finally:
            for client in self.manager.__dict__.pop("riskkit_clients", []):
                try:
                    client.stop_channels()  # destroys the context it made
                except Exception:
                    pass
            self._log.close()
            shutil.rmtree(self.folder, ignore_errors=True)


_SWEPT = False


def _sweep_stale_folders() -> None:
    """Remove the kernel folders of processes that no longer exist (once per process).

    A kernel's folder (its sockets and log) is removed when it is shut down; a
    process killed meanwhile (an out-of-memory kill, a Dask worker lost) cannot.
    Folders are named after the process that made them, and the next one to start
    a kernel removes those whose process is gone.
    """
    global _SWEPT
    if _SWEPT:
        return
    _SWEPT = True
    for folder in Path(tempfile.gettempdir()).glob("riskkit-kernel-*-*"):
        pid = folder.name.split("-")[2]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive, another user's
            pass


def kernel_env() -> dict[str, str]:
    """The environment of a report's kernel: the caller's, with figures rendered
    inline whatever backend the caller runs with (MPLBACKEND=Agg would leave only
    their text)."""
    return dict(os.environ) | {"MPLBACKEND": _INLINE}


_MANAGER: type | None = None


def _manager_class() -> type:
    """jupyter_client's KernelManager, launching through a zygote when it has one
    (:mod:`riskkit.reports._zygote`; its documented override point)."""
    global _MANAGER
    with IMPORTS:  # also: two threads asking at once make one class
        if _MANAGER is None:
            _MANAGER = _make_manager_class()
    return _MANAGER


def _make_manager_class() -> type:
    with IMPORTS:  # held by the caller; said here for the reader (and the test that checks)
        from jupyter_client.asynchronous import AsyncKernelClient
        from jupyter_client.blocking import BlockingKernelClient
        from jupyter_client.manager import KernelManager
        from traitlets import default

    class ReadyClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            """jupyter_client's wait, ending when the kernel reports itself idle after
            our kernel_info request, which proves IOPub connected and drained, instead
            of after 0.2 s of silence on IOPub (0.2 s of every report)."""
            import time
            from queue import Empty

            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                asked = self.kernel_info()
                try:
                    reply = await self.shell_channel.get_msg(timeout=1)
                    while reply["parent_header"].get("msg_id") != asked:  # an earlier request's
                        reply = await self.shell_channel.get_msg(timeout=1)
                    while True:  # IOPub: until the idle status of that request (0.2 s: not connected yet)
                        msg = await self.iopub_channel.get_msg(timeout=0.2)
                        if (
                            msg["msg_type"] == "status"
                            and msg["content"].get("execution_state") == "idle"
                            and msg["parent_header"].get("msg_id") == asked
                        ):
                            self._handle_kernel_info_reply(reply)
                            return
                except Empty:
                    pass
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    class ForkingKernelManager(KernelManager):
        zygote: Any = None
        log_path: str = os.devnull
        blocking_client_class = BlockingKernelClient

        @default("client_factory")
        def _ready_client(self) -> type:
            # the runner (nbclient) drives the kernel with an asynchronous client: a
            # blocking one would wait forever on a kernel that died
            return ReadyClient

        def client(self, **kwargs: Any) -> Any:
            # nbclient leaves the channels of a client it made for a manager it was given
            # open (its zmq context then holds ~14 descriptors): they are closed at shutdown
            made = super().client(**kwargs)
            self.__dict__.setdefault("riskkit_clients", []).append(made)
            return made

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            argv = kernel_argv(kernel_cmd)
            if self.zygote is None or argv is None:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            prov = self.provisioner
            cwd = str(kw.get("cwd") or os.getcwd())
            # as jupyter_client's launcher: the kernel exits if this process dies
            env = dict(kw.get("env") or kernel_env()) | {"JPY_PARENT_PID": str(os.getpid())}
            proc = self.zygote.spawn(argv, cwd=cwd, env=env, log=self.log_path)
            prov.process, prov.pid, prov.pgid, prov.cwd = proc, proc.pid, proc.pid, cwd
            self._reconcile_connection_info(prov.connection_info)

    return ForkingKernelManager


def start_in_background(kernel_name: str = "python3", *, cwd: str | None = None) -> Future:
    """A :class:`Kernel` started and warmed in a thread; ``.result()`` waits for it."""
    return in_background(Kernel, kernel_name, cwd=cwd)


def in_background(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """``fn(*args, **kwargs)`` in a daemon thread; its Future holds the result or the exception."""
    fut: Future = Future()

    def work() -> None:
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever waits for the result
            fut.set_exception(exc)
        finally:
            close_thread_loop()

    threading.Thread(target=work, name=f"riskkit-{getattr(fn, '__name__', 'task')}", daemon=True).start()
    return fut


def close_thread_loop() -> None:
    """Close the event loop jupyter_client's blocking calls gave this thread, if
    any: the thread is ending, and a loop left open keeps its selector and its
    wake-up pipe until the collector finds it (a ResourceWarning then)."""
    import asyncio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:  # none was set in this thread
            return
    if not loop.is_running() and not loop.is_closed():
        loop.close()
    asyncio.set_event_loop(None)


def shutdown_when_started(fut: Future) -> None:
    """Done-callback of a kernel's start: shut the kernel down (a cancelled or
    failed start leaves nothing to shut down)."""
    if not fut.cancelled() and fut.exception() is None:
        fut.result().shutdown()


class KernelPool:
    """Warm kernels ready ahead of the reports of a grid: ``size`` are started at
    once, and one more each time one is taken, as long as reports remain
    (``expect`` more when a report is retried). Each kernel serves one report."""

    def __init__(
        self,
        size: int,
        reports: int,
        *,
        kernel_name: str = "python3",
        cwd: str | None = None,
        fork: bool | None = None,
    ):
        from riskkit.reports import _zygote

        self._kernel_name, self._cwd = kernel_name, cwd
        self._starter = ThreadPoolExecutor(max_workers=max(1, size), thread_name_prefix="riskkit-kernel")
        # a fork server pays the interpreter's and the imports' start-up once for the grid
        # (worth it from a few reports on); kernels start the usual way where it cannot run
        if fork is None:
            fork = reports > 2
        self._zygote: Future | None = None
        if fork and _zygote.supported():
            self._zygote = in_background(_zygote.Zygote, kernel_env(), cwd=cwd)
        self._ready: queue.Queue[Future] = queue.Queue()
        self._lock = threading.Lock()
        self._wanted = reports
        self._closed = False
        self._in_use: dict[int, Kernel] = {}
        for _ in range(min(size, reports)):
            self._start_one()

    def _start_one(self) -> None:
        with self._lock:
            if self._closed or self._wanted <= 0:
                return
            self._wanted -= 1
        self._ready.put(self._starter.submit(self._new_kernel))

    def _new_kernel(self) -> Kernel:
        server = self._zygote
        try:
            if server is not None:
                try:
                    return Kernel(self._kernel_name, cwd=self._cwd, zygote=server.result())
                except Exception:  # the fork server failed or died: kernels start the usual way from now on
                    self._zygote = None
            return Kernel(self._kernel_name, cwd=self._cwd)
        finally:
            close_thread_loop()

    def expect(self, more: int = 1) -> None:
        """``more`` reports will need a kernel beyond those announced (retries);
        they are started now, as the kernels ahead may all be taken."""
        with self._lock:
            self._wanted += more
        for _ in range(more):
            self._start_one()

    def take(self) -> Kernel:
        """A started, warm kernel (waits for one); the caller shuts it down.
        Raises RuntimeError once the pool is closed (the grid was interrupted):
        no report starts after that."""
        closed = RuntimeError("the grid was interrupted before this report started")
        while True:
            if self._closed:
                raise closed
            try:
                fut = self._ready.get(timeout=0.2)
                break
            except queue.Empty:
                continue
        kernel = fut.result()
        with self._lock:  # close() snapshots the kernels in use under the same lock
            if not self._closed:
                self._in_use[id(kernel)] = kernel
        if self._closed and id(kernel) not in self._in_use:
            kernel.shutdown()
            raise closed
        self._start_one()
        return kernel

    def release(self, kernel: Kernel) -> None:
        with self._lock:
            self._in_use.pop(id(kernel), None)
        kernel.shutdown()

    def close(self, *, kill_running: bool = False) -> None:
        """Shut down the kernels not taken (and, with ``kill_running``, those in
        use: their reports then fail at once, as on Ctrl-C)."""
        with self._lock:
            self._closed = True
            running = list(self._in_use.values()) if kill_running else []
        for kernel in running:
            kernel.shutdown()
        while True:
            try:
                fut = self._ready.get_nowait()
            except queue.Empty:
                break
            fut.add_done_callback(shutdown_when_started)
        self._starter.shutdown(wait=False, cancel_futures=True)
        if self._zygote is not None:  # its kernels live on until shut down; the server can go
            self._zygote.add_done_callback(lambda f: f.exception() is None and f.result().close())
