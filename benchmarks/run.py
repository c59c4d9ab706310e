"""Side-by-side timings of riskkit and its peers, in one run.

    python benchmarks/run.py [--quick] [--out reports/benchmarks.md]

Each case times riskkit and every installed peer in the same process (or, for
imports, in fresh interpreters), alternating, after a warm-up, and reports
median times and ratios. Cases grow with the package; see issue "Benchmarks".
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORTS = {
    "riskkit": "riskkit",
    "riskkit.data (first real use)": "riskkit.data",
    "pandas": "pandas",
    "scikit-learn": "sklearn.covariance",
    "PyPortfolioOpt": "pypfopt",
    "skfolio": "skfolio",
    "bt": "bt",
    "Riskfolio-Lib": "riskfolio",
}


def _import_seconds(module: str) -> float | None:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    return float(out.stdout) if out.returncode == 0 else None


def bench_imports(repeats: int) -> list[dict]:
    times: dict[str, list[float]] = {k: [] for k in IMPORTS}
    for _ in range(repeats):  # alternate between libraries within each repeat
        for name, module in IMPORTS.items():
            t = _import_seconds(module)
            if t is not None:
                times[name].append(t)
    base = statistics.median(times["pandas"])
    rows = []
    for name, ts in times.items():
        if not ts:
            rows.append(
                {
                    "case": f"import {name}",
                    "median_s": None,
                    "vs pandas": None,
                    "note": "not installed",
                }
            )
            continue
        med = statistics.median(ts)
        rows.append({"case": f"import {name}", "median_s": med, "vs pandas": med - base, "note": ""})
    return rows


def _machine() -> str:
    try:
        import numpy as np

        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {}).get("name", "?")
    except Exception:  # informational only
        blas = "?"
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, BLAS {blas}"


def _versions() -> str:
    names = [
        "riskkit",
        "numpy",
        "pandas",
        "scikit-learn",
        "PyPortfolioOpt",
        "skfolio",
        "bt",
        "Riskfolio-Lib",
    ]
    out = []
    for n in names:
        try:
            out.append(f"{n} {metadata.version(n)}")
        except metadata.PackageNotFoundError:
            out.append(f"{n} (not installed)")
    return ", ".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats, for development")
    parser.add_argument("--out", default=str(ROOT / "reports" / "benchmarks.md"))
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    rows = bench_imports(repeats)
    lines = [
        "# riskkit benchmarks",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {_machine()}",
        f"- versions: {_versions()}",
        f"- command: `python benchmarks/run.py{' --quick' if args.quick else ''}`"
        f" ({repeats} repeats, median)",
        "",
        "## Import time (fresh interpreter each time)",
        "",
        "| case | median (s) | minus `import pandas` (s) | note |",
        "|---|---:|---:|---|",
    ]
    for r in rows:
        med = "" if r["median_s"] is None else f"{r['median_s']:.3f}"
        delta = "" if r["vs pandas"] is None else f"{r['vs pandas']:+.3f}"
        lines.append(f"| {r['case']} | {med} | {delta} | {r['note']} |")
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
