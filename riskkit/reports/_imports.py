"""One lock for the runner's first imports across threads (private).

A report's runner imports its libraries lazily and in several threads at once:
the kernel's starter imports jupyter_client, the runner papermill, the thread
that prepares the manifest nbconvert, scipy and llvmlite, and a grid runs
several runners. Python's per-module import locks do not cover packages whose
modules import each other, as jupyter_client's do: two threads entering such a
cycle from different ends can be handed a partly initialised module ("cannot
import name ... (most likely due to a circular import)"). Every lazy import of
those libraries in :mod:`riskkit.reports` holds :data:`LOCK`; once a module is
loaded, taking the lock again costs nothing worth measuring.
"""

from __future__ import annotations

import threading

LOCK = threading.RLock()
