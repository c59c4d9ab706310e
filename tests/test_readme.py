"""Every ```python block of README.md runs as written (issue 14), each on its own: a block
that needs a name defines or imports it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = [
    (README[: m.start()].count("\n") + 2, m.group(1))
    for m in re.finditer(r"^```python\n(.*?)^```", README, flags=re.S | re.M)
]


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[f"README.md:{n}" for n, _ in BLOCKS])
def test_readme_block_runs(line, code, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)  # a block that writes files writes them here
    monkeypatch.setenv("RISKKIT_README", str(ROOT))
    exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__readme__"})
    assert os.getcwd() == str(tmp_path)
