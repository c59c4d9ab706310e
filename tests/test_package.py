"""Package-level promises: cheap import, explicit public API, documented errors."""

import subprocess
import sys

import riskkit
from riskkit import exceptions

HEAVY = ("scipy", "sklearn", "statsmodels", "matplotlib", "seaborn", "papermill")


def test_import_riskkit_loads_no_heavy_module():
    code = "import sys, riskkit; print(','.join(m for m in %r if m in sys.modules))" % (HEAVY,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_submodules_are_reachable_lazily():
    for name in riskkit.__all__:
        assert getattr(riskkit, name) is not None


def test_every_exception_is_documented_and_typed():
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        assert name in exceptions.__doc__
        if name == "RiskkitError":
            continue
        if name.endswith("Error"):
            assert issubclass(cls, exceptions.RiskkitError)
            assert issubclass(cls, ValueError | TypeError)
        else:
            assert issubclass(cls, exceptions.RiskkitWarning)
