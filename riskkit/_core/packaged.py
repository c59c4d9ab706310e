"""Files that travel inside the wheel (private): the bundled datasets and the notebooks.

In a checkout they live at the top of the tree (``data/``, ``notebooks/``), their one
source; the wheel carries them as ``riskkit/_data`` and ``riskkit/_notebooks``
(pyproject.toml, ``[tool.hatch.build.targets.wheel.force-include]``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def packaged_dir(inside: str, checkout: str) -> Path:
    """``riskkit/<inside>`` of an installed wheel, else ``<checkout>/`` of the source tree."""
    packaged = resources.files("riskkit") / inside
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / checkout


def notebooks_dir() -> Path:
    """Folder of the notebooks shipped with riskkit."""
    return packaged_dir("_notebooks", "notebooks")
